"""A small release written straight to disk for the server tests, independent of data/ and the build.

It has what the server must handle: a town twinning seen from both cities, a membership with fragment
nodes, an event, a claim, sources (one with a ``javascript:`` URL), places with and without coordinates,
and a label that reads ``<script>``. Other test_serve_* modules import ``write_release`` from here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox

from krefeld_kg.namespaces import DEFAULT_BASE

EVIL = '<script>alert("x")</script>'

DATA = """
@prefix place: <id/place/> .     @prefix coop: <id/cooperation/> .  @prefix orgn: <id/organisation/> .
@prefix ms: <id/membership/> .   @prefix twin: <id/twinning/> .     @prefix event: <id/event/> .
@prefix claim: <id/claim/> .     @prefix src: <id/source/> .        @prefix pub: <id/publisher/> .
@prefix kkg: <https://w3id.org/krefeld-kg/ontology#> .
@prefix role: <https://w3id.org/krefeld-kg/ontology/role/> .
@prefix status: <https://w3id.org/krefeld-kg/ontology/status/> .
@prefix org: <http://www.w3.org/ns/org#> .        @prefix schema: <https://schema.org/> .
@prefix dct: <http://purl.org/dc/terms/> .        @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .  @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .  @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix time: <http://www.w3.org/2006/time#> .

place:krefeld a kkg:Municipality, schema:City ;
    rdfs:label "Krefeld"@de, "Krefeld"@en ;
    dct:description "Kreisfreie Stadt am Niederrhein."@de, "District-free city on the Lower Rhine."@en ;
    kkg:note "Samt- und Seidenstadt."@de, "Velvet and silk city."@en ;
    geo:lat "51.3333"^^xsd:decimal ; geo:long "6.5667"^^xsd:decimal ;
    owl:sameAs <http://www.wikidata.org/entity/Q2805> ;
    kkg:twinnedWith place:charlotte ;
    org:memberOf coop:krzn ;
    dct:source src:one, src:two .

place:duisburg a kkg:Municipality ;
    rdfs:label "Duisburg"@de, "Duisburg"@en ;
    geo:lat "51.4344"^^xsd:decimal ; geo:long "6.7623"^^xsd:decimal ;
    dct:source src:one .

place:charlotte a kkg:Municipality ;
    rdfs:label "Charlotte"@de, "Charlotte, North Carolina"@en ;
    geo:lat "35.2269"^^xsd:decimal ; geo:long "-80.8433"^^xsd:decimal ;
    kkg:twinnedWith place:krefeld ;
    dct:source src:one .

place:nowhere-town a kkg:Municipality ;
    rdfs:label "Nirgendwo"@de, "Nowhere"@en ;
    dct:source src:one .

twin:krefeld-charlotte a kkg:Twinning ;
    rdfs:label "Städtepartnerschaft Krefeld–Charlotte"@de, "Krefeld–Charlotte town twinning"@en ;
    kkg:partner place:krefeld, place:charlotte ;
    schema:startDate "1986-05-23"^^xsd:date ;
    kkg:status status:active ;
    dct:source src:three .

coop:krzn a kkg:Cooperation ;
    rdfs:label "Kommunales Rechenzentrum Niederrhein"@de, "Kommunales Rechenzentrum Niederrhein"@en ;
    schema:foundingDate "1971-07-01"^^xsd:date ;
    org:hasMember place:krefeld ;
    dct:source src:one .

ms:krefeld--krzn a org:Membership ;
    rdfs:label "Krefeld im KRZN"@de, "Krefeld in the KRZN"@en ;
    org:member place:krefeld ; org:organization coop:krzn ;
    org:role role:member ;
    schema:startDate "1971"^^xsd:gYear ;
    org:memberDuring <id/membership/krefeld--krzn#interval> ;
    dct:source src:two .

<id/membership/krefeld--krzn#interval> a time:Interval ;
    time:hasBeginning <id/membership/krefeld--krzn#start> .
<id/membership/krefeld--krzn#start> a time:Instant ; time:inXSDgYear "1971"^^xsd:gYear .

event:visit-2021 a schema:Event ;
    rdfs:label "Besuch 2021"@de, "Visit 2021"@en ;
    schema:startDate "2021-05-23"^^xsd:date ;
    schema:about twin:krefeld-charlotte ;
    schema:location place:krefeld ;
    dct:source src:one .

claim:krefeld-charlotte-1985 a kkg:Claim ;
    rdfs:label "Beginn laut einer Quelle: 1985"@de, "Start according to one source: 1985"@en ;
    rdf:subject twin:krefeld-charlotte ; rdf:predicate schema:startDate ; rdf:object "1985"^^xsd:gYear ;
    kkg:preferred false ;
    dct:source src:two .

