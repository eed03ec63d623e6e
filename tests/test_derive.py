from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import ORG, RDF, RDFS, SKOS, TIME, XSD

from krefeld_kg.derive import Rule, derive
from krefeld_kg.engine import QueryError
from krefeld_kg.load import load_data, load_ontology
from krefeld_kg.namespaces import DEFAULT_BASE, KKG, SCHEMA

MINI = Path(__file__).resolve().parent / "fixtures" / "mini-data"
ID = DEFAULT_BASE + "id/"


def derived():
    return derive(load_data(MINI), load_ontology())


def test_superclass_types_are_added() -> None:
    g = derived()
    krefeld = URIRef(ID + "place/krefeld")
    for cls in (KKG.LocalAuthority, ORG.Organization, SCHEMA.Place, SCHEMA.AdministrativeArea):
        assert (krefeld, RDF.type, cls) in g
    assert (URIRef(ID + "cooperation/example-network"), RDF.type, ORG.OrganizationalCollaboration) in g
    assert (URIRef(ID + "event/venlo-60-jahre"), RDF.type, SCHEMA.Event) in g


def test_pref_labels_mirror_labels() -> None:
    g = derived()
    assert (URIRef(ID + "place/niederlande"), SKOS.prefLabel, Literal("Nederland", lang="nl")) in g


def test_membership_structure_follows_org_and_owl_time() -> None:
    g = derived()
    m = URIRef(ID + "membership/venlo--example-network")
    interval = URIRef(str(m) + "#interval")
    assert (m, ORG.memberDuring, interval) in g
    assert (interval, RDF.type, TIME.Interval) in g
    start, end = URIRef(str(m) + "#start"), URIRef(str(m) + "#end")
    assert (interval, TIME.hasBeginning, start) in g and (interval, TIME.hasEnd, end) in g
    assert (start, TIME.inXSDDate, Literal("2008-01-01", datatype=XSD.date)) in g
    assert (end, TIME.inXSDgYearMonth, Literal("2020-06", datatype=XSD.gYearMonth)) in g
    founder = URIRef(ID + "membership/krefeld--example-network")
    assert (URIRef(str(founder) + "#start"), TIME.inXSDgYear, Literal("2004", datatype=XSD.gYear)) in g
    assert (URIRef(str(founder) + "#interval"), TIME.hasEnd, None) not in g
    assert (URIRef(ID + "place/krefeld"), ORG.memberOf, URIRef(ID + "cooperation/example-network")) in g
    assert (URIRef(ID + "cooperation/example-network"), ORG.hasMember, URIRef(ID + "place/venlo")) in g


def test_twinning_links_both_ways() -> None:
    g = derived()
    krefeld, venlo = URIRef(ID + "place/krefeld"), URIRef(ID + "place/venlo")
    assert (krefeld, KKG.twinnedWith, venlo) in g and (venlo, KKG.twinnedWith, krefeld) in g
    assert (krefeld, KKG.twinnedWith, krefeld) not in g


def test_derivation_is_idempotent_and_keeps_input() -> None:
    data = load_data(MINI)
    once = derive(data, load_ontology())
    twice = derive(once, load_ontology())
    assert set(once) == set(twice)
    assert set(data) <= set(once)


def test_ontology_triples_are_not_published_but_data_triples_equal_to_them_stay() -> None:
    data = load_data(MINI)
    ontology = load_ontology()
    schema_triple = next(iter(ontology.triples((None, RDFS.subClassOf, None))))
    data.add(schema_triple)  # the data states one ontology triple itself
    result = derive(data, ontology)
    assert schema_triple in result
    others = [t for t in ontology.triples((None, RDFS.subClassOf, None)) if t != schema_triple]
    assert others and not any(t in result for t in others)


def test_a_rule_that_is_not_a_construct_is_refused() -> None:
    rule = Rule("90-select", "# a comment\nPREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError, match="90-select must be a CONSTRUCT query"):
        derive(load_data(MINI), load_ontology(), [rule])


@pytest.mark.parametrize(
    "text",
    [
        "PREFIX ex: <http://example.org/> CONSTRUCT { ?s ex:seen true } WHERE { ?s a ?t } ORDER BY ?s",
        "CONSTRUCT WHERE { ?s a ?t . ?s <http://example.org/seen> ?seen }",
        "CONSTRUCT { ?s <http://example.org/seen> true } WHERE { ?s a ?t } LIMIT 100000",
        f"CONSTRUCT {{ ?s <http://example.org/seen> true }} WHERE {{ ?s a ?t }} VALUES ?t {{ <{KKG.Municipality}> }}",
    ],
)
def test_rules_the_insert_form_cannot_say_still_run(text: str) -> None:
    data = load_data(MINI)
    krefeld = URIRef(ID + "place/krefeld")
    if text.startswith("CONSTRUCT WHERE"):  # it derives what it matches: give it something to match
        data.add((krefeld, URIRef("http://example.org/seen"), Literal(True)))
    result = derive(data, load_ontology(), [Rule("90-other-forms", text)])
    assert (krefeld, URIRef("http://example.org/seen"), Literal(True)) in result


def test_a_rule_with_a_syntax_error_names_the_rule() -> None:
    rule = Rule("90-broken", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p }")
    with pytest.raises(QueryError, match="rule 90-broken"):
        derive(load_data(MINI), load_ontology(), [rule])


def test_rules_run_in_order_and_see_what_earlier_rules_derived() -> None:
    ex = "http://example.org/"
    rules = [
        Rule("1-first", f"CONSTRUCT {{ ?s <{ex}a> 1 }} WHERE {{ ?s ?p ?o FILTER (?s = <{ID}place/krefeld>) }}"),
        Rule("2-second", f"construct {{ ?s <{ex}b> 2 }} where {{ ?s <{ex}a> 1 }}"),
    ]
    result = derive(load_data(MINI), load_ontology(), rules)
    krefeld = URIRef(ID + "place/krefeld")
    assert (krefeld, URIRef(ex + "b"), Literal(2)) in result
