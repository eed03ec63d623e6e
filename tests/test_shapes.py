"""The shapes themselves under test: one small data file per case in tests/shapes/{valid,invalid}/.

Each fixture is loaded like an edit file (relative IRIs against the default base), derived with the real
rules and ontology, and validated with the real shapes and violation checks. A valid fixture must yield no
violation at all; an invalid fixture must yield exactly the violations its header declares. The header
convention is described in tests/shapes/README.md.
"""

from __future__ import annotations

import re
import shlex
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier, Node

from krefeld_kg.derive import derive
from krefeld_kg.engine import OxigraphEngine
from krefeld_kg.load import SourceIndex, load_ontology, load_shapes, new_graph, parse_turtle
from krefeld_kg.namespaces import DEFAULT_BASE, all_prefixes
from krefeld_kg.sparql_constraints import SparqlConstraint, evaluate, split
from krefeld_kg.validate import CHECK, Check, Report, Violation, load_checks, validate

HERE = Path(__file__).resolve().parent / "shapes"
VALID = HERE / "valid"
INVALID = HERE / "invalid"
KKGSH = "https://w3id.org/krefeld-kg/shapes#"

#: Prefixes the headers may use: every prefix of the edit files, the shapes and the violation checks.
PREFIXES: dict[str, str] = {**all_prefixes(DEFAULT_BASE), "kkgsh": KKGSH, "check": str(CHECK)}

_HEADER = re.compile(r"^#\s*(shape|expect|derive|xfail)\s*:\s*(.*?)\s*$")

Key = tuple[str, str | None, str]  # (component, path, focus) as full IRIs; path None for "-"


# ---------------------------------------------------------------------------------------------------
# Reading fixtures


def expand(curie: str) -> str:
    """The IRI of a CURIE of PREFIXES (or of an <absolute IRI>); ValueError for an unknown prefix."""
    if curie.startswith("<") and curie.endswith(">"):
        return curie[1:-1]
    prefix, colon, local = curie.partition(":")
    if not colon or prefix not in PREFIXES:
        raise ValueError(f"unknown prefix in {curie!r}; known: {', '.join(sorted(PREFIXES))}")
    return PREFIXES[prefix] + local


def shorten(iri: str | None) -> str:
    if iri is None:
        return "-"
    best = max((ns for ns in PREFIXES.values() if iri.startswith(ns)), key=len, default=None)
    if best is None:
        return f"<{iri}>"
    prefix = next(p for p, ns in PREFIXES.items() if ns == best)
    return f"{prefix}:{iri[len(best) :]}"


@dataclass(frozen=True)
class Expectation:
    key: Key
    message: str | None = None  # a fragment of the message, to tell apart constraints with one key

    def __str__(self) -> str:
        component, path, focus = self.key
        text = f"{shorten(component)} {shorten(path)} {shorten(focus)}"
        return f'{text} "{self.message}"' if self.message else text


@dataclass
class Fixture:
    path: Path
    valid: bool
    shapes: list[URIRef] = field(default_factory=list)
    expected: list[Expectation] = field(default_factory=list)
    derive: bool = True
    xfail: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"

    @classmethod
    def read(cls, path: Path) -> Fixture:
        fixture = cls(path, valid=path.parent.name == "valid")
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break  # the header is the leading block of comment lines
            match = _HEADER.match(line)
            if not match:
                continue
            kind, value = match.groups()
            if kind == "shape":
                fixture.shapes += [URIRef(expand(c)) for c in value.replace(",", " ").split()]
            elif kind == "expect":
                fields = shlex.split(value)
                if len(fields) not in (3, 4):
                    raise ValueError(f"{path}: expect needs component, path or -, focus [and a message]: {line}")
                component, result_path, focus = fields[:3]
                key = (expand(component), None if result_path == "-" else expand(result_path), expand(focus))
                fixture.expected.append(Expectation(key, fields[3] if len(fields) == 4 else None))
            elif kind == "derive":
                if value not in ("yes", "no"):
                    raise ValueError(f"{path}: derive must be yes or no: {line}")
                fixture.derive = value == "yes"
            else:
                fixture.xfail = value
        return fixture


def all_fixtures() -> list[Fixture]:
    return [Fixture.read(p) for p in sorted(VALID.glob("*.ttl")) + sorted(INVALID.glob("*.ttl"))]


FIXTURES = all_fixtures()


