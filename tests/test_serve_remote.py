"""serve --endpoint: the server over a real `oxigraph serve` holding the published release gives the same pages,
RDF documents and SPARQL answers as over the embedded store; it keeps the endpoint's rules and reads only the
published graph; and when the store is down, refuses us or is slow, it says so (502/503, one line, no
traceback) and stays up, recovering when the store does."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic
from starlette.testclient import TestClient

import oxigraph_server
from krefeld_kg.commands_remote import publish
from krefeld_kg.namespaces import DEFAULT_BASE, all_prefixes
from krefeld_kg.serve.app import create_app
from krefeld_kg.serve.backend import Term
from krefeld_kg.serve.command import serve
from krefeld_kg.serve.embedded import EmbeddedBackend
from krefeld_kg.serve.remote_backend import RemoteBackend, canonical, connect
from oxigraph_server import FakeServer, OxigraphServer, free_port

DATASET = f"{DEFAULT_BASE}id/dataset/krefeld-kg"
SECRET_GRAPH = "https://example.org/graph/someone-else"
SECRET = "kkg-test-not-for-the-site"  # in the store's other graphs only
NT = {"Content-Type": "application/n-triples"}
TIMEOUT = 5.0
ROWS = 5000  # above every catalogue query's result, below the release's 7,000-odd triples
JSON = "application/sparql-results+json"
RDF_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}
# A city, a cooperation, a twinning, an event, a membership (fragment nodes two levels deep), an organisation.
SAMPLE = [
    "place/krefeld",
    "cooperation/krzn",
    "twinning/krefeld-charlotte",
    "event/charlotte-35-jahre-2021",
    "membership/aachen--metropolregion-rheinland",
    "organisation/bezirksregierung-duesseldorf",
]


class InOrder(EmbeddedBackend):
    """The embedded store answering in the remote backend's order. SPARQL leaves the order of results open and
    a page follows it (the places on its map, its JSON-LD), so the pages are compared with the order fixed."""

    def outgoing(self, subjects: Sequence[str]) -> list[ox.Triple]:
        return sorted(super().outgoing(subjects), key=str)

    def incoming(self, iri: str) -> list[ox.Triple]:
        return sorted(super().incoming(iri), key=str)

    def select(self, query: str) -> list[tuple[Term | None, ...]]:
        return sorted(super().select(query), key=canonical)


def namespaces() -> dict[str, str]:
    return {namespace: prefix for prefix, namespace in all_prefixes(DEFAULT_BASE).items()}


@pytest.fixture(scope="module")
def store(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A store holding the release, published the way operators do, beside someone else's graphs."""
    with OxigraphServer(tmp_path_factory.mktemp("serve-remote") / "store") as server:
        result = CliRunner().invoke(
            publish, ["--graph-store", server.store_url, "--release", str(release_dir), "--timeout", "20"]
        )
        assert result.exit_code == 0, result.output
        secret = f'<https://example.org/s> <https://example.org/p> "{SECRET}" .\n'.encode()
        httpx.put(server.store_url, params={"graph": SECRET_GRAPH}, headers=NT, content=secret).raise_for_status()
        httpx.post(server.store_url + "?default", headers=NT, content=secret).raise_for_status()
        yield server


@pytest.fixture(scope="module")
def embedded(release_dir: Path) -> Iterator[TestClient]:
    backend = InOrder(release_dir, workers=2, timeout=TIMEOUT, namespaces=namespaces())
    with TestClient(create_app(release_dir, timeout=TIMEOUT, row_limit=ROWS, backend=backend)) as client:
        yield client


@pytest.fixture(scope="module")
def remote(release_dir: Path, store: OxigraphServer) -> Iterator[TestClient]:
    backend = connect(release_dir, store.query_url, timeout=TIMEOUT)
    with TestClient(create_app(release_dir, timeout=TIMEOUT, row_limit=ROWS, backend=backend)) as client:
        yield client


def graph(response: httpx.Response, fmt: str) -> Graph:
    return Graph().parse(data=response.content, format=fmt)


def rows(response: httpx.Response) -> tuple[list[str], set[str]]:
    doc = response.json()
    return doc["head"]["vars"], {json.dumps(b, sort_keys=True) for b in doc["results"]["bindings"]}


def sparql(client: TestClient, query: str, accept: str = JSON, **params: str) -> httpx.Response:
    answer: httpx.Response = client.get("/sparql", params={"query": query, **params}, headers={"Accept": accept})
    return answer


# --- the same answers as the embedded store ---------------------------------------------------------------------


