"""The SPARQL 1.1 Protocol endpoint: query by GET and both POSTs, results by Accept (table-driven), the
error paths, the limits, CORS and the service description."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from krefeld_kg.namespaces import DEFAULT_BASE
from krefeld_kg.serve.app import create_app
from test_serve_fixture import write_release

FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SELECT = f"SELECT ?label WHERE {{ <{DEFAULT_BASE}id/place/krefeld> {LABEL} ?label }}"
ASK = f"ASK {{ <{DEFAULT_BASE}id/place/krefeld> ?p ?o }}"
CONSTRUCT = f"CONSTRUCT WHERE {{ <{DEFAULT_BASE}id/place/krefeld> {LABEL} ?o }}"
DESCRIBE = f"DESCRIBE <{DEFAULT_BASE}id/place/krefeld>"
ROW_LIMIT = 20
MAX_BYTES = 4096

RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPHS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    release: Path = write_release(tmp_path_factory.mktemp("sparql") / "dist")
    app = create_app(release, workers=2, row_limit=ROW_LIMIT, max_request_bytes=MAX_BYTES, timeout=5)
    with TestClient(app) as client:
        yield client


def media_type(response: object) -> str:
    return str(response.headers["content-type"]).split(";")[0]  # type: ignore[attr-defined]


# (query, Accept, ?format=, status, media type)
FORMS = [
    (SELECT, "application/sparql-results+json", None, 200, "application/sparql-results+json"),
    (SELECT, "application/sparql-results+xml", None, 200, "application/sparql-results+xml"),
    (SELECT, "text/csv", None, 200, "text/csv"),
    (SELECT, "text/tab-separated-values", None, 200, "text/tab-separated-values"),
    (SELECT, "*/*", None, 200, "application/sparql-results+json"),
    (SELECT, None, None, 200, "application/sparql-results+json"),
    (SELECT, "text/csv;q=0.5, application/sparql-results+xml", None, 200, "application/sparql-results+xml"),
    (SELECT, "application/sparql-results+json,application/json;q=0.9", None, 200, "application/sparql-results+json"),
    (SELECT, FIREFOX, None, 200, "text/html"),
    (SELECT, FIREFOX, "json", 200, "application/sparql-results+json"),
    (SELECT, "text/turtle", "csv", 200, "text/csv"),
    (SELECT, "text/turtle", None, 406, "text/plain"),
    (SELECT, "application/json", None, 406, "text/plain"),
    (SELECT, None, "ttl", 406, "text/plain"),
    (ASK, "application/sparql-results+json", None, 200, "application/sparql-results+json"),
    (ASK, "application/sparql-results+xml", None, 200, "application/sparql-results+xml"),
    (ASK, FIREFOX, None, 200, "text/html"),
    (CONSTRUCT, "text/turtle", None, 200, "text/turtle"),
    (CONSTRUCT, "application/ld+json", None, 200, "application/ld+json"),
    (CONSTRUCT, "application/n-triples", None, 200, "application/n-triples"),
    (CONSTRUCT, "application/rdf+xml", None, 200, "application/rdf+xml"),
    (CONSTRUCT, "*/*", None, 200, "text/turtle"),
    (CONSTRUCT, FIREFOX, None, 200, "text/html"),
    (CONSTRUCT, None, "nt", 200, "application/n-triples"),
    (CONSTRUCT, "application/sparql-results+json", None, 406, "text/plain"),
    (DESCRIBE, "text/turtle", None, 200, "text/turtle"),
    (DESCRIBE, "application/ld+json", None, 200, "application/ld+json"),
    (SELECT, "image/png", None, 406, "text/plain"),
]


@pytest.mark.parametrize("method", ["GET", "POST form", "POST direct"])
@pytest.mark.parametrize(("query", "accept", "fmt", "status", "expected"), FORMS)
def test_query_forms_and_formats(
    client: TestClient, method: str, query: str, accept: str | None, fmt: str | None, status: int, expected: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    params = {"format": fmt} if fmt else {}
    if method == "GET":
        response = client.get("/sparql", params={"query": query, **params}, headers=headers)
    elif method == "POST form":
        response = client.post("/sparql", data={"query": query, **params}, headers=headers)
    else:
        response = client.post(
            "/sparql",
            params=params,
            content=query.encode(),
            headers={**headers, "Content-Type": "application/sparql-query"},
        )
    assert response.status_code == status, response.text[:400]
    assert media_type(response) == expected
    assert "Accept" in response.headers["vary"]
    if status == 200 and expected == "text/csv":
        assert response.text.split("\r\n")[:3] in (["label", "Krefeld", "Krefeld"], ["true"])
    elif status == 200 and expected in RESULTS:
        parsed = ox.parse_query_results(response.content, RESULTS[expected])
        if query == ASK:
            assert bool(parsed) is True
        else:
            assert {s["label"] for s in parsed} == {
                ox.Literal("Krefeld", language="de"),
                ox.Literal("Krefeld", language="en"),
            }
    if status == 200 and expected in GRAPHS:
        triples = list(ox.parse(response.content, format=GRAPHS[expected]))
        assert triples and all(q.subject == ox.NamedNode(f"{DEFAULT_BASE}id/place/krefeld") for q in triples)
    if status == 406:
        assert "application/sparql-results+json" in response.text and "text/turtle" in response.text


# (method, path, headers, body, status, words the message must contain)
ERRORS = [
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%7D", {}, None, 400, "syntax"),
    ("GET", "/sparql?query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT x"), {}, None, 400, "syntax"),
    ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", {}, None, 400, "exactly one"),
    ("GET", "/sparql?query=", {}, None, 400, "empty"),
    (
        "GET",
        "/sparql?" + urlencode({"query": "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }"}),
        {},
        None,
        403,
        "SERVICE",
    ),
    ("GET", "/sparql?" + urlencode({"update": "CLEAR ALL"}), {}, None, 403, "read-only"),
    (
        "GET",
        "/sparql?" + urlencode({"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}),
        {},
        None,
        403,
        "read-only",
    ),
    ("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, "update=CLEAR%20ALL", 403, "read-only"),
    ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, "CLEAR ALL", 403, "read-only"),
    ("POST", "/sparql", {"Content-Type": "text/plain"}, "ASK {}", 415, "application/sparql-query"),
    ("POST", "/sparql", {"Content-Type": "application/json"}, "{}", 415, "application/sparql-query"),
    ("POST", "/sparql", {}, "ASK {}", 415, "application/sparql-query"),
    ("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, "format=json", 400, "no query"),
    (
        "POST",
        "/sparql",
        {"Content-Type": "application/x-www-form-urlencoded"},
        "query=ASK%7B%7D&query=ASK%7B%7D",
        400,
        "exactly one",
    ),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"ASK {} \xff", 400, "UTF-8"),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, "ASK {}" + " " * MAX_BYTES, 413, "bytes"),
    (
        "POST",
        "/sparql",
        {"Content-Type": "application/x-www-form-urlencoded"},
        "query=" + "x" * MAX_BYTES,
        413,
        "bytes",
    ),
    ("GET", "/sparql?" + urlencode({"query": "ASK {}" + " " * MAX_BYTES}), {}, None, 413, "bytes"),
    ("GET", "/sparql?query=" + "%20" * MAX_BYTES * 2, {}, None, 414, "POST"),
    ("PUT", "/sparql", {}, "ASK {}", 405, ""),
    ("DELETE", "/sparql", {}, None, 405, ""),
    ("PATCH", "/sparql", {}, None, 405, ""),
]


@pytest.mark.parametrize(("method", "path", "headers", "body", "status", "words"), ERRORS)
def test_errors(
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | bytes | None,
    status: int,
    words: str,
) -> None:
    content = body.encode() if isinstance(body, str) else body
    response = client.request(method, path, headers={"Accept": "*/*", **headers}, content=content)
    assert response.status_code == status, response.text[:300]
    assert words.lower() in response.text.lower()
    if status == 405:
        assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    else:
        assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_a_syntax_error_from_the_form_comes_back_in_the_form(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"}, headers={"Accept": FIREFOX})
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert 'role="alert"' in response.text and "SELECT * WHERE { ?s ?p }</textarea>" in response.text


def test_row_limit_cuts_results_and_says_so(client: TestClient) -> None:
    response = client.get(
        "/sparql",
        params={"query": "SELECT * WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == ROW_LIMIT
    assert response.headers["x-result-truncated"] == "true"
    assert response.headers["x-result-limit"] == str(ROW_LIMIT)
    graph = client.get(
        "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/n-triples"}
    )
    assert len(graph.text.strip().splitlines()) == ROW_LIMIT
    small = client.get("/sparql", params={"query": ASK}, headers={"Accept": "application/sparql-results+json"})
    assert "x-result-truncated" not in small.headers


def test_default_and_named_graph_parameters(client: TestClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    everything = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert int(everything.text.split()[1]) > 50
    # the data lives in the default graph; a named graph that does not exist holds nothing
    nothing = client.get(
        "/sparql",
        params={"query": query, "default-graph-uri": "http://example.org/none"},
        headers={"Accept": "text/csv"},
    )
    assert nothing.text.split()[1] == "0"


def test_repeated_get_queries_revalidate(client: TestClient) -> None:
    headers = {"Accept": "application/sparql-results+json"}
    first = client.get("/sparql", params={"query": SELECT}, headers=headers)
    assert "server-timing" in first.headers
    again = client.get("/sparql", params={"query": SELECT}, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    other = client.get("/sparql", params={"query": ASK}, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert other.status_code == 200
    posted = client.post("/sparql", data={"query": SELECT}, headers=headers)
    assert posted.headers["cache-control"] == "no-store"


def test_cors(client: TestClient) -> None:
    simple = client.get("/sparql", params={"query": ASK}, headers={"Origin": "https://example.org"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "ETag" in simple.headers["access-control-expose-headers"]
    error = client.get("/sparql", params={"query": "nonsense"}, headers={"Origin": "https://example.org"})
    assert error.status_code == 400 and error.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    assert client.options("/sparql").status_code == 204
    page = client.get("/doc/place/krefeld.ttl", headers={"Origin": "https://example.org"})
    assert page.headers["access-control-allow-origin"] == "*"


def test_service_description(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and media_type(response) == "text/turtle"
    triples = {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)
    }
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = "<http://testserver/sparql>"
    assert (endpoint, f"<{sd}endpoint>", endpoint) in triples
    assert (endpoint, f"<{sd}supportedLanguage>", f"<{sd}SPARQL11Query>") in triples
    assert (endpoint, f"<{sd}resultFormat>", "<http://www.w3.org/ns/formats/SPARQL_Results_JSON>") in triples
    for accept in GRAPHS:
        assert client.get("/sparql", headers={"Accept": accept}).status_code == 200
    assert media_type(client.get("/sparql", headers={"Accept": "*/*"})) == "text/turtle"
    form = client.get("/sparql", headers={"Accept": FIREFOX})
    assert media_type(form) == "text/html" and '<form method="get" action="/sparql"' in form.text
    assert client.get("/sparql", headers={"Accept": "image/png"}).status_code == 406


def test_html_results_link_resources(client: TestClient) -> None:
    twinned = "<https://w3id.org/krefeld-kg/ontology#twinnedWith>"
    query = f"SELECT ?o WHERE {{ <{DEFAULT_BASE}id/place/krefeld> {twinned} ?o }}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": FIREFOX})
    assert 'href="/doc/place/charlotte"' in response.text
    assert "place:charlotte" in response.text
    assert "format=csv" in response.text  # the same result as a download


def test_results_are_read_only(client: TestClient) -> None:
    before = client.get(
        "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()
    client.post(
        "/sparql",
        content=b"INSERT DATA { <http://a> <http://b> <http://c> }",
        headers={"Content-Type": "application/sparql-update"},
    )
    after = client.get(
        "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()
    assert json.dumps(before) == json.dumps(after)


def test_repeated_queries_come_from_the_cache_unless_they_cannot(client: TestClient) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . FILTER(isIRI(?o)) }"
    first = client.post("/sparql", data={"query": query}, headers=accept)
    second = client.post("/sparql", data={"query": query}, headers=accept)
    assert first.json() == second.json()
    assert second.headers["server-timing"] == "cache;desc=hit"
    random = "SELECT (RAND() AS ?r) WHERE {}"
    draws = {client.post("/sparql", data={"query": random}, headers=accept).text for _ in range(3)}
    assert len(draws) == 3, "RAND() is evaluated every time"


def test_a_construct_with_triple_terms_in_json_ld_is_refused_not_garbled(client: TestClient) -> None:
    query = "CONSTRUCT { <http://example.org/s> <http://example.org/q> <<( ?s ?p ?o )>> } WHERE { ?s ?p ?o } LIMIT 1"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/ld+json"})
    assert response.status_code == 400, response.text[:300]
    assert "RDF 1.2" in response.text
    turtle = client.get("/sparql", params={"query": query}, headers={"Accept": "application/n-triples"})
    assert turtle.status_code == 200 and "<<(" in turtle.text
