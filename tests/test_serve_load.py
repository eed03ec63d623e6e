"""A bounded load test of ``krefeld-kg serve`` on loopback: 8 clients send a mix of resource pages, RDF documents,
303 redirects, revalidations and SPARQL queries (cached lookups and never-cached ones) for a fixed time against a
real server process on 127.0.0.1; every answer must be the expected one, and the memory of the server and its
query workers must level off once its caches are full.

The server runs with a small response cache (4 MiB), so the cache fills within seconds and then evicts for the
rest of the run: steady state is reached early, and the never-cached queries keep the query workers busy.
Figures (requests per second, latency per kind, memory) are printed with ``-s`` and kept in
test-artifacts/load.json; the README quotes them. ``KREFELD_KG_LOAD_SECONDS`` changes the duration (default 16).

Also home of ``ServeProcess``, the server subprocess the browser tests use too.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import urlencode, urlsplit

import httpx

from oxigraph_server import free_port, stop_process, wait_ready

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
HOST = "127.0.0.1"
CLIENTS = 8
SECONDS = float(os.environ.get("KREFELD_KG_LOAD_SECONDS", "16"))
WARMUP = 4.0  # seconds of the run before the memory baseline is taken
MAX_REQUESTS_PER_CLIENT = 200_000  # a bound on every client's loop besides the clock
MEMORY_GROWTH_LIMIT = 24 * 1024**2  # bytes the server (with its workers) may grow after the warm-up


def krefeld_kg_command() -> list[str]:
    beside = Path(sys.executable).with_name("krefeld-kg")
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "krefeld_kg"]


def children_by_parent() -> dict[int, list[int]]:
    """Every running process id under its parent's, from /proc."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(stat.rpartition(")")[2].split()[1])].append(int(entry.name))
    return parents


class ServeProcess:
    """``krefeld-kg serve`` on a free 127.0.0.1 port, in its own process group, stopped by the test."""

    def __init__(self, release: Path, log: Path, *args: str, start_timeout: float = 60.0) -> None:
        self.release = release
        self.log = log
        self.args = args
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> ServeProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # another process may take the free port between probing and binding
            self.port = free_port()
            command = [
                *krefeld_kg_command(),
                "serve",
                "--release",
                str(self.release),
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--no-access-log",
                *self.args,
            ]
            with open(self.log, "ab") as log:
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
                )
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"krefeld-kg serve did not start; see {self.log}")

    def _wait_ready(self) -> bool:
        return wait_ready(self.process, self.url + "/healthz", self.start_timeout)

    def pids(self) -> list[int]:
        """The server and its descendants: the other server processes and every query worker."""
        if self.process is None:
            return []
        parents = children_by_parent()
        found, pending = [], [self.process.pid]
        while pending:
            pid = pending.pop()
            found.append(pid)
            pending += parents.get(pid, [])
        return found

    def rss(self) -> int:
        """Resident memory of the server and its workers, in bytes."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            total += int(match.group(1)) * 1024 if match else 0
        return total

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, grace=15, group=True)  # the group this test started: the server and its workers

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def resources(release: Path, base: str) -> list[tuple[str, str]]:
    """(type, slug) of every resource with its own document, from the release's N-Triples dump."""
    pattern = re.compile(rf"^<{re.escape(base)}id/([a-z]+)/([a-z0-9-]+)> ", re.MULTILINE)
    found = set(pattern.findall((release / "krefeld-kg.nt").read_text(encoding="utf-8")))
    return sorted(found)


# --------------------------------------------------------------------------------------------------------------
# the request mix

HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
JSON_RESULTS = "application/sparql-results+json"


@dataclass(frozen=True)
class Planned:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    expected: int
    body: bytes | None = None


