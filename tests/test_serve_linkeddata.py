"""Linked data over HTTP: 303 from /id/, negotiation of /doc/ (table-driven), conditional requests, the RDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from krefeld_kg.errors import InputError
from krefeld_kg.namespaces import DEFAULT_BASE
from krefeld_kg.serve.app import create_app
from test_serve_fixture import write_release

FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
HTML = "text/html; charset=utf-8"
TURTLE = "text/turtle; charset=utf-8"
JSON_LD = "application/ld+json; charset=utf-8"
N_TRIPLES = "application/n-triples; charset=utf-8"
RDF_XML = "application/rdf+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
PARSERS = {
    TURTLE: ox.RdfFormat.TURTLE,
    JSON_LD: ox.RdfFormat.JSON_LD,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    RDF_XML: ox.RdfFormat.RDF_XML,
}
KREFELD = f"{DEFAULT_BASE}id/place/krefeld"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("linkeddata") / "dist")


@pytest.fixture(scope="module")
def client(release: Path) -> Iterator[TestClient]:
    with TestClient(create_app(release, workers=1), follow_redirects=False) as client:
        yield client


def graph(response: object) -> set[tuple[str, str, str]]:
    content_type = response.headers["content-type"]  # type: ignore[attr-defined]
    quads = ox.parse(response.content, format=PARSERS[content_type])  # type: ignore[attr-defined]
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in quads}


# (path, Accept, status, Content-Type); None: anything
NEGOTIATION = [
    # the thing: 303 to its document
    ("/id/place/krefeld", None, 303, TEXT),
    ("/id/place/krefeld", "text/turtle", 303, TEXT),
    ("/id/place/krefeld", FIREFOX, 303, TEXT),
    # unknown things: 404 in the format asked for
    ("/id/place/atlantis", "text/turtle", 404, TURTLE),
    ("/id/place/atlantis", "application/ld+json", 404, JSON_LD),
    ("/id/place/atlantis", FIREFOX, 404, HTML),
    ("/id/place/atlantis", None, 404, HTML),
    ("/id/planet/earth", "text/turtle", 404, TURTLE),
    ("/id/place/Not_A_Slug", FIREFOX, 404, HTML),
    # the document, negotiated
    ("/doc/place/krefeld", FIREFOX, 200, HTML),
    ("/doc/place/krefeld", None, 200, HTML),
    ("/doc/place/krefeld", "*/*", 200, HTML),
    ("/doc/place/krefeld", "text/turtle", 200, TURTLE),
    ("/doc/place/krefeld", "application/ld+json", 200, JSON_LD),
    ("/doc/place/krefeld", "application/n-triples", 200, N_TRIPLES),
    ("/doc/place/krefeld", "application/rdf+xml", 200, RDF_XML),
    ("/doc/place/krefeld", "application/rdf+xml;q=0.5, text/turtle;q=0.9", 200, TURTLE),
    ("/doc/place/krefeld", "text/html;q=0.1, application/n-triples;q=0.2", 200, N_TRIPLES),
    ("/doc/place/krefeld", "text/*", 200, HTML),
    ("/doc/place/krefeld", "application/*", 200, JSON_LD),
    ("/doc/place/krefeld", "application/json", 406, TEXT),
    ("/doc/place/krefeld", "text/turtle;q=0", 406, TEXT),
    ("/doc/place/krefeld", "application/x-turtle", 406, TEXT),
    # ?format= beats Accept
    ("/doc/place/krefeld?format=ttl", FIREFOX, 200, TURTLE),
    ("/doc/place/krefeld?format=jsonld", "text/turtle", 200, JSON_LD),
    ("/doc/place/krefeld?format=html", "text/turtle", 200, HTML),
    ("/doc/place/krefeld?format=application/n-triples", None, 200, N_TRIPLES),
    ("/doc/place/krefeld?format=", "text/turtle", 200, TURTLE),  # an empty value is no override
    ("/doc/place/krefeld?format=csv", None, 406, TEXT),
    # one URL per format, no negotiation
    ("/doc/place/krefeld.ttl", FIREFOX, 200, TURTLE),
    ("/doc/place/krefeld.jsonld", None, 200, JSON_LD),
    ("/doc/place/krefeld.nt", "text/html", 200, N_TRIPLES),
    ("/doc/place/krefeld.rdf", None, 200, RDF_XML),
    ("/doc/place/krefeld.html", "text/turtle", 200, HTML),
    ("/doc/place/krefeld.csv", "text/turtle", 404, TURTLE),
    ("/doc/place/atlantis.ttl", None, 404, TURTLE),
    ("/doc/place/atlantis", "application/n-triples", 404, N_TRIPLES),
    ("/doc/place/atlantis", "application/rdf+xml", 404, RDF_XML),
    # fragment-bearing resources and other types
    ("/doc/membership/krefeld--krzn", "text/turtle", 200, TURTLE),
    ("/doc/twinning/krefeld-charlotte", FIREFOX, 200, HTML),
    # index pages are HTML only
    ("/doc/place/", FIREFOX, 200, HTML),
    ("/doc/place/", "text/turtle", 406, TEXT),
    ("/doc/planet/", FIREFOX, 404, HTML),
    # nothing else is published
    ("/nothing/here", FIREFOX, 404, HTML),
    ("/nothing/here", "text/turtle", 404, TEXT),
]


@pytest.mark.parametrize(("path", "accept", "status", "content_type"), NEGOTIATION)
def test_negotiation(client: TestClient, path: str, accept: str | None, status: int, content_type: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == content_type
    if status == 200 and content_type in PARSERS:
        assert graph(response), "an RDF document that parses and is not empty"
    if status == 404 and content_type in PARSERS:
        assert graph(response) == set(), "a 404 in RDF is an empty graph"
    if status == 406:
        assert "text/turtle" in response.text or "text/html" in response.text  # says what is available


def test_303_points_at_the_document_and_keeps_the_query(client: TestClient) -> None:
    response = client.get("/id/place/krefeld")
    assert response.headers["location"] == "/doc/place/krefeld"
    response = client.get("/id/place/krefeld?lang=en&format=ttl")
    assert response.headers["location"] == "/doc/place/krefeld?lang=en&format=ttl"
    followed = client.get("/id/place/krefeld", headers={"Accept": "text/turtle"}, follow_redirects=True)
    assert followed.status_code == 200
    assert followed.headers["content-type"] == TURTLE


def test_negotiated_document_headers(client: TestClient) -> None:
    response = client.get("/doc/place/krefeld", headers={"Accept": "text/turtle"})
    assert "Accept" in response.headers["vary"]
    assert "Accept-Language" in response.headers["vary"]
    assert response.headers["content-location"] == "/doc/place/krefeld.ttl"
    link = response.headers["link"]
    for href, media_type in [
        ("/doc/place/krefeld.html", "text/html"),
        ("/doc/place/krefeld.ttl", "text/turtle"),
        ("/doc/place/krefeld.jsonld", "application/ld+json"),
        ("/doc/place/krefeld.nt", "application/n-triples"),
        ("/doc/place/krefeld.rdf", "application/rdf+xml"),
    ]:
        assert f'<{href}>; rel="alternate"; type="{media_type}"' in link
    assert f'<{KREFELD}>; rel="describes"' in link
    assert response.headers["etag"].startswith('"')
    assert response.headers["last-modified"].endswith("GMT")
    html = client.get("/doc/place/krefeld", headers={"Accept": FIREFOX})
    assert html.headers["content-language"] == "de"
    fixed = client.get("/doc/place/krefeld.ttl")
    assert "vary" not in fixed.headers or "Accept," not in fixed.headers["vary"]


def test_etags_differ_per_variant(client: TestClient) -> None:
    tags = {
        client.get("/doc/place/krefeld", headers={"Accept": accept, "Accept-Language": lang}).headers["etag"]
        for accept in ("text/turtle", "application/n-triples", FIREFOX)
        for lang in ("de", "en")
    }
    assert len(tags) == 4  # RDF does not vary by language, HTML does


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-None-Match": "{etag}"}, 304),
        ({"If-None-Match": "W/{etag}"}, 304),
        ({"If-None-Match": '"other", {etag}'}, 304),
        ({"If-None-Match": "*"}, 304),
        ({"If-None-Match": '"other"'}, 200),
        ({"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, 304),
        ({"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, 200),
        ({"If-Modified-Since": "not a date"}, 200),
        # If-None-Match decides when both are sent
        ({"If-None-Match": '"other"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, 200),
    ],
)
def test_revalidation(client: TestClient, headers: dict[str, str], status: int) -> None:
    for accept in ("text/turtle", FIREFOX):
        etag = client.get("/doc/place/krefeld", headers={"Accept": accept}).headers["etag"]
        sent = {k: v.replace("{etag}", etag) for k, v in headers.items()}
        response = client.get("/doc/place/krefeld", headers={"Accept": accept, **sent})
        assert response.status_code == status
        if status == 304:
            assert response.content == b""
            assert response.headers["etag"] == etag


def test_head_answers_like_get(client: TestClient) -> None:
    get = client.get("/doc/place/krefeld", headers={"Accept": "text/turtle"})
    head = client.head("/doc/place/krefeld", headers={"Accept": "text/turtle"})
    assert head.status_code == 200
    for name in ("content-type", "etag", "link", "vary", "content-length"):
        assert head.headers[name] == get.headers[name]
    assert client.head("/id/place/krefeld").status_code == 303
    assert client.head("/doc/place/atlantis").status_code == 404


def test_wrong_methods(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE"):
        response = client.request(method, "/doc/place/krefeld")
        assert response.status_code == 405
        assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("extension", ["ttl", "jsonld", "nt", "rdf"])
def test_description_holds_cbd_fragments_labels_and_incoming(client: TestClient, extension: str) -> None:
    triples = graph(client.get(f"/doc/membership/krefeld--krzn.{extension}"))
    ms = f"<{DEFAULT_BASE}id/membership/krefeld--krzn>"
    interval = f"<{DEFAULT_BASE}id/membership/krefeld--krzn#interval>"
    start = f"<{DEFAULT_BASE}id/membership/krefeld--krzn#start>"
    subjects = {s for s, _, _ in triples}
    assert {ms, interval, start} <= subjects, "fragment nodes belong to their resource"
    assert (
        f"<{DEFAULT_BASE}id/cooperation/krzn>",
        "<http://www.w3.org/2000/01/rdf-schema#label>",
        '"Kommunales Rechenzentrum Niederrhein"@de',
    ) in triples, "labels of what it links to"
    assert (
        f"<{DEFAULT_BASE}id/cooperation/krzn>",
        "<http://www.w3.org/ns/org#hasMember>",
        f"<{KREFELD}>",
    ) not in triples, "only the resource's own statements, its links' labels and its incoming links"


def test_a_twinning_is_visible_from_both_cities(client: TestClient) -> None:
    twinning = f"<{DEFAULT_BASE}id/twinning/krefeld-charlotte>"
    partner = "<https://w3id.org/krefeld-kg/ontology#partner>"
    krefeld = graph(client.get("/doc/place/krefeld.ttl"))
    charlotte = graph(client.get("/doc/place/charlotte.ttl"))
    assert (twinning, partner, f"<{KREFELD}>") in krefeld
    assert (twinning, partner, f"<{DEFAULT_BASE}id/place/charlotte>") in charlotte
    assert any(s == twinning and p.endswith("rdf-schema#label>") for s, p, _ in charlotte), "incoming with labels"


def test_turtle_starts_with_the_resource(client: TestClient) -> None:
    text = client.get("/doc/place/krefeld.ttl").text
    body = [line for line in text.splitlines() if line and not line.startswith("@prefix")]
    assert body[0].startswith("place:krefeld ")
    for unused in ("dcat", "spdx", "vcard", "countkind", "sh"):
        assert f"@prefix {unused}:" not in text, "only the prefixes the document uses"


def test_base_url_must_match_the_release(release: Path) -> None:
    with pytest.raises(InputError, match="built with the base IRI"):
        create_app(release, "http://example.org/kg/")
    with pytest.raises(InputError, match="run `krefeld-kg build` first"):
        create_app(release / "missing")


def test_a_damaged_release_is_refused(tmp_path: Path) -> None:
    damaged = write_release(tmp_path / "dist")
    (damaged / "krefeld-kg.ttl").write_text("changed", encoding="utf-8")
    with pytest.raises(InputError, match="does not match its checksum"):
        create_app(damaged)


def test_a_release_under_another_base(tmp_path: Path) -> None:
    base = "http://127.0.0.1:8000/"
    with TestClient(create_app(write_release(tmp_path / "dist", base), workers=1)) as client:
        assert client.get("/id/place/krefeld", follow_redirects=False).status_code == 303
        triples = graph(client.get("/doc/place/krefeld.nt"))
        assert any(s == f"<{base}id/place/krefeld>" for s, _, _ in triples)


def test_json_ld_is_compacted_with_the_prefixes_it_uses(client: TestClient) -> None:
    import json

    doc = json.loads(client.get("/doc/place/krefeld.jsonld").content)
    assert doc["@context"]["place"] == f"{DEFAULT_BASE}id/place/"
    assert "dcat" not in doc["@context"], "only the prefixes the document uses"
    nodes = {node["@id"]: node for node in doc["@graph"]}
    assert "place:krefeld" in nodes and list(nodes) == sorted(nodes)
    assert "schema:City" in nodes["place:krefeld"]["@type"]
    assert graph(client.get("/doc/place/krefeld.jsonld")) == graph(client.get("/doc/place/krefeld.nt"))