@pytest.mark.parametrize("resource", SAMPLE)
def test_resource_documents_are_the_same(resource: str, remote: TestClient, embedded: TestClient) -> None:
    for lang in ("de", "en"):
        here, there = embedded.get(f"/doc/{resource}?lang={lang}"), remote.get(f"/doc/{resource}?lang={lang}")
        assert there.status_code == here.status_code == 200
        assert there.headers["etag"] == here.headers["etag"]
        assert there.text == here.text  # the HTML page, byte for byte
    for extension, fmt in RDF_FORMATS.items():
        here, there = embedded.get(f"/doc/{resource}.{extension}"), remote.get(f"/doc/{resource}.{extension}")
        assert there.status_code == here.status_code == 200
        assert there.headers["content-type"] == here.headers["content-type"]
        assert isomorphic(graph(there, fmt), graph(here, fmt)), f"{resource}.{extension}"
    assert len(graph(remote.get(f"/doc/{resource}.nt"), "nt")) > 5


def test_one_resource_of_every_type_and_the_site_pages(remote: TestClient, embedded: TestClient) -> None:
    index = remote.app.state.site.index  # type: ignore[attr-defined]
    paths = [
        "/",
        "/doc/place/",
        "/doc/twinning/",
        "/id/place/krefeld",
        "/doc/place/no-such-town",
        "/catalog.ttl",
        "/download/SHA256SUMS",
    ]
    paths += ["/doc/" + iri.removeprefix(f"{DEFAULT_BASE}id/") for iris in index.resources.values() for iri in iris[:1]]
    for path in paths:
        here, there = embedded.get(path, follow_redirects=False), remote.get(path, follow_redirects=False)
        assert (there.status_code, there.headers.get("etag")) == (here.status_code, here.headers.get("etag")), path
        assert there.content == here.content, path


def test_catalogue_queries_give_the_same_rows(remote: TestClient, embedded: TestClient) -> None:
    examples = remote.app.state.site.pages.examples  # type: ignore[attr-defined]
    answered = 0
    for example in examples:
        here, there = sparql(embedded, example.text), sparql(remote, example.text)
        assert there.status_code == here.status_code == 200, (example.title, there.text[:300])
        assert rows(there) == rows(here), example.title
        assert "x-result-truncated" not in there.headers
        answered += bool(rows(there)[1])
    assert answered >= 10  # most queries have rows: the comparison is not of empty sets


