"""On-disk stores of release dumps, so that `krefeld-kg query` need not parse a large dump on every run.

Parsing the N-Triples dump into memory costs about 5 s per million triples, every time the command runs;
opening a pyoxigraph (RocksDB) store built once from the same dump takes a fraction of a second. A store is
kept per dump file and version in the cache directory (``KREFELD_KG_CACHE``, else ``$XDG_CACHE_HOME`` or
``~/.cache``, then ``krefeld-kg/stores``), built in a temporary directory and renamed into place when complete;
a new version of the dump replaces the stores of the old ones. Small dumps load faster than a store opens,
so they are not cached.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError
from .release_files import SUMS, read_sums

#: below this size (about 80,000 triples) parsing the dump is faster than opening a store
MIN_BYTES = 16 * 1024 * 1024
_COMPLETE = "complete"


def default_cache_dir() -> Path | None:
    """The cache directory from the environment; None if ``KREFELD_KG_CACHE`` is ``off``."""
    configured = os.environ.get("KREFELD_KG_CACHE")
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    root = os.environ.get("XDG_CACHE_HOME")
    if not root:
        try:
            root = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to cache in
            return None
    return Path(root) / "krefeld-kg" / "stores"


def _digest(*parts: object) -> str:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:20]


def cached_store(dump: Path, cache_dir: Path) -> ox.Store:
    """A read-only store holding the N-Triples ``dump``, built on first use."""
    try:
        stat = dump.stat()
    except OSError as exc:
        raise InputError(f"cannot read the dump: {exc.strerror}", dump) from None
    # The file's identity and version: a rebuilt release (new inode, size, time or checksum) gets a new store.
    family = cache_dir / _digest(dump.resolve())
    version = family / _digest(stat.st_ino, stat.st_size, stat.st_mtime_ns, _listed_sha256(dump))
    if not (version / _COMPLETE).is_file():
        _build(dump, family, version)
    try:
        return ox.Store.read_only(str(version))
    except OSError as exc:
        raise InputError(f"cannot open the cached store: {exc} (delete it to rebuild)", version) from None


def _listed_sha256(dump: Path) -> str:
    """The dump's checksum as the release's SHA256SUMS lists it ("" if it does not)."""
    try:
        return read_sums(dump.parent / SUMS).get(dump.name, "")
    except InputError:  # no list (or none readable): the file's identity alone keys the store
        return ""


def _build(dump: Path, family: Path, version: Path) -> None:
    try:
        family.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".building-", dir=family))
    except OSError as exc:
        raise InputError(f"cannot create the store cache: {exc.strerror}", family) from None
    try:
        store = ox.Store(str(staging))
        try:
            store.bulk_load(path=str(dump), format=ox.RdfFormat.N_TRIPLES)
        except SyntaxError as exc:
            raise InputError(f"cannot load: {exc}", dump) from None
        store.flush()
        del store  # closes the database before it is moved
        (staging / _COMPLETE).write_text(str(dump.resolve()) + "\n", encoding="utf-8")
        try:
            os.rename(staging, version)
        except OSError:
            if not (version / _COMPLETE).is_file():  # not a concurrent build of the same version
                raise
        _evict(family, version)
    except OSError as exc:
        raise InputError(f"cannot build the store cache: {exc}", family) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _evict(family: Path, current: Path) -> None:
    """Remove the stores of older versions of the dump and builds abandoned an hour ago (a killed process).
    A store made after ``current`` stays: it may be of a newer dump, built by a process running beside us."""
    built = (current / _COMPLETE).stat().st_mtime
    for other in family.iterdir():
        if other == current:
            continue
        try:
            if other.name.startswith(".building-"):
                stale = other.stat().st_mtime < time.time() - 3600
            else:
                stale = (other / _COMPLETE).stat().st_mtime < built
        except OSError:
            stale = not other.name.startswith(".building-")  # a version without its marker is incomplete
        if stale:
            shutil.rmtree(other, ignore_errors=True)
