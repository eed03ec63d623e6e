"""German and English for the pages: interface words, names of the external vocabulary's terms, dates.

The ontology names its own terms (kkg:, roles, statuses) in both languages; the terms it reuses from
schema.org, W3C ORG, DCMI and others are named here, in the same two languages.
"""

from __future__ import annotations

import re

from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

from ..namespaces import GEO, SCHEMA

LANGUAGES = ("de", "en")

UI: dict[str, tuple[str, str]] = {
    "site": ("Krefeld-KG", "Krefeld KG"),
    "home": ("Start", "Home"),
    "sparql": ("SPARQL-Abfrage", "SPARQL query"),
    "language": ("Sprache", "Language"),
    "other_language": ("English", "Deutsch"),
    "skip": ("Zum Inhalt springen", "Skip to content"),
    "navigation": ("Hauptnavigation", "Main navigation"),
    "iri": ("IRI", "IRI"),
    "formats": ("Als Daten", "As data"),
    "facts": ("Angaben", "Facts"),
    "notes": ("Hinweise", "Notes"),
    "sources": ("Quellen", "Sources"),
    "sources_of_facts": ("Quellen dieser Angaben", "Sources of these facts"),
    "more_sources": ("Weitere Quellen auf dieser Seite", "Further sources on this page"),
    "no_sources": ("Keine Quelle angegeben.", "No source given."),
    "published_by": ("veröffentlicht von", "published by"),
    "referenced_by": ("Verweise auf diese Ressource", "Links to this resource"),
    "resource": ("Ressource", "Resource"),
    "property": ("Eigenschaft", "Property"),
    "memberships": ("Mitgliedschaften", "Memberships"),
    "members": ("Mitglieder", "Members"),
    "organisation": ("Organisation", "Organisation"),
    "member": ("Mitglied", "Member"),
    "roles": ("Rollen", "Roles"),
    "from": ("Seit", "From"),
    "until": ("Bis", "Until"),
    "relations": ("Städtepartnerschaften und Beziehungen", "Town twinnings and relations"),
    "relation": ("Beziehung", "Relation"),
    "partners": ("Partner", "Partners"),
    "status": ("Status", "Status"),
    "events": ("Ereignisse", "Events"),
    "event": ("Ereignis", "Event"),
    "date": ("Datum", "Date"),
    "role": ("Bezug", "Role"),
    "claims": ("Abweichende Angaben der Quellen", "What the sources say"),
    "value": ("Wert", "Value"),
    "preferred": ("bevorzugt", "preferred"),
    "counts": ("Mitgliederzahlen", "Member counts"),
    "number": ("Anzahl", "Number"),
    "kind": ("Art", "Kind"),
    "as_of": ("Stand", "As of"),
    "map": ("Lage", "Location"),
    "map_world": (
        "Lage auf der Weltkarte (Längen- und Breitengrade)",
        "Position on the globe (longitude and latitude)",
    ),
    "map_region": ("Umgebung mit anderen Orten des Datensatzes", "Surroundings with other places of the dataset"),
    "north": ("N", "N"),
    "south": ("S", "S"),
    "east": ("O", "E"),
    "west": ("W", "W"),
    "count_resources": ("Einträge", "entries"),
    "all_of_type": ("Alle Einträge", "All entries"),
    "index_intro": ("Alphabetisch nach Namen.", "Alphabetical by name."),
    "not_found": ("Nicht gefunden", "Not found"),
    "not_acceptable": ("Format nicht verfügbar", "Format not available"),
    "error": ("Fehler", "Error"),
    "downloads": ("Downloads", "Downloads"),
    "file": ("Datei", "File"),
    "format": ("Format", "Format"),
    "size": ("Größe", "Size"),
    "checksum": ("SHA-256-Prüfsumme", "SHA-256 checksum"),
    "licence": ("Lizenz", "Licence"),
    "publisher": ("Herausgeber", "Publisher"),
    "issued": ("Veröffentlicht", "Issued"),
    "modified": ("Geändert", "Modified"),
    "keywords": ("Schlagwörter", "Keywords"),
    "contents": ("Inhalt", "Contents"),
    "triples": ("Tripel", "triples"),
    "release": ("Version", "Release"),
    "catalogue": ("Katalogeintrag (DCAT-AP.de)", "Catalogue record (DCAT-AP.de)"),
    "query": ("Abfrage", "Query"),
    "run": ("Ausführen", "Run"),
    "result_format": ("Ergebnisformat", "Result format"),
    "examples": ("Beispielabfragen", "Example queries"),
    "limits": ("Grenzen", "Limits"),
    "limits_text": (
        "Nur lesend; SERVICE ist nicht erlaubt; höchstens {timeout} s Rechenzeit und {rows} Zeilen je Abfrage.",
        "Read-only; SERVICE is not allowed; at most {timeout} s and {rows} rows per query.",
    ),
    "results": ("Ergebnis", "Results"),
    "rows": ("Zeilen", "rows"),
    "truncated": ("Das Ergebnis wurde nach {rows} Zeilen abgeschnitten.", "The result was cut off after {rows} rows."),
    "yes": ("ja", "yes"),
    "no": ("nein", "no"),
    "endpoint": ("SPARQL-Endpunkt", "SPARQL endpoint"),
    "html_table": ("HTML-Tabelle", "HTML table"),
    "available": ("Verfügbar:", "Available:"),
    "dataset": ("Datensatz", "Dataset"),
}

