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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from itertools import islice
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from ..engine import QueryError
from ..errors import InputError
from ..remote import USER_AGENT, Credentials, RemoteError, RetryPolicy, classify, http_error, query_form, with_retries
from .backend import QueryAnswer, QueryJob, QueryRejected, Term, Unavailable
from .formats import N_TRIPLES, SPARQL_JSON, TSV
from .rdf import serialize
from .results import write_boolean, write_solutions

log = logging.getLogger("krefeld_kg.serve")

LOOKUP_BATCH = 200  # IRIs per VALUES block
LOOKUP_TIMEOUT = 5.0  # most seconds a page lookup may hold the event loop (less if --timeout is shorter)
PROBE_INTERVAL = 1.0  # seconds between probes while the store is down
PROBE_TIMEOUT = 2.0
MAX_RESULT_BYTES = 64 * 1024**2  # most bytes read of one answer to a user query
PREFETCH_LIMIT = 4096  # prefetched descriptions kept for describe(); more means nobody asked for them

SOLUTIONS_ACCEPT = f"{TSV}, {SPARQL_JSON};q=0.9, application/sparql-results+xml;q=0.8"
BOOLEAN_ACCEPT = f"{SPARQL_JSON}, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = f"{N_TRIPLES}, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_LINE_FORMATS = (TSV, N_TRIPLES)  # one row or triple per line: an answer can be cut at a line break


class StoreFailure(Unavailable):
    """The store failed a page lookup: ``status`` 503 (unreachable, too slow, busy) or 502 (it answered with
    an error, or refused our credentials). The app answers with ``status`` and the message."""

    def __init__(self, message: str, status: int = 503, retry_after: int = 1) -> None:
        super().__init__(message, retry_after)
        self.status = status


class _ResultTooLarge(Exception):
    pass


@dataclass
class _Outage:
    message: str  # for the public: no URL
    status: int
    since: float  # wall clock
    retry_at: float  # monotonic: until then lookups fail without asking the store


