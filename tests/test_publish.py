"""publish: the release into a real `oxigraph serve` by the Graph Store Protocol and by SPARQL Update, verified;
republishing; interruption; and every failure path (refused, 401/403, 500, slow, wrong content)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF

from krefeld_kg.commands_remote import publish as publish_command
from krefeld_kg.errors import InputError
from krefeld_kg.publish import VerificationFailed, publish, read_release, staging_iri
from krefeld_kg.remote import RetryPolicy
from oxigraph_server import FakeServer, OxigraphServer, free_port

DATASET = "https://w3id.org/krefeld-kg/id/dataset/krefeld-kg"
OTHER = "https://example.org/graph/someone-else"
FAST = RetryPolicy(timeout=0.5, attempts=3, backoff=0.05, deadline=3.0)  # for stores that fail
SAFE = RetryPolicy(timeout=20.0, attempts=2, backoff=0.1, deadline=30.0)  # for the real one, on slow machines


def run(*args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    result = CliRunner().invoke(publish_command, list(args))
    return result.exit_code, result.stdout, result.stderr, time.monotonic() - started


def small_release(directory: Path, lines: list[str]) -> Path:
    """A release-shaped directory: a dump, a catalog.ttl describing the dataset, SHA256SUMS."""
    directory.mkdir(parents=True)
    dump = ("\n".join(lines) + "\n").encode()
    catalog = Graph()
    catalog.add((URIRef(DATASET), RDF.type, DCAT.Dataset))
    catalog.serialize(directory / "catalog.ttl", format="turtle")
    (directory / "krefeld-kg.nt").write_bytes(dump)
    (directory / "SHA256SUMS").write_text(f"{hashlib.sha256(dump).hexdigest()}  krefeld-kg.nt\n")
    return directory


SMALL = [
    *(
        f'<https://w3id.org/krefeld-kg/id/place/p{i}> <http://www.w3.org/2000/01/rdf-schema#label> "p{i}"@de .'
        for i in range(30)
    ),
    "<https://w3id.org/krefeld-kg/id/place/x> <http://www.w3.org/2003/01/geo/wgs84_pos#lat> "
    '"48.5000"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
]


def graphs(server: OxigraphServer) -> dict[str, int]:
    answer = httpx.post(
        server.query_url,
        headers={"Accept": "application/sparql-results+json"},
        data={"query": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"},
    )
    answer.raise_for_status()
    return {b["g"]["value"]: int(b["n"]["value"]) for b in answer.json()["results"]["bindings"]}


def default_graph_size(server: OxigraphServer) -> int:
    answer = httpx.post(
        server.query_url,
        headers={"Accept": "application/sparql-results+json"},
        data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
    )
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def content(server: OxigraphServer, graph: str) -> set[str]:
    answer = httpx.get(server.store_url, params={"graph": graph}, headers={"Accept": "application/n-triples"})
    answer.raise_for_status()
    return {str(q.triple) for q in ox.parse(answer.content, format=ox.RdfFormat.N_TRIPLES)}


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[OxigraphServer]:
    with OxigraphServer(tmp_path / "store") as running:
        # Someone else's named graph and default graph, which publishing must never touch.
        httpx.put(
            running.store_url,
            params={"graph": OTHER},
            headers={"Content-Type": "application/n-triples"},
            content=b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n",
        )
        httpx.post(
            running.store_url + "?default",
            headers={"Content-Type": "application/n-triples"},
            content=b"<https://example.org/d> <https://example.org/e> <https://example.org/f> .\n",
        )
        yield running


def test_publish_by_graph_store_protocol_then_republish(server: OxigraphServer, release_dir: Path) -> None:
    n = len(read_release(release_dir).triples)
    code, out, err, _ = run("--graph-store", server.store_url, "--release", str(release_dir))
    assert code == 0, err
    assert f"into <{DATASET}>" in out and "graph store protocol" in out and "MOVE" in out
    assert f"release {n:,} triples, store {n:,} triples; {n:,} of {n:,} checked triples found" in out
    assert graphs(server) == {DATASET: n, OTHER: 1} and default_graph_size(server) == 1
    first = content(server, DATASET)

    code, out, err, _ = run("--graph-store", server.store_url, "--release", str(release_dir))
    assert code == 0, err
    assert content(server, DATASET) == first
    assert graphs(server) == {DATASET: n, OTHER: 1} and default_graph_size(server) == 1


def test_publish_replaces_the_previous_release(server: OxigraphServer, release_dir: Path, tmp_path: Path) -> None:
    small = small_release(tmp_path / "small", SMALL)
    result = publish(read_release(small), graph_store=server.store_url, policy=SAFE)
    assert result.ok and result.check.store_triples == len(SMALL)  # 48.5000 comes back as 48.5, still equal
    full = read_release(release_dir)
    result = publish(full, graph_store=server.store_url, policy=SAFE)
    assert result.check.store_triples == len(full.triples)
    assert not any("/place/p1>" in t for t in content(server, DATASET))
    result = publish(read_release(small), graph_store=server.store_url, policy=SAFE, find_update_endpoint=False)
    assert result.ok and "PUT" in result.switch
    assert graphs(server) == {DATASET: len(SMALL), OTHER: 1}


def test_publish_by_sparql_update_in_chunks(server: OxigraphServer, release_dir: Path) -> None:
    release = read_release(release_dir)
    reports: list[tuple[int, int]] = []
    result = publish(
        release,
        update_endpoint=server.update_url,
        chunk_size=1000,
        policy=SAFE,
        progress=lambda done, total: reports.append((done, total)),
    )
    n = len(release.triples)
    assert result.ok and result.method == "SPARQL Update"
    assert (result.check.store_triples, result.check.sample_size, result.check.sample_found) == (n, 200, 200)
    assert len(reports) == -(-n // 1000) and reports[-1] == (n, n)
    assert graphs(server) == {DATASET: n, OTHER: 1} and default_graph_size(server) == 1
    expected = {str(t) for t in release.triples}
    assert len(content(server, DATASET) ^ expected) <= 10  # only canonicalised decimals may differ in spelling

    code, out, err, _ = run(
        "--update-endpoint", server.update_url, "--release", str(release_dir), "--graph", "https://example.org/graph/kg"
    )
    assert code == 0, err and "SPARQL Update" in out
    assert graphs(server)["https://example.org/graph/kg"] == n


def test_interrupted_upload_leaves_the_published_graph_alone(
    server: OxigraphServer, release_dir: Path, tmp_path: Path
) -> None:
    full = read_release(release_dir)
    publish(full, graph_store=server.store_url, policy=SAFE)
    before = content(server, DATASET)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    small = read_release(small_release(tmp_path / "small", SMALL))
    with pytest.raises(KeyboardInterrupt):
        publish(small, update_endpoint=server.update_url, chunk_size=10, policy=SAFE, progress=interrupt)
    assert content(server, DATASET) == before  # readers still see the whole previous release
    assert graphs(server)[staging_iri(DATASET)] == 10
    publish(small, update_endpoint=server.update_url, chunk_size=10, policy=SAFE)
    assert graphs(server) == {DATASET: len(SMALL), OTHER: 1}  # the staging graph is gone


# --- failure paths --------------------------------------------------------------------------------------------


def test_connection_refused_with_default_timeouts(release_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/store"
    code, out, err, seconds = run("--graph-store", url, "--release", str(release_dir))
    assert code == 2 and out == "" and seconds < 30
    assert err == f"error: cannot connect to {url}: connection refused (gave up after 4 attempts)\n"


@pytest.mark.parametrize(
    ("status", "message", "tries"),
    [
        (401, "refused access (HTTP 401 Unauthorized): give --user/--password or set $KREFELD_KG_TOKEN", 1),
        (403, "refused access (HTTP 403 Forbidden)", 1),
        (500, "answered HTTP 500 Internal Server Error: disk full (gave up after 4 attempts)", 4),
    ],
)
def test_http_errors_exit_2_with_one_line(status: int, message: str, tries: int, tmp_path: Path) -> None:
    release = small_release(tmp_path / "small", SMALL)
    with FakeServer(status=status, body=b"disk full\n") as fake:
        for option in ("--graph-store", "--update-endpoint"):
            fake.requests.clear()
            code, _, err, seconds = run(
                option,
                fake.url + "/update",
                "--release",
                str(release),
                "--timeout",
                "0.5",
                "--user",
                "alice",
                "--password",
                "pw",
            )
            assert code == 2 and seconds < 30, err
            assert err.count("\n") == 1 and message in err and "Traceback" not in err
            assert len(fake.requests) == tries
            assert fake.requests[0].headers["Authorization"].startswith("Basic ")


def test_slow_store_times_out(tmp_path: Path) -> None:
    release = small_release(tmp_path / "small", SMALL)
    with FakeServer(status=204, body=b"", delay=3.0) as fake:
        code, _, err, seconds = run("--graph-store", fake.url + "/store", "--release", str(release), "--timeout", "0.5")
    assert code == 2 and seconds < 5
    assert "no answer from" in err and "within 0.5 s" in err and err.count("\n") == 1


def test_token_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KREFELD_KG_TOKEN", "t0ken")
    release = small_release(tmp_path / "small", SMALL)
    with FakeServer(status=401) as fake:
        assert run("--graph-store", fake.url + "/store", "--release", str(release))[0] == 2
    assert fake.requests[0].headers["Authorization"] == "Bearer t0ken"
    assert fake.requests[0].headers["User-Agent"].startswith("krefeld-kg/")


def test_store_that_loses_triples_fails_verification_and_keeps_the_target(tmp_path: Path) -> None:
    release = small_release(tmp_path / "small", SMALL)
    held: dict[str, bytes] = {}

    def lossy(method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        graph = parse_qs(urlparse(path).query)["graph"][0]
        if method == "PUT":
            held[graph] = b"\n".join(body.splitlines()[:-3]) + b"\n"  # a store that drops the last triples
            return 201, {}, b""
        if method == "GET":
            return (200, {"Content-Type": "application/n-triples"}, held[graph]) if graph in held else (404, {}, b"")
        held.pop(graph, None)
        return 204, {}, b""

    with FakeServer(respond=lossy) as fake:
        code, _, err, _ = run("--graph-store", fake.url + "/store", "--release", str(release))
    assert code == 1
    assert f"release {len(SMALL)} triples, store {len(SMALL) - 3} triples" in err
    assert "error: verification failed: the staging graph" in err and f"<{DATASET}> was left unchanged" in err
    touched = {parse_qs(urlparse(r.path).query)["graph"][0] for r in fake.requests}
    assert touched == {staging_iri(DATASET)} and held == {}  # the target never touched, the staging graph dropped


def test_bad_input_exits_2(tmp_path: Path) -> None:
    release = small_release(tmp_path / "small", SMALL)
    assert run("--release", str(release))[0] == 2  # neither --graph-store nor --update-endpoint
    assert run("--graph-store", "http://127.0.0.1:1/store", "--release", str(release), "--graph", "not an iri")[0] == 2
    code, _, err, _ = run("--graph-store", "http://127.0.0.1:1/store", "--release", str(tmp_path / "nothing"))
    assert code == 2 and "krefeld-kg build" in err
    (release / "krefeld-kg.nt").write_text(SMALL[0] + "\n")
    code, _, err, _ = run("--graph-store", "http://127.0.0.1:1/store", "--release", str(release))
    assert code == 2 and "does not match SHA256SUMS" in err
    with pytest.raises(InputError, match="cannot tell the query endpoint"):
        publish(read_release(small_release(tmp_path / "again", SMALL)), update_endpoint="http://127.0.0.1:1/sparql")


def test_verification_failed_is_raised_by_the_library(tmp_path: Path) -> None:
    empty = FakeServer(respond=lambda m, p, b: (200, {"Content-Type": "application/n-triples"}, b""))
    with empty as fake, pytest.raises(VerificationFailed) as info:
        publish(read_release(small_release(tmp_path / "r", SMALL)), graph_store=fake.url, policy=FAST)
    assert info.value.check.store_triples == 0 and info.value.release_triples == len(SMALL)
