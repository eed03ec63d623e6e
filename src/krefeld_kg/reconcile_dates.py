"""Dates in the reconciliation: precisions (ours from the XSD datatype, Wikidata's 9/10/11), display, comparison.

Our dates and Wikidata's are compared at the coarser precision of the two sides (xsd:gYear vs. a day);
reconcile.py uses these helpers for start/end qualifiers and founding dates.
"""

from __future__ import annotations

import re

from rdflib import Literal
from rdflib.term import Node

_DATE = re.compile(r"^\+?(-?\d{1,})(?:-(\d{2})(?:-(\d{2}))?)?")


def _parts(text: str) -> tuple[int, int, int] | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day = match.groups()
    return int(year), int(month or 0), int(day or 0)


def our_precision(term: Node) -> int:
    datatype = str(term.datatype) if isinstance(term, Literal) and term.datatype else ""
    return 9 if datatype.endswith("#gYear") else 10 if datatype.endswith("#gYearMonth") else 11


def wikidata_precision(text: str, given: int | None) -> int:
    """Wikidata's precision (9 year, 10 month, 11 day), inferred from the value when not given."""
    if given is not None:
        return min(given, 11)
    return 9 if re.match(r"^\+?-?\d+-01-01T00:00:00", text) else 10 if re.match(r"^\+?-?\d+-\d\d-01T00", text) else 11


def show(text: str, precision: int) -> str:
    parts = _parts(text)
    if parts is None:
        return text
    year, month, day = parts
    if precision >= 11:
        return f"{year:04d}-{month:02d}-{day:02d}"
    if precision == 10:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}" if precision == 9 else f"{year:04d} (precision {precision})"


def same_date(ours: str, ours_precision: int, theirs: str, theirs_precision: int) -> bool:
    a, b = _parts(ours), _parts(theirs)
    if a is None or b is None:
        return ours == theirs
    precision = min(ours_precision, theirs_precision)
    if precision < 9:
        unit = 10 ** (9 - precision)
        return bool(a[0] // unit == b[0] // unit)
    return a[: precision - 8] == b[: precision - 8]
