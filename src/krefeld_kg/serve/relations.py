"""The tables of a resource page: what other resources say about it.

Incoming links from relation nodes (memberships, twinnings and other city relations, events, claims,
member counts) become rows with the node's own dates, roles and sources; every other incoming link is
listed under "links to this resource". A twinning is thereby visible from both of its cities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, ORG, RDF

from ..namespaces import KKG, SCHEMA, parse_resource_iri
from . import i18n
from .rdf import value_of
from .view import Context, Sources, Term, Value, by_predicate

#: Derived links from the other side of a membership: the membership tables show them with roles and dates.
_DERIVED_INVERSES = {str(ORG.hasMember), str(ORG.memberOf)}
#: Resource types whose nodes stand for a relation: their rows need the node's own statements.
RELATION_TYPES = ("membership", "twinning", "relation", "event", "claim", "count")


@dataclass
class Row:
    cells: list[list[Value]]
    sources: list[int] = field(default_factory=list)
    sort: tuple[str, ...] = ()
    node: Value | None = None  # the relation node's own page, linked after the first cell


@dataclass
class Table:
    key: str  # html id and i18n key of the heading
    title: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def _by_sort(value: Value) -> str:
    return value.sort


def relation_nodes(base: str, incoming: list[ox.Triple]) -> list[str]:
    """The subjects of ``incoming`` whose own statements the tables need."""
    nodes: dict[str, None] = {}
    for triple in incoming:
        parsed = parse_resource_iri(base, value_of(triple.subject))
        if parsed is not None and parsed[0] in RELATION_TYPES:
            nodes[value_of(triple.subject)] = None
    return list(nodes)


def tables(
    ctx: Context,
    iri: str,
    outgoing: list[ox.Triple],
    incoming: list[ox.Triple],
    neighbours: list[ox.Triple],
    sources: Sources,
) -> list[Table]:
    about: dict[str, dict[str, list[Term]]] = {}
    for triple in neighbours:
        about.setdefault(value_of(triple.subject), {}).setdefault(triple.predicate.value, []).append(triple.object)

    def text(key: str) -> str:
        return i18n.text(key, ctx.lang)

    made = {
        "memberships": Table(
            "memberships",
            text("memberships"),
            [text("organisation"), text("roles"), text("from"), text("until"), text("sources")],
        ),
        "members": Table(
            "members", text("members"), [text("member"), text("roles"), text("from"), text("until"), text("sources")]
        ),
        "relations": Table(
            "relations",
            text("relations"),
            [text("relation"), text("partners"), text("from"), text("status"), text("sources")],
        ),
        "events": Table("events", text("events"), [text("date"), text("event"), text("role"), text("sources")]),
        "claims": Table(
            "claims", text("claims"), [text("property"), text("value"), text("preferred"), text("sources")]
        ),
        "counts": Table("counts", text("counts"), [text("number"), text("kind"), text("as_of"), text("sources")]),
        "referenced_by": Table("referenced_by", text("referenced_by"), [text("resource"), text("property")]),
    }
    done: set[tuple[str, str]] = set()
    events: dict[str, Row] = {}
    stated = {(t.predicate.value, value_of(t.object)) for t in outgoing if value_of(t.subject) == iri}
    for triple in incoming:
        node, predicate = value_of(triple.subject), triple.predicate.value
        if (node, predicate) in done:
            continue
        done.add((node, predicate))
        props = about.get(node, {})
        parsed = parse_resource_iri(ctx.index.base, node)
        kind = parsed[0] if parsed else ""

        def values(p: object, props: dict[str, list[Term]] = props) -> list[Value]:
            return sorted((ctx.value(o) for o in props.get(str(p), [])), key=_by_sort)

        def refs(node: str = node, props: dict[str, list[Term]] = props) -> list[int]:
            numbers = [
                sources.number(o.value, ctx) for o in props.get(str(DCTERMS.source), []) if isinstance(o, ox.NamedNode)
            ]
            return sorted(numbers)

        def first(p: object, props: dict[str, list[Term]] = props) -> str:
            found = props.get(str(p), [])
            return found[0].value if found and isinstance(found[0], ox.Literal) else ""

        link = ctx.link(node)
        node_link = Value("↗", link.href, link.text)
        if kind == "membership" and predicate in (str(ORG.member), str(ORG.organization)):
            member_side = predicate == str(ORG.member)
            other = values(ORG.organization if member_side else ORG.member)
            table = made["memberships" if member_side else "members"]
            table.rows.append(
                Row(
                    [other, values(ORG.role), values(SCHEMA.startDate), values(SCHEMA.endDate)],
                    refs(),
                    (first(SCHEMA.startDate) or "9999", other[0].sort.casefold() if other else ""),
                    node_link,
                )
            )
        elif kind in ("twinning", "relation") and predicate == str(KKG.partner):
            partners = [
                v
                for o in props.get(str(KKG.partner), [])
                if isinstance(o, ox.NamedNode) and o.value != iri
                for v in [ctx.value(o)]
            ]
            made["relations"].rows.append(
                Row(
                    [[link], partners, values(SCHEMA.startDate), values(KKG.status)],
                    refs(),
                    (first(SCHEMA.startDate) or "9999", link.sort),
                )
            )
        elif kind == "event":
            role = Value(ctx.term_label(predicate), title=predicate)
            if node in events:  # the same event can name this resource twice (recipient and location)
                events[node].cells[2].append(role)
                continue
            events[node] = Row(
                [values(SCHEMA.startDate), [link], [role]], refs(), (first(SCHEMA.startDate) or "9999", link.sort)
            )
            made["events"].rows.append(events[node])
        elif kind == "claim" and predicate == str(RDF.subject):
            preferred = first(KKG.preferred) in ("true", "1")
            made["claims"].rows.append(
                Row(
                    [
                        [
                            Value(ctx.term_label(value_of(p)), title=value_of(p))
                            for p in props.get(str(RDF.predicate), [])
                        ],
                        values(RDF.object),
                        [Value(i18n.text("yes" if preferred else "no", ctx.lang))],
                    ],
                    refs(),
                    (str(props.get(str(RDF.predicate), [""])[0]), "0" if preferred else "1", link.sort),
                    node_link,
                )
            )
        elif kind == "count" and predicate == str(KKG.countedOrganisation):
            made["counts"].rows.append(
                Row(
                    [values(RDF.value), values(KKG.countKind), values(KKG.asOf)],
                    refs(),
                    (first(KKG.asOf) or "9999", link.sort),
                    node_link,
                )
            )
        elif predicate in _DERIVED_INVERSES or (predicate, node) in stated:
            continue  # shown already: by a membership row, or as this resource's own (symmetric) fact
        else:
            made["referenced_by"].rows.append(
                Row(
                    [[link], [Value(ctx.term_label(predicate), title=predicate)]],
                    sort=(ctx.term_label(predicate).casefold(), link.sort.casefold()),
                )
            )
    for table in made.values():
        table.rows.sort(key=lambda row: row.sort)
    return [table for table in made.values() if table.rows]


def own_sources(ctx: Context, iri: str, outgoing: list[ox.Triple], sources: Sources) -> None:
    """Number the resource's own dct:source list first, so its sources are [1]…[n] on every page."""
    grouped = by_predicate([t for t in outgoing if value_of(t.subject) == iri])
    for target in sorted(grouped.get(str(DCTERMS.source), []), key=lambda o: ctx.link(value_of(o)).sort.casefold()):
        if isinstance(target, ox.NamedNode):
            sources.number(target.value, ctx)
    sources.own = len(sources.refs)
