"""The benchmark data generator (bench/generate.py): deterministic, parseable, valid, and with --defects
exactly the violations its manifest announces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import DEFECT_KINDS, generate  # noqa: E402

BASE = "https://w3id.org/krefeld-kg/"
TRIPLES = 5000


def _validate(data_dir: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [sys.executable, "-m", "krefeld_kg", "validate", "--data", str(data_dir), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(TRIPLES, out, defects=0.0, seed=11)
    return out


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("defective")
    generate(TRIPLES, out, defects=0.05, seed=5)
    return out


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path, clean: Path) -> None:
    generate(TRIPLES, tmp_path / "again", defects=0.0, seed=11)
    assert _files(tmp_path / "again") == _files(clean)
    generate(TRIPLES, tmp_path / "other", defects=0.0, seed=12)
    assert _files(tmp_path / "other")["places.ttl"] != _files(clean)["places.ttl"]


def test_cli_writes_the_same_as_the_api(tmp_path: Path, clean: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--triples", str(TRIPLES), "--out", str(tmp_path), "--seed", "11"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert _files(tmp_path) == _files(clean)


def test_files_parse_with_relative_iris_and_no_blank_nodes(clean: Path) -> None:
    manifest = json.loads((clean / "defects.json").read_text(encoding="utf-8"))
    total = 0
    subjects_by_file: dict[str, int] = {}
    for path in sorted(clean.glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        assert "@prefix " in text and ": <id/" in text, "resource prefixes are relative"
        assert "<https://w3id.org/krefeld-kg/id/" not in text
        triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE))
        assert len(triples) == manifest["files"][path.name], path.name
        total += len(triples)
        for t in triples:
            assert not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
        subjects = [t.subject.value for t in triples]
        assert all(s.startswith(BASE + "id/") for s in subjects), path.name
        ordered = list(dict.fromkeys(subjects))
        assert ordered == sorted(ordered), f"{path.name} is not sorted by IRI"
        subjects_by_file[path.name] = len(ordered)
    assert total == manifest["triples"]
    assert 0.8 * TRIPLES <= total <= 1.25 * TRIPLES
    assert all(count > 0 for name, count in subjects_by_file.items() if name != "organisations.ttl")


def test_every_resource_has_labels_and_a_source(clean: Path) -> None:
    store = ox.Store()
    for path in clean.glob("*.ttl"):
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    lacking = list(
        store.query("""
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX dct: <http://purl.org/dc/terms/>
        PREFIX kkg: <https://w3id.org/krefeld-kg/ontology#>
        PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?s WHERE {
          ?s a ?type .
          FILTER (NOT EXISTS { ?s rdfs:label ?de FILTER (LANG(?de) = "de") }
               || NOT EXISTS { ?s rdfs:label ?en FILTER (LANG(?en) = "en") }
               || (NOT EXISTS { ?s dct:source ?src } && NOT EXISTS { ?s a kkg:SourceDocument }
                   && NOT EXISTS { ?s a foaf:Agent }))
        }""")
    )
    assert lacking == []


def test_generated_data_conforms(clean: Path) -> None:
    code, report = _validate(clean)
    assert report["violations"] == []
    assert code == 0


def test_defects_are_reported_exactly_as_announced(defective: Path) -> None:
    manifest = json.loads((defective / "defects.json").read_text(encoding="utf-8"))
    assert {d["kind"] for d in manifest["defects"]} == set(DEFECT_KINDS)
    code, report = _validate(defective)
    assert code == 1
    got = Counter((v["focus"], v["component"], v["message"]) for v in report["violations"])
    expected = Counter((v["focus"], v["component"], v["message"]) for v in manifest["expected_violations"])
    assert got == expected
    assert len(report["violations"]) == len(manifest["expected_violations"])
