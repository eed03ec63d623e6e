"""SHACL Core (SHACL §2, §4) validated by SPARQL run once over the whole graph, with pySHACL's results.

pySHACL checks each focus node of each shape on its own through rdflib (109 s at a million triples). Here each
shape becomes a few SPARQL queries, each run once on the pyoxigraph store: the focus nodes are a graph pattern
(the targets of SHACL §2.1.3 — ``sh:targetClass`` through ``rdf:type/rdfs:subClassOf*`` in the data graph,
``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class targets — and the value nodes
of every shape pointing at the shape with ``sh:property``), the value nodes are that pattern joined with the
path, and the constraints filter or count them. Entry point: ``validate_core``; ``core_violations`` turns its
results into the ``Violation``s ``validate.shacl_violations`` makes.

Covered, each as pySHACL 0.40 evaluates it, quirks included (pySHACL is the reference): class; datatype, an
ill-typed literal decided by rdflib's ``ill_typed`` and pySHACL's value types; nodeKind; minCount; maxCount;
min/maxInclusive and min/maxExclusive by pySHACL's literal comparison; minLength; maxLength; pattern with
flags i and m (Python ``re``); languageIn; uniqueLang; in; hasValue; equals; disjoint; lessThan;
lessThanOrEquals; not; and; or; xone; node; property; qualifiedValueShape with qualifiedMinCount,
qualifiedMaxCount and qualifiedValueShapesDisjoint; closed with ignoredProperties; deactivated; severity;
message (the shape's sh:message, else pySHACL's default wording for class, datatype, nodeKind, min/maxCount,
ranges, min/maxLength, pattern, languageIn, uniqueLang and node, and a short text of our own for the rest).
Tests SPARQL cannot decide as pySHACL does (datatype lexical forms, ranges, patterns, lessThan) call back into
Python through pyoxigraph custom functions.

Nested shapes (sh:node, sh:not, sh:and, sh:or, sh:xone, sh:qualifiedValueShape, and sh:property inside them)
become an expression on the value node where the nested shape is a node shape of value tests only
(``[ sh:datatype xsd:date ]``). Otherwise the nodes failing it are computed once, by the same queries, over
all candidate value nodes, and a custom function asks whether a node is among them.

Falls back to pySHACL for just the shapes that need it (pySHACL gets the shapes graph without the targets of
the others; its results are merged in): recursive shapes (and cycles of sh:property); shapes using a
constraint component declared in the shapes graph (SHACL-SPARQL components); blank-node ``sh:targetNode``
values; malformed shapes, which pySHACL reports its own way (it raises; so does validate_core then); and
``sh:datatype xsd:boolean`` when ``data`` holds an ill-typed boolean: rdflib keeps "ja"^^xsd:boolean as
"false" flagged ill-typed, pySHACL reports it, the store sees a valid "false", so it is caught only when
``data`` is passed. Not evaluated: ``sh:sparql`` (pass ``split(shapes)[0]``; ``sparql_constraints`` evaluates
those) and SHACL-AF (pySHACL ignores it by default too).

Known differences, all about literals the store normalises: pyoxigraph keeps numeric literals in canonical
form (``"1.50"^^xsd:decimal`` becomes ``"1.5"``; rdflib already turns ``"007"^^xsd:integer`` into ``"7"``),
takes ``"a"`` and ``"a"^^xsd:string`` for one term and lower-cases language tags; a result's value, a count of
values, or ``sh:datatype rdfs:Datatype`` on an explicit ``xsd:string`` can differ for such literals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD, NamespaceManager
from rdflib.term import Node

from .engine import OxigraphEngine
from .errors import InputError
from .shacl_sparql import (
    RANGES,
    TYPE_OF,
    Path,
    ShapeError,
    Unsupported,
    V,
    all_of,
    any_of,
    class_test,
    datatype_expression,
    datatype_ok,
    exactly_one,
    has_zero_length,
    in_range,
    in_test,
    language_test,
    length_test,
    less_than,
    node_kind_test,
    parse_path,
    path_pattern,
    path_predicates,
    sparql_term,
    tested_class,
    to_rdflib,
)

if TYPE_CHECKING:
    from .validate import Violation

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Test = str  # a SPARQL expression over shacl_sparql.V, true where the value node passes
Row = tuple[OxTerm, OxTerm | None, Node | None, URIRef]  # focus, value, path if not the shape's, component

X = "?__x"  # the variable of a focus pattern: replaced by the variable that is to hold the focus nodes
FUNCTIONS = "urn:x-krefeld-kg:shacl-core:function:"
_TRUE, _FALSE = ox.Literal(True), ox.Literal(False)

#: The parameters of the components that test each value node on its own.
VALUE_TESTS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive,
    SH.minLength, SH.maxLength, SH.pattern, SH.languageIn, SH["in"], SH.node, SH["not"], SH["and"], SH["or"],
    SH.xone,
}  # fmt: skip
#: Every parameter of a SHACL Core constraint component (sh:flags goes with sh:pattern).
PARAMETERS = VALUE_TESTS | {
    SH.minCount, SH.maxCount, SH.uniqueLang, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
    SH.property, SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.closed, SH.ignoredProperties, SH.hasValue,
}  # fmt: skip


@dataclass(frozen=True)
class CoreResult:
    """One validation result (SHACL §3.4), in rdflib terms; ``path`` and ``shape`` are nodes of the shapes
    graph (blank nodes included), ``value`` is None where the component reports none."""

    focus: Node
    path: Node | None
    value: Node | None
    component: URIRef
    shape: Node
    severity: Node
    message: str


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


def _use(test: Test, var: str) -> str:
    return test.replace(V, var)


class Compiler:
    """Compiles the shapes of one shapes graph into queries on one store, and runs them."""

    def __init__(self, store: ox.Store, shapes: Graph, data: Graph | None = None) -> None:
        self.store = store
        self.g = shapes
        self.data = data
        self.shapes = find_shapes(shapes)
        self.custom = _custom_parameters(shapes)
        self.functions: dict[ox.NamedNode, Callable[..., OxTerm | None]] = {}
        self._fresh = 0
        self._focus: dict[Node, str | None] = {}
        self._failing: dict[tuple[Node, str], frozenset[OxTerm]] = {}
        self._stack: list[Node] = []
        self._hidden: bool | None = None

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
                answer = cache[term] = _TRUE if fn(term) else _FALSE
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
        return f"{keyword} {{ {self.along(s, '?this', '?v')} FILTER({_use(test, '?v')}) }}"

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

    # ---- tests of single value nodes ------------------------------------------------------------------

    def value_tests(self, s: Shape, candidates: Callable[[], str]) -> list[tuple[URIRef, Test]]:
        """A (component, test) pair for each value-node constraint of the shape. ``candidates`` gives the
        pattern of the value nodes (as X) over which nested shapes are checked."""
        g, tests = self.g, []
        tests += [(SH.ClassConstraintComponent, class_test(c)) for c in self.params(s, SH["class"])]
        datatype = self.single(s, SH.datatype)
        if datatype is not None:
            tests.append((SH.DatatypeConstraintComponent, self.datatype_test(datatype)))
        kind = self.single(s, SH.nodeKind)
        if kind is not None:
            tests.append((SH.NodeKindConstraintComponent, node_kind_test(kind)))
        for parameter, (component, accept) in RANGES.items():
            for bound in self.params(s, parameter):
                if not isinstance(bound, Literal):
                    raise ShapeError(f"{parameter} of shape {s.node} must be a literal")
                test = self.function(partial(in_range, bound=bound, accept=accept))
                tests.append((component, f"(isLiteral({V}) && {test})"))
        for parameter, component, op in (
            (SH.minLength, SH.MinLengthConstraintComponent, ">="),
            (SH.maxLength, SH.MaxLengthConstraintComponent, "<="),
        ):
            length = self.integer(s, parameter)
            if length is not None:
                tests.append((component, length_test(length, op)))
        flags = str(self.single(s, SH.flags) or "").lower()
        for pattern in self.params(s, SH.pattern):
            regex = re.compile(str(pattern), (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0))
            test = self.function(partial(_matches, regex))
            tests.append((SH.PatternConstraintComponent, f"(!isBlank({V}) && {test})"))
        languages = self.single(s, SH.languageIn)
        if languages is not None:
            tests.append((SH.LanguageInConstraintComponent, language_test(g.items(languages))))
        members = self.single(s, SH["in"])
        if members is not None:
            tests.append((SH.InConstraintComponent, in_test(g.items(members))))
        tests += [(SH.NodeConstraintComponent, self.conforms(n, candidates)) for n in self.params(s, SH.node)]
        tests += [(SH.NotConstraintComponent, f"!({self.conforms(n, candidates)})") for n in self.params(s, SH["not"])]
        for members in self.params(s, SH["and"]):  # pySHACL takes and/or members as a set, xone members as a list
            tests.append(
                (SH.AndConstraintComponent, all_of(self.conforms(m, candidates) for m in set(g.items(members))))
            )
        for members in self.params(s, SH["or"]):
            tests.append(
                (SH.OrConstraintComponent, any_of(self.conforms(m, candidates) for m in set(g.items(members))))
            )
        for members in self.params(s, SH.xone):
            tests.append(
                (SH.XoneConstraintComponent, exactly_one(self.conforms(m, candidates) for m in g.items(members)))
            )
        return tests

    def datatype_test(self, datatype: Node) -> Test:
        expression, check = datatype_expression(datatype)
        if datatype == XSD.boolean and self.hides_ill_typed_booleans():
            raise Unsupported("the data holds ill-typed xsd:boolean literals that rdflib keeps as true or false")
        if not check:
            return expression
        assert isinstance(datatype, URIRef)
        return f"({expression} && {self.function(partial(datatype_ok, datatype=datatype))})"

    def hides_ill_typed_booleans(self) -> bool:
        """Whether ``data`` holds an ill-typed xsd:boolean at a predicate of a path of the shapes: rdflib keeps
        "ja"^^xsd:boolean as "false" flagged ill-typed, pySHACL reports it, the store sees a valid "false"."""
        if self.data is None:
            return False
        if self._hidden is None:
            predicates = {p for p in self.g.objects(None, SH.targetObjectsOf) if isinstance(p, URIRef)}
            for s in self.shapes.values():
                predicates |= path_predicates(s.path) if s.path is not None else set()
            # The store finds its booleans (all "true" or "false") fast; rdflib is asked about each such triple
            # through the subject, which yields the very literal, flag and all, that pySHACL sees.
            query = "SELECT ?s ?p WHERE { { ?s ?p true } UNION { ?s ?p false } }"
            self._hidden = any(
                isinstance(o, Literal) and o.datatype == XSD.boolean and o.ill_typed
                for s, p in self.select(query)
                if (predicate := to_rdflib(p)) in predicates
                for o in self.data.objects(to_rdflib(s), predicate)
            )
        return self._hidden

    # ---- nested shapes --------------------------------------------------------------------------------

    def conforms(self, node: Node, candidates: Callable[[], str]) -> Test:
        """The test that a value node conforms to the shape ``node``: no result of it, at any severity."""
        s = self.shape(node)
        if s.deactivated:
            return "true"
        if s.node in self._stack:
            raise Unsupported(f"{s.node} is recursive")
        self._stack.append(s.node)
        try:
            parameters = {p for p in self.g.predicates(s.node) if p in PARAMETERS}
            if s.path is None and parameters <= VALUE_TESTS:
                return all_of(test for _, test in self.value_tests(s, candidates))
            failing = self.failing(s, candidates())
        finally:
            self._stack.pop()
        return self.function(lambda t: t not in failing) if failing else "true"

    def failing(self, s: Shape, candidates: str) -> frozenset[OxTerm]:
        """The nodes bound by the pattern ``candidates`` (as X) that do not conform to the shape."""
        key = (s.node, candidates)
        if key not in self._failing:
            found = {row[0] for row in self.results_of(s, candidates, nested=True)}
            for child in self.params(s, SH.property):
                test = self.conforms(child, lambda: self.values(s, candidates, self.fresh(), X))
                values = self.values(s, candidates, "?this", "?value")
                query = f"SELECT DISTINCT ?this WHERE {{ {values} FILTER(!{_use(test, '?value')}) }}"
                found.update(row[0] for row in self.foci(query, SH.PropertyConstraintComponent))
            self._failing[key] = frozenset(found)
        return self._failing[key]

    # ---- the constraints of one shape -----------------------------------------------------------------

    def results_of(self, s: Shape, focus: str, nested: bool = False) -> Iterator[Row]:
        """The results of the shape's own constraints (sh:property aside) for the focus nodes of ``focus``.
        ``nested``: only the focus nodes matter (conformance), so results need not be told apart."""
        self.shape(s.node)  # Unsupported for a custom component or a malformed path
        if s.path is None:
            for p in (SH.minCount, SH.maxCount, SH.uniqueLang, SH.lessThan, SH.lessThanOrEquals):
                if self.params(s, p):
                    raise ShapeError(f"{p} is only allowed on property shapes, not on {s.node}")
        tests = self.value_tests(s, lambda: self.values(s, focus, self.fresh(), X))
        if tests:
            yield from self.test_rows(s, focus, tests, nested)
        yield from self.count_rows(s, focus)
        yield from self.qualified_rows(s, focus)
        if self.single(s, SH.uniqueLang) == Literal(True):
            query = (
                f"SELECT ?this ?lang WHERE {{ {self.values(s, focus, '?this', '?value')} "
                f'FILTER(isLiteral(?value) && LANG(?value) != "") BIND(LCASE(LANG(?value)) AS ?lang) }} '
                "GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?value) > 1)"
            )
            yield from self.foci(query, SH.UniqueLangConstraintComponent)
        this = focus.replace(X, "?this")
        for value in self.params(s, SH.hasValue):
            same = f"sameTerm({V}, {sparql_term(value) or '[]'})"
            missing = f"FILTER(!{_use(same, '?this')})" if s.path is None else self.without_values(s, same)
            yield from self.foci(f"SELECT DISTINCT ?this WHERE {{ {this} {missing} }}", SH.HasValueConstraintComponent)
        yield from self.pair_rows(s, focus)
        yield from self.closed_rows(s, focus)

    def test_rows(self, s: Shape, focus: str, tests: list[tuple[URIRef, Test]], nested: bool) -> Iterator[Row]:
        """One query for all value tests of the shape: the rows failing any, then (for those rows only) which.
        A class test becomes an OPTIONAL on the instances of the class: one hash join, not an EXISTS per value."""
        pattern = self.values(s, focus, "?this", "?value")
        hoisted = []
        for component, test in tests:
            if (cls := tested_class(test)) is not None:
                flag = self.fresh()
                pattern += f" OPTIONAL {{ ?value {TYPE_OF} {cls} BIND(true AS {flag}) }}"
                test = f"BOUND({flag})"
            hoisted.append((component, test))
        tests = hoisted
        failing = f"FILTER(!{_use(all_of(t for _, t in tests), '?value')})"
        if nested:
            yield from self.foci(f"SELECT DISTINCT ?this WHERE {{ {pattern} {failing} }}", SH.NodeConstraintComponent)
            return
        flags = [f"?_fails{i}" for i in range(len(tests))]
        which = " ".join(f"BIND(!{_use(all_of([t]), '?value')} AS {f})" for (_, t), f in zip(tests, flags, strict=True))
        for row in self.select(
            f"SELECT DISTINCT ?this ?value {' '.join(flags)} WHERE {{ {pattern} {failing} {which} }}"
        ):
            assert row[0] is not None
            yield from ((row[0], row[1], None, c) for i, (c, _) in enumerate(tests) if row[2 + i] == _TRUE)

    def count_rows(self, s: Shape, focus: str) -> Iterator[Row]:
        least, most = self.integer(s, SH.minCount) or None, self.integer(s, SH.maxCount)
        if s.path is None or (least is None and most is None):
            return
        if least == 1 and most is None:
            query = f"SELECT DISTINCT ?this WHERE {{ {focus.replace(X, '?this')} {self.without_values(s, 'true')} }}"
            yield from self.foci(query, SH.MinCountConstraintComponent)
            return
        for focus_node, count in self.counts(s, focus, "true", least, most):
            if least is not None and count < least:
                yield focus_node, None, None, SH.MinCountConstraintComponent
            if most is not None and count > most:
                yield focus_node, None, None, SH.MaxCountConstraintComponent

    def counts(
        self, s: Shape, focus: str, test: Test, least: int | None, most: int | None
    ) -> Iterator[tuple[OxTerm, int]]:
        """(focus node, number of its value nodes passing ``test``) where below ``least`` or above ``most``."""
        assert s.path is not None
        passing = f"FILTER({_use(test, '?v')})"
        if least is None:  # only too many values count: focus nodes without any need not be seen
            body = f"{self.values(s, focus, '?this', '?v')} {passing}"
        elif has_zero_length(s.path):  # the focus nodes on their own, and with their values
            body = f"{{ {focus.replace(X, '?this')} }} UNION {{ {self.values(s, focus, '?this', '?v')} {passing} }}"
        else:
            body = f"{focus.replace(X, '?this')} OPTIONAL {{ {self.along(s, '?this', '?v')} {passing} }}"
        having = [f"COUNT(DISTINCT ?v) {op} {n}" for op, n in (("<", least), (">", most)) if n is not None]
        query = (
            f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {body} }} GROUP BY ?this HAVING ({' || '.join(having)})"
        )
        for focus_node, count in self.select(query):
            assert focus_node is not None and isinstance(count, ox.Literal)
            yield focus_node, int(count.value)

    def qualified_rows(self, s: Shape, focus: str) -> Iterator[Row]:
        value_shapes = self.params(s, SH.qualifiedValueShape)
        least, most = self.integer(s, SH.qualifiedMinCount), self.integer(s, SH.qualifiedMaxCount)
        if s.path is None or not value_shapes:  # pySHACL skips the component on a node shape
            return
        if least is None and most is None:
            raise ShapeError(f"sh:qualifiedValueShape without sh:qualifiedMinCount or sh:qualifiedMaxCount on {s.node}")
        least = least or None  # a minimum of 0 always holds
        if least is None and most is None:
            return
        candidates = lambda: self.values(s, focus, self.fresh(), X)  # noqa: E731
        disjoint = any(d == Literal(True) for d in self.params(s, SH.qualifiedValueShapesDisjoint))
        for value_shape in value_shapes:
            counted = self.conforms(value_shape, candidates)
            if disjoint:  # pySHACL's siblings: the qualified value shapes of the parents' other property shapes
                siblings = {
                    sibling
                    for parent in self.g.subjects(SH.property, s.node)
                    for other in self.g.objects(parent, SH.property)
                    for sibling in self.g.objects(other, SH.qualifiedValueShape)
                    if sibling != value_shape and sibling in self.shapes
                }
                if siblings:
                    counted = all_of(
                        [counted, f"!COALESCE({any_of(self.conforms(n, candidates) for n in siblings)}, true)"]
                    )
            if least == 1 and most is None:
                query = (
                    f"SELECT DISTINCT ?this WHERE {{ {focus.replace(X, '?this')} {self.without_values(s, counted)} }}"
                )
                yield from self.foci(query, SH.QualifiedMinCountConstraintComponent)
                continue
            for focus_node, count in self.counts(s, focus, all_of([counted]), least, most):
                if least is not None and count < least:
                    yield focus_node, None, None, SH.QualifiedMinCountConstraintComponent
                if most is not None and count > most:
                    yield focus_node, None, None, SH.QualifiedMaxCountConstraintComponent

    def pair_rows(self, s: Shape, focus: str) -> Iterator[Row]:
        """sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals: the value nodes against the objects of a
        predicate at the focus node (pySHACL reads the parameter as a predicate only)."""
        this, values = focus.replace(X, "?this"), self.values(s, focus, "?this", "?value")
        queries = []
        for other in self.params(s, SH.equals):
            if not isinstance(other, URIRef):  # no objects to compare with: every value node is missing
                queries.append((f"SELECT DISTINCT ?this ?value WHERE {{ {values} }}", SH.EqualsConstraintComponent))
                continue
            own = (
                "FILTER(!sameTerm(?value, ?this))"
                if s.path is None
                else f"FILTER NOT EXISTS {{ {self.along(s, '?this', '?w')} FILTER(sameTerm(?w, ?value)) }}"
            )
            for body in (
                f"{values} FILTER NOT EXISTS {{ ?this <{other}> ?value }}",
                f"{this} ?this <{other}> ?value . {own}",
            ):
                queries.append((f"SELECT DISTINCT ?this ?value WHERE {{ {body} }}", SH.EqualsConstraintComponent))
        for other in self.params(s, SH.disjoint):
            if isinstance(other, URIRef):
                query = f"SELECT DISTINCT ?this ?value WHERE {{ {values} ?this <{other}> ?value }}"
                queries.append((query, SH.DisjointConstraintComponent))
        for query, component in queries:
            yield from ((row[0], row[1], None, component) for row in self.select(query) if row[0] is not None)
        for parameter, component in (
            (SH.lessThan, SH.LessThanConstraintComponent),
            (SH.lessThanOrEquals, SH.LessThanOrEqualsConstraintComponent),
        ):
            for other in self.params(s, parameter):
                if not isinstance(other, URIRef):
                    raise ShapeError(f"{parameter} of {s.node} must be an IRI")
                query = f"SELECT DISTINCT ?this ?value ?other WHERE {{ {values} ?this <{other}> ?other }}"
                for focus_node, value, compared in self.select(query):
                    assert focus_node is not None
                    if isinstance(value, ox.BlankNode) or isinstance(compared, ox.BlankNode):
                        raise ShapeError(f"{parameter} cannot compare blank nodes (shape {s.node})")
                    if not less_than(to_rdflib(value), to_rdflib(compared), parameter == SH.lessThanOrEquals):
                        yield focus_node, value, None, component

    def closed_rows(self, s: Shape, focus: str) -> Iterator[Row]:
        closed = self.single(s, SH.closed)
        if closed is None and self.params(s, SH.ignoredProperties):
            raise ShapeError(f"sh:ignoredProperties without sh:closed on {s.node}")
        if not (isinstance(closed, Literal) and closed.value):
            return
        allowed = {p for ignored in self.params(s, SH.ignoredProperties) for p in self.g.items(ignored)}
        for child in self.params(s, SH.property):
            path = self.shape(child).path_node
            if path is not None:  # a path that is not an IRI allows no predicate (below)
                allowed.add(path)
        terms = sorted(t for t in map(sparql_term, allowed) if t is not None and t.startswith("<"))
        not_allowed = f"FILTER(?p NOT IN ({', '.join(terms)}))" if terms else ""
        query = (
            f"SELECT DISTINCT ?this ?o ?p WHERE {{ {self.values(s, focus, '?this', '?value')} ?value ?p ?o . "
            f"{not_allowed} FILTER(!(sameTerm(?p, <{RDF.type}>) && sameTerm(?o, <{RDFS.Resource}>))) }}"
        )
        for focus_node, value, predicate in self.select(query):
            assert focus_node is not None
            yield focus_node, value, to_rdflib(predicate), SH.ClosedConstraintComponent


def _matches(regex: re.Pattern[str], term: OxTerm) -> bool:
    """pySHACL's sh:pattern: a search in the lexical form of a literal or the text of an IRI."""
    return isinstance(term, ox.NamedNode | ox.Literal) and regex.search(term.value) is not None


