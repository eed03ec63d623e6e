"""Describe stage: the DCAT-AP.de 3.0 description of a release (catalog.ttl) and its conformance check.

``describe()`` joins the hand-edited metadata in catalog/dataset.ttl with what only the build knows: one
distribution per dump (size, checksum, formats) and the VoID statistics of the published graph. Every node
gets an IRI, so catalog.ttl is byte-identical from run to run. ``conformance()`` validates it offline
against the vendored shapes the way GovData's validator profile "v30_de_spec" combines them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH, SKOS, VOID, XSD
from rdflib.term import Node

from .engine import OxigraphEngine
from .errors import InputError
from .load import new_graph, parse_turtle
from .namespaces import DCATDE, DEFAULT_BASE, SPDX, VOCAB_PREFIXES, InvalidIRI, project_root, resource_iri
from .validate import CHECK, Report, Violation

METADATA_FILE = project_root() / "catalog" / "dataset.ttl"
STANDARDS_DIR = project_root() / "vendor" / "standards"
#: GovData's "v30_de_spec": the SEMIC DCAT-AP 3.0.0 shapes plus the five DCAT-AP.de 3.0 files.
SHAPE_FILES = (
    "dcat-ap-3.0.0/dcat-ap-SHACL.ttl",
    "dcat-ap-de-3.0/dcat-ap-de-imports.ttl",
    "dcat-ap-de-3.0/dcat-ap-SHACL-DE.ttl",
    "dcat-ap-de-3.0/dcat-ap-de-deprecated.ttl",
    "dcat-ap-de-3.0/dcat-ap-spec-german-additions.ttl",
    "dcat-ap-de-3.0/dcat-ap-de-controlledvocabularies.ttl",
)
#: The code lists of the imports that exist offline: DCAT-AP.de contributors and licences.
CODE_LIST_FILES = ("dcat-ap-de-vocab/dcat-ap-de-contributors.rdf", "dcat-ap-de-vocab/dcat-ap-de-licenses-open.rdf")
DE_SHAPES = "http://dcat-ap.de/def/dcatde/3.0/shacl/"

# Code lists, spelled here because namespaces.py holds vocabularies, not code lists.
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
FILE_TYPES = {  # media type → EU file type (DCAT-AP.de wants dct:format from that table)
    "text/turtle": "RDF_TURTLE",
    "application/n-triples": "RDF_N_TRIPLES",
    "application/ld+json": "JSON_LD",
    "application/rdf+xml": "RDF_XML",
    "application/trig": "RDF_TRIG",
    "application/n-quads": "RDF_N_QUADS",
}

# What conformance() filters out, and why. dcat-ap-de-imports.ttl pulls code lists in with owl:imports;
# offline (pySHACL does not follow them) only the contributor and licence lists exist, and those are merged
# into the data graph, so their shapes (:datensatz-datenbereitsteller-id_Warning_List and the three
# :*-lizenz_Warning_List) run unfiltered. For every other list, the nested property shapes
# `sh:path skos:inScheme; sh:hasValue <scheme>` of dcat-ap-de-controlledvocabularies.ttl would report each
# coded value as unknown (sh:HasValueConstraintComponent). We drop those results only for the schemes below
# and only when the value lies in the scheme's own namespace, so a value from anywhere else is still
# reported. Scheme → the DE shapes that check it (prefix : = DE_SHAPES):
#   language             :katalog-sprache, :datensatz-sprache, :distribution-sprache, :katalogeintrag-sprache
#   planned-availability :*-verfugbarkeit_Violation_List (never fire: their dcatap: prefix ends in "#")
#   frequency            :datensatz-aktualisierungsfrequenz, :datensatzserie-aktualisierungsfrequenz
#   dataset-type         :datensatz-typ;  data-theme :datensatz-kategorie;  distribution-status :distribution-status
#   access-right         :datensatz-grad-zuganglichkeit, :datenservice-grad-zuganglichkeit
#   file-type            :datenservice-format, :distribution-format
#   ADMS publishertype   :verantwortliche-stelle-typ;  geocoding Level :datensatz-ebene-geopolitischen-abdeckung
OFFLINE_SCHEMES = {
    **{
        f"{EU_AUTHORITY}{table}": f"{EU_AUTHORITY}{table}/"
        for table in (
            "language",
            "planned-availability",
            "frequency",
            "dataset-type",
            "data-theme",
            "access-right",
            "file-type",
            "distribution-status",
        )
    },
    "http://purl.org/adms/publishertype/1.0": "http://purl.org/adms/publishertype/",
    "http://dcat-ap.de/def/politicalGeocoding/Level": "http://dcat-ap.de/def/politicalGeocoding/Level/",
}
# The SPDX ontology is imported for the same reason: it types spdx:checksumAlgorithm_sha256 and its
# siblings as spdx:ChecksumAlgorithm. Offline :prufsumme-algorithmus_Warning_List (sh:class, failing with
# sh:ClassConstraintComponent) warns on every algorithm; we drop that result for SPDX algorithm IRIs only.
OFFLINE_CLASS_SHAPES = {DE_SHAPES + "prufsumme-algorithmus_Warning_List": str(SPDX) + "checksumAlgorithm_"}

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TEMPORAL = (XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth)  # the range DCAT-AP gives issued/modified


@dataclass(frozen=True)
class DumpFile:
    name: str
    media_type: str
    byte_size: int
    sha256: str


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _check_dump(dump: DumpFile) -> None:
    if not _FILE_NAME.match(dump.name):
        raise InputError(f"dump name must be a plain file name: {dump.name!r}")
    if dump.media_type not in FILE_TYPES:
        raise InputError(f"no EU file type known for media type {dump.media_type!r} of {dump.name}")
    if isinstance(dump.byte_size, bool) or not isinstance(dump.byte_size, int) or dump.byte_size < 0:
        raise InputError(f"byte size of {dump.name} must be a non-negative integer: {dump.byte_size!r}")
    if not _SHA256.match(dump.sha256):
        raise InputError(f"sha256 of {dump.name} must be 64 lower-case hex digits: {dump.sha256!r}")


def describe(
    graph: Graph | OxigraphEngine, dumps: list[DumpFile], base: str = DEFAULT_BASE, metadata: Path = METADATA_FILE
) -> Graph:
    """The graph of catalog.ttl: catalogue, dataset (with VoID statistics of ``graph``) and one distribution
    per dump. Raises InputError for unreadable metadata or a dump that cannot be described."""
    for dump in dumps:
        _check_dump(dump)
    try:
        catalog = resource_iri(base, "catalog", "krefeld-kg")
        dataset = resource_iri(base, "dataset", "krefeld-kg")
        targets = [(dump, resource_iri(base, "distribution", _slug(dump.name))) for dump in dumps]
    except InvalidIRI as exc:
        raise InputError(str(exc)) from None
    if len({iri for _, iri in targets}) != len(targets):
        raise InputError(f"two dumps map to the same distribution IRI: {', '.join(d.name for d in dumps)}")

    out = new_graph(base)
    parse_turtle(Path(metadata), out, base)
    if (dataset, None, None) not in out:
        raise InputError(f"the metadata does not describe the dataset <{dataset}>", metadata)
    if any(isinstance(term, BNode) for triple in out for term in triple):
        raise InputError("blank nodes are not allowed (catalog.ttl must be byte-stable): name every node", metadata)

    out.add((catalog, RDF.type, DCAT.Catalog))
    out.add((catalog, DCAT.dataset, dataset))
    out.add((dataset, RDF.type, DCAT.Dataset))
    out.add((dataset, RDF.type, VOID.Dataset))
    out.add((dataset, DCTERMS.identifier, Literal(str(dataset))))
    # DCAT-AP.de puts licence and attribution on the distribution; the metadata states them once.
    licence_terms = [
        (p, o) for p in (DCTERMS.license, DCATDE.licenseAttributionByText) for o in out.objects(dataset, p)
    ]
    for dump, distribution in targets:
        url = URIRef(f"{base}download/{dump.name}")
        checksum = URIRef(f"{distribution}#sha256")
        out.add((dataset, DCAT.distribution, distribution))
        out.add((dataset, VOID.dataDump, url))
        for p, o in [
            (RDF.type, DCAT.Distribution),
            (DCTERMS.title, Literal(dump.name)),
            (DCAT.accessURL, url),  # DCAT-AP.de: a plain download gives the same URL as both
            (DCAT.downloadURL, url),
            (DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + dump.media_type)),
            (DCTERMS.format, URIRef(f"{EU_AUTHORITY}file-type/{FILE_TYPES[dump.media_type]}")),
            (DCAT.byteSize, Literal(dump.byte_size, datatype=XSD.nonNegativeInteger)),
            (SPDX.checksum, checksum),
            *licence_terms,
        ]:
            out.add((distribution, p, o))
        out.add((checksum, RDF.type, SPDX.Checksum))
        out.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        out.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    _add_void(out, dataset, graph if isinstance(graph, OxigraphEngine) else OxigraphEngine.from_graph(graph), base)
    return out


def _vocabulary(term: URIRef) -> URIRef:
    known = [ns for ns in VOCAB_PREFIXES.values() if term.startswith(ns)]
    if known:
        return URIRef(max(known, key=len))
    return URIRef(re.sub(r"[^/#]*$", "", str(term)))


_VOID_COUNTS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
WHERE { ?s ?p ?o }
"""
_VOID_ENTITIES = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER (isIRI(?s)) }"
_VOID_CLASSES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class FILTER (isIRI(?s)) } GROUP BY ?class ORDER BY ?class
"""
_VOID_CLASS_COUNT = "SELECT (COUNT(DISTINCT ?class) AS ?n) WHERE { ?s a ?class }"
_VOID_TERMS = "SELECT DISTINCT ?term WHERE { { ?s ?term ?o } UNION { ?s a ?term } FILTER (isIRI(?term)) }"


def _count(engine: OxigraphEngine, query: str) -> list[int]:
    row = engine.select(query).rows[0]
    return [int(str(v)) if v is not None else 0 for v in row]


def _add_void(out: Graph, dataset: URIRef, engine: OxigraphEngine, base: str) -> None:
    # Counted with SPARQL in the store: at a million triples, Python sets over rdflib would take minutes.
    triples, subjects, properties = _count(engine, _VOID_COUNTS)
    counts = [
        (VOID.triples, triples),
        (VOID.entities, _count(engine, _VOID_ENTITIES)[0]),
        (VOID.distinctSubjects, subjects),
        (VOID.properties, properties),
        (VOID.classes, _count(engine, _VOID_CLASS_COUNT)[0]),
    ]
    for p, n in counts:
        out.add((dataset, p, Literal(n)))
    classes = engine.select(_VOID_CLASSES)
    for number, (cls, members) in enumerate(classes.rows, start=1):
        if not isinstance(cls, URIRef) or members is None:
            continue
        partition = URIRef(f"{dataset}#class-{number}")
        out.add((dataset, VOID.classPartition, partition))
        out.add((partition, VOID["class"], cls))
        out.add((partition, VOID.entities, Literal(int(str(members)))))
    own = base + "id/"
    for (term,) in engine.select(_VOID_TERMS).rows:
        if isinstance(term, URIRef) and not term.startswith(own):
            out.add((dataset, VOID.vocabulary, _vocabulary(term)))
    out.add((dataset, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    out.add((dataset, VOID.uriSpace, Literal(own)))


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    shapes = Graph()
    for name in SHAPE_FILES:
        _parse_vendored(shapes, name)
    return shapes


@lru_cache(maxsize=1)
def _code_lists() -> tuple[tuple[Node, Node, Node], ...]:
    # Only the skos:inScheme facts: they are all the code-list shapes consult, and the rest of the files
    # (concept schemes, SKOS-XL labels) would otherwise be validated as if it were catalogue data.
    lists = Graph()
    for name in CODE_LIST_FILES:
        _parse_vendored(lists, name)
    return tuple(sorted(lists.triples((None, SKOS.inScheme, None))))


def _parse_vendored(graph: Graph, name: str) -> None:
    path = STANDARDS_DIR / name
    try:
        graph.parse(path, format="xml" if path.suffix == ".rdf" else "turtle")
    except FileNotFoundError:
        raise InputError("vendored standards file not found", path) from None
    except Exception as exc:  # rdflib raises assorted exceptions for syntax errors
        raise InputError(f"cannot parse vendored standards file: {exc}", path) from None


def conformance(catalog: Graph) -> Report:
    """Validate ``catalog`` against DCAT-AP 3.0 + DCAT-AP.de 3.0 offline and check its dates.

    Warnings count as violations: a catalogue we publish should not need excuses. The result is empty
    (``conforms``) only if nothing is reported."""
    from pyshacl import validate as pyshacl_validate  # slow to import: only when validating

    shapes = _shapes()
    data = Graph()
    for triple in catalog:
        data.add(triple)
    for triple in _code_lists():
        data.add(triple)
    _conforms, results, _text = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=False
    )
    assert isinstance(results, Graph)
    found = [
        v for result in results.subjects(RDF.type, SH.ValidationResult) for v in _read(results, result, shapes, catalog)
    ]
    found += _date_violations(catalog)
    violations = sorted(set(found), key=Violation.sort_key)
    shapes_run = len(set(shapes.subjects(RDF.type, SH.NodeShape)))
    return Report(conforms=not violations, violations=violations, shapes_run=shapes_run, checks_run=2)


def _text(node: Node | None) -> str | None:
    return None if node is None or isinstance(node, BNode) else str(node)


def _read(results: Graph, result: Node, shapes: Graph, catalog: Graph) -> list[Violation]:
    """The violations one pySHACL result stands for: none if it is an offline false positive; for a nested
    code-list shape, one per resource that uses the value, reported on the property it is used with."""
    focus = results.value(result, SH.focusNode)
    value = results.value(result, SH.value)
    shape = results.value(result, SH.sourceShape)
    component = results.value(result, SH.sourceConstraintComponent)
    path = results.value(result, SH.resultPath)
    messages = sorted(
        results.objects(result, SH.resultMessage), key=lambda m: (getattr(m, "language", None) != "en", str(m))
    )
    severity = results.value(result, SH.resultSeverity)
    base = Violation(
        focus=str(focus),
        message=str(messages[0]) if messages else "breaks a DCAT-AP.de shape",
        path=_text(path),
        value=_text(value),
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        component=_text(component),
        shape=_text(shape),
    )
    excused = OFFLINE_CLASS_SHAPES.get(str(shape))
    if excused is not None and component == SH.ClassConstraintComponent and str(value).startswith(excused):
        return []
    parent = next(shapes.subjects(SH.property, shape), None) if isinstance(shape, BNode) else None
    scheme = shapes.value(shape, SH.hasValue)
    if parent is None or path != SKOS.inScheme or scheme is None or component != SH.HasValueConstraintComponent:
        return [base]
    namespace = OFFLINE_SCHEMES.get(str(scheme))
    if namespace is not None and str(focus).startswith(namespace):
        return []
    # The nested shape reports the coded value as focus; name the resource and property instead.
    used_on = shapes.value(parent, SH.path)
    node_shape = next(shapes.subjects(SH.property, parent), None)
    target = shapes.value(node_shape, SH.targetClass) if node_shape is not None else None
    if not isinstance(used_on, URIRef) or focus is None:
        return [base]
    users = sorted(
        str(s) for s in catalog.subjects(used_on, focus) if target is None or (s, RDF.type, target) in catalog
    )
    if not users:
        return [base]
    return [replace(base, focus=s, path=str(used_on), value=str(focus), shape=str(parent)) for s in users]


def _as_date(literal: Literal) -> date | None:
    if literal.datatype not in (XSD.date, XSD.dateTime):  # a year or month is not comparable with a day
        return None
    value = literal.toPython()
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _date_violations(catalog: Graph) -> list[Violation]:
    """No shape checks the datatype of dct:issued/dct:modified (see vendor/standards/PROVENANCE.md)."""
    found = []
    dates: dict[tuple[str, URIRef], date] = {}
    for prop in (DCTERMS.issued, DCTERMS.modified):
        for subject, value in catalog.subject_objects(prop):
            if isinstance(value, Literal) and value.datatype in _TEMPORAL and not value.ill_typed:
                when = _as_date(value)
                if when is not None:
                    dates[(str(subject), prop)] = when
                continue
            message = "must be an xsd:date, xsd:dateTime, xsd:gYear or xsd:gYearMonth literal with a valid value"
            found.append(_own(str(subject), message, prop, str(value), "catalog-date-datatype"))
    for (focus, prop), issued in dates.items():
        modified = dates.get((focus, DCTERMS.modified))
        if prop == DCTERMS.issued and modified is not None and modified < issued:
            message = f"dct:modified ({modified}) is before dct:issued ({issued})"
            found.append(_own(focus, message, DCTERMS.modified, str(modified), "catalog-date-order"))
    return found


def _own(focus: str, message: str, path: URIRef, value: str, check: str) -> Violation:
    return Violation(focus, message, str(path), value, component=str(CHECK[check]), shape=str(CHECK[check]))
