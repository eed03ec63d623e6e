"""A remote SPARQL endpoint behind the ``Engine`` interface, with SPARQLWrapper as the client.

Every request has a timeout, a User-Agent and credentials if given; transient failures (connection refused,
timeouts, HTTP 429 and 5xx) are retried with exponential backoff inside one overall deadline, and every
failure ends as a ``RemoteError`` whose message is one line. Query parameters are bound the way the embedded
engine binds them (SEP-0007 substitution): each occurrence in the WHERE clause outside sub-selects is replaced
by the term, and a VALUES block at the start of the WHERE clause keeps the variable projected. Terms are
written by ``sparql_term`` from validated rdflib terms, never from raw user text.
"""

from __future__ import annotations

import ast
import contextlib
import http.client
import json
import re
import socket
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from .defaults import TOKEN_ENV
from .engine import QueryError, Table, Triple, from_ox
from .errors import InputError
from .namespaces import DEFAULT_BASE

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")
JSON_RESULTS = "application/sparql-results+json"
RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"


def _version() -> str:
    try:
        return version("krefeld-kg")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0"


USER_AGENT = f"krefeld-kg/{_version()} (+{DEFAULT_BASE}) SPARQLWrapper"


@dataclass
class RemoteError(InputError):
    """A remote store that cannot be reached or refuses a request (exit code 2)."""

    transient: bool = False
    status: int | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials or a bearer token (from $KREFELD_KG_TOKEN in the CLI)."""

    user: str | None = None
    password: str | None = None
    token: str | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token and not self.user else {}


@dataclass(frozen=True)
class RetryPolicy:
    """Per-request ``timeout``; up to ``attempts`` tries with pauses ``backoff``, 2×, 4×… inside ``deadline``."""

    timeout: float = 10.0
    attempts: int = 4
    backoff: float = 0.5
    deadline: float = 25.0


def with_retries(policy: RetryPolicy, op: Callable[[float], T], sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``op(timeout)``; retry transient ``RemoteError``s while attempts and the deadline allow."""
    start = time.monotonic()
    pause = policy.backoff
    for attempt in range(1, policy.attempts + 1):
        remaining = policy.deadline - (time.monotonic() - start)
        try:
            return op(max(0.05, min(policy.timeout, remaining)))
        except RemoteError as exc:
            wait = max(pause, exc.retry_after or 0.0)
            remaining = policy.deadline - (time.monotonic() - start)
            if not exc.transient or attempt == policy.attempts or remaining < wait + 0.05:
                if attempt > 1:
                    exc.message += f" (gave up after {attempt} attempts)"
                raise
            sleep(wait)
            pause *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def _first_line(body: bytes | str | None) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= 160 else line[:157] + "…"


def http_error(
    status: int, reason: str, body: bytes | str | None, url: str, retry_after: str | None = None
) -> RemoteError:
    """The ``RemoteError`` for an HTTP error status (transient for 408, 429 and 5xx)."""
    detail = _first_line(body)
    if not reason:
        with contextlib.suppress(ValueError):
            reason = HTTPStatus(status).phrase
    said = f"HTTP {status}{' ' + reason if reason else ''}"
    if status in (401, 403):
        msg = f"{url} refused access ({said}): give --user/--password or set ${TOKEN_ENV}"
    elif status == 404:
        msg = f"{url} answered {said}: is this the right endpoint URL?"
    else:
        msg = f"{url} answered {said}" + (f": {detail}" if detail else "")
    after = float(retry_after) if retry_after and retry_after.strip().isdigit() else None
    return RemoteError(msg, transient=status in (408, 429) or status >= 500, status=status, retry_after=after)


def response_error(response: httpx.Response, url: str, body: bytes | None = None) -> RemoteError:
    """``http_error`` for an httpx response; ``body``: the part of a streamed response that was read."""
    return http_error(
        response.status_code,
        response.reason_phrase,
        response.content if body is None else body,
        url,
        response.headers.get("Retry-After"),
    )


_SW_STATUS = {
    "QueryBadFormed": 400,
    "Unauthorized": 401,
    "EndPointNotFound": 404,
    "URITooLong": 414,
    "EndPointInternalError": 500,
}