@dataclass
class _Loop:
    """What belongs to one event loop: the async client and the gate on concurrent queries."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    gate: asyncio.Semaphore


@dataclass
class RemoteStats:
    lookups: int = 0
    queries: int = 0
    timeouts: int = 0
    failures: int = 0


@dataclass
class _Prefetched:
    outgoing: dict[str, list[ox.Triple]] = field(default_factory=dict)
    incoming: dict[str, list[ox.Triple]] = field(default_factory=dict)


class RemoteBackend:
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
        self._sync: httpx.Client | None = None
        self._async: _Loop | None = None
        self._outage: _Outage | None = None
        self._probe: asyncio.Task[None] | None = None
        self._refusal: str | None = None  # the last refusal logged, so a misconfiguration logs once
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
        for batch in _batches(missing, LOOKUP_BATCH):
            values = " ".join(_iri(s) for s in batch)
            found += self._graph(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}")
        return sorted(found, key=str)

    def incoming(self, iri: str) -> list[ox.Triple]:
        held = self._prefetched.incoming.pop(iri, None)
        if held is not None:
            return held
        node = _iri(iri)
        return sorted(self._graph(f"CONSTRUCT WHERE {{ ?s ?p {node} }}"), key=str)

    def select(self, query: str) -> list[tuple[Term | None, ...]]:
        if self._serving:
            body, content_type = self._lookup(query, SOLUTIONS_ACCEPT)
        else:
            # Start-up: the store may be starting too, so it gets the retries; failures name the URL (for the operator).
            body, content_type = with_retries(self.startup, lambda limit: self._post(query, SOLUTIONS_ACCEPT, limit))
        return sorted(_rows(body, content_type, self.endpoint), key=canonical)

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
                            body = await _read_some(response, 64 * 1024)
                            raise http_error(
                                response.status_code,
                                response.reason_phrase,
                                body,
                                self.endpoint,
                                response.headers.get("Retry-After"),
                            )
                        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                        lines = (
                            (job.row_limit + 2 if content_type == TSV else job.row_limit + 1)
                            if content_type in _LINE_FORMATS
                            else None
                        )
                        body, cut = await _read(response, lines, MAX_RESULT_BYTES)
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
        except _ResultTooLarge:
            raise QueryRejected(
                f"the store's answer is over {MAX_RESULT_BYTES // 1024**2} MiB; narrow the query down", status=502
            ) from None
        except httpx.HTTPError as exc:
            failure = self._failed(_classify(exc, self.endpoint, self.timeout))
            raise failure from None
        except RemoteError as exc:
            raise self._query_failure(exc) from None
        self._recovered()
        return self._answer(form, media_type, body, content_type, cut, job.row_limit, started)

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

    async def health(self) -> dict[str, Any]:
        """The store's state for /healthz, probed now (asynchronously: a slow store does not hold the loop)."""
        started = time.perf_counter()
        state, error = "up", None
        try:
            await self._ask(min(self.timeout, PROBE_TIMEOUT))
        except RemoteError as exc:
            error, status = self._public(exc)
            state = "down" if exc.transient else "refusing"
            if exc.transient:
                self._down(error, status, exc.retry_after)
        else:
            self._recovered()
        outage = self._outage
        return {
            "kind": "remote",
            "graph": self.graph or "default",
            "state": state,
            "error": error,
            "down_since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(outage.since)) if outage else None,
            "milliseconds": round((time.perf_counter() - started) * 1000, 1),
            "store_triples": self.store_triples,
            "release_triples": self.release_triples,
            **vars(self.stats),
        }

    # --- page lookups -----------------------------------------------------------------------------------------

    def _describe(self, iri: str) -> list[ox.Triple]:
        """One request for the triples of ``iri``, of its fragment nodes up to two links away, and its incoming
        links; the fragments' and the incoming triples wait for describe() to ask for them."""
        node, prefix = _iri(iri), _string(iri + "#")
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

    def _post(self, query: str, accept: str, timeout: float) -> tuple[bytes, str]:
        if self._sync is None:
            self._sync = httpx.Client(
                headers=self._headers, auth=self._auth, trust_env=False, transport=httpx.HTTPTransport(retries=1)
            )
        try:
            response = self._sync.post(
                self.endpoint, data=self._form(query), headers={"Accept": accept}, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise _classify(exc, self.endpoint, timeout) from None
        if response.status_code >= 400:
            raise http_error(
                response.status_code,
                response.reason_phrase,
                response.content,
                self.endpoint,
                response.headers.get("Retry-After"),
            )
        return response.content, response.headers.get("Content-Type", "")

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

    def _answer(
        self, form: str, media_type: str, body: bytes, content_type: str, cut: bool, limit: int, started: float
    ) -> QueryAnswer:
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
                    serialize(triples, media_type, self.namespaces),
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

    def _loop_state(self) -> _Loop:
        """The async client of the running loop (a TestClient without ``with`` runs every request in a new one)."""
        loop = asyncio.get_running_loop()
        if self._async is None or self._async.loop is not loop:
            client = httpx.AsyncClient(
                headers=self._headers,
                auth=self._auth,
                trust_env=False,
                timeout=httpx.Timeout(self.timeout + 5.0, connect=min(self.timeout, 5.0)),
                transport=httpx.AsyncHTTPTransport(retries=1),
            )
            self._async = _Loop(loop, client, asyncio.Semaphore(self.concurrency))
        return self._async

    def _form(
        self, query: str, default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] = ()
    ) -> dict[str, Any]:
        graphs = list(default_graphs) if default_graphs is not None else [self.graph] if self.graph else []
        form: dict[str, Any] = {"query": query}
        if graphs:
            form["default-graph-uri"] = graphs
        if named_graphs:
            form["named-graph-uri"] = list(named_graphs)
        return form

    # --- the store's state ------------------------------------------------------------------------------------

    def _fail_fast(self) -> None:
        """While the store is down and the probe is watching it (or for a pause, without one), do not ask it."""
        outage = self._outage
        if outage is None:
            return
        probe = self._probe
        watched = probe is not None and not probe.done() and probe.get_loop().is_running()
        if watched or time.monotonic() < outage.retry_at:
            raise StoreFailure(outage.message, outage.status, max(1, round(outage.retry_at - time.monotonic())))

    def _public(self, exc: RemoteError) -> tuple[str, int]:
        """The one-line message for the public (the store's URL left out) and the status to answer with."""
        status = exc.status
        if status in (401, 403):
            phrase = HTTPStatus(status).phrase
            return f"the triple store refused this server's credentials (HTTP {status} {phrase})", 502
        if status == 404:
            return "the triple store's endpoint answered HTTP 404 Not Found: this server is misconfigured", 502
        text = exc.message.replace(self.endpoint, "the triple store")
        return text, 503 if status is None or status in (408, 429, 503, 504) else 502

    def _failed(self, exc: RemoteError) -> StoreFailure:
        """Record a failed lookup and make its error. A store that cannot be reached, is too slow or failing
        (transient) is left alone until the background probe sees it answer again."""
        message, status = self._public(exc)
        self.stats.failures += 1
        if exc.transient:
            if self._outage is None:
                log.warning("the triple store is not answering: %s", exc.message)
            self._down(message, status, exc.retry_after)
        elif message != self._refusal:
            log.error("the triple store refused a request: %s", exc.message)
            self._refusal = message
        return StoreFailure(message, status, max(1, round(exc.retry_after or PROBE_INTERVAL)))

    def _down(self, message: str, status: int, retry_after: float | None = None) -> None:
        since = self._outage.since if self._outage else time.time()
        wait = max(PROBE_INTERVAL, retry_after or 0.0)
        self._outage = _Outage(message, status, since, time.monotonic() + wait)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving yet: the next lookup tries again after the pause
        if self._probe is None or self._probe.done():
            self._probe = loop.create_task(self._probe_until_up())

    def _recovered(self) -> None:
        self._refusal = None
        if self._outage is not None:
            log.warning("the triple store is answering again (down for %.1f s)", time.time() - self._outage.since)
            self._outage = None

    async def _probe_until_up(self) -> None:
        """Ask the store every PROBE_INTERVAL until it answers; meanwhile lookups fail at once."""
        while self._outage is not None:
            await asyncio.sleep(PROBE_INTERVAL)
            try:
                await self._ask(min(self.timeout, PROBE_TIMEOUT))
            except RemoteError as exc:
                if exc.transient:
                    self._down(*self._public(exc), exc.retry_after)  # still down: keep failing fast
                    continue
            self._recovered()  # answering (even if refusing: then lookups say so themselves)

    async def _ask(self, timeout: float) -> None:
        state = self._loop_state()
        try:
            response = await state.client.post(
                self.endpoint, data=self._form("ASK { ?s ?p ?o }"), headers={"Accept": BOOLEAN_ACCEPT}, timeout=timeout
            )
        except httpx.HTTPError as exc:
            raise _classify(exc, self.endpoint, timeout) from None
        if response.status_code >= 400:
            raise http_error(
                response.status_code,
                response.reason_phrase,
                response.content,
                self.endpoint,
                response.headers.get("Retry-After"),
            )


