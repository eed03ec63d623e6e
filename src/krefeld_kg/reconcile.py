"""Reconcile with Wikidata: our twinnings, memberships and founding dates against Wikidata's statements.

Compared, for every entity with an ``owl:sameAs`` link to a Wikidata item:

* twinnings of the hub city (the partner in most of our twinnings): twinned administrative body (P190) with
  start/end time (P580/P582) qualifiers, from the hub's statements and partners' statements naming the hub;
* memberships in our linked organisations: member of (P463) with start/end time qualifiers;
* founding dates of linked organisations (not places): inception (P571).

Each fact comes out as ``agrees``, ``differs`` (both values), ``missing-in-wikidata`` or ``missing-here``.
Deprecated statements are ignored; dates are compared at the coarser precision of the two sides (xsd:gYear
vs. a day; Wikidata's ``wikibase:timePrecision`` 9/10/11). Wikidata is asked in batched VALUES queries through
``RemoteEngine`` (User-Agent, timeouts, retries); our side comes from any ``Engine``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import ORG, OWL, RDFS
from rdflib.term import Node

from .engine import Engine
from .namespaces import DEFAULT_BASE, KKG, SCHEMA, WD, curie, prefixes_longest_first
from .reconcile_dates import our_precision as our_precision
from .reconcile_dates import same_date as same_date
from .reconcile_dates import show as show
from .reconcile_dates import wikidata_precision as wikidata_precision
from .reconcile_report import FORMATS as FORMATS
from .reconcile_report import STATUSES as STATUSES
from .reconcile_report import Fact as Fact
from .reconcile_report import Report as Report
from .reconcile_report import render as render

# The Wikidata RDF dump vocabularies (https://www.mediawiki.org/wiki/Wikibase/Indexing/RDF_Dump_Format), built
# on namespaces.WD; they belong in namespaces.py with the other namespaces.
_WIKIDATA = str(WD).removesuffix("entity/")
P = Namespace(_WIKIDATA + "prop/")
PS = Namespace(_WIKIDATA + "prop/statement/")
PSV = Namespace(_WIKIDATA + "prop/statement/value/")
PQ = Namespace(_WIKIDATA + "prop/qualifier/")
PQV = Namespace(_WIKIDATA + "prop/qualifier/value/")
WIKIBASE = Namespace("http://wikiba.se/ontology#")

TWINNED, MEMBER_OF, INCEPTION, START, END = "P190", "P463", "P571", "P580", "P582"
_KINDS = {"twinning": 0, "membership": 1, "founding": 2}
_ASPECTS = {"exists": 0, "start": 1, "end": 2, "inception": 3}
_PREFIXES = "\n".join(
    f"PREFIX {k}: <{v}>"
    for k, v in {
        "wd": WD,
        "p": P,
        "ps": PS,
        "psv": PSV,
        "pq": PQ,
        "pqv": PQV,
        "wikibase": WIKIBASE,
        "rdfs": RDFS,
        "kkg": KKG,
        "schema": SCHEMA,
        "org": ORG,
        "owl": OWL,
    }.items()
)


@dataclass(frozen=True)
class Statement:
    item: str  # QID
    value: str  # QID, or the time for P571
    precision: int | None
    starts: tuple[tuple[str, int | None], ...]
    ends: tuple[tuple[str, int | None], ...]


def _date_fact(base: Fact, ours: list[Node], theirs: Iterable[tuple[str, int | None]]) -> Fact | None:
    wd = sorted({(t, wikidata_precision(t, p)) for t, p in theirs})
    here = " | ".join(sorted(str(o) for o in ours))
    there = " | ".join(dict.fromkeys(show(t, p) for t, p in wd))
    if not ours and not wd:
        return None
    if not wd:
        status = "missing-in-wikidata"
    elif not ours:
        status = "missing-here"
    else:
        agree = any(same_date(str(o), our_precision(o), t, p) for o in ours for t, p in wd)
        status = "agrees" if agree else "differs"
    return Fact(base.kind, base.subject, base.object, base.aspect, status, here, there)


# --- Wikidata ---------------------------------------------------------------------------------------------------


def qid(term: Node | str) -> str | None:
    text = str(term)
    return text[len(str(WD)) :] if text.startswith(str(WD)) and re.match(r"^[QP]\d+$", text[len(str(WD)) :]) else None


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def statements(
    engine: Engine, prop: str, items: list[str], by_value: bool = False, batch: int = 100
) -> list[Statement]:
    """Non-deprecated statements of ``prop`` whose subject (or, ``by_value``, whose value) is one of ``items``."""
    out: list[Statement] = []
    anchor = "?value" if by_value else "?item"
    for chunk in _batches(sorted(set(items)), batch):
        query = f"""{_PREFIXES}