#: type segment of resource IRIs → (de, en) name of the index page.
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "place": ("Orte", "Places"),
    "organisation": ("Organisationen", "Organisations"),
    "cooperation": ("Kooperationen", "Cooperations"),
    "membership": ("Mitgliedschaften", "Memberships"),
    "twinning": ("Städtepartnerschaften", "Town twinnings"),
    "relation": ("Weitere Städtebeziehungen", "Other city relations"),
    "event": ("Ereignisse", "Events"),
    "claim": ("Angaben der Quellen", "Claims"),
    "count": ("Mitgliederzahlen", "Member counts"),
    "contact": ("Ansprechstellen", "Contact points"),
    "source": ("Quellen", "Sources"),
    "publisher": ("Betreiber der Quellen", "Publishers of sources"),
    "dataset": ("Datensätze", "Datasets"),
    "catalog": ("Kataloge", "Catalogues"),
    "distribution": ("Distributionen", "Distributions"),
}

#: Terms of reused vocabularies (the ontology labels its own).
TERMS: dict[str, tuple[str, str]] = {
    str(k): v
    for k, v in {
        RDF.type: ("Typ", "type"),
        RDF.subject: ("Gegenstand", "subject"),
        RDF.predicate: ("Eigenschaft", "property"),
        RDF.object: ("Wert", "value"),
        RDF.value: ("Wert", "value"),
        RDF.Statement: ("Aussage", "statement"),
        RDFS.label: ("Name", "name"),
        RDFS.comment: ("Kommentar", "comment"),
        SKOS.prefLabel: ("Vorzugsbezeichnung", "preferred label"),
        SKOS.altLabel: ("Auch genannt", "also known as"),
        SKOS.closeMatch: ("Entspricht weitgehend", "close match"),
        OWL.sameAs: ("Identisch mit", "same as"),
        DCTERMS.source: ("Quelle", "source"),
        DCTERMS.description: ("Beschreibung", "description"),
        DCTERMS.publisher: ("Herausgeber", "publisher"),
        DCTERMS.title: ("Titel", "title"),
        DCTERMS.relation: ("Bezieht sich auf", "related to"),
        FOAF.homepage: ("Website", "website"),
        FOAF.Document: ("Dokument", "document"),
        FOAF.Agent: ("Akteur", "agent"),
        GEO.lat: ("Breitengrad", "latitude"),
        GEO.long: ("Längengrad", "longitude"),
        ORG.role: ("Rolle", "role"),
        ORG.member: ("Mitglied", "member"),
        ORG.organization: ("Organisation", "organisation"),
        ORG.memberOf: ("Mitglied von", "member of"),
        ORG.hasMember: ("Hat Mitglied", "has member"),
        ORG.memberDuring: ("Zeitraum", "period"),
        ORG.linkedTo: ("Verbunden mit", "linked to"),
        ORG.subOrganizationOf: ("Teil von", "part of"),
        ORG.Membership: ("Mitgliedschaft", "membership"),
        ORG.Organization: ("Organisation", "organisation"),
        ORG.OrganizationalCollaboration: ("Zusammenarbeit", "collaboration"),
        TIME.hasBeginning: ("Beginn", "beginning"),
        TIME.hasEnd: ("Ende", "end"),
        TIME.inXSDDate: ("Datum", "date"),
        TIME.inXSDgYear: ("Jahr", "year"),
        TIME.inXSDgYearMonth: ("Monat", "month"),
        TIME.Interval: ("Zeitraum", "interval"),
        TIME.Instant: ("Zeitpunkt", "instant"),
        PROV.Entity: ("Entität", "entity"),
        SCHEMA.startDate: ("Beginn", "start"),
        SCHEMA.endDate: ("Ende", "end"),
        SCHEMA.foundingDate: ("Gründungsdatum", "founding date"),
        SCHEMA.foundingLocation: ("Gründungsort", "founding place"),
        SCHEMA.url: ("Adresse", "address (URL)"),
        SCHEMA.about: ("Betrifft", "about"),
        SCHEMA.location: ("Ort", "location"),
        SCHEMA.containedInPlace: ("Liegt in", "contained in"),
        SCHEMA.geoTouches: ("Grenzt an", "borders on"),
        SCHEMA.address: ("Anschrift", "address"),
        SCHEMA.funder: ("Geldgeber", "funder"),
        SCHEMA.recipient: ("Empfänger", "recipient"),
        SCHEMA.organizer: ("Veranstalter", "organiser"),
        SCHEMA.attendee: ("Teilnehmer", "attendee"),
        SCHEMA.contributor: ("Mitwirkende", "contributor"),
        SCHEMA.performer: ("Ausführende", "performer"),
        SCHEMA.sponsor: ("Förderer", "sponsor"),
        SCHEMA.subOrganization: ("Untereinheit", "sub-organisation"),
        SCHEMA.parentOrganization: ("Übergeordnete Organisation", "parent organisation"),
        SCHEMA.contactPoint: ("Ansprechstelle", "contact point"),
        SCHEMA.contactType: ("Art des Kontakts", "contact type"),
        SCHEMA.superEvent: ("Teil von", "part of"),
        SCHEMA.subEvent: ("Programmpunkt", "sub-event"),
        SCHEMA.areaServed: ("Gebiet", "area served"),
        SCHEMA.Place: ("Ort", "place"),
        SCHEMA.City: ("Stadt", "city"),
        SCHEMA.AdministrativeArea: ("Verwaltungseinheit", "administrative area"),
        SCHEMA.Country: ("Staat", "country"),
        SCHEMA.Event: ("Ereignis", "event"),
        SCHEMA.ExhibitionEvent: ("Ausstellung", "exhibition"),
        SCHEMA.SportsEvent: ("Sportveranstaltung", "sports event"),
        SCHEMA.Festival: ("Fest", "festival"),
        SCHEMA.CreativeWork: ("Werk", "creative work"),
        SCHEMA.Organization: ("Organisation", "organisation"),
        SCHEMA.ContactPoint: ("Ansprechstelle", "contact point"),
    }.items()
}

