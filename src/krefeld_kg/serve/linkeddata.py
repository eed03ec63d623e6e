"""Linked data the W3C way (Cool URIs for the Semantic Web, Best Practices for Publishing Linked Data).

``/id/{type}/{slug}`` names a thing, not a document, so it answers 303 See Other to ``/doc/{type}/{slug}``,
the document about it. The document negotiates: HTML for browsers, Turtle, JSON-LD, N-Triples or RDF/XML
by Accept (or ``?format=``), with Vary, Link rel=alternate, Content-Location, ETag and Last-Modified; every
variant also has a URL of its own (``/doc/place/krefeld.ttl``) that needs no negotiation at all.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..namespaces import RESOURCE_TYPES, InvalidIRI, namespace_prefixes, resource_iri
from . import i18n
from .cache import Entry
from .describe import describe
from .formats import DOCUMENT_OFFERS, FORMATS, HTML, N_TRIPLES, TURTLE, by_name
from .negotiate import negotiate
from .rdf import serialize
from .site import CACHE_CONTROL, Site


class LinkedData:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.namespaces = namespace_prefixes(site.index.base)

    def _iri(self, type_: str, slug: str) -> str | None:
        try:
            return str(resource_iri(self.site.index.base, type_, slug))
        except InvalidIRI:
            return None

    async def resource(self, request: Request) -> Response:
        """``GET /id/{type}/{slug}``: 303 to the document, 404 if there is no such resource."""
        type_, slug = request.path_params["type"], request.path_params["slug"]
        iri = self._iri(type_, slug)
        if iri is None or not self.site.index.exists(iri):
            media_type = negotiate(request.headers.get("accept"), DOCUMENT_OFFERS, _format(request))
            return self.missing(request, iri or f"{self.site.index.base}id/{type_}/{slug}", type_, media_type)
        location = f"/doc/{type_}/{slug}" + (f"?{request.url.query}" if request.url.query else "")
        return Response(
            f"303 See Other: {location}\n",
            303,
            {"Location": location, "Cache-Control": CACHE_CONTROL},
            "text/plain; charset=utf-8",
        )

    async def document(self, request: Request) -> Response:
        """``GET /doc/{type}/{slug}`` (negotiated) and ``/doc/{type}/{slug}.{ext}`` (one format)."""
        site = self.site
        type_, name = request.path_params["type"], request.path_params["name"]
        slug, dot, extension = name.partition(".")
        fixed = by_name(extension) if dot else None
        iri = self._iri(type_, slug)
        if dot and (fixed is None or fixed.media_type not in DOCUMENT_OFFERS):
            fixed, iri = None, None  # /doc/place/krefeld.csv names no document
        media_type = (
            fixed.media_type if fixed else negotiate(request.headers.get("accept"), DOCUMENT_OFFERS, _format(request))
        )
        if iri is None or not site.index.exists(iri):
            return self.missing(request, iri or f"{site.index.base}id/{type_}/{slug}", type_, media_type)
        links = [(FORMATS[m].label, f"/doc/{type_}/{slug}.{FORMATS[m].name}") for m in DOCUMENT_OFFERS]
        if media_type is None:
            return site.error(
                request,
                406,
                i18n.text("not_acceptable", site.language(request)[0]),
                "None of the formats this document comes in is acceptable: "
                + ", ".join(m for m in DOCUMENT_OFFERS)
                + ". Ask for one of them, or use ?format=.",
                links=links,
                headers={"Vary": "Accept"},
            )
        lang, sticky = site.language(request)
        variant = FORMATS[media_type].name + (f"-{lang}{'-l' if sticky else ''}" if media_type == HTML else "")
        headers = site.validators(variant)
        headers["Link"] = ", ".join(
            [f'<{href}>; rel="alternate"; type="{m}"' for m, (_, href) in zip(DOCUMENT_OFFERS, links, strict=True)]
            + [f'<{iri}>; rel="describes"']
        )
        if fixed is None:
            headers["Vary"] = "Accept, Accept-Language"
            headers["Content-Location"] = f"/doc/{type_}/{slug}.{FORMATS[media_type].name}"
        elif media_type == HTML:
            headers["Vary"] = "Accept-Language"
        if media_type == HTML:
            headers["Content-Language"] = lang
        if site.fresh(request, headers["ETag"]):
            return site.not_modified(headers)
        # A page links back to its own URL (the language switch), so the URL is part of the key.
        key = ("doc", iri, variant, request.url.path if media_type == HTML else "", request.url.query)
        entry = site.cache.get(key)
        if entry is None:
            description = describe(site.backend, site.index, iri)
            assert description is not None  # exists() said so, and the release does not change
            if media_type == HTML:
                body = site.pages.resource_html(
                    description, lang, sticky, request.url.path, f"/doc/{type_}/{slug}", request.query_params
                ).encode("utf-8")
            else:
                body = serialize(description.triples(), media_type, self.namespaces)
            entry = Entry(body, FORMATS[media_type].content_type)
            site.cache.put(key, entry)
        return Response(entry.body, 200, headers, entry.media_type)

    async def index(self, request: Request) -> Response:
        """``GET /doc/{type}/``: every resource of one type, by name."""
        site = self.site
        type_ = request.path_params["type"]
        lang, sticky = site.language(request)
        if type_ not in RESOURCE_TYPES or type_ not in site.index.resources:
            return site.error(
                request,
                404,
                i18n.text("not_found", lang),
                f"There is no index of {type_!r}.",
                links=[(i18n.text("home", lang), "/")],
            )
        if negotiate(request.headers.get("accept"), (HTML,), _format(request)) is None:
            return site.error(
                request,
                406,
                i18n.text("not_acceptable", lang),
                "Index pages come as text/html only; the data is at /sparql and in the downloads.",
                headers={"Vary": "Accept"},
            )
        headers = site.validators(f"index-{type_}-{lang}{'-l' if sticky else ''}")
        headers["Vary"] = "Accept, Accept-Language"
        headers["Content-Language"] = lang
        if site.fresh(request, headers["ETag"]):
            return site.not_modified(headers)
        key = ("index", type_, headers["ETag"], request.url.query)
        entry = site.cache.get(key)
        if entry is None:
            body = site.pages.index_html(type_, lang, sticky, request.url.path, request.query_params)
            entry = Entry(body.encode("utf-8"), FORMATS[HTML].content_type)
            site.cache.put(key, entry)
        return Response(entry.body, 200, headers, entry.media_type)

    def missing(self, request: Request, iri: str, type_: str, media_type: str | None) -> Response:
        """404, in the requested RDF format when one was asked for (an empty graph), else as a page."""
        message = f"<{iri}> is not a resource of this dataset."
        headers = {"Cache-Control": "no-store", "Vary": "Accept, Accept-Language"}
        if media_type is not None and media_type != HTML:
            body = serialize([], media_type, {})
            if media_type in (TURTLE, N_TRIPLES):
                body = f"# {message}\n".encode() + body
            return Response(body, 404, headers, FORMATS[media_type].content_type)
        lang = self.site.language(request)[0]
        links = [(i18n.text("all_of_type", lang), f"/doc/{type_}/")] if type_ in self.site.index.resources else []
        # The page a browser would have got, had the resource existed, says that it does not.
        return self.site.error(
            request,
            404,
            i18n.text("not_found", lang),
            message,
            links=[*links, (i18n.text("home", lang), "/")],
            headers=headers,
            media_type=media_type,
        )


def _format(request: Request) -> str | None:
    """The ?format= override; an empty value (a form's default option) counts as none."""
    value = request.query_params.get("format")
    return value if value else None
