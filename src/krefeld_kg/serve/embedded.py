"""The embedded backend: pyoxigraph in this process for the server's own lookups, worker processes for
user queries. Nothing else has to run: no database server, no configuration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from ..query import load_release
from .backend import QueryAnswer, QueryJob, Term
from .pool import QueryPool


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
        self.pool = QueryPool(
            release_dir / "krefeld-kg.nt",
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

    async def execute(self, job: QueryJob) -> QueryAnswer:
        return await self.pool.execute(job)

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()
