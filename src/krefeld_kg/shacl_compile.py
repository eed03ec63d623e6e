"""The constraints of SHACL Core shapes compiled into SPARQL queries, as ``shacl_core`` runs them.

Split out of ``shacl_core`` to keep modules small. ``Compiler`` extends ``shacl_shapes.ShapeQueries`` (query
plumbing, focus nodes) with the value-node tests (class, datatype, nodeKind, ranges, lengths, pattern,
languageIn, in, node, not, and, or, xone), nested shapes (a SPARQL expression, or the set of failing nodes
behind a custom function), and the per-shape constraints that count, compare or close (minCount, maxCount,
qualifiedValueShape, uniqueLang, hasValue, equals, disjoint, lessThan, lessThanOrEquals, closed); each yields
result rows for ``shacl_core.validate_core``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from .shacl_shapes import TRUE, OxTerm, Row, Shape, ShapeQueries, Test, X, use
from .shacl_sparql import (
    RANGES,
    TYPE_OF,
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
    path_predicates,
    sparql_term,
    tested_class,
    to_rdflib,
)

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


class Compiler(ShapeQueries):
    """Compiles the shapes of one shapes graph into queries on one store, and runs them."""

    def __init__(self, store: ox.Store, shapes: Graph, data: Graph | None = None) -> None:
        super().__init__(store, shapes, data)
        self._failing: dict[tuple[Node, str], frozenset[OxTerm]] = {}
        self._stack: list[Node] = []
        self._hidden: bool | None = None

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
                query = f"SELECT DISTINCT ?this WHERE {{ {values} FILTER(!{use(test, '?value')}) }}"
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
            missing = f"FILTER(!{use(same, '?this')})" if s.path is None else self.without_values(s, same)
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
        failing = f"FILTER(!{use(all_of(t for _, t in tests), '?value')})"
        if nested:
            yield from self.foci(f"SELECT DISTINCT ?this WHERE {{ {pattern} {failing} }}", SH.NodeConstraintComponent)
            return
        flags = [f"?_fails{i}" for i in range(len(tests))]
        which = " ".join(f"BIND(!{use(all_of([t]), '?value')} AS {f})" for (_, t), f in zip(tests, flags, strict=True))
        for row in self.select(
            f"SELECT DISTINCT ?this ?value {' '.join(flags)} WHERE {{ {pattern} {failing} {which} }}"
        ):
            assert row[0] is not None
            yield from ((row[0], row[1], None, c) for i, (c, _) in enumerate(tests) if row[2 + i] == TRUE)

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
        passing = f"FILTER({use(test, '?v')})"
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
