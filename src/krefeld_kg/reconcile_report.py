"""The reconciliation report: its facts, their statuses and the report rendered as a table, CSV or JSON.

Kept apart from reconcile.py (the queries and the comparison), which builds a ``Report`` of ``Fact``s.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field

STATUSES = ("agrees", "differs", "missing-in-wikidata", "missing-here")
FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Fact:
    kind: str  # twinning, membership, founding
    subject: str
    object: str
    aspect: str  # exists, start, end, inception
    status: str
    here: str
    wikidata: str


@dataclass
class Report:
    facts: list[Fact]
    not_compared: list[str] = field(default_factory=list)
    endpoint: str = ""

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for f in self.facts if f.status == status) for status in STATUSES}


def render(report: Report, fmt: str) -> str:
    """The report as an aligned table (with a summary), CSV (one row per fact) or JSON."""
    columns = ("kind", "subject", "object", "aspect", "status", "here", "wikidata")
    if fmt == "json":
        return (
            json.dumps(
                {
                    "endpoint": report.endpoint,
                    "counts": report.counts(),
                    "facts": [asdict(f) for f in report.facts],
                    "not_compared": report.not_compared,
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([[getattr(f, c) for c in columns] for f in report.facts])
        return buffer.getvalue()
    if fmt == "table":
        cells = [[getattr(f, c) for c in columns] for f in report.facts]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
            "  ".join("-" * w for w in widths),
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
        counts = report.counts()
        lines.append(f"({len(cells)} facts: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES) + ")")
        if report.not_compared:
            lines.append("\nnot compared (no owl:sameAs to Wikidata):")
            lines += [f"  {note}" for note in report.not_compared]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
