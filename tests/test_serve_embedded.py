"""The embedded backend decides where a user query runs: a lookup with few solutions on the event loop, anything
else in a query worker. On a large store (here: the real release with the size threshold lowered to 0) the
decision rests on a first look at the lookup's solutions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from krefeld_kg.namespaces import DEFAULT_BASE, namespace_prefixes
from krefeld_kg.serve import embedded, screen
from krefeld_kg.serve.embedded import EmbeddedBackend
from krefeld_kg.serve.formats import SPARQL_JSON, TURTLE
from krefeld_kg.serve.worker import QueryAnswer, QueryJob

CHARLOTTE = f"{DEFAULT_BASE}id/twinning/krefeld-charlotte"
TWINNING = "https://w3id.org/krefeld-kg/ontology#Twinning"


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as loop:
        yield loop


@pytest.fixture
def large(release_dir: Path, runner: asyncio.Runner, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedBackend]:
    monkeypatch.setattr(embedded, "INLINE_MAX_TRIPLES", 0)  # the real release, treated as a large store
    monkeypatch.setattr(embedded, "INLINE_MAX_ROWS", 5)
    backend = EmbeddedBackend(release_dir, workers=1, timeout=30, namespaces=namespace_prefixes(DEFAULT_BASE))
    assert not backend.inline
    runner.run(backend.start())
    try:
        yield backend
    finally:
        runner.run(backend.close())


def run(runner: asyncio.Runner, backend: EmbeddedBackend, query: str, graph: bool = False) -> tuple[QueryAnswer, int]:
    """The answer and how many queries the workers ran for it."""
    before = backend.pool.stats.queries
    job = QueryJob(query, None if graph else SPARQL_JSON, TURTLE if graph else None)
    reply = runner.run(backend.execute(job))
    return reply, backend.pool.stats.queries - before


def test_a_lookup_with_few_solutions_is_answered_here(runner: asyncio.Runner, large: EmbeddedBackend) -> None:
    reply, in_workers = run(runner, large, f"SELECT ?p WHERE {{ <{CHARLOTTE}> a ?p }}")
    assert in_workers == 0 and 0 < reply.rows <= 5


def test_a_lookup_with_many_solutions_goes_to_a_worker(runner: asyncio.Runner, large: EmbeddedBackend) -> None:
    reply, in_workers = run(runner, large, f"SELECT ?s WHERE {{ ?s a <{TWINNING}> }}")
    assert in_workers == 1 and reply.rows == 8  # Krefeld's eight twinnings: more than five


def test_the_same_answer_either_way(
    runner: asyncio.Runner, large: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = f"SELECT ?p ?o WHERE {{ <{CHARLOTTE}> ?p ?o }}"
    in_worker, sent = run(runner, large, query)
    monkeypatch.setattr(embedded, "INLINE_MAX_ROWS", 10_000)
    here, not_sent = run(runner, large, query)
    assert (sent, not_sent) == (1, 0) and here.body == in_worker.body and here.rows == in_worker.rows > 5


def test_an_offset_goes_to_a_worker(runner: asyncio.Runner, large: EmbeddedBackend) -> None:
    _, in_workers = run(runner, large, f"SELECT ?p WHERE {{ <{CHARLOTTE}> a ?p }} OFFSET 1")
    assert in_workers == 1


def test_ask_is_answered_here(runner: asyncio.Runner, large: EmbeddedBackend) -> None:
    reply, in_workers = run(runner, large, f"ASK {{ ?s a <{TWINNING}> }}")
    assert in_workers == 0 and reply.body.strip().endswith(b"true}")


def test_a_describe_counts_its_triples(runner: asyncio.Runner, large: EmbeddedBackend) -> None:
    described, in_workers = run(runner, large, f"DESCRIBE <{CHARLOTTE}>", graph=True)
    assert in_workers == 1 and described.rows > 5 and b"Charlotte" in described.body


def test_anything_else_goes_to_a_worker(runner: asyncio.Runner, large: EmbeddedBackend) -> None:
    _, in_workers = run(runner, large, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{CHARLOTTE}> ?p ?o }}")
    assert in_workers == 1


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT DISTINCT ?p WHERE {{ ?s ?p <{TWINNING}> }}",
        f"SELECT REDUCED ?p WHERE {{ ?s ?p <{TWINNING}> }}",
        f"SELECT ?s WHERE {{ ?s ?s <{TWINNING}> }}",
        f"ASK {{ ?s ?s <{TWINNING}> }}",
    ],
)
def test_a_lookup_that_visits_more_than_it_returns_goes_to_a_worker(
    runner: asyncio.Runner, large: EmbeddedBackend, query: str
) -> None:
    # One row (or none) for all the triples they walk through: counting rows would not bound their cost.
    _, in_workers = run(runner, large, query)
    assert in_workers == 1


@pytest.mark.parametrize(
    ("query", "plain"),
    [
        ("SELECT ?p ?o WHERE { <http://x/a> ?p ?o }", True),
        ("SELECT * WHERE { ?s ?p <http://x/a> } LIMIT 10", True),
        ("DESCRIBE <http://x/a>", True),
        ("SELECT DISTINCT ?p WHERE { ?s ?p <http://x/a> }", False),
        ("select reduced ?p where { ?s ?p <http://x/a> }", False),
        ("SELECT ?s WHERE { ?s ?s <http://x/a> }", False),
        ("SELECT ?s WHERE { ?s $s <http://x/a> }", False),
        ("ASK { <http://x/a> ?o ?o }", False),
    ],
)
def test_counts_what_it_visits(query: str, plain: bool) -> None:
    assert screen.counts_what_it_visits(query) is plain
