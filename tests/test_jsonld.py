"""The JSON-LD writer against the document the json module makes of the same compaction, and against rdflib."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from krefeld_kg import export, jsonld
from krefeld_kg.build import Pipeline
from krefeld_kg.engine import OxigraphEngine
from krefeld_kg.errors import InputError

MINI = Path(__file__).resolve().parent / "fixtures" / "mini-data"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
PREFIXES = {"ex": "http://example.org/", "exn": "http://example.org/ns#", "x": "urn:x:", "xy": "urn:x:y"}

TRICKY = """
<http://example.org/a> <http://example.org/p> "quote \\" backslash \\\\ newline \\n tab \\t cr \\r" .
<http://example.org/a> <http://example.org/p> "controls \\u0001 \\u001F \\b \\f del \\u007F"@en .
<http://example.org/a> <http://example.org/p> "Umlaut ä, CJK 中, emoji 😀, long escape \\U0001F600"@de-CH .
<http://example.org/a> <http://example.org/p> "escaped backslash before u: \\\\u0041 and \\\\U0001F600" .
<http://example.org/a> <http://example.org/p> "right to left"@ar--rtl .
<http://example.org/a> <http://example.org/p> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://example.org/a> <http://example.org/p> "plain"^^<http://www.w3.org/2001/XMLSchema#string> .
<http://example.org/a> <http://example.org/p> "x"^^<http://example.org/dt/odd> .
<http://example.org/a> <http://example.org/ns#q> <http://example.org//not-a-local> .
<http://example.org/a> <http://example.org/ns#q> _:b1 .
<http://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/T> .
<http://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/S> .
<http://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "not an IRI" .
<http://example.org/ab> <http://example.org/p> <urn:x:y> .
<http://example.org/ab> <http://example.org/p> <urn:x:yz> .
<http://example.org/a!b> <http://example.org/p!> "one" .
<http://example.org/a-b> <http://example.org/> "empty local name" .
<http://elsewhere.org/c> <http://example.org/p> "no prefix" .
_:b1 <http://example.org/p> "a blank node" .
"""


def _reference(lines: list[bytes], context: dict[str, Any]) -> Any:
    """The compacted document built as Python objects: the writer's specification."""
    prefixes = [(ns, p) for p, ns in context.items() if isinstance(ns, str) and ns[-1:] in tuple(":/?#[]@")]

    def compact(iri: str) -> str:
        candidates = [
            f"{prefix}:{iri[len(ns) :]}"
            for ns, prefix in prefixes
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//")
        ]
        return min(candidates, key=lambda c: (len(c), c)) if candidates else iri

    def term(t: Any) -> Any:
        if isinstance(t, ox.NamedNode):
            return {"@id": compact(t.value)}
        if isinstance(t, ox.BlankNode):
            return {"@id": f"_:{t.value}"}
        if t.direction is not None:
            return {"@value": t.value, "@language": t.language, "@direction": str(t.direction)}
        if t.language:
            return {"@value": t.value, "@language": t.language}
        if t.datatype.value == XSD_STRING:
            return t.value
        return {"@value": t.value, "@type": compact(t.datatype.value)}

    nodes: dict[str, dict[str, list[Any]]] = {}
    for t in ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES):
        key = compact(t.subject.value) if isinstance(t.subject, ox.NamedNode) else f"_:{t.subject.value}"
        node = nodes.setdefault(key, {})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact(t.object.value))
        else:
            node.setdefault(compact(t.predicate.value), []).append(term(t.object))
    graph = [{"@id": key, **{p: v[0] if len(v) == 1 else v for p, v in nodes[key].items()}} for key in sorted(nodes)]
    return {"@context": context, "@graph": graph}


def _lines(text: str) -> list[bytes]:
    engine = OxigraphEngine()
    engine.store.load(text.encode(), format=ox.RdfFormat.N_TRIPLES)
    return export.sorted_lines(engine)


def _graph(data: bytes, fmt: ox.RdfFormat) -> Graph:
    engine = OxigraphEngine()
    engine.store.load(data, format=fmt)
    return engine.to_graph()


