"""Derive stage: add what the data contract promises but the edit files do not spell out.

The rules are SPARQL CONSTRUCT queries in ontology/rules/, applied in file-name order until nothing new
appears, over the data plus the ontology (for the class hierarchy); only data triples are published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from .engine import OxigraphEngine
from .load import RULES_DIR


@dataclass(frozen=True)
class Rule:
    name: str
    text: str


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    return [Rule(p.stem, p.read_text(encoding="utf-8")) for p in sorted(rules_dir.glob("*.rq"))]


def derive(data: Graph, ontology: Graph, rules: list[Rule] | None = None, max_rounds: int = 10) -> Graph:
    """A new graph: ``data`` plus everything the rules derive from it (to a fixpoint)."""
    rules = load_rules() if rules is None else rules
    result = Graph(bind_namespaces="none")
    for prefix, ns in data.namespaces():
        result.bind(prefix, ns, override=True, replace=True)
    for triple in data:
        result.add(triple)
    work = OxigraphEngine.from_graph(data, ontology)
    for _ in range(max_rounds):
        added = []
        for rule in rules:
            for triple in work.construct(rule.text):
                if triple not in result:
                    result.add(triple)
                    added.append(triple)
        if not added:
            break
        work.add(added)
    return result
