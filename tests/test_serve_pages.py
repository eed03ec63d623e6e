"""The HTML: resource pages in both languages, escaping, sources, tables, map, schema.org, indexes, home,
downloads and the small routes around them."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from krefeld_kg.namespaces import DEFAULT_BASE
from krefeld_kg.serve.app import create_app
from test_serve_fixture import EVIL, write_release

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("pages") / "dist")


@pytest.fixture(scope="module")
def client(release: Path) -> Iterator[TestClient]:
    with TestClient(create_app(release, workers=1)) as client:
        yield client


def page(client: TestClient, path: str, **headers: str) -> str:
    response = client.get(path, headers={**BROWSER, **headers})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def text_of(markup: str) -> str:
    """The visible text, roughly: tags out, entities decoded, whitespace folded."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def section(markup: str, key: str) -> str:
    start = markup.index(f'id="{key}-h"')
    end = markup.find("</section>", start)
    return markup[start:end]


def test_resource_page_in_german(client: TestClient) -> None:
    markup = page(client, "/doc/place/krefeld")
    text = text_of(markup)
    assert '<html lang="de">' in markup
    assert "<h1>Krefeld</h1>" in markup
    assert "Stadt oder Gemeinde" in text  # the type, named by the ontology
    assert "Kreisfreie Stadt am Niederrhein." in text
    assert "Samt- und Seidenstadt." in text  # notes
    assert "District-free city" not in text  # the other language's description stays out
    assert "51,3333° N, 6,5667° O" in text
    assert 'href="http://www.wikidata.org/entity/Q2805"' in markup
    assert 'href="/doc/place/charlotte"' in markup  # local resources link to their pages


def test_resource_page_in_english(client: TestClient) -> None:
    markup = page(client, "/doc/place/krefeld?lang=en")
    text = text_of(markup)
    assert '<html lang="en">' in markup
    assert "District-free city on the Lower Rhine." in text
    assert "23 May 1986" in text
    assert "51.3333° N, 6.5667° E" in text
    assert 'href="/doc/place/charlotte?lang=en"' in markup, "a chosen language sticks to the links"
    by_header = client.get("/doc/place/krefeld", headers={**BROWSER, "Accept-Language": "en-GB,en;q=0.9"})
    assert by_header.headers["content-language"] == "en"
    assert 'href="/doc/place/charlotte"' in by_header.text, "a negotiated language needs no parameter"


def test_dates_and_relations_tables(client: TestClient) -> None:
    markup = page(client, "/doc/place/krefeld")
    memberships = text_of(section(markup, "memberships"))
    assert "Kommunales Rechenzentrum Niederrhein" in memberships
    assert "Mitglied" in memberships and "1971" in memberships
    relations = text_of(section(markup, "relations"))
    assert "Städtepartnerschaft Krefeld–Charlotte" in relations
    assert "Charlotte" in relations and "23. Mai 1986" in relations and "aktiv" in relations
    events = text_of(section(markup, "events"))
    assert "Besuch 2021" in events and "23. Mai 2021" in events and "Ort" in events
    members = text_of(section(page(client, "/doc/cooperation/krzn"), "members"))
    assert "Krefeld" in members and "1971" in members


def test_a_twinning_shows_on_both_city_pages(client: TestClient) -> None:
    for city, other in (("krefeld", "Charlotte"), ("charlotte", "Krefeld")):
        relations = text_of(section(page(client, f"/doc/place/{city}"), "relations"))
        assert "Städtepartnerschaft Krefeld–Charlotte" in relations
        assert other in relations


def test_sources_next_to_the_facts_and_per_relation(client: TestClient) -> None:
    markup = page(client, "/doc/place/krefeld")
    aside = markup[markup.index('id="sources-h"') : markup.index("</aside>")]
    assert "Quelle eins" in aside and "Quelle zwei" in aside
    assert 'href="https://example.org/one"' in aside
    assert "Betreiber von example.org" in aside
    assert "javascript:" not in markup, "a javascript: URL in the data never becomes a link"
    relations = section(markup, "relations")
    number = re.search(r'href="#source-(\d+)"', relations)
    assert number is not None, "each relation row cites its own sources"
    more = section(markup, "more-sources")
    assert f'id="source-{number.group(1)}"' in more and "Quelle drei" in more


def test_claims_and_fragments(client: TestClient) -> None:
    claims = text_of(section(page(client, "/doc/twinning/krefeld-charlotte"), "claims"))
    assert "1985" in claims and "nein" in claims
    membership = text_of(page(client, "/doc/membership/krefeld--krzn"))
    assert "Zeitraum Beginn: 1971" in membership, "the #interval and #start fragments read as one fact"


def test_every_literal_is_escaped(client: TestClient) -> None:
    markup = page(client, "/doc/organisation/evil")
    assert EVIL not in markup
    assert "<h1>&lt;script&gt;alert(" in markup
    json_ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', markup, re.S)
    assert json_ld is not None
    assert json.loads(json_ld.group(1))["name"] == EVIL, "escaped for HTML, intact as data"
    assert "<script>" not in json_ld.group(1)
    krefeld = page(client, "/doc/place/krefeld")
    assert EVIL not in krefeld and "&lt;script&gt;" in krefeld  # the incoming link's label, escaped too
    assert EVIL not in page(client, "/doc/organisation/")


