"""SHACL Core (SHACL §2 and §4) validated by SPARQL run once over the whole graph, with pySHACL's results.

pySHACL checks every focus node of every shape one at a time through rdflib (109 s at a million triples).
Here each shape becomes a handful of SPARQL queries run once on the pyoxigraph store: the focus nodes are a
graph pattern (the targets, SHACL §2.1.3: ``sh:targetClass`` through ``rdf:type/rdfs:subClassOf*``,
``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class targets, and the value
nodes of every shape that points at the shape with ``sh:property``), the value nodes are that pattern joined
with the path (``shacl_paths``), and the constraints filter or count them. Entry point: ``validate_core``.

Covered, each as pySHACL 0.40 evaluates it (its quirks included, since pySHACL is the reference):
class, datatype (an ill-typed literal is decided by rdflib's ``ill_typed`` and value type, as pySHACL does),
nodeKind, minCount, maxCount, min/maxInclusive, min/maxExclusive (pySHACL's literal comparison), minLength,
maxLength, pattern with flags i and m (Python ``re``), languageIn, uniqueLang, in, hasValue, equals,
disjoint, lessThan, lessThanOrEquals, not, and, or, xone, node, property, qualifiedValueShape with
qualifiedMinCount / qualifiedMaxCount / qualifiedValueShapesDisjoint, closed with ignoredProperties,
deactivated, severity, message. Value tests that SPARQL cannot decide as pySHACL does (datatype lexical
forms, range comparisons, patterns) call back into Python through pyoxigraph custom functions.

Nested shapes (sh:node, sh:not, sh:and, sh:or, sh:xone, sh:qualifiedValueShape) become an expression on the
value node when the nested shape is a node shape made only of value tests (``[ sh:datatype xsd:date ]``);
otherwise the nodes that fail the nested shape are computed once, with the same queries, over all candidate
value nodes, and the expression asks a custom function whether the node is among them.

Falls back to pySHACL (run on the data for only the shapes that need it, their results merged in):
recursive shapes, shapes using a constraint component declared in the shapes graph (SHACL-SPARQL components)
and blank-node ``sh:targetNode`` values. Not evaluated: ``sh:sparql`` (pass ``split(shapes)[0]``; the SPARQL
constraints are ``sparql_constraints.evaluate``'s job) and SHACL-AF. Known differences from pySHACL, all about
literals the store normalises: pyoxigraph stores numeric and boolean literals in canonical form
(``"1.50"^^xsd:decimal`` becomes ``"1.5"``), treats ``"a"`` and ``"a"^^xsd:string`` as one term, and lower-cases
language tags, so values, counts and ``sh:datatype rdfs:Datatype`` can differ for such literals.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from .engine import OxigraphEngine, from_ox
from .errors import InputError
from .shacl_paths import Path, Repeat, Step, has_zero_length, parse_path, path_pattern, sparql_term

if TYPE_CHECKING:
    from .validate import Violation

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Test = Callable[[str], str]  # a SPARQL expression, true where the node in the given variable passes

TYPE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
FUNCTIONS = "urn:x-krefeld-kg:shacl-core:function:"
X = "?__x"  # the placeholder variable of a focus pattern: the nodes it binds
_TRUE, _FALSE = ox.Literal(True), ox.Literal(False)

#: The parameters of the components that test each value node on its own.
VALUE_TESTS = {
    SH["class"], SH.datatype, SH.nodeKind, SH.minExclusive, SH.minInclusive, SH.maxExclusive, SH.maxInclusive,
    SH.minLength, SH.maxLength, SH.pattern, SH.languageIn, SH["in"], SH.node, SH["not"], SH["and"], SH["or"],
    SH.xone,
}  # fmt: skip
#: Every parameter of a SHACL Core constraint component (pySHACL's list, sh:sparql aside).
PARAMETERS = VALUE_TESTS | {
    SH.minCount, SH.maxCount, SH.uniqueLang, SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals,
    SH.property, SH.qualifiedValueShape, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.closed, SH.ignoredProperties, SH.hasValue,
}  # fmt: skip
_RANGES = {
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, lambda c: c > 0),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, lambda c: c >= 0),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, lambda c: c < 0),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, lambda c: c <= 0),
}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})", SH.BlankNode: "isBlank({v})", SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})", SH.BlankNodeOrLiteral: "!isIRI({v})", SH.IRIOrLiteral: "!isBlank({v})",
}  # fmt: skip
_VALUE_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
    XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
}  # fmt: skip


@dataclass(frozen=True)
class CoreResult:
    """One validation result (SHACL §3.4): rdflib terms; ``path`` and ``shape`` are nodes of the shapes graph."""

    focus: Node
    path: Node | None
    value: Node | None
    component: URIRef
    shape: Node
    severity: Node
    message: str


class Unsupported(Exception):
    """A construct this module does not compile; the shapes that use it are left to pySHACL."""


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal it is asked to convert; those are expected here."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Parsing weird boolean"
            yield
    finally:
        logger.setLevel(level)


def _rdflib(term: OxTerm) -> Node:
    with _quiet_rdflib():
        return from_ox(term)


def _datatype_ok(lexical: str, datatype: URIRef) -> bool:
    """pySHACL's test for a literal whose datatype IRI is ``datatype``: not ill-typed, and for the datatypes it
    knows, a Python value of the right type."""
    with _quiet_rdflib():
        literal = Literal(lexical, datatype=datatype)
    if literal.ill_typed is True:
        return False
    expected = _VALUE_TYPES.get(datatype)
    return expected is None or isinstance(literal.value, expected)


def _compare(l1: Literal, l2: Literal) -> int:
    """pySHACL's ``compare_literal``."""
    if l1.eq(l2):
        return 0
    if l1.value.__class__ in (datetime, time):
        if l1.value == l2.value:
            return 0
        if l1.value > l2.value:
            return 1
    elif l1 > l2:
        return 1
    return -1