def _write(lines: list[bytes], context: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    jsonld.write(lines, context, out)
    return out.getvalue()


def test_tricky_terms_give_the_reference_document_and_the_same_graph() -> None:
    lines = _lines(TRICKY)
    written = _write(lines, PREFIXES)
    reference = _reference(lines, PREFIXES)
    assert json.loads(written) == reference
    # Layout and escapes too: byte for byte what json.dumps(indent=2, sort_keys=True) writes.
    assert written.decode() == json.dumps(reference, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert isomorphic(_graph(written, ox.RdfFormat.JSON_LD), _graph(TRICKY.encode(), ox.RdfFormat.N_TRIPLES))
    # rdflib's JSON-LD parser reads it as the same graph (rdflib tells "plain" from "plain"^^xsd:string)
    rdflib_graph = Graph().parse(data=written, format="json-ld")
    assert len(rdflib_graph) == len(_graph(TRICKY.encode(), ox.RdfFormat.N_TRIPLES))


def test_compaction_takes_the_longest_namespace_and_leaves_what_would_misread() -> None:
    compact = jsonld.Compactor(PREFIXES)
    assert compact(b"http://example.org/ns#q") == b"exn:q"
    assert compact(b"http://example.org/ns/q") == b"ex:ns/q"
    assert compact(b"<http://example.org/a>") == b"ex:a"
    assert compact(b"http://example.org/") == b"http://example.org/"  # nothing left after the namespace
    assert compact(b"http://example.org//x") == b"ex:/x"
    assert compact(b"http://example.org///x") == b"http://example.org///x"
    assert compact(b"urn:x:yz") == b"x:yz"  # "xy" ends in no gen-delim: not a prefix in JSON-LD 1.1
    assert compact(b"urn:x:abc") == b"x:abc"
    assert compact(b"http://elsewhere.org/c") == b"http://elsewhere.org/c"


def test_without_nested_namespaces_the_one_that_fits_is_used() -> None:
    compact = jsonld.Compactor({"ex": "http://example.org/", "x": "urn:x:", "h": "http://example.org#"})
    assert not compact.nested
    assert compact(b"http://example.org/a/b#c") == b"ex:a/b#c"
    assert compact(b"http://example.org#frag") == b"h:frag"
    assert compact(b"urn:x:y:z") == b"x:y:z"
    assert compact(b"http://example.org/") == b"http://example.org/"
    assert compact(b"http://example.org///x") == b"http://example.org///x"


def test_the_shortest_compact_iri_wins_as_in_json_ld_compaction() -> None:
    compact = jsonld.Compactor({"a": "http://example.org/", "longname": "http://example.org/ns/"})
    assert compact(b"http://example.org/ns/x") == b"a:ns/x"  # shorter than longname:x
    compact = jsonld.Compactor({"b": "http://example.org/", "a": "http://example.org/ns/"})
    assert compact(b"http://example.org/ns/x") == b"a:x"


def test_an_iri_that_would_read_as_a_compact_iri_is_refused() -> None:
    compact = jsonld.Compactor({"geo": "http://www.w3.org/2003/01/geo/wgs84_pos#"})
    with pytest.raises(InputError, match=r"geo:51\.3,6\.5"):
        compact(b"geo:51.3,6.5")
    assert compact(b"geo://host/x") == b"geo://host/x"  # an authority: not a compact IRI


def test_triple_terms_are_refused_with_a_clear_error() -> None:
    lines = [
        b'<http://example.org/s> <http://example.org/q> <<( <http://example.org/a> <http://example.org/b> "v" )>> .\n'
    ]
    with pytest.raises(InputError, match="triple term"):
        _write(lines, PREFIXES)
    typed = [lines[0].replace(b"<http://example.org/q>", b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>")]
    with pytest.raises(InputError, match="triple term"):
        _write(typed, PREFIXES)
    with pytest.raises(InputError, match="triple term"):
        _write([b'<<( <http://example.org/a> <http://example.org/b> "v" )>> <http://example.org/q> "x" .\n'], PREFIXES)


def test_an_empty_graph_is_an_empty_graph_array() -> None:
    assert json.loads(_write([], PREFIXES)) == {"@context": PREFIXES, "@graph": []}


def test_the_real_graph_matches_the_reference_byte_for_byte() -> None:
    pipeline = Pipeline.load()
    lines = export.sorted_lines(pipeline.engine)
    ctx = export.context()["@context"]
    expected = json.dumps(_reference(lines, ctx), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert export.jsonld(pipeline.engine).decode() == expected


@pytest.mark.parametrize("data", [MINI])
def test_jsonld_reads_back_as_the_same_graph(data: Path) -> None:
    engine = Pipeline.load(data).engine
    parsed = Graph().parse(data=export.jsonld(engine), format="json-ld")
    assert isomorphic(parsed, engine.to_graph())
