from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from krefeld_kg.build import Pipeline
from krefeld_kg.namespaces import DEFAULT_BASE, KKG
from krefeld_kg.stats import compute


def test_counts_on_the_real_data(pipeline: Pipeline) -> None:
    stats = compute(pipeline.graph)
    assert stats.classes[str(KKG.Twinning)] == 8
    assert stats.classes[str(KKG.Cooperation)] == 14
    assert stats.missing_labels == {"de": [], "en": []}
    assert set(stats.languages) >= {"de", "en", "fr", "nl", "ru"}
    assert max(stats.sources.values()) > 10


def test_missing_label_report() -> None:
    g = Graph()
    x = URIRef(DEFAULT_BASE + "id/place/x")
    g.add((x, RDF.type, KKG.Municipality))
    g.add((x, RDFS.label, Literal("X", lang="de")))
    stats = compute(g)
    assert stats.missing_labels == {"de": [], "en": [str(x)]}
    assert stats.resources == 1
