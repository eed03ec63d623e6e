"""Golden exports of the mini data set, compared as graphs; run `make golden` to regenerate them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from krefeld_kg import export
from krefeld_kg.build import Pipeline, build

HERE = Path(__file__).resolve().parent
MINI = HERE / "fixtures" / "mini-data"
GOLDEN = HERE / "golden"
FORMATS = {"krefeld-kg.ttl": "turtle", "krefeld-kg.nt": "nt", "krefeld-kg.jsonld": "json-ld", "catalog.ttl": "turtle"}


@pytest.fixture(scope="module")
def mini_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("mini") / "dist", MINI).directory


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_golden_exports_are_isomorphic(mini_release: Path, name: str) -> None:
    fmt = FORMATS[name]
    built = Graph().parse(mini_release / name, format=fmt)
    golden = Graph().parse(GOLDEN / name, format=fmt)
    if not isomorphic(built, golden):
        _, only_built, only_golden = graph_diff(to_isomorphic(built), to_isomorphic(golden))
        sample = sorted(" ".join(t.n3() for t in triple) for triple in only_built)[:3]
        missing = sorted(" ".join(t.n3() for t in triple) for triple in only_golden)[:3]
        pytest.fail(f"{name} differs from tests/golden/{name} (run `make golden` if intended): +{sample} -{missing}")


def test_all_dumps_hold_the_same_graph(release_dir: Path) -> None:
    graphs = [Graph().parse(release_dir / name, format=FORMATS[name]) for name in list(FORMATS)[:3]]
    assert len(graphs[0]) > 5000
    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[1], graphs[2])


def test_ntriples_are_sorted_and_unique(release_dir: Path) -> None:
    lines = (release_dir / "krefeld-kg.nt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(set(lines))


def test_exports_are_byte_stable() -> None:
    graph = Pipeline.load(MINI).graph
    assert export.turtle(graph) == export.turtle(graph)
    assert export.jsonld(graph) == export.jsonld(graph)
    assert export.ntriples(graph) == export.ntriples(graph)


def test_jsonld_is_compacted_with_our_context(release_dir: Path) -> None:
    doc = json.loads((release_dir / "krefeld-kg.jsonld").read_text(encoding="utf-8"))
    assert doc["@context"]["kkg"] == "https://w3id.org/krefeld-kg/ontology#"
    ids = [node["@id"] for node in doc["@graph"]]
    assert "place:krefeld" in ids and ids == sorted(ids)


def test_no_blank_nodes_in_the_release(release_dir: Path) -> None:
    assert "_:" not in (release_dir / "krefeld-kg.nt").read_text(encoding="utf-8")