orgn:evil a <http://www.w3.org/ns/org#Organization> ;
    rdfs:label "<script>alert(\\"x\\")</script>"@de, "<script>alert(\\"x\\")</script>"@en ;
    kkg:seat place:krefeld ;
    dct:source src:one .

src:one a kkg:SourceDocument ;
    rdfs:label "Quelle eins"@de, "Source one"@en ;
    schema:url "https://example.org/one"^^xsd:anyURI ;
    dct:publisher pub:example .
src:two a kkg:SourceDocument ;
    rdfs:label "Quelle zwei"@de, "Source two"@en ;
    schema:url "javascript:alert(1)"^^xsd:anyURI .
src:three a kkg:SourceDocument ;
    rdfs:label "Quelle drei"@de, "Source three"@en ;
    schema:url "https://example.org/three"^^xsd:anyURI .
pub:example rdfs:label "Betreiber von example.org"@de, "Operator of example.org"@en .
"""

ONTOLOGY = """
@prefix kkg: <https://w3id.org/krefeld-kg/ontology#> .
@prefix role: <https://w3id.org/krefeld-kg/ontology/role/> .
@prefix status: <https://w3id.org/krefeld-kg/ontology/status/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
kkg:Municipality rdfs:label "Stadt oder Gemeinde"@de, "municipality"@en .
kkg:Twinning rdfs:label "Städtepartnerschaft"@de, "town twinning"@en .
kkg:Cooperation rdfs:label "Kooperation"@de, "cooperation"@en .
kkg:twinnedWith rdfs:label "Partnerstadt von"@de, "twinned with"@en .
kkg:partner rdfs:label "Partner"@de, "partner"@en .
kkg:seat rdfs:label "Sitz"@de, "seat"@en .
kkg:status rdfs:label "Status"@de, "status"@en .
role:member skos:prefLabel "Mitglied"@de, "member"@en .
status:active skos:prefLabel "aktiv"@de, "active"@en .
"""

CATALOG = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .  @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .  @prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<id/catalog/krefeld-kg> a dcat:Catalog ; dcat:dataset <id/dataset/krefeld-kg> .
<id/dataset/krefeld-kg> a dcat:Dataset ;
    dct:title "Testdaten zu Krefeld"@de, "Test data about Krefeld"@en ;
    dct:description "Ein kleiner Datensatz für die Tests."@de, "A small data set for the tests."@en ;
    dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;
    dcatde:licenseAttributionByText "Stadt Krefeld, krefeld-kg (Test)" ;
    dct:issued "2026-01-01"^^xsd:date ;
    dct:publisher <id/publisher/krefeld-de> ;
    dcat:keyword "Krefeld"@de, "Krefeld"@en ;
    dcat:distribution <id/distribution/krefeld-kg-nt> .
<id/publisher/krefeld-de> foaf:name "Stadt Krefeld"@de, "City of Krefeld"@en .
<id/distribution/krefeld-kg-nt> a dcat:Distribution ; dct:title "krefeld-kg.nt" ;
    dcat:byteSize "1"^^xsd:nonNegativeInteger .
"""


def _turtle(text: str, base: str) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE, base_iri=base)]


def write_release(directory: Path, base: str = DEFAULT_BASE) -> Path:
    """Write the fixture release into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    graph = _turtle(DATA, base)
    files = {
        "krefeld-kg.nt": ox.serialize(graph, format=ox.RdfFormat.N_TRIPLES),
        "krefeld-kg.ttl": ox.serialize(graph, format=ox.RdfFormat.TURTLE),
        "krefeld-kg.jsonld": ox.serialize(graph, format=ox.RdfFormat.JSON_LD),
        "ontology.ttl": ox.serialize(_turtle(ONTOLOGY, base), format=ox.RdfFormat.TURTLE),
        "catalog.ttl": ox.serialize(_turtle(CATALOG, base), format=ox.RdfFormat.TURTLE),
    }
    for name, data in files.items():
        (directory / name).write_bytes(data or b"")
    sums = "".join(f"{hashlib.sha256(data or b'').hexdigest()}  {name}\n" for name, data in sorted(files.items()))
    (directory / "SHA256SUMS").write_text(sums, encoding="ascii")
    return directory


def test_fixture_release_is_complete(tmp_path: Path) -> None:
    release = write_release(tmp_path / "dist")
    names = {line.split("  ")[1] for line in (release / "SHA256SUMS").read_text().splitlines()}
    assert names == {"krefeld-kg.nt", "krefeld-kg.ttl", "krefeld-kg.jsonld", "ontology.ttl", "catalog.ttl"}
    triples = (release / "krefeld-kg.nt").read_text(encoding="utf-8")
    assert f"<{DEFAULT_BASE}id/membership/krefeld--krzn#interval>" in triples
    assert "<script>" in triples