_MONTHS = {
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_DATE = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}).*)?$")
_YEAR_MONTH = re.compile(r"^(-?\d{4,})-(\d{2})$")


def text(key: str, lang: str) -> str:
    de, en = UI[key]
    return de if lang == "de" else en


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "de" else pair[1]


def format_date(lexical: str, datatype: str, lang: str) -> str:
    """A date as people write it: "23. Mai 1986" / "23 May 1986", "März 2020", "1986"."""
    if datatype in (str(XSD.date), str(XSD.dateTime)):
        match = _DATE.match(lexical)
        if match and 1 <= int(match.group(2)) <= 12:
            year, month, day = match.group(1), _MONTHS[lang][int(match.group(2)) - 1], int(match.group(3))
            date = f"{day}. {month} {year}" if lang == "de" else f"{day} {month} {year}"
            if match.group(4):
                date += f", {match.group(4)}:{match.group(5)}"
            return date
    if datatype == str(XSD.gYearMonth):
        match = _YEAR_MONTH.match(lexical)
        if match and 1 <= int(match.group(2)) <= 12:
            return f"{_MONTHS[lang][int(match.group(2)) - 1]} {match.group(1)}"
    return lexical


def format_number(lexical: str, lang: str) -> str:
    return lexical.replace(".", ",") if lang == "de" and re.fullmatch(r"-?\d+\.\d+", lexical) else lexical


def format_integer(number: int, lang: str) -> str:
    grouped = f"{number:,}"
    return grouped.replace(",", ".") if lang == "de" else grouped


def format_size(size: int, lang: str) -> str:
    for unit, factor in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= factor:
            return format_number(f"{size / factor:.1f}", lang) + " " + unit
    return f"{size} B" if lang == "en" else f"{size} Byte"
