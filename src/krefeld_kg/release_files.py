"""The files of a release by name, and its SHA256SUMS list: what the build writes and what publish, query and
serve read. Imports nothing heavy, so that readers need not load the build."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

DUMP_NAME = "krefeld-kg"
DUMPS = (f"{DUMP_NAME}.ttl", f"{DUMP_NAME}.nt", f"{DUMP_NAME}.jsonld")
NTRIPLES = f"{DUMP_NAME}.nt"
SUMS = "SHA256SUMS"


def format_sums(sums: dict[str, str]) -> bytes:
    """SHA256SUMS for name → hex digest, in the layout of ``sha256sum`` (checkable with ``sha256sum -c``)."""
    return "".join(f"{sums[name]}  {name}\n" for name in sorted(sums)).encode("ascii")


def read_sums(path: Path) -> dict[str, str]:
    """Name → digest of a SHA256SUMS file; lines that are not ``digest  name`` are passed over (``serve``
    checks them strictly, with line numbers)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read the checksums: {exc.strerror}", path) from None
    listed: dict[str, str] = {}
    for line in text.splitlines():
        digest, separator, name = line.strip().partition("  ")
        if separator:
            listed[name] = digest
    return listed
