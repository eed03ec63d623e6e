"""The shapes of a shapes graph as ``shacl_core`` reads them, and the query plumbing and focus nodes it builds on.

Split out of ``shacl_core`` to keep modules small: ``find_shapes`` finds the shapes as pySHACL finds them;
``ShapeQueries`` runs SPARQL (with Python custom functions) on one pyoxigraph store, reads the parameters of a
shape, and builds the pattern of each shape's focus nodes (its targets, SHACL §2.1.3, and the value nodes of
the shapes pointing at it with sh:property). ``shacl_compile.Compiler`` compiles the constraints on top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from .errors import InputError
from .shacl_sparql import (
    TYPE_OF,
    Path,
    ShapeError,
    Unsupported,
    V,
    has_zero_length,
    parse_path,
    path_pattern,
    sparql_term,
)

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Test = str  # a SPARQL expression over shacl_sparql.V, true where the value node passes
Row = tuple[OxTerm, OxTerm | None, Node | None, URIRef]  # focus, value, path if not the shape's, component

X = "?__x"  # the variable of a focus pattern: replaced by the variable that is to hold the focus nodes
FUNCTIONS = "urn:x-krefeld-kg:shacl-core:function:"
TRUE, FALSE = ox.Literal(True), ox.Literal(False)


@dataclass
class Shape:
    node: Node
    path_node: Node | None  # the sh:path value: the result path of a property shape
    path: Path | None
    path_error: str | None  # the fault of a malformed sh:path, raised when the shape is used
    deactivated: bool
    severity: Node
    message: str | None


def find_shapes(g: Graph) -> dict[Node, Shape]:
    """The shapes of a shapes graph, found as pySHACL finds them."""
    found = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.property, SH.node):
        found |= set(g.subjects(p))
    for p in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape):
        found |= set(g.objects(None, p))
    for p in (SH["and"], SH["or"], SH.xone):
        for members in g.objects(None, p):
            found |= set(g.items(members))
    shapes = {}
    for node in found - {n for n in found if isinstance(n, Literal)}:
        paths = list(g.objects(node, SH.path))
        if len(paths) > 1:
            raise InputError(f"shape {node} has more than one sh:path")
        path, path_error = None, None
        try:
            path = parse_path(g, paths[0]) if paths else None
        except ShapeError as exc:
            path_error = str(exc)
        flags = list(g.objects(node, SH.deactivated))
        messages = sorted(str(m) for m in g.objects(node, SH.message))
        shapes[node] = Shape(
            node=node,
            path_node=paths[0] if paths else None,
            path=path,
            path_error=path_error,
            deactivated=bool(flags and isinstance(flags[0], Literal) and flags[0].value),
            severity=g.value(node, SH.severity) or SH.Violation,
            message=messages[0] if messages else None,
        )
    return shapes


def _custom_parameters(g: Graph) -> set[Node]:
    """The parameters of the constraint components declared in the shapes graph (SHACL §6)."""
    found: set[Node] = set()
    for kind in (SH.ConstraintComponent, *g.subjects(RDFS.subClassOf, SH.ConstraintComponent)):
        for component in g.subjects(RDF.type, kind):
            if not str(component).startswith(str(SH)):
                for parameter in g.objects(component, SH.parameter):
                    found.update(g.objects(parameter, SH.path))
    return found


def use(test: Test, var: str) -> str:
    """The test on ``var`` rather than on shacl_sparql.V."""
    return test.replace(V, var)


class ShapeQueries:
    """The shapes of one shapes graph and the queries on one store: plumbing and focus nodes."""

    def __init__(self, store: ox.Store, shapes: Graph, data: Graph | None = None) -> None:
        self.store = store
        self.g = shapes
        self.data = data
        self.shapes = find_shapes(shapes)
        self.custom = _custom_parameters(shapes)
        self.functions: dict[ox.NamedNode, Callable[..., OxTerm | None]] = {}
        self._fresh = 0
        self._focus: dict[Node, str | None] = {}

    # ---- plumbing -------------------------------------------------------------------------------------

    def fresh(self) -> str:
        self._fresh += 1
        return f"?_v{self._fresh}"

    def function(self, fn: Callable[[OxTerm], bool]) -> Test:
        """A Python test of one term as a SPARQL function call on V; its answer per term is cached."""
        name = f"{FUNCTIONS}{len(self.functions)}"
        cache: dict[OxTerm, ox.Literal] = {}

        def call(term: OxTerm) -> ox.Literal:
            answer = cache.get(term)
            if answer is None:
                answer = cache[term] = TRUE if fn(term) else FALSE
            return answer

        self.functions[ox.NamedNode(name)] = call
        return f"<{name}>({V})"

    def select(self, query: str) -> Iterator[list[OxTerm | None]]:
        try:
            solutions = self.store.query(query, custom_functions=self.functions or None)
        except SyntaxError as exc:  # a bug here rather than in the shapes: show the query
            raise InputError(f"cannot run the compiled SHACL query: {exc}\n{query}") from None
        assert isinstance(solutions, ox.QuerySolutions)
        width = len(solutions.variables)
        for solution in solutions:
            yield [solution[i] for i in range(width)]

    def foci(self, query: str, component: URIRef) -> Iterator[Row]:
        """The rows of a query whose first column is the focus node, as results without a value."""
        for row in self.select(query):
            assert row[0] is not None
            yield row[0], None, None, component

    def shape(self, node: Node) -> Shape:
        if self.custom & set(self.g.predicates(node)):
            raise Unsupported(f"{node} uses a constraint component declared in the shapes graph")
        if node not in self.shapes:
            raise ShapeError(f"{node} is used as a shape but is not one")
        if self.shapes[node].path_error is not None:
            raise ShapeError(f"shape {node}: {self.shapes[node].path_error}")
        return self.shapes[node]

    def values(self, s: Shape, focus: str, this: str, value: str) -> str:
        """The pattern binding ``this`` to the focus nodes of ``focus`` and ``value`` to their value nodes."""
        source = focus.replace(X, this)
        if s.path is None:
            return f"{source} BIND({this} AS {value})"
        return path_pattern(s.path, source, this, value, self.fresh)

    def along(self, s: Shape, this: str, value: str) -> str:
        """The value nodes of a ``this`` bound around the pattern (EXISTS, MINUS, OPTIONAL)."""
        assert s.path is not None
        return path_pattern(s.path, "", this, value, self.fresh)

    def without_values(self, s: Shape, test: Test) -> str:
        """Keeps the solutions whose ?this has no value node passing ``test``. MINUS, a hash anti-join faster
        than one EXISTS probe per focus node, needs a path that binds ?this itself: no zero-length step."""
        assert s.path is not None
        keyword = "FILTER NOT EXISTS" if has_zero_length(s.path) else "MINUS"
        return f"{keyword} {{ {self.along(s, '?this', '?v')} FILTER({use(test, '?v')}) }}"

    def params(self, s: Shape, parameter: URIRef) -> list[Node]:
        return list(self.g.objects(s.node, parameter))

    def single(self, s: Shape, parameter: URIRef) -> Node | None:
        found = self.params(s, parameter)
        if len(found) > 1:
            raise ShapeError(f"shape {s.node} has more than one {parameter}")
        return found[0] if found else None

    def integer(self, s: Shape, parameter: URIRef) -> int | None:
        found = self.single(s, parameter)
        if found is None:
            return None
        if not isinstance(found, Literal) or not isinstance(found.value, int) or found.value < 0:
            raise ShapeError(f"{parameter} of shape {s.node} must be a non-negative integer")
        return found.value

    # ---- focus nodes ----------------------------------------------------------------------------------

    def targets(self, s: Shape) -> list[str]:
        """The branches of the focus pattern that the shape's own targets make."""
        g, branches = self.g, []
        classes = {c for c in g.objects(s.node, SH.targetClass) if isinstance(c, URIRef)}
        metaclasses = {RDFS.Class, OWL.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}  # as pySHACL has it
        if isinstance(s.node, URIRef) and metaclasses & set(g.objects(s.node, RDF.type)):
            classes.add(s.node)  # an implicit class target
        branches += [f"{X} {TYPE_OF} <{c}> ." for c in sorted(classes)]
        nodes = list(g.objects(s.node, SH.targetNode))
        if any(isinstance(n, BNode) for n in nodes):
            raise Unsupported(f"{s.node} has a blank node as sh:targetNode")
        if nodes:
            branches.append(f"VALUES {X} {{ {' '.join(sorted(str(sparql_term(n)) for n in nodes))} }}")
        branches += [f"{X} <{p}> [] ." for p in g.objects(s.node, SH.targetSubjectsOf) if isinstance(p, URIRef)]
        branches += [f"[] <{p}> {X} ." for p in g.objects(s.node, SH.targetObjectsOf) if isinstance(p, URIRef)]
        return branches

    def focus(self, s: Shape) -> str | None:
        """The pattern of the focus nodes the shape has in pySHACL's report: its targets and the value nodes
        of the active shapes with focus nodes that point at it with sh:property. None: it has none."""
        if s.node in self._focus:
            pattern = self._focus[s.node]
            if pattern == "":
                raise Unsupported(f"{s.node} is part of a cycle of sh:property")
            return pattern
        self._focus[s.node] = ""  # in progress
        branches = self.targets(s)
        for parent_node in sorted(self.g.subjects(SH.property, s.node), key=str):
            parent = self.shape(parent_node)
            if s.path is None:
                raise ShapeError(f"{s.node} is the value of sh:property but has no sh:path")
            parent_focus = None if parent.deactivated else self.focus(parent)
            if parent_focus is not None:  # the value nodes of a node shape are its focus nodes
                values = parent_focus if parent.path is None else self.values(parent, parent_focus, self.fresh(), X)
                branches.append(values)
        pattern = None
        if len(branches) == 1:
            pattern = branches[0]
        elif branches:
            union = " UNION ".join("{ " + b + " }" for b in branches)
            pattern = f"{{ SELECT DISTINCT {X} WHERE {{ {union} }} }}"
        self._focus[s.node] = pattern
        return pattern
