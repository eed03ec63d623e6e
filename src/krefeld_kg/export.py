"""Export stage: the graph as N-Triples, Turtle and JSON-LD, byte-for-byte the same for the same graph.

The dumps are written from the embedded store: canonical N-Triples lines sorted, Turtle serialised by
pyoxigraph from those sorted triples (so subjects appear in order), and JSON-LD built directly in its
compacted form for our prefix-only context, ``@graph`` sorted by ``@id``. Determinism rests on the published
graph having no blank nodes (the shapes demand IRIs). The small rdflib graphs (ontology, shapes, catalogue,
report) go through rdflib's Turtle serialiser, which writes their blank nodes inline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from .engine import OxigraphEngine
from .load import CONTEXT_FILE, new_graph
from .namespaces import DEFAULT_BASE, all_prefixes, resource_prefixes

MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _engine(source: Graph | OxigraphEngine) -> OxigraphEngine:
    return source if isinstance(source, OxigraphEngine) else OxigraphEngine.from_graph(source)


def ntriples(source: Graph | OxigraphEngine) -> bytes:
    """Canonical N-Triples, one line per triple, sorted, no duplicates."""
    lines = sorted(set(_engine(source).ntriples().split(b"\n")) - {b""})
    return b"\n".join(lines) + b"\n"


def _used_prefixes(nt: bytes, base: str) -> dict[str, str]:
    return {p: ns for p, ns in all_prefixes(base).items() if b"<" + ns.encode("utf-8") in nt}


def turtle(source: Graph | OxigraphEngine, base: str = DEFAULT_BASE, nt: bytes | None = None) -> bytes:
    """Turtle of ``source``; ``nt``, if given, is ``ntriples(source)`` already computed (the build has it)."""
    # rdflib Graphs (ontology, shapes, catalogue, report: small, with blank nodes, and with datatypes such as
    # xsd:nonNegativeInteger that the store would fold into xsd:integer) keep rdflib's serialiser.
    if isinstance(source, Graph):
        out = new_graph(base)
        for triple in source:
            out.add(triple)
        data: bytes = out.serialize(format="turtle", encoding="utf-8")
        return data
    nt = ntriples(source) if nt is None else nt
    triples = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    result = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_used_prefixes(nt, base))
    return result or b""


def context(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The JSON-LD context: ontology/context.jsonld plus the resource prefixes of ``base``."""
    ctx: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    return {"@context": {**resource_prefixes(base), **ctx}}


class _Compactor:
    """IRIs to compact IRIs with the context's prefixes (longest namespace first)."""

    def __init__(self, ctx: dict[str, Any]) -> None:
        self.prefixes = sorted(((ns, p) for p, ns in ctx.items() if isinstance(ns, str)), key=lambda i: -len(i[0]))

    def __call__(self, iri: str) -> str:
        for ns, prefix in self.prefixes:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//"):
                return f"{prefix}:{iri[len(ns) :]}"
        return iri


def _value(term: Any, compact: _Compactor) -> Any:
    if isinstance(term, ox.NamedNode):
        return {"@id": compact(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return term.value
    return {"@value": term.value, "@type": compact(term.datatype.value)}


def jsonld(source: Graph | OxigraphEngine, base: str = DEFAULT_BASE, nt: bytes | None = None) -> bytes:
    """JSON-LD compacted with our context (prefixes only), the form a JSON-LD processor's compaction gives;
    ``nt``, if given, is ``ntriples(source)`` already computed."""
    ctx = context(base)["@context"]
    compact = _Compactor(ctx)
    nodes: dict[str, dict[str, list[Any]]] = {}
    for triple in ox.parse(ntriples(source) if nt is None else nt, format=ox.RdfFormat.N_TRIPLES):
        subject = triple.subject
        key = compact(subject.value) if isinstance(subject, ox.NamedNode) else f"_:{subject.value}"
        node = nodes.setdefault(key, {})
        if triple.predicate.value == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact(triple.object.value))
        else:
            node.setdefault(compact(triple.predicate.value), []).append(_value(triple.object, compact))
    graph = []
    for key in sorted(nodes):
        compacted: dict[str, Any] = {"@id": key}
        for prop, values in nodes[key].items():
            compacted[prop] = values[0] if len(values) == 1 else values
        graph.append(compacted)
    return (
        json.dumps({"@context": ctx, "@graph": graph}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    ).encode()


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