def connect(
    release_dir: Path,
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
    graph by default the release's dataset IRI (where `publish` loads it), checked to hold triples."""
    from ..commands_remote import remote_engine
    from ..namespaces import all_prefixes
    from ..publish import dataset_iri
    from .release import open_release

    release = open_release(release_dir, base_url)
    engine = remote_engine(endpoint, graph or dataset_iri(release_dir), release.base, user, password, timeout)
    with release.dump.open("rb") as dump:
        triples = sum(1 for line in dump if line.strip() and not line.startswith(b"#"))
    backend = RemoteBackend(
        engine.endpoint,
        graph=engine.default_graph,
        namespaces={namespace: prefix for prefix, namespace in all_prefixes(release.base).items()},
        credentials=engine.credentials,
        timeout=timeout,
        startup=engine.policy,
        concurrency=concurrency or 8,
        release_triples=triples,
    )
    backend.check()
    return backend


# --- helpers ----------------------------------------------------------------------------------------------------


def _classify(exc: BaseException, url: str, timeout: float) -> RemoteError:
    """``remote.classify``, after a look down the chain of causes: httpx's async client reports a refused
    connection as "All connection attempts failed" three causes above the ConnectionRefusedError."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return RemoteError(f"cannot connect to {url}: connection refused", transient=True)
        cause = cause.__cause__ or cause.__context__
    return classify(exc, url, timeout)


def _iri(iri: str) -> str:
    """``<iri>``, checked: pyoxigraph refuses anything that is not an IRI (so nothing can close the brackets)."""
    try:
        return str(ox.NamedNode(iri))
    except ValueError:
        raise StoreFailure(f"not an IRI: {iri!r}", 502) from None


def _string(text: str) -> str:
    return str(ox.Literal(text))


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows(body: bytes, content_type: str, endpoint: str) -> list[tuple[Term | None, ...]]:
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


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit])


async def _read(response: httpx.Response, lines: int | None, limit: int) -> tuple[bytes, bool]:
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
                raise _ResultTooLarge
            return bytes(data[: data.rfind(b"\n") + 1]), True
    return bytes(data), False
