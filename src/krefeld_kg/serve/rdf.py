"""RDF documents in the negotiated format, written by pyoxigraph with the prefixes they actually use."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from .. import jsonld
from ..errors import InputError
from .formats import JSON_LD, N_TRIPLES, RDF_XML, TURTLE

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def value_of(term: Term) -> str:
    """The IRI, blank node label or lexical form of ``term``; a quoted triple (the published graph has
    none) as its N-Triples text."""
    return str(term) if isinstance(term, ox.Triple) else term.value


RDF_FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    JSON_LD: ox.RdfFormat.JSON_LD,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    RDF_XML: ox.RdfFormat.RDF_XML,
}


def _namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


def used_prefixes(triples: Iterable[ox.Triple], by_namespace: Mapping[str, str]) -> dict[str, str]:
    """The prefixes (from ``by_namespace``: namespace → prefix) that name an IRI of ``triples``: a document
    about one resource should not open with forty prefix lines."""
    found: dict[str, str] = {}
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                namespace = _namespace(term.value)
                prefix = by_namespace.get(namespace)
                if prefix is not None:
                    found[prefix] = namespace
            elif isinstance(term, ox.Literal) and term.datatype is not None:
                namespace = _namespace(term.datatype.value)
                prefix = by_namespace.get(namespace)
                if prefix is not None:
                    found[prefix] = namespace
    return dict(sorted(found.items()))


def serialize(triples: list[ox.Triple], media_type: str, by_namespace: Mapping[str, str]) -> bytes:
    """``triples`` as Turtle, JSON-LD (compacted with the prefixes it uses, as the JSON-LD dump is),
    N-Triples or RDF/XML."""
    if media_type == JSON_LD:
        lines = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").splitlines(keepends=True)
        lines.sort()
        out = io.BytesIO()
        try:
            jsonld.write(lines, dict(used_prefixes(triples, by_namespace)), out)
            return out.getvalue()
        except InputError:
            pass  # a triple term, say (a CONSTRUCT can make one): pyoxigraph's serialiser reports it its way
    fmt = RDF_FORMATS[media_type]
    prefixes = used_prefixes(triples, by_namespace) if media_type in (TURTLE, RDF_XML) else None
    return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
