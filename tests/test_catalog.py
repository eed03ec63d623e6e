"""The DCAT-AP.de description of a release: describe() builds it, conformance() judges it offline."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib import namespace as rdfns
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SH, VOID

from krefeld_kg.catalog import METADATA_FILE, STANDARDS_DIR, DumpFile, conformance, describe
from krefeld_kg.errors import InputError
from krefeld_kg.namespaces import DCATDE, DEFAULT_BASE, KKG, ONTOLOGY_IRI, SCHEMA, SPDX, VCARD, resource_iri
from krefeld_kg.validate import CHECK, Report

# Plain copies: pytest probes module attributes while collecting, and these two closed rdflib namespaces
# warn on every unknown attribute.
DCAT = Namespace(str(rdfns.DCAT))
XSD = Namespace(str(rdfns.XSD))

DATASET = resource_iri(DEFAULT_BASE, "dataset", "krefeld-kg")
CATALOG = resource_iri(DEFAULT_BASE, "catalog", "krefeld-kg")
TTL = resource_iri(DEFAULT_BASE, "distribution", "krefeld-kg-ttl")
NT = resource_iri(DEFAULT_BASE, "distribution", "krefeld-kg-nt")
MUNICIPALITY_KEY = URIRef("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05114000")
DE = "http://dcat-ap.de/def/dcatde/3.0/shacl/"


def small_graph(base: str = DEFAULT_BASE) -> Graph:
    g = Graph()
    krefeld = resource_iri(base, "place", "krefeld")
    venlo = resource_iri(base, "place", "venlo")
    twinning = resource_iri(base, "twinning", "krefeld-venlo")
    for place, name in ((krefeld, "Krefeld"), (venlo, "Venlo")):
        g.add((place, RDF.type, KKG.Municipality))
        g.add((place, RDFS.label, Literal(name, lang="de")))
    g.add((twinning, RDF.type, KKG.Twinning))
    g.add((twinning, KKG.partner, krefeld))
    g.add((twinning, KKG.partner, venlo))
    g.add((twinning, SCHEMA.startDate, Literal("1964-10-01", datatype=XSD.date)))
    return g


def dumps_of(g: Graph) -> list[DumpFile]:
    files = {
        "krefeld-kg.ttl": ("text/turtle", g.serialize(format="turtle", encoding="utf-8")),
        "krefeld-kg.nt": ("application/n-triples", g.serialize(format="nt", encoding="utf-8")),
        "krefeld-kg.jsonld": ("application/ld+json", g.serialize(format="json-ld", encoding="utf-8")),
    }
    return [DumpFile(name, media, len(data), hashlib.sha256(data).hexdigest()) for name, (media, data) in files.items()]


@pytest.fixture(scope="module")
def catalog() -> Graph:
    return describe(small_graph(), dumps_of(small_graph()))


def fresh(catalog: Graph) -> Graph:
    copy = Graph()
    for triple in catalog:
        copy.add(triple)
    return copy


def sorted_nt(g: Graph) -> list[str]:
    return sorted(line for line in g.serialize(format="nt").splitlines() if line.strip())


def test_describe_gives_a_conformant_catalog(catalog: Graph) -> None:
    report = conformance(catalog)
    assert report.violations == [], report.to_text()
    assert report.conforms and report.shapes_run > 50


def test_catalog_has_no_blank_nodes(catalog: Graph) -> None:
    assert not [t for t in catalog if any(isinstance(term, BNode) for term in t)]


def test_catalog_lists_dataset_and_distributions(catalog: Graph) -> None:
    assert (CATALOG, DCAT.dataset, DATASET) in catalog
    assert (DATASET, RDF.type, VOID.Dataset) in catalog
    assert set(catalog.objects(DATASET, DCAT.distribution)) == {
        TTL,
        NT,
        resource_iri(DEFAULT_BASE, "distribution", "krefeld-kg-jsonld"),
    }


@pytest.mark.parametrize("dump", dumps_of(small_graph()), ids=lambda d: d.name)
def test_byte_size_and_checksum_round_trip(catalog: Graph, dump: DumpFile) -> None:
    url = URIRef(f"{DEFAULT_BASE}download/{dump.name}")
    (distribution,) = catalog.subjects(DCAT.downloadURL, url)
    assert (distribution, DCAT.accessURL, url) in catalog
    size = catalog.value(distribution, DCAT.byteSize)
    assert isinstance(size, Literal) and size.datatype == XSD.nonNegativeInteger and size.toPython() == dump.byte_size
    checksum = catalog.value(distribution, SPDX.checksum)
    assert checksum == URIRef(f"{distribution}#sha256")
    assert catalog.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    value = catalog.value(checksum, SPDX.checksumValue)
    assert isinstance(value, Literal) and value.datatype == XSD.hexBinary and str(value) == dump.sha256
    assert catalog.value(distribution, DCAT.mediaType) == URIRef(
        f"https://www.iana.org/assignments/media-types/{dump.media_type}"
    )
    assert (distribution, DCTERMS.license, URIRef("http://dcat-ap.de/def/licenses/dl-by-de/2.0")) in catalog
    assert catalog.value(distribution, DCATDE.licenseAttributionByText) is not None


def test_formats_come_from_the_eu_file_type_table(catalog: Graph) -> None:
    eu = "http://publications.europa.eu/resource/authority/file-type/"
    assert catalog.value(TTL, DCTERMS.format) == URIRef(eu + "RDF_TURTLE")
    assert catalog.value(NT, DCTERMS.format) == URIRef(eu + "RDF_N_TRIPLES")


def test_two_calls_give_the_same_triples() -> None:
    first = describe(small_graph(), dumps_of(small_graph()))
    second = describe(small_graph(), dumps_of(small_graph()))
    assert isomorphic(first, second)
    assert sorted_nt(first) == sorted_nt(second)


def test_void_statistics(catalog: Graph) -> None:
    g = small_graph()

    def number(p: URIRef, s: URIRef = DATASET) -> object:
        value = catalog.value(s, p)
        return value.toPython() if isinstance(value, Literal) else value

    assert number(VOID.triples) == len(g) == 8
    assert number(VOID.entities) == number(VOID.distinctSubjects) == 3
    assert number(VOID.properties) == 4
    assert number(VOID.classes) == 2
    first, second = (URIRef(f"{DATASET}#class-{n}") for n in (1, 2))
    assert set(catalog.objects(DATASET, VOID.classPartition)) == {first, second}
    assert (catalog.value(first, VOID["class"]), number(VOID.entities, first)) == (KKG.Municipality, 2)
    assert (catalog.value(second, VOID["class"]), number(VOID.entities, second)) == (KKG.Twinning, 1)
    assert set(catalog.objects(DATASET, VOID.vocabulary)) == {
        URIRef(str(KKG)),
        URIRef(str(RDF)),
        URIRef(str(RDFS)),
        URIRef(str(SCHEMA)),
    }
    assert catalog.value(DATASET, VOID.uriSpace) == Literal(DEFAULT_BASE + "id/")
    assert catalog.value(DATASET, VOID.sparqlEndpoint) == URIRef(DEFAULT_BASE + "sparql")
    assert len(set(catalog.objects(DATASET, VOID.dataDump))) == 3


def test_municipality_key_is_in_spatial(catalog: Graph) -> None:
    assert (DATASET, DCTERMS.spatial, MUNICIPALITY_KEY) in catalog
    assert (DATASET, DCATDE.politicalGeocodingURI, None) not in catalog  # deprecated in DCAT-AP.de 3.0


def test_dates_are_xsd_dates(catalog: Graph) -> None:
    for prop in (DCTERMS.issued, DCTERMS.modified):
        value = catalog.value(DATASET, prop)
        assert isinstance(value, Literal) and value.datatype == XSD.date


def test_no_personal_data(catalog: Graph) -> None:
    assert not set(catalog.subjects(RDF.type, FOAF.Person)) | set(catalog.subjects(RDF.type, VCARD.Individual))
    for prop in (VCARD.hasEmail, VCARD.hasTelephone, VCARD.email, VCARD.tel, FOAF.mbox, FOAF.phone, FOAF.givenName):
        assert (None, prop, None) not in catalog
    texts = [str(o) for o in catalog.objects() if isinstance(o, Literal) and o.datatype in (None, XSD.string)]
    iris = [str(term) for t in catalog for term in t if isinstance(term, URIRef)]
    assert not [t for t in texts + iris if re.search(r"[\w.+-]+@[\w-]+\.[\w.]+|mailto:|tel:", t)]
    assert not [t for t in texts if re.search(r"\+?\d[\d /()-]{6,}\d", t)], "looks like a phone number"


def test_relative_iris_follow_the_base() -> None:
    base = "https://example.org/kg/"
    other = describe(small_graph(base), dumps_of(small_graph(base)), base)
    dataset = resource_iri(base, "dataset", "krefeld-kg")
    assert (dataset, RDF.type, DCAT.Dataset) in other
    assert (dataset, DCAT.contactPoint, resource_iri(base, "contact", "staedtepartnerschaften")) in other
    leaked = [
        t for t in other for term in t if str(term).startswith(DEFAULT_BASE) and not str(term).startswith(ONTOLOGY_IRI)
    ]
    assert not leaked
    assert conformance(other).violations == []


def found(report: Report, component: URIRef, path: URIRef, focus: URIRef) -> list[str]:
    return [
        v.severity
        for v in report.violations
        if (v.component, v.path, v.focus) == (str(component), str(path), str(focus))
    ]


def test_rejects_dataset_without_description(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.remove((DATASET, DCTERMS.description, None))
    report = conformance(broken)
    assert not report.conforms
    assert found(report, SH.MinCountConstraintComponent, DCTERMS.description, DATASET) == ["Violation"]


def test_rejects_distribution_without_access_url(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.remove((TTL, DCAT.accessURL, None))
    report = conformance(broken)
    assert found(report, SH.MinCountConstraintComponent, DCAT.accessURL, TTL) == ["Violation"]
    assert len(report.violations) == 1


def test_rejects_licence_not_from_the_list(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.set((NT, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    report = conformance(broken)
    assert found(report, SH.HasValueConstraintComponent, DCTERMS.license, NT) == ["Warning"]
    (violation,) = report.violations
    assert violation.shape == DE + "distribution-lizenz_Warning_List"
    assert violation.value == "https://creativecommons.org/licenses/by/4.0/"


def test_rejects_distribution_without_licence(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.remove((NT, DCTERMS.license, None))
    report = conformance(broken)
    assert found(report, SH.MinCountConstraintComponent, DCTERMS.license, NT) == ["Violation"]


def test_rejects_theme_outside_the_eu_table(catalog: Graph) -> None:
    # The offline filter excuses unknown values only inside the EU data-theme namespace.
    broken = fresh(catalog)
    broken.add((DATASET, DCAT.theme, URIRef("http://example.org/themes/GOVE")))
    report = conformance(broken)
    assert found(report, SH.HasValueConstraintComponent, DCAT.theme, DATASET) == ["Violation"]
    assert len(report.violations) == 1


def test_rejects_contributor_not_in_the_list(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.set((DATASET, DCATDE.contributorID, URIRef("http://dcat-ap.de/def/contributors/stadtKrefeld")))
    report = conformance(broken)
    assert found(report, SH.HasValueConstraintComponent, DCATDE.contributorID, DATASET) == ["Warning"]


def test_rejects_media_type_outside_iana(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.set((TTL, DCAT.mediaType, URIRef("http://example.org/media/turtle")))
    report = conformance(broken)
    assert found(report, SH.PatternConstraintComponent, DCAT.mediaType, TTL) == ["Violation"]


def test_rejects_checksum_that_is_not_hex_binary(catalog: Graph) -> None:
    broken = fresh(catalog)
    checksum = URIRef(f"{TTL}#sha256")
    broken.set((checksum, SPDX.checksumValue, Literal("not a checksum")))
    report = conformance(broken)
    assert found(report, SH.DatatypeConstraintComponent, SPDX.checksumValue, checksum) == ["Violation"]


def test_rejects_checksum_algorithm_outside_spdx(catalog: Graph) -> None:
    broken = fresh(catalog)
    checksum = URIRef(f"{TTL}#sha256")
    broken.set((checksum, SPDX.algorithm, URIRef("http://example.org/algorithms/sha256")))
    report = conformance(broken)
    assert found(report, SH.ClassConstraintComponent, SPDX.algorithm, checksum) == ["Warning"]


def test_rejects_deprecated_political_geocoding_uri(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.add((DATASET, DCATDE.politicalGeocodingURI, MUNICIPALITY_KEY))
    report = conformance(broken)
    assert found(report, SH.MaxCountConstraintComponent, DCATDE.politicalGeocodingURI, DATASET) == ["Warning"]


def test_rejects_contact_point_without_url(catalog: Graph) -> None:
    broken = fresh(catalog)
    contact = resource_iri(DEFAULT_BASE, "contact", "staedtepartnerschaften")
    broken.remove((contact, VCARD.hasURL, None))
    report = conformance(broken)
    assert [(v.focus, v.shape) for v in report.violations] == [
        (str(contact), DE + "DE_Kind_vcard_hasEmail_hasURL_hasTelephone_v_Min")
    ]


def test_rejects_issued_that_is_not_a_date(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.set((DATASET, DCTERMS.issued, Literal("22.11.2026")))
    report = conformance(broken)
    assert found(report, CHECK["catalog-date-datatype"], DCTERMS.issued, DATASET) == ["Violation"]


def test_rejects_impossible_date(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.set((DATASET, DCTERMS.modified, Literal("2026-02-30", datatype=XSD.date)))
    report = conformance(broken)
    assert found(report, CHECK["catalog-date-datatype"], DCTERMS.modified, DATASET) == ["Violation"]


def test_rejects_modified_before_issued(catalog: Graph) -> None:
    broken = fresh(catalog)
    broken.set((DATASET, DCTERMS.modified, Literal("2026-01-01", datatype=XSD.date)))
    report = conformance(broken)
    assert found(report, CHECK["catalog-date-order"], DCTERMS.modified, DATASET) == ["Violation"]


def test_rejects_missing_metadata_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        describe(small_graph(), [], metadata=tmp_path / "missing.ttl")


def test_rejects_metadata_with_syntax_error(tmp_path: Path) -> None:
    bad = tmp_path / "dataset.ttl"
    bad.write_text(METADATA_FILE.read_text(encoding="utf-8").replace(" ;\n", " \n", 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        describe(small_graph(), [], metadata=bad)
    assert caught.value.line is not None


def test_rejects_metadata_with_blank_nodes(tmp_path: Path) -> None:
    bad = tmp_path / "dataset.ttl"
    text = METADATA_FILE.read_text(encoding="utf-8")
    bad.write_text(text + "\n<id/dataset/krefeld-kg> <http://purl.org/dc/terms/temporal> [ ] .\n", encoding="utf-8")
    with pytest.raises(InputError, match="blank nodes"):
        describe(small_graph(), [], metadata=bad)


@pytest.mark.parametrize(
    "dump, message",
    [
        (DumpFile("krefeld-kg.csv", "text/csv", 1, "0" * 64), "EU file type"),
        (DumpFile("krefeld-kg.ttl", "text/turtle", -1, "0" * 64), "byte size"),
        (DumpFile("krefeld-kg.ttl", "text/turtle", 1, "0" * 63), "sha256"),
        (DumpFile("../krefeld-kg.ttl", "text/turtle", 1, "0" * 64), "plain file name"),
    ],
)
def test_rejects_dumps_it_cannot_describe(dump: DumpFile, message: str) -> None:
    with pytest.raises(InputError, match=message):
        describe(small_graph(), [dump])


def test_rejects_dumps_with_the_same_slug() -> None:
    dumps = [DumpFile("a.ttl", "text/turtle", 1, "0" * 64), DumpFile("a-ttl", "text/turtle", 1, "0" * 64)]
    with pytest.raises(InputError, match="same distribution IRI"):
        describe(small_graph(), dumps)


def test_standards_are_vendored() -> None:
    for name in (
        "PROVENANCE.md",
        "README.md",
        "dcat-ap-3.0.0/dcat-ap-SHACL.ttl",
        "dcat-ap-de-vocab/dcat-ap-de-licenses-open.rdf",
    ):
        assert (STANDARDS_DIR / name).is_file(), name
