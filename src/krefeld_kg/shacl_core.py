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

The work is split over four modules: this one (the entry points and the pySHACL fallback), ``shacl_shapes``
(the shapes, query plumbing and focus nodes), ``shacl_compile`` (the constraints) and ``shacl_messages``
(pySHACL's default messages); ``shacl_sparql`` holds the SPARQL pieces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .engine import OxigraphEngine
from .errors import InputError
from .shacl_compile import Compiler
from .shacl_messages import Messages
from .shacl_sparql import Unsupported, to_rdflib

if TYPE_CHECKING:
    from .validate import Violation


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
    return read_report(report)


def read_report(report: Graph) -> set[CoreResult]:
    """The results of a pySHACL validation report (its own, not the nested sh:detail ones)."""
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
