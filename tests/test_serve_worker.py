"""The query worker's answers: SPARQL JSON written by pyoxigraph within the row limit, by Python beyond it
and for queries that are not the same twice; the same bindings either way."""

from __future__ import annotations

import json
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from krefeld_kg.serve import worker
from krefeld_kg.serve.formats import SPARQL_JSON
from krefeld_kg.serve.results import write_solutions
from krefeld_kg.serve.worker import QueryAnswer, QueryJob, answer

DATA = b"""
<http://example.org/a> <http://example.org/p> "plain" .
<http://example.org/a> <http://example.org/p> "Stadt"@de .
<http://example.org/a> <http://example.org/p> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://example.org/a> <http://example.org/p> <http://example.org/b> .
<http://example.org/a> <http://example.org/p> _:x .
<http://example.org/b> <http://example.org/p> "quote \\" and \\\\ and \\n" .
"""
LOOKUP = "SELECT ?s ?o ?missing WHERE { ?s <http://example.org/p> ?o OPTIONAL { ?o <http://nothing> ?missing } }"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.load(DATA, format=ox.RdfFormat.N_TRIPLES)
    return store


def _bindings(body: bytes) -> tuple[list[str], list[dict]]:  # type: ignore[type-arg]
    doc = json.loads(body)
    rows = sorted(doc["results"]["bindings"], key=lambda b: json.dumps(b, sort_keys=True))
    for row in rows:  # blank node labels are the writer's own
        for term in row.values():
            if term["type"] == "bnode":
                term["value"] = "b"
    return doc["head"]["vars"], rows


def test_within_the_limit_the_native_json_has_the_python_bindings(store: ox.Store) -> None:
    result = answer(store, QueryJob(LOOKUP, SPARQL_JSON, None, row_limit=10), {})
    assert isinstance(result, QueryAnswer) and result.rows == 6 and not result.truncated
    rows = [tuple(s) for s in store.query(LOOKUP)]  # type: ignore[union-attr]
    python = write_solutions(["s", "o", "missing"], rows, SPARQL_JSON)
    assert _bindings(result.body) == _bindings(python)


def test_beyond_the_limit_the_rows_are_cut_and_it_says_so(store: ox.Store) -> None:
    result = answer(store, QueryJob(LOOKUP, SPARQL_JSON, None, row_limit=4), {})
    assert isinstance(result, QueryAnswer) and result.rows == 4 and result.truncated
    assert len(json.loads(result.body)["results"]["bindings"]) == 4


def test_a_query_that_differs_each_time_is_evaluated_once(store: ox.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def twice(*args: object) -> None:
        raise AssertionError("evaluated twice")

    monkeypatch.setattr(worker, "_native_json", twice)
    query = "SELECT ?s (RAND() AS ?r) WHERE { ?s <http://example.org/p> ?o } LIMIT 3"
    result = answer(store, QueryJob(query, SPARQL_JSON, None, row_limit=10), {})
    assert isinstance(result, QueryAnswer) and result.rows == 3
    assert all("r" in row for row in json.loads(result.body)["results"]["bindings"])


def test_a_worker_whose_server_went_away_exits_quietly(tmp_path: Path) -> None:
    dump = tmp_path / "dump.nt"
    dump.write_text("<http://x/a> <http://x/p> <http://x/b> .\n")
    settings = pickle.dumps((str(dump), {}, None))
    process = subprocess.Popen(
        [sys.executable, "-m", "krefeld_kg.serve.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdout.close()  # the server is gone before the worker says it is ready
    process.stdin.write(struct.pack(">I", len(settings)) + settings)
    process.stdin.close()
    assert process.wait(timeout=30) == 0
    assert process.stderr is not None and b"Traceback" not in process.stderr.read()
