"""The SPARQL 1.1 Protocol endpoint at /sparql: query by GET, by POSTed form or by POSTed
application/sparql-query; results negotiated by Accept (or ``?format=``); the service description (or, for
browsers, the query form) on a plain GET.

Safe by default: the query is screened (no SERVICE, no updates, size limit) before a worker sees it; the
worker pool enforces the time limit and the row limit. CORS headers come from the app's middleware.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .backend import QueryAnswer, QueryJob, QueryRejected, Unavailable
from .cache import Entry, deterministic
from .formats import (
    FORM,
    FORMATS,
    GRAPH_OFFERS,
    HTML,
    RDF_OFFERS,
    SERVICE_OFFERS,
    SOLUTION_OFFERS,
    SPARQL_JSON,
    SPARQL_QUERY,
    SPARQL_UPDATE,
    TURTLE,
)
from .negotiate import negotiate
from .rdf import serialize
from .screen import screen
from .service import prefixes, service_description
from .site import TEXT, Site
from .view import Context, Value

ALLOW = "GET, HEAD, POST, OPTIONS"
_TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    406: "Not Acceptable",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    503: "Service Unavailable",
}


class SparqlEndpoint:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def handle(self, request: Request) -> Response:
        try:
            return await self._handle(request)
        except QueryRejected as exc:
            message = exc.message
            if exc.status == 406 and "available" not in message:
                message += (
                    f"; SELECT and ASK results are available as {', '.join(SOLUTION_OFFERS)}, CONSTRUCT and "
                    f"DESCRIBE results as {', '.join(GRAPH_OFFERS)}"
                )
            return self._failure(request, exc.status, message)
        except Unavailable as exc:
            return self._failure(request, 503, exc.message, {"Retry-After": str(exc.retry_after)})

    async def _handle(self, request: Request) -> Response:
        settings = self.site.settings
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": ALLOW})
        if request.method == "POST":
            params, query = await self._post(request)
        else:
            if len(request.url.query) > 4 * settings.max_request_bytes:
                raise QueryRejected("the request URL is too long; POST long queries instead", status=414)
            params = request.query_params
            queries = params.getlist("query")
            query = queries[0] if len(queries) == 1 else None
            if len(queries) > 1:
                raise QueryRejected("give exactly one query parameter", status=400)
        if params.getlist("update"):
            raise QueryRejected("this endpoint is read-only: SPARQL updates are refused", status=403)
        if query is None:
            if request.method == "POST":
                raise QueryRejected(
                    "no query: send query=… as a form field or the query itself as application/sparql-query", status=400
                )
            return self._description(request)
        override = params.get("format") or None
        accept = request.headers.get("accept")
        solution_type = negotiate(accept, SOLUTION_OFFERS, override)
        graph_type = negotiate(accept, GRAPH_OFFERS, override)
        if solution_type is None and graph_type is None:
            raise QueryRejected("none of the result formats is acceptable", status=406)
        job = QueryJob(
            query,
            SPARQL_JSON if solution_type == HTML else solution_type,  # HTML is drawn from the JSON results
            TURTLE if graph_type == HTML else graph_type,
            tuple(params.getlist("default-graph-uri")),
            tuple(params.getlist("named-graph-uri")),
            settings.row_limit,
        )
        lang, sticky = self.site.language(request)
        html = HTML in (solution_type, graph_type)
        headers = {"Vary": "Accept, Accept-Language" if html else "Accept"}
        # Same release, same query, same formats: same answer. A repeated GET costs a 304, not a run, and a
        # repeated query is answered from the cache (HTML pages also depend on the URL they link back to).
        identity: list[object] = [query, job.default_graphs, job.named_graphs, solution_type, graph_type]
        if html:
            identity += [lang, sticky]  # only pages differ by language; data does not
        digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:20]
        if request.method in ("GET", "HEAD"):
            headers.update(self.site.validators("q" + digest))
            if self.site.fresh(request, headers["ETag"]):
                return self.site.not_modified(headers)
        else:
            headers["Cache-Control"] = "no-store"
        key = ("sparql", digest, request.url.query if html else "")
        entry = self.site.cache.get(key)  # only queries that passed the screen are ever cached
        if entry is None:
            screen(query, settings.max_request_bytes)
            entry = await self._run(request, job, solution_type, graph_type, query, lang, sticky)
            if deterministic(query):
                self.site.cache.put(key, entry)
            headers["Server-Timing"] = dict(entry.headers)["Server-Timing"]
        else:
            headers["Server-Timing"] = "cache;desc=hit"
        headers.update((name, value) for name, value in entry.headers if name != "Server-Timing")
        return Response(entry.body, 200, headers, entry.media_type)

    async def _run(
        self,
        request: Request,
        job: QueryJob,
        solution_type: str | None,
        graph_type: str | None,
        query: str,
        lang: str,
        sticky: bool,
    ) -> Entry:
        answer = await self.site.backend.execute(job)
        headers = [
            ("Server-Timing", f"query;dur={answer.seconds * 1000:.2f}"),
            ("X-Result-Limit", str(self.site.settings.row_limit)),
        ]
        if answer.truncated:
            headers.append(("X-Result-Truncated", "true"))
        wanted = solution_type if answer.form in ("SELECT", "ASK") else graph_type
        if wanted == HTML:
            body = self._results_html(request, query, answer, lang, sticky).encode("utf-8")
            return Entry(body, FORMATS[HTML].content_type, (*headers, ("Content-Language", lang)))
        return Entry(answer.body, FORMATS[answer.media_type].content_type, tuple(headers))

    async def _post(self, request: Request) -> tuple[ImmutableMultiDict[str, str], str | None]:
        content_type = request.headers.get("content-type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type == SPARQL_UPDATE:
            raise QueryRejected("this endpoint is read-only: SPARQL updates are refused", status=403)
        if media_type not in (FORM, SPARQL_QUERY):
            raise QueryRejected(
                f"cannot take a {media_type or 'body without Content-Type'}: POST the query as {SPARQL_QUERY} "
                f"or as the query field of an {FORM} form",
                status=415,
            )
        body = await self._body(request)
        if media_type == SPARQL_QUERY:
            try:
                return request.query_params, body.decode("utf-8")
            except UnicodeDecodeError:
                raise QueryRejected("the query is not valid UTF-8", status=400) from None
        try:
            fields = parse_qsl(body.decode("ascii"), keep_blank_values=True, max_num_fields=100)
        except (UnicodeDecodeError, ValueError):
            raise QueryRejected("the form body is not valid application/x-www-form-urlencoded", status=400) from None
        params = ImmutableMultiDict(list(request.query_params.multi_items()) + fields)
        queries = params.getlist("query")
        if len(queries) > 1:
            raise QueryRejected("give exactly one query field", status=400)
        return params, queries[0] if queries else None

    async def _body(self, request: Request) -> bytes:
        limit = self.site.settings.max_request_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise QueryRejected(f"the request body is {int(declared):,} bytes; at most {limit:,} are taken", status=413)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise QueryRejected(f"the request body is over the limit of {limit:,} bytes", status=413)
                chunks.append(chunk)
        except ClientDisconnect:
            raise QueryRejected("the client went away while sending the request", status=400) from None
        return b"".join(chunks)

    def _description(self, request: Request) -> Response:
        site = self.site
        override = request.query_params.get("format") or None
        media_type = negotiate(request.headers.get("accept"), SERVICE_OFFERS, override)
        lang, sticky = site.language(request)
        variant = "sd-" + (FORMATS[media_type].name if media_type else "none")
        headers = {"Vary": "Accept, Accept-Language", **site.validators(f"{variant}-{lang}{'-l' if sticky else ''}")}
        if media_type is None:
            raise QueryRejected("the service description comes as " + ", ".join(SERVICE_OFFERS), status=406)
        if media_type == HTML:
            headers["Content-Language"] = lang
            body = site.pages.sparql_html(
                lang, sticky, request.url.path, request.query_params, lang_param=sticky, result=None, error=None
            )
            return Response(body, 200, headers, FORMATS[HTML].content_type)
        # The description names the endpoint by the URL the client used, so it cannot share one ETag.
        del headers["ETag"]
        endpoint = str(request.url.replace(query="", fragment=""))
        base = str(request.base_url)
        dataset = site.release.dataset.iri if site.release.dataset else None
        triples = service_description(
            endpoint, site.index.triples, dataset, base + "catalog.ttl", site.settings.timeout, site.settings.row_limit
        )
        return Response(serialize(triples, media_type, prefixes()), 200, headers, FORMATS[media_type].content_type)

    def _failure(self, request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        all_headers = {"Allow": ALLOW, "Vary": "Accept"} | (headers or {})
        accept = request.headers.get("accept")
        if status == 400 and negotiate(accept, (TEXT, HTML)) == HTML and request.method != "POST":
            # A mistake typed into the form: show it next to the query, ready to be fixed.
            lang, sticky = self.site.language(request)
            body = self.site.pages.sparql_html(
                lang,
                sticky,
                request.url.path,
                request.query_params,
                query=request.query_params.get("query", ""),
                lang_param=sticky,
                result=None,
                error=message,
            )
            return Response(body, status, {**all_headers, "Cache-Control": "no-store"}, FORMATS[HTML].content_type)
        return self.site.error(request, status, _TITLES.get(status, "Error"), message, headers=all_headers)

    def _results_html(self, request: Request, query: str, answer: QueryAnswer, lang: str, sticky: bool) -> str:
        ctx = Context(self.site.index, lang, sticky)
        result: dict[str, Any] = {
            "count": answer.rows,
            "truncated": answer.truncated,
            "boolean": None,
            "graph": None,
            "variables": [],
            "rows": [],
            "milliseconds": round(answer.seconds * 1000, 1),
        }
        if answer.form == "GRAPH":
            result["graph"] = answer.body.decode("utf-8")
            formats: tuple[str, ...] = RDF_OFFERS
        else:
            doc = json.loads(answer.body)
            formats = tuple(m for m in SOLUTION_OFFERS if m != HTML)
            if "boolean" in doc:
                result["boolean"] = doc["boolean"]
            else:
                result["variables"] = doc["head"]["vars"]
                bindings = doc["results"]["bindings"]
                result["rows"] = [[_cell(ctx, b.get(v)) for v in result["variables"]] for b in bindings]
        params = {k: v for k, v in request.query_params.items() if k not in ("format",)}
        result["downloads"] = [
            (FORMATS[m].label, "/sparql?" + urlencode({**params, "format": FORMATS[m].name})) for m in formats
        ]
        return self.site.pages.sparql_html(
            lang,
            sticky,
            request.url.path,
            request.query_params,
            query=query,
            lang_param=sticky,
            result=result,
            error=None,
        )


def _cell(ctx: Context, binding: dict[str, str] | None) -> Value | None:
    if binding is None:
        return None
    if binding["type"] == "uri":
        iri = binding["value"]
        return Value(ctx.curie(iri), ctx.local(iri) or (iri if iri.startswith(("http://", "https://")) else None), iri)
    if binding["type"] == "literal":
        lang = binding.get("xml:lang")
        return Value(binding["value"], lang=lang if lang and lang != ctx.lang else None, title=binding.get("datatype"))
    return Value("_:" + str(binding["value"]))