def test_schema_org_json_ld(client: TestClient) -> None:
    markup = page(client, "/doc/place/krefeld")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', markup, re.S).group(1))
    assert data["@context"] == "https://schema.org"
    assert data["@id"] == f"{DEFAULT_BASE}id/place/krefeld"
    assert "City" in data["@type"]
    assert data["name"] == "Krefeld"
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": "51.3333", "longitude": "6.5667"}
    assert "http://www.wikidata.org/entity/Q2805" in data["sameAs"]


def test_alternate_links_and_no_outside_assets(client: TestClient) -> None:
    markup = page(client, "/doc/place/krefeld")
    for media_type, href in [
        ("text/turtle", "/doc/place/krefeld.ttl"),
        ("application/ld+json", "/doc/place/krefeld.jsonld"),
        ("application/n-triples", "/doc/place/krefeld.nt"),
        ("application/rdf+xml", "/doc/place/krefeld.rdf"),
    ]:
        assert f'<link rel="alternate" type="{media_type}" href="{href}"' in markup
    assert not re.search(r"<script[^>]*\bsrc=", markup), "no script files"
    for tag in re.findall(r"<(?:link|img|iframe|source)\b[^>]*>", markup):
        url = re.search(r'(?:href|src)="([^"]*)"', tag)
        assert url is None or url.group(1).startswith(("/", "?")), f"asset from elsewhere: {tag}"
    assert "@import" not in client.get("/static/style.css").text


def test_map_for_places_with_coordinates_only(client: TestClient) -> None:
    markup = page(client, "/doc/place/krefeld")
    figure = section(markup, "map")
    assert figure.count("<svg") == 2
    assert 'role="img"' in figure and "<title" in figure
    assert "Duisburg" in figure, "nearby places of the dataset appear on the close-up"
    assert 'href="/doc/place/duisburg"' in figure
    assert "Charlotte" not in figure.split("region-title")[1], "far-away places stay off the close-up"
    assert "<svg" not in page(client, "/doc/place/nowhere-town")
    assert "<svg" not in page(client, "/doc/twinning/krefeld-charlotte")


def test_index_pages(client: TestClient) -> None:
    markup = page(client, "/doc/place/")
    assert "Orte (4 Einträge)" in text_of(markup)
    listed = re.findall(r'<li><a href="/doc/place/([a-z-]+)"', markup[markup.index('<ul class="index">') :])
    assert listed == ["charlotte", "duisburg", "krefeld", "nowhere-town"], "alphabetical by name"
    assert "Places (4 entries)" in text_of(page(client, "/doc/place/?lang=en"))


def test_home_page_with_downloads(client: TestClient, release: Path) -> None:
    markup = page(client, "/")
    text = text_of(markup)
    assert "Testdaten zu Krefeld" in text and "Ein kleiner Datensatz für die Tests." in text
    assert 'href="http://dcat-ap.de/def/licenses/dl-by-de/2.0"' in markup
    assert "Stadt Krefeld, krefeld-kg (Test)" in text
    data = (release / "krefeld-kg.nt").read_bytes()
    assert hashlib.sha256(data).hexdigest() in markup
    assert 'href="/download/krefeld-kg.nt"' in markup
    assert 'href="/catalog.ttl"' in markup
    assert "Test data about Krefeld" in text_of(page(client, "/?lang=en"))
    turtle = client.get("/", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.content == (release / "catalog.ttl").read_bytes()


def test_downloads(client: TestClient, release: Path) -> None:
    response = client.get("/download/krefeld-kg.nt")
    data = (release / "krefeld-kg.nt").read_bytes()
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "application/n-triples; charset=utf-8"
    assert response.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    again = client.get("/download/krefeld-kg.nt", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/download/SHA256SUMS").text == (release / "SHA256SUMS").read_text()
    for missing in ("/download/nothing.ttl", "/download/..%2Fkrefeld-kg.nt", "/download/.hidden"):
        assert client.get(missing).status_code == 404
    catalog = client.get("/catalog.ttl")
    assert catalog.status_code == 200 and catalog.headers["content-type"] == "text/turtle; charset=utf-8"


def test_static_and_health(client: TestClient) -> None:
    markup = page(client, "/")
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]+)"', markup)
    assert css is not None
    response = client.get(css.group(1))
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert "immutable" in response.headers["cache-control"]
    assert client.get("/static/nothing.js").status_code == 404
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["triples"] > 50 and health["workers"]["alive"] == 1


def test_errors_are_pages_for_browsers_and_text_for_the_rest(client: TestClient) -> None:
    browser = client.get("/doc/place/atlantis", headers=BROWSER)
    assert browser.status_code == 404 and "<h1>Nicht gefunden" in browser.text
    assert 'href="/doc/place/"' in browser.text
    plain = client.get("/nothing", headers={"Accept": "text/plain"})
    assert plain.status_code == 404 and plain.headers["content-type"].startswith("text/plain")
