"""The remote backend's connection to the store and what it knows of the store's state.

``StoreConnection`` holds the HTTP side shared by page lookups and user queries (the protocol's request form,
the synchronous client of the lookups, the async client and query gate of each event loop) and the failure
bookkeeping: an outage makes lookups fail at once while a background probe waits for the store to answer
again; ``health()`` reports the state for /healthz. Kept apart from remote_backend.py, whose ``RemoteBackend``
(the Backend protocol) inherits it and sets the attributes declared here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from ..remote import RemoteError, response_error
from .remote_sparql import BOOLEAN_ACCEPT, PROBE_INTERVAL, PROBE_TIMEOUT, StoreFailure, classify_failure

log = logging.getLogger("krefeld_kg.serve")


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


class StoreConnection:
    """The store at ``endpoint`` over HTTP, and its state; the attributes are set by ``RemoteBackend``."""

    endpoint: str
    graph: str | None
    timeout: float
    concurrency: int
    store_triples: int | None
    release_triples: int | None
    stats: RemoteStats
    _headers: dict[str, str]
    _auth: tuple[str, str] | None
    _sync: httpx.Client | None
    _async: _Loop | None
    _outage: _Outage | None
    _probe: asyncio.Task[None] | None
    _refusal: str | None

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

    # --- requests ---------------------------------------------------------------------------------------------

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
            raise classify_failure(exc, self.endpoint, timeout) from None
        if response.status_code >= 400:
            raise response_error(response, self.endpoint)
        return response.content, response.headers.get("Content-Type", "")

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
            raise classify_failure(exc, self.endpoint, timeout) from None
        if response.status_code >= 400:
            raise response_error(response, self.endpoint)
