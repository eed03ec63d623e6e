"""RemoteEngine: parameter binding, errors and retries, and remote queries equal to local ones on a real
`oxigraph serve` holding the published release."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef, namespace

from krefeld_kg import query as q
from krefeld_kg.commands_remote import run_remote_query
from krefeld_kg.engine import OxigraphEngine, QueryError, to_ox
from krefeld_kg.namespaces import resource_iri
from krefeld_kg.remote import (
    Credentials,
    RemoteEngine,
    RemoteError,
    RetryPolicy,
    bind_values,
    query_form,
    sparql_term,
    with_retries,
)
from oxigraph_server import FakeServer, OxigraphServer, free_port

FAST = RetryPolicy(timeout=0.5, attempts=3, backoff=0.05, deadline=3.0)
DATASET = str(resource_iri("https://w3id.org/krefeld-kg/", "dataset", "krefeld-kg"))


# --- binding parameters the way the embedded engine does -------------------------------------------------------

INT = "http://www.w3.org/2001/XMLSchema#integer"
DATA = "".join(f'<http://ex/{s}> <http://ex/p> "{n}"^^<{INT}> .\n' for s, n in (("a", 1), ("a", 5), ("b", 3)))
QUERIES = [
    "SELECT ?x ?lim ?v WHERE { ?x <http://ex/p> ?v FILTER(?v < ?lim) }",
    # a nested group sees the parameter (substitution, not a plain join)
    "SELECT ?lim ?x WHERE { ?x <http://ex/p> ?v { ?x <http://ex/p> ?v2 FILTER(?v2 < ?lim) } }",
    # a sub-select does not
    "SELECT ?lim ?x ?m WHERE { { SELECT ?x (MAX(?v) AS ?m) WHERE { ?x <http://ex/p> ?v } GROUP BY ?x } }",
    # comments, strings and IRIs that look like the variable stay as they are
    '# ?lim { \nSELECT ?lim ?x WHERE { ?x <http://ex/p> ?v FILTER(STR(?v) != "?lim}" && ?v <= ?lim) } ORDER BY ?x',
    "ASK { ?x <http://ex/p> ?lim }",
    "SELECT ?lim (COUNT(*) AS ?n) WHERE { ?x <http://ex/p> ?v FILTER NOT EXISTS { ?x <http://ex/p> ?lim } }"
    " GROUP BY ?lim",
]


@pytest.mark.parametrize("query", QUERIES)
def test_bind_values_gives_the_rows_of_substitution(query: str) -> None:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.N_TRIPLES)
    value = Literal("4", datatype=namespace.XSD.integer)
    local = store.query(query, substitutions={ox.Variable("lim"): to_ox(value)})
    remote = store.query(bind_values(query, {"lim": value}))
    if isinstance(local, ox.QueryBoolean):
        assert bool(local) == bool(remote)
    else:
        assert sorted(map(str, local)) == sorted(map(str, remote))  # type: ignore[arg-type]


def test_bind_values_in_construct_and_rejections() -> None:
    text = bind_values("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"o": URIRef("http://ex/o")})
    assert "WHERE { VALUES (?o) { (<http://ex/o>) } ?s ?p <http://ex/o> }" in text
    assert text.startswith("CONSTRUCT { ?s ?p ?o }")
    with pytest.raises(QueryError, match="full CONSTRUCT"):
        bind_values("CONSTRUCT WHERE { ?s ?p ?o }", {"o": URIRef("http://ex/o")})
    assert bind_values("SELECT * {}", {}) == "SELECT * {}"


def test_sparql_term_escapes_and_validates() -> None:
    assert sparql_term(Literal('say "hi"\n\\', lang="de")) == '"say \\"hi\\"\\n\\\\"@de'
    assert sparql_term(Literal("2026-01-01", datatype=namespace.XSD.date)) == f'"2026-01-01"^^<{namespace.XSD.date}>'
    assert sparql_term(Literal("x", datatype=namespace.XSD.string)) == '"x"'
    for bad in (URIRef("http://ex/a> } DROP ALL #"), BNode()):
        with pytest.raises(QueryError):
            sparql_term(bad)


def test_query_form_ignores_comments_and_prologue() -> None:
    assert query_form("# when the ontology is loaded\nPREFIX a: <http://a/>\nselect * {}") == "SELECT"
    assert query_form("BASE <http://x/> ASK {}") == "ASK"
    with pytest.raises(QueryError):
        query_form("INSERT DATA {}")


# --- retries and errors -------------------------------------------------------------------------------------


def test_with_retries_retries_transient_errors_only() -> None:
    calls: list[float] = []

    def flaky(timeout: float) -> str:
        calls.append(timeout)
        if len(calls) < 3:
            raise RemoteError("busy", transient=True)
        return "ok"

    assert with_retries(FAST, flaky, sleep=lambda s: None) == "ok" and len(calls) == 3
    calls.clear()

    def refused(timeout: float) -> str:
        calls.append(timeout)
        raise RemoteError("no", transient=False)

    with pytest.raises(RemoteError, match=r"^no$"):
        with_retries(FAST, refused, sleep=lambda s: None)
    assert len(calls) == 1


def test_with_retries_keeps_to_the_deadline() -> None:
    policy = RetryPolicy(timeout=0.3, attempts=10, backoff=0.1, deadline=0.8)

    def slow(timeout: float) -> str:
        time.sleep(timeout)
        raise RemoteError("slow", transient=True)

    started = time.monotonic()
    with pytest.raises(RemoteError, match="gave up after"):
        with_retries(policy, slow)
    assert time.monotonic() - started < policy.deadline + policy.timeout


def test_connection_refused_is_one_clear_line() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    started = time.monotonic()
    with pytest.raises(RemoteError) as info:
        RemoteEngine(url, policy=FAST).select("SELECT * { ?s ?p ?o }")
    assert time.monotonic() - started < 3
    assert "connection refused" in str(info.value) and url in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "expected", "attempts"),
    [
        (500, "HTTP 500", 3),
        (503, "HTTP 503", 3),
        (401, "refused access", 1),
        (403, "refused access", 1),
        (404, "right endpoint URL", 1),
    ],
)
def test_http_errors(status: int, expected: str, attempts: int) -> None:
    with FakeServer(status=status, body=b"store says no\nsecond line\n") as fake, pytest.raises(RemoteError) as info:
        RemoteEngine(fake.url + "/sparql", policy=FAST).ask("ASK {}")
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert len(fake.requests) == attempts


def test_bad_request_is_a_query_error() -> None:
    with FakeServer(status=400, body=b"Parser error at line 1\n") as fake, pytest.raises(QueryError, match="Parser"):
        RemoteEngine(fake.url + "/sparql", policy=FAST).select("SELECT * {}")


def test_slow_answer_times_out_quickly() -> None:
    policy = RetryPolicy(timeout=0.3, attempts=2, backoff=0.05, deadline=1.0)
    with FakeServer(status=200, body=b"{}", delay=2.0) as fake:
        started = time.monotonic()
        with pytest.raises(RemoteError, match=r"no answer .* within 0\.3 s"):
            RemoteEngine(fake.url + "/sparql", policy=policy).select("SELECT * {}")
        assert time.monotonic() - started < 1.5


def test_requests_carry_user_agent_credentials_and_default_graph() -> None:
    answer = b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "1"}}]}}'
    with FakeServer(status=200, body=answer, headers={"Content-Type": "application/sparql-results+json"}) as fake:
        token = RemoteEngine(fake.url, default_graph=DATASET, credentials=Credentials(token="s3cret"), policy=FAST)
        assert token.select("SELECT ?x {}").rows == [[Literal("1")]]
        RemoteEngine(fake.url, credentials=Credentials("alice", "pw"), policy=FAST).select("SELECT ?x {}")
    first, second = fake.requests
    assert first.headers["User-Agent"].startswith("krefeld-kg/")
    assert first.headers["Authorization"] == "Bearer s3cret"
    assert "default-graph-uri=https%3A//w3id.org/krefeld-kg/id/dataset/krefeld-kg&" in first.body.decode()
    assert second.headers["Authorization"].startswith("Basic ")


# --- against a real oxigraph serve --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    with OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "store") as server:
        data = (release_dir / "krefeld-kg.nt").read_bytes()
        httpx.put(
            server.store_url, params={"graph": DATASET}, content=data, headers={"Content-Type": "application/n-triples"}
        ).raise_for_status()
        yield server


@pytest.fixture(scope="module")
def local(release_dir: Path) -> OxigraphEngine:
    return q.load_release(release_dir)


def test_every_catalogue_query_gives_the_same_rows_remotely(loaded: OxigraphServer, local: OxigraphEngine) -> None:
    remote = RemoteEngine(loaded.query_url, default_graph=DATASET, policy=FAST)
    catalogue = q.catalogue()
    assert catalogue, "the query catalogue is empty"
    for named in catalogue:
        here, there = q.run(local, named), q.run(remote, named)
        assert there.variables == here.variables, named.name
        ordered = "ORDER BY" in named.text.upper()
        assert (there.rows if ordered else sorted(there.rows, key=str)) == (
            here.rows if ordered else sorted(here.rows, key=str)
        ), named.name


def test_remote_query_helper_renders_like_the_local_run(loaded: OxigraphServer, local: OxigraphEngine) -> None:
    named = q.resolve("members-at-date")
    given = {"organisation": "coop:krzn", "date": "2018-06-30", "lang": "de"}
    for fmt in q.FORMATS:
        expected = q.render(q.run(local, named, given), fmt)
        assert run_remote_query("members-at-date", given, fmt, endpoint=loaded.query_url) == expected


def test_remote_ask_and_construct(loaded: OxigraphServer, local: OxigraphEngine) -> None:
    remote = RemoteEngine(loaded.query_url, default_graph=DATASET, policy=FAST)
    krefeld = {"x": resource_iri("https://w3id.org/krefeld-kg/", "place", "krefeld")}
    ask = "ASK { ?x ?p ?o }"
    assert remote.ask(ask, krefeld) is local.ask(ask, krefeld) is True
    construct = "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }"
    assert sorted(remote.construct(construct, krefeld)) == sorted(local.construct(construct, krefeld))
    assert remote.query_kind("DESCRIBE ?x") == "CONSTRUCT"
    with pytest.raises(QueryError):
        remote.select("SELECT * WHERE { ?s ?p }")
    assert not RemoteEngine(loaded.query_url, default_graph="urn:x-empty", policy=FAST).ask("ASK { ?s ?p ?o }")


def test_endpoint_options_for_query_and_serve(loaded: OxigraphServer) -> None:
    import click
    from click.testing import CliRunner

    from krefeld_kg.commands_remote import endpoint_options, remote_engine

    @click.command()
    @endpoint_options
    def probe(endpoint: str, graph: str | None, user: str | None, password: str | None, timeout: float) -> None:
        engine = remote_engine(endpoint, graph, user=user, password=password, timeout=timeout)
        click.echo(f"{engine.default_graph} {engine.ask('ASK { ?s ?p ?o }')}")

    result = CliRunner().invoke(probe, ["--endpoint", loaded.query_url, "--timeout", "5"])
    assert result.exit_code == 0 and result.stdout == f"{DATASET} True\n"
    result = CliRunner().invoke(probe, ["--endpoint", loaded.query_url, "--graph", "default"])
    assert result.stdout == "None False\n"  # the release is in its named graph, not the default graph
    assert CliRunner().invoke(probe, ["--endpoint", loaded.query_url, "--graph", "not an iri"]).exit_code == 2