class Messages:
    """pySHACL's default result messages (its ``make_generic_messages``) for shapes without sh:message, for the
    components whose message the shapes graph and the focus node make; nodes written as pySHACL's
    ``stringify_node`` writes them, with the prefixes of the shapes graph and of ``data`` (if given)."""

    def __init__(self, shapes: Graph, data: Graph | None) -> None:
        self.g = shapes
        self.data = data
        self.sg, self.dg = (_prefixes(g) for g in (shapes, data if data is not None else Graph()))

    def text(self, s: Shape, component: URIRef, focus: Node) -> str:
        if s.message is not None:
            return s.message
        shape_node = partial(self.node, self.g, self.sg)
        rules = list(self.g.objects(s.node, _PARAMETER_OF.get(component, SH.message)))
        one = shape_node(rules[0]) if rules else ""
        if component in (SH.MinCountConstraintComponent, SH.MaxCountConstraintComponent):
            assert s.path_node is not None and isinstance(rules[0], Literal)
            where = self.node(self.data, self.dg, focus) if self.data is not None else str(focus)
            more = "Less" if component == SH.MinCountConstraintComponent else "More"
            return f"{more} than {rules[0].value} values on {where}->{shape_node(s.path_node)}"
        if component in (SH.MinLengthConstraintComponent, SH.MaxLengthConstraintComponent):
            op = ">=" if component == SH.MinLengthConstraintComponent else "<="
            return f"String length not {op} {self.node(self.data or self.g, self.dg, rules[0])}"
        if component == SH.PatternConstraintComponent:
            if len(rules) == 1:
                return f"Value does not match pattern '{_value(rules[0])}'"
            return "Value does not match every pattern in ('{}')".format("', '".join(map(_value, rules)))
        if component in _RANGE_TEXTS:
            op = _RANGE_TEXTS[component]
            return (
                f"Value is not {op} {one}"
                if len(rules) == 1
                else f"Value is not {op} in ({', '.join(map(shape_node, rules))})"
            )
        if component == SH.ClassConstraintComponent and len(rules) > 1:
            return "Value class is not in classes ({})".format(", ".join(map(shape_node, rules)))
        if component == SH.NodeConstraintComponent and len(rules) > 1:
            every = "', '".join(map(shape_node, rules))
            return f"Value must conform to every Shape in ('{every}'). See details for more information."
        if component == SH.UniqueLangConstraintComponent:
            return "More than one String shares the same Language"
        if component in _TEXTS and len(rules) == 1:
            return _TEXTS[component].format(one)
        name = component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
        return f"breaks sh:{name[:1].lower()}{name[1:]}"

    def node(self, g: Graph, ns: NamespaceManager, node: Node, depth: int = 0) -> str:
        """pySHACL's ``stringify_node``."""
        if isinstance(node, Literal):
            value = None if node.value is None else str(node.value)
            value = value.split(" object at 0x")[0] if value is not None and " object at 0x" in value[1:] else value
            text = f'"{node}" = {value}' if value is not None and value != str(node) else f'"{node}"'
            text += f", lang={node.language}" if node.language else ""
            text += f", datatype={self.node(g, ns, node.datatype)}" if node.datatype else ""
            return f"Literal({text})"
        if isinstance(node, BNode):
            return self.blank(g, ns, node, depth + 1)
        if isinstance(node, URIRef):
            return node.n3(namespace_manager=ns)
        return str(node)

    def blank(self, g: Graph, ns: NamespaceManager, node: BNode, depth: int) -> str:
        """pySHACL's ``stringify_blank_node``."""
        if depth >= 12:
            return "<http://recursion.too.deep>"
        predicates = set(g.predicates(node))
        if not predicates:
            return "[ ]"
        if RDF.first in predicates:
            return "( {} )".format(" ".join(self.node(g, ns, item, depth + 1) for item in g.items(node)))
        texts = {}
        for p in predicates:
            objects = [
                "<self>" if p == OWL.sameAs and o == node else self.node(g, ns, o, depth + 1)
                for o in g.objects(node, p)
            ]
            texts[p.n3(namespace_manager=ns)] = ", ".join(sorted(objects)) if len(objects) > 1 else objects[0]
        return "[ {} ]".format(" ; ".join(f"{p} {o}" for p, o in sorted(texts.items())))


