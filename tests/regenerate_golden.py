"""Regenerate the golden exports of tests/fixtures/mini-data (run `make golden`, then review the diff)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from krefeld_kg.build import build

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
FILES = ("krefeld-kg.ttl", "krefeld-kg.nt", "krefeld-kg.jsonld", "catalog.ttl")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        release = build(Path(tmp) / "dist", HERE / "fixtures" / "mini-data")
        GOLDEN.mkdir(exist_ok=True)
        for name in FILES:
            shutil.copyfile(release.directory / name, GOLDEN / name)
    print(f"wrote {len(FILES)} golden files to {GOLDEN}")


if __name__ == "__main__":
    main()