def classify(exc: BaseException, url: str, timeout: float) -> RemoteError:
    """Turn an exception from urllib, http.client, SPARQLWrapper or httpx into a one-line ``RemoteError``."""
    if isinstance(exc, RemoteError):
        return exc
    name = type(exc).__name__
    if name in _SW_STATUS:  # SPARQLWrapper keeps the body only inside its message
        body: Any = str(exc).split("Response:\n", 1)[1] if "Response:\n" in str(exc) else ""
        with contextlib.suppress(ValueError, SyntaxError):
            body = ast.literal_eval(body)
        return http_error(_SW_STATUS[name], "", body, url)
    if isinstance(exc, urllib.error.HTTPError):
        try:
            body = exc.read()
        except OSError:
            body = b""
        after = exc.headers.get("Retry-After") if exc.headers else None
        return http_error(exc.code, str(exc.reason or ""), body, url, after)
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    cause = reason.__cause__ if isinstance(reason, BaseException) and reason.__cause__ else reason
    text = f"{name} {type(cause).__name__} {cause}".lower()
    if isinstance(cause, TimeoutError | socket.timeout) or "timeout" in text or "timed out" in text:
        return RemoteError(f"no answer from {url} within {timeout:g} s", transient=True)
    if isinstance(cause, ConnectionRefusedError) or "refused" in text:
        return RemoteError(f"cannot connect to {url}: connection refused", transient=True)
    if isinstance(cause, socket.gaierror) or "name or service" in text or "nodename" in text:
        return RemoteError(f"cannot resolve the host of {url}")
    if isinstance(cause, ConnectionError | http.client.HTTPException) or "connection" in text or "protocol" in text:
        return RemoteError(f"connection to {url} broke off: {_first_line(str(cause)) or name}", transient=True)
    return RemoteError(f"request to {url} failed: {_first_line(str(cause)) or name}")


# --- SPARQL text: terms, query forms, parameter binding -------------------------------------------------------

