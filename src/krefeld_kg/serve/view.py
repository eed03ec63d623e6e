"""From triples to readable text: values, facts and sources of a resource page, in one language.

Everything here produces plain strings; escaping is the templates' job (jinja2 autoescape), and hrefs
are only ever local paths or http(s) URLs, so a ``javascript:`` value in the data stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from markupsafe import Markup, escape
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD

from ..namespaces import GEO, KKG, ONTOLOGY_IRI, SCHEMA, parse_resource_iri, prefixes_longest_first
from . import i18n
from .index import GraphIndex
from .rdf import value_of

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

_DATES = {str(XSD.date), str(XSD.dateTime), str(XSD.gYear), str(XSD.gYearMonth)}
_NUMBERS = {str(XSD.decimal), str(XSD.double), str(XSD.float)}
#: Shown elsewhere on the page (title, type line, description, notes, sources, member tables).
HIDDEN = {
    str(p)
    for p in (RDF.type, SKOS.prefLabel, DCTERMS.description, KKG.note, DCTERMS.source, ORG.memberOf, ORG.hasMember)
}
#: Facts in reading order; the rest follow alphabetically.
ORDER = [
    str(p)
    for p in (
        SKOS.altLabel,
        RDFS.label,
        SCHEMA.startDate,
        SCHEMA.endDate,
        SCHEMA.foundingDate,
        ORG.memberDuring,
        KKG.partner,
        ORG.member,
        ORG.organization,
        ORG.role,
        KKG.status,
        KKG.legalForm,
        KKG.field,
        KKG.country,
        SCHEMA.containedInPlace,
        KKG.seat,
        SCHEMA.location,
        SCHEMA.about,
        SCHEMA.address,
        FOAF.homepage,
        SCHEMA.url,
        OWL.sameAs,
        SKOS.closeMatch,
        KKG.geonamesId,
        KKG.ags,
        KKG.nuts,
        GEO.lat,
        GEO.long,
    )
]


@dataclass(frozen=True)
class Value:
    text: str
    href: str | None = None
    title: str | None = None  # the IRI behind a label, as a tooltip
    lang: str | None = None  # set when the text is in another language than the page
    sort: str = ""

    def __html__(self) -> str:
        """The value as HTML, every part escaped. Written here rather than as a template macro: a page
        has hundreds of values and a jinja2 macro call costs several times this function."""
        text = escape(self.text)
        title = f' title="{escape(self.title)}"' if self.title else ""
        lang = f' lang="{escape(self.lang)}"' if self.lang else ""
        if self.href and self.text == "↗":  # a bare arrow needs its name spelled out for screen readers
            return f'<a class="node" href="{escape(self.href)}"{title} aria-label="{escape(self.title or "")}">↗</a>'
        if self.href:
            markup = f'<a href="{escape(self.href)}"{title}{lang}>{text}</a>'
        elif title or lang:
            markup = f"<span{title}{lang}>{text}</span>"
        else:
            markup = str(text)
        return markup + (f' <small class="tag">({escape(self.lang)})</small>' if self.lang else "")


def join(values: list[Value], separator: str = ", ") -> Markup:
    """Values as HTML, separated (a template filter: ``{{ fact.values|join_values("; ") }}``)."""
    return Markup(escape(separator).join(Markup(v.__html__()) for v in values))  # each escaped by __html__


@dataclass
class Fact:
    label: str
    iri: str
    values: list[Value]


@dataclass
class SourceRef:
    number: int
    value: Value
    url: str | None
    publisher: str | None


@dataclass
class Sources:
    """The numbered sources of a page: the resource's own first, then those of the relation rows."""

    refs: list[SourceRef] = field(default_factory=list)
    own: int = 0  # how many of refs are the resource's own
    _numbers: dict[str, int] = field(default_factory=dict)

    def number(self, iri: str, ctx: Context) -> int:
        if iri not in self._numbers:
            number = len(self.refs) + 1
            self._numbers[iri] = number
            source = ctx.index.sources.get(iri)
            url = source.url if source and source.url and safe_url(source.url) else None
            publisher = ctx.index.label(source.publisher, ctx.lang) if source and source.publisher else None
            self.refs.append(SourceRef(number, ctx.link(iri), url, publisher))
        return self._numbers[iri]


def safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))