class Mix:
    """Draws requests: what a browser, a linked-data client and a SPARQL client send to the site."""

    def __init__(self, base: str, found: list[tuple[str, str]], seed: int) -> None:
        self.base = base
        self.resources = found
        self.random = random.Random(seed)
        self.etags: dict[str, str] = {}

    def draw(self) -> Planned:
        type_, slug = self.random.choice(self.resources)
        iri = f"{self.base}id/{type_}/{slug}"
        lang = self.random.choice(("de", "en"))
        roll = self.random.random()
        if roll < 0.30:
            return Planned("page", "GET", f"/doc/{type_}/{slug}", {"Accept": HTML, "Accept-Language": lang}, 200)
        if roll < 0.45:
            return Planned("turtle", "GET", f"/doc/{type_}/{slug}.ttl", {}, 200)
        if roll < 0.50:
            accept = self.random.choice(("application/ld+json", "application/n-triples", "application/rdf+xml"))
            return Planned("rdf", "GET", f"/doc/{type_}/{slug}", {"Accept": accept}, 200)
        if roll < 0.57:
            return Planned("see-other", "GET", f"/id/{type_}/{slug}", {"Accept": "text/turtle"}, 303)
        if roll < 0.80:
            query = f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} LIMIT 200"
            return Planned("lookup", "GET", "/sparql?" + urlencode({"query": query}), {"Accept": JSON_RESULTS}, 200)
        if roll < 0.87:
            # Never cached (STRUUID): every one of these reaches a query worker.
            query = f"SELECT ?o (STRUUID() AS ?id) WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?o }}"
            return Planned(
                "uncached",
                "POST",
                "/sparql",
                {"Accept": JSON_RESULTS, "Content-Type": "application/sparql-query"},
                200,
                query.encode(),
            )
        if roll < 0.93:
            path = self.random.choice(["/", f"/doc/{type_}/", "/sparql", "/catalog.ttl"])
            accept = "text/turtle" if path.endswith(".ttl") else HTML
            return Planned("site", "GET", path, {"Accept": accept, "Accept-Language": lang}, 200)
        path = f"/doc/{type_}/{slug}.ttl"
        etag = self.etags.get(path)
        if etag is None:
            return Planned("turtle", "GET", path, {}, 200)
        return Planned("revalidate", "GET", path, {"If-None-Match": etag}, 304)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class Connection:
    """One keep-alive HTTP/1.1 connection, as light as a client gets in Python (httpx would take more CPU per
    request than the server, and this machine has two cores for both)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, planned: Planned) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        headers = {"Host": f"{self.host}:{self.port}", **planned.headers}
        if planned.body is not None:
            headers["Content-Length"] = str(len(planned.body))
        head = f"{planned.method} {planned.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(head.encode("latin-1") + b"\r\n" + (planned.body or b""))
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in fields:
            body = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            for _ in range(1_000_000):
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append((await self.reader.readexactly(size + 2))[:size])
                if size == 0:
                    break
            body = b"".join(chunks)
        else:
            body = b""
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, fields, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client(url: str, mix: Mix, deadline: float, tally: Tally) -> None:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    connection = Connection(parts.hostname, parts.port)
    try:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline:
                return
            planned = mix.draw()
            started = time.perf_counter()
            try:
                status, headers, body = await asyncio.wait_for(connection.request(planned), 10.0)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.errors.append(f"{planned.kind} {planned.path[:120]}: {type(exc).__name__} {exc}")
                connection.close()
                continue
            elapsed = time.perf_counter() - started
            if status != planned.expected:
                tally.errors.append(
                    f"{planned.kind} {planned.path[:120]}: {status}, expected {planned.expected}: {body[:200]!r}"
                )
                continue
            if planned.expected == 200 and not body:
                tally.errors.append(f"{planned.kind} {planned.path[:120]}: empty body")
                continue
            if planned.kind == "see-other" and not headers.get("location", "").startswith("/doc/"):
                tally.errors.append(f"{planned.kind} {planned.path[:120]}: Location {headers.get('location')}")
                continue
            if planned.kind == "turtle" and "etag" in headers:
                mix.etags[planned.path] = headers["etag"]
            tally.latencies[planned.kind].append(elapsed)
    finally:
        connection.close()


async def sample_memory(server: ServeProcess, deadline: float, samples: list[tuple[float, int]]) -> None:
    started = time.monotonic()
    for _ in range(int(SECONDS * 4) + 100):
        if time.monotonic() >= deadline:
            return
        samples.append((time.monotonic() - started, server.rss()))
        await asyncio.sleep(0.25)


Samples = list[tuple[float, int]]  # (seconds since the start, bytes)


async def run_load(server: ServeProcess, base: str, found: list[tuple[str, str]]) -> tuple[Tally, Samples]:
    tally = Tally()
    samples: Samples = []
    deadline = time.monotonic() + SECONDS
    tasks = [client(server.url, Mix(base, found, seed), deadline, tally) for seed in range(CLIENTS)]
    await asyncio.wait_for(asyncio.gather(*tasks, sample_memory(server, deadline, samples)), SECONDS + 30)
    return tally, samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def test_mixed_load_without_errors_and_with_stable_memory(release_dir: Path) -> None:
    from krefeld_kg.namespaces import DEFAULT_BASE

    found = resources(release_dir, DEFAULT_BASE)
    assert len(found) > 100
    log = ARTIFACTS / "load-server.log"
    log.unlink(missing_ok=True)
    with ServeProcess(release_dir, log, "--cache-mb", "4", "--workers", "2") as server:
        started = time.perf_counter()
        tally, samples = asyncio.run(run_load(server, DEFAULT_BASE, found))
        wall = time.perf_counter() - started
        health = httpx.get(server.url + "/healthz", timeout=10).json()
    baseline = max((rss for t, rss in samples if WARMUP <= t < WARMUP + 2), default=0)
    final = max((rss for t, rss in samples if t >= SECONDS - 3), default=0)
    figures = {
        "clients": CLIENTS,
        "seconds": round(wall, 1),
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / wall, 1),
        "errors": len(tally.errors),
        "kinds": {
            kind: {
                "requests": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 2),
                "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            }
            for kind, values in sorted(tally.latencies.items())
        },
        "rss_mb": {
            "start": round(samples[0][1] / 2**20, 1),
            "after_warmup": round(baseline / 2**20, 1),
            "end": round(final / 2**20, 1),
            "peak": round(max(s[1] for s in samples) / 2**20, 1),
        },
        "server": {"workers": health["workers"], "cache": health["cache"]},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("\n" + json.dumps(figures, indent=2))
    assert tally.errors == [], f"{len(tally.errors)} errors, first: {tally.errors[:5]}"
    assert tally.requests > 200 * SECONDS / 16, "the server answered too few requests to call this a load"
    assert {"page", "turtle", "lookup", "uncached", "see-other", "revalidate"} <= set(tally.latencies)
    assert health["status"] == "ok" and health["workers"]["crashes"] == 0 and health["workers"]["timeouts"] == 0
    assert health["cache"]["bytes"] <= 4 * 1024**2
    assert final - baseline < MEMORY_GROWTH_LIMIT, (
        f"memory grew from {baseline / 2**20:.1f} MiB after the warm-up to {final / 2**20:.1f} MiB at the end"
    )