def _in_range(value: Node, bound: Literal, accept: Callable[[int], bool]) -> bool:
    if not isinstance(value, Literal) or isinstance(value.value, str) != isinstance(bound.value, str):
        return False
    try:
        return accept(_compare(value, bound))
    except (TypeError, NotImplementedError):
        return False


def _less(value: Node, other: Node, or_equal: bool) -> bool:
    """pySHACL's sh:lessThan / sh:lessThanOrEquals test of one pair."""
    if isinstance(value, BNode) or isinstance(other, BNode):
        raise InputError("sh:lessThan and sh:lessThanOrEquals cannot compare blank nodes")
    a: object = str(value) if isinstance(value, URIRef) else value
    b: object = str(other) if isinstance(other, URIRef) else other
    a = a.value if isinstance(a, Literal) and isinstance(a.value, str) else a
    b = b.value if isinstance(b, Literal) and isinstance(b.value, str) else b
    if isinstance(a, str) != isinstance(b, str):
        return False
    try:
        return bool(a <= b if or_equal else a < b)  # type: ignore[operator]
    except TypeError:
        return False


@dataclass
class Shape:
    node: Node
    path_node: Node | None  # the sh:path value: the result path of a property shape
    path: Path | None
    deactivated: bool
    severity: Node
    message: str | None


def find_shapes(g: Graph) -> dict[Node, Shape]:
    """The shapes of a shapes graph, found as pySHACL finds them."""
    declared = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    implied = {
        s for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf) for s in g.subjects(p)
    }
    implied |= set(g.subjects(SH.property)) | set(g.subjects(SH.node))
    for p in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape):
        implied |= set(g.objects(None, p))
    for p in (SH["and"], SH["or"], SH.xone):
        for members in g.objects(None, p):
            implied |= set(g.items(members))
    shapes = {}
    for node in declared | implied:
        if isinstance(node, Literal):
            continue
        paths = list(g.objects(node, SH.path))
        if len(paths) > 1:
            raise InputError(f"shape {node} has more than one sh:path")
        flags = list(g.objects(node, SH.deactivated))
        messages = sorted(str(m) for m in g.objects(node, SH.message))
        shapes[node] = Shape(
            node=node,
            path_node=paths[0] if paths else None,
            path=parse_path(g, paths[0]) if paths else None,
            deactivated=bool(flags and isinstance(flags[0], Literal) and flags[0].value),
            severity=g.value(node, SH.severity) or SH.Violation,
            message=messages[0] if messages else None,
        )
    return shapes


def _is_boolean(term: Node) -> bool:
    return isinstance(term, Literal) and term.datatype == XSD.boolean


def _predicates(path: Path | None) -> set[URIRef]:
    if path is None:
        return set()
    if isinstance(path, Step):
        return {path.predicate}
    if isinstance(path, Repeat):
        return _predicates(path.item)
    return set().union(*(_predicates(p) for p in path.items))


def _custom_parameters(g: Graph) -> set[Node]:
    """The parameters of constraint components declared in the shapes graph (SHACL-SPARQL, SHACL §6)."""
    kinds = {SH.ConstraintComponent, *g.subjects(RDFS.subClassOf, SH.ConstraintComponent)}
    found: set[Node] = set()
    for kind in kinds:
        for component in g.subjects(RDF.type, kind):
            if isinstance(component, URIRef) and component.startswith(str(SH)):
                continue
            for parameter in g.objects(component, SH.parameter):
                found.update(g.objects(parameter, SH.path))
    return found


def _rows(solutions: object) -> Iterator[ox.QuerySolution]:
    assert isinstance(solutions, ox.QuerySolutions)
    yield from solutions


