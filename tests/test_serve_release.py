"""The server on the real release: every resource dereferences, every page renders, every local link on a
page points at a resource that exists, and every example query of the catalogue runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from krefeld_kg.serve.app import create_app


@pytest.fixture(scope="module")
def client(release_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(release_dir, workers=2), follow_redirects=False) as client:
        yield client


def test_every_resource_dereferences_and_renders(client: TestClient) -> None:
    site = client.app.state.site  # type: ignore[attr-defined]
    base = site.index.base
    iris = sorted(site.index.known)
    assert len(iris) > 300
    broken: list[str] = []
    for iri in iris:
        path = iri[len(base) - 1 :]  # /id/{type}/{slug}
        see_other = client.get(path)
        assert see_other.status_code == 303, path
        document = see_other.headers["location"]
        page = client.get(document, headers={"Accept": "text/html", "Accept-Language": "en"})
        assert page.status_code == 200, document
        for href in re.findall(r'href="(/doc/[a-z]+/[a-z0-9-]+)[?#"]', page.text):
            if f"{base}id/{unquote(href[5:])}" not in site.index.known:
                broken.append(f"{document} → {href}")
        turtle = client.get(document, headers={"Accept": "text/turtle"})
        assert list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)), document
    assert broken == []


def test_catalogue_examples_run(client: TestClient) -> None:
    site = client.app.state.site  # type: ignore[attr-defined]
    failures = []
    for example in site.pages.examples:
        response = client.get(example.href, headers={"Accept": "application/sparql-results+json"})
        if response.status_code != 200:
            failures.append(f"{example.title}: {response.status_code} {response.text[:200]}")
    assert failures == []


def test_home_page_lists_the_release(client: TestClient, release_dir: Path) -> None:
    page = client.get("/", headers={"Accept": "text/html"}).text
    for line in (release_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert digest in page and f'href="/download/{name}"' in page