def _prefixes(g: Graph) -> NamespaceManager:
    """A copy of the graph's prefixes with sh: added, as pySHACL adds it (to the graph itself)."""
    ns = NamespaceManager(Graph(bind_namespaces="none"), bind_namespaces="none")
    for prefix, namespace in g.namespaces():
        ns.bind(prefix, namespace, override=True, replace=True)
    ns.bind("sh", SH, override=False, replace=False)
    return ns


def _value(literal: Node) -> str:
    return str(literal.value) if isinstance(literal, Literal) else str(literal)


_PARAMETER_OF = {
    SH.ClassConstraintComponent: SH["class"], SH.DatatypeConstraintComponent: SH.datatype,
    SH.NodeKindConstraintComponent: SH.nodeKind, SH.MinCountConstraintComponent: SH.minCount,
    SH.MaxCountConstraintComponent: SH.maxCount, SH.MinLengthConstraintComponent: SH.minLength,
    SH.MaxLengthConstraintComponent: SH.maxLength, SH.PatternConstraintComponent: SH.pattern,
    SH.LanguageInConstraintComponent: SH.languageIn, SH.NodeConstraintComponent: SH.node,
    SH.MinExclusiveConstraintComponent: SH.minExclusive, SH.MinInclusiveConstraintComponent: SH.minInclusive,
    SH.MaxExclusiveConstraintComponent: SH.maxExclusive, SH.MaxInclusiveConstraintComponent: SH.maxInclusive,
}  # fmt: skip
_RANGE_TEXTS = {
    SH.MinExclusiveConstraintComponent: ">", SH.MinInclusiveConstraintComponent: ">=",
    SH.MaxExclusiveConstraintComponent: "<", SH.MaxInclusiveConstraintComponent: "<=",
}  # fmt: skip
_TEXTS = {
    SH.ClassConstraintComponent: "Value does not have class {}",
    SH.DatatypeConstraintComponent: "Value is not Literal with datatype {}",
    SH.NodeKindConstraintComponent: "Value is not of Node Kind {}",
    SH.LanguageInConstraintComponent: "String language is not in {}",
    SH.NodeConstraintComponent: "Value does not conform to Shape {}. See details for more information.",
}


