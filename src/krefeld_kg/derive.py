"""Derive stage: add what the data contract promises but the edit files do not spell out.

The rules are SPARQL CONSTRUCT queries in ontology/rules/, applied once each in file-name order: a rule
sees what the rules before it derived (the superclass types come first), so no rule needs a second pass --
a fixpoint loop cost a whole extra round (8 s at a million triples) only to find nothing new. They run
inside the embedded store over the data plus the ontology (for the class hierarchy): each CONSTRUCT runs as
the ``INSERT`` with the same template and pattern, so the derived triples never pass through Python (3.6 s
against 7.3 s at a million triples); a rule the INSERT form cannot express (``CONSTRUCT WHERE``, solution
modifiers, ``FROM``) runs as the CONSTRUCT it is, its triples added through Python. The ontology is in the
default graph only while the rules run; its triples that were not data before are removed afterwards, so only
data triples are published -- also when a rule derives one of them (data that restate the ontology's own
statements about its individuals; our ontology has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .engine import OxigraphEngine, QueryError, to_ox
from .load import RULES_DIR

# The keyword that opens the query: after the PREFIX/BASE lines and comments, before the template.
_CONSTRUCT = re.compile(r"^(?:\s*(?:#[^\n]*|(?:PREFIX|BASE)\s[^\n]*)\n)*\s*(CONSTRUCT)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    name: str
    text: str


def load_rules(rules_dir: Path = RULES_DIR) -> list[Rule]:
    return [Rule(p.stem, p.read_text(encoding="utf-8")) for p in sorted(rules_dir.glob("*.rq"))]


def _as_insert(rule: Rule) -> str | None:
    """The rule's CONSTRUCT as the INSERT with the same template and pattern; None if the text does not open
    that way (``CONSTRUCT WHERE``, a PREFIX on the CONSTRUCT's line, ...)."""
    match = _CONSTRUCT.search(rule.text)
    if match is None or re.match(r"\s*WHERE\b", rule.text[match.end(1) :], re.IGNORECASE):
        return None
    return rule.text[: match.start(1)] + "INSERT" + rule.text[match.end(1) :]


def _run(store: ox.Store, rule: Rule) -> None:
    update = _as_insert(rule)
    if update is not None:
        try:
            store.update(update)
            return
        except SyntaxError:
            pass  # solution modifiers, FROM, a trailing VALUES: valid in a CONSTRUCT, not in an INSERT
    # The slower way, through Python, for what the INSERT form cannot say.
    try:
        found = store.query(rule.text)
    except SyntaxError as exc:
        raise QueryError(f"rule {rule.name}: {exc}") from None
    if not isinstance(found, ox.QueryTriples):
        raise QueryError(f"rule {rule.name} must be a CONSTRUCT query")
    store.extend([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in found])


def derive_in_place(engine: OxigraphEngine, ontology: Graph, rules: list[Rule] | None = None) -> None:
    """Add to the engine's default graph everything the rules derive from it, rule after rule."""
    rules = load_rules() if rules is None else rules
    store = engine.store
    schema = [ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in ontology]  # type: ignore[arg-type]
    borrowed = [quad for quad in schema if quad not in store]
    store.extend(borrowed)
    try:
        for rule in rules:
            _run(store, rule)
    finally:
        for quad in borrowed:
            store.remove(quad)


def derive(data: Graph, ontology: Graph, rules: list[Rule] | None = None) -> Graph:
    """A new rdflib graph: ``data`` plus everything the rules derive from it."""
    engine = OxigraphEngine.from_graph(data)
    derive_in_place(engine, ontology, rules)
    result = engine.to_graph()
    for prefix, ns in data.namespaces():
        result.bind(prefix, ns, override=True, replace=True)
    return result
