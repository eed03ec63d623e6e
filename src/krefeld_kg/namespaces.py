"""Every namespace and the IRI pattern of resources: spelled here and nowhere else (the default base IRI in
defaults.py, which the CLI reads without importing rdflib)."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, VOID, XSD

from .defaults import DEFAULT_BASE as DEFAULT_BASE

ONTOLOGY_IRI = "https://w3id.org/krefeld-kg/ontology"
KKG = Namespace(ONTOLOGY_IRI + "#")
ROLE = Namespace(ONTOLOGY_IRI + "/role/")
STATUS = Namespace(ONTOLOGY_IRI + "/status/")
LEGALFORM = Namespace(ONTOLOGY_IRI + "/legal-form/")
FIELD = Namespace(ONTOLOGY_IRI + "/field/")
COUNTKIND = Namespace(ONTOLOGY_IRI + "/count-kind/")
SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
WD = Namespace("http://www.wikidata.org/entity/")

#: The {type} segments of resource IRIs and the prefix the edit files use for each.
RESOURCE_TYPES: dict[str, str] = {
    "place": "place",
    "organisation": "orgn",
    "cooperation": "coop",
    "membership": "ms",
    "twinning": "twin",
    "relation": "rel",
    "event": "event",
    "claim": "claim",
    "count": "count",
    "contact": "contact",
    "source": "src",
    "publisher": "pub",
    "dataset": "dataset",
    "catalog": "catalog",
    "distribution": "distribution",
}

#: Prefixes bound in every serialisation, in this order; resource prefixes are added per base.
VOCAB_PREFIXES: dict[str, str] = {
    "kkg": str(KKG),
    "role": str(ROLE),
    "status": str(STATUS),
    "legalform": str(LEGALFORM),
    "field": str(FIELD),
    "countkind": str(COUNTKIND),
    "adms": str(ADMS),
    "dcat": str(DCAT),
    "dcatap": str(DCATAP),
    "dcatde": str(DCATDE),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "geo": str(GEO),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "schema": str(SCHEMA),
    "sh": str(SH),
    "skos": str(SKOS),
    "spdx": str(SPDX),
    "time": str(TIME),
    "vcard": str(VCARD),
    "void": str(VOID),
    "wd": str(WD),
    "xsd": str(XSD),
}

_SLUG = re.compile(r"^[a-z0-9]+(?:-{1,2}[a-z0-9]+)*$")
_BASE = re.compile(r"^https?://[^\s<>\"{}|\\^`#?]+/$")


class InvalidIRI(ValueError):
    """A base IRI or slug that cannot form a resource IRI."""


def check_base(base: str) -> str:
    """Return ``base`` if it is an absolute http(s) IRI ending in ``/``; raise InvalidIRI otherwise."""
    if not _BASE.match(base):
        raise InvalidIRI(f"base IRI must be an absolute http(s) IRI ending in '/': {base!r}")
    return base


def resource_iri(base: str, type_: str, slug: str) -> URIRef:
    """The IRI ``{base}id/{type}/{slug}`` of a resource, after checking every part."""
    check_base(base)
    if type_ not in RESOURCE_TYPES:
        raise InvalidIRI(f"unknown resource type {type_!r}; known: {', '.join(sorted(RESOURCE_TYPES))}")
    if not _SLUG.match(slug):
        raise InvalidIRI(f"slug must be lower-case ASCII words joined by '-': {slug!r}")
    return URIRef(f"{base}id/{type_}/{slug}")


def resource_prefixes(base: str) -> dict[str, str]:
    """Prefix → namespace for the resource types under ``base`` (``place:`` → ``{base}id/place/``)."""
    return {prefix: f"{base}id/{type_}/" for type_, prefix in RESOURCE_TYPES.items()}


def all_prefixes(base: str) -> dict[str, str]:
    return {**resource_prefixes(base), **VOCAB_PREFIXES}


def namespace_prefixes(base: str) -> dict[str, str]:
    """Namespace → prefix, the other way round from ``all_prefixes``."""
    return {namespace: prefix for prefix, namespace in all_prefixes(base).items()}


def prefixes_longest_first(base: str) -> list[tuple[str, str]]:
    """(prefix, namespace) with the longest namespace first, so the first that fits an IRI is the best."""
    return sorted(all_prefixes(base).items(), key=lambda item: -len(item[1]))


_LOCAL_NAME = re.compile(r"^[\w.-]*$")


def curie(iri: str, prefixes: list[tuple[str, str]]) -> str | None:
    """``prefix:local`` for ``iri`` with the first of ``prefixes`` (see ``prefixes_longest_first``) whose
    namespace it starts with and whose rest is a plain local name; None if there is none."""
    for prefix, ns in prefixes:
        if iri.startswith(ns) and _LOCAL_NAME.match(iri[len(ns) :]):
            return f"{prefix}:{iri[len(ns) :]}"
    return None


def parse_resource_iri(base: str, iri: str) -> tuple[str, str] | None:
    """(type, slug) of a resource IRI under ``base``, or None for any other IRI."""
    if not iri.startswith(base + "id/"):
        return None
    rest = iri[len(base) + 3 :].split("#", 1)[0]
    parts = rest.split("/")
    if len(parts) != 2 or parts[0] not in RESOURCE_TYPES or not _SLUG.match(parts[1]):
        return None
    return parts[0], parts[1]


def project_root() -> Path:
    """The checkout this package runs from: ontology/, data/ and queries/ live there."""
    return Path(__file__).resolve().parents[2]
