"""The release directory as the server sees it: files and checksums, the dataset description, the base IRI.

A release is immutable while it is served, so everything here is read once at start-up: the checksums
from SHA256SUMS (verified, so a half-copied release is refused rather than published), the catalogue's
description of the dataset for the home page, and an identity for ETags.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from ..errors import InputError
from ..export import MEDIA_TYPES
from ..namespaces import DCATDE, DEFAULT_BASE, SPDX, InvalidIRI, check_base
from ..release_files import NTRIPLES as DUMP
from ..release_files import SUMS
from .rdf import value_of

CATALOG = "catalog.ttl"
_CATALOG_IRI = re.compile(r"^(https?://.*/)id/catalog/[a-z0-9-]+$")


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    size: int
    sha256: str
    media_type: str


@dataclass
class Distribution:
    name: str
    media_type: str
    size: int | None
    sha256: str | None


@dataclass
class DatasetInfo:
    """What catalog.ttl says about the dataset, by language where it is language-tagged."""

    iri: str
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    keywords: dict[str, list[str]] = field(default_factory=dict)
    publisher: dict[str, str] = field(default_factory=dict)
    license: str | None = None
    attribution: str | None = None
    issued: str | None = None
    modified: str | None = None
    distributions: list[Distribution] = field(default_factory=list)


@dataclass
class Release:
    directory: Path
    base: str
    files: dict[str, ReleaseFile]
    dataset: DatasetInfo | None
    version: str  # short digest of SHA256SUMS: changes whenever any file of the release changes
    modified: float  # when the release was written (mtime of SHA256SUMS), for Last-Modified

    @property
    def dump(self) -> Path:
        return self.directory / DUMP


def media_type(name: str) -> str:
    if name == SUMS:
        return "text/plain"
    return MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")


def open_release(directory: Path, base: str | None = None) -> Release:
    """Read and check the release in ``directory``; ``base`` must match the one it was built with."""
    sums_path = directory / SUMS
    if not (directory / DUMP).is_file() or not sums_path.is_file():
        raise InputError(
            "no built release here (no krefeld-kg.nt or SHA256SUMS): run `krefeld-kg build` first", directory
        )
    sums = sums_path.read_bytes()
    files: dict[str, ReleaseFile] = {}
    for number, line in enumerate(sums.decode("utf-8", "replace").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise InputError("not a checksum line", sums_path, number)
        path = directory / name
        if not path.is_file():
            raise InputError(f"{name} is listed but missing: the release is incomplete", sums_path, number)
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise InputError(f"{name} does not match its checksum: the release is damaged", sums_path, number)
        files[name] = ReleaseFile(name, len(data), digest, media_type(name))
    files[SUMS] = ReleaseFile(SUMS, len(sums), hashlib.sha256(sums).hexdigest(), media_type(SUMS))

    catalog = _parse(directory / CATALOG) if CATALOG in files else []
    built_base = _built_base(catalog)
    if base is None:
        base = built_base or DEFAULT_BASE
    try:
        check_base(base)
    except InvalidIRI as exc:
        raise InputError(str(exc)) from None
    if built_base is not None and base != built_base:
        raise InputError(
            f"this release was built with the base IRI {built_base}; serving it under {base} would leave "
            "every resource unreachable (rebuild with --base, or leave --base-url out)",
            directory,
        )
    return Release(
        directory,
        base,
        files,
        _dataset(catalog, base, files),
        hashlib.sha256(sums).hexdigest()[:16],
        sums_path.stat().st_mtime,
    )


def _parse(path: Path) -> list[ox.Triple]:
    try:
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    except (SyntaxError, OSError) as exc:
        raise InputError(f"cannot read the catalogue: {exc}", path) from None


def _built_base(catalog: list[ox.Triple]) -> str | None:
    for t in catalog:
        if t.predicate.value == str(RDF.type) and t.object == ox.NamedNode(str(DCAT.Catalog)):
            match = _CATALOG_IRI.match(value_of(t.subject))
            if match:
                return match.group(1)
    return None


def _dataset(catalog: list[ox.Triple], base: str, files: dict[str, ReleaseFile]) -> DatasetInfo | None:
    about: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = {}
    for t in catalog:
        if not isinstance(t.object, ox.Triple):
            about.setdefault(value_of(t.subject), {}).setdefault(t.predicate.value, []).append(t.object)

    def values(subject: str, predicate: object) -> list[ox.NamedNode | ox.BlankNode | ox.Literal]:
        return about.get(subject, {}).get(str(predicate), [])

    def first(subject: str, predicate: object) -> str | None:
        found = values(subject, predicate)
        return found[0].value if found else None

    datasets = [s for s, props in about.items() if str(DCAT.Dataset) in [o.value for o in props.get(str(RDF.type), [])]]
    if not datasets:
        return None
    iri = f"{base}id/dataset/krefeld-kg" if f"{base}id/dataset/krefeld-kg" in datasets else datasets[0]
    info = DatasetInfo(iri)
    for predicate, target in ((DCTERMS.title, info.title), (DCTERMS.description, info.description)):
        for lit in values(iri, predicate):
            if isinstance(lit, ox.Literal):
                target[lit.language or ""] = lit.value
    for lit in values(iri, DCAT.keyword):
        if isinstance(lit, ox.Literal):
            info.keywords.setdefault(lit.language or "", []).append(lit.value)
    for publisher in values(iri, DCTERMS.publisher):
        for lit in values(publisher.value, FOAF.name):
            if isinstance(lit, ox.Literal):
                info.publisher[lit.language or ""] = lit.value
    info.license = first(iri, DCTERMS.license)
    info.attribution = first(iri, DCATDE.licenseAttributionByText)
    info.issued = first(iri, DCTERMS.issued)
    info.modified = first(iri, DCTERMS.modified)
    for distribution in values(iri, DCAT.distribution):
        title = first(distribution.value, DCTERMS.title) or ""
        checksum = values(distribution.value, SPDX.checksum)
        size = first(distribution.value, DCAT.byteSize)
        released = files.get(title)
        info.distributions.append(
            Distribution(
                title,
                released.media_type if released else media_type(title),
                # The files themselves are the truth; the catalogue's figures are the fallback.
                released.size if released else int(size) if size and size.isdigit() else None,
                released.sha256 if released else first(checksum[0].value, SPDX.checksumValue) if checksum else None,
            )
        )
    info.distributions.sort(key=lambda d: d.name)
    return info
