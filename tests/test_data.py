"""The edit files follow the house rules, and the graph holds the key facts of the sources."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from krefeld_kg.build import Pipeline
from krefeld_kg.namespaces import DEFAULT_BASE, KKG, SCHEMA, STATUS

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = sorted(DATA.glob("*.ttl"))
ID = DEFAULT_BASE + "id/"
_PREFIX = re.compile(r"^@prefix\s+(\w*):\s*<([^>]*)>\s*\.")


def subjects(path: Path) -> list[str]:
    prefixes: dict[str, str] = {}
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        declared = _PREFIX.match(line)
        if declared:
            prefixes[declared.group(1)] = urljoin(DEFAULT_BASE, declared.group(2))
        elif line and not line[0].isspace() and not line.startswith("#"):
            token = line.split()[0]
            prefix, _, local = token.partition(":")
            found.append(prefixes[prefix] + local if prefix in prefixes else token)
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_resources_are_sorted_and_unique(path: Path) -> None:
    found = subjects(path)
    assert found, f"{path.name} defines no resource"
    assert found == sorted(found), f"{path.name}: resources are not sorted by IRI"
    assert len(found) == len(set(found)), f"{path.name}: a resource is written twice"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_iris_are_relative_and_there_are_no_blank_nodes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert DEFAULT_BASE + "id/" not in text, "resource IRIs must be relative so that the base stays configurable"
    assert not re.search(r"(^|\s)(\[|_:)", text), "no blank nodes: every node needs an IRI"


TWINNINGS = {
    "venlo": "1964-11-21",
    "leicester": "1969-05-14",
    "duenkirchen": "1974-06-15",
    "leiden": "1974-10-03",
    "charlotte": "1986-05-23",
    "oder-spree": "1990-09-22",
    "uljanowsk": "1993-05-19",
    "kayseri": "2008-06-25",
}


def test_the_eight_twinnings_with_charter_dates_and_status(pipeline: Pipeline) -> None:
    g = pipeline.graph
    assert len(set(g.subjects(RDF.type, KKG.Twinning))) == 8
    for slug, date in TWINNINGS.items():
        twinning = URIRef(f"{ID}twinning/krefeld-{slug}")
        assert g.value(twinning, SCHEMA.startDate) == Literal(date, datatype=XSD.date), slug
        expected = STATUS.paused if slug == "uljanowsk" else STATUS.active
        assert g.value(twinning, KKG.status) == expected, slug
    oder_spree = URIRef(ID + "twinning/krefeld-oder-spree")
    assert g.value(oder_spree, KKG.partnerAtSigning) == URIRef(ID + "place/kreis-beeskow")


def test_kropyvnytskyi_is_a_project_partnership_not_a_twinning(pipeline: Pipeline) -> None:
    g = pipeline.graph
    relation = URIRef(ID + "relation/krefeld-venlo-kropyvnytskyi")
    assert (relation, RDF.type, KKG.ProjectPartnership) in g
    assert (relation, RDF.type, KKG.Twinning) not in g
    assert g.value(relation, SCHEMA.startDate) == Literal("2023-09-11", datatype=XSD.date)
    for city in ("xuzhou", "hangzhou"):
        assert (URIRef(f"{ID}relation/krefeld-{city}"), RDF.type, KKG.InformalConnection) in g


def test_metropolregion_founding_and_count(pipeline: Pipeline) -> None:
    g = pipeline.graph
    metropolregion = URIRef(ID + "cooperation/metropolregion-rheinland")
    assert g.value(metropolregion, SCHEMA.foundingDate) == Literal("2017-02-20", datatype=XSD.date)
    assert g.value(metropolregion, SCHEMA.foundingLocation) == URIRef(ID + "place/duesseldorf")
    count = URIRef(ID + "count/metropolregion-rheinland-founding-members")
    assert g.value(count, RDF.value) == Literal(35)


def test_unverified_wikidata_ids_are_not_published(pipeline: Pipeline) -> None:
    g = pipeline.graph
    for slug in ("landkreis-oder-spree", "kreis-beeskow"):
        assert g.value(URIRef(f"{ID}place/{slug}"), OWL.sameAs) is None
    linked = {s for s in g.subjects(OWL.sameAs, None) if (s, RDF.type, KKG.Cooperation) in g}
    assert linked == {URIRef(ID + "cooperation/euregio-rhein-maas-nord")}
    assert g.value(URIRef(ID + "place/krefeld"), OWL.sameAs) == URIRef("http://www.wikidata.org/entity/Q2805")


def test_no_staff_contact_data_in_the_sources_is_published(pipeline: Pipeline) -> None:
    text = " ".join(str(o) for o in pipeline.graph.objects() if isinstance(o, Literal))
    for forbidden in ("Fries", "Heffels", "86-1554", "86-1562", "r.fries@", "martina.heffels@"):
        assert forbidden not in text
