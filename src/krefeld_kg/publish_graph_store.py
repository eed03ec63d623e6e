"""The SPARQL 1.1 Graph Store Protocol client that `publish` loads, reads back and deletes graphs with.

Kept apart from publish.py (the loading and switching steps) so that the release checks in publish_verify.py
can read a graph back without importing the publishing steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyoxigraph as ox

from .errors import InputError
from .remote import (
    USER_AGENT,
    Credentials,
    RemoteError,
    RetryPolicy,
    classify,
    http_error,
    response_error,
    with_retries,
)

Progress = Callable[[int, int], None]
NT = "application/n-triples"
_UPLOAD_CHUNK = 64 * 1024


class GraphStore:
    """A SPARQL 1.1 Graph Store Protocol endpoint, graphs named indirectly (``?graph=IRI``), over httpx."""

    def __init__(self, url: str, credentials: Credentials, policy: RetryPolicy) -> None:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"not an http(s) Graph Store URL: {url!r}")
        self.url, self.credentials, self.policy = url, credentials, policy
        self.server = ""

    def _request(
        self,
        method: str,
        graph: str,
        data: bytes | None = None,
        progress: Progress | None = None,
        accept: str | None = None,
    ) -> tuple[int, bytes, str]:
        import httpx

        headers = {"User-Agent": USER_AGENT, **self.credentials.headers()}
        if data is not None:
            headers.update({"Content-Type": NT, "Content-Length": str(len(data))})
        if accept:
            headers["Accept"] = accept
        auth = (self.credentials.user, self.credentials.password or "") if self.credentials.user else None

        def chunks(body: bytes) -> Iterator[bytes]:
            for start in range(0, len(body), _UPLOAD_CHUNK):
                yield body[start : start + _UPLOAD_CHUNK]
                if progress:
                    progress(min(start + _UPLOAD_CHUNK, len(body)), len(body))

        def attempt(timeout: float) -> tuple[int, bytes, str]:
            try:
                with httpx.Client(timeout=timeout, auth=auth, trust_env=False) as client:
                    response = client.request(
                        method,
                        self.url,
                        params={"graph": graph},
                        headers=headers,
                        content=None if data is None else chunks(data),
                    )
            except httpx.HTTPError as exc:
                raise classify(exc, self.url, timeout) from None
            self.server = response.headers.get("Server", self.server)
            if response.status_code >= 400 and response.status_code != 404:
                raise response_error(response, self.url)
            if response.status_code == 404 and method == "PUT":
                raise http_error(404, response.reason_phrase, response.content, self.url)
            return response.status_code, response.content, response.headers.get("Content-Type", "")

        return with_retries(self.policy, attempt)

    def put(self, graph: str, data: bytes, progress: Progress | None = None) -> None:
        self._request("PUT", graph, data, progress)

    def get(self, graph: str) -> set[ox.Triple]:
        status, body, content_type = self._request("GET", graph, accept=NT)
        if status == 404:
            return set()
        fmt = ox.RdfFormat.from_media_type(content_type.split(";")[0].strip()) or ox.RdfFormat.N_TRIPLES
        try:
            return {q.triple for q in ox.parse(body, format=fmt)}
        except SyntaxError as exc:
            raise RemoteError(f"{self.url} answered unreadable RDF for <{graph}>: {exc}") from None

    def delete(self, graph: str) -> None:
        self._request("DELETE", graph)

    def exists(self, graph: str) -> bool:
        return self._request("HEAD", graph)[0] != 404

    def sibling_update_endpoint(self) -> str | None:
        """The ``/update`` beside an Oxigraph server's ``/store``, where one MOVE switches graphs atomically."""
        base = self.url.partition("?")[0]
        if self.server.lower().startswith("oxigraph") and base.rstrip("/").endswith("/store"):
            return base.rstrip("/")[: -len("/store")] + "/update"
        return None
