from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from krefeld_kg.build import Release, build
from krefeld_kg.errors import InputError, NotConformant

MINI = Path(__file__).resolve().parent / "fixtures" / "mini-data"
EXPECTED = {
    "krefeld-kg.ttl",
    "krefeld-kg.nt",
    "krefeld-kg.jsonld",
    "ontology.ttl",
    "shapes.ttl",
    "context.jsonld",
    "catalog.ttl",
    "validation-report.ttl",
    "SHA256SUMS",
}


def test_release_has_every_file_and_correct_checksums(release: Release) -> None:
    names = {p.name for p in release.directory.iterdir()}
    assert names == EXPECTED
    sums = (release.directory / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(EXPECTED) - 1
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((release.directory / name).read_bytes()).hexdigest() == digest


def test_same_input_gives_same_bytes(tmp_path: Path) -> None:
    first = build(tmp_path / "a", MINI)
    second = build(tmp_path / "b", MINI)
    assert (first.directory / "SHA256SUMS").read_bytes() == (second.directory / "SHA256SUMS").read_bytes()


def test_failing_build_leaves_the_release_untouched(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(out, MINI)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = tmp_path / "broken"
    shutil.copytree(MINI, broken)
    (broken / "places.ttl").write_text((broken / "places.ttl").read_text().replace('"Venlo"@en', '"Venlo"@nl'))
    with pytest.raises(NotConformant):
        build(out, broken)
    (broken / "events.ttl").write_text("this is not turtle")
    with pytest.raises(InputError):
        build(out, broken)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "dist"]


def test_rebuild_replaces_the_release(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    build(out, MINI)
    (out / "stale.txt").write_text("left over")
    build(out, MINI)
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_base_is_configurable(tmp_path: Path) -> None:
    release = build(tmp_path / "dist", MINI, "http://localhost:8000/")
    text = (release.directory / "krefeld-kg.nt").read_text()
    assert "<http://localhost:8000/id/place/krefeld>" in text
    assert "w3id.org/krefeld-kg/id/" not in text
