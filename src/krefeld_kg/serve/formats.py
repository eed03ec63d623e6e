"""The media types the server speaks, their ``?format=`` names and file extensions.

Only registered media types are offered (no ``application/x-turtle``, no ``text/rdf+n3``): clients that ask
for an unregistered type get 406 and the list of what is available.
"""

from __future__ import annotations

from dataclasses import dataclass

HTML = "text/html"
TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"
SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Format:
    name: str  # the ?format= value and the file extension of the variant URL
    media_type: str
    label: str
    charset: bool = True  # text formats get "; charset=utf-8"

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


FORMATS: dict[str, Format] = {
    f.media_type: f
    for f in (
        Format("html", HTML, "HTML"),
        Format("ttl", TURTLE, "Turtle"),
        Format("jsonld", JSON_LD, "JSON-LD"),
        Format("nt", N_TRIPLES, "N-Triples"),
        Format("rdf", RDF_XML, "RDF/XML"),
        Format("json", SPARQL_JSON, "SPARQL JSON"),
        Format("xml", SPARQL_XML, "SPARQL XML"),
        Format("csv", CSV, "CSV"),
        Format("tsv", TSV, "TSV"),
    )
}
#: ?format= value → media type; the media type itself is accepted too.
FORMAT_NAMES: dict[str, str] = {f.name: f.media_type for f in FORMATS.values()} | {
    "turtle": TURTLE,
    "ntriples": N_TRIPLES,
    "rdfxml": RDF_XML,
}

#: What a resource document offers, in the server's order of preference for ties (browsers first).
RDF_OFFERS = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML)
DOCUMENT_OFFERS = (HTML, *RDF_OFFERS)
#: SELECT / ASK results and CONSTRUCT / DESCRIBE results; HTML for people using the form.
SOLUTION_OFFERS = (SPARQL_JSON, SPARQL_XML, CSV, TSV, HTML)
GRAPH_OFFERS = (*RDF_OFFERS, HTML)
#: The service description: RDF first, since SPARQL clients probing the endpoint send */*.
SERVICE_OFFERS = (*RDF_OFFERS, HTML)


def by_name(name: str) -> Format | None:
    """The format a ``?format=`` value or an extension names, or None."""
    media_type = FORMAT_NAMES.get(name.lower(), name.lower())
    return FORMATS.get(media_type)
