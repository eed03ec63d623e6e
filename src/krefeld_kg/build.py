"""Build stage: load, derive, validate, export and describe a release, then swap it into place.

Everything is written into a temporary directory beside the target and moved into place only after every
file is complete, so a failing build leaves an existing release untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import Graph

from . import export
from .derive import derive_in_place
from .engine import OxigraphEngine
from .errors import InputError, NotConformant
from .load import DATA_DIR, VOCABULARIES_FILE, SourceIndex, bind_prefixes, load_ontology, load_shapes, load_store
from .namespaces import DEFAULT_BASE
from .release_files import DUMP_NAME, DUMPS, SUMS, format_sums
from .validate import Report, validate


@dataclass
class Release:
    """What a build produced: the published graph, its report and the files written."""

    directory: Path
    engine: OxigraphEngine
    report: Report
    files: dict[str, str] = field(default_factory=dict)  # name → sha256


@dataclass
class Pipeline:
    """The loaded and derived graph (in the embedded store) with everything needed to validate it."""

    base: str
    data_dir: Path
    engine: OxigraphEngine
    ontology: Graph
    shapes: Graph
    index: SourceIndex

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR, base: str = DEFAULT_BASE) -> Pipeline:
        # The concept schemes (roles, statuses, fields, ...) travel with the data, so that every copy of
        # the graph -- a dump, a triple store, a query result -- can label the concepts it uses.
        engine = load_store(data_dir, base, extra=(VOCABULARIES_FILE,))
        ontology = load_ontology(base)
        derive_in_place(engine, ontology)
        return cls(base, data_dir, engine, ontology, load_shapes(base), SourceIndex.build(data_dir, base))

    @cached_property
    def graph(self) -> Graph:
        """The derived graph as an rdflib Graph, converted on first use."""
        return bind_prefixes(self.engine.to_graph(), self.base)

    def validate(self, reference: bool = False) -> Report:
        """Shapes and checks on the derived graph; ``reference`` runs pySHACL for the core constraints."""
        data = self.graph if reference else None
        return validate(data, self.shapes, self.base, self.index, engine=self.engine, reference=reference)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(out_dir: Path, data_dir: Path = DATA_DIR, base: str = DEFAULT_BASE) -> Release:
    """Build a release into ``out_dir``; raise NotConformant (nothing written) if validation fails."""
    from .catalog import DumpFile, conformance, describe

    pipeline = Pipeline.load(data_dir, base)
    report = pipeline.validate()
    if not report.conforms:
        raise NotConformant(report)

    engine = pipeline.engine
    with _staging(out_dir) as staging:
        # The dumps go straight to their files (a million triples make 0.6 GB of them).
        written = export.write_dumps(engine, staging, DUMP_NAME, base)
        dumps = [DumpFile(name, export.MEDIA_TYPES[Path(name).suffix], *written[name]) for name in DUMPS]
        catalog = describe(engine, dumps, base)
        catalog_report = conformance(catalog)
        if not catalog_report.conforms:
            raise NotConformant(catalog_report, "the dataset description does not conform to DCAT-AP.de 3.0")
        contents: dict[str, bytes] = {
            "ontology.ttl": export.turtle(pipeline.ontology, base),
            "shapes.ttl": export.turtle(pipeline.shapes, base),
            "context.jsonld": (json.dumps(export.context(base), indent=2, sort_keys=True) + "\n").encode("utf-8"),
            "catalog.ttl": export.turtle(catalog, base),
            "validation-report.ttl": export.turtle(report.to_graph(), base),
        }
        sums = {name: sha for name, (_size, sha) in written.items()}
        sums.update({name: _sha256(data) for name, data in contents.items()})
        contents[SUMS] = format_sums(sums)
        for name, data in contents.items():
            _write_synced(staging / name, data)
        _swap(staging, out_dir)
    return Release(out_dir, engine, report, sums)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    """A new directory beside ``out_dir`` to write the release into; removed unless it was swapped in."""
    out_dir = out_dir.resolve()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    except OSError as exc:
        raise InputError(f"cannot create the output directory: {exc.strerror}", out_dir) from None
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already if it became the release


def _swap(staging: Path, out_dir: Path) -> None:
    """Put the finished ``staging`` directory in the place of ``out_dir`` (replacing any release there)."""
    out_dir = out_dir.resolve()
    parent = out_dir.parent
    os.chmod(staging, 0o755)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("output path exists and is not a directory", out_dir)
    retired = None
    if out_dir.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
        os.rmdir(retired)
        os.rename(out_dir, retired)
    try:
        os.rename(staging, out_dir)
    except OSError:
        if retired is not None:
            os.rename(retired, out_dir)
        raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
