"""The schema.org description embedded in each page (``<script type="application/ld+json">``) for search
engines: the resource's schema.org types and properties, its name, description, identifiers and position."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from ..namespaces import GEO, SCHEMA
from .index import GraphIndex
from .rdf import value_of
from .view import in_language

_SCHEMA = str(SCHEMA)


def schema_org(index: GraphIndex, iri: str, outgoing: list[ox.Triple], lang: str, page_url: str) -> str:
    """JSON-LD text that is safe inside a <script> element: ``<``, ``>`` and ``&`` are escaped, so a label
    reading ``</script>`` cannot end the element early."""
    own = [t for t in outgoing if value_of(t.subject) == iri]
    types = sorted(
        value_of(t.object)[len(_SCHEMA) :]
        for t in own
        if t.predicate.value == str(RDF.type) and value_of(t.object).startswith(_SCHEMA)
    )
    doc: dict[str, Any] = {
        "@context": _SCHEMA.rstrip("/"),
        "@type": types or "Thing",
        "@id": iri,
        "mainEntityOfPage": page_url,
    }
    name = index.label(iri, lang)
    if name:
        doc["name"] = name
    literals: dict[str, list[ox.Literal]] = {}
    for t in own:
        if isinstance(t.object, ox.Literal):
            literals.setdefault(t.predicate.value, []).append(t.object)
    descriptions = in_language([lit for lit in literals.get(str(DCTERMS.description), [])], lang)
    if descriptions:
        doc["description"] = descriptions[0].value
    alternates = [
        lit.value
        for lit in literals.get(str(SKOS.altLabel), []) + literals.get(str(RDFS.label), [])
        if lit.value != name
    ]
    if alternates:
        doc["alternateName"] = sorted(set(alternates))
    same = sorted(value_of(t.object) for t in own if t.predicate.value in (str(OWL.sameAs), str(SKOS.closeMatch)))
    if same:
        doc["sameAs"] = same
    lat, long = literals.get(str(GEO.lat)), literals.get(str(GEO.long))
    if lat and long:
        doc["geo"] = {"@type": "GeoCoordinates", "latitude": lat[0].value, "longitude": long[0].value}
    for t in own:
        predicate = t.predicate.value
        if not predicate.startswith(_SCHEMA) or predicate == str(RDF.type):
            continue
        key = predicate[len(_SCHEMA) :]
        if isinstance(t.object, ox.NamedNode):
            value: Any = {"@id": value_of(t.object)}
            label = index.label(value_of(t.object), lang)
            if label:
                value["name"] = label
        elif isinstance(t.object, ox.Literal):
            if t.object.language and t.object.language != lang:
                continue
            value = value_of(t.object)
        else:
            continue
        existing = doc.get(key)
        doc[key] = value if existing is None else (existing if isinstance(existing, list) else [existing]) + [value]
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