@dataclass
class Context:
    """What turning terms into text needs: the indexes, the language and how links are written."""

    index: GraphIndex
    lang: str
    sticky_lang: bool  # the reader chose the language with ?lang=: keep it in every link
    _prefixes: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._prefixes = prefixes_longest_first(self.index.base)

    @property
    def query(self) -> str:
        return f"?lang={self.lang}" if self.sticky_lang else ""

    def local(self, iri: str) -> str | None:
        """The local page of a resource IRI (its fragment kept as an anchor), or None."""
        parsed = parse_resource_iri(self.index.base, iri)
        if parsed is None:
            return None
        fragment = iri.partition("#")[2]
        return f"/doc/{parsed[0]}/{parsed[1]}{self.query}" + (f"#{quote(fragment)}" if fragment else "")

    def curie(self, iri: str) -> str:
        for prefix, namespace in self._prefixes:
            if iri.startswith(namespace) and iri != namespace:
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def term_label(self, iri: str) -> str:
        """The name of a class or property: the ontology's, ours for reused vocabularies, else a CURIE."""
        label = self.index.label(iri, self.lang)
        if label:
            return label
        pair = i18n.TERMS.get(iri)
        return i18n.pick(pair, self.lang) if pair else self.curie(iri)

    def link(self, iri: str) -> Value:
        """A link to what ``iri`` names: a local page, a named vocabulary term or an outside web page."""
        local = self.local(iri)
        label = self.index.label(iri, self.lang)
        if local is not None:
            return Value(label or iri.rsplit("/", 1)[-1], local, iri, sort=label or iri)
        if label or iri in i18n.TERMS:
            # Ontology terms are named, not linked: the ontology is served as a whole, not term by term.
            href = None if iri.startswith(ONTOLOGY_IRI) else iri if safe_url(iri) else None
            text = self.term_label(iri)
            return Value(text, href, iri, sort=text)
        return Value(iri, iri if safe_url(iri) else None, sort=iri)

    def value(self, term: Term) -> Value:
        if isinstance(term, ox.NamedNode):
            return self.link(term.value)
        if isinstance(term, ox.Literal):
            if term.language:
                return Value(term.value, lang=term.language if term.language != self.lang else None, sort=term.value)
            datatype = term.datatype.value
            if datatype in _DATES:
                return Value(i18n.format_date(term.value, datatype, self.lang), sort=term.value)
            if datatype in _NUMBERS:
                return Value(i18n.format_number(term.value, self.lang), sort=term.value.zfill(20))
            if datatype == str(XSD.boolean):
                yes = term.value in ("true", "1")
                return Value(i18n.text("yes" if yes else "no", self.lang), sort=term.value)
            if datatype == str(XSD.anyURI) and safe_url(term.value):
                return Value(term.value, term.value, sort=term.value)
            if datatype == str(XSD.integer):
                return Value(term.value, sort=term.value.zfill(20))
            return Value(term.value, sort=term.value)
        return Value(str(term), sort=str(term))


def in_language(literals: list[ox.Literal], lang: str) -> list[ox.Literal]:
    """The literals in ``lang`` if there are any, else all of them (a fact is never dropped for its language)."""
    chosen = [lit for lit in literals if lit.language == lang]
    return chosen or literals


def by_predicate(triples: list[ox.Triple]) -> dict[str, list[Term]]:
    grouped: dict[str, list[Term]] = {}
    for triple in triples:
        grouped.setdefault(triple.predicate.value, []).append(triple.object)
    return grouped


def facts(ctx: Context, iri: str, outgoing: list[ox.Triple], title: str) -> list[Fact]:
    """The resource's own statements as readable facts, fragment nodes folded into their values."""
    fragments: dict[str, list[ox.Triple]] = {}
    own: list[ox.Triple] = []
    for triple in outgoing:
        (own if value_of(triple.subject) == iri else fragments.setdefault(value_of(triple.subject), [])).append(triple)
    result: list[Fact] = []
    for predicate, objects in by_predicate(own).items():
        if predicate in HIDDEN:
            continue
        literals = [o for o in objects if isinstance(o, ox.Literal) and o.language]
        others = [o for o in objects if not (isinstance(o, ox.Literal) and o.language)]
        if predicate == str(RDFS.label):
            # The title is the label in the page's language and the other page language has its own page;
            # names in further languages (Dunkerque, Ульяновск) are facts.
            literals = [lit for lit in literals if lit.value != title and lit.language not in i18n.LANGUAGES]
        else:
            literals = in_language(literals, ctx.lang)
        values = [
            fragment_value(ctx, value_of(o), fragments) if value_of(o) in fragments else ctx.value(o)
            for o in others + literals
        ]
        if values:
            values.sort(key=lambda v: v.sort)
            result.append(Fact(ctx.term_label(predicate), predicate, values))
    rank = {p: n for n, p in enumerate(ORDER)}
    result.sort(key=lambda f: (rank.get(f.iri, len(rank)), f.label.casefold()))
    return result


def fragment_value(ctx: Context, iri: str, fragments: dict[str, list[ox.Triple]], depth: int = 0) -> Value:
    """A fragment node written out as one piece of text: an interval reads "Beginn: 1971; Ende: 2019"."""
    parts: list[tuple[str, str]] = []
    for triple in sorted(fragments.get(iri, []), key=lambda t: t.predicate.value):
        if triple.predicate.value == str(RDF.type):
            continue
        target = triple.object
        if isinstance(target, ox.NamedNode) and target.value in fragments and depth < 3:
            text = fragment_value(ctx, target.value, fragments, depth + 1).text
        else:
            text = ctx.value(target).text
        parts.append((ctx.term_label(triple.predicate.value), text))
    # An instant is its date: "Beginn: 1971", not "Beginn: Jahr: 1971".
    text = parts[0][1] if depth and len(parts) == 1 else "; ".join(f"{label}: {value}" for label, value in parts)
    return Value(text or ctx.curie(iri), title=iri, sort=text)


def types(ctx: Context, iri: str) -> list[Value]:
    """The classes to name under the title: the ontology's own if it has any, else the named reused ones."""
    classes = ctx.index.classes.get(iri, [])
    own = [c for c in classes if c.startswith(str(KKG))]
    chosen = own or [c for c in classes if c in i18n.TERMS and c != str(PROV.Entity)] or classes
    return sorted((ctx.link(c) for c in chosen), key=lambda v: v.text.casefold())


def texts(outgoing: list[ox.Triple], iri: str, predicate: str, lang: str) -> list[str]:
    literals = [
        t.object
        for t in outgoing
        if isinstance(t.object, ox.Literal) and value_of(t.subject) == iri and t.predicate.value == predicate
    ]
    return [lit.value for lit in in_language(literals, lang)]
