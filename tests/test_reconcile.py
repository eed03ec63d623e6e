"""reconcile: the real release against a small hand-written Wikidata-shaped fixture served by a real
`oxigraph serve` (tests/fixtures/wikidata/*.ttl lists the deliberate disagreements it holds)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from click.testing import CliRunner

from krefeld_kg import query as q
from krefeld_kg.commands_remote import reconcile as reconcile_command
from krefeld_kg.reconcile import STATUSES, Fact, Report, reconcile, render, same_date, show, wikidata_precision
from krefeld_kg.remote import RemoteEngine, RetryPolicy
from oxigraph_server import FakeServer, OxigraphServer, free_port

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "wikidata"
POLICY = RetryPolicy(timeout=20.0, attempts=2, backoff=0.1, deadline=30.0)


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    with OxigraphServer(tmp_path_factory.mktemp("wikidata") / "store") as server:
        for path in sorted(FIXTURE.glob("*.ttl")):
            httpx.post(
                server.store_url + "?default", content=path.read_bytes(), headers={"Content-Type": "text/turtle"}
            ).raise_for_status()
        yield server


@pytest.fixture(scope="module")
def report(wikidata: OxigraphServer, release_dir: Path) -> Report:
    return reconcile(q.load_release(release_dir), RemoteEngine(wikidata.query_url, policy=POLICY))


def fact(report: Report, kind: str, subject: str, obj: str, aspect: str) -> Fact:
    found = [
        f
        for f in report.facts
        if f.kind == kind and f.subject.startswith(subject) and f.object.startswith(obj) and f.aspect == aspect
    ]
    assert len(found) == 1, (kind, subject, obj, aspect, found)
    return found[0]


def test_twinnings(report: Report) -> None:
    def twin(partner: str, aspect: str) -> tuple[str, str, str]:
        f = fact(report, "twinning", "place:krefeld (Q2805)", partner, aspect)
        return f.status, f.here, f.wikidata

    assert twin("place:venlo (Q3322237)", "exists") == ("agrees", "yes", "yes")
    assert twin("place:venlo", "start") == ("agrees", "1964-11-21", "1964-11-21")
    assert twin("place:duenkirchen (Q45797)", "start") == ("agrees", "1974-06-15", "1974-06-15")  # Dunkirk's side
    assert twin("place:leicester", "start") == ("agrees", "1969-05-14", "1969")  # year precision in Wikidata
    assert twin("place:charlotte", "start") == ("differs", "1986-05-23", "1986-05-03")  # the deprecated 1985 ignored
    assert twin("place:leiden", "start") == ("missing-in-wikidata", "1974-10-03", "")
    assert twin("place:uljanowsk", "start")[0] == "agrees"
    assert twin("place:uljanowsk", "end") == ("missing-here", "", "2022-03-31")
    assert twin("place:kayseri (Q48338)", "exists") == ("missing-in-wikidata", "yes", "")
    assert twin("place:kayseri-grossstadtgemeinde (Q28479134)", "exists") == (
        "missing-here",
        "",
        "yes (since 2008-06-25)",
    )
    assert twin("place:kropyvnytskyi", "exists")[0] == "missing-here"
    assert not any(f.object.startswith("place:leiden") and f.subject.startswith("place:venlo") for f in report.facts)
    assert any("landkreis-oder-spree" in note for note in report.not_compared)


def test_memberships_and_founding_dates(report: Report) -> None:
    euregio = "coop:euregio-rhein-maas-nord (Q1374344)"
    assert fact(report, "membership", "place:krefeld (Q2805)", euregio, "exists").status == "agrees"
    assert fact(report, "membership", "place:duesseldorf", euregio, "exists").status == "missing-in-wikidata"
    assert fact(report, "membership", "place:rhein-kreis-neuss", euregio, "exists").status == "missing-in-wikidata"
    assert fact(report, "membership", "place:venlo", euregio, "exists").status == "missing-here"
    start = fact(report, "membership", "place:moenchengladbach", euregio, "start")
    assert (start.status, start.wikidata) == ("missing-here", "2004-06")
    founding = fact(report, "founding", euregio, "", "inception")
    assert (founding.status, founding.here, founding.wikidata) == ("differs", "1978", "2004-06")
    assert any("orgn:ihk-mittlerer-niederrhein" in note for note in report.not_compared)
    assert set(report.counts()) == set(STATUSES) and all(report.counts().values())


def test_batches_of_one_give_the_same_report(report: Report, wikidata: OxigraphServer, release_dir: Path) -> None:
    again = reconcile(q.load_release(release_dir), RemoteEngine(wikidata.query_url, policy=POLICY), batch=1)
    assert again.facts == report.facts and again.not_compared == report.not_compared


def test_labels_name_items_we_do_not_link(release_dir: Path, tmp_path: Path) -> None:
    turtle = b"""@prefix wd: <http://www.wikidata.org/entity/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
