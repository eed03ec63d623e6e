"""Derive stage: add what the data contract promises but the edit files do not spell out.

The rules are SPARQL CONSTRUCT queries in ontology/rules/, applied once each in file-name order: a rule
sees what the rules before it derived (the superclass types come first), so no rule needs a second pass --
a fixpoint loop cost a whole extra round (8 s at a million triples) only to find nothing new. They run
inside the embedded store over the data plus the ontology (for the class hierarchy),
which sits in a named graph of its own so that only data triples are published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .engine import OxigraphEngine, QueryError, to_ox
from .load import RULES_DIR

ONTOLOGY_GRAPH = ox.NamedNode("urn:krefeld-kg:derive:ontology")


@dataclass(frozen=True)
class Rule:
    name: str
    text: str


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    return [Rule(p.stem, p.read_text(encoding="utf-8")) for p in sorted(rules_dir.glob("*.rq"))]


def derive_in_place(engine: OxigraphEngine, ontology: Graph, rules: list[Rule] | None = None) -> None:
    """Add to the engine's default graph everything the rules derive from it, rule after rule."""
    rules = load_rules() if rules is None else rules
    store = engine.store
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), ONTOLOGY_GRAPH) for s, p, o in ontology)  # type: ignore[arg-type]
    try:
        for rule in rules:
            try:
                found = store.query(rule.text, default_graph=[ox.DefaultGraph(), ONTOLOGY_GRAPH])
            except SyntaxError as exc:
                raise QueryError(f"rule {rule.name}: {exc}") from None
            if not isinstance(found, ox.QueryTriples):
                raise QueryError(f"rule {rule.name} must be a CONSTRUCT query")
            store.extend([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in found])
    finally:
        store.remove_graph(ONTOLOGY_GRAPH)


def derive(data: Graph, ontology: Graph, rules: list[Rule] | None = None) -> Graph:
    """A new rdflib graph: ``data`` plus everything the rules derive from it."""
    engine = OxigraphEngine.from_graph(data)
    derive_in_place(engine, ontology, rules)
    result = engine.to_graph()
    for prefix, ns in data.namespaces():
        result.bind(prefix, ns, override=True, replace=True)
    return result
