"""SHACL-SPARQL constraints (SHACL §5) evaluated once over the whole graph instead of once per focus node.

pySHACL runs an ``sh:select`` query per focus node through rdflib (about 20 ms each); running each query
once on pyoxigraph with ``$this`` free and keeping the rows whose ``$this`` is a target of the shape gives
the same results in a fraction of the time. This holds for queries in which ``$this`` occurs in a triple
pattern of every solution, which the shapes' own tests check against pySHACL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from .engine import OxigraphEngine


@dataclass(frozen=True)
class SparqlConstraint:
    shape: Node
    constraint: Node
    select: str
    message: str | None
    target_classes: tuple[URIRef, ...]
    target_nodes: tuple[Node, ...]
    target_subjects_of: tuple[URIRef, ...]
    target_objects_of: tuple[URIRef, ...]
    path: URIRef | None


def _prefix_block(shapes: Graph, constraint: Node) -> str:
    lines = []
    for declared_in in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(declared_in, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def _iris(shapes: Graph, shape: Node, predicate: URIRef) -> tuple[URIRef, ...]:
    return tuple(sorted(o for o in shapes.objects(shape, predicate) if isinstance(o, URIRef)))


def split(shapes: Graph) -> tuple[Graph, list[SparqlConstraint]]:
    """The shapes without their SPARQL constraints (for pySHACL), and those constraints."""
    core = Graph(bind_namespaces="none")
    for prefix, ns in shapes.namespaces():
        core.bind(prefix, ns)
    constraints = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        select = shapes.value(constraint, SH.select)
        if select is None:
            continue
        message = shapes.value(constraint, SH.message) or shapes.value(shape, SH.message)
        path = shapes.value(shape, SH.path)
        constraints.append(
            SparqlConstraint(
                shape=shape,
                constraint=constraint,
                select=_prefix_block(shapes, constraint) + "\n" + str(select),
                message=str(message) if message is not None else None,
                target_classes=_iris(shapes, shape, SH.targetClass),
                target_nodes=tuple(shapes.objects(shape, SH.targetNode)),
                target_subjects_of=_iris(shapes, shape, SH.targetSubjectsOf),
                target_objects_of=_iris(shapes, shape, SH.targetObjectsOf),
                path=path if isinstance(path, URIRef) else None,
            )
        )
    skip = {c.constraint for c in constraints}
    for s, p, o in shapes:
        if p == SH.sparql or s in skip:
            continue
        core.add((s, p, o))
    return core, constraints


_THIS = re.compile(r"\$this\b")
_TEMPLATE = re.compile(r"\{[?$](\w+)\}")


def _fill(template: str, bound: dict[str, Node]) -> str:
    """Substitute ``{?var}`` / ``{$var}`` in a message with the row's values (SHACL §5.3.2)."""
    return _TEMPLATE.sub(lambda m: str(bound.get(m.group(1), m.group(0))), template)


@dataclass(frozen=True)
class SparqlResult:
    focus: Node
    shape: Node
    message: str
    path: Node | None
    value: Node | None


def evaluate(engine: OxigraphEngine, constraints: list[SparqlConstraint]) -> list[SparqlResult]:
    """Every result of every constraint, as SHACL would report it for the shapes' targets."""
    results = []
    for c in constraints:
        targets: set[Node] = set(c.target_nodes)
        for cls in c.target_classes:
            # The published graph carries every superclass type (derive stage), so rdf:type alone is
            # the SHACL class-based target here.
            table = engine.select("SELECT ?class ?this WHERE { ?this a ?class }", {"class": cls})
            targets.update(row[1] for row in table.rows if row[1] is not None)
        for predicate in c.target_subjects_of:
            table = engine.select("SELECT DISTINCT ?p ?this WHERE { ?this ?p ?o }", {"p": predicate})
            targets.update(row[1] for row in table.rows if row[1] is not None)
        for predicate in c.target_objects_of:
            table = engine.select("SELECT DISTINCT ?p ?this WHERE { ?s ?p ?this }", {"p": predicate})
            targets.update(row[1] for row in table.rows if row[1] is not None)
        if not targets:
            continue
        table = engine.select(_THIS.sub("?this", c.select))
        columns = {name: i for i, name in enumerate(table.variables)}
        for row in table.rows:
            focus = row[columns["this"]]
            if focus is None or focus not in targets:
                continue
            bound = {name: v for name, i in columns.items() if (v := row[i]) is not None}
            value = bound.get("value", None if c.path is not None else focus)
            message = _fill(c.message or "breaks a SPARQL constraint", bound)
            path = bound.get("path", c.path)
            results.append(SparqlResult(focus, c.shape, message, path, value))
    return results
