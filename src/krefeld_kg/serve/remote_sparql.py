"""The SPARQL side of the remote backend: limits, Accept headers, the lookup error, and the small helpers
that build queries (checked IRIs, literals, VALUES batches) and read their answers (result rows, their order).

Kept apart from remote_backend.py (the Backend protocol) and remote_connection.py (the store's state), which
both use them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from ..remote import RemoteError, classify
from .backend import Term, Unavailable
from .formats import N_TRIPLES, SPARQL_JSON, TSV

LOOKUP_BATCH = 200  # IRIs per VALUES block
LOOKUP_TIMEOUT = 5.0  # most seconds a page lookup may hold the event loop (less if --timeout is shorter)
PROBE_INTERVAL = 1.0  # seconds between probes while the store is down
PROBE_TIMEOUT = 2.0
PREFETCH_LIMIT = 4096  # prefetched descriptions kept for describe(); more means nobody asked for them

SOLUTIONS_ACCEPT = f"{TSV}, {SPARQL_JSON};q=0.9, application/sparql-results+xml;q=0.8"
BOOLEAN_ACCEPT = f"{SPARQL_JSON}, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = f"{N_TRIPLES}, text/turtle;q=0.9, application/rdf+xml;q=0.5"


class StoreFailure(Unavailable):
    """The store failed a page lookup: ``status`` 503 (unreachable, too slow, busy) or 502 (it answered with
    an error, or refused our credentials). The app answers with ``status`` and the message."""

    def __init__(self, message: str, status: int = 503, retry_after: int = 1) -> None:
        super().__init__(message, retry_after)
        self.status = status


def classify_failure(exc: BaseException, url: str, timeout: float) -> RemoteError:
    """``remote.classify``, after a look down the chain of causes: httpx's async client reports a refused
    connection as "All connection attempts failed" three causes above the ConnectionRefusedError."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return RemoteError(f"cannot connect to {url}: connection refused", transient=True)
        cause = cause.__cause__ or cause.__context__
    return classify(exc, url, timeout)


def iri_ref(iri: str) -> str:
    """``<iri>``, checked: pyoxigraph refuses anything that is not an IRI (so nothing can close the brackets)."""
    try:
        return str(ox.NamedNode(iri))
    except ValueError:
        raise StoreFailure(f"not an IRI: {iri!r}", 502) from None


def string_literal(text: str) -> str:
    return str(ox.Literal(text))


def batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parse_rows(body: bytes, content_type: str, endpoint: str) -> list[tuple[Term | None, ...]]:
    fmt = ox.QueryResultsFormat.from_media_type(content_type.split(";")[0].strip()) or ox.QueryResultsFormat.JSON
    try:
        result = ox.parse_query_results(body, format=fmt)
        if not isinstance(result, ox.QuerySolutions):
            raise RemoteError(f"{endpoint} answered a SELECT query with a boolean")
        return [tuple(solution) for solution in result]
    except SyntaxError as exc:
        raise RemoteError(f"{endpoint} answered unreadable SPARQL results: {exc}") from None


def canonical(row: tuple[Term | None, ...]) -> tuple[str, ...]:
    """The order ``select`` answers in (``outgoing`` and ``incoming``: triples sorted by their N-Triples text).
    SPARQL leaves the order of results open and the pages follow it (the map's places, the JSON-LD), so rows
    are sorted: the same release gives the same bytes whatever store answers."""
    return tuple("" if term is None else str(term) for term in row)