def params(*, with_xfail: bool = True) -> list[object]:
    """The fixtures as pytest parameters; a fixture documenting a shape bug is a strict xfail."""
    out = []
    for f in FIXTURES:
        marks = [pytest.mark.xfail(reason=f.xfail, strict=True)] if f.xfail and with_xfail else []
        out.append(pytest.param(f, id=f.id, marks=marks))
    return out


# ---------------------------------------------------------------------------------------------------
# Running them (each step cached: several tests look at the same fixture)


@cache
def ontology() -> Graph:
    return load_ontology(DEFAULT_BASE)


@cache
def shapes() -> Graph:
    return load_shapes(DEFAULT_BASE)


@cache
def checks() -> tuple[Check, ...]:
    return tuple(load_checks())


@cache
def sparql_constraints() -> tuple[SparqlConstraint, ...]:
    return tuple(split(shapes())[1])


@cache
def graph_of(path: Path, derived: bool) -> Graph:
    data = new_graph(DEFAULT_BASE)
    parse_turtle(path, data, DEFAULT_BASE)
    return derive(data, ontology()) if derived else data


def graph(fixture: Fixture) -> Graph:
    return graph_of(fixture.path, fixture.derive)


@cache
def report_of(path: Path, derived: bool) -> Report:
    index = SourceIndex()
    index.scan(path, DEFAULT_BASE)
    return validate(graph_of(path, derived), shapes(), DEFAULT_BASE, index, list(checks()))


def report(fixture: Fixture) -> Report:
    return report_of(fixture.path, fixture.derive)


def key(v: Violation) -> Key:
    return (v.component or "", v.path, v.focus)


def describe(violations: list[Violation]) -> str:
    return "\n".join(
        f"  {shorten(v.component)} {shorten(v.path)} {shorten(v.focus)}: {v.message}"
        + (f" (value {v.value})" if v.value is not None else "")
        for v in violations
    )


def focus_nodes(g: Graph, shape: URIRef) -> set[Node]:
    """The focus nodes of a node shape in ``g``: its class and node targets, or, for a shape without
    targets (kkgsh:noPersonalContact), the focus nodes of the shapes that refer to it with sh:node.
    rdf:type alone suffices for class targets: the derive stage has added every superclass type."""
    sg = shapes()
    nodes: set[Node] = set(sg.objects(shape, SH.targetNode))
    for cls in sg.objects(shape, SH.targetClass):
        nodes.update(g.subjects(RDF.type, cls))
    for predicate in sg.objects(shape, SH.targetSubjectsOf):
        nodes.update(g.subjects(predicate, None))
    for predicate in sg.objects(shape, SH.targetObjectsOf):
        nodes.update(o for o in g.objects(None, predicate) if isinstance(o, URIRef))
    for referring in sg.subjects(SH.node, shape):
        if isinstance(referring, URIRef):
            nodes |= focus_nodes(g, referring)
    return nodes