SELECT ?item ?value ?valuePrecision ?start ?startPrecision ?end ?endPrecision WHERE {{
  VALUES {anchor} {{ {" ".join("wd:" + q for q in chunk)} }}
  ?item p:{prop} ?st . ?st ps:{prop} ?value .
  FILTER NOT EXISTS {{ ?st wikibase:rank wikibase:DeprecatedRank }}
  OPTIONAL {{ ?st psv:{prop} ?v . ?v wikibase:timeValue ?value ; wikibase:timePrecision ?valuePrecision }}
  OPTIONAL {{ ?st pq:{START} ?start
    OPTIONAL {{ ?st pqv:{START} ?s . ?s wikibase:timeValue ?start ; wikibase:timePrecision ?startPrecision }} }}
  OPTIONAL {{ ?st pq:{END} ?end
    OPTIONAL {{ ?st pqv:{END} ?e . ?e wikibase:timeValue ?end ; wikibase:timePrecision ?endPrecision }} }}
}}"""
        grouped: dict[tuple[str, str, int | None], tuple[set[tuple[str, int | None]], set[tuple[str, int | None]]]]
        grouped = defaultdict(lambda: (set(), set()))
        for row in engine.select(query).rows:
            item, value, vp, start, sp, end, ep = row
            subject = qid(item) if item is not None else None
            target = qid(value) if isinstance(value, URIRef) else str(value) if isinstance(value, Literal) else None
            if subject is None or target is None:
                continue  # "unknown value" / "no value" statements
            starts, ends = grouped[(subject, target, int(str(vp)) if vp is not None else None)]
            if start is not None:
                starts.add((str(start), int(str(sp)) if sp is not None else None))
            if end is not None:
                ends.add((str(end), int(str(ep)) if ep is not None else None))
        out += [
            Statement(s, v, p, tuple(sorted(a, key=str)), tuple(sorted(b, key=str)))
            for (s, v, p), (a, b) in grouped.items()
        ]
    return out


def labels(engine: Engine, qids: Iterable[str], batch: int = 100) -> dict[str, str]:
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk in _batches(sorted(set(qids)), batch):
        query = f"""{_PREFIXES}