class Compiler:
    """Compiles the shapes of one shapes graph into queries on one store and runs them."""

    def __init__(self, store: ox.Store, shapes: Graph, data: Graph | None = None) -> None:
        self.store = store
        self.g = shapes
        self.data = data
        self.shapes = find_shapes(shapes)
        self.custom = _custom_parameters(shapes)
        self.functions: dict[ox.NamedNode, Callable[..., ox.Literal | None]] = {}
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
        """Register a Python test of one term as a SPARQL function; the test of its result per term is cached."""
        name = ox.NamedNode(f"{FUNCTIONS}{len(self.functions)}")
        cache: dict[OxTerm, ox.Literal] = {}

        def call(term: OxTerm) -> ox.Literal:
            result = cache.get(term)
            if result is None:
                result = cache[term] = _TRUE if fn(term) else _FALSE
            return result

        self.functions[name] = call
        return lambda v: f"<{name.value}>({v})"

    def select(self, query: str) -> Iterator[ox.QuerySolution]:
        try:
            return _rows(self.store.query(query, custom_functions=self.functions or None))  # type: ignore[arg-type]
        except SyntaxError as exc:  # a bug here, not in the shapes: say which query
            raise InputError(f"cannot run the compiled SHACL query: {exc}\n{query}") from None

    def shape(self, node: Node) -> Shape:
        if self.custom & set(self.g.predicates(node)):
            raise Unsupported(f"{node} uses a constraint component declared in the shapes graph")
        try:
            return self.shapes[node]
        except KeyError:
            raise InputError(f"{node} is used as a shape but is not one") from None

    def values(self, s: Shape, focus: str, this: str, value: str) -> str:
        """The pattern binding ``this`` to the focus nodes and ``value`` to their value nodes."""
        source = focus.replace(X, this)
        if s.path is None:
            return f"{source} BIND({this} AS {value})"
        return path_pattern(s.path, source, this, value, self.fresh)

    def along(self, s: Shape, this: str, value: str) -> str:
        """The value nodes of an already bound ``this`` (in EXISTS, OPTIONAL or after the focus pattern)."""
        assert s.path is not None
        return path_pattern(s.path, "", this, value, self.fresh)

    def without_values(self, s: Shape, test: str) -> str:
        """Keeps the solutions whose ?this has no value node passing ``test`` on ?v. MINUS (a hash anti-join,
        faster than one EXISTS probe per focus node) needs a path that binds ?this itself: no zero length."""
        assert s.path is not None
        if has_zero_length(s.path):
            return f"FILTER NOT EXISTS {{ {self.along(s, '?this', '?v')} FILTER({test}) }}"
        return f"MINUS {{ {self.along(s, '?this', '?v')} FILTER({test}) }}"

    def params(self, s: Shape, parameter: URIRef) -> list[Node]:
        return list(self.g.objects(s.node, parameter))

    def single(self, s: Shape, parameter: URIRef) -> Node | None:
        found = self.params(s, parameter)
        if len(found) > 1:
            raise InputError(f"shape {s.node} has more than one {parameter}")
        return found[0] if found else None

    def integer(self, s: Shape, parameter: URIRef) -> int | None:
        found = self.single(s, parameter)
        if found is None:
            return None
        if not isinstance(found, Literal) or not isinstance(found.value, int) or found.value < 0:
            raise InputError(f"{parameter} of shape {s.node} must be a non-negative integer")
        return found.value

    def property_only(self, s: Shape, parameter: URIRef) -> None:
        if s.path is None and self.params(s, parameter):
            raise InputError(f"{parameter} is only allowed on property shapes, not on {s.node}")

    # ---- focus nodes ----------------------------------------------------------------------------------

    def targets(self, s: Shape) -> list[str]:
        g, branches = self.g, []
        classes = [c for c in g.objects(s.node, SH.targetClass) if isinstance(c, URIRef)]
        metaclasses = {RDFS.Class, OWL.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}
        if isinstance(s.node, URIRef) and metaclasses & set(g.objects(s.node, RDF.type)):
            classes.append(s.node)  # an implicit class target (SHACL §2.1.3.3)
        branches += [f"{X} {TYPE_OF} <{c}> ." for c in sorted(set(classes))]
        nodes = list(g.objects(s.node, SH.targetNode))
        if any(isinstance(n, BNode) for n in nodes):
            raise Unsupported(f"{s.node} has a blank node as sh:targetNode")
        if nodes:
            branches.append(f"VALUES {X} {{ {' '.join(sorted(str(sparql_term(n)) for n in nodes))} }}")
        for p in g.objects(s.node, SH.targetSubjectsOf):
            if isinstance(p, URIRef):
                branches.append(f"{X} <{p}> {self.fresh()} .")
        for p in g.objects(s.node, SH.targetObjectsOf):
            if isinstance(p, URIRef):
                branches.append(f"{self.fresh()} <{p}> {X} .")
        return branches

    def focus(self, s: Shape) -> str | None:
        """The pattern of the focus nodes a shape has in pySHACL's report: its targets and the value nodes of
        the active shapes that point at it with sh:property and have focus nodes themselves. None: no focus."""
        if s.node in self._focus:
            pattern = self._focus[s.node]
            if pattern == "":
                raise Unsupported(f"{s.node} is part of a cycle of sh:property")
            return pattern
        self._focus[s.node] = ""  # in progress
        branches = self.targets(s)
        for parent_node in sorted(self.g.subjects(SH.property, s.node), key=str):
            parent = self.shape(parent_node)
            if parent.deactivated:
                continue
            if s.path is None:
                raise InputError(f"{s.node} is the value of sh:property but has no sh:path")
            parent_focus = self.focus(parent)
            if parent_focus is not None:  # the value nodes of a node shape are its focus nodes
                branches.append(parent_focus if parent.path is None else self.values(parent, parent_focus, self.fresh(), X))
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
        pattern of the value nodes (``X``), for nested shapes whose failing nodes must be computed."""
        g, tests = self.g, []
        for c in self.params(s, SH["class"]):
            term = sparql_term(c)
            tests.append((SH.ClassConstraintComponent, self.class_test(term)))
        datatype = self.single(s, SH.datatype)
        if datatype is not None:
            tests.append((SH.DatatypeConstraintComponent, self.datatype_test(datatype)))
        kind = self.single(s, SH.nodeKind)
        if kind is not None:
            template = _NODE_KINDS.get(kind, "false")
            tests.append((SH.NodeKindConstraintComponent, lambda v, t=template: t.format(v=v)))
        for parameter, (component, accept) in _RANGES.items():
            for bound in self.params(s, parameter):
                if not isinstance(bound, Literal):
                    raise InputError(f"{parameter} of shape {s.node} must be a literal")
                in_range = self.function(lambda t, b=bound, a=accept: _in_range(_rdflib(t), b, a))
                tests.append((component, lambda v, f=in_range: f"(isLiteral({v}) && {f(v)})"))
        for parameter, component, op in (
            (SH.minLength, SH.MinLengthConstraintComponent, ">="),
            (SH.maxLength, SH.MaxLengthConstraintComponent, "<="),
        ):
            length = self.integer(s, parameter)
            if length is not None:
                tests.append((component, self.length_test(length, op)))
        flags = str(self.single(s, SH.flags) or "").lower()
        for pattern in self.params(s, SH.pattern):
            regex = re.compile(str(pattern), (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0))
            matches = self.function(
                lambda t, r=regex: isinstance(t, ox.NamedNode | ox.Literal) and bool(r.search(t.value))
            )
            tests.append((SH.PatternConstraintComponent, lambda v, f=matches: f"(!isBlank({v}) && {f(v)})"))
        languages = self.single(s, SH.languageIn)
        if languages is not None:
            tests.append((SH.LanguageInConstraintComponent, self.language_test(list(g.items(languages)))))
        members = self.single(s, SH["in"])
        if members is not None:
            terms = [t for t in (sparql_term(m) for m in g.items(members)) if t is not None]
            tests.append((SH.InConstraintComponent, lambda v, ts=terms: _any(f"sameTerm({v}, {t})" for t in ts)))
        for n in self.params(s, SH.node):
            tests.append((SH.NodeConstraintComponent, self.conforms(n, candidates)))
        for n in self.params(s, SH["not"]):
            inner = self.conforms(n, candidates)
            tests.append((SH.NotConstraintComponent, lambda v, f=inner: f"!({f(v)})"))
        for parameter, component in ((SH["and"], SH.AndConstraintComponent), (SH["or"], SH.OrConstraintComponent)):
            for members in self.params(s, parameter):
                inner_tests = [self.conforms(m, candidates) for m in dict.fromkeys(g.items(members))]
                join = _all if parameter == SH["and"] else _any
                tests.append((component, lambda v, fs=inner_tests, j=join: j(f(v) for f in fs)))  # type: ignore[misc]
        for members in self.params(s, SH.xone):
            inner_tests = [self.conforms(m, candidates) for m in g.items(members)]
            tests.append((SH.XoneConstraintComponent, lambda v, fs=inner_tests: _one(f(v) for f in fs)))
        return tests

    @staticmethod
    def class_test(term: str | None) -> Test:
        if term is None:
            return lambda v: "false"
        return lambda v: f"EXISTS {{ {v} {TYPE_OF} {term} }}"

    def datatype_test(self, datatype: Node) -> Test:
        if datatype == RDFS.Literal:
            return lambda v: f"isLiteral({v})"
        if datatype == RDFS.Datatype:
            return lambda v: f'(isLiteral({v}) && LANG({v}) = "" && DATATYPE({v}) != <{XSD.string}>)'
        if datatype == RDF.langString:
            return lambda v: f'(isLiteral({v}) && LANG({v}) != "")'
        if not isinstance(datatype, URIRef):
            return lambda v: "false"
        same = f"DATATYPE({{v}}) = <{datatype}>"
        if datatype == XSD.boolean and self.hides_ill_typed_booleans():
            raise Unsupported("the data holds ill-typed xsd:boolean literals that rdflib wrote as true or false")
        if datatype not in _CHECKED_DATATYPES:
            return lambda v: f"(isLiteral({v}) && {same.format(v=v)})"
        well_typed = self.function(lambda t: isinstance(t, ox.Literal) and _datatype_ok(t.value, datatype))
        return lambda v: f"(isLiteral({v}) && {same.format(v=v)} && {well_typed(v)})"

    def hides_ill_typed_booleans(self) -> bool:
        """Whether the rdflib graph holds an ill-typed xsd:boolean at a predicate the shapes follow. rdflib
        writes "ja"^^xsd:boolean as "false" and flags it ill-typed, pySHACL reports it, and the store (given the
        lexical form "false") cannot tell; the shapes that test sh:datatype xsd:boolean then go to pySHACL."""
        if self.data is None:
            return False
        if self._hidden is None:
            predicates = {p for p in self.g.objects(None, SH.targetObjectsOf) if isinstance(p, URIRef)}
            for s in self.shapes.values():
                predicates |= _predicates(s.path)
            # The store holds every xsd:boolean as true or false, and finds those fast; rdflib is asked about
            # each such triple through the subject, which yields the very literal (with its flag) pySHACL sees.
            query = "SELECT ?s ?p WHERE { { ?s ?p true } UNION { ?s ?p false } }"
            self._hidden = any(
                _is_boolean(o) and o.ill_typed  # type: ignore[union-attr]
                for row in self.select(query)
                if (p := _rdflib(row[1])) in predicates
                for o in self.data.objects(_rdflib(row[0]), p)
            )
        return self._hidden

    @staticmethod
    def length_test(length: int, op: str) -> Test:
        if op == ">=" and length == 0:
            return lambda v: "true"
        return lambda v: f"(!isBlank({v}) && STRLEN(STR({v})) {op} {length})"

    @staticmethod
    def language_test(items: list[Node]) -> Test:
        wanted = set()
        for item in items:
            if not isinstance(item, Literal) or not isinstance(item.value, str):
                raise InputError("the members of sh:languageIn must be strings")
            wanted.add(item.value.lower())
        if "*" in wanted:
            return lambda v: f'(isLiteral({v}) && LANG({v}) != "")'
        if not wanted:
            return lambda v: "false"
        choices = ", ".join(Literal(w).n3() for w in sorted(wanted))
        return lambda v: (
            f'(isLiteral({v}) && LANG({v}) != "" && (LCASE(LANG({v})) IN ({choices})'
            f' || LCASE(STRBEFORE(CONCAT(LANG({v}), "-"), "-")) IN ({choices})))'
        )

    # ---- nested shapes --------------------------------------------------------------------------------

    def conforms(self, node: Node, candidates: Callable[[], str]) -> Test:
        """The test that a value node conforms to the shape ``node`` (SHACL §3.4: no result, at any severity)."""
        s = self.shape(node)
        if s.deactivated:
            return lambda v: "true"
        if s.node in self._stack:
            raise Unsupported(f"{s.node} is recursive")
        self._stack.append(s.node)
        try:
            parameters = {p for p in self.g.predicates(s.node) if p in PARAMETERS}
            if s.path is None and parameters <= VALUE_TESTS:
                return _all_tests(self.value_tests(s, candidates))
            failing = self.failing(s, candidates())
        finally:
            self._stack.pop()
        if not failing:
            return lambda v: "true"
        return self.function(lambda t: t not in failing)

    def failing(self, s: Shape, candidates: str) -> frozenset[OxTerm]:
        """The nodes bound by the pattern ``candidates`` that do not conform to the shape."""
        key = (s.node, candidates)
        if key not in self._failing:
            found: set[OxTerm] = set()
            for focus, *_ in self.results_of(s, candidates, nested=True):
                found.add(focus)
            for child in self.params(s, SH.property):
                test = self.conforms(child, lambda c=candidates: self.values(s, c, self.fresh(), X))
                query = f"SELECT DISTINCT ?this WHERE {{ {self.values(s, candidates, '?this', '?value')} "
                found.update(row[0] for row in self.select(query + f"FILTER(!({test('?value')})) }}"))
            self._failing[key] = frozenset(found)
        return self._failing[key]

    # ---- the constraints of one shape -----------------------------------------------------------------

    def results_of(self, s: Shape, focus: str, nested: bool = False) -> Iterator[Row]:
        """The results of the shape's own constraints (sh:property aside) for the focus nodes of ``focus``:
        rows of (focus node, value node, path where it is not the shape's, component). ``nested``: only the
        focus nodes matter (conformance checking), so values need not be told apart."""
        self.shape(s.node)  # raises Unsupported for a custom component
        candidates = lambda: self.values(s, focus, self.fresh(), X)  # noqa: E731
        for p in (SH.minCount, SH.maxCount, SH.uniqueLang, SH.lessThan, SH.lessThanOrEquals):
            self.property_only(s, p)
        tests = self.value_tests(s, candidates)
        if tests:
            yield from self.test_rows(s, focus, tests, nested)
        yield from self.count_rows(s, focus)
        yield from self.qualified_rows(s, focus, candidates)
        if self.single(s, SH.uniqueLang) == Literal(True):
            query = (
                f"SELECT ?this ?lang WHERE {{ {self.values(s, focus, '?this', '?value')} "
                f'FILTER(isLiteral(?value) && LANG(?value) != "") BIND(LCASE(LANG(?value)) AS ?lang) }} '
                "GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?value) > 1)"
            )
            yield from ((row[0], None, None, SH.UniqueLangConstraintComponent) for row in self.select(query))
        for value in self.params(s, SH.hasValue):
            term = sparql_term(value) or "[]"
            missing = (
                f"FILTER(!sameTerm(?this, {term}))"
                if s.path is None
                else f"FILTER NOT EXISTS {{ {self.along(s, '?this', '?value')} FILTER(sameTerm(?value, {term})) }}"
            )
            query = f"SELECT DISTINCT ?this WHERE {{ {focus.replace(X, '?this')} {missing} }}"
            yield from ((row[0], None, None, SH.HasValueConstraintComponent) for row in self.select(query))
        yield from self.pair_rows(s, focus)
        yield from self.closed_rows(s, focus)

    def test_rows(self, s: Shape, focus: str, tests: list[tuple[URIRef, Test]], nested: bool) -> Iterator[Row]:
        """One query for all value tests of the shape: the rows failing any, then (for those rows only) which."""
        pattern = self.values(s, focus, "?this", "?value")
        failing = f"FILTER(!({_all_tests(tests)('?value')}))"
        if nested:
            query = f"SELECT DISTINCT ?this WHERE {{ {pattern} {failing} }}"
            yield from ((row[0], None, None, SH.NodeConstraintComponent) for row in self.select(query))
            return
        flags = [f"?_fails{i}" for i in range(len(tests))]
        which = " ".join(f"BIND(!COALESCE({t('?value')}, false) AS {f})" for (_, t), f in zip(tests, flags, strict=True))
        query = f"SELECT DISTINCT ?this ?value {' '.join(flags)} WHERE {{ {pattern} {failing} {which} }}"
        for row in self.select(query):
            for i, (component, _) in enumerate(tests):
                if row[2 + i] == _TRUE:
                    yield row[0], row[1], None, component

    def count_rows(self, s: Shape, focus: str) -> Iterator[Row]:
        least, most = self.integer(s, SH.minCount), self.integer(s, SH.maxCount)
        least = least or None
        if s.path is None or (least is None and most is None):
            return
        this = focus.replace(X, "?this")
        if least == 1 and most is None:
            query = f"SELECT DISTINCT ?this WHERE {{ {this} {self.without_values(s, 'true')} }}"
            yield from ((row[0], None, None, SH.MinCountConstraintComponent) for row in self.select(query))
            return
        for focus_node, count in self.counts(s, focus, "true", least, most):
            if least is not None and count < least:
                yield focus_node, None, None, SH.MinCountConstraintComponent
            if most is not None and count > most:
                yield focus_node, None, None, SH.MaxCountConstraintComponent

    def counts(
        self, s: Shape, focus: str, test: str, least: int | None, most: int | None
    ) -> Iterator[tuple[OxTerm, int]]:
        """(focus node, number of distinct value nodes passing ``test`` on ?v) where it is below ``least`` or
        above ``most``."""
        assert s.path is not None
        if least is None:  # only too many values matter: no need to see focus nodes without any
            body = f"{self.values(s, focus, '?this', '?v')} FILTER({test})"
        elif has_zero_length(s.path):  # the focus nodes on their own, and with their values
            body = (
                f"{{ {focus.replace(X, '?this')} }} UNION {{ {self.values(s, focus, '?this', '?v')} FILTER({test}) }}"
            )
        else:
            body = f"{focus.replace(X, '?this')} OPTIONAL {{ {self.along(s, '?this', '?v')} FILTER({test}) }}"
        having = []
        if least is not None:
            having.append(f"COUNT(DISTINCT ?v) < {least}")
        if most is not None:
            having.append(f"COUNT(DISTINCT ?v) > {most}")
        query = (
            f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {body} }} GROUP BY ?this HAVING ({' || '.join(having)})"
        )
        for row in self.select(query):
            count = row[1]
            assert isinstance(count, ox.Literal)
            yield row[0], int(count.value)

    def qualified_rows(self, s: Shape, focus: str, candidates: Callable[[], str]) -> Iterator[Row]:
        value_shapes = self.params(s, SH.qualifiedValueShape)
        least, most = self.integer(s, SH.qualifiedMinCount), self.integer(s, SH.qualifiedMaxCount)
        if s.path is None or not value_shapes:  # pySHACL skips the component on node shapes
            return
        disjoint = any(
            isinstance(d, Literal) and d.value is True for d in self.params(s, SH.qualifiedValueShapesDisjoint)
        )
        for shape_node in value_shapes:
            test = self.conforms(shape_node, candidates)
            siblings: list[Test] = []
            if disjoint:
                for parent in self.g.subjects(SH.property, s.node):
                    for sibling_property in self.g.objects(parent, SH.property):
                        for sibling in self.g.objects(sibling_property, SH.qualifiedValueShape):
                            if sibling != shape_node and sibling in self.shapes:
                                siblings.append(self.conforms(sibling, candidates))
            counted = f"COALESCE({test('?v')}, false)"
            if siblings:
                counted = f"({counted} && !COALESCE({_any(t('?v') for t in siblings)}, true))"
            if least == 1 and most is None:
                query = f"SELECT DISTINCT ?this WHERE {{ {focus.replace(X, '?this')} {self.without_values(s, counted)} }}"
                yield from ((row[0], None, None, SH.QualifiedMinCountConstraintComponent) for row in self.select(query))
                continue
            for focus_node, count in self.counts(s, focus, counted, least or None, most):
                if least is not None and count < least:
                    yield focus_node, None, None, SH.QualifiedMinCountConstraintComponent
                if most is not None and count > most:
                    yield focus_node, None, None, SH.QualifiedMaxCountConstraintComponent

    def pair_rows(self, s: Shape, focus: str) -> Iterator[Row]:
        """sh:equals, sh:disjoint, sh:lessThan, sh:lessThanOrEquals: value nodes against the objects of a
        predicate at the focus node (pySHACL takes the parameter as a predicate only)."""
        for other in self.params(s, SH.equals):
            compare = f"?this <{other}> ?value" if isinstance(other, URIRef) else "FILTER(false)"
            pattern = self.values(s, focus, "?this", "?value")
            query = f"SELECT DISTINCT ?this ?value WHERE {{ {pattern} FILTER NOT EXISTS {{ {compare} }} }}"
            yield from ((row[0], row[1], None, SH.EqualsConstraintComponent) for row in self.select(query))
            if isinstance(other, URIRef):
                own = (
                    "FILTER(!sameTerm(?value, ?this))"
                    if s.path is None
                    else (f"FILTER NOT EXISTS {{ {self.along(s, '?this', '?w')} FILTER(sameTerm(?w, ?value)) }}")
                )
                query = f"SELECT DISTINCT ?this ?value WHERE {{ {focus.replace(X, '?this')} ?this <{other}> ?value . {own} }}"
                yield from ((row[0], row[1], None, SH.EqualsConstraintComponent) for row in self.select(query))
        for other in self.params(s, SH.disjoint):
            if isinstance(other, URIRef):
                query = f"SELECT DISTINCT ?this ?value WHERE {{ {self.values(s, focus, '?this', '?value')} ?this <{other}> ?value }}"
                yield from ((row[0], row[1], None, SH.DisjointConstraintComponent) for row in self.select(query))
        for parameter, component in (
            (SH.lessThan, SH.LessThanConstraintComponent),
            (SH.lessThanOrEquals, SH.LessThanOrEqualsConstraintComponent),
        ):
            for other in self.params(s, parameter):
                if not isinstance(other, URIRef):
                    raise InputError(f"{parameter} of {s.node} must be an IRI")
                query = f"SELECT DISTINCT ?this ?value ?other WHERE {{ {self.values(s, focus, '?this', '?value')} ?this <{other}> ?other }}"
                for row in self.select(query):
                    if not _less(_rdflib(row[1]), _rdflib(row[2]), parameter == SH.lessThanOrEquals):
                        yield row[0], row[1], None, component

    def closed_rows(self, s: Shape, focus: str) -> Iterator[Row]:
        closed = self.single(s, SH.closed)
        if closed is None:
            if self.params(s, SH.ignoredProperties):
                raise InputError(f"sh:ignoredProperties without sh:closed on {s.node}")
            return
        if not (isinstance(closed, Literal) and closed.value):
            return
        allowed = {p for ignored in self.params(s, SH.ignoredProperties) for p in self.g.items(ignored)}
        for child in self.params(s, SH.property):
            child_shape = self.shape(child)
            if child_shape.path is None:
                raise InputError(f"{child} is the value of sh:property but has no sh:path")
            allowed.add(child_shape.path_node)
        terms = sorted(t for t in map(sparql_term, allowed) if t is not None and t.startswith("<"))
        not_allowed = f"FILTER(?p NOT IN ({', '.join(terms)}))" if terms else ""
        query = (
            f"SELECT DISTINCT ?this ?o ?p WHERE {{ {self.values(s, focus, '?this', '?value')} ?value ?p ?o . {not_allowed} "
            f"FILTER(!(sameTerm(?p, <{RDF.type}>) && sameTerm(?o, <{RDFS.Resource}>))) }}"
        )
        for row in self.select(query):
            yield row[0], row[1], _rdflib(row[2]), SH.ClosedConstraintComponent


Row = tuple[OxTerm | None, OxTerm | None, Node | None, URIRef]  # focus, value, path if not the shape's, component


def _any(exprs: Iterable[str]) -> str:
    parts = list(exprs)
    return "(" + " || ".join(parts) + ")" if parts else "false"


def _all(exprs: Iterable[str]) -> str:
    parts = list(exprs)
    return "(" + " && ".join(parts) + ")" if parts else "true"


def _one(exprs: Iterable[str]) -> str:
    parts = [f"IF(COALESCE({e}, false), 1, 0)" for e in exprs]
    return f"(({' + '.join(parts)}) = 1)" if parts else "true"


def _all_tests(tests: list[tuple[URIRef, Test]]) -> Test:
    return lambda v: _all(f"COALESCE({t(v)}, false)" for _, t in tests)


def _checked_datatypes() -> frozenset[Node]:
    """The datatypes whose literals pySHACL can find ill-typed: those rdflib converts to Python values or checks
    for well-formedness, and those whose value type pySHACL checks."""
    from rdflib import term

    mapping: dict[object, object] = getattr(term, "_toPythonMapping", term.XSDToPython)
    checked = {URIRef(str(k)) for k, v in mapping.items() if k is not None and v is not None}
    checked |= set(getattr(term, "_check_well_formed_types", {}))
    return frozenset(checked | set(_VALUE_TYPES)) - {XSD.string, RDF.langString}


_CHECKED_DATATYPES = _checked_datatypes()

_DEFAULT_MESSAGES = {
    SH.ClassConstraintComponent: "value is not an instance of the required class",
    SH.DatatypeConstraintComponent: "value is not a literal of the required datatype",
    SH.NodeKindConstraintComponent: "value is not of the required node kind",
    SH.MinCountConstraintComponent: "too few values",
    SH.MaxCountConstraintComponent: "too many values",
    SH.PatternConstraintComponent: "value does not match the pattern",
    SH.ClosedConstraintComponent: "property not allowed by the closed shape",
}


def _message(s: Shape, component: URIRef) -> str:
    if s.message is not None:
        return s.message
    name = component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
    return _DEFAULT_MESSAGES.get(component, f"breaks sh:{name[0].lower()}{name[1:]}")


def _roots_to_leave(compiler: Compiler, unsupported: set[Node]) -> tuple[set[Node], set[Node]]:
    """The shapes with targets whose results involve an unsupported shape (through sh:property chains), and
    the other shapes with targets."""
    leave, keep = set(), set()
    for s in compiler.shapes.values():
        try:
            has_targets = bool(compiler.targets(s))
        except Unsupported:
            has_targets = True
        if not has_targets:
            continue
        reached, todo = {s.node}, [s.node]
        while todo:
            for child in compiler.g.objects(todo.pop(), SH.property):
                if child not in reached:
                    reached.add(child)
                    todo.append(child)
        (leave if reached & unsupported else keep).add(s.node)
    return leave, keep


def _pyshacl_results(
    engine: OxigraphEngine, shapes: Graph, compiler: Compiler, unsupported: set[Node], data: Graph | None
) -> set[CoreResult]:
    """pySHACL's results for the shapes this module does not compile: run on the shapes graph without the
    targets of every shape it does not need, so that pySHACL evaluates only those."""
    from pyshacl import validate as pyshacl_validate  # 0.5 s to import: only when needed

    _leave, keep = _roots_to_leave(compiler, unsupported)
    targets = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, RDF.type}
    reduced = Graph()
    for triple in shapes:
        if not (triple[0] in keep and triple[1] in targets):
            reduced.add(triple)
    for node in keep:  # keep what marks a node shape or property shape, drop implicit class targets
        for kind in (SH.NodeShape, SH.PropertyShape):
            if (node, RDF.type, kind) in shapes:
                reduced.add((node, RDF.type, kind))
    if data is None:
        data = Graph()
        for quad in engine.store:
            data.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    _conforms, report, text = pyshacl_validate(data, shacl_graph=reduced, inference="none", abort_on_first=False)
    if not isinstance(report, Graph):
        raise InputError(f"the shapes cannot be applied: {text}")
    found = set()
    for r in report.objects(None, SH.result):
        message = report.value(r, SH.resultMessage)
        component = report.value(r, SH.sourceConstraintComponent)
        shape = report.value(r, SH.sourceShape)
        assert isinstance(component, URIRef) and shape is not None
        found.add(
            CoreResult(
                focus=report.value(r, SH.focusNode) or BNode(),
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
    """Every result of the SHACL Core shapes in ``shapes`` on the graph in ``engine``, as pySHACL would report
    them (``inference="none"``). ``data``: the same graph in rdflib, if at hand, for the pySHACL fallback."""
    compiler = Compiler(engine.store, shapes, data)
    found: set[CoreResult] = set()
    unsupported: set[Node] = set()
    for s in sorted(compiler.shapes.values(), key=lambda s: (isinstance(s.node, BNode), str(s.node))):
        if s.deactivated:
            continue
        try:
            focus = compiler.focus(s)
            rows = list(compiler.results_of(s, focus)) if focus is not None else []
        except Unsupported:
            unsupported.add(s.node)
            continue
        for focus_node, value, path, component in rows:
            assert focus_node is not None
            found.add(
                CoreResult(
                    focus=_rdflib(focus_node),
                    path=path if path is not None else s.path_node,
                    value=None if value is None else _rdflib(value),
                    component=component,
                    shape=s.node,
                    severity=s.severity,
                    message=_message(s, component),
                )
            )
    if unsupported:
        found |= _pyshacl_results(engine, shapes, compiler, unsupported, data)
    return sorted(found, key=lambda r: (str(r.focus), str(r.component), str(r.path), str(r.value), str(r.shape)))


def core_violations(results: Iterable[CoreResult]) -> list[Violation]:
    """The results as ``Violation``s, field for field as ``validate.shacl_violations`` makes them."""
    from .validate import Violation

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
