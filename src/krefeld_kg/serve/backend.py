"""The one small interface between the server and the store, and the errors it may raise.

The server never touches pyoxigraph's store directly: resource pages and indexes use ``outgoing``,
``incoming`` and ``select`` (trusted, bounded lookups), the SPARQL endpoint uses ``execute`` (untrusted
queries under a time and row limit). ``EmbeddedBackend`` answers from an in-process store and a pool of
worker processes; a remote store can stand in by implementing the same methods over the SPARQL 1.1
Protocol (a CONSTRUCT per lookup, user queries passed through with their Accept header).

Terms are pyoxigraph terms, not rdflib ones: converting every term of every response would cost more
than answering the query (engine.py keeps rdflib terms for the library's own, offline uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pyoxigraph as ox

from ..errors import InputError, KrefeldKGError
from .worker import QueryAnswer, QueryJob

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

__all__ = ["Backend", "QueryAnswer", "QueryJob", "QueryRejected", "Term", "Unavailable"]


@dataclass
class QueryRejected(InputError):
    """A request the endpoint will not or cannot answer; ``status`` is the HTTP status to send."""

    status: int = 400


class Unavailable(KrefeldKGError):
    """The query ran out of time, no worker was free in time, or the worker died: answer 503."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Backend(Protocol):
    def outgoing(self, subjects: Sequence[str]) -> list[ox.Triple]:
        """Every triple whose subject is one of ``subjects`` (IRIs)."""
        ...

    def incoming(self, iri: str) -> list[ox.Triple]:
        """Every triple whose object is the IRI ``iri``."""
        ...

    def select(self, query: str) -> list[tuple[Term | None, ...]]:
        """Rows of a trusted SELECT query (the server's own queries: indexes at start-up)."""
        ...

    async def execute(self, job: QueryJob) -> QueryAnswer:
        """Answer an untrusted query; raises QueryRejected (4xx) or Unavailable (503)."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