@pytest.mark.parametrize("accept", [JSON, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"])
def test_solution_formats(accept: str, remote: TestClient, embedded: TestClient) -> None:
    query = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s ?label"
    here, there = sparql(embedded, query, accept), sparql(remote, query, accept)
    assert there.status_code == 200 and there.headers["content-type"] == here.headers["content-type"]
    assert there.content == here.content  # ordered, and written by the same writers


def test_graph_forms_ask_and_the_row_limit(remote: TestClient, embedded: TestClient) -> None:
    krefeld = f"<{DEFAULT_BASE}id/place/krefeld>"
    for query in (f"DESCRIBE {krefeld}", f"CONSTRUCT {{ ?s ?p {krefeld} }} WHERE {{ ?s ?p {krefeld} }}"):
        for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
            here, there = sparql(embedded, query, accept), sparql(remote, query, accept)
            assert isomorphic(graph(there, fmt), graph(here, fmt)) and len(graph(there, fmt)) > 10
    for query, expected in ((f"ASK {{ {krefeld} ?p ?o }}", True), ("ASK { ?s ?p 'no such value' }", False)):
        assert sparql(remote, query).json()["boolean"] is sparql(embedded, query).json()["boolean"] is expected
    for query, accept, lines in (
        ("SELECT * WHERE { ?s ?p ?o }", "text/tab-separated-values", ROWS + 1),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples", ROWS),
    ):
        here, there = sparql(embedded, query, accept), sparql(remote, query, accept)
        assert there.headers["x-result-truncated"] == here.headers["x-result-truncated"] == "true"
        assert len(there.content.splitlines()) == len(here.content.splitlines()) == lines
    page = remote.get(
        "/sparql", params={"query": f"SELECT ?p WHERE {{ {krefeld} ?p ?o }}"}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 200 and ("rdf:type" in page.text or "rdf-syntax-ns#type" in page.text)


def test_the_endpoints_rules_hold(remote: TestClient, embedded: TestClient) -> None:
    for query, status in (
        ("SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }", 403),
        ('INSERT DATA { <https://example.org/a> <https://example.org/b> "c" }', 403),
        ("SELECT * WHERE { ?s ?p }", 400),
    ):
        assert sparql(remote, query).status_code == sparql(embedded, query).status_code == status, query
    assert remote.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000
    assert remote.post("/sparql", content=huge, headers={"Content-Type": "application/sparql-query"}).status_code == 413
    assert "error at" in sparql(remote, "SELECT * WHERE { ?s ?p }").text  # the store's own explanation


def test_only_the_published_graph_is_read(remote: TestClient) -> None:
    for query in (
        f"SELECT * WHERE {{ ?s ?p '{SECRET}' }}",
        f"SELECT * FROM <{SECRET_GRAPH}> WHERE {{ ?s ?p '{SECRET}' }}",
        f"SELECT * FROM NAMED <{SECRET_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    ):
        answer = sparql(remote, query)
        assert answer.status_code == 200 and rows(answer)[1] == set(), query
    for param in ("default-graph-uri", "named-graph-uri"):
        refused = sparql(remote, "SELECT * WHERE { ?s ?p ?o }", **{param: SECRET_GRAPH})
        assert refused.status_code == 403 and "reads one graph" in refused.text
    assert len(rows(sparql(remote, "SELECT * WHERE { ?s ?p ?o } LIMIT 3", **{"default-graph-uri": DATASET}))[1]) == 3


def test_healthz_reports_the_store(remote: TestClient) -> None:
    health = remote.get("/healthz")
    store = health.json()["store"]
    assert health.status_code == 200 and store["state"] == "up" and store["graph"] == DATASET
    assert store["store_triples"] == store["release_triples"] == health.json()["triples"] > 7000
    assert "127.0.0.1" not in health.text  # where the store is stays private


def test_serve_command_with_endpoint(release_dir: Path, store: OxigraphServer, remote: TestClient) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "krefeld_kg",
        "serve",
        "--release",
        str(release_dir),
        "--port",
        str(port),
        "--endpoint",
        store.query_url,
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        served = httpx.get(f"{url}/doc/twinning/krefeld-charlotte.ttl", timeout=10)
        assert served.status_code == 200
        assert isomorphic(graph(served, "turtle"), graph(remote.get("/doc/twinning/krefeld-charlotte.ttl"), "turtle"))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=10)[0].decode()
    assert f"from {store.query_url}" in output and "Traceback" not in output


# --- failures -----------------------------------------------------------------------------------------------------


def run_serve(release_dir: Path, *args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    # --port 0: should the command get as far as binding, it takes a free port rather than 8000.
    result = CliRunner().invoke(serve, ["--release", str(release_dir), "--port", "0", "--timeout", "0.5", *args])
    return result.exit_code, result.output, time.monotonic() - started


def test_store_down_or_refusing_at_start(release_dir: Path, store: OxigraphServer) -> None:
    down = f"http://127.0.0.1:{free_port()}/query"
    code, output, seconds = run_serve(release_dir, "--endpoint", down)
    assert code == 2 and seconds < 5
    assert output.startswith(f"error: cannot connect to {down}: connection refused")
    assert "Traceback" not in output and output.count("\n") == 1
    with FakeServer(status=401, body=b"Unauthorized\n") as fake:
        code, output, _ = run_serve(
            release_dir, "--endpoint", fake.url + "/query", "--user", "site", "--password", "wrong"
        )
    assert code == 2 and "refused access (HTTP 401 Unauthorized): give --user/--password" in output
    assert fake.requests[0].headers["Authorization"].startswith("Basic ")
    code, output, _ = run_serve(release_dir, "--endpoint", store.query_url, "--graph", "urn:x-krefeld-kg:empty")
    assert code == 2 and "holds no triples in the graph <urn:x-krefeld-kg:empty>: publish the release first" in output


def wait_until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def test_store_down_midway_and_back(
    release_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server = OxigraphServer(tmp_path / "store").start()
    try:
        httpx.put(
            server.store_url,
            params={"graph": DATASET},
            headers=NT,
            content=(release_dir / "krefeld-kg.nt").read_bytes(),
        ).raise_for_status()
        app = create_app(release_dir, timeout=2, backend=connect(release_dir, server.query_url, timeout=2))
        with TestClient(app) as client, caplog.at_level(logging.WARNING, "krefeld_kg.serve"):
            assert client.get("/doc/place/krefeld").status_code == 200
            server.stop()
            started = time.monotonic()
            page = client.get("/doc/cooperation/krzn")
            assert page.status_code == 503 and time.monotonic() - started < 2
            assert "cannot connect to the triple store: connection refused" in page.text
            assert page.headers["retry-after"] and str(server.port) not in page.text
            html = client.get("/doc/cooperation/krzn", headers={"Accept": "text/html"})
            assert html.status_code == 503 and "connection refused" in html.text and "<html" in html.text
            query = sparql(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
            assert query.status_code == 503 and "connection refused" in query.text
            health = client.get("/healthz")
            assert health.status_code == 503 and health.json()["store"]["state"] == "down"
            assert "connection refused" in health.json()["store"]["error"]
            for path in ("/doc/place/krefeld", "/", "/doc/place/", "/catalog.ttl"):  # the release and the cache
                assert client.get(path).status_code == 200, path
            monkeypatch.setattr(oxigraph_server, "free_port", lambda: server.port)  # the same address again
            server.start()
            wait_until(lambda: client.get("/doc/cooperation/krzn").status_code == 200)
            assert client.get("/healthz").json()["store"]["state"] == "up"
            assert sparql(client, "ASK { ?s ?p ?o }").json()["boolean"] is True
        messages = [r.getMessage() for r in caplog.records]
        assert any("not answering" in m for m in messages) and any("answering again" in m for m in messages)
        assert not any(r.exc_info for r in caplog.records)
    finally:
        server.stop()


@pytest.fixture()
def proxy(store: OxigraphServer) -> Iterator[FakeServer]:
    """A store in front of the real one that passes requests on, until a test makes it refuse or dawdle."""

    answered = 0

    def respond(method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        nonlocal answered
        answered += 1
        if fake.status == 401:
            return 401, {"WWW-Authenticate": 'Basic realm="store"'}, b"Unauthorized\n"
        headers = next(r.headers for r in reversed(fake.requests) if r.body is body)
        answer = httpx.request(
            method,
            store.url + path,
            content=body,
            timeout=10,
            headers={"Content-Type": headers.get("Content-Type", ""), "Accept": headers.get("Accept", "*/*")},
        )
        return answer.status_code, {"Content-Type": answer.headers.get("Content-Type", "")}, answer.content

    with FakeServer(status=200, respond=respond) as fake:
        yield fake
        wait_until(lambda: answered >= len(fake.requests), 5)  # no handler left to wake up after the store


def test_store_refusing_midway(release_dir: Path, proxy: FakeServer) -> None:
    backend = connect(release_dir, proxy.url + "/query", user="site", password="secret", timeout=TIMEOUT)
    with TestClient(create_app(release_dir, timeout=TIMEOUT, backend=backend)) as client:
        assert client.get("/doc/place/krefeld").status_code == 200
        assert proxy.requests[-1].headers["Authorization"].startswith("Basic ")
        proxy.status = 401
        page = client.get("/doc/cooperation/krzn")
        assert page.status_code == 502
        assert "the triple store refused this server's credentials (HTTP 401 Unauthorized)" in page.text
        assert sparql(client, "ASK { ?s ?p ?o }").status_code == 502
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["store"]["state"] == "refusing"
        proxy.status = 200
        assert client.get("/doc/cooperation/krzn").status_code == 200


def test_slow_store(release_dir: Path, proxy: FakeServer) -> None:
    backend = connect(release_dir, proxy.url + "/query", timeout=1.0)
    with TestClient(create_app(release_dir, timeout=1.0, backend=backend)) as client:
        assert client.get("/doc/place/krefeld").status_code == 200
        proxy.delay = 1.8
        started = time.monotonic()
        query = sparql(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        assert query.status_code == 503 and time.monotonic() - started < 2.0
        assert "stopped at the time limit of 1 s" in query.text and query.headers["retry-after"]
        started = time.monotonic()
        page = client.get("/doc/cooperation/krzn")
        assert page.status_code == 503 and "no answer from the triple store within 1 s" in page.text
        assert time.monotonic() - started < 2.0
        started = time.monotonic()  # the store is known to be slow now: the next pages do not wait for it
        assert client.get("/doc/organisation/beg-nrw").status_code == 503
        assert time.monotonic() - started < 0.5
        assert client.get("/").status_code == 200
        proxy.delay = 0
        wait_until(lambda: client.get("/doc/cooperation/krzn").status_code == 200)
        assert sparql(client, "ASK { ?s ?p ?o }").status_code == 200


def test_backend_needs_an_http_endpoint() -> None:
    with pytest.raises(Exception, match="not an http"):
        RemoteBackend("ftp://example.org/sparql", graph=None, namespaces={})
