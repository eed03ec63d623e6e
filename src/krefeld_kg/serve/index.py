"""What every page needs about many resources at once, computed once at start-up from the immutable release:
labels, which resources exist (by type), their classes, coordinates and the web addresses of sources.

A resource page links to dozens of others; looking each label up in the store would cost more than the
rest of the page, so labels come from a dictionary instead.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ..namespaces import GEO, KKG, RESOURCE_TYPES, SCHEMA, parse_resource_iri
from .backend import Backend
from .geo import Grid
from .rdf import value_of

LABEL = ox.NamedNode(str(RDFS.label))
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class Source:
    url: str | None
    publisher: str | None


def coordinate(lat: str, long: str) -> tuple[float, float] | None:
    """(lat, long) as numbers if both are numbers on the globe; None otherwise (a remote store need not keep
    to the shapes, and one NaN would break the map of every place)."""
    try:
        position = float(lat), float(long)
    except ValueError:
        return None
    if not (math.isfinite(position[0]) and math.isfinite(position[1])):
        return None
    return position if abs(position[0]) <= 90 and abs(position[1]) <= 180 else None


@dataclass
class GraphIndex:
    base: str
    labels: dict[str, list[ox.Literal]] = field(default_factory=dict)  # rdfs:label of data and vocabulary
    resources: dict[str, list[str]] = field(default_factory=dict)  # type segment → IRIs
    known: set[str] = field(default_factory=set)  # every resource IRI with triples of its own
    classes: dict[str, list[str]] = field(default_factory=dict)  # IRI → rdf:type IRIs
    coordinates: dict[str, tuple[float, float]] = field(default_factory=dict)  # IRI → (lat, long)
    sources: dict[str, Source] = field(default_factory=dict)
    triples: int = 0
    _best: dict[str, dict[str, str]] = field(default_factory=dict)  # lang → IRI → label, fallbacks resolved

    @cached_property
    def grid(self) -> Grid:
        """The places with coordinates by cell, for the maps' close-ups."""
        return Grid(self.coordinates)

    @classmethod
    def build(cls, backend: Backend, base: str, vocabulary: Path | None = None) -> GraphIndex:
        index = cls(base)
        rows = backend.select(f"SELECT ?s ?l WHERE {{ ?s <{RDFS.label}> ?l FILTER(isIRI(?s)) }}")
        index._add_labels((value_of(s), lit) for s, lit in rows if s is not None and isinstance(lit, ox.Literal))
        if vocabulary is not None and vocabulary.is_file():
            index._add_labels(_vocabulary_labels(vocabulary))
        for (subject,) in backend.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"):
            if subject is None:
                continue
            parsed = parse_resource_iri(base, value_of(subject))
            if parsed is not None and "#" not in value_of(subject):
                index.known.add(value_of(subject))
                index.resources.setdefault(parsed[0], []).append(value_of(subject))
        for subject, class_ in backend.select(f"SELECT ?s ?c WHERE {{ ?s <{RDF.type}> ?c FILTER(isIRI(?c)) }}"):
            if subject is not None and class_ is not None:
                index.classes.setdefault(value_of(subject), []).append(value_of(class_))
        for subject, lat, long in backend.select(
            f"SELECT ?s ?lat ?long WHERE {{ ?s <{GEO.lat}> ?lat ; <{GEO.long}> ?long }}"
        ):
            if subject is None or lat is None or long is None:
                continue
            position = coordinate(value_of(lat), value_of(long))
            if position is not None:
                index.coordinates[value_of(subject)] = position
        for subject, url, publisher in backend.select(
            f"SELECT ?s ?url ?publisher WHERE {{ ?s a <{KKG.SourceDocument}> "
            f"OPTIONAL {{ ?s <{SCHEMA.url}> ?url }} OPTIONAL {{ ?s <{DCTERMS.publisher}> ?publisher }} }}"
        ):
            if subject is not None:
                index.sources[value_of(subject)] = Source(
                    value_of(url) if url is not None else None, value_of(publisher) if publisher is not None else None
                )
        ((count,),) = backend.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        index.triples = int(value_of(count)) if count is not None else 0
        for type_ in index.resources:
            index.resources[type_].sort(key=lambda iri: sort_key(index.label(iri, "de")))
        return index

    def _add_labels(self, pairs: Iterable[tuple[str, ox.Literal]]) -> None:
        for iri, literal in pairs:
            if literal not in self.labels.setdefault(iri, []):
                self.labels[iri].append(literal)
        self._best = {lang: {} for lang in LANGUAGES}
        for iri, literals in self.labels.items():
            by_lang: dict[str, str] = {}
            for lit in sorted(literals, key=lambda lit: lit.value):
                by_lang.setdefault(lit.language or "", lit.value)
            for lang in LANGUAGES:
                other = "en" if lang == "de" else "de"
                best = by_lang.get(lang) or by_lang.get("") or by_lang.get(other) or next(iter(by_lang.values()))
                self._best[lang][iri] = best

    def label(self, iri: str, lang: str) -> str | None:
        """The label of ``iri`` in ``lang``, else an untagged one, else the other language, else any."""
        return self._best.get(lang, {}).get(iri)

    def label_triples(self, iri: str) -> list[ox.Triple]:
        node = ox.NamedNode(iri)
        return [ox.Triple(node, LABEL, lit) for lit in self.labels.get(iri, ())]

    def exists(self, iri: str) -> bool:
        return iri in self.known

    def counts(self) -> dict[str, int]:
        return {type_: len(self.resources.get(type_, ())) for type_ in RESOURCE_TYPES if self.resources.get(type_)}


def sort_key(text: str | None) -> str:
    """Alphabetical the way a reader expects: case and accents do not count (Ö sorts with O)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _vocabulary_labels(path: Path) -> list[tuple[str, ox.Literal]]:
    """Labels of the ontology's classes, properties and concepts: the names of types, roles and statuses."""
    wanted = {str(RDFS.label), str(SKOS.prefLabel)}
    try:
        quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    except (SyntaxError, OSError):
        return []
    return [
        (value_of(q.subject), q.object)
        for q in quads
        if q.predicate.value in wanted and isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)
    ]