def node_shapes() -> set[URIRef]:
    return {s for s in shapes().subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


# ---------------------------------------------------------------------------------------------------
# Tests


def test_there_are_fixtures() -> None:
    assert any(f.valid for f in FIXTURES) and any(not f.valid for f in FIXTURES)


@pytest.mark.parametrize("fixture", params())
def test_fixture(fixture: Fixture) -> None:
    result = report(fixture)
    if fixture.valid:
        assert not fixture.expected, "a valid fixture declares no # expect: lines"
        assert result.conforms, f"{fixture.id} should conform but has:\n{describe(result.violations)}"
        return
    assert fixture.expected, "an invalid fixture declares what it breaks with # expect: lines"
    found = {key(v) for v in result.violations}
    wanted = {e.key for e in fixture.expected}
    assert found == wanted, (
        f"{fixture.id}:\n missing: {sorted(str(Expectation(k)) for k in wanted - found)}"
        f"\n unexpected: {sorted(str(Expectation(k)) for k in found - wanted)}"
        f"\n all found:\n{describe(result.violations)}"
    )
    # Where the header names message fragments for a key, each fragment must match a violation of that key
    # and each violation of that key must match a fragment: this tells apart constraints sharing a key.
    fragments: dict[Key, list[str]] = defaultdict(list)
    for e in fixture.expected:
        if e.message:
            fragments[e.key].append(e.message)
    for k, wanted_messages in fragments.items():
        messages = [v.message for v in result.violations if key(v) == k]
        for fragment in wanted_messages:
            assert any(fragment in m for m in messages), (
                f"{Expectation(k)}: no message contains {fragment!r}: {messages}"
            )
        for m in messages:
            assert any(f in m for f in wanted_messages), f"{Expectation(k)}: unexpected message {m!r}"


@pytest.mark.parametrize("fixture", params(with_xfail=False))
def test_fixture_header(fixture: Fixture) -> None:
    """Every fixture names the shapes it exercises, each exists and has a focus node in the fixture; the
    violations an invalid fixture expects include one at a focus node of each shape it names."""
    assert fixture.shapes, f"{fixture.id}: declare the shape(s) it exercises with # shape: kkgsh:…"
    g = graph(fixture)
    expected_foci = {URIRef(e.key[2]) for e in fixture.expected}
    for shape in fixture.shapes:
        assert shape in node_shapes(), f"{fixture.id}: {shorten(shape)} is not a node shape of shapes.ttl"
        targets = focus_nodes(g, shape)
        assert targets, f"{fixture.id}: nothing in the fixture is a focus node of {shorten(shape)}"
        if not fixture.valid and not fixture.xfail:  # a shape bug may be that the shape misses its focus
            assert targets & expected_foci, f"{fixture.id}: no expected violation at a focus of {shorten(shape)}"


def test_every_node_shape_has_a_valid_and_an_invalid_fixture() -> None:
    valid = {s for f in FIXTURES if f.valid and not f.xfail for s in f.shapes}
    invalid = {s for f in FIXTURES if not f.valid and not f.xfail for s in f.shapes}
    shapes_ = node_shapes()
    assert len(shapes_) >= 19
    assert not shapes_ - valid, f"node shapes without a valid fixture: {sorted(map(shorten, shapes_ - valid))}"
    assert not shapes_ - invalid, f"node shapes without an invalid fixture: {sorted(map(shorten, shapes_ - invalid))}"


def test_every_sparql_constraint_is_broken_by_an_invalid_fixture() -> None:
    constraints = sparql_constraints()
    broken: set[int] = set()
    for fixture in FIXTURES:
        if fixture.valid or fixture.xfail:
            continue
        engine = OxigraphEngine.from_graph(graph(fixture))
        broken |= {i for i, c in enumerate(constraints) if evaluate(engine, [c])}
    missing = [f"{shorten(str(c.shape))}: {c.message}" for i, c in enumerate(constraints) if i not in broken]
    assert len(constraints) >= 11
    assert not missing, f"SPARQL constraints no invalid fixture breaks: {missing}"


_PREPARED: dict[tuple[object, ...], Query] = {}


def _query_prepared_once(
    self: SPARQLProcessor,
    strOrQuery: str | Query,
    initBindings: Mapping[str, Identifier] | None = None,
    initNs: Mapping[str, Any] | None = None,
    base: str | None = None,
    DEBUG: bool = False,
) -> Mapping[str, Any]:
    """rdflib's SPARQLProcessor.query (same signature), except that each query text is parsed once and the
    prepared query reused, which is what rdflib's prepareQuery is for. pySHACL sends the same text once per
    focus node, and parsing, not evaluation, is nearly all of its time on these small graphs: this keeps the
    comparison with pySHACL from taking most of the suite's time without changing a single result."""
    if isinstance(strOrQuery, str):
        key = (strOrQuery, base, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
        if key not in _PREPARED:
            _PREPARED[key] = translateQuery(parseQuery(strOrQuery), base, initNs)
        strOrQuery = _PREPARED[key]
    return evalQuery(self.graph, strOrQuery, initBindings or {}, base)


@pytest.mark.parametrize("fixture", params(with_xfail=False))
def test_sparql_constraints_agree_with_pyshacl(fixture: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-graph evaluation of the SHACL-SPARQL constraints (sparql_constraints) finds what pySHACL
    finds running the full, unsplit shapes focus node by focus node."""
    from pyshacl import validate as pyshacl_validate

    monkeypatch.setattr(SPARQLProcessor, "query", _query_prepared_once)
    g = graph(fixture)
    _conforms, results, text = pyshacl_validate(
        g, shacl_graph=shapes(), inference="none", abort_on_first=False, allow_warnings=False
    )
    assert isinstance(results, Graph), text
    reference = set()
    for result in results.subjects(SH.sourceConstraintComponent, SH.SPARQLConstraintComponent):
        path = results.value(result, SH.resultPath)
        reference.add((results.value(result, SH.focusNode), SH.SPARQLConstraintComponent, path))
    ours = {
        (r.focus, SH.SPARQLConstraintComponent, r.path)
        for r in evaluate(OxigraphEngine.from_graph(g), list(sparql_constraints()))
    }
    assert ours == reference, (
        f"only ours: {sorted(map(str, ours - reference))}\nonly pySHACL: {sorted(map(str, reference - ours))}"
    )
