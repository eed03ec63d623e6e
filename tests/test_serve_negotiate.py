"""The pure parts of the server: content and language negotiation, query screening, result writers."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from krefeld_kg.serve.backend import QueryRejected
from krefeld_kg.serve.cache import deterministic
from krefeld_kg.serve.formats import (
    CSV,
    DOCUMENT_OFFERS,
    GRAPH_OFFERS,
    HTML,
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    SOLUTION_OFFERS,
    SPARQL_JSON,
    SPARQL_XML,
    TSV,
    TURTLE,
)
from krefeld_kg.serve.i18n import format_date
from krefeld_kg.serve.negotiate import negotiate, negotiate_language
from krefeld_kg.serve.results import write_boolean, write_solutions
from krefeld_kg.serve.screen import is_lookup, screen, with_values

FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)


@pytest.mark.parametrize(
    ("accept", "override", "expected"),
    [
        (None, None, HTML),  # no Accept: anything goes, the server's first choice
        ("", None, HTML),
        ("*/*", None, HTML),
        (FIREFOX, None, HTML),
        (CHROME, None, HTML),
        ("text/turtle", None, TURTLE),
        ("application/ld+json", None, JSON_LD),
        ("application/n-triples", None, N_TRIPLES),
        ("application/rdf+xml", None, RDF_XML),
        ("TEXT/Turtle", None, TURTLE),  # media types are case-insensitive
        ("text/turtle; charset=utf-8", None, TURTLE),
        ('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted, x"', None, JSON_LD),
        # q-values decide, not order
        ("text/turtle;q=0.5, application/ld+json", None, JSON_LD),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.91", None, TURTLE),
        # ties go to the server's order
        ("application/n-triples, text/turtle", None, TURTLE),
        # the most specific range sets an offer's q: text/turtle excluded although text/* is welcome
        ("text/*, text/turtle;q=0", None, HTML),
        ("text/*;q=0.5, text/turtle", None, TURTLE),
        ("*/*;q=0.1, application/n-triples", None, N_TRIPLES),
        ("text/html;q=0, */*", None, TURTLE),
        ("application/*", None, JSON_LD),
        # nothing acceptable: 406
        ("application/json", None, None),
        ("image/png", None, None),
        ("text/turtle;q=0", None, None),
        ("application/x-turtle", None, None),  # not a registered type
        ("text/n3", None, None),
        # malformed ranges are ignored, the rest still counts
        ("garbage, text/turtle", None, TURTLE),
        ("text/turtle;q=abc", None, None),
        ("text/turtle;q=2", None, None),
        ("*/turtle", None, None),
        # ?format= wins over Accept, by name or by media type
        ("text/html", "ttl", TURTLE),
        (FIREFOX, "jsonld", JSON_LD),
        ("text/turtle", "html", HTML),
        (None, "nt", N_TRIPLES),
        (None, "rdf", RDF_XML),
        (None, "turtle", TURTLE),
        (None, "application/rdf+xml", RDF_XML),
        (None, "TTL", TURTLE),
        (None, "csv", None),  # a known format, but not one a document comes in
        (None, "pdf", None),
    ],
)
def test_negotiate_documents(accept: str | None, override: str | None, expected: str | None) -> None:
    assert negotiate(accept, DOCUMENT_OFFERS, override) == expected


@pytest.mark.parametrize(
    ("accept", "solutions", "graphs"),
    [
        ("*/*", SPARQL_JSON, TURTLE),
        ("application/sparql-results+json", SPARQL_JSON, None),
        ("application/sparql-results+xml", SPARQL_XML, None),
        ("text/csv", CSV, None),
        ("text/tab-separated-values", TSV, None),
        ("text/turtle", None, TURTLE),
        ("application/sparql-results+json, text/turtle;q=0.9", SPARQL_JSON, TURTLE),
        ("application/sparql-results+json,application/json,text/javascript", SPARQL_JSON, None),  # SPARQLWrapper
        (FIREFOX, HTML, HTML),
        ("application/json", None, None),
    ],
)
def test_negotiate_query_results(accept: str, solutions: str | None, graphs: str | None) -> None:
    assert negotiate(accept, SOLUTION_OFFERS) == solutions
    assert negotiate(accept, GRAPH_OFFERS) == graphs


@pytest.mark.parametrize(
    ("header", "override", "expected"),
    [
        (None, None, "de"),
        ("en", None, "en"),
        ("en-US,en;q=0.9", None, "en"),
        ("de-DE,de;q=0.9,en;q=0.8", None, "de"),
        ("fr, en;q=0.5", None, "en"),
        ("fr", None, "de"),  # nothing matches: the default, never 406
        ("en;q=0.2, de;q=0.8", None, "de"),
        ("*", None, "de"),
        ("*, de;q=0", None, "en"),
        ("de", "en", "en"),
        ("en", "fr", "en"),  # an unknown ?lang= is ignored
        ("EN-gb", None, "en"),
    ],
)
def test_negotiate_language(header: str | None, override: str | None, expected: str) -> None:
    assert negotiate_language(header, ("de", "en"), override) == expected


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * { service silent <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o . SeRvIcE ?endpoint { ?s ?p ?o } }",
        "PREFIX ex: <http://example.org/>\nSELECT * {\n  # a comment\n  SERVICE ex:sparql { ?s ?p ?o }\n}",
    ],
)
def test_screen_refuses_service(query: str) -> None:
    with pytest.raises(QueryRejected) as caught:
        screen(query, 10_000)
    assert caught.value.status == 403
    assert "SERVICE" in caught.value.message


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p "SERVICE" }',
        "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
        "SELECT ?service WHERE { ?service ?p ?o }",
        "PREFIX service: <http://example.org/>\nSELECT * WHERE { ?s service:x ?o }",
        "SELECT * WHERE { ?s ?p ?o } # SERVICE in a comment",
        "SELECT * WHERE { ?s ?p '''multi\nSERVICE line''' }",
        "SELECT * WHERE { ?s ex:insert ?o }",
        'SELECT * WHERE { ?s ?p "DELETE WHERE" }',
    ],
)
def test_screen_lets_lookalikes_through(query: str) -> None:
    screen(query, 10_000)


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://example.org/>\nDROP ALL",
        "LOAD <http://example.org/data.ttl>",
        "CLEAR DEFAULT",
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_screen_refuses_updates(update: str) -> None:
    with pytest.raises(QueryRejected) as caught:
        screen(update, 10_000)
    assert caught.value.status == 403


def test_screen_limits_size_and_refuses_empty_queries() -> None:
    with pytest.raises(QueryRejected) as caught:
        screen("SELECT * WHERE { ?s ?p ?o }" + " " * 100, 50)
    assert caught.value.status == 413
    with pytest.raises(QueryRejected) as caught:
        screen("  \n ", 50)
    assert caught.value.status == 400


def test_with_values_opens_the_where_group() -> None:
    query = 'PREFIX ex: <http://e/{x}>\n# WHERE {\nSELECT ?a WHERE { ?a ex:p "{" FILTER(?a = ?b) }'
    bound = with_values(query, "VALUES (?b) { (1) }")
    assert bound.index("VALUES") > bound.index("SELECT ?a WHERE {")
    assert bound.index("VALUES") < bound.index("?a ex:p")
    solutions = ox.Store().query(with_values("SELECT ?b WHERE { }", "VALUES (?b) { (1) }"))
    assert [s["b"].value for s in solutions] == ["1"]


def _rows() -> tuple[list[str], list[list[ox.NamedNode | ox.Literal | ox.BlankNode | None]]]:
    iri = ox.NamedNode("http://example.org/a")
    return ["s", "o"], [
        [iri, ox.Literal('Krefeld, "Seidenstadt"\n', language="de")],
        [ox.BlankNode("b0"), ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))],
        [iri, None],
        [iri, ox.Literal("tab\there <&>")],
    ]


def test_results_json_matches_pyoxigraph() -> None:
    variables, rows = _rows()
    doc = json.loads(write_solutions(variables, rows, SPARQL_JSON))
    assert doc["head"]["vars"] == ["s", "o"]
    bindings = doc["results"]["bindings"]
    assert bindings[0]["o"] == {"type": "literal", "value": 'Krefeld, "Seidenstadt"\n', "xml:lang": "de"}
    assert bindings[1]["s"] == {"type": "bnode", "value": "b0"}
    assert bindings[1]["o"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert "o" not in bindings[2]
    parsed = list(ox.parse_query_results(write_solutions(variables, rows, SPARQL_JSON), ox.QueryResultsFormat.JSON))
    assert parsed[3]["o"] == ox.Literal("tab\there <&>")


def test_results_xml_csv_tsv_round_trip() -> None:
    variables, rows = _rows()
    xml = write_solutions(variables, rows, SPARQL_XML)
    ET.fromstring(xml)  # well-formed
    parsed = list(ox.parse_query_results(xml, ox.QueryResultsFormat.XML))
    assert parsed[0]["o"] == rows[0][1]
    assert parsed[3]["o"] == rows[3][1]
    table = list(csv.reader(io.StringIO(write_solutions(variables, rows, CSV).decode("utf-8"))))
    assert table[0] == ["s", "o"]
    assert table[1] == ["http://example.org/a", 'Krefeld, "Seidenstadt"\n']
    assert table[3] == ["http://example.org/a", ""]
    tsv = write_solutions(variables, rows, TSV).decode("utf-8").split("\n")
    assert tsv[0] == "?s\t?o"
    assert tsv[4].count("\t") == 1  # a tab inside a literal is escaped
    parsed = list(ox.parse_query_results(write_solutions(variables, rows, TSV), ox.QueryResultsFormat.TSV))
    assert parsed[0]["o"] == rows[0][1]


def test_boolean_results() -> None:
    assert json.loads(write_boolean(True, SPARQL_JSON)) == {"head": {}, "boolean": True}
    assert bool(ox.parse_query_results(write_boolean(False, SPARQL_XML), ox.QueryResultsFormat.XML)) is False


@pytest.mark.parametrize(
    ("lexical", "datatype", "lang", "expected"),
    [
        ("1986-05-23", "date", "de", "23. Mai 1986"),
        ("1986-05-23", "date", "en", "23 May 1986"),
        ("2020-03", "gYearMonth", "de", "März 2020"),
        ("2020-03", "gYearMonth", "en", "March 2020"),
        ("1971", "gYear", "de", "1971"),
        ("2024-11-21T18:30:00", "dateTime", "en", "21 November 2024, 18:30"),
        ("not a date", "date", "de", "not a date"),
        ("2020-13-01", "date", "de", "2020-13-01"),
    ],
)
def test_dates_read_like_dates(lexical: str, datatype: str, lang: str, expected: str) -> None:
    assert format_date(lexical, f"http://www.w3.org/2001/XMLSchema#{datatype}", lang) == expected


@pytest.mark.parametrize(
    ("query", "lookup"),
    [
        ("SELECT ?p ?o WHERE { <https://w3id.org/krefeld-kg/id/place/krefeld> ?p ?o }", True),
        ("PREFIX place: <https://w3id.org/krefeld-kg/id/place/>\nSELECT * { place:krefeld ?p ?o . } LIMIT 10", True),
        ("ASK { ?s ?p <http://example.org/x> }", True),
        ('SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> "Krefeld"@de }', True),
        ("SELECT DISTINCT ?type { <http://example.org/x> a ?type }", True),
        ("DESCRIBE <http://example.org/x>", True),
        ("DESCRIBE ?x WHERE { ?x ?p <http://example.org/y> }", True),
        ("SELECT * { <http://example.org/x> ?p ?o } # { ?a ?b ?c . ?d ?e ?f }", True),
        ("SELECT * { ?s ?p ?o }", False),  # neither end given: the whole store
        ("SELECT * { ?s a ?type }", False),
        ("SELECT * { <http://example.org/x> ?p ?o . ?o ?q ?r }", False),
        ("SELECT * { <http://example.org/x> ?p ?o ; ?q ?r }", False),
        ("SELECT * { <http://example.org/x> <http://example.org/p>* ?o }", False),
        ("SELECT * { <http://example.org/x> ?p ?o FILTER(?o > 1) }", False),
        ("SELECT (COUNT(*) AS ?n) { <http://example.org/x> ?p ?o }", False),
        ("SELECT * { <http://example.org/x> ?p ?o } ORDER BY ?o", False),
        ("SELECT * { { SELECT * { ?s ?p ?o } } }", False),
        ("DESCRIBE ?x", False),
        ("CONSTRUCT WHERE { <http://example.org/x> ?p ?o }", False),
        ("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }", False),
    ],
)
def test_lookups_are_recognised(query: str, lookup: bool) -> None:
    assert is_lookup(query) is lookup


@pytest.mark.parametrize(
    ("query", "cacheable"),
    [
        ("SELECT * { ?s ?p ?o }", True),
        ("SELECT (NOW() AS ?t) {}", False),
        ("SELECT (rand ( ) AS ?r) {}", False),
        ("SELECT ?s { ?s ?p ?o BIND(STRUUID() AS ?id) }", False),
        ('SELECT * { ?s ?p "NOW()" }', True),
        ("SELECT ?now { ?s ?p ?now }", True),
    ],
)
def test_only_repeatable_queries_are_cached(query: str, cacheable: bool) -> None:
    assert deterministic(query) is cacheable