def _pyshacl_results(compiler: Compiler, unsupported: set[Node], data: Graph) -> set[CoreResult]:
    """pySHACL's results for the shapes this module does not compile. pySHACL gets the shapes graph less what
    it need not evaluate: the targets of the shapes whose results involve no unsupported shape (through
    sh:property), and the sh:property links to such shapes from the others (whose own constraints pySHACL then
    evaluates once more, to the same results), unless the shape is closed or counts qualified values
    disjointly, where those links matter."""
    from pyshacl import validate as pyshacl_validate  # 0.5 s to import: only when needed

    g = compiler.g
    involved: dict[Node, bool] = {}

    def involves(node: Node) -> bool:
        if node not in involved:
            involved[node] = node in unsupported  # a cycle of sh:property is unsupported itself
            involved[node] = node in unsupported or any(involves(c) for c in g.objects(node, SH.property))
        return involved[node]

    targets = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, RDF.type}
    drop = set()
    for s in compiler.shapes.values():
        if not involves(s.node):
            drop |= {(s.node, p, o) for p, o in g.predicate_objects(s.node) if p in targets}
            drop.discard((s.node, RDF.type, SH.NodeShape))
            drop.discard((s.node, RDF.type, SH.PropertyShape))
        elif (s.node, SH.closed, None) not in g and not any(
            (child, SH.qualifiedValueShapesDisjoint, None) in g for child in g.objects(s.node, SH.property)
        ):
            drop |= {(s.node, SH.property, c) for c in g.objects(s.node, SH.property) if not involves(c)}
    reduced = Graph()
    for triple in g:
        if triple not in drop:
            reduced.add(triple)
    _conforms, report, text = pyshacl_validate(data, shacl_graph=reduced, inference="none", abort_on_first=False)
    if not isinstance(report, Graph):
        raise InputError(f"the shapes cannot be applied: {text}")
    found = set()
    for r in report.objects(None, SH.result):
        focus, component, shape = (
            report.value(r, p) for p in (SH.focusNode, SH.sourceConstraintComponent, SH.sourceShape)
        )
        assert focus is not None and isinstance(component, URIRef) and shape is not None
        message = report.value(r, SH.resultMessage)
        found.add(
            CoreResult(
                focus=focus,
                path=report.value(r, SH.resultPath),
                value=report.value(r, SH.value),
                component=component,
                shape=shape,
                severity=report.value(r, SH.resultSeverity) or SH.Violation,
                message=str(message) if message is not None else "breaks a shape",
            )
        )
    return found


