"""The remote backend's reading of the store's answer to a user query: the body read no further than needed
(cut after the row limit for line formats, refused past the size limit), then parsed and written in the
client's format by the same writers as the embedded workers' answers.

Kept apart from remote_backend.py, whose ``execute`` sends the query and hands the answer to these functions.
"""

from __future__ import annotations

import time
from itertools import islice

import httpx
import pyoxigraph as ox

from .backend import QueryAnswer, QueryRejected
from .formats import N_TRIPLES, TSV
from .rdf import serialize
from .results import write_boolean, write_solutions

MAX_RESULT_BYTES = 64 * 1024**2  # most bytes read of one answer to a user query
LINE_FORMATS = (TSV, N_TRIPLES)  # one row or triple per line: an answer can be cut at a line break


class ResultTooLarge(Exception):
    pass


def query_answer(
    form: str,
    media_type: str,
    body: bytes,
    content_type: str,
    cut: bool,
    limit: int,
    started: float,
    namespaces: dict[str, str],
) -> QueryAnswer:
    """The store's answer (``body``, as ``read_body`` gave it) in the client's ``media_type``."""
    try:
        if form == "GRAPH":
            rdf_format = ox.RdfFormat.from_media_type(content_type)
            if rdf_format is None:
                raise QueryRejected(
                    f"the store answered {content_type or 'without a Content-Type'}, not RDF", status=502
                )
            triples = [q.triple for q in islice(ox.parse(body, format=rdf_format), limit + 1)]
            truncated = cut or len(triples) > limit
            triples = triples[:limit]
            return QueryAnswer(
                "GRAPH",
                media_type,
                serialize(triples, media_type, namespaces),
                len(triples),
                truncated,
                time.perf_counter() - started,
            )
        results_format = ox.QueryResultsFormat.from_media_type(content_type)
        if results_format is None:
            raise QueryRejected(
                f"the store answered {content_type or 'without a Content-Type'}, not SPARQL results", status=502
            )
        result = ox.parse_query_results(body, format=results_format)
    except SyntaxError as exc:
        raise QueryRejected(f"the store's answer could not be read: {exc}", status=502) from None
    if isinstance(result, ox.QueryBoolean):
        return QueryAnswer(
            "ASK", media_type, write_boolean(bool(result), media_type), 1, False, time.perf_counter() - started
        )
    variables = [v.value for v in result.variables]
    try:
        rows = [tuple(solution) for solution in islice(result, limit + 1)]
    except SyntaxError as exc:
        raise QueryRejected(f"the store's answer could not be read: {exc}", status=502) from None
    truncated = cut or len(rows) > limit
    rows = rows[:limit]
    return QueryAnswer(
        "SELECT",
        media_type,
        write_solutions(variables, rows, media_type),
        len(rows),
        truncated,
        time.perf_counter() - started,
    )


async def read_some(response: httpx.Response, limit: int) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit])


async def read_body(response: httpx.Response, lines: int | None, limit: int) -> tuple[bytes, bool]:
    """The body, or for a line format its first ``lines`` lines, read no further; ``True`` with it when the
    answer was cut before its end (at ``lines`` lines, or at the last line break within ``limit`` bytes)."""
    data = bytearray()
    seen = 0
    async for chunk in response.aiter_bytes():
        data += chunk
        if lines is not None:
            seen += chunk.count(b"\n")
            if seen >= lines:
                end = -1
                for _ in range(lines):
                    end = data.index(b"\n", end + 1)
                return bytes(data[: end + 1]), True
        if len(data) > limit:
            if lines is None:
                raise ResultTooLarge
            return bytes(data[: data.rfind(b"\n") + 1]), True
    return bytes(data), False
