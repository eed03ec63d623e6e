"""What every page needs about many resources at once, computed once at start-up from the immutable release:
labels, which resources exist (by type), their classes, coordinates and the web addresses of sources.

A resource page links to dozens of others; looking each label up in the store would cost more than the
rest of the page, so labels come from a dictionary instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..namespaces import DCTERMS, GEO, KKG, RDF, RDFS, RESOURCE_TYPES, SCHEMA, SKOS, parse_resource_iri
from .backend import Backend

LABEL = ox.NamedNode(str(RDFS.label))
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class Source:
    url: str | None
    publisher: str | None


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

    @classmethod
    def build(cls, backend: Backend, base: str, vocabulary: Path | None = None) -> GraphIndex:
        index = cls(base)
        rows = backend.select(f"SELECT ?s ?l WHERE {{ ?s <{RDFS.label}> ?l FILTER(isIRI(?s)) }}")
        index._add_labels((s.value, lit) for s, lit in rows if s is not None and isinstance(lit, ox.Literal))
        if vocabulary is not None and vocabulary.is_file():
            index._add_labels(_vocabulary_labels(vocabulary))
        for (subject,) in backend.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"):
            if subject is None:
                continue
            parsed = parse_resource_iri(base, subject.value)
            if parsed is not None and "#" not in subject.value:
                index.known.add(subject.value)
                index.resources.setdefault(parsed[0], []).append(subject.value)
        for subject, class_ in backend.select(f"SELECT ?s ?c WHERE {{ ?s <{RDF.type}> ?c FILTER(isIRI(?c)) }}"):
            if subject is not None and class_ is not None:
                index.classes.setdefault(subject.value, []).append(class_.value)
        for subject, lat, long in backend.select(
            f"SELECT ?s ?lat ?long WHERE {{ ?s <{GEO.lat}> ?lat ; <{GEO.long}> ?long }}"
        ):
            try:
                index.coordinates[subject.value] = (float(lat.value), float(long.value))  # type: ignore[union-attr]
            except (AttributeError, ValueError):
                continue
        for subject, url, publisher in backend.select(
            f"SELECT ?s ?url ?publisher WHERE {{ ?s a <{KKG.SourceDocument}> "
            f"OPTIONAL {{ ?s <{SCHEMA.url}> ?url }} OPTIONAL {{ ?s <{DCTERMS.publisher}> ?publisher }} }}"
        ):
            if subject is not None:
                index.sources[subject.value] = Source(
                    url.value if url is not None else None, publisher.value if publisher is not None else None
                )
        ((count,),) = backend.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        index.triples = int(count.value) if count is not None else 0
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
        (q.subject.value, q.object)
        for q in quads
        if q.predicate.value in wanted and isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)
    ]