_IRI_OK = re.compile(r'^[^<>"{}|^`\\\x00-\x20]*$')
_LANG_OK = re.compile(r"^[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def sparql_term(term: Node) -> str:
    """SPARQL text of an IRI or literal, escaped and checked; blank nodes cannot be bound remotely."""
    if isinstance(term, URIRef):
        if not _IRI_OK.match(str(term)):
            raise QueryError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        text = '"' + "".join(_ESCAPES.get(c, c) for c in str(term)) + '"'
        if term.language:
            if not _LANG_OK.match(term.language):
                raise QueryError(f"not a valid language tag: {term.language!r}")
            return f"{text}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return text + "^^" + sparql_term(URIRef(term.datatype))
        return text
    raise QueryError(f"cannot bind {type(term).__name__} {term!r} on a remote endpoint")


_TOKEN = re.compile(
    r"""(?P<comment>\#[^\n]*)
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    |(?P<name>(?:[A-Za-z_][\w.-]*)?:[\w.:%-]*|[A-Za-z_]\w*)
    |(?P<open>\{)|(?P<close>\})
    |(?P<other>\S)""",
    re.VERBOSE,
)
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _tokens(query: str) -> list[tuple[str, str, int, int]]:
    return [
        (m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(query) if m.lastgroup != "comment"
    ]


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the form of a query, read without sending it anywhere."""
    for kind, text, _, _ in _tokens(query):
        if kind == "name" and text.upper() in _FORMS:
            return text.upper()
    raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")


def _matching(tokens: list[tuple[str, str, int, int]], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        depth += {"open": 1, "close": -1}.get(tokens[j][0], 0)
        if depth == 0:
            return j
    raise QueryError("unbalanced braces in the query")


def bind_values(query: str, bindings: dict[str, Node]) -> str:
    """The query with ``bindings`` substituted into its WHERE clause, as the embedded engine does."""
    if not bindings:
        return query
    tokens = _tokens(query)
    form_at = next((i for i, t in enumerate(tokens) if t[0] == "name" and t[1].upper() in _FORMS), None)
    if form_at is None:
        raise QueryError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
    start = next((i for i in range(form_at, len(tokens)) if tokens[i][0] == "open"), None)
    if start is None:
        raise QueryError("parameters need a WHERE clause")
    if tokens[form_at][1].upper() == "CONSTRUCT":
        if tokens[start - 1][1].upper() == "WHERE":
            raise QueryError("parameters need the full CONSTRUCT { … } WHERE { … } form")
        start = next((i for i in range(_matching(tokens, start) + 1, len(tokens)) if tokens[i][0] == "open"), -1)
        if start < 0:
            raise QueryError("parameters need a WHERE clause")
    end = _matching(tokens, start)
    names = {k: sparql_term(v) for k, v in bindings.items()}
    at = tokens[start][3]
    values = f" VALUES ({' '.join('?' + k for k in names)}) {{ ({' '.join(names.values())}) }}"
    out, last, i, after_as, in_values = [query[:at], values], at, start + 1, False, False
    while i < end:
        kind, text, a, b = tokens[i]
        if kind == "open" and tokens[i + 1][1].upper() == "SELECT":  # a sub-select keeps its own scope
            i = _matching(tokens, i) + 1
            continue
        if kind == "var" and text[1:] in names and not after_as and not in_values:
            out += [query[last:a], names[text[1:]]]
            last = b
        after_as = kind == "name" and text.upper() == "AS"
        in_values = (in_values or (kind == "name" and text.upper() == "VALUES")) and kind != "open"
        i += 1
    return "".join(out) + query[last:]


# --- The engine ---------------------------------------------------------------------------------------------


def _results_term(value: dict[str, Any]) -> Node:
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        lang = value.get("xml:lang")
        datatype = value.get("datatype")
        if lang:
            return Literal(value["value"], lang=lang)
        if datatype and datatype != str(XSD.string):
            return Literal(value["value"], datatype=URIRef(datatype))
        return Literal(value["value"])
    raise QueryError(f"unsupported term in the results: {value!r}")


class RemoteEngine:
    """A SPARQL 1.1 endpoint as an ``Engine``: select/ask/construct return rdflib terms like the embedded one."""

    def __init__(
        self,
        endpoint: str,
        *,
        default_graph: str | None = None,
        update_endpoint: str | None = None,
        credentials: Credentials | None = None,
        policy: RetryPolicy | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        if not re.match(r"^https?://\S+$", endpoint):
            raise InputError(f"not an http(s) endpoint URL: {endpoint!r}")
        self.endpoint = endpoint
        self.default_graph = default_graph
        self.update_endpoint = update_endpoint
        self.credentials = credentials or Credentials()
        self.policy = policy or RetryPolicy()
        self.user_agent = user_agent

    def _send(self, text: str, accept: str, update: bool = False) -> tuple[bytes, str]:
        from SPARQLWrapper import POST, POSTDIRECTLY, SPARQLWrapper

        url = (self.update_endpoint or self.endpoint) if update else self.endpoint

        def attempt(timeout: float) -> tuple[bytes, str]:
            client = SPARQLWrapper(self.endpoint, updateEndpoint=self.update_endpoint, agent=self.user_agent)
            client.setOnlyConneg(True)
            client.setMethod(POST)
            if update:
                client.setRequestMethod(POSTDIRECTLY)
            client.setQuery(text)
            client.queryType = "INSERT" if update else query_form(text)  # its own guess trips over comments
            client.timeout = timeout  # type: ignore[assignment]  # setTimeout() would round down to whole seconds
            if self.default_graph and not update:
                client.addDefaultGraph(self.default_graph)
            if self.credentials.user:
                client.setCredentials(self.credentials.user, self.credentials.password or "")
            for name, value in {**self.credentials.headers(), "Accept": accept}.items():
                client.addCustomHttpHeader(name, value)
            try:
                response = client.query().response
                return response.read(), response.headers.get("Content-Type", "") or ""
            except Exception as exc:  # every failure becomes one RemoteError with a one-line message
                raise classify(exc, url, timeout) from None

        try:
            return with_retries(self.policy, attempt)
        except RemoteError as exc:
            if exc.status == 400:
                raise QueryError(exc.message) from None
            raise

    def _json(self, query: str) -> dict[str, Any]:
        body, _ = self._send(query, JSON_RESULTS)
        try:
            data: dict[str, Any] = json.loads(body)
        except ValueError:
            raise RemoteError(f"{self.endpoint} did not answer with SPARQL JSON results: {_first_line(body)}") from None
        return data

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Table:
        text = bind_values(query, bindings or {})
        if query_form(text) != "SELECT":
            raise QueryError("expected a SELECT query")
        data = self._json(text)
        variables = list(data.get("head", {}).get("vars", []))
        rows: list[list[Node | None]] = []
        for solution in data.get("results", {}).get("bindings", []):
            rows.append([_results_term(solution[v]) if v in solution else None for v in variables])
        return Table(variables, rows)

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool:
        text = bind_values(query, bindings or {})
        if query_form(text) != "ASK":
            raise QueryError("expected an ASK query")
        return bool(self._json(text).get("boolean"))

    def construct(self, query: str, bindings: dict[str, Node] | None = None) -> list[Triple]:
        text = bind_values(query, bindings or {})
        if query_form(text) not in ("CONSTRUCT", "DESCRIBE"):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        body, content_type = self._send(text, RDF_ACCEPT)
        fmt = ox.RdfFormat.from_media_type(content_type.split(";")[0].strip()) or ox.RdfFormat.N_TRIPLES
        try:
            return [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in ox.parse(body, format=fmt)]
        except SyntaxError as exc:
            raise RemoteError(f"{self.endpoint} answered unreadable RDF: {_first_line(str(exc))}") from None

    def query_kind(self, query: str) -> str:
        form = query_form(query)
        return "CONSTRUCT" if form == "DESCRIBE" else form

    def update(self, text: str) -> None:
        """Run a SPARQL Update request on the update endpoint."""
        if not self.update_endpoint:
            raise InputError("no SPARQL Update endpoint given")
        self._send(text, "*/*", update=True)
