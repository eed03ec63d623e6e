"""The query worker: a process of its own that holds a copy of the store and answers one query at a time.

pyoxigraph cannot interrupt a running query from another thread, so user queries run here and the pool
kills the whole process when one overruns its time limit (``pool.py``). The module imports pyoxigraph and
the results writers only, so a replacement worker is up in about a tenth of a second.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from itertools import islice
from typing import Any

import pyoxigraph as ox

from .child import read_frame, write_frame
from .formats import SPARQL_JSON
from .rdf import serialize
from .results import write_boolean, write_solutions


@dataclass(frozen=True)
class QueryJob:
    """One user query and what the client accepts for each query form (None: not acceptable)."""

    query: str
    solution_type: str | None  # media type for SELECT / ASK results
    graph_type: str | None  # media type for CONSTRUCT / DESCRIBE results
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    row_limit: int = 10_000


@dataclass(frozen=True)
class QueryAnswer:
    form: str  # SELECT, ASK or GRAPH (pyoxigraph does not tell CONSTRUCT from DESCRIBE)
    media_type: str
    body: bytes
    rows: int
    truncated: bool
    seconds: float


@dataclass(frozen=True)
class QueryFailure:
    status: int  # 400 for a malformed or failing query, 406 when the form's results are not acceptable
    message: str
    form: str | None = None


def answer(store: ox.Store, job: QueryJob, namespaces: dict[str, str]) -> QueryAnswer | QueryFailure:
    """Run ``job`` on ``store``; never raises for anything the query itself causes."""
    started = time.perf_counter()
    try:
        result = run_query(store, job)
        if isinstance(result, ox.QueryBoolean):
            if job.solution_type is None:
                return QueryFailure(406, "ASK results cannot be given in the requested format", "ASK")
            body = write_boolean(bool(result), job.solution_type)
            return QueryAnswer("ASK", job.solution_type, body, 1, False, time.perf_counter() - started)
        if isinstance(result, ox.QuerySolutions):
            if job.solution_type is None:
                return QueryFailure(406, "SELECT results cannot be given in the requested format", "SELECT")
            if job.solution_type == SPARQL_JSON and not _VOLATILE.search(job.query):
                native = _native_json(store, job, result)
                if native is not None:
                    body, count = native
                    return QueryAnswer("SELECT", SPARQL_JSON, body, count, False, time.perf_counter() - started)
                result = run_query(store, job)  # over the limit: the rows one by one, below
                assert isinstance(result, ox.QuerySolutions)
            variables = [v.value for v in result.variables]
            # Solutions are computed lazily: taking one more than the limit is what tells truncation.
            rows = [tuple(solution) for solution in islice(result, job.row_limit + 1)]
            truncated = len(rows) > job.row_limit
            rows = rows[: job.row_limit]
            body = write_solutions(variables, rows, job.solution_type)
            return QueryAnswer("SELECT", job.solution_type, body, len(rows), truncated, time.perf_counter() - started)
        if job.graph_type is None:
            return QueryFailure(406, "CONSTRUCT and DESCRIBE results cannot be given in the requested format", "GRAPH")
        triples = list(islice(result, job.row_limit + 1))
        truncated = len(triples) > job.row_limit
        triples = triples[: job.row_limit]
        body = serialize(triples, job.graph_type, namespaces)
        return QueryAnswer("GRAPH", job.graph_type, body, len(triples), truncated, time.perf_counter() - started)
    except SyntaxError as exc:
        return QueryFailure(400, f"SPARQL syntax error: {exc}")
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        return QueryFailure(400, f"the query could not be evaluated: {exc}")


def run_query(store: ox.Store, job: QueryJob) -> Any:
    """``job``'s query on ``store`` with its dataset, evaluated lazily by pyoxigraph."""
    return store.query(
        job.query,
        default_graph=[ox.NamedNode(g) for g in job.default_graphs] or None,
        named_graphs=[ox.NamedNode(g) for g in job.named_graphs] or None,
    )


# Functions whose value changes from one evaluation to the next: such a query is evaluated once only.
_VOLATILE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)


def _native_json(store: ox.Store, job: QueryJob, result: ox.QuerySolutions) -> tuple[bytes, int] | None:
    """SPARQL JSON written by pyoxigraph itself (a fifth of the time of writing it in Python: 110 against
    572 µs for a 75-row lookup), when the results are within the row limit; None when they are not.
    pyoxigraph serialises whole result sets only, so the solutions are counted first (without turning
    their terms into Python objects) and the query, deterministic and read-only, is evaluated again."""
    count = sum(1 for _ in islice(result, job.row_limit + 1))
    if count > job.row_limit:
        return None
    again = run_query(store, job)
    body: bytes = again.serialize(format=ox.QueryResultsFormat.JSON)
    return body, count


def main() -> None:
    """Entry point of a worker process (``python -m krefeld_kg.serve.worker``), spoken to in length-prefixed
    pickles over stdin/stdout: first its settings, then one job after another until stdin closes."""
    # Ctrl-C reaches the whole process group; the server, not the worker, decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Runaway queries must not starve the server process of CPU: pages and 503s come first.
    if hasattr(os, "nice"):
        os.nice(5)
    # The protocol owns stdout: anything else that prints goes to stderr instead of corrupting a frame.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    jobs = sys.stdin.buffer
    settings = read_frame(jobs)
    if settings is None:
        return
    dump, namespaces, memory_limit = settings
    if memory_limit and sys.platform != "win32":
        import resource

        # A runaway join then fails to allocate and the process dies, instead of taking the host with it.
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:
        store = ox.Store()
        store.bulk_load(path=dump, format=ox.RdfFormat.N_TRIPLES)
    except (OSError, SyntaxError, ValueError, MemoryError) as exc:
        with contextlib.suppress(OSError):
            write_frame(out, ("failed", f"cannot load {dump}: {exc}"))
        return
    try:
        write_frame(out, ("ready", len(store)))
        while (job := read_frame(jobs)) is not None:
            write_frame(out, answer(store, job, namespaces))
    except OSError:
        return  # the server went away (a broken pipe): nobody is left to answer


if __name__ == "__main__":
    # Run the copy imported under the package name, so the answers pickle as krefeld_kg.serve.worker
    # classes rather than __main__ ones the server cannot load.
    from krefeld_kg.serve.worker import main as package_main

    package_main()
