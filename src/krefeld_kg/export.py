"""Export stage: the graph as N-Triples, Turtle and JSON-LD, byte-for-byte the same for the same graph.

The dumps are written from the embedded store: canonical N-Triples lines sorted, Turtle serialised by
pyoxigraph from those sorted triples (so subjects appear in order), and JSON-LD built directly in its
compacted form for our prefix-only context, ``@graph`` sorted by ``@id``. Determinism rests on the published
graph having no blank nodes (the shapes demand IRIs). The small rdflib graphs (ontology, shapes, catalogue,
report) go through rdflib's Turtle serialiser, which writes their blank nodes inline.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox
from rdflib import Graph

from .engine import OxigraphEngine
from .load import CONTEXT_FILE, new_graph
from .namespaces import DEFAULT_BASE, all_prefixes, resource_prefixes

MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
}


def _engine(source: Graph | OxigraphEngine) -> OxigraphEngine:
    return source if isinstance(source, OxigraphEngine) else OxigraphEngine.from_graph(source)


def sorted_lines(source: Graph | OxigraphEngine) -> list[bytes]:
    """Canonical N-Triples lines of ``source``, each ending in a newline, sorted (the store holds every
    triple once, so they are unique). The store's own order is close to sorted, which timsort exploits."""
    raw = _engine(source).ntriples()
    # Canonical N-Triples escapes "\r" in literals, so "\n" is the only line break in the dump.
    lines = raw.splitlines(keepends=True)
    lines.sort()
    return lines


def ntriples(source: Graph | OxigraphEngine) -> bytes:
    """Canonical N-Triples, one line per triple, sorted, no duplicates."""
    return b"".join(sorted_lines(source))


def write_turtle(lines: list[bytes], output: IO[bytes], base: str = DEFAULT_BASE) -> None:
    """Turtle of sorted N-Triples ``lines`` (so subjects appear in order), by pyoxigraph's serialiser. Every
    prefix of ``all_prefixes(base)`` is declared: finding the used ones took 45 scans of the dump."""
    # The lines are the store's own canonical output, so the parser's validation can be skipped (lenient):
    # it took 0.8 s of 2 s at a million triples.
    triples = ox.parse(io.BufferedReader(_LinesReader(lines), 1 << 20), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    ox.serialize(triples, output, format=ox.RdfFormat.TURTLE, prefixes=all_prefixes(base))


def turtle(source: Graph | OxigraphEngine, base: str = DEFAULT_BASE) -> bytes:
    """Turtle of ``source``."""
    # rdflib Graphs (ontology, shapes, catalogue, report: small, with blank nodes, and with datatypes such as
    # xsd:nonNegativeInteger that the store would fold into xsd:integer) keep rdflib's serialiser.
    if isinstance(source, Graph):
        out = new_graph(base)
        for triple in source:
            out.add(triple)
        data: bytes = out.serialize(format="turtle", encoding="utf-8")
        return data
    buffer = io.BytesIO()
    write_turtle(sorted_lines(source), buffer, base)
    return buffer.getvalue()


def context(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The JSON-LD context: ontology/context.jsonld plus the resource prefixes of ``base``."""
    ctx: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    return {"@context": {**resource_prefixes(base), **ctx}}


def jsonld(source: Graph | OxigraphEngine, base: str = DEFAULT_BASE) -> bytes:
    """JSON-LD compacted with our context (prefixes only), the form a JSON-LD processor's compaction gives."""
    buffer = io.BytesIO()
    write_jsonld(sorted_lines(source), buffer, base)
    return buffer.getvalue()


def write_jsonld(lines: list[bytes], output: IO[bytes], base: str = DEFAULT_BASE) -> None:
    """JSON-LD of sorted N-Triples ``lines`` (see krefeld_kg.jsonld)."""
    from . import jsonld as writer

    writer.write(lines, context(base)["@context"], output)


class _LinesReader(io.RawIOBase):
    """The lines as one binary stream, without joining them into one more copy of the dump."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines
        self.next = 0
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        chunk = [self.pending] if self.pending else []
        filled = len(self.pending)
        while filled < size and self.next < len(self.lines):
            line = self.lines[self.next]
            self.next += 1
            chunk.append(line)
            filled += len(line)
        data = b"".join(chunk)
        buffer[: min(size, len(data))] = data[:size]
        self.pending = data[size:]
        return min(size, len(data))


class _Hashing(io.RawIOBase):
    """A binary file that keeps the SHA-256 and size of what is written to it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.handle.write(data)


def _write_file(path: Path, write: Callable[[IO[bytes]], None]) -> tuple[int, str]:
    with open(path, "wb") as handle:
        hashing = _Hashing(handle)
        write(cast(IO[bytes], hashing))
        handle.flush()
        os.fsync(handle.fileno())
    return hashing.size, hashing.digest.hexdigest()


def _write_lines(lines: list[bytes], output: IO[bytes]) -> None:
    for start in range(0, len(lines), 8192):
        output.write(b"".join(lines[start : start + 8192]))


def write_dumps(
    engine: OxigraphEngine, directory: Path, name: str, base: str = DEFAULT_BASE
) -> dict[str, tuple[int, str]]:
    """Write ``name``.nt, .ttl and .jsonld of the engine's graph into ``directory``, each straight to its file
    (not kept in memory); returns each file's size and SHA-256. The sorted lines are made once for all three."""
    lines = sorted_lines(engine)
    written = {
        f"{name}.nt": _write_file(directory / f"{name}.nt", lambda out: _write_lines(lines, out)),
        f"{name}.ttl": _write_file(directory / f"{name}.ttl", lambda out: write_turtle(lines, out, base)),
        f"{name}.jsonld": _write_file(directory / f"{name}.jsonld", lambda out: write_jsonld(lines, out, base)),
    }
    return written
