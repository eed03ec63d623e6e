"""The embedded backend: pyoxigraph in this process for the server's own lookups, worker processes for
user queries. Nothing else has to run: no database server, no configuration.

One exception to "user queries go to a worker": a lookup (one triple pattern with its subject or object
given, see ``screen.is_lookup``) costs at most the links of one resource, so it is answered right here when
that is little: always on a store of modest size, and on a large one when a first look at its solutions
finds at most INLINE_MAX_ROWS (a resource of a million-triple store has tens of links; a class IRI as the
object can have a hundred thousand, and those go to a worker) and each solution is a triple it visited (no
DISTINCT, no OFFSET, no variable twice: ``screen.counts_what_it_visits``). Sending a small lookup to a worker would
cost two process wake-ups, several times the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from ..query import load_release
from ..release_files import NTRIPLES as DUMP
from .backend import QueryAnswer, QueryJob, QueryRejected, Term
from .pool import QueryPool
from .screen import counts_what_it_visits, is_lookup
from .worker import QueryFailure, answer, run_query

#: Up to this many triples a lookup's worst case (the links of the most linked resource) stays in the
#: low milliseconds, short enough to run on the event loop.
INLINE_MAX_TRIPLES = 250_000
#: On a larger store a lookup is answered here when it has at most this many solutions: pyoxigraph evaluates a
#: triple pattern lazily, so counting that far costs about as much as answering (well under a millisecond).
INLINE_MAX_ROWS = 1_000


class EmbeddedBackend:
    """Answers from ``dump`` (an N-Triples file); user queries go to a pool of ``workers`` processes."""

    def __init__(
        self,
        release_dir: Path,
        *,
        workers: int,
        timeout: float,
        namespaces: dict[str, str],
        memory_limit: int | None = None,
    ) -> None:
        # load_release gives the same "run krefeld-kg build first" error as `krefeld-kg query`.
        self.store: ox.Store = load_release(release_dir).store
        self.namespaces = namespaces
        self.inline = len(self.store) <= INLINE_MAX_TRIPLES
        self.pool = QueryPool(
            release_dir / DUMP,
            size=workers,
            timeout=timeout,
            namespaces=namespaces,
            memory_limit=memory_limit,
        )

    def outgoing(self, subjects: Sequence[str]) -> list[ox.Triple]:
        found: list[ox.Triple] = []
        for subject in subjects:
            found += [q.triple for q in self.store.quads_for_pattern(ox.NamedNode(subject), None, None)]
        return found

    def incoming(self, iri: str) -> list[ox.Triple]:
        return [q.triple for q in self.store.quads_for_pattern(None, None, ox.NamedNode(iri))]

    def select(self, query: str) -> list[tuple[Term | None, ...]]:
        result = self.store.query(query)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("select() takes SELECT queries only")
        return [tuple(solution) for solution in result]

    def few_solutions(self, job: QueryJob) -> bool:
        """Whether ``job`` (a lookup) has at most INLINE_MAX_ROWS solutions, found by taking one more."""
        try:
            result = run_query(self.store, job)
        except (SyntaxError, OSError, ValueError, TypeError, RuntimeError):
            return True  # answer() says what is wrong, here as well as in a worker
        if isinstance(result, ox.QueryBoolean):
            return True  # ASK stops at the first match
        return sum(1 for _ in islice(result, INLINE_MAX_ROWS + 1)) <= INLINE_MAX_ROWS

    async def execute(self, job: QueryJob) -> QueryAnswer:
        if is_lookup(job.query) and (self.inline or (counts_what_it_visits(job.query) and self.few_solutions(job))):
            reply = answer(self.store, job, self.namespaces)
            if isinstance(reply, QueryFailure):
                raise QueryRejected(reply.message, status=reply.status)
            return reply
        return await self.pool.execute(job)

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()
