"""Content negotiation as one small pure function (the way Trifid does it), plus its language twin.

``negotiate(accept, offers, override)`` picks the representation to send: a ``?format=`` override wins if
it names an offer; otherwise each offer gets the q-value of the most specific Accept range that matches it
(RFC 9110 §12.5.1: ``text/turtle`` beats ``text/*`` beats ``*/*``), the highest q above zero wins, and
ties go to the earlier offer. None means 406. Parsed headers are cached: browsers and benchmark clients
send the same few Accept headers over and over.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .formats import FORMAT_NAMES

# (type, subtype, specificity, q); specificity orders exact > type/* > */*, extra parameters break ties.
_Range = tuple[str, str, int, float]


def negotiate(accept: str | None, offers: Sequence[str], override: str | None = None) -> str | None:
    """The media type to serve from ``offers``, or None if nothing acceptable is on offer."""
    if override is not None:
        wanted = override.strip().lower()
        media_type = FORMAT_NAMES.get(wanted, wanted.split(";", 1)[0].strip())
        return media_type if media_type in offers else None
    ranges = _media_ranges(accept.strip() if accept else "")
    best: str | None = None
    best_q = 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


def negotiate_language(accept_language: str | None, offers: Sequence[str], override: str | None = None) -> str:
    """The language to serve from ``offers`` (never None: the first offer is the default).

    ``?lang=`` wins; otherwise ranges match by primary subtag too (``de-DE`` asks for ``de``), the more
    specific range decides an offer's q, and ``*`` matches anything.
    """
    if override is not None and override.strip().lower() in offers:
        return override.strip().lower()
    ranges = _language_ranges(accept_language.strip() if accept_language else "")
    best, best_q = offers[0], 0.0
    for offer in offers:
        q = -1.0
        specificity = -1
        for tag, q_value in ranges:
            primary = tag.split("-", 1)[0]
            if tag == offer:
                rank = 3
            elif offer.startswith(tag + "-"):
                rank = 2
            elif primary == offer:
                rank = 1
            elif tag == "*":
                rank = 0
            else:
                continue
            if rank > specificity:
                specificity, q = rank, q_value
        if q > best_q:
            best, best_q = offer, q
    return best


def _quality(offer: str, ranges: tuple[_Range, ...]) -> float:
    type_, _, subtype = offer.partition("/")
    q = 0.0
    specificity = -1
    for r_type, r_subtype, r_specificity, r_q in ranges:
        matches = r_type in ("*", type_) and r_subtype in ("*", subtype)
        if matches and r_specificity > specificity:
            specificity, q = r_specificity, r_q
    return q


def _split(header: str) -> list[str]:
    """Split a header at commas outside quoted strings (``profile="a,b"`` stays whole)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _q(params: list[str]) -> tuple[float | None, int]:
    """(q, number of other parameters); q is None when malformed, so the range is ignored."""
    q: float | None = 1.0
    others = 0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None, others
            if not 0.0 <= q <= 1.0:
                return None, others
        elif name.strip():
            others += 1
    return q, others


@lru_cache(maxsize=512)
def _media_ranges(header: str) -> tuple[_Range, ...]:
    if not header:
        return (("*", "*", 0, 1.0),)  # no Accept (or an empty one): anything goes
    ranges: list[_Range] = []
    for part in _split(header):
        media, *params = part.split(";")
        type_, slash, subtype = media.strip().lower().partition("/")
        if not slash or not type_ or not subtype or (type_ == "*" and subtype != "*"):
            continue
        q, others = _q(params)
        if q is None:
            continue
        specificity = 0 if type_ == "*" else 10 if subtype == "*" else 20 + others
        ranges.append((type_, subtype, specificity, q))
    return tuple(ranges)


@lru_cache(maxsize=512)
def _language_ranges(header: str) -> tuple[tuple[str, float], ...]:
    ranges: list[tuple[str, float]] = []
    for part in _split(header):
        tag, *params = part.split(";")
        q, _ = _q(params)
        if q is not None and tag.strip():
            ranges.append((tag.strip().lower(), q))
    return tuple(ranges)
