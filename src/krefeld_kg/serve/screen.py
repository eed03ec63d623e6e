"""Screen user queries before they reach a worker: refuse what a public read-only endpoint must not run.

pyoxigraph follows ``SERVICE <url>`` with real HTTP requests, so SERVICE is refused here, before
evaluation. The check looks at the query's keywords only: comments, string literals and IRIs are blanked
out first, so ``"SERVICE"`` in a string or ``<http://x/SERVICE>`` passes while ``SeRvIcE <…>`` in any
group does not. Updates never parse as queries; they are recognised here only to explain the refusal.
"""

from __future__ import annotations

import re

from .backend import QueryRejected

# Order matters: long strings before short ones, so '''…''' is not read as '' + '…'.
_LEXICAL = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*",
    re.DOTALL,
)
# A keyword is a bare word: not a variable (?service), not part of a prefixed name (ex:service, service:x).
_SERVICE = re.compile(r"(?<![\w:?$.-])SERVICE(?![\w:.-])", re.IGNORECASE)
_UPDATE = re.compile(
    r"(?<![\w:?$.-])(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)(?![\w:.-])", re.IGNORECASE
)
_WHERE = re.compile(r"(?<![\w:?$.-])WHERE(?![\w:.-])", re.IGNORECASE)
_QUERY_FORM = re.compile(r"(?<![\w:?$.-])(SELECT|CONSTRUCT|DESCRIBE|ASK)(?![\w:.-])", re.IGNORECASE)


def keywords(query: str) -> str:
    """``query`` with comments, strings and IRIs blanked out (every character a space, so positions stay
    put): what is left is keywords, names and punctuation."""
    return _LEXICAL.sub(lambda match: " " * len(match.group(0)), query)


def screen(query: str, max_bytes: int) -> None:
    """Raise QueryRejected for a query the endpoint refuses to run."""
    if not query.strip():
        raise QueryRejected("the query is empty", status=400)
    size = len(query.encode("utf-8"))
    if size > max_bytes:
        raise QueryRejected(f"the query is {size:,} bytes long; this endpoint takes at most {max_bytes:,}", status=413)
    bare = keywords(query)
    if _SERVICE.search(bare):
        raise QueryRejected(
            "SERVICE is not allowed: this endpoint answers from its own data and makes no outgoing requests",
            status=403,
        )
    update = _UPDATE.search(bare)
    form = _QUERY_FORM.search(bare)
    if update and (form is None or update.start() < form.start()):
        raise QueryRejected(
            f"{update.group(1).upper()} is a SPARQL update; this endpoint is read-only and answers queries only",
            status=403,
        )


def with_values(query: str, values: str) -> str:
    """``query`` with an inline VALUES block opening its WHERE group, where every pattern and FILTER of the
    group sees the bindings (a trailing VALUES clause would join only after the FILTERs have run)."""
    bare = keywords(query)
    where = _WHERE.search(bare)
    form = _QUERY_FORM.search(bare)
    start = where.end() if where else form.end() if form else 0
    brace = bare.find("{", start)
    if brace < 0:
        return query
    return f"{query[: brace + 1]}\n  {values}\n{query[brace + 1 :]}"
