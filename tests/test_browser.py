"""End-to-end tests in a real browser: Playwright drives Debian's headless Chromium (/usr/bin/chromium, installed by
.ci/install-system; Playwright never downloads a browser here) against a real ``krefeld-kg serve`` process on
127.0.0.1 serving the real release. A person's path through the site: the home page, a city, a cooperation, the
other language, the query page with YASGUI running a catalogue query and a result link, and the same without
JavaScript. Every request the browser makes must stay on the server under test; screenshots are kept in
test-artifacts/browser/.

Without Chromium, Playwright or YASGUI (web/node_modules) these tests skip locally with the reason, but fail in
CI (CI=true), which installs all three. The first part of the module checks the server side of the query page
(YASGUI's files, its configuration, the fallback without it) and needs no browser.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from starlette.testclient import TestClient

from krefeld_kg import query as catalogue_module
from krefeld_kg.serve import yasgui as yasgui_module
from krefeld_kg.serve.app import create_app
from test_serve_fixture import write_release
from test_serve_load import ARTIFACTS, ServeProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path(os.environ.get("KREFELD_KG_CHROMIUM", "/usr/bin/chromium"))
SHOTS = ARTIFACTS / "browser"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
# What works with Debian's Chromium on a machine without outside network (the background-networking flags keep
# it from calling home). Playwright adds --headless and a fresh --user-data-dir of its own for every launch.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
BROWSER_HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where .ci/install-system provides everything."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must provide it: run .ci/install-system)")
    pytest.skip(reason)


# --------------------------------------------------------------------------------------------------------------
# the server side of the query page: no browser needed


@pytest.fixture(scope="module")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_release(tmp_path_factory.mktemp("browser") / "dist")


@pytest.fixture(scope="module")
def yasgui_installed() -> None:
    if not yasgui_module.default_directory().joinpath("yasgui.min.js").is_file():
        unavailable("YASGUI is not installed in web/node_modules (npm ci in web/)")


@pytest.fixture(scope="module")
def client(fixture_release: Path, yasgui_installed: None) -> Iterator[TestClient]:
    with TestClient(create_app(fixture_release, workers=1)) as client:
        yield client


def sparql_page(client: TestClient, path: str = "/sparql") -> str:
    response = client.get(path, headers={"Accept": BROWSER_HTML})
    assert response.status_code == 200
    return response.text


def test_query_page_loads_yasgui_from_this_server(client: TestClient) -> None:
    page = sparql_page(client)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert [s.split("?")[0] for s in scripts] == ["/static/yasgui/yasgui.min.js", "/static/query.js"]
    assert "/static/yasgui/yasgui.min.css" in [s.split("?")[0] for s in styles]
    for url in scripts + styles:
        assert url.startswith("/"), f"asset from elsewhere: {url}"
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")
    js = client.get(scripts[0], headers={"Accept-Encoding": "gzip"})
    assert js.headers["content-encoding"] == "gzip" and "immutable" in js.headers["cache-control"]
    assert "Yasgui" in js.text  # httpx undoes the gzip
    again = client.get(scripts[0], headers={"Accept-Encoding": "gzip", "If-None-Match": js.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/static/yasgui/package.json").status_code == 404, "only the built files are served"
    assert client.get("/static/yasgui/..%2F..%2Fpackage.json").status_code == 404
    # The no-JS form stays in the page for readers without JavaScript; the editor replaces it when it loads.
    assert '<form method="get" action="/sparql" class="query">' in page
    assert '<div id="yasgui" class="yasgui-mount" hidden' in page


def test_yasgui_gets_the_catalogue_and_the_base(client: TestClient) -> None:
    page = sparql_page(client, "/sparql?lang=en")
    found = re.search(r'data-config="([^"]*)"', page)
    assert found is not None
    config = json.loads(html.unescape(found.group(1)))
    titles = [e["title"] for e in config["examples"]]
    assert titles == [named.title or named.name for named in catalogue_module.catalogue()]
    assert all(
        e["query"].lstrip().upper().startswith(("PREFIX", "SELECT", "ASK", "CONSTRUCT", "BASE"))
        for e in config["examples"]
    )
    assert config["base"] == "https://w3id.org/krefeld-kg/" and "place" in config["types"]
    assert config["query"] == "?lang=en" and config["texts"]["open"] == "Open and run"
    assert config["prefixes"]["place"] == "https://w3id.org/krefeld-kg/id/place/"
    assert "SELECT" in config["initial"]
    # Every example's no-JS link says which example it is, so the editor can open it instead.
    assert len(re.findall(r'data-example="\d+"', page)) == len(titles)


def test_result_and_error_pages_stay_plain(client: TestClient) -> None:
    result = sparql_page(client, "/sparql?query=ASK%20%7B%7D")
    assert "yasgui" not in result.lower()
    error = client.get("/sparql?query=SELECT", headers={"Accept": BROWSER_HTML})
    assert error.status_code == 400 and "yasgui" not in error.text.lower()


def test_without_yasgui_the_form_says_how_to_install(
    fixture_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(yasgui_module.ENV_DIR, str(tmp_path / "nothing"))
    with TestClient(create_app(fixture_release, workers=1)) as plain:
        page = sparql_page(plain)
        assert "<script src=" not in page and 'id="yasgui"' not in page
        assert '<form method="get" action="/sparql" class="query">' in page
        assert "npm ci" in page and "YASGUI" in page
        assert plain.get("/static/yasgui/yasgui.min.js").status_code == 404


def test_etags_change_with_yasgui(
    fixture_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    with_editor = client.get("/sparql", headers={"Accept": BROWSER_HTML}).headers["etag"]
    monkeypatch.setenv(yasgui_module.ENV_DIR, str(tmp_path / "nothing"))
    with TestClient(create_app(fixture_release, workers=1)) as plain:
        without = plain.get("/sparql", headers={"Accept": BROWSER_HTML}).headers["etag"]
    assert with_editor != without, "a page cached with the editor must not be revalidated as the page without"


# --------------------------------------------------------------------------------------------------------------
# in the browser


@pytest.fixture(scope="module")
def server(release_dir: Path) -> Iterator[ServeProcess]:
    with ServeProcess(release_dir, ARTIFACTS / "browser-server.log", "--workers", "1") as process:
        yield process


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Session:
    """One browser context against the server: every request that leaves it is refused and recorded, and so
    is every uncaught script error."""

    def __init__(self, browser: Browser, server: ServeProcess, **options: Any) -> None:
        self.server = server
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith((self.server.url + "/", "data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def goto(self, path: str) -> None:
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.status == 200, path

    def path(self) -> str:
        return self.page.url.removeprefix(self.server.url)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"requests to elsewhere: {self.outside}"
        assert self.errors == [], f"script errors: {self.errors}"


@pytest.fixture
def german(browser: Browser, server: ServeProcess) -> Iterator[Session]:
    session = Session(browser, server, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"})
    yield session
    session.close()


def heading(session: Session) -> str:
    return session.page.locator("h1").first.inner_text().strip()


def test_home_city_and_cooperation(german: Session) -> None:
    german.goto("/")
    assert german.page.locator("html").get_attribute("lang") == "de"
    german.shot("01-home")
    german.page.locator('ul.counts a[href="/doc/place/"]').click()
    german.page.wait_for_url(re.compile(r"/doc/place/$"))
    assert heading(german).startswith("Orte")
    german.page.locator('ul.index a[href="/doc/place/krefeld"]').click()
    german.page.wait_for_url(re.compile(r"/doc/place/krefeld$"))
    assert heading(german) == "Krefeld"
    german.shot("02-city-krefeld")
    cooperation = german.page.locator('main a[href^="/doc/cooperation/"]').first
    name = cooperation.inner_text().strip()
    cooperation.click()
    german.page.wait_for_url(re.compile(r"/doc/cooperation/[a-z0-9-]+"))
    assert heading(german) == name
    assert german.page.locator("p.kind").inner_text().startswith("Kooperationen")
    german.shot("03-cooperation")


def test_switch_language(german: Session) -> None:
    german.goto("/doc/place/krefeld")
    assert german.page.locator("a.switch").inner_text() == "English"
    german.page.locator("a.switch").click()
    german.page.wait_for_url(re.compile(r"lang=en"))
    assert german.page.locator("html").get_attribute("lang") == "en"
    assert german.page.locator("a.switch").inner_text() == "Deutsch"
    german.shot("04-city-in-english")
    # The chosen language sticks to the links: the navigation keeps ?lang=en.
    german.page.locator('header.site a[href="/doc/twinning/?lang=en"]').click()
    german.page.wait_for_url(re.compile(r"/doc/twinning/\?lang=en$"))
    assert german.page.locator("html").get_attribute("lang") == "en"
    assert heading(german).startswith("Town twinnings")


def test_catalogue_query_in_yasgui_and_a_result_link(german: Session, yasgui_installed: None) -> None:
    title = next(named.title for named in catalogue_module.catalogue() if named.name == "partners-by-start-date")
    german.goto("/sparql?lang=en")
    page = german.page
    page.wait_for_selector("#yasgui .CodeMirror")
    assert page.locator("form.query").is_hidden(), "the plain form steps aside for the editor"
    assert "SELECT" in page.locator("#yasgui .CodeMirror").inner_text()
    german.shot("05-query-page")
    page.select_option("#yasgui-example", label=title)
    page.locator(".yasgui-examples button").click()
    page.locator('.yasr table a.iri[href^="/doc/twinning/"]').first.wait_for()
    assert page.locator('.yasgui .tab.active a[role="tab"]').inner_text().startswith(title)
    assert "VALUES" in page.locator("#yasgui .tabPanel.active .CodeMirror").inner_text()
    german.shot("06-query-results")
    # The partner column (the fourth: row number, city, lang, start, partner) is wide enough not to be cut off;
    # a cut-off cell takes the first click to show itself in full.
    link = page.locator(".yasr table tbody tr").first.locator('td:nth-child(5) a.iri[href^="/doc/place/"]')
    href = link.get_attribute("href")
    assert href is not None and href.endswith("?lang=en"), "result links keep the chosen language"
    partner = link.inner_text().removeprefix("place:")
    link.click()
    page.wait_for_url(re.compile(r"/doc/place/[a-z0-9-]+\?lang=en$"))
    assert german.path() == href and german.path().startswith(f"/doc/place/{partner}")
    assert page.locator("html").get_attribute("lang") == "en" and heading(german)
    german.shot("07-result-link-followed")
    page.go_back()
    page.locator('.yasr table a.iri[href^="/doc/twinning/"]').first.wait_for()  # YASGUI kept the results


def test_examples_list_opens_in_yasgui(german: Session, yasgui_installed: None) -> None:
    german.goto("/sparql")
    page = german.page
    page.wait_for_selector("#yasgui .CodeMirror")
    first = page.locator("a[data-example]").first
    page.locator("section details").first.locator("summary").click()
    first.click()
    page.wait_for_selector(".yasr .dataTable, .yasr .errorResult, .yasr .booleanResult", timeout=TIMEOUT_MS)
    assert german.path() == "/sparql", "the example ran in the editor, not as a page of its own"
    assert page.locator('.yasgui a[role="tab"]').count() == 2


def test_query_page_without_javascript(browser: Browser, server: ServeProcess) -> None:
    session = Session(
        browser,
        server,
        java_script_enabled=False,
        locale="en-GB",
        extra_http_headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    try:
        session.goto("/sparql")
        page = session.page
        assert page.locator("form.query").is_visible()
        assert page.locator("#yasgui").is_hidden()
        query = "SELECT ?city WHERE { ?city <https://w3id.org/krefeld-kg/ontology#twinnedWith> ?other } LIMIT 5"
        page.fill("#query", query)
        page.locator("form.query button[type=submit]").click()
        page.wait_for_url(re.compile(r"/sparql\?query="))
        link = page.locator('main table a[href^="/doc/place/"]').first
        link.wait_for()
        session.shot("08-no-javascript-results")
        link.click()
        page.wait_for_url(re.compile(r"/doc/place/[a-z0-9-]+"))
        assert page.locator("p.kind").inner_text().startswith("Places")
    finally:
        session.close()
