"""Synthetic data in the krefeld-kg data contract, shaped like a graph of every German municipality.

    python -m bench.generate --triples N --out DIR [--defects RATE] [--seed S]

writes one Turtle file per kind of resource into DIR (places, organisations, cooperations, memberships,
counts, twinnings, relations, events, claims, contact points, sources, publishers), written the way
data/README.md asks: relative IRIs with the project's prefixes, resources sorted by IRI, no blank nodes,
``dct:source`` on every resource, labels in German and English. The output is valid against
ontology/shapes.ttl and queries/checks/ unless ``--defects`` injects violations; each injected defect is
listed in ``DIR/defects.json`` with the violations the validator must report for it (focus node,
constraint component, message), so a test can compare the report with the manifest.

Shape of the data (about a million triples at N = 1M, ~11,000 German municipalities):
  * German municipalities in districts in states (AGS, NUTS, coordinates, GeoNames, Wikidata), countries;
  * ~20 % of municipalities twinned with 1–5 towns abroad (towns shared between several German partners),
    a few German–German twinnings; charter dates, status (paused and ended ones with a status-change
    event), disputed charter dates as claims; project partnerships and informal connections;
  * cooperations with 3–40 members (municipalities, districts, chambers and other bodies), founding dates
    and membership dates of mixed precision (xsd:date, xsd:gYearMonth, xsd:gYear), roles, member counts;
  * events (anniversaries, visits, signings, decisions, donations, exhibitions, festivals);
  * source documents and their publishers.

Deterministic by seed: the same arguments give byte-identical files. The generator holds small records of
the resources (not triples) and writes each file as a stream. Only the standard library is imported.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BASE = "https://w3id.org/krefeld-kg/"
SH = "http://www.w3.org/ns/shacl#"
CHECKS = "https://w3id.org/krefeld-kg/checks/"
STATUS_NS = "https://w3id.org/krefeld-kg/ontology/status/"
WD = "http://www.wikidata.org/entity/"
LAST_YEAR = 2025  # no generated date lies after this year, so "date in the future" only comes from defects

#: resource prefix -> {type} segment of the IRI (namespaces.RESOURCE_TYPES, inverted)
RESOURCE_PREFIXES = {
    "place": "place",
    "orgn": "organisation",
    "coop": "cooperation",
    "ms": "membership",
    "twin": "twinning",
    "rel": "relation",
    "event": "event",
    "claim": "claim",
    "count": "count",
    "contact": "contact",
    "src": "source",
    "pub": "publisher",
}
VOCAB = {
    "kkg": "https://w3id.org/krefeld-kg/ontology#",
    "role": "https://w3id.org/krefeld-kg/ontology/role/",
    "status": STATUS_NS,
    "legalform": "https://w3id.org/krefeld-kg/ontology/legal-form/",
    "field": "https://w3id.org/krefeld-kg/ontology/field/",
    "countkind": "https://w3id.org/krefeld-kg/ontology/count-kind/",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "dct": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
}

# --------------------------------------------------------------------------------------------------
# Defects: each kind breaks one named constraint; EXPECTED gives the violations the validator reports
# (constraint component, message); "{…}" fields are filled per defect.

DEFECT_KINDS = (
    "missing-label-en",
    "missing-source",
    "membership-before-founding",
    "membership-end-before-start",
    "future-date",
    "twinning-three-partners",
    "unknown-status",
    "missing-charter-date",
    "dangling-link",
    "latitude-out-of-range",
    "bad-ags",
    "shared-wikidata",
    "duplicate-label",
    "personal-data",
)

SPARQL_COMPONENT = SH + "SPARQLConstraintComponent"


def _expected(kind: str, **v: str) -> list[dict[str, str]]:
    """The violations a defect of ``kind`` causes, each as {focus, component, message}."""
    f = v["focus"]
    if kind == "missing-label-en":
        return [
            {
                "focus": f,
                "component": SH + "QualifiedMinCountConstraintComponent",
                "message": "needs an rdfs:label in English (@en)",
            },
            {"focus": f, "component": CHECKS + "missing-translation-violation", "message": "has no label in @en"},
        ]
    if kind == "missing-source":
        return [
            {
                "focus": f,
                "component": SH + "MinCountConstraintComponent",
                "message": "needs dct:source pointing at a source document of data/sources.ttl",
            },
            {
                "focus": f,
                "component": CHECKS + "missing-source-violation",
                "message": "has no dct:source: every resource must say where its facts come from",
            },
        ]
    if kind == "membership-before-founding":
        return [
            {
                "focus": f,
                "component": SPARQL_COMPONENT,
                "message": f"membership starts ({v['value']}) before the organisation was founded ({v['other']})",
            }
        ]
    if kind == "membership-end-before-start":
        return [
            {
                "focus": f,
                "component": SPARQL_COMPONENT,
                "message": f"membership ends ({v['value']}) before it starts ({v['other']})",
            }
        ]
    if kind == "future-date":
        return [{"focus": f, "component": SPARQL_COMPONENT, "message": f"date {v['value']} lies in the future"}]
    if kind == "twinning-three-partners":
        return [
            {
                "focus": f,
                "component": SH + "MaxCountConstraintComponent",
                "message": "a twinning needs exactly two kkg:partner",
            }
        ]
    if kind == "unknown-status":
        return [
            {
                "focus": f,
                "component": SH + "InConstraintComponent",
                "message": "kkg:status must be exactly one of status:active, status:paused, status:ended",
            },
            {
                "focus": f,
                "component": SPARQL_COMPONENT,
                "message": f"status is {v['value']} but no kkg:statusChange records when and by whom it changed",
            },
        ]
    if kind == "missing-charter-date":
        return [
            {
                "focus": f,
                "component": SH + "MinCountConstraintComponent",
                "message": "a twinning needs its charter date as schema:startDate (xsd:date)",
            }
        ]
    if kind == "dangling-link":
        return [
            {"focus": f, "component": SH + "ClassConstraintComponent", "message": "schema:location must name a place"},
            {
                "focus": f,
                "component": CHECKS + "dangling-reference-violation",
                "message": f"links to {v['value']}, which no data file defines",
            },
        ]
    if kind == "latitude-out-of-range":
        return [
            {
                "focus": f,
                "component": SH + "MaxInclusiveConstraintComponent",
                "message": "geo:lat must be one xsd:decimal between -90 and 90",
            }
        ]
    if kind == "bad-ags":
        return [
            {
                "focus": f,
                "component": SH + "PatternConstraintComponent",
                "message": "kkg:ags must be one official key of 5 or 8 digits",
            }
        ]
    if kind == "shared-wikidata":
        o = v["other"]
        return [
            {
                "focus": f,
                "component": CHECKS + "shared-wikidata-violation",
                "message": f"shares owl:sameAs {v['value']} with {o}",
            },
            {
                "focus": o,
                "component": CHECKS + "shared-wikidata-violation",
                "message": f"shares owl:sameAs {v['value']} with {f}",
            },
        ]
    if kind == "duplicate-label":
        o = v["other"]
        return [
            {
                "focus": f,
                "component": CHECKS + "duplicate-label-violation",
                "message": f"has the same German label as {o}",
            },
            {
                "focus": o,
                "component": CHECKS + "duplicate-label-violation",
                "message": f"has the same German label as {f}",
            },
        ]
    if kind == "personal-data":
        return [{"focus": f, "component": CHECKS + "personal-data-violation", "message": "contains a phone number"}]
    raise ValueError(f"unknown defect kind {kind!r}")


# --------------------------------------------------------------------------------------------------
# Names

_UMLAUTS = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "Ä": "ae",
        "Ö": "oe",
        "Ü": "ue",
        "é": "e",
        "è": "e",
        "ç": "c",
        "ó": "o",
        "ł": "l",
        "ś": "s",
        "ż": "z",
        "ą": "a",
        "ę": "e",
        "ń": "n",
        "á": "a",
        "í": "i",
        "ő": "o",
        "ú": "u",
        "ň": "n",
        "ř": "r",
        "č": "c",
        "š": "s",
        "ž": "z",
        "ý": "y",
        "ě": "e",
        "å": "a",
        "ø": "o",
        "ş": "s",
        "ı": "i",
        "ğ": "g",
    }
)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().translate(_UMLAUTS)).strip("-")


GERMAN_PREFIXES = (
    "",
    "",
    "",
    "",
    "",
    "",
    "Alt",
    "Neu",
    "Ober",
    "Nieder",
    "Groß",
    "Klein",
    "Bad ",
    "Hohen",
    "Sankt ",
    "Unter",
    "Mittel",
    "Hinter",
)
GERMAN_ONSETS = (
    "Ahr",
    "Bor",
    "Dür",
    "Eschen",
    "Fal",
    "Gel",
    "Hal",
    "Ilm",
    "Kirch",
    "Lan",
    "Mer",
    "Nor",
    "Oster",
    "Pfaff",
    "Rhein",
    "Sal",
    "Tann",
    "Ulm",
    "Vel",
    "Wald",
    "Zell",
    "Bie",
    "Dorn",
    "Eber",
    "Frei",
    "Gold",
    "Hirsch",
    "Kalten",
    "Lauter",
    "Mühl",
    "Rot",
    "Schön",
    "Stein",
    "Weiß",
    "Wolf",
    "Lin",
    "Mar",
    "Rup",
    "Sieg",
    "Wen",
    "Asch",
    "Bert",
    "Brem",
    "Dahl",
    "Elm",
    "Flach",
    "Gries",
    "Hasel",
    "Kroll",
    "Lohn",
    "Mett",
    "Nett",
    "Ort",
    "Quer",
    "Reck",
    "Sulz",
    "Tröst",
    "Uf",
    "Wint",
    "Zieg",
)
GERMAN_MIDDLES = ("", "", "", "en", "er", "s", "el", "ing", "and", "is")
GERMAN_SUFFIXES = (
    "dorf",
    "hausen",
    "heim",
    "berg",
    "stadt",
    "feld",
    "ingen",
    "rode",
    "bach",
    "kirchen",
    "burg",
    "au",
    "hagen",
    "stedt",
    "hofen",
    "born",
    "brück",
    "wald",
    "tal",
    "weiler",
    "ow",
    "itz",
    "beck",
    "hude",
    "lage",
    "siek",
    "mar",
    "leben",
    "furt",
    "scheid",
)
RIVERS = (
    "Rhein",
    "Main",
    "Elbe",
    "Oder",
    "Weser",
    "Mosel",
    "Lahn",
    "Ems",
    "Fulda",
    "Saale",
    "Ruhr",
    "Lippe",
    "Donau",
    "Neckar",
    "Spree",
    "Havel",
    "Ilm",
    "Werra",
    "Sieg",
    "Nahe",
)

#: slug, German, English, language, Wikidata (the real country items), weight, lat/long box, name suffixes
COUNTRIES: tuple[tuple[str, str, str, str, int, float, tuple[float, float, float, float], tuple[str, ...]], ...] = (
    (
        "frankreich",
        "Frankreich",
        "France",
        "fr",
        142,
        30,
        (43.0, 50.9, -1.5, 7.5),
        ("ville", "court", "-sur-Mer", "-les-Bains", "ac", "y", "-en-Vallée"),
    ),
    ("polen", "Polen", "Poland", "pl", 36, 12, (49.3, 54.7, 14.3, 23.9), ("ów", "owice", "ice", "no", "sk", "awa")),
    (
        "vereinigtes-koenigreich",
        "Vereinigtes Königreich",
        "United Kingdom",
        "en",
        145,
        8,
        (50.2, 57.5, -5.5, 1.7),
        ("ton", "bury", "ford", "ham", "chester", "wick"),
    ),
    (
        "niederlande",
        "Niederlande",
        "Netherlands",
        "nl",
        55,
        6,
        (51.3, 53.4, 3.6, 7.1),
        ("dam", "hoven", "broek", "veen", "wijk", "recht"),
    ),
    ("italien", "Italien", "Italy", "it", 38, 6, (37.0, 46.5, 7.0, 16.5), ("ano", "ello", "ino", "ola", "era")),
    ("oesterreich", "Österreich", "Austria", "de", 40, 5, (46.5, 48.9, 9.6, 17.0), ("ach", "eck", "stein", "kirchen")),
    (
        "tschechien",
        "Tschechien",
        "Czech Republic",
        "cs",
        213,
        4,
        (48.6, 51.0, 12.1, 18.8),
        ("ov", "any", "ice", "ín", "ec"),
    ),
    (
        "vereinigte-staaten",
        "Vereinigte Staaten",
        "United States",
        "en",
        30,
        4,
        (30.0, 47.0, -120.0, -72.0),
        ("ville", " City", "burg", "field", "port"),
    ),
    ("ungarn", "Ungarn", "Hungary", "hu", 28, 3, (45.8, 48.5, 16.2, 22.8), ("háza", "vár", "falva", "egyháza")),
    ("spanien", "Spanien", "Spain", "es", 29, 3, (36.2, 43.7, -8.9, 3.2), ("ares", "illa", "ejo", "ón")),
    ("belgien", "Belgien", "Belgium", "nl", 31, 3, (49.6, 51.4, 2.6, 6.3), ("gem", "hout", "kerke", "zele")),
    ("tuerkei", "Türkei", "Turkey", "tr", 43, 3, (36.0, 41.9, 26.0, 44.5), ("köy", "lı", "abad", "şehir")),
    ("russland", "Russland", "Russia", "ru", 159, 2, (45.0, 60.0, 30.0, 60.0), ("ovsk", "ino", "grad", "ovo")),
    ("ukraine", "Ukraine", "Ukraine", "uk", 212, 2, (45.5, 51.5, 23.0, 39.5), ("ivka", "opil", "yn", "ytskyi")),
    ("schweden", "Schweden", "Sweden", "sv", 34, 1, (55.4, 66.0, 11.5, 23.0), ("köping", "by", "stad", "holm")),
    ("israel", "Israel", "Israel", "he", 801, 1, (29.6, 33.2, 34.3, 35.8), ("a", "on", "iya", "et")),
    ("china", "China", "China", "zh", 148, 1, (22.0, 40.0, 100.0, 122.0), ("zhou", "an", "ning", "yang")),
    ("japan", "Japan", "Japan", "ja", 17, 1, (31.0, 43.0, 130.0, 145.0), ("shima", "yama", "saki", "ta")),
)
FOREIGN_ONSETS = (
    "Mont",
    "Bel",
    "Ros",
    "Var",
    "Lu",
    "Kar",
    "Sol",
    "Ven",
    "Tor",
    "Mar",
    "Vil",
    "Dun",
    "Ald",
    "Bra",
    "Cor",
    "Gal",
    "Hel",
    "Jar",
    "Kol",
    "Lis",
    "Nor",
    "Pol",
    "Ras",
    "Sar",
    "Tal",
    "Ul",
    "Zam",
    "Ost",
    "Fir",
    "Gor",
    "Mil",
    "Nov",
    "Per",
    "Sok",
    "Tre",
    "Vis",
    "Wel",
    "Yar",
    "Bor",
    "Cam",
)
FOREIGN_MIDDLES = ("", "", "a", "e", "i", "o", "en", "ar", "el", "in")
_CYRILLIC = str.maketrans(
    {
        "a": "а",
        "b": "б",
        "c": "ц",
        "d": "д",
        "e": "е",
        "f": "ф",
        "g": "г",
        "h": "х",
        "i": "и",
        "j": "й",
        "k": "к",
        "l": "л",
        "m": "м",
        "n": "н",
        "o": "о",
        "p": "п",
        "r": "р",
        "s": "с",
        "t": "т",
        "u": "у",
        "v": "в",
        "w": "в",
        "y": "ы",
        "z": "з",
        "A": "А",
        "B": "Б",
        "C": "Ц",
        "D": "Д",
        "E": "Е",
        "F": "Ф",
        "G": "Г",
        "H": "Х",
        "I": "И",
        "K": "К",
        "L": "Л",
        "M": "М",
        "N": "Н",
        "O": "О",
        "P": "П",
        "R": "Р",
        "S": "С",
        "T": "Т",
        "U": "У",
        "V": "В",
        "W": "В",
        "Y": "Ы",
        "Z": "З",
    }
)
STATES = (  # the 16 German states: slug part, German, English, AGS, NUTS
    ("Nordrhein-Westfalen", "North Rhine-Westphalia", "05", "DEA"),
    ("Bayern", "Bavaria", "09", "DE2"),
    ("Baden-Württemberg", "Baden-Württemberg", "08", "DE1"),
    ("Niedersachsen", "Lower Saxony", "03", "DE9"),
    ("Hessen", "Hesse", "06", "DE7"),
    ("Rheinland-Pfalz", "Rhineland-Palatinate", "07", "DEB"),
    ("Sachsen", "Saxony", "14", "DED"),
    ("Thüringen", "Thuringia", "16", "DEG"),
    ("Brandenburg", "Brandenburg", "12", "DE4"),
    ("Sachsen-Anhalt", "Saxony-Anhalt", "15", "DEE"),
    ("Schleswig-Holstein", "Schleswig-Holstein", "01", "DEF"),
    ("Mecklenburg-Vorpommern", "Mecklenburg-Western Pomerania", "13", "DE8"),
    ("Saarland", "Saarland", "10", "DEC"),
    ("Berlin", "Berlin", "11", "DE3"),
    ("Hamburg", "Hamburg", "02", "DE6"),
    ("Bremen", "Bremen", "04", "DE5"),
)
#: field, German theme, English theme, legal forms
THEMES = (
    ("transport", "Verkehrsverbund", "transport association", ("zweckverband", "gmbh")),
    ("environment", "Abfallzweckverband", "waste management association", ("zweckverband", "aoer")),
    ("urban-development", "Regionalplanungsgemeinschaft", "regional planning partnership", ("informal", "ev")),
    ("culture", "Kulturraum", "cultural region", ("zweckverband", "ev", "informal")),
    ("labour-market", "Arbeitsmarktregion", "labour market region", ("aoer", "informal")),
    ("education", "Schulzweckverband", "school association", ("zweckverband",)),
    ("it-services", "Kommunales Rechenzentrum", "municipal data centre", ("zweckverband", "aoer")),
    ("retail", "Einzelhandelskonzept", "retail concept", ("informal",)),
    ("finance", "Sparkassenzweckverband", "savings bank association", ("zweckverband",)),
    ("cross-border", "Grenzregion", "cross-border region", ("ev", "zweckverband")),
    ("economic-development", "Wirtschaftsförderung", "economic development agency", ("gmbh", "ggmbh", "ev")),
)
ORG_KINDS = (  # German pattern, English pattern, legal form, by district (True) or municipality (False)
    ("IHK {}", "{} Chamber of Commerce", "kdoer", True),
    ("Kreishandwerkerschaft {}", "{} Crafts Association", "kdoer", True),
    ("Sparkasse {}", "{} Savings Bank", "aoer", False),
    ("Volkshochschule {}", "{} Adult Education Centre", "aoer", False),
    ("Stadtwerke {}", "{} Municipal Utilities", "gmbh", False),
    ("Partnerschaftsverein {}", "{} Twinning Association", "ev", False),
)
ROLES = ("founder", "shareholder", "carrier", "member", "funder", "commissioner", "participant")
EVENT_CLASSES = {  # class CURIE: German, English
    "kkg:Anniversary": ("{n} Jahre {what}", "{n} years of the {what_en}"),
    "kkg:Visit": ("Besuch einer Delegation aus {b} in {a} ({year})", "Delegation from {b} visits {a} ({year})"),
    "kkg:Donation": ("Spende aus {a} für {b} ({year})", "Donation from {a} to {b} ({year})"),
    "schema:ExhibitionEvent": ("Ausstellung „{a} trifft {b}“ ({year})", 'Exhibition "{a} meets {b}" ({year})'),
    "schema:Festival": ("Partnerschaftsfest in {a} ({year})", "Twinning festival in {a} ({year})"),
}
PRESS_HOSTS = (
    "rp-online.de",
    "wz.de",
    "waz.de",
    "ksta.de",
    "sueddeutsche.de",
    "mdr.de",
    "ndr.de",
    "wdr.de",
    "br.de",
    "swr.de",
    "hna.de",
    "nwzonline.de",
    "volksstimme.de",
    "lvz.de",
    "mz.de",
    "fnp.de",
    "merkur.de",
    "haz.de",
    "shz.de",
    "svz.de",
)
DATASET_SOURCES = (
    (
        "dataset-destatis-gemeindeverzeichnis",
        "www.destatis.de",
        "gemeindeverzeichnis/gv-isys",
        "Gemeindeverzeichnis-Informationssystem",
        "municipality directory",
    ),
    (
        "dataset-rgre-partnerschaften",
        "www.rgre.de",
        "partnerschaften/datenbank",
        "Datenbank der Städtepartnerschaften",
        "database of town twinnings",
    ),
    ("dataset-wikidata", "www.wikidata.org", "wiki/Wikidata:Database_download", "Wikidata-Datenabzug", "Wikidata dump"),
    ("dataset-geonames", "www.geonames.org", "export/dump", "GeoNames-Datenabzug", "GeoNames dump"),
)


# --------------------------------------------------------------------------------------------------
# Records: small objects describing resources; triples are produced only while writing.

Value = tuple[str, str]  # (lexical form, xsd datatype local name)


@dataclass(slots=True)
class Place:
    slug: str
    cls: str
    de: str
    en: str
    local: tuple[str, str] | None = None  # (language, name)
    country: str | None = None
    parent: str | None = None
    ags: str | None = None
    nuts: str | None = None
    lat: str | None = None
    long: str | None = None
    geonames: str | None = None
    q: int | None = None
    description: tuple[str, str] | None = None
    sources: tuple[str, ...] = ()
    defect: str | None = None


@dataclass(slots=True)
class Org:
    slug: str
    de: str
    en: str
    legal: str
    seat: str
    homepage: str
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class Coop:
    slug: str
    de: str
    en: str
    desc_de: str
    desc_en: str
    legal: str
    fields: tuple[str, ...]
    founding: Value | None
    seat: str
    homepage: str
    q: int | None
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class Membership:
    slug: str
    member: str  # CURIE
    label: str
    coop: str  # CURIE
    coop_name: str
    coop_founding: Value | None
    roles: tuple[str, ...]
    start: Value | None
    end: Value | None
    sources: tuple[str, ...] = ()
    defect: str | None = None


@dataclass(slots=True)
class Count:
    slug: str
    coop: str
    coop_name: str
    kind: str
    value: int
    as_of: Value | None
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class Relation:
    prefix: str  # twin or rel
    slug: str
    cls: str
    partners: list[str]  # CURIEs
    de: str
    en: str
    start: str | None  # xsd:date lexical form
    status: str
    status_change: str | None = None
    location: str | None = None
    contact: str | None = None
    description: tuple[str, str] | None = None
    has_claims: bool = False
    sources: tuple[str, ...] = ()
    defect: str | None = None


@dataclass(slots=True)
class Event:
    slug: str
    cls: str
    de: str
    en: str
    start: Value
    about: tuple[str, ...]
    end: Value | None = None
    location: str | None = None
    description: tuple[str, str] | None = None
    new_status: str | None = None
    decided_by: str | None = None
    sources: tuple[str, ...] = ()
    defect: str | None = None


@dataclass(slots=True)
class Claim:
    slug: str
    subject: str
    de: str
    en: str
    value: Value
    preferred: bool
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class Contact:
    slug: str
    de: str
    en: str
    address: str
    served: str
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class Source:
    slug: str
    host: str
    path: str
    title_de: str
    title_en: str
    publisher: str


@dataclass
class Defect:
    kind: str
    file: str
    expected: list[dict[str, str]]
    focus: str


@dataclass
class Plan:
    places: list[Place] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    coops: list[Coop] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)
    twinnings: list[Relation] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    publishers: dict[str, str] = field(default_factory=dict)  # slug -> host
    defects: list[Defect] = field(default_factory=list)

    def citing(self) -> tuple[list[Any], ...]:
        """The groups of records that cite sources (every group but the sources and publishers)."""
        return (
            self.places,
            self.orgs,
            self.coops,
            self.memberships,
            self.counts,
            self.twinnings,
            self.relations,
            self.events,
            self.claims,
            self.contacts,
        )


# --------------------------------------------------------------------------------------------------
# Planning


class Planner:
    def __init__(self, municipalities: int, seed: int, base: str = DEFAULT_BASE) -> None:
        self.rng = random.Random(seed)
        self.m = max(8, municipalities)
        self.base = base
        self.plan = Plan()
        self.labels: set[str] = set()  # every German label: the duplicate-label check spans all classes
        self.slugs: set[str] = set()
        self.q = 20_000_000 + self.rng.randrange(1_000_000)
        self.geonames = 3_000_000 + self.rng.randrange(100_000)
        self.source_pool: list[str] = []
        self.datasets: list[str] = []

    # helpers ---------------------------------------------------------------------------------------
    def next_q(self) -> int:
        self.q += self.rng.randint(1, 400)
        return self.q

    def next_geonames(self) -> str:
        self.geonames += self.rng.randint(1, 900)
        return str(self.geonames)

    def unique_label(self, label: str) -> str:
        if label not in self.labels:
            self.labels.add(label)
            return label
        n = 2
        while f"{label} ({n})" in self.labels:
            n += 1
        label = f"{label} ({n})"
        self.labels.add(label)
        return label

    def unique_slug(self, prefix: str, slug: str) -> str:
        key = f"{prefix}:{slug}"
        if key not in self.slugs:
            self.slugs.add(key)
            return slug
        n = 2
        while f"{key}-{n}" in self.slugs:
            n += 1
        self.slugs.add(f"{key}-{n}")
        return f"{slug}-{n}"

    def german_name(self) -> str:
        rng = self.rng
        for _ in range(40):
            name = rng.choice(GERMAN_ONSETS) + rng.choice(GERMAN_MIDDLES) + rng.choice(GERMAN_SUFFIXES)
            prefix = rng.choice(GERMAN_PREFIXES)
            name = prefix + name.lower() if prefix and not prefix.endswith(" ") else prefix + name
            if rng.random() < 0.04:
                name += f" an der {rng.choice(RIVERS)}"
            if name not in self.labels and f"place:{slugify(name)}" not in self.slugs:
                return name
        name = f"{name} {rng.choice(RIVERS)}tal"
        return name

    def foreign_name(self, suffixes: tuple[str, ...]) -> str:
        rng = self.rng
        for _ in range(40):
            name = rng.choice(FOREIGN_ONSETS) + rng.choice(FOREIGN_MIDDLES) + rng.choice(suffixes)
            if name not in self.labels and f"place:{slugify(name)}" not in self.slugs:
                return name
        return f"{name} {rng.choice(FOREIGN_ONSETS)}"

    def date(self, lo: int, hi: int, weights: tuple[float, float, float] = (0.6, 0.15, 0.25)) -> Value:
        """A date between the years lo and hi: xsd:date, xsd:gYearMonth or xsd:gYear."""
        rng = self.rng
        year = rng.randint(lo, max(lo, hi))
        kind = rng.choices(("date", "gYearMonth", "gYear"), weights)[0]
        if kind == "date":
            return f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "date"
        if kind == "gYearMonth":
            return f"{year:04d}-{rng.randint(1, 12):02d}", "gYearMonth"
        return f"{year:04d}", "gYear"

    def sources(self, k_max: int = 3) -> tuple[str, ...]:
        rng = self.rng
        k = rng.choices((1, 2, 3), (0.5, 0.35, 0.15))[0] if k_max > 1 else 1
        picked: list[str] = []
        if rng.random() < 0.3:
            picked.append(rng.choice(self.datasets))
        while len(picked) < k:
            s = self.source_pool[min(len(self.source_pool) - 1, int(len(self.source_pool) * rng.random() ** 1.5))]
            if s not in picked:
                picked.append(s)
        return tuple(sorted(picked))

    def iri(self, curie: str) -> str:
        prefix, _, local = curie.partition(":")
        return f"{self.base}id/{RESOURCE_PREFIXES[prefix]}/{local}"

    # the plan ----------------------------------------------------------------------------------------
    def build(self, defect_rate: float) -> Plan:
        self._sources_pool()
        self._places()
        self._orgs()
        self._coops()
        self._twinnings()
        self._relations()
        self._sources_records()
        if defect_rate > 0:
            self._defects(defect_rate)
        return self.plan

    def _sources_pool(self) -> None:
        # sources are cited by every resource; their records are made later, once the hosts are known
        size = max(20, self.m * 3 // 2)
        self.source_pool = [f"s{i}" for i in range(size)]  # placeholders, renamed in _sources_records
        self.datasets = [d[0] for d in DATASET_SOURCES]
        for d in DATASET_SOURCES:
            self.slugs.add(f"src:{d[0]}")

    def _places(self) -> None:
        rng, plan = self.rng, self.plan
        de = Place("deutschland", "schema:Country", "Deutschland", "Germany", q=183, sources=("dataset-wikidata",))
        self.labels.add("Deutschland")
        plan.places.append(de)
        self.countries: list[Place] = []
        for slug, name_de, name_en, _lang, q, _w, _box, _suf in COUNTRIES:
            self.labels.add(name_de)
            self.countries.append(Place(slug, "schema:Country", name_de, name_en, q=q, sources=("dataset-wikidata",)))
        plan.places.extend(self.countries)
        for p in plan.places:
            self.slugs.add(f"place:{p.slug}")
        n_districts = max(2, round(self.m / 27))
        n_states = min(16, max(1, math.ceil(n_districts / 25)))
        states = []
        for name_de, name_en, _ags, nuts in STATES[:n_states]:
            slug = self.unique_slug("place", slugify(name_de))
            self.labels.add(name_de)
            states.append(
                Place(
                    slug,
                    "kkg:Region",
                    name_de,
                    name_en,
                    country="deutschland",
                    nuts=nuts,
                    q=self.next_q(),
                    sources=self.sources(),
                )
            )
        plan.places.extend(states)
        self.districts: list[Place] = []
        district_number: dict[str, int] = {}
        for i in range(n_districts):
            state = states[i % n_states]
            stem = self.german_name()
            name = self.unique_label(f"Kreis {stem}")
            slug = self.unique_slug("place", slugify(name))
            number = district_number[state.slug] = district_number.get(state.slug, 100) + 1
            ags = STATES[i % n_states][2] + f"{number:03d}"
            nuts = state.nuts + _base36(number - 101).rjust(2, "0") if state.nuts else None
            self.districts.append(
                Place(
                    slug,
                    "kkg:District",
                    name,
                    f"{stem} district",
                    country="deutschland",
                    parent=state.slug,
                    ags=ags,
                    nuts=nuts,
                    q=self.next_q() if rng.random() < 0.9 else None,
                    sources=self.sources(),
                    description=(f"Kreis in {state.de}.", f"District in {state.en}."),
                )
            )
        plan.places.extend(self.districts)
        # municipalities, grouped by district (cooperations draw their members from neighbouring ones)
        self.munis: list[Place] = []
        self.muni_district: list[int] = []
        per_district = [0] * n_districts
        for i in range(self.m):
            d = min(n_districts - 1, int(n_districts * (i / self.m)))
            district = self.districts[d]
            per_district[d] += 1
            name = self.german_name()
            self.labels.add(name)
            slug = self.unique_slug("place", slugify(name))
            lat = rng.uniform(47.3, 55.0)
            long = rng.uniform(5.9, 15.0)
            geonames = self.next_geonames() if rng.random() < 0.8 else None
            description = None
            if rng.random() < 0.35:
                description = (f"Gemeinde im {district.de}.", f"Municipality in the {district.en}.")
            self.munis.append(
                Place(
                    slug,
                    "kkg:Municipality",
                    name,
                    name,
                    country="deutschland",
                    parent=district.slug,
                    ags=district.ags + f"{per_district[d]:03d}",
                    lat=f"{lat:.4f}",
                    long=f"{long:.4f}",
                    geonames=geonames,
                    q=self.next_q() if rng.random() < 0.9 else None,
                    description=description,
                    sources=self.sources(),
                )
            )
            self.muni_district.append(d)
        plan.places.extend(self.munis)
        self.district_start = [0] * n_districts
        for i in range(self.m - 1, -1, -1):
            self.district_start[self.muni_district[i]] = i
        self.foreign: list[Place] = []

    def _foreign_town(self) -> Place:
        rng = self.rng
        if self.foreign and rng.random() < 0.25:  # popular partner towns have several German partners
            return self.foreign[int(len(self.foreign) * rng.random() ** 2)]
        c = rng.choices(range(len(COUNTRIES)), [c[5] for c in COUNTRIES])[0]
        slug_c, _de, _en, lang, _q, _w, box, suffixes = COUNTRIES[c]
        name = self.foreign_name(suffixes)
        self.labels.add(name)
        slug = self.unique_slug("place", slugify(name))
        local_name = name.translate(_CYRILLIC) if lang in ("ru", "uk") else name
        geonames = self.next_geonames() if rng.random() < 0.7 else None
        town = Place(
            slug,
            "kkg:Municipality",
            name,
            name,
            local=(lang, local_name),
            country=slug_c,
            lat=f"{rng.uniform(box[0], box[1]):.4f}",
            long=f"{rng.uniform(box[2], box[3]):.4f}",
            geonames=geonames,
            q=self.next_q() if rng.random() < 0.8 else None,
            sources=self.sources(),
        )
        self.foreign.append(town)
        self.plan.places.append(town)
        return town

    def _orgs(self) -> None:
        rng = self.rng
        self.org_by_district: list[list[Org]] = [[] for _ in self.districts]
        for _ in range(max(2, self.m // 25)):
            pattern_de, pattern_en, legal, by_district = rng.choice(ORG_KINDS)
            d = rng.randrange(len(self.districts))
            if by_district:
                where = self.districts[d].de.removeprefix("Kreis ")
                seat = self.munis[self.district_start[d]].slug
            else:
                i = rng.randrange(self.m)
                d = self.muni_district[i]
                where, seat = self.munis[i].de, self.munis[i].slug
            name = pattern_de.format(where)
            if name in self.labels:
                continue
            self.labels.add(name)
            slug = self.unique_slug("orgn", slugify(name))
            org = Org(slug, name, pattern_en.format(where), legal, seat, f"https://www.{slug}.de/", self.sources())
            self.plan.orgs.append(org)
            self.org_by_district[d].append(org)

    def _coops(self) -> None:
        rng, plan = self.rng, self.plan
        n_coops = max(2, self.m // 2)
        for _ in range(n_coops):
            field_, theme_de, theme_en, legals = rng.choice(THEMES)
            d = rng.randrange(len(self.districts))
            # members come from the district and its neighbours
            k = 3 + int(37 * rng.random() ** 3)
            lo = hi = self.district_start[d]
            while hi < self.m and self.muni_district[hi] == d:
                hi += 1
            while hi - lo < k + 2 and (lo > 0 or hi < self.m):
                lo, hi = max(0, lo - 3), min(self.m, hi + 3)
            window = self.munis[lo:hi]
            candidates: list[tuple[str, str]] = [(f"place:{p.slug}", p.de) for p in window]
            for dd in sorted({self.muni_district[lo], self.muni_district[hi - 1], d}):
                candidates.append((f"place:{self.districts[dd].slug}", self.districts[dd].de))
                candidates.extend((f"orgn:{o.slug}", o.de) for o in self.org_by_district[dd])
            k = min(k, len(candidates))
            members = rng.sample(candidates, k)
            region = " ".join(sorted({n.split(" ")[-1] for _, n in members[:2]}))
            name = self.unique_label(f"{theme_de} {region}")
            slug = self.unique_slug("coop", slugify(name))
            seat = rng.choice(window).slug
            founding = self.date(1950, 2020, (0.5, 0.1, 0.4)) if rng.random() < 0.85 else None
            fields = (field_,) if rng.random() < 0.8 else tuple(sorted({field_, rng.choice(THEMES)[0]}))
            coop = Coop(
                slug,
                name,
                f"{region} {theme_en}",
                f"{theme_de} mit {k} Mitgliedern aus der Region um {region}.",
                f"{theme_en.capitalize()} with {k} members from the region around {region}.",
                rng.choice(legals),
                fields,
                founding,
                seat,
                f"https://www.{slug}.de/",
                self.next_q() if rng.random() < 0.3 else None,
                self.sources(),
            )
            plan.coops.append(coop)
            curie = f"coop:{slug}"
            fy = int(founding[0][:4]) if founding else None
            for member, member_name in members:
                start = end = None
                roles: tuple[str, ...]
                if founding is not None and rng.random() < 0.3:
                    start, roles = founding, ("founder", "member")
                else:
                    roles = (rng.choices(ROLES[1:], (3, 1, 10, 1, 1, 3))[0],)
                    if rng.random() < 0.7:
                        start = self.date((fy or 1950) + 1, LAST_YEAR)
                if start is not None and rng.random() < 0.08 and int(start[0][:4]) < LAST_YEAR:
                    end = self.date(int(start[0][:4]) + 1, LAST_YEAR)
                mslug = self.unique_slug("ms", f"{member.partition(':')[2]}--{slug}")
                label = self.unique_label(f"{member_name} in {name}")
                plan.memberships.append(
                    Membership(mslug, member, label, curie, name, founding, roles, start, end, self.sources(2))
                )
            if rng.random() < 0.3:
                as_of = self.date(max(fy or 2000, 2000), LAST_YEAR, (0.3, 0.3, 0.4))
                cslug = self.unique_slug("count", f"{slug}-members-{as_of[0]}")
                plan.counts.append(Count(cslug, curie, name, "members", k + rng.randint(0, 5), as_of, self.sources()))
            if founding is not None and rng.random() < 0.3:
                self._event(
                    "kkg:Signing",
                    f"Gründung: {name}",
                    f"Founding of the {coop.en}",
                    founding,
                    (curie,),
                    location=f"place:{seat}",
                )

    def _event(self, cls: str, de: str, en: str, start: Value, about: tuple[str, ...], **kw: object) -> Event:
        de = self.unique_label(de)
        slug = self.unique_slug("event", slugify(de))
        event = Event(slug, cls, de, en, start, about, sources=self.sources(), **kw)  # type: ignore[arg-type]
        self.plan.events.append(event)
        return event

    def _twinnings(self) -> None:
        rng, plan = self.rng, self.plan
        pairs: set[tuple[str, str]] = set()
        contacts: dict[str, str] = {}
        for muni in self.munis:
            if rng.random() >= 0.2:
                continue
            for _ in range(rng.choices((1, 2, 3, 4, 5), (45, 25, 15, 10, 5))[0]):
                if rng.random() < 0.08:
                    partner = self.munis[rng.randrange(self.m)]
                    if partner is muni:
                        continue
                else:
                    partner = self._foreign_town()
                key = (muni.slug, partner.slug)
                if key in pairs or key[::-1] in pairs:
                    continue
                pairs.add(key)
                start_year = rng.randint(1950, 2023)
                start = f"{start_year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                what = f"Städtepartnerschaft {muni.de}–{partner.de}"
                slug = self.unique_slug("twin", f"{muni.slug}--{partner.slug}")
                status = rng.choices(("active", "paused", "ended"), (85, 8, 7))[0]
                if muni.slug not in contacts and rng.random() < 0.3:
                    cslug = self.unique_slug("contact", f"{muni.slug}-partnerschaften")
                    label = self.unique_label(f"Städtepartnerschaften der Gemeinde {muni.de}")
                    plan.contacts.append(
                        Contact(
                            cslug,
                            label,
                            f"Town twinning office of {muni.de}",
                            f"Rathaus, {muni.de}",
                            muni.slug,
                            self.sources(),
                        )
                    )
                    contacts[muni.slug] = cslug
                twin = Relation(
                    "twin",
                    slug,
                    "kkg:Twinning",
                    [f"place:{muni.slug}", f"place:{partner.slug}"],
                    self.unique_label(what),
                    f"{muni.en}–{partner.en} town twinning",
                    start,
                    status,
                    location=f"place:{rng.choice((muni, partner)).slug}" if rng.random() < 0.4 else None,
                    contact=f"contact:{contacts[muni.slug]}" if muni.slug in contacts else None,
                    description=(
                        f"Partnerschaft von {muni.de} mit {partner.de}, besiegelt {start_year}.",
                        f"Partnership of {muni.en} with {partner.en}, sealed in {start_year}.",
                    )
                    if rng.random() < 0.3
                    else None,
                    sources=self.sources(),
                )
                plan.twinnings.append(twin)
                about = (f"twin:{slug}",)
                if status != "active":
                    word_de, word_en = ("ruhend", "paused") if status == "paused" else ("beendet", "ended")
                    year = rng.randint(start_year + 1, LAST_YEAR)
                    change = self._event(
                        "kkg:StatusChange",
                        f"{what}: {word_de} ({year})",
                        f"{muni.en}–{partner.en} twinning {word_en}",
                        self.date(year, year),
                        about,
                        new_status=status,
                        decided_by=f"place:{muni.slug}",
                    )
                    twin.status_change = change.slug
                for n in (25, 50):
                    if start_year + n <= LAST_YEAR and rng.random() < 0.5:
                        self._event(
                            "kkg:Anniversary",
                            f"{n} Jahre {what}",
                            f"{n} years of the {twin.en}",
                            self.date(start_year + n, start_year + n, (0.5, 0.3, 0.2)),
                            about,
                            location=f"place:{rng.choice((muni, partner)).slug}",
                        )
                for cls in ("kkg:Visit", "kkg:Donation", "schema:ExhibitionEvent", "schema:Festival"):
                    if rng.random() < 0.25:
                        year = rng.randint(start_year, LAST_YEAR)
                        de, en = EVENT_CLASSES[cls]
                        fill = {"a": muni.de, "b": partner.de, "year": year}
                        start_ev = self.date(year, year)
                        end_ev = None
                        exhibition = cls in ("schema:ExhibitionEvent", "schema:Festival")
                        if exhibition and year < LAST_YEAR and rng.random() < 0.5:
                            end_ev = (f"{year + 1:04d}", "gYear")
                        self._event(
                            cls,
                            de.format(**fill),
                            en.format(**fill),
                            start_ev,
                            (*about, f"place:{muni.slug}"),
                            end=end_ev,
                            location=f"place:{muni.slug}" if rng.random() < 0.5 else None,
                            description=(
                                f"{de.format(**fill)}: Begegnung der Partnerstädte.",
                                f"{en.format(**fill)}: a meeting of the partner towns.",
                            )
                            if rng.random() < 0.5
                            else None,
                        )
                if rng.random() < 0.1:  # a disputed charter date: claims, one preferred
                    twin.has_claims = True
                    other = f"{start_year - rng.randint(0, 2):04d}"
                    variants = ((True, (start, "date"), "stadt"), (False, (other, "gYear"), "verein"))
                    for preferred, value, tag in variants:
                        label = self.unique_label(f"Beginn der {what} laut {tag}: {value[0]}")
                        plan.claims.append(
                            Claim(
                                self.unique_slug("claim", f"{slug}-start-date-{tag}"),
                                f"twin:{slug}",
                                label,
                                f"Start of the {twin.en} according to the {'city' if preferred else 'association'}: "
                                f"{value[0]}",
                                value,
                                preferred,
                                self.sources(2),
                            )
                        )

    def _relations(self) -> None:
        rng, plan = self.rng, self.plan
        for muni in self.munis:
            r = rng.random()
            if r < 0.01:
                partners = [muni, self._foreign_town()]
                if rng.random() < 0.5:
                    partners.append(self._foreign_town())
                cls, word_de, word_en = "kkg:ProjectPartnership", "Projektpartnerschaft", "project partnership"
            elif r < 0.03:
                partners = [muni, self._foreign_town()]
                cls, word_de, word_en = "kkg:InformalConnection", "Verbindung", "connection"
            else:
                continue
            slugs = list(dict.fromkeys(p.slug for p in partners))
            if len(slugs) < 2:
                continue
            names = "–".join(p.de for p in partners if p.slug in slugs)
            de = self.unique_label(f"{word_de} {names}")
            slug = self.unique_slug("rel", "--".join(slugs))
            plan.relations.append(
                Relation(
                    "rel",
                    slug,
                    cls,
                    [f"place:{s}" for s in slugs],
                    de,
                    f"{names} {word_en}",
                    f"{rng.randint(1990, 2024):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                    if cls == "kkg:ProjectPartnership"
                    else None,
                    "active",
                    sources=self.sources(),
                )
            )

    def _sources_records(self) -> None:
        """Give the source placeholders names and hosts: press sites, the towns' own sites, data sets."""
        rng, plan = self.rng, self.plan
        hosts = list(PRESS_HOSTS)
        hosts += [f"www.{p.slug}.de" for p in self.munis[: max(1, len(self.source_pool) // 20)]]
        renamed: dict[str, str] = {}
        counters: dict[str, int] = {}
        for placeholder in self.source_pool:
            host = hosts[min(len(hosts) - 1, int(len(hosts) * rng.random() ** 2))]
            counters[host] = counters.get(host, 0) + 1
            n = counters[host]
            topic = rng.choice(("partnerschaft", "besuch", "jubilaeum", "verband", "kooperation", "rat", "region"))
            path = f"{topic}/artikel-{n}"
            host_slug = slugify(host.removeprefix("www."))
            slug = self.unique_slug("src", f"{host_slug}-{topic}-{n}")
            pub = slugify(host.removeprefix("www."))
            plan.publishers[pub] = host
            renamed[placeholder] = slug
            self.labels.add(f"Seite auf {host}: „{topic} {n}“")
            plan.sources.append(Source(slug, host, path, f"{topic} {n}", f"{topic} {n}", pub))
        for slug, host, path, title_de, title_en in DATASET_SOURCES:
            pub = slugify(host.removeprefix("www."))
            plan.publishers[pub] = host
            plan.sources.append(Source(slug, host, path, title_de, title_en, pub))
        used: set[str] = set()

        def fix(sources: tuple[str, ...]) -> tuple[str, ...]:
            out = tuple(sorted(renamed.get(s, s) for s in sources))
            used.update(out)
            return out

        for group in plan.citing():
            for record in group:
                record.sources = fix(record.sources)
        plan.sources = [s for s in plan.sources if s.slug in used]  # no orphan sources
        cited_publishers = {s.publisher for s in plan.sources}
        plan.publishers = {k: v for k, v in plan.publishers.items() if k in cited_publishers}

    # defects ---------------------------------------------------------------------------------------
    def _defects(self, rate: float) -> None:
        rng, plan = self.rng, self.plan
        resources = sum(len(g) for g in (*plan.citing(), plan.sources)) + len(plan.publishers)
        wanted = max(1, round(rate * resources))
        taken: set[str] = set()

        def pick(pool: list, ok) -> object | None:  # type: ignore[no-untyped-def, type-arg]
            for _ in range(200):
                if not pool:
                    return None
                record = pool[rng.randrange(len(pool))]
                key = f"{type(record).__name__}:{record.slug}"
                if key not in taken and ok(record):
                    taken.add(key)
                    return record
            return None

        german = [p for p in self.munis]
        events = [e for e in plan.events if e.cls not in ("kkg:StatusChange", "kkg:Signing")]
        made = 0
        failures = 0
        k = 0
        while made < wanted and failures < len(DEFECT_KINDS) * 3:
            kind = DEFECT_KINDS[k % len(DEFECT_KINDS)]
            k += 1
            defect = self._defect(kind, pick, german, events)
            if defect is None:
                failures += 1
                continue
            plan.defects.append(defect)
            made += 1

    def _defect(self, kind: str, pick, german: list[Place], events: list[Event]) -> Defect | None:  # type: ignore[no-untyped-def]
        plan, iri = self.plan, self.iri
        if kind in ("missing-label-en", "missing-source"):
            m = pick(plan.memberships, lambda r: True)
            if m is None:
                return None
            m.defect = kind
            return Defect(kind, "memberships.ttl", _expected(kind, focus=iri(f"ms:{m.slug}")), iri(f"ms:{m.slug}"))
        if kind == "membership-before-founding":
            m = pick(plan.memberships, lambda r: r.coop_founding is not None and int(r.coop_founding[0][:4]) > 1900)
            if m is None:
                return None
            m.defect, m.start = kind, (f"{int(m.coop_founding[0][:4]) - 3:04d}", "gYear")
            if m.end is not None and m.end[0][:4] <= m.start[0]:
                m.end = None
            return Defect(
                kind,
                "memberships.ttl",
                _expected(kind, focus=iri(f"ms:{m.slug}"), value=m.start[0], other=m.coop_founding[0]),
                iri(f"ms:{m.slug}"),
            )
        if kind == "membership-end-before-start":
            m = pick(plan.memberships, lambda r: r.start is not None and int(r.start[0][:4]) > 1900)
            if m is None:
                return None
            m.defect, m.end = kind, (f"{int(m.start[0][:4]) - 1:04d}", "gYear")
            return Defect(
                kind,
                "memberships.ttl",
                _expected(kind, focus=iri(f"ms:{m.slug}"), value=m.end[0], other=m.start[0]),
                iri(f"ms:{m.slug}"),
            )
        if kind in ("future-date", "dangling-link", "personal-data"):
            cond = {
                "future-date": lambda r: r.end is None,
                "dangling-link": lambda r: True,
                "personal-data": lambda r: r.description is not None,
            }[kind]
            e = pick(events, cond)
            if e is None:
                return None
            e.defect = kind
            focus = iri(f"event:{e.slug}")
            if kind == "future-date":
                e.start = (f"{LAST_YEAR + 66:04d}-06-15", "date")
                return Defect(kind, "events.ttl", _expected(kind, focus=focus, value=e.start[0]), focus)
            if kind == "dangling-link":
                e.location = f"place:{e.slug}-ort-unbekannt"
                return Defect(kind, "events.ttl", _expected(kind, focus=focus, value=iri(e.location)), focus)
            e.description = (e.description[0] + " Anmeldung unter Telefon +49 2151 86 2000.", e.description[1])
            return Defect(kind, "events.ttl", _expected(kind, focus=focus), focus)
        if kind in ("twinning-three-partners", "unknown-status", "missing-charter-date"):
            t = pick(plan.twinnings, lambda r: r.status == "active" and not r.has_claims)
            if t is None:
                return None
            t.defect = kind
            focus = iri(f"twin:{t.slug}")
            if kind == "twinning-three-partners":
                third = next((p for p in german if f"place:{p.slug}" not in t.partners), None)
                if third is None:
                    return None
                t.partners = [*t.partners, f"place:{third.slug}"]
                return Defect(kind, "twinnings.ttl", _expected(kind, focus=focus), focus)
            if kind == "unknown-status":
                t.status = "frozen"
                return Defect(kind, "twinnings.ttl", _expected(kind, focus=focus, value=STATUS_NS + "frozen"), focus)
            t.start = None
            return Defect(kind, "twinnings.ttl", _expected(kind, focus=focus), focus)
        if kind in ("latitude-out-of-range", "bad-ags"):
            p = pick(german, lambda r: True)
            if p is None:
                return None
            p.defect = kind
            if kind == "latitude-out-of-range":
                p.lat = "123.4567"
            else:
                p.ags = p.ags[:4] if p.ags else "1234"
            focus = iri(f"place:{p.slug}")
            return Defect(kind, "places.ttl", _expected(kind, focus=focus), focus)
        if kind == "shared-wikidata":
            a = pick(german, lambda r: r.q is not None)
            b = pick(german, lambda r: r.q is not None)
            if a is None or b is None:
                return None
            b.q = a.q
            a.defect = b.defect = kind
            fa, fb = iri(f"place:{a.slug}"), iri(f"place:{b.slug}")
            return Defect(kind, "places.ttl", _expected(kind, focus=fa, other=fb, value=f"{WD}Q{a.q}"), fa)
        if kind == "duplicate-label":
            a = pick(events, lambda r: True)
            b = pick(events, lambda r: True)
            if a is None or b is None:
                return None
            b.de = a.de
            a.defect = b.defect = kind
            fa, fb = iri(f"event:{a.slug}"), iri(f"event:{b.slug}")
            return Defect(kind, "events.ttl", _expected(kind, focus=fa, other=fb), fa)
        raise ValueError(kind)


def _base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


# --------------------------------------------------------------------------------------------------
# Writing


def lit(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def typed(value: Value) -> str:
    return f'"{value[0]}"^^xsd:{value[1]}'


Props = list[tuple[str, list[str]]]


def labels(de: str | None, en: str | None, local: tuple[str, str] | None = None) -> list[str]:
    out = []
    if de is not None:
        out.append(lit(de, "de"))
    if en is not None:
        out.append(lit(en, "en"))
    if local is not None and local[0] not in ("de", "en"):
        out.append(lit(local[1], local[0]))
    return out


def src(sources: Iterable[str]) -> list[str]:
    return [f"src:{s}" for s in sources]


def render_place(p: Place) -> tuple[list[str], Props]:
    props: Props = [("rdfs:label", labels(p.de, p.en, p.local))]
    if p.description:
        props.append(("dct:description", [lit(p.description[0], "de"), lit(p.description[1], "en")]))
    if p.country:
        props.append(("kkg:country", [f"place:{p.country}"]))
    if p.parent:
        props.append(("schema:containedInPlace", [f"place:{p.parent}"]))
    if p.ags:
        props.append(("kkg:ags", [lit(p.ags)]))
    if p.nuts:
        props.append(("kkg:nuts", [lit(p.nuts)]))
    if p.geonames:
        props.append(("kkg:geonamesId", [lit(p.geonames)]))
        props.append(("skos:closeMatch", [f"<https://sws.geonames.org/{p.geonames}/>"]))
    if p.q is not None:
        props.append(("owl:sameAs", [f"<{WD}Q{p.q}>"]))
    if p.lat is not None:
        props.append(("geo:lat", [typed((p.lat, "decimal"))]))
        props.append(("geo:long", [typed((p.long or "0", "decimal"))]))
    props.append(("dct:source", src(p.sources)))
    return [p.cls], props


def render_org(o: Org) -> tuple[list[str], Props]:
    return ["org:Organization"], [
        ("rdfs:label", labels(o.de, o.en)),
        ("kkg:legalForm", [f"legalform:{o.legal}"]),
        ("kkg:seat", [f"place:{o.seat}"]),
        ("foaf:homepage", [f"<{o.homepage}>"]),
        ("dct:source", src(o.sources)),
    ]


def render_coop(c: Coop) -> tuple[list[str], Props]:
    props: Props = [
        ("rdfs:label", labels(c.de, c.en)),
        ("dct:description", [lit(c.desc_de, "de"), lit(c.desc_en, "en")]),
        ("kkg:legalForm", [f"legalform:{c.legal}"]),
        ("kkg:field", [f"field:{f}" for f in c.fields]),
    ]
    if c.founding:
        props.append(("schema:foundingDate", [typed(c.founding)]))
    props.append(("kkg:seat", [f"place:{c.seat}"]))
    props.append(("foaf:homepage", [f"<{c.homepage}>"]))
    if c.q is not None:
        props.append(("owl:sameAs", [f"<{WD}Q{c.q}>"]))
    props.append(("dct:source", src(c.sources)))
    return ["kkg:Cooperation"], props


def render_membership(m: Membership) -> tuple[list[str], Props]:
    props: Props = [
        ("rdfs:label", labels(m.label, None if m.defect == "missing-label-en" else m.label)),
        ("org:member", [m.member]),
        ("org:organization", [m.coop]),
        ("org:role", [f"role:{r}" for r in m.roles]),
    ]
    if m.start:
        props.append(("schema:startDate", [typed(m.start)]))
    if m.end:
        props.append(("schema:endDate", [typed(m.end)]))
    if m.defect != "missing-source":
        props.append(("dct:source", src(m.sources)))
    return ["org:Membership"], props


def render_count(c: Count) -> tuple[list[str], Props]:
    props: Props = [
        (
            "rdfs:label",
            labels(
                f"{c.value} Mitglieder: {c.coop_name} ({c.as_of[0] if c.as_of else 'o. J.'})",
                f"{c.value} members of the {c.coop_name}",
            ),
        ),
        ("kkg:countedOrganisation", [c.coop]),
        ("kkg:countKind", [f"countkind:{c.kind}"]),
        ("rdf:value", [str(c.value)]),
    ]
    if c.as_of:
        props.append(("kkg:asOf", [typed(c.as_of)]))
    props.append(("dct:source", src(c.sources)))
    return ["kkg:MemberCount"], props


def render_relation(r: Relation) -> tuple[list[str], Props]:
    props: Props = [("rdfs:label", labels(r.de, r.en))]
    if r.description:
        props.append(("dct:description", [lit(r.description[0], "de"), lit(r.description[1], "en")]))
    props.append(("kkg:partner", list(r.partners)))
    if r.start:
        props.append(("schema:startDate", [typed((r.start, "date"))]))
    if r.location:
        props.append(("schema:location", [r.location]))
    props.append(("kkg:status", [f"status:{r.status}"]))
    if r.status_change:
        props.append(("kkg:statusChange", [f"event:{r.status_change}"]))
    if r.contact:
        props.append(("kkg:contactPoint", [r.contact]))
    props.append(("dct:source", src(r.sources)))
    return [r.cls], props


def render_event(e: Event) -> tuple[list[str], Props]:
    props: Props = [("rdfs:label", labels(e.de, e.en))]
    if e.description:
        props.append(("dct:description", [lit(e.description[0], "de"), lit(e.description[1], "en")]))
    props.append(("schema:startDate", [typed(e.start)]))
    if e.end:
        props.append(("schema:endDate", [typed(e.end)]))
    props.append(("schema:about", list(e.about)))
    if e.location:
        props.append(("schema:location", [e.location]))
    if e.new_status:
        props.append(("kkg:newStatus", [f"status:{e.new_status}"]))
    if e.decided_by:
        props.append(("kkg:decidedBy", [e.decided_by]))
    props.append(("dct:source", src(e.sources)))
    return [e.cls], props


def render_claim(c: Claim) -> tuple[list[str], Props]:
    return ["kkg:Claim"], [
        ("rdfs:label", labels(c.de, c.en)),
        ("rdf:subject", [c.subject]),
        ("rdf:predicate", ["schema:startDate"]),
        ("rdf:object", [typed(c.value)]),
        ("kkg:preferred", ["true" if c.preferred else "false"]),
        ("dct:source", src(c.sources)),
    ]


def render_contact(c: Contact) -> tuple[list[str], Props]:
    return ["schema:ContactPoint"], [
        ("rdfs:label", labels(c.de, c.en)),
        ("schema:address", [lit(c.address)]),
        ("schema:areaServed", [f"place:{c.served}"]),
        ("dct:source", src(c.sources)),
    ]


def render_source(s: Source) -> tuple[list[str], Props]:
    return ["kkg:SourceDocument"], [
        (
            "rdfs:label",
            [lit(f"Seite auf {s.host}: „{s.title_de}“", "de"), lit(f'Page on {s.host}: "{s.title_en}"', "en")],
        ),
        ("schema:url", [typed((f"https://{s.host}/{s.path}", "anyURI"))]),
        ("dct:publisher", [f"pub:{s.publisher}"]),
    ]


def render_publisher(item: tuple[str, str]) -> tuple[list[str], Props]:
    _slug, host = item
    return ["foaf:Agent"], [
        ("rdfs:label", labels(f"Betreiber von {host}", f"Operator of {host}")),
        ("foaf:homepage", [f"<https://{host}/>"]),
    ]


FILES = (  # file, comment, resource prefix, plan attribute, renderer, prefixes used
    (
        "places.ttl",
        "Places: countries, states, districts and municipalities (synthetic).",
        "place",
        "places",
        render_place,
        ("place", "src", "kkg", "dct", "geo", "owl", "rdfs", "schema", "skos", "xsd"),
    ),
    (
        "organisations.ttl",
        "Organisations that are not cooperations (synthetic).",
        "orgn",
        "orgs",
        render_org,
        ("orgn", "place", "src", "kkg", "legalform", "dct", "foaf", "org", "rdfs"),
    ),
    (
        "cooperations.ttl",
        "Regional cooperations (synthetic).",
        "coop",
        "coops",
        render_coop,
        ("coop", "place", "src", "kkg", "legalform", "field", "dct", "foaf", "owl", "rdfs", "schema", "xsd"),
    ),
    (
        "memberships.ttl",
        "Memberships in cooperations (synthetic).",
        "ms",
        "memberships",
        render_membership,
        ("ms", "coop", "place", "orgn", "src", "role", "dct", "org", "rdfs", "schema", "xsd"),
    ),
    (
        "counts.ttl",
        "Member counts (synthetic).",
        "count",
        "counts",
        render_count,
        ("count", "coop", "src", "kkg", "countkind", "dct", "rdf", "rdfs", "xsd"),
    ),
    (
        "twinnings.ttl",
        "Town twinnings (synthetic).",
        "twin",
        "twinnings",
        render_relation,
        ("twin", "place", "event", "contact", "src", "kkg", "status", "dct", "rdfs", "schema", "xsd"),
    ),
    (
        "relations.ttl",
        "Project partnerships and informal connections (synthetic).",
        "rel",
        "relations",
        render_relation,
        ("rel", "place", "src", "kkg", "status", "dct", "rdfs", "schema", "xsd"),
    ),
    (
        "events.ttl",
        "Dated events (synthetic).",
        "event",
        "events",
        render_event,
        ("event", "place", "coop", "twin", "src", "kkg", "status", "dct", "rdfs", "schema", "xsd"),
    ),
    (
        "claims.ttl",
        "Competing claims about charter dates (synthetic).",
        "claim",
        "claims",
        render_claim,
        ("claim", "twin", "src", "kkg", "dct", "rdf", "rdfs", "schema", "xsd"),
    ),
    (
        "contact-points.ttl",
        "Twinning offices as contact points (synthetic).",
        "contact",
        "contacts",
        render_contact,
        ("contact", "place", "src", "dct", "rdfs", "schema"),
    ),
    (
        "sources.ttl",
        "Source documents (synthetic).",
        "src",
        "sources",
        render_source,
        ("src", "pub", "kkg", "dct", "rdfs", "schema", "xsd"),
    ),
    (
        "publishers.ttl",
        "Publishers of the source documents (synthetic).",
        "pub",
        "publishers",
        render_publisher,
        ("pub", "foaf", "rdfs"),
    ),
)


def _prefix_iri(prefix: str) -> str:
    if prefix in RESOURCE_PREFIXES:
        return f"id/{RESOURCE_PREFIXES[prefix]}/"
    return VOCAB[prefix]


def _blocks(plan: Plan, attribute: str, prefix: str, render) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    records = getattr(plan, attribute)
    items = sorted(records.items()) if isinstance(records, dict) else sorted(records, key=lambda r: r.slug)
    for record in items:
        slug = record[0] if isinstance(record, tuple) else record.slug
        types, props = render(record)
        lines = [f"{prefix}:{slug} a {', '.join(types)} ;"]
        count = len(types)
        props = [(p, objs) for p, objs in props if objs]
        for i, (predicate, objects) in enumerate(props):
            end = " ." if i == len(props) - 1 else " ;"
            lines.append(f"    {predicate} {', '.join(objects)}{end}")
            count += len(objects)
        yield "\n".join(lines) + "\n\n", count


def write(plan: Plan, out: Path | None) -> dict[str, int]:
    """Write every file (or only count triples, if ``out`` is None); triples per file."""
    counts: dict[str, int] = {}
    for name, comment, prefix, attribute, render, prefixes in FILES:
        total = 0
        handle = open(out / name, "w", encoding="utf-8", newline="\n") if out is not None else None  # noqa: SIM115
        try:
            if handle is not None:
                handle.write(f"# {comment} Generated by bench.generate; sorted by IRI.\n\n")
                handle.writelines(f"@prefix {p}: <{_prefix_iri(p)}> .\n" for p in prefixes)
                handle.write("\n")
            buffer: list[str] = []
            for text, count in _blocks(plan, attribute, prefix, render):
                total += count
                if handle is not None:
                    buffer.append(text)
                    if len(buffer) >= 512:
                        handle.write("".join(buffer))
                        buffer.clear()
            if handle is not None and buffer:
                handle.write("".join(buffer))
        finally:
            if handle is not None:
                handle.close()
        counts[name] = total
    return counts


def make_plan(municipalities: int, seed: int, defects: float, base: str = DEFAULT_BASE) -> Plan:
    return Planner(municipalities, seed, base).build(defects)


def municipalities_for(triples: int, seed: int) -> int:
    """How many German municipalities give about ``triples`` triples (linear fit of two small dry runs)."""
    small, large = 60, 240
    t_small = sum(write(make_plan(small, seed, 0.0), None).values())
    t_large = sum(write(make_plan(large, seed, 0.0), None).values())
    per = (t_large - t_small) / (large - small)
    fixed = t_small - per * small
    guess = max(8, round((triples - fixed) / per))
    # dry runs at full size refine the fit; the count of a plan is exact, so keep the closest
    best = (abs(triples - 0), guess)
    tried: set[int] = set()
    for _ in range(4 if triples <= 200_000 else 2):
        if guess in tried:
            break
        tried.add(guess)
        t_guess = sum(write(make_plan(guess, seed, 0.0), None).values())
        best = min(best, (abs(triples - t_guess), guess))
        guess = max(8, round(guess * (triples - fixed) / max(1.0, t_guess - fixed)))
    return best[1]


def generate(triples: int, out: Path, defects: float = 0.0, seed: int = 0, base: str = DEFAULT_BASE) -> dict:  # type: ignore[type-arg]
    """Generate about ``triples`` triples into ``out``; returns the manifest (also written as defects.json)."""
    started = time.perf_counter()
    municipalities = municipalities_for(triples, seed)
    plan = make_plan(municipalities, seed, defects, base)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.ttl"):
        stale.unlink()
    per_file = write(plan, out)
    expected = [v for d in plan.defects for v in d.expected]
    manifest = {
        "generator": "bench.generate",
        "seed": seed,
        "base": base,
        "triples_requested": triples,
        "triples": sum(per_file.values()),
        "files": per_file,
        "resources": {
            "german_municipalities": municipalities,
            "districts": sum(1 for p in plan.places if p.cls == "kkg:District"),
            "places": len(plan.places),
            "organisations": len(plan.orgs),
            "cooperations": len(plan.coops),
            "memberships": len(plan.memberships),
            "counts": len(plan.counts),
            "twinnings": len(plan.twinnings),
            "relations": len(plan.relations),
            "events": len(plan.events),
            "claims": len(plan.claims),
            "contact_points": len(plan.contacts),
            "sources": len(plan.sources),
            "publishers": len(plan.publishers),
        },
        "defect_rate": defects,
        "defects": [{"kind": d.kind, "file": d.file, "focus": d.focus, "expected": d.expected} for d in plan.defects],
        "expected_violations": sorted(expected, key=lambda v: (v["focus"], v["component"], v["message"])),
    }
    (out / "defects.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=10_000, help="about how many triples to write")
    parser.add_argument("--out", type=Path, required=True, help="output directory (its *.ttl are replaced)")
    parser.add_argument(
        "--defects",
        type=float,
        default=0.0,
        help="defects per resource (0: valid data); each kind of defect breaks one named constraint",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--base", default=DEFAULT_BASE, help="base IRI of the IRIs in defects.json")
    args = parser.parse_args(argv)
    if args.triples < 1000:
        parser.error("--triples must be at least 1000")
    if not 0 <= args.defects <= 0.5:
        parser.error("--defects must be between 0 and 0.5")
    manifest = generate(args.triples, args.out, args.defects, args.seed, args.base)
    kinds: dict[str, int] = {}
    for d in manifest["defects"]:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    print(
        f"wrote {args.out}: {manifest['triples']:,} triples in {len(manifest['files'])} files, "
        f"{manifest['resources']['german_municipalities']:,} German municipalities, "
        f"{len(manifest['defects'])} defects ({len(manifest['expected_violations'])} expected violations) "
        f"in {manifest['seconds']} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