wd:Q2805 p:P190 <http://www.wikidata.org/entity/statement/Q2805-P190-x> .
<http://www.wikidata.org/entity/statement/Q2805-P190-x> ps:P190 wd:Q999999999 .
wd:Q999999999 rdfs:label "Somewhere"@en, "Irgendwo"@de .
"""
    with OxigraphServer(tmp_path / "store") as server:
        httpx.post(server.store_url + "?default", content=turtle, headers={"Content-Type": "text/turtle"})
        found = reconcile(q.load_release(release_dir), RemoteEngine(server.query_url, policy=POLICY))
    assert fact(found, "twinning", "place:krefeld", "wd:Q999999999 Somewhere", "exists").status == "missing-here"
    assert fact(found, "twinning", "place:krefeld", "place:venlo", "exists").status == "missing-in-wikidata"


def test_cli_formats_and_exit_codes(wikidata: OxigraphServer, release_dir: Path) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            reconcile_command, ["--endpoint", wikidata.query_url, "--release", str(release_dir), *args]
        )
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run()
    assert code == 0
    assert re.search(r"\(\d+ facts: \d+ agrees, 2 differs, \d+ missing-in-wikidata, \d+ missing-here\)", out)
    assert "not compared (no owl:sameAs to Wikidata):" in out
    code, out, _ = run("--format", "json")
    data = json.loads(out)
    assert code == 0 and data["counts"]["differs"] == 2 and data["endpoint"] == wikidata.query_url
    assert {"kind", "subject", "object", "aspect", "status", "here", "wikidata"} == set(data["facts"][0])
    code, out, _ = run("--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == len(data["facts"])
    assert {r["status"] for r in rows} == set(STATUSES)
    assert run("--strict")[0] == 1


def test_batched_values_queries_with_a_user_agent(release_dir: Path) -> None:
    empty = b'{"head": {"vars": []}, "results": {"bindings": []}}'
    with FakeServer(status=200, body=empty, headers={"Content-Type": "application/sparql-results+json"}) as fake:
        result = CliRunner().invoke(
            reconcile_command,
            [
                "--endpoint",
                fake.url + "/sparql",
                "--release",
                str(release_dir),
                "--batch-size",
                "3",
                "--format",
                "json",
            ],
        )
    assert result.exit_code == 0, result.stderr
    queries = [parse_qs(r.body.decode())["query"][0] for r in fake.requests]
    assert all(r.headers["User-Agent"].startswith("krefeld-kg/") for r in fake.requests)
    values = [re.search(r"VALUES \?\w+ \{ ([^}]*) \}", text) for text in queries]
    assert all(v is not None and 1 <= len(v.group(1).split()) <= 3 for v in values)
    assert len(queries) >= 4  # twinning partners alone need several batches of three
    assert json.loads(result.stdout)["counts"]["missing-here"] == 0


def test_unreachable_or_failing_endpoint_exits_2(release_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    for endpoint, expected in ((url, "connection refused"), (None, "HTTP 500 Internal Server Error: overloaded")):
        with FakeServer(status=500, body=b"overloaded\n") as fake:
            started = time.monotonic()
            result = CliRunner().invoke(
                reconcile_command, ["--endpoint", endpoint or fake.url, "--release", str(release_dir), "--timeout", "1"]
            )
        assert result.exit_code == 2 and time.monotonic() - started < 10
        assert expected in result.stderr and result.stderr.count("\n") == 1 and result.stdout == ""


def test_dates_compare_at_the_coarser_precision() -> None:
    assert wikidata_precision("1969-01-01T00:00:00Z", None) == 9
    assert wikidata_precision("2004-06-01T00:00:00Z", None) == 10
    assert wikidata_precision("1986-05-03T00:00:00Z", None) == 11
    assert wikidata_precision("1986-01-01T00:00:00Z", 11) == 11
    assert same_date("1969-05-14", 11, "1969-01-01T00:00:00Z", 9)
    assert not same_date("1986-05-23", 11, "1986-05-03T00:00:00Z", 11)
    assert same_date("2004", 9, "2004-06-01T00:00:00Z", 10)
    assert same_date("1978", 9, "1971-01-01T00:00:00Z", 8)  # the 1970s
    assert show("2004-06-01T00:00:00Z", 10) == "2004-06" and show("+1840-01-01T00:00:00Z", 9) == "1840"
    with pytest.raises(ValueError):
        render(Report([]), "xml")
