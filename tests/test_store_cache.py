"""The on-disk store cache of release dumps: built once, reused, replaced when the dump changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from krefeld_kg import query, store_cache
from krefeld_kg.cli import main
from krefeld_kg.errors import InputError


@pytest.fixture()
def dump_copy(release_dir: Path, tmp_path: Path) -> Path:
    """A copy of the real release (its dump is what the cache is of)."""
    copy = tmp_path / "dist"
    shutil.copytree(release_dir, copy)
    return copy


def _versions(cache: Path) -> list[Path]:
    return [v for family in cache.iterdir() for v in family.iterdir()]


def test_the_store_holds_the_dump_and_is_built_once(dump_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    dump = dump_copy / "krefeld-kg.nt"
    store = store_cache.cached_store(dump, cache)
    expected = ox.Store()
    expected.bulk_load(path=str(dump), format=ox.RdfFormat.N_TRIPLES)
    assert set(store) == set(expected)
    [version] = _versions(cache)
    marker = (version / "complete").stat().st_mtime_ns
    del store
    again = store_cache.cached_store(dump, cache)
    assert len(again) == len(expected)
    assert _versions(cache) == [version] and (version / "complete").stat().st_mtime_ns == marker


def test_a_changed_dump_gets_a_new_store_and_the_old_one_goes(dump_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    dump = dump_copy / "krefeld-kg.nt"
    store_cache.cached_store(dump, cache)
    [old] = _versions(cache)
    extra = b'<https://w3id.org/krefeld-kg/id/place/x> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n'
    dump.write_bytes(dump.read_bytes() + extra)
    store = store_cache.cached_store(dump, cache)
    assert (
        ox.Quad(
            ox.NamedNode("https://w3id.org/krefeld-kg/id/place/x"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("x"),
        )
        in store
    )
    [new] = _versions(cache)
    assert new != old and not old.exists()


def test_a_broken_dump_is_reported_and_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    dump = tmp_path / "krefeld-kg.nt"
    dump.write_bytes(b"<http://example.org/a> <http://example.org/b> .\n")
    with pytest.raises(InputError, match="cannot load"):
        store_cache.cached_store(dump, cache)
    assert _versions(cache) == []


def test_small_dumps_are_parsed_into_memory(dump_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    engine = query.load_release(dump_copy, cache)
    assert len(engine) > 5000 and not cache.exists()


def test_large_dumps_come_from_the_cache(dump_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_cache, "MIN_BYTES", 0)
    cache = tmp_path / "cache"
    engine = query.load_release(dump_copy, cache)
    assert len(engine) == len(query.load_release(dump_copy, None))
    assert len(_versions(cache)) == 1


def test_the_cache_directory_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KREFELD_KG_CACHE", "off")
    assert store_cache.default_cache_dir() is None
    monkeypatch.setenv("KREFELD_KG_CACHE", str(tmp_path / "c"))
    assert store_cache.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("KREFELD_KG_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert store_cache.default_cache_dir() == tmp_path / "xdg" / "krefeld-kg" / "stores"


def test_query_command_gives_the_same_rows_from_the_cache(
    dump_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    args = ["query", "relations-of-city", "--format", "csv", "--release", str(dump_copy)]
    monkeypatch.setenv("KREFELD_KG_CACHE", "off")
    uncached = runner.invoke(main, args)
    monkeypatch.setattr(store_cache, "MIN_BYTES", 0)
    monkeypatch.setenv("KREFELD_KG_CACHE", str(tmp_path / "cache"))
    first, second = runner.invoke(main, args), runner.invoke(main, args)
    assert uncached.exit_code == first.exit_code == second.exit_code == 0, first.output
    assert uncached.output == first.output == second.output and uncached.output.count("\n") > 8
    assert len(_versions(tmp_path / "cache")) == 1


def test_an_unwritable_cache_is_a_clear_error(dump_copy: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "file"
        blocker.write_text("not a directory")
        cache = blocker / "cache"
    else:
        cache = tmp_path / "ro"
        cache.mkdir(mode=0o500)
    with pytest.raises(InputError, match="cannot create the store cache"):
        store_cache.cached_store(dump_copy / "krefeld-kg.nt", cache)


def test_a_cache_that_cannot_be_used_falls_back_to_parsing(
    dump_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_cache, "MIN_BYTES", 0)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.warns(UserWarning, match="not using the store cache"):
        engine = query.load_release(dump_copy, blocker / "cache")
    assert len(engine) > 5000


def test_abandoned_builds_and_older_versions_are_cleared_newer_ones_kept(dump_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    dump = dump_copy / "krefeld-kg.nt"
    store_cache.cached_store(dump, cache)
    [family] = list(cache.iterdir())
    abandoned, recent = family / ".building-old", family / ".building-now"
    abandoned.mkdir()
    recent.mkdir()
    os.utime(abandoned, (0, 0))
    newer = family / "newer-version"
    newer.mkdir()
    (newer / "complete").write_text("x")
    os.utime(newer / "complete", (4_000_000_000, 4_000_000_000))
    dump.write_bytes(dump.read_bytes() + b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n")
    store_cache.cached_store(dump, cache)
    names = {p.name for p in family.iterdir()}
    assert ".building-old" not in names and {".building-now", "newer-version"} <= names and len(names) == 3
