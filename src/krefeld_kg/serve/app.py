"""The ASGI application: ``create_app(release_dir)`` wires the release, the backend and the handlers.

Routes::

    /                         home page: the dataset, its licence, downloads with sizes and checksums
    /id/{type}/{slug}         the resource IRIs: 303 See Other to the document
    /doc/{type}/{slug}[.ext]  the documents: HTML, Turtle, JSON-LD, N-Triples, RDF/XML
    /doc/{type}/              index of one type
    /sparql                   SPARQL 1.1 Protocol endpoint (service description / form on a plain GET)
    /catalog.ttl              the DCAT-AP.de description of the release
    /download/{file}          the release's files (dumps, ontology, shapes, context, SHA256SUMS)
    /static/{file}            the stylesheet and the query page's script
    /static/yasgui/{file}     YASGUI, the query editor (installed from npm into web/; see yasgui.py)
    /healthz                  liveness: release, triples, query workers or the remote store
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import query as catalogue_module
from ..errors import InputError
from ..namespaces import namespace_prefixes
from . import i18n
from .backend import Backend, Unavailable
from .embedded import EmbeddedBackend
from .formats import FORMATS, HTML, TURTLE
from .index import GraphIndex
from .linkeddata import LinkedData
from .negotiate import negotiate
from .pages import Example, Pages
from .pool import default_size
from .release import CATALOG, Release, open_release
from .screen import with_values
from .site import CACHE_CONTROL, Settings, Site
from .sparql import SparqlEndpoint
from .yasgui import Yasgui

log = logging.getLogger("krefeld_kg.serve")

EXPOSED = [
    "ETag",
    "Last-Modified",
    "Link",
    "Content-Location",
    "Content-Language",
    "Location",
    "Vary",
    "Retry-After",
    "Server-Timing",
    "X-Result-Limit",
    "X-Result-Truncated",
]
STATIC_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}


def create_app(
    release_dir: Path | Release,
    base_url: str | None = None,
    *,
    timeout: float = 10.0,
    row_limit: int = 10_000,
    max_request_bytes: int = 64 * 1024,
    workers: int | None = None,
    memory_limit: int | None = 2 * 1024**3,
    cache_bytes: int = 64 * 1024**2,
    backend: Backend | None = None,
) -> Starlette:
    """The app serving the release in ``release_dir``. ``base_url`` is the base IRI of its resources
    (default: the one it was built with). Raises InputError for a missing or damaged release."""
    if row_limit < 1 or max_request_bytes < 1:
        raise InputError("the row limit and the request size limit must be positive")
    release = release_dir if isinstance(release_dir, Release) else open_release(release_dir, base_url)
    release_dir = release.directory
    settings = Settings(timeout, row_limit, max_request_bytes, workers or default_size(), memory_limit, cache_bytes)
    namespaces = namespace_prefixes(release.base)
    if backend is None:
        backend = EmbeddedBackend(
            release_dir,
            workers=settings.workers,
            timeout=timeout,
            namespaces=namespaces,
            memory_limit=settings.memory_limit,
        )
    index = GraphIndex.build(backend, release.base, release_dir / "ontology.ttl")
    pages = Pages(release, index, backend, {"timeout": timeout, "rows": row_limit})
    pages.examples = examples(release.base)
    yasgui = Yasgui(release.base, static_version=pages.static_version)
    pages.env.globals["yasgui"] = yasgui
    pages.version = yasgui.versioned(pages.version)
    site = Site(release, index, backend, pages, settings)
    linked = LinkedData(site)
    sparql = SparqlEndpoint(site)

    async def home(request: Request) -> Response:
        override = request.query_params.get("format") or None
        media_type = negotiate(request.headers.get("accept"), (HTML, TURTLE), override)
        if media_type == TURTLE and CATALOG in release.files:
            # An RDF client asking for the site gets its catalogue.
            return download_file(request, CATALOG, {"Vary": "Accept, Accept-Language"})
        if media_type is None:
            return site.error(
                request,
                406,
                "Not Acceptable",
                "The home page comes as text/html; the catalogue as text/turtle at /catalog.ttl.",
                headers={"Vary": "Accept"},
            )
        lang, sticky = site.language(request)
        headers = site.validators(f"home-{lang}{'-l' if sticky else ''}")
        headers |= {"Vary": "Accept, Accept-Language", "Content-Language": lang}
        if site.fresh(request, headers["ETag"]):
            return site.not_modified(headers)
        body = pages.home_html(lang, sticky, request.url.path, request.query_params)
        return Response(body, 200, headers, FORMATS[HTML].content_type)

    def download_file(request: Request, name: str, extra: dict[str, str] | None = None) -> Response:
        released = release.files.get(name)
        if released is None:
            lang = site.language(request)[0]
            return site.error(
                request,
                404,
                i18n.text("not_found", lang),
                f"There is no file {name!r} in this release.",
                links=[(i18n.text("downloads", lang), "/")],
            )
        headers = {
            "ETag": f'"{released.sha256}"',
            "Last-Modified": site.last_modified,
            "Cache-Control": CACHE_CONTROL,
            **(extra or {}),
        }
        if site.fresh(request, headers["ETag"]):
            return site.not_modified(headers)
        text = released.media_type.startswith("text/") or released.media_type.endswith(("+json", "n-triples"))
        media_type = f"{released.media_type}; charset=utf-8" if text else released.media_type
        return FileResponse(release.directory / name, headers=headers, media_type=media_type)

    async def download(request: Request) -> Response:
        return download_file(request, request.path_params["name"])

    async def catalog(request: Request) -> Response:
        return download_file(request, CATALOG)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        data = pages.static.get(name)
        if data is None:
            raise HTTPException(404)
        etag = f'"{pages.static_version}"'
        # Versioned URLs (?v=digest) never change; unversioned ones are revalidated.
        cache = "public, max-age=31536000, immutable" if request.query_params.get("v") else CACHE_CONTROL
        headers = {"ETag": etag, "Cache-Control": cache}
        if site.fresh(request, etag):
            return site.not_modified(headers)
        media_type = STATIC_TYPES.get(name.rpartition(".")[2], "application/octet-stream")
        return Response(data, 200, headers, media_type)

    async def healthz(request: Request) -> Response:
        pool = getattr(backend, "pool", None)
        workers = {"alive": pool.alive, "idle": pool.idle, "size": pool.size, **vars(pool.stats)} if pool else None
        probe = getattr(backend, "health", None)  # a remote store: probed now
        store = await probe() if probe else None
        healthy = (pool is None or pool.alive > 0) and (store is None or store["state"] == "up")
        cache = {
            "entries": len(site.cache),
            "bytes": site.cache.size,
            "hits": site.cache.hits,
            "misses": site.cache.misses,
        }
        body = {
            "status": "ok" if healthy else "degraded",
            "process": os.getpid(),  # which front-end answered (serve --processes)
            "release": release.version,
            "base": release.base,
            "triples": index.triples,
            "workers": workers,
            "cache": cache,
        } | ({"store": store} if store else {})
        return Response(json.dumps(body), 200 if healthy else 503, {"Cache-Control": "no-store"}, "application/json")

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        lang = site.language(request)[0]
        if status == 404:
            return site.error(
                request,
                404,
                i18n.text("not_found", lang),
                f"Nothing is published at {request.url.path}.",
                links=[(i18n.text("home", lang), "/")],
            )
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return site.error(request, status, i18n.text("error", lang), str(detail), headers=headers)

    async def unavailable(request: Request, exc: Exception) -> Response:
        # The store failed a page's lookup (a remote store down, too slow or refusing): say so, no traceback.
        status = getattr(exc, "status", 503)
        retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Unavailable) and status == 503 else {}
        return site.error(request, status, HTTPStatus(status).phrase, str(exc), headers=retry)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("error answering %s %s", request.method, request.url.path, exc_info=exc)
        return site.error(request, 500, "Internal Server Error", "Something went wrong on our side.")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backend.start()
        try:
            yield
        finally:
            await backend.close()

    routes = [
        Route("/", home),
        Route("/id/{type}/{slug}", linked.resource),
        Route("/doc/{type}/", linked.index),
        Route("/doc/{type}/{name}", linked.document),
        Route("/sparql", sparql.handle, methods=["GET", "HEAD", "POST", "OPTIONS"]),
        Route("/catalog.ttl", catalog),
        Route("/download/{name}", download),
        Route("/static/{name}", static),
        Route("/static/yasgui/{name}", yasgui.asset),
        Route("/healthz", healthz),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=EXPOSED,
            max_age=86400,
        )
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Unavailable: unavailable, 500: server_error},
        lifespan=lifespan,
    )
    app.state.site = site
    return app


def examples(base: str) -> list[Example]:
    """The query catalogue as runnable examples: parameters with defaults are bound by an inline VALUES
    block, so "run" shows what `krefeld-kg query NAME` shows."""
    try:
        catalogue = catalogue_module.catalogue()
    except (InputError, OSError) as exc:
        log.warning("no example queries: %s", exc)
        return []
    found: list[Example] = []
    for named in catalogue:
        # The header comments say what the page shows above the query already.
        lines = named.text.splitlines()
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            lines.pop(0)
        text = "\n".join(lines) + "\n"
        try:
            bound = catalogue_module.bindings(named, {}, base)
        except InputError:
            bound = {}
        if bound:
            names = " ".join(f"?{name}" for name in bound)
            terms = " ".join(term.n3() for term in bound.values())
            text = with_values(text, f"VALUES ({names}) {{ ({terms}) }}")
        found.append(
            Example(named.title or named.name, named.description, text, "/sparql?" + urlencode({"query": text}))
        )
    return found
