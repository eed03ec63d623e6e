"""What every handler shares: the release, its indexes, the backend and the pages, and the responses they
all build the same way (language choice, ETag / Last-Modified with 304, negotiated error messages)."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from .backend import Backend
from .cache import ResponseCache
from .formats import FORMATS, HTML
from .i18n import LANGUAGES
from .index import GraphIndex
from .negotiate import negotiate, negotiate_language
from .pages import Pages
from .release import Release

TEXT = "text/plain"
CACHE_CONTROL = "public, max-age=300"  # short: a new release must show soon; revalidation is a cheap 304


@dataclass(frozen=True)
class Settings:
    timeout: float = 10.0  # seconds per SPARQL query, from arrival to answer
    row_limit: int = 10_000  # rows (or triples) per SPARQL result
    max_request_bytes: int = 64 * 1024  # SPARQL request body and query text
    workers: int = 2  # query worker processes
    memory_limit: int | None = 2 * 1024**3  # address space per query worker, bytes
    cache_bytes: int = 64 * 1024**2  # response bodies kept in memory; 0 turns the cache off


class Site:
    def __init__(self, release: Release, index: GraphIndex, backend: Backend, pages: Pages, settings: Settings) -> None:
        self.release = release
        self.index = index
        self.backend = backend
        self.pages = pages
        self.settings = settings
        self.cache = ResponseCache(settings.cache_bytes)
        self.modified = int(release.modified)
        self.last_modified = email.utils.formatdate(self.modified, usegmt=True)

    def language(self, request: Request) -> tuple[str, bool]:
        """The page language and whether the reader chose it with ?lang= (then links keep it)."""
        override = request.query_params.get("lang")
        lang = negotiate_language(request.headers.get("accept-language"), LANGUAGES, override)
        return lang, override is not None and override.strip().lower() == lang

    def etag(self, variant: str) -> str:
        # The pages' version covers the release and the templates: either changing changes every ETag.
        return f'"{self.pages.version}-{variant}"'

    def validators(self, variant: str) -> dict[str, str]:
        return {"ETag": self.etag(variant), "Last-Modified": self.last_modified, "Cache-Control": CACHE_CONTROL}

    def fresh(self, request: Request, etag: str) -> bool:
        """True if the client's cached copy is current (RFC 9110 §13.2.2: If-None-Match decides when sent)."""
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            if if_none_match.strip() == "*":
                return True
            wanted = etag.removeprefix("W/")
            return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))
        if_modified_since = request.headers.get("if-modified-since")
        if if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            return since is not None and self.modified <= since.timestamp()
        return False

    def not_modified(self, headers: Mapping[str, str]) -> Response:
        return Response(status_code=304, headers=dict(headers))

    def error(
        self,
        request: Request,
        status: int,
        title: str,
        message: str,
        *,
        links: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> Response:
        """An error as an HTML page for browsers and as plain text for everything else (or as ``media_type``,
        when the caller has negotiated already)."""
        media_type = media_type or negotiate(request.headers.get("accept"), (TEXT, HTML)) or TEXT
        all_headers = {"Cache-Control": "no-store", **(headers or {})}
        if media_type == HTML:
            lang, sticky = self.language(request)
            body = self.pages.error_html(
                status, title, message, lang, sticky, request.url.path, request.query_params, list(links)
            )
            all_headers["Content-Language"] = lang
            return Response(body, status, all_headers, FORMATS[HTML].content_type)
        text = f"{status} {title}\n\n{message}\n" + "".join(f"\n{label}: {href}" for label, href in links)
        return Response(text, status, all_headers, "text/plain; charset=utf-8")
