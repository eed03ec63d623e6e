"""Export stage: the graph as N-Triples, Turtle and JSON-LD, byte-for-byte the same for the same graph.

Determinism comes from having no blank nodes in the published graph (the shapes demand IRIs) plus sorting:
N-Triples lines are sorted, Turtle subjects are written in sorted order by rdflib, and the JSON-LD
``@graph`` is sorted by ``@id`` with sorted keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rdflib import Graph

from .load import CONTEXT_FILE, new_graph
from .namespaces import DEFAULT_BASE, resource_prefixes

MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
}


def ntriples(graph: Graph) -> bytes:
    lines = sorted(set(graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()))
    return ("\n".join(line for line in lines if line.strip()) + "\n").encode("utf-8")


def turtle(graph: Graph, base: str = DEFAULT_BASE) -> bytes:
    out = new_graph(base)
    for triple in graph:
        out.add(triple)
    data: bytes = out.serialize(format="turtle", encoding="utf-8")
    return data


def context(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The JSON-LD context: ontology/context.jsonld plus the resource prefixes of ``base``."""
    ctx: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    return {"@context": {**resource_prefixes(base), **ctx}}


def jsonld(graph: Graph, base: str = DEFAULT_BASE) -> bytes:
    ctx = context(base)
    raw = graph.serialize(format="json-ld", context=ctx["@context"], auto_compact=True, encoding="utf-8")
    doc = json.loads(raw)
    nodes = doc.get("@graph", [doc] if "@id" in doc else [])
    for node in nodes:
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = sorted(value, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    nodes.sort(key=lambda node: node.get("@id", ""))
    out = {"@context": ctx["@context"], "@graph": nodes}
    return (json.dumps(out, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
