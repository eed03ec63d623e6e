"""The HTML pages: resource pages, type indexes, the home page, the SPARQL form and its results, errors.

Templates live in ``templates/`` and are rendered by jinja2 with autoescape on, so every literal from the
data is escaped; nothing is marked safe except the schema.org JSON-LD, which schemaorg.py escapes itself.
Pages are plain HTML with one local stylesheet: no script, no font, no map tile, nothing from elsewhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup
from rdflib.namespace import DCTERMS, RDFS, XSD

from ..namespaces import KKG, parse_resource_iri
from ..release_files import DUMPS
from . import i18n
from .backend import Backend
from .describe import Description
from .formats import FORMATS, RDF_OFFERS
from .geo import NEARBY_MAX, MapView, map_view
from .index import GraphIndex
from .relations import Table, own_sources, relation_nodes, tables
from .release import Release
from .schemaorg import schema_org
from .view import Context, Fact, Sources, Value, facts, join, texts, types

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@dataclass
class ResourcePage:
    iri: str
    type_: str
    title: str
    types: list[Value]
    descriptions: list[str]
    notes: list[str]
    facts: list[Fact]
    sources: Sources
    tables: list[Table]
    map: MapView | None
    coordinates: str | None
    alternates: list[tuple[str, str, str]]  # label, media type, href
    jsonld: Markup


@dataclass(frozen=True)
class Example:
    title: str
    description: str
    text: str
    href: str


def alternates(type_: str, slug: str) -> list[tuple[str, str, str]]:
    return [(FORMATS[m].label, m, f"/doc/{type_}/{slug}.{FORMATS[m].name}") for m in RDF_OFFERS]


class Pages:
    def __init__(self, release: Release, index: GraphIndex, backend: Backend, limits: Mapping[str, Any]) -> None:
        self.release = release
        self.index = index
        self.backend = backend
        self.limits = dict(limits)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates do not change under a running server; skip the stat per render
        )
        self.env.filters["join_values"] = join
        self.static: dict[str, bytes] = {p.name: p.read_bytes() for p in STATIC.iterdir() if p.is_file()}
        # The stylesheet URL carries its digest, so it can be cached for good and still never be stale.
        self.static_version = hashlib.sha256(b"".join(self.static[k] for k in sorted(self.static))).hexdigest()[:12]
        self.version = hashlib.sha256(
            (release.version + self.static_version).encode()
            + b"".join(p.read_bytes() for p in sorted(TEMPLATES.iterdir()) if p.is_file())
        ).hexdigest()[:16]
        self._templates: dict[str, Template] = {}
        self.examples: list[Example] = []

    def template(self, name: str) -> Template:
        if name not in self._templates:
            self._templates[name] = self.env.get_template(f"{name}.html")
        return self._templates[name]

    def render(
        self, template: str, lang: str, sticky: bool, path: str, params: Mapping[str, str], **context: Any
    ) -> str:
        other = "en" if lang == "de" else "de"
        switch = {k: v for k, v in params.items() if k != "lang"} | {"lang": other}
        query = f"?lang={lang}" if sticky else ""
        return self.template(template).render(
            lang=lang,
            other_lang=other,
            t=lambda key, **kw: i18n.text(key, lang).format(**kw),
            switch_href=f"{path}?{urlencode(switch)}",
            q=query,
            nav=[
                (t, i18n.pick(i18n.TYPE_NAMES[t], lang), f"/doc/{t}/{query}")
                for t in self.index.counts()
                if t in ("place", "organisation", "cooperation", "twinning", "event", "source")
            ],
            css=f"/static/style.css?v={self.static_version}",
            format_integer=lambda n: i18n.format_integer(n, lang),
            format_number=lambda x: i18n.format_number(f"{x:g}", lang),
            release=self.release,
            **context,
        )

    def resource(self, description: Description, lang: str, sticky: bool, page_url: str) -> ResourcePage:
        iri = description.iri
        parsed = parse_resource_iri(self.index.base, iri)
        assert parsed is not None
        ctx = Context(self.index, lang, sticky)
        title = self.index.label(iri, lang) or parsed[1]
        sources = Sources()
        own_sources(ctx, iri, description.outgoing, sources)
        neighbours = self.backend.outgoing(relation_nodes(self.index.base, description.incoming))
        page_tables = tables(ctx, iri, description.outgoing, description.incoming, neighbours, sources)
        coordinates = self.index.coordinates.get(iri)
        place_map = None
        if coordinates is not None:
            nearby = [
                (lat, long, self.index.label(other, lang) or other, ctx.local(other))
                for other, lat, long in self.index.grid.around(*coordinates)
                if other != iri
            ][:NEARBY_MAX]
            place_map = map_view(coordinates[0], coordinates[1], title, nearby)
        return ResourcePage(
            iri=iri,
            type_=parsed[0],
            title=title,
            types=types(ctx, iri),
            descriptions=texts(description.outgoing, iri, str(DCTERMS.description), lang),
            notes=texts(description.outgoing, iri, str(KKG.note), lang),
            facts=facts(ctx, iri, description.outgoing, title),
            sources=sources,
            tables=page_tables,
            map=place_map,
            coordinates=_coordinates(coordinates, lang) if coordinates else None,
            alternates=alternates(*parsed),
            # Safe as markup: schema_org() escapes <, > and & itself (JSON inside <script> is not HTML).
            jsonld=Markup(schema_org(self.index, iri, description.outgoing, lang, page_url)),
        )

    def resource_html(
        self, description: Description, lang: str, sticky: bool, path: str, page_url: str, params: Mapping[str, str]
    ) -> str:
        page = self.resource(description, lang, sticky, page_url)
        type_name = i18n.pick(i18n.TYPE_NAMES[page.type_], lang)
        return self.render("resource", lang, sticky, path, params, page=page, type_name=type_name)

    def index_html(self, type_: str, lang: str, sticky: bool, path: str, params: Mapping[str, str]) -> str:
        ctx = Context(self.index, lang, sticky)
        entries = sorted(
            (ctx.link(iri) for iri in self.index.resources.get(type_, [])),
            key=lambda v: (v.sort.casefold(), v.title or ""),
        )
        name = i18n.pick(i18n.TYPE_NAMES[type_], lang)
        return self.render("index", lang, sticky, path, params, name=name, entries=entries, type_=type_)

    def home_html(self, lang: str, sticky: bool, path: str, params: Mapping[str, str]) -> str:
        dataset = self.release.dataset
        counts = [
            (i18n.pick(i18n.TYPE_NAMES[t], lang), n, f"/doc/{t}/" + (f"?lang={lang}" if sticky else ""))
            for t, n in self.index.counts().items()
        ]
        files = sorted(self.release.files.values(), key=lambda f: (f.name not in _DUMPS, f.name))
        return self.render(
            "home",
            lang,
            sticky,
            path,
            params,
            dataset=dataset,
            counts=counts,
            files=files,
            format_size=lambda n: i18n.format_size(n, lang),
            triples=self.index.triples,
            pick=lambda values: values.get(lang) or values.get("") or next(iter(values.values()), ""),
            format_date=lambda v: i18n.format_date(v, str(XSD.date), lang) if v else "",
        )

    def sparql_html(
        self, lang: str, sticky: bool, path: str, params: Mapping[str, str], query: str = "", **context: Any
    ) -> str:
        return self.render(
            "sparql",
            lang,
            sticky,
            path,
            params,
            query=query or _DEFAULT_QUERY,
            examples=self.examples,
            limits=self.limits,
            **context,
        )

    def error_html(
        self,
        status: int,
        title: str,
        message: str,
        lang: str,
        sticky: bool,
        path: str,
        params: Mapping[str, str],
        links: list[tuple[str, str]] | None = None,
    ) -> str:
        return self.render(
            "error", lang, sticky, path, params, status=status, title=title, message=message, links=links or []
        )


def _coordinates(position: tuple[float, float], lang: str) -> str:
    lat, long = position
    north, east = i18n.text("north" if lat >= 0 else "south", lang), i18n.text("east" if long >= 0 else "west", lang)
    return (
        f"{i18n.format_number(f'{abs(lat):.4f}', lang)}° {north}, "
        f"{i18n.format_number(f'{abs(long):.4f}', lang)}° {east}"
    )


_DUMPS = DUMPS
_DEFAULT_QUERY = (
    f"PREFIX rdfs: <{RDFS}>\n\nSELECT ?resource ?label WHERE {{\n  ?resource rdfs:label ?label .\n}}\nLIMIT 20\n"
)
