"""YASGUI on the query page: the SPARQL editor and result viewer users know, served from this server.

YASGUI (``@zazuko/yasgui``, MIT) is installed from the npm registry into ``web/node_modules`` by
``.ci/install-system`` (``npm ci`` in ``web/``); nothing is fetched from a CDN. Its built files are served at
``/static/yasgui/{file}?v={version}`` (immutable: the version is in the URL), gzipped for clients that take it.
``static/query.js`` sets it up from the page's ``data-config``: this endpoint only, the catalogue queries as
examples, no suggestions fetched from elsewhere, and IRIs of this dataset in results linking to their pages.

Without the files (a wheel install, or ``npm ci`` not run) the page keeps its plain form, which works without
JavaScript anyway, and says how to install the editor; the server logs the same once at start.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..namespaces import RESOURCE_TYPES, all_prefixes, project_root
from .site import CACHE_CONTROL

log = logging.getLogger("krefeld_kg.serve")

PACKAGE = "@zazuko/yasgui"
WEB_DIR = project_root() / "web"
ENV_DIR = "KREFELD_KG_YASGUI_DIR"  # another build directory of the package (the one holding yasgui.min.js)
INSTALL_HINT = "run `npm ci` in web/ (or `bash .ci/install-system`) and restart the server"

#: The files served, by name, with their media types. The source map only matters with developer tools open.
FILES = {
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "yasgui.min.css": "text/css; charset=utf-8",
    "yasgui.min.js.map": "application/json",
}
_COMPRESSIBLE_OVER = 1024

TEXTS: dict[str, tuple[str, str]] = {
    "examples": ("Beispielabfrage", "Example query"),
    "choose": ("– Beispiel aus dem Katalog wählen –", "– choose one from the catalogue –"),
    "open": ("Öffnen und ausführen", "Open and run"),
    "editor_missing": (
        "Der interaktive Abfrage-Editor (YASGUI) ist auf diesem Server nicht installiert; das Formular oben "
        "funktioniert auch ohne ihn. Für Betreiber:",
        "The interactive query editor (YASGUI) is not installed on this server; the form above works without "
        "it. For operators:",
    ),
}


class ExampleLike(Protocol):
    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class _Asset:
    body: bytes
    etag: str
    media_type: str


def default_directory() -> Path:
    configured = os.environ.get(ENV_DIR)
    if configured:
        return Path(configured)
    return WEB_DIR / "node_modules" / PACKAGE / "build"


class Yasgui:
    """The YASGUI files of one installation and what the query page needs to load them."""

    def __init__(self, base: str, directory: Path | None = None, static_version: str = "") -> None:
        self.base = base
        self.setup_url = f"/static/query.js?v={static_version}" if static_version else "/static/query.js"
        self.directory = directory or default_directory()
        self.version = ""
        self.tag = "none"
        self.problem: str | None = None
        self._assets: dict[tuple[str, bool], _Asset] = {}
        self._configs: dict[tuple[str, str, str, int], str] = {}
        self._prefixes = all_prefixes(base)
        missing = [name for name in ("yasgui.min.js", "yasgui.min.css") if not (self.directory / name).is_file()]
        if missing:
            self.problem = f"{PACKAGE} is not installed ({', '.join(missing)} missing in {self.directory})"
            log.warning("query page without YASGUI: %s; %s", self.problem, INSTALL_HINT)
            return
        try:
            manifest = json.loads((self.directory.parent / "package.json").read_text(encoding="utf-8"))
            self.version = str(manifest.get("version") or "")
        except (OSError, ValueError):
            pass
        # The digest of the files themselves, so a reinstall of the same version with other bytes still busts caches.
        digest = hashlib.sha256()
        for name in ("yasgui.min.js", "yasgui.min.css"):
            digest.update((self.directory / name).read_bytes())
        self.tag = f"{self.version or 'unknown'}-{digest.hexdigest()[:10]}"

    @property
    def available(self) -> bool:
        return self.problem is None

    def versioned(self, version: str) -> str:
        """``version`` (the pages' version, part of every ETag) changed by whether and which YASGUI is served."""
        extra = self.tag if self.available else "none"
        return hashlib.sha256(f"{version}-yasgui-{extra}".encode()).hexdigest()[:16]

    def url(self, name: str) -> str:
        return f"/static/yasgui/{name}?v={self.tag}"

    @property
    def hint(self) -> str:
        return INSTALL_HINT

    def text(self, key: str, lang: str) -> str:
        de, en = TEXTS[key]
        return de if lang == "de" else en

    def config(
        self, lang: str, query: str, examples: Sequence[ExampleLike], initial: str = "", endpoint: str = "/sparql"
    ) -> str:
        """The JSON that static/query.js reads from the page (a data- attribute, so autoescape covers it):
        ``query`` is what resource links carry ("?lang=xx" or ""), ``initial`` the editor's first query."""
        key = (lang, query, initial, id(examples))
        cached = self._configs.get(key)
        if cached is None:
            cached = json.dumps(
                {
                    "endpoint": endpoint,
                    "base": self.base,
                    "types": sorted(RESOURCE_TYPES),
                    "query": query,  # "?lang=xx" when the reader chose the language: resource links keep it
                    "initial": initial,
                    "prefixes": self._prefixes,
                    "examples": [{"title": e.title, "description": e.description, "query": e.text} for e in examples],
                    "texts": {k: self.text(k, lang) for k in ("examples", "choose", "open")},
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            if len(self._configs) < 16:
                self._configs[key] = cached
        return cached

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if not self.available or name not in FILES or not (self.directory / name).is_file():
            raise HTTPException(404)
        accepts_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
        asset = self._assets.get((name, accepts_gzip))
        if asset is None:
            asset = await to_thread.run_sync(self._load, name, accepts_gzip)
            self._assets[(name, accepts_gzip)] = asset
        # The version in the URL never changes its bytes; unversioned URLs are revalidated.
        cache = "public, max-age=31536000, immutable" if request.query_params.get("v") else CACHE_CONTROL
        headers = {"ETag": asset.etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
        if asset.etag.endswith('-gz"'):
            headers["Content-Encoding"] = "gzip"
        if_none_match = request.headers.get("if-none-match", "")
        if any(tag.strip().removeprefix("W/") == asset.etag for tag in if_none_match.split(",")):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, 200, headers, asset.media_type)

    def _load(self, name: str, compress: bool) -> _Asset:
        data = (self.directory / name).read_bytes()
        etag = hashlib.sha256(data).hexdigest()[:20]
        if compress and len(data) > _COMPRESSIBLE_OVER:
            return _Asset(gzip.compress(data, compresslevel=9, mtime=0), f'"{etag}-gz"', FILES[name])
        return _Asset(data, f'"{etag}"', FILES[name])
