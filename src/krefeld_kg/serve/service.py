"""The SPARQL 1.1 Service Description of the endpoint, served on a plain GET of /sparql without a query."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Namespace
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from .formats import CSV, JSON_LD, N_TRIPLES, RDF_XML, SPARQL_JSON, SPARQL_XML, TSV, TURTLE
from .rdf import value_of

# Not (yet) in namespaces.py, which other work owns; the lead moves them there.
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")

#: media type → the W3C's IRI for the format, as sd:resultFormat wants it.
FORMAT_IRIS = {
    SPARQL_JSON: W3C_FORMATS.SPARQL_Results_JSON,
    SPARQL_XML: W3C_FORMATS.SPARQL_Results_XML,
    CSV: W3C_FORMATS.SPARQL_Results_CSV,
    TSV: W3C_FORMATS.SPARQL_Results_TSV,
    TURTLE: W3C_FORMATS.Turtle,
    JSON_LD: W3C_FORMATS["JSON-LD"],
    N_TRIPLES: W3C_FORMATS["N-Triples"],
    RDF_XML: W3C_FORMATS.RDF_XML,
}


def service_description(
    endpoint: str, triples: int, dataset: str | None, catalog: str, timeout: float, row_limit: int
) -> list[ox.Triple]:
    """The description of the endpoint at ``endpoint`` (an absolute URL, as the client reached it)."""
    service = ox.NamedNode(endpoint)
    default_dataset = ox.NamedNode(endpoint + "#dataset")
    default_graph = ox.NamedNode(endpoint + "#default-graph")

    def n(term: object) -> ox.NamedNode:
        return ox.NamedNode(str(term))

    out = [
        ox.Triple(service, n(RDF.type), n(SD.Service)),
        ox.Triple(service, n(SD.endpoint), service),
        ox.Triple(service, n(SD.supportedLanguage), n(SD.SPARQL11Query)),
        ox.Triple(service, n(SD.defaultDataset), default_dataset),
        ox.Triple(
            service,
            n(DCTERMS.description),
            ox.Literal(
                f"Read-only SPARQL 1.1 query endpoint. SERVICE is refused (no outgoing requests); each query may run "
                f"{timeout:g} s at most and returns at most {row_limit} rows or triples.",
                language="en",
            ),
        ),
        ox.Triple(
            service,
            n(DCTERMS.description),
            ox.Literal(
                f"Nur lesender SPARQL-1.1-Abfrage-Endpunkt. SERVICE wird abgelehnt (keine ausgehenden Anfragen); jede "
                f"Abfrage darf höchstens {timeout:g} s rechnen und liefert höchstens {row_limit} Zeilen oder Tripel.",
                language="de",
            ),
        ),
        ox.Triple(default_dataset, n(RDF.type), n(SD.Dataset)),
        ox.Triple(default_dataset, n(SD.defaultGraph), default_graph),
        ox.Triple(default_dataset, n(RDFS.seeAlso), ox.NamedNode(catalog)),
        ox.Triple(default_graph, n(RDF.type), n(SD.Graph)),
        ox.Triple(default_graph, n(VOID.triples), ox.Literal(str(triples), datatype=n(XSD.integer))),
    ]
    out += [ox.Triple(service, n(SD.resultFormat), n(iri)) for iri in FORMAT_IRIS.values()]
    if dataset is not None:
        out.append(ox.Triple(default_dataset, n(RDFS.seeAlso), ox.NamedNode(dataset)))
    # The service first, then its dataset and graph: Turtle writers group consecutive triples by subject.
    return sorted(out, key=lambda t: (t.subject != service, value_of(t.subject), t.predicate.value, str(t.object)))


def prefixes() -> dict[str, str]:
    """namespace → prefix for writing the description."""
    return {
        str(SD): "sd",
        str(W3C_FORMATS): "formats",
        str(DCTERMS): "dct",
        str(RDF): "rdf",
        str(RDFS): "rdfs",
        str(VOID): "void",
        str(XSD): "xsd",
    }
