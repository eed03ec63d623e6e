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


# Strings and IRIs kept as placeholders of their own length, so the shape of a query can be read.
def _placeholder(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.startswith("#"):
        return " " * len(text)
    return text[0] + "_" * (len(text) - 2) + text[-1]


_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<iri><_*>)"
    r"|(?P<literal>(?:\"_*\"|'_*')(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<_*>|[A-Za-z][\w-]*:[\w-]*))?)"
    r"|(?P<var>[?$]\w+)"
    r"|(?P<number>[+-]?\d+(?:\.\d+)?)"
    r"|(?P<pname>(?:[A-Za-z][\w-]*)?:[\w-]*)"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<punct>[{}.*])"
    r")"
)


def _tokens(query: str) -> list[tuple[str, str]] | None:
    text = _LEXICAL.sub(_placeholder, query)
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].isspace():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None  # anything else (parentheses, paths, operators) is not a lookup
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append((kind, value.upper() if kind == "word" else value))
        position = match.end()
    return tokens


def is_lookup(query: str) -> bool:
    """True for a query of at most one triple pattern with its subject or object given, no expressions, no
    paths, no subqueries: ``SELECT ?p ?o WHERE { <iri> ?p ?o }``, ``ASK { ?s ?p <iri> }``,
    ``DESCRIBE <iri>``. Its cost is bounded by the links of one resource, so it may run without a worker."""
    tokens = _tokens(query)
    if tokens is None:
        return False
    at = 0

    def take(*kinds: str, words: tuple[str, ...] = ()) -> str | None:
        nonlocal at
        if at < len(tokens) and tokens[at][0] in kinds and (not words or tokens[at][1] in words):
            at += 1
            return tokens[at - 1][1]
        return None

    while take("word", words=("PREFIX", "BASE")) is not None:
        if tokens[at - 1][1] == "PREFIX" and take("pname") is None:
            return False
        if take("iri") is None:
            return False
    form = take("word", words=("SELECT", "ASK", "DESCRIBE"))
    if form == "SELECT":
        take("word", words=("DISTINCT", "REDUCED"))
        if take("punct", words=("*",)) is None:
            if take("var") is None:
                return False
            while take("var") is not None:
                pass
    elif form == "DESCRIBE":
        described = 0
        while take("iri", "pname", "var") is not None:
            described += 1
        if not described:
            return False
        if at == len(tokens):
            return all(kind != "var" for kind, _ in tokens[1:])  # DESCRIBE <iri>: that resource's triples
    elif form != "ASK":
        return False
    take("word", words=("WHERE",))
    if take("punct", words=("{",)) is None:
        return False
    pattern = []
    while (term := take("iri", "pname", "var", "literal", "number", "word")) is not None:
        pattern.append((tokens[at - 1][0], term))
    take("punct", words=(".",))
    if take("punct", words=("}",)) is None or len(pattern) not in (0, 3):
        return False
    if pattern and (pattern[0][0] == "var" and pattern[2][0] == "var"):
        return False  # neither end given: that could be the whole store
    if pattern and any(kind == "word" and value != "A" for kind, value in pattern):
        return False
    while take("word", words=("LIMIT", "OFFSET")) is not None:
        if take("number") is None:
            return False
    return at == len(tokens)


def counts_what_it_visits(query: str) -> bool:
    """For a lookup (``is_lookup``): whether each triple it visits is a solution, so that counting its first
    solutions bounds what it costs. Not so with DISTINCT or REDUCED (a million triples can give three distinct
    predicates), OFFSET (the skipped triples are visited before the first solution) or a variable twice in the
    pattern (``?s ?s <iri>`` visits every link to keep a few)."""
    tokens = _tokens(query) or []
    if any(kind == "word" and value in ("DISTINCT", "REDUCED", "OFFSET") for kind, value in tokens):
        return False
    braces = [at for at, token in enumerate(tokens) if token == ("punct", "{")]
    pattern = tokens[braces[0] :] if braces else []
    names = [value[1:] for kind, value in pattern if kind == "var"]
    return len(names) == len(set(names))
