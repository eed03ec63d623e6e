"""Stats: what the graph holds, counted per class, per language and per source, and which resources lack a
label in one of the languages every resource must have."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from .namespaces import DEFAULT_BASE

REQUIRED_LANGUAGES = ("de", "en")


@dataclass
class Stats:
    triples: int
    resources: int
    classes: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    missing_labels: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "triples": self.triples,
            "resources": self.resources,
            "classes": self.classes,
            "languages": self.languages,
            "sources": self.sources,
            "missing_labels": self.missing_labels,
        }


def compute(graph: Graph, base: str = DEFAULT_BASE) -> Stats:
    prefix = base + "id/"
    resources = {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(prefix) and "#" not in s}
    classes = Counter(str(c) for s, c in graph.subject_objects(RDF.type) if s in resources)
    languages = Counter(o.language or "" for o in graph.objects() if isinstance(o, Literal) and o.language)
    sources = Counter(str(o) for _, o in graph.subject_objects(DCTERMS.source))
    missing: dict[str, list[str]] = {}
    for lang in REQUIRED_LANGUAGES:
        lacking = sorted(
            str(s)
            for s in resources
            if not any(isinstance(label, Literal) and label.language == lang for label in graph.objects(s, RDFS.label))
        )
        missing[lang] = lacking
    return Stats(
        triples=len(graph),
        resources=len(resources),
        classes=dict(sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))),
        languages=dict(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        missing_labels=missing,
    )