SELECT ?item ?label WHERE {{
  VALUES ?item {{ {" ".join("wd:" + q for q in chunk)} }}
  ?item rdfs:label ?label FILTER (LANG(?label) IN ("en", "de"))
}}"""
        for item, label in engine.select(query).rows:
            if item is not None and isinstance(label, Literal) and (key := qid(item)):
                found[key][label.language or ""] = str(label)
    return {k: v.get("en") or v.get("de", "") for k, v in found.items()}


# --- our side and the comparison --------------------------------------------------------------------------------


class _Ours:
    def __init__(self, engine: Engine, base: str) -> None:
        self.engine = engine
        self.prefixes = prefixes_longest_first(base)
        self.links: dict[str, str] = {}
        for x, q in self.rows(f'SELECT ?x ?q WHERE {{ ?x owl:sameAs ?q FILTER (STRSTARTS(STR(?q), "{WD}")) }}'):
            if q is not None and (code := qid(q)) and str(x) not in self.links:
                self.links[str(x)] = code
        self.by_qid = {v: k for k, v in sorted(self.links.items())}

    def rows(self, query: str) -> list[list[Node | None]]:
        return self.engine.select(_PREFIXES + "\n" + query).rows

    def name(self, iri: str) -> str:
        short = curie(iri, self.prefixes)
        if short is None:
            return iri
        return short + (f" ({self.links[iri]})" if iri in self.links else "")


Pairs = dict[tuple[str, str], tuple[list[Node], list[Node]]]  # (subject QID, object QID) → (starts, ends) here


class _Comparison:
    def __init__(self, ours: _Ours) -> None:
        self.ours = ours
        self.facts: list[Fact] = []
        self.skipped: dict[str, int] = defaultdict(int)
        self.unknown: set[str] = set()

    def who(self, code: str) -> str:
        if code in self.ours.by_qid:
            return self.ours.name(self.ours.by_qid[code])
        self.unknown.add(code)
        return f"wd:{code}"

    def skip(self, text: str) -> None:
        self.skipped[text] += 1

    def compare(self, kind: str, pairs: Pairs, theirs: dict[tuple[str, str], list[Statement]]) -> None:
        for key in sorted(set(pairs) | set(theirs)):
            here, there = pairs.get(key), theirs.get(key, [])
            subject, obj = self.who(key[0]), self.who(key[1])
            starts = [s for st in there for s in st.starts]
            if here is None or not there:
                since = sorted({show(t, wikidata_precision(t, p)) for t, p in starts})
                said = ("yes" + (f" (since {', '.join(since)})" if since else "")) if there else ""
                status = "missing-here" if here is None else "missing-in-wikidata"
                self.facts.append(Fact(kind, subject, obj, "exists", status, "yes" if here else "", said))
                continue
            self.facts.append(Fact(kind, subject, obj, "exists", "agrees", "yes", "yes"))
            ends = [e for st in there for e in st.ends]
            for aspect, values, qualifiers in (("start", here[0], starts), ("end", here[1], ends)):
                fact = _date_fact(Fact(kind, subject, obj, aspect, "", "", ""), values, qualifiers)
                if fact:
                    self.facts.append(fact)


def _twinnings(cmp: _Comparison, wikidata: Engine, batch: int) -> None:
    ours = cmp.ours
    partners: dict[str, list[str]] = defaultdict(list)
    dates: dict[str, tuple[list[Node], list[Node]]] = defaultdict(lambda: ([], []))
    for t, a, start, end in ours.rows(
        "SELECT ?t ?a ?start ?end WHERE { ?t a kkg:Twinning ; kkg:partner ?a "
        "OPTIONAL { ?t schema:startDate ?start } OPTIONAL { ?t schema:endDate ?end } }"
    ):
        if str(a) not in partners[str(t)]:
            partners[str(t)].append(str(a))
        for values, v in zip(dates[str(t)], (start, end), strict=True):
            if v is not None and v not in values:
                values.append(v)
    counts: dict[str, int] = defaultdict(int)
    for names in partners.values():
        for name in names:
            counts[name] += 1
    hubs = {p for p, n in counts.items() if n == max(counts.values(), default=0)}
    pairs: Pairs = {}
    for twinning, names in sorted(partners.items()):
        for hub in sorted(hubs.intersection(names)):
            for other in sorted(set(names) - {hub}):
                missing = [x for x in (hub, other) if x not in ours.links]
                if missing:
                    unlinked = ", ".join(ours.name(m) for m in missing)
                    cmp.skip(f"twinning {ours.name(hub)} – {ours.name(other)}: no Wikidata link for {unlinked}")
                else:
                    pairs[(ours.links[hub], ours.links[other])] = dates[twinning]
    hub_codes = {ours.links[h] for h in hubs if h in ours.links}
    theirs: dict[tuple[str, str], list[Statement]] = defaultdict(list)
    for st in statements(wikidata, TWINNED, sorted(hub_codes | {k[1] for k in pairs}), batch=batch):
        if st.item in hub_codes:
            theirs[(st.item, st.value)].append(st)
        elif st.value in hub_codes:  # a partner's statement naming the hub
            theirs[(st.value, st.item)].append(st)
    cmp.compare("twinning", pairs, theirs)


def _memberships(cmp: _Comparison, wikidata: Engine, batch: int) -> None:
    ours = cmp.ours
    pairs: Pairs = {}
    organisations: set[str] = set()
    for member, organisation, start, end in ours.rows(
        "SELECT ?m ?o ?start ?end WHERE { ?ms a org:Membership ; org:member ?m ; org:organization ?o "
        "OPTIONAL { ?ms schema:startDate ?start } OPTIONAL { ?ms schema:endDate ?end } }"
    ):
        m, o = str(member), str(organisation)
        if o in ours.links:
            organisations.add(o)
        if o not in ours.links or m not in ours.links:
            cmp.skip(f"membership in {ours.name(o)}: no Wikidata link for {ours.name(o if o not in ours.links else m)}")
            continue
        here = pairs.setdefault((ours.links[m], ours.links[o]), ([], []))
        for values, v in zip(here, (start, end), strict=True):
            if v is not None and v not in values:
                values.append(v)
    theirs: dict[tuple[str, str], list[Statement]] = defaultdict(list)
    for st in statements(wikidata, MEMBER_OF, [ours.links[o] for o in organisations], by_value=True, batch=batch):
        theirs[(st.item, st.value)].append(st)
    cmp.compare("membership", pairs, theirs)


def _foundings(cmp: _Comparison, wikidata: Engine, batch: int) -> None:
    ours = cmp.ours
    founded: dict[str, list[Node]] = defaultdict(list)
    for x, date in ours.rows("SELECT ?x ?d WHERE { ?x schema:foundingDate ?d }"):
        if date is not None:
            founded[str(x)].append(date)
    for (x,) in ours.rows("SELECT DISTINCT ?x WHERE { ?x a org:Organization FILTER NOT EXISTS { ?x a schema:Place } }"):
        founded.setdefault(str(x), [])
    for iri in sorted(k for k, v in founded.items() if v and k not in ours.links):
        cmp.skip(f"founding date of {ours.name(iri)}: no Wikidata link")
    linked = {ours.links[x]: x for x in founded if x in ours.links}
    inceptions: dict[str, list[tuple[str, int | None]]] = defaultdict(list)
    for st in statements(wikidata, INCEPTION, sorted(linked), batch=batch):
        inceptions[st.item].append((st.value, st.precision))
    for code in sorted(linked):
        fact = _date_fact(
            Fact("founding", cmp.who(code), "", "inception", "", "", ""),
            founded[linked[code]],
            inceptions.get(code, []),
        )
        if fact:
            cmp.facts.append(fact)


def reconcile(
    ours_engine: Engine, wikidata: Engine, base: str = DEFAULT_BASE, batch: int = 100, endpoint: str = ""
) -> Report:
    """Compare our release (``ours_engine``) with Wikidata (``wikidata``), fact by fact."""
    cmp = _Comparison(_Ours(ours_engine, base))
    _twinnings(cmp, wikidata, batch)
    _memberships(cmp, wikidata, batch)
    _foundings(cmp, wikidata, batch)
    names = labels(wikidata, cmp.unknown, batch) if cmp.unknown else {}
    facts = sorted(
        (
            Fact(f.kind, _label(f.subject, names), _label(f.object, names), f.aspect, f.status, f.here, f.wikidata)
            for f in cmp.facts
        ),
        key=lambda f: (_KINDS[f.kind], f.subject, f.object, _ASPECTS[f.aspect]),
    )
    notes = [f"{n} × {text}" if n > 1 else text for text, n in sorted(cmp.skipped.items())]
    return Report(facts, notes, endpoint)


def _label(name: str, names: dict[str, str]) -> str:
    if name.startswith("wd:") and names.get(name[3:]):
        return f"{name} {names[name[3:]]}"
    return name
