"""The real server in a subprocess: the hard time limit stops runaway queries (503) while other clients are
served without delay, killed workers come back, and HEAD / the command line behave over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from test_serve_fixture import write_release

TIMEOUT = 1.0
# A five-way cross join of the fixture's ~100 triples: 10^10 solutions to count, far beyond one second.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
FAST = "ASK { ?s ?p ?o }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    release: Path = write_release(tmp_path_factory.mktemp("timeout") / "dist")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from krefeld_kg.serve.command import serve; serve()",
            "--release",
            str(release),
            "--port",
            str(port),
            "--timeout",
            str(TIMEOUT),
            "--processes",
            "1",
            "--workers",
            "2",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "server died")
            time.sleep(0.05)
        else:
            raise RuntimeError("the server did not come up")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def query(url: str, text: str) -> httpx.Response:
    return httpx.get(
        f"{url}/sparql", params={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=30
    )


def test_a_runaway_query_is_stopped_and_others_are_served(server: str) -> None:
    outcome: dict[str, object] = {}

    def slow() -> None:
        started = time.perf_counter()
        outcome["response"] = query(server, SLOW)
        outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)  # the slow query is running now
    started = time.perf_counter()
    assert query(server, FAST).json()["boolean"] is True  # the other worker answers
    page = httpx.get(f"{server}/doc/place/krefeld", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    assert time.perf_counter() - started < 0.5, "other clients must not wait for the slow query"
    thread.join(30)
    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 503
    assert "time limit" in response.text and response.headers["retry-after"]
    assert TIMEOUT <= float(outcome["seconds"]) < TIMEOUT + 1.5  # type: ignore[arg-type]
    for _ in range(100):  # the killed worker is replaced in the background
        workers = httpx.get(f"{server}/healthz").json()["workers"]
        if workers["alive"] == 2:
            break
        time.sleep(0.05)
    assert workers["alive"] == 2 and workers["timeouts"] >= 1
    assert query(server, FAST).status_code == 200


def test_when_every_worker_is_busy_pages_still_come_fast(server: str) -> None:
    responses: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda: responses.append(query(server, SLOW))) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    for path in ("/", "/doc/place/krefeld", "/doc/place/krefeld.ttl", "/healthz"):
        started = time.perf_counter()
        assert httpx.get(f"{server}{path}", timeout=30).status_code == 200
        assert time.perf_counter() - started < 0.5, f"{path} waited for the busy workers"
    for thread in threads:
        thread.join(30)
    assert [r.status_code for r in responses] == [503, 503, 503]
    assert any("busy" in r.text for r in responses), "the third waited the whole time limit for a worker"
    for _ in range(100):
        if query(server, FAST).status_code == 200:
            break
        time.sleep(0.05)
    assert query(server, FAST).status_code == 200


def test_head_over_real_http(server: str) -> None:
    get = httpx.get(f"{server}/doc/place/krefeld", headers={"Accept": "text/turtle"})
    head = httpx.head(f"{server}/doc/place/krefeld", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]


def test_the_command_refuses_a_missing_release(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from krefeld_kg.serve.command import serve; serve()",
            "--release",
            str(tmp_path / "nothing"),
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "run `krefeld-kg build` first" in result.stderr


def test_a_query_that_eats_memory_kills_only_its_worker(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from krefeld_kg.serve.app import create_app

    app = create_app(write_release(tmp_path / "dist"), workers=1, timeout=30, memory_limit=400 * 1024**2)
    greedy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a"  # sorts 10^8 rows
    with TestClient(app) as client:
        response = client.get("/sparql", params={"query": greedy}, headers={"Accept": "text/csv"})
        assert response.status_code == 503 and "memory" in response.text
        for _ in range(100):
            if client.get("/healthz").json()["workers"]["alive"] == 1:
                break
            time.sleep(0.05)
        counted = client.get(
            "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, headers={"Accept": "text/csv"}
        )
        assert counted.status_code == 200 and int(counted.text.split()[1]) > 50
