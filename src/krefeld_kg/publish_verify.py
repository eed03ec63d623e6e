"""What a store holds in one graph, compared with the release: the checks `publish` runs after each step.

Counts and a sample of triples through SPARQL (``sparql_check``), or every triple read back through the Graph
Store Protocol (``gsp_check``), literals compared by value where stores canonicalise them. Kept apart from
publish.py, which holds the loading and switching steps.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox

from .publish_graph_store import GraphStore
from .remote import RemoteEngine

SAMPLE_SIZE = 200


@dataclass
class Check:
    """What a store holds in one graph, compared with the release."""

    store_triples: int
    sample_size: int
    sample_found: int

    def agrees(self, release_triples: int) -> bool:
        return self.store_triples == release_triples and self.sample_found == self.sample_size


def sample(triples: list[ox.Triple], size: int = SAMPLE_SIZE) -> list[ox.Triple]:
    """Up to ``size`` triples without blank nodes, spread evenly over the sorted release."""
    named = [t for t in triples if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)]
    if len(named) <= size:
        return named
    step = len(named) / size
    return [named[int(i * step)] for i in range(size)]


def sparql_check(engine: RemoteEngine, graph: str, expected: list[ox.Triple]) -> Check:
    count = engine.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    rows = " ".join(f"({t.subject} {t.predicate} {t.object})" for t in expected)
    found = (
        engine.select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ VALUES (?s ?p ?o) {{ {rows} }} ?s ?p ?o }} }}"
        )
        if expected
        else None
    )
    return Check(int(str(count.rows[0][0])), len(expected), int(str(found.rows[0][0])) if found else 0)


_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {
    _XSD + n
    for n in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}


def _key(triple: ox.Triple) -> tuple[str, str, str]:
    """A triple compared by value where stores canonicalise literals (``"48.5000"^^xsd:decimal`` = ``48.5``)."""
    o = triple.object
    text = str(o)
    if isinstance(o, ox.Literal) and o.datatype.value.startswith(_XSD):
        dt, value = o.datatype.value, o.value.strip()
        with contextlib.suppress(ValueError, ArithmeticError):
            if dt in _INTEGERS:
                text = f"{int(value)}^^{dt}"
            elif dt == _XSD + "decimal":
                text = f"{Decimal(value).normalize()}^^{dt}"
            elif dt in (_XSD + "double", _XSD + "float"):
                text = f"{float(value)!r}^^{dt}"
            elif dt == _XSD + "boolean":
                text = f"{value in ('true', '1')}^^{dt}"
    return str(triple.subject), str(triple.predicate), text


def gsp_check(store: GraphStore, graph: str, expected: list[ox.Triple]) -> Check:
    held = {_key(t) for t in store.get(graph)}
    return Check(len(held), len(expected), sum(1 for t in expected if _key(t) in held))
