"""The remote backend: pages and /sparql answered by a SPARQL 1.1 endpoint (``krefeld-kg serve --endpoint``).

Reads see one graph: the named graph `publish` loads into (the release's dataset IRI), sent with every request
as the protocol's ``default-graph-uri``, which takes precedence over FROM / FROM NAMED in the query and leaves
no named graph to ``GRAPH ?g``. With ``--graph default`` the store's default graph is read instead, and nothing
stops a user query from naming the store's other graphs.

The server's own lookups (``outgoing``, ``incoming``, ``select``) are synchronous and run on the event loop,
so they are kept short: one POST each over a kept-alive connection, CONSTRUCTs answered in N-Triples (parsed
several times faster than result rows turned into triples), IRIs batched in VALUES blocks, and the
description of one resource (its triples, its ``#fragment`` nodes two links deep, its incoming links) fetched
in one request and handed out as describe() asks for the parts: a resource page costs one or two round trips.
Answers come in one canonical order, so a page's bytes do not depend on the store's result order. After a
failure, lookups fail at once with 503 while a background probe waits for the store to answer again, so a
hanging store stalls the loop once, not once per request.

User queries (``execute``) are passed through as they are, after the endpoint's screen (no SERVICE, no
update, size limit). The answer is read as TSV or N-Triples when the store offers them, which can be cut
after the row limit without reading the rest, then parsed and written in the client's format by the same
writers as the embedded workers' answers; the whole exchange, waiting for a free slot included, has the time
limit (503 when it runs out). At most ``concurrency`` (``--workers``) user queries go to the store at once.

Failures are one line for the public (the store's URL is not shown) and a log line with the detail: the
store cannot be reached or is too slow → 503 with Retry-After; it answers with an error, or refuses our
credentials → 502. At start-up (index build, graph check) the store gets the retry policy of
``remote_engine()`` and failures are ``RemoteError``s naming the URL, for the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox

from ..engine import QueryError
from ..errors import InputError
from ..remote import (
    USER_AGENT,
    Credentials,
    RemoteError,
    RetryPolicy,
    query_form,
    response_error,
    with_retries,
)
from .backend import QueryAnswer, QueryJob, QueryRejected, Term, Unavailable
from .formats import TSV
from .release import Release, open_release
from .remote_answer import LINE_FORMATS, ResultTooLarge, query_answer, read_body, read_some
from .remote_answer import MAX_RESULT_BYTES as MAX_RESULT_BYTES
from .remote_connection import RemoteStats as RemoteStats
from .remote_connection import StoreConnection
from .remote_sparql import BOOLEAN_ACCEPT as BOOLEAN_ACCEPT
from .remote_sparql import GRAPH_ACCEPT as GRAPH_ACCEPT
from .remote_sparql import LOOKUP_BATCH as LOOKUP_BATCH
from .remote_sparql import LOOKUP_TIMEOUT as LOOKUP_TIMEOUT
from .remote_sparql import PREFETCH_LIMIT as PREFETCH_LIMIT
from .remote_sparql import SOLUTIONS_ACCEPT as SOLUTIONS_ACCEPT
from .remote_sparql import batches, classify_failure, iri_ref, parse_rows, string_literal
from .remote_sparql import canonical as canonical

log = logging.getLogger("krefeld_kg.serve")


@dataclass
class _Prefetched:
    outgoing: dict[str, list[ox.Triple]] = field(default_factory=dict)
    incoming: dict[str, list[ox.Triple]] = field(default_factory=dict)


class RemoteBackend(StoreConnection):
    """The server's store, reached over the SPARQL 1.1 Protocol at ``endpoint``, reading ``graph`` (None: the
    store's default graph). ``timeout`` is the time limit of a user query; ``startup`` the retry policy of the
    start-up queries; at most ``concurrency`` user queries go to the store at once."""

    def __init__(
        self,
        endpoint: str,
        *,
        graph: str | None,
        namespaces: dict[str, str],
        credentials: Credentials | None = None,
        timeout: float = 10.0,
        startup: RetryPolicy | None = None,
        concurrency: int = 8,
        release_triples: int | None = None,
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise InputError(f"not an http(s) endpoint URL: {endpoint!r}")
        self.endpoint = endpoint
        self.graph = graph
        self.namespaces = namespaces
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self.lookup_timeout = min(timeout, LOOKUP_TIMEOUT)
        self.startup = startup or RetryPolicy(timeout=timeout)
        self.concurrency = concurrency
        self.release_triples = release_triples
        self.store_triples: int | None = None
        self.stats = RemoteStats()
        self._headers = {"User-Agent": USER_AGENT, **self.credentials.headers()}
        self._auth = (self.credentials.user, self.credentials.password or "") if self.credentials.user else None
        self._sync = None
        self._async = None
        self._outage = None
        self._probe = None
        self._refusal = None  # the last refusal logged, so a misconfiguration logs once
        self._serving = False
        self._prefetched = _Prefetched()

    # --- the Backend protocol ---------------------------------------------------------------------------------

    def outgoing(self, subjects: Sequence[str]) -> list[ox.Triple]:
        found: list[ox.Triple] = []
        missing: list[str] = []
        for subject in dict.fromkeys(subjects):
            held = self._prefetched.outgoing.pop(subject, None)
            if held is None:
                missing.append(subject)
            else:
                found += held
        if len(missing) == 1 and len(subjects) == 1:
            return self._describe(missing[0])  # the start of a describe(): fetch all it will ask for at once
        for batch in batches(missing, LOOKUP_BATCH):
            values = " ".join(iri_ref(s) for s in batch)
            found += self._graph(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}")
        return sorted(found, key=str)

    def incoming(self, iri: str) -> list[ox.Triple]:
        held = self._prefetched.incoming.pop(iri, None)
        if held is not None:
            return held
        node = iri_ref(iri)
        return sorted(self._graph(f"CONSTRUCT WHERE {{ ?s ?p {node} }}"), key=str)

    def select(self, query: str) -> list[tuple[Term | None, ...]]:
        if self._serving:
            body, content_type = self._lookup(query, SOLUTIONS_ACCEPT)
        else:
            # Start-up: the store may be starting too, so it gets the retries; failures name the URL (for the operator).
            body, content_type = with_retries(self.startup, lambda limit: self._post(query, SOLUTIONS_ACCEPT, limit))
        return sorted(parse_rows(body, content_type, self.endpoint), key=canonical)

    async def execute(self, job: QueryJob) -> QueryAnswer:
        started = time.perf_counter()
        try:
            form = query_form(job.query)
        except QueryError as exc:
            raise QueryRejected(exc.message, status=400) from None
        form = "GRAPH" if form in ("CONSTRUCT", "DESCRIBE") else form
        media_type = job.graph_type if form == "GRAPH" else job.solution_type
        if media_type is None:
            what = "CONSTRUCT and DESCRIBE" if form == "GRAPH" else form
            raise QueryRejected(f"{what} results cannot be given in the requested format", status=406)
        accept = {"SELECT": SOLUTIONS_ACCEPT, "ASK": BOOLEAN_ACCEPT, "GRAPH": GRAPH_ACCEPT}[form]
        data = self._form(job.query, *self._dataset(job))
        self._fail_fast()
        self.stats.queries += 1
        state = self._loop_state()
        admitted = False
        try:
            async with asyncio.timeout(self.timeout):
                async with state.gate:
                    admitted = True
                    async with state.client.stream(
                        "POST", self.endpoint, data=data, headers={"Accept": accept}
                    ) as response:
                        if response.status_code >= 400:
                            body = await read_some(response, 64 * 1024)
                            raise response_error(response, self.endpoint, body)
                        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                        lines = (
                            (job.row_limit + 2 if content_type == TSV else job.row_limit + 1)
                            if content_type in LINE_FORMATS
                            else None
                        )
                        body, cut = await read_body(response, lines, MAX_RESULT_BYTES)
        except TimeoutError:
            self.stats.timeouts += 1
            if not admitted:
                raise Unavailable(
                    f"all {self.concurrency} query slots stayed busy for the whole time limit of "
                    f"{self.timeout:g} s; try again in a moment"
                ) from None
            raise Unavailable(
                f"the query was stopped at the time limit of {self.timeout:g} s; narrow it down "
                "(a LIMIT, more specific patterns) and try again"
            ) from None
        except ResultTooLarge:
            raise QueryRejected(
                f"the store's answer is over {MAX_RESULT_BYTES // 1024**2} MiB; narrow the query down", status=502
            ) from None
        except httpx.HTTPError as exc:
            failure = self._failed(classify_failure(exc, self.endpoint, self.timeout))
            raise failure from None
        except RemoteError as exc:
            raise self._query_failure(exc) from None
        self._recovered()
        return query_answer(form, media_type, body, content_type, cut, job.row_limit, started, self.namespaces)

    async def start(self) -> None:
        self._serving = True
        self._loop_state()

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe
            self._probe = None
        if self._async is not None and self._async.loop is asyncio.get_running_loop():
            await self._async.client.aclose()
        self._async = None
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    # --- beyond the protocol: the start-up check and /healthz -------------------------------------------------

    def check(self) -> None:
        """Count what the store holds in the graph: refuse an empty graph (nothing was published there, or
        --graph names the wrong one), warn when the count differs from the release's."""
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        count = rows[0][0] if rows and rows[0] else None
        self.store_triples = int(count.value) if isinstance(count, ox.Literal) else 0
        where = f"the graph <{self.graph}>" if self.graph else "the default graph"
        if not self.store_triples:
            raise InputError(
                f"{self.endpoint} holds no triples in {where}: publish the release first "
                "(krefeld-kg publish --graph-store URL) or give --graph"
            )
        if self.release_triples is not None and self.store_triples != self.release_triples:
            log.warning(
                "%s holds %s triples in %s, the release %s: pages show the store's data, downloads and "
                "ETags the release's (publish the release again?)",
                self.endpoint,
                f"{self.store_triples:,}",
                where,
                f"{self.release_triples:,}",
            )

    # --- page lookups -----------------------------------------------------------------------------------------

    def _describe(self, iri: str) -> list[ox.Triple]:
        """One request for the triples of ``iri``, of its fragment nodes up to two links away, and its incoming
        links; the fragments' and the incoming triples wait for describe() to ask for them."""
        node, prefix = iri_ref(iri), string_literal(iri + "#")
        fragment = f"isIRI(?s) && STRSTARTS(STR(?s), {prefix})"
        triples = self._graph(
            "CONSTRUCT { ?s ?p ?o } WHERE {\n"
            f"  {{ {node} ?p ?o BIND({node} AS ?s) }}\n"
            f"  UNION {{ {node} ?a ?s FILTER({fragment}) ?s ?p ?o }}\n"
            f"  UNION {{ {node} ?a ?m . ?m ?b ?s FILTER({fragment} && isIRI(?m) && STRSTARTS(STR(?m), {prefix})) "
            "?s ?p ?o }\n"
            f"  UNION {{ ?s ?p {node} BIND({node} AS ?o) }}\n"
            "}"
        )
        resource = ox.NamedNode(iri)
        by_subject: dict[str, list[ox.Triple]] = {}
        incoming: list[ox.Triple] = []
        for triple in triples:
            by_subject.setdefault(str(triple.subject), []).append(triple)
            if triple.object == resource:
                incoming.append(triple)

        def fragments(subjects: set[str]) -> set[str]:
            return {
                str(t.object)
                for s in subjects
                for t in by_subject.get(s, ())
                if isinstance(t.object, ox.NamedNode) and t.object.value.startswith(iri + "#")
            }

        # The fragments the query reached, with or without triples of their own: describe() asks for exactly these.
        near = fragments({str(resource)})
        reached = near | fragments(near)
        if len(self._prefetched.outgoing) + len(self._prefetched.incoming) > PREFETCH_LIMIT:
            self._prefetched = _Prefetched()
        self._prefetched.outgoing.update((f[1:-1], sorted(by_subject.get(f, ()), key=str)) for f in reached)
        self._prefetched.incoming[iri] = sorted(incoming, key=str)
        return sorted(by_subject.get(str(resource), ()), key=str)

    def _graph(self, query: str) -> list[ox.Triple]:
        """The triples a CONSTRUCT lookup gives, each once."""
        body, content_type = self._lookup(query, GRAPH_ACCEPT)
        fmt = ox.RdfFormat.from_media_type(content_type.split(";")[0].strip()) or ox.RdfFormat.N_TRIPLES
        try:
            return list(dict.fromkeys(q.triple for q in ox.parse(body, format=fmt)))
        except SyntaxError as exc:
            raise self._failed(RemoteError(f"{self.endpoint} answered unreadable RDF: {exc}")) from None

    def _lookup(self, query: str, accept: str) -> tuple[bytes, str]:
        self._fail_fast()
        self.stats.lookups += 1
        try:
            answer = self._post(query, accept, self.lookup_timeout)
        except RemoteError as exc:
            raise self._failed(exc) from None
        self._recovered()
        return answer

    # --- user queries -----------------------------------------------------------------------------------------

    def _dataset(self, job: QueryJob) -> tuple[list[str], list[str]]:
        """The dataset a user query reads: our graph, whatever it asks; only our graph may be named."""
        if self.graph is None:
            return list(job.default_graphs), list(job.named_graphs)
        others = [g for g in (*job.default_graphs, *job.named_graphs) if g != self.graph]
        if others:
            raise QueryRejected(
                f"this endpoint reads one graph, <{self.graph}>: default-graph-uri and "
                f"named-graph-uri may name only that one, not <{others[0]}>",
                status=403,
            )
        return list(job.default_graphs) or [self.graph], list(job.named_graphs)

    def _query_failure(self, exc: RemoteError) -> Exception:
        """The store answered a user query with an error status: the query's fault (4xx), a busy store (503
        with Retry-After) or a failing one (502). A failing query does not mark the store as down."""
        message, status = self._public(exc)
        if exc.status in (400, 413, 414):
            detail = message.split(": ", 1)[-1]
            return QueryRejected(f"the triple store could not run the query: {detail}", status=exc.status)
        if exc.status in (401, 403, 404):
            return QueryRejected(self._failed(exc).message, status=502)  # logged once, like a page's
        self.stats.failures += 1
        if status == 503:
            return Unavailable(f"{message}; try again in a moment", retry_after=max(1, round(exc.retry_after or 1)))
        return QueryRejected(message, status=502)


def connect(
    release_dir: Path | Release,
    endpoint: str,
    *,
    base_url: str | None = None,
    graph: str | None = None,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
    concurrency: int | None = None,
) -> RemoteBackend:
    """The backend for ``serve --endpoint``: options as ``query --endpoint`` reads them (``remote_engine``), the
    graph by default the release's dataset IRI (where `publish` loads it), checked to hold triples. The release
    may come already opened (``open_release``), as `serve` does to read and check it once."""
    from ..commands_remote import remote_engine
    from ..namespaces import namespace_prefixes
    from ..publish import dataset_iri

    release = release_dir if isinstance(release_dir, Release) else open_release(release_dir, base_url)
    engine = remote_engine(endpoint, graph or dataset_iri(release.directory), release.base, user, password, timeout)
    with release.dump.open("rb") as dump:
        triples = sum(1 for line in dump if line.strip() and not line.startswith(b"#"))
    backend = RemoteBackend(
        engine.endpoint,
        graph=engine.default_graph,
        namespaces=namespace_prefixes(release.base),
        credentials=engine.credentials,
        timeout=timeout,
        startup=engine.policy,
        concurrency=concurrency or 8,
        release_triples=triples,
    )
    backend.check()
    return backend