def validate_core(engine: OxigraphEngine, shapes: Graph, *, data: Graph | None = None) -> list[CoreResult]:
    """Every result of the SHACL Core shapes in ``shapes`` on the graph in ``engine``, as pySHACL reports them
    with ``inference="none"`` (its sh:detail results aside). ``data``: the same graph in rdflib, if at hand; it
    lets ill-typed xsd:boolean literals be seen (see the module docstring), and pySHACL need not rebuild it from
    the store when it must stand in for a shape."""
    compiler = Compiler(engine.store, shapes, data)
    messages = Messages(shapes, data)
    found: set[CoreResult] = set()
    unsupported: set[Node] = set()
    for s in sorted(compiler.shapes.values(), key=lambda s: (isinstance(s.node, BNode), str(s.node))):
        if s.deactivated:
            continue
        try:
            pattern = compiler.focus(s)
            rows = list(compiler.results_of(s, pattern)) if pattern is not None else []
        except Unsupported:
            unsupported.add(s.node)
            continue
        for focus_node, value, path, component in rows:
            focus = to_rdflib(focus_node)
            found.add(
                CoreResult(
                    focus=focus,
                    path=path if path is not None else s.path_node,
                    value=None if value is None else to_rdflib(value),
                    component=component,
                    shape=s.node,
                    severity=s.severity,
                    message=messages.text(s, component, focus),
                )
            )
    if unsupported:
        if data is None:
            data = Graph()
            for quad in engine.store:
                data.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        found |= _pyshacl_results(compiler, unsupported, data)
    return sorted(found, key=lambda r: (str(r.focus), str(r.component), str(r.path), str(r.value), str(r.shape)))


def core_violations(results: Iterable[CoreResult]) -> list[Violation]:
    """The results as ``Violation``s, field by field as ``validate.shacl_violations`` makes them."""
    from .validate import Violation  # validate will import this module

    return [
        Violation(
            focus=str(r.focus),
            message=r.message,
            path=None if r.path is None or isinstance(r.path, BNode) else str(r.path),
            value=None if r.value is None else str(r.value),
            severity=str(r.severity).rsplit("#", 1)[-1] if r.severity else "Violation",
            component=str(r.component),
            shape=None if isinstance(r.shape, BNode) else str(r.shape),
        )
        for r in results
    ]
