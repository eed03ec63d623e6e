"""SELECT and ASK results as SPARQL 1.1 JSON, XML, CSV and TSV, written from pyoxigraph terms.

pyoxigraph can serialise a result set itself, but only all of it: the row limit needs the rows one by one,
so the four formats are written here for results over the limit (and for XML, CSV and TSV); SPARQL JSON
within the limit, the common case of lookups, is pyoxigraph's own (``worker._native_json``). Runs inside the
query workers, so it imports pyoxigraph and nothing heavier.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from .formats import CSV, SPARQL_JSON, SPARQL_XML, TSV

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RESULTS_XMLNS = "http://www.w3.org/2005/sparql-results#"  # the results format's XML namespace, not a vocabulary
# XML 1.0 cannot carry most control characters at all, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_solutions(variables: Sequence[str], rows: Sequence[Row], media_type: str) -> bytes:
    if media_type == SPARQL_JSON:
        bindings = [{v: _json(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows]
        doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if media_type == SPARQL_XML:
        out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="{_RESULTS_XMLNS}">\n<head>']
        out += [f"<variable name={quoteattr(v)}/>" for v in variables]
        out.append("</head>\n<results>\n")
        for row in rows:
            out.append("<result>")
            out += [
                f"<binding name={quoteattr(v)}>{_xml(t)}</binding>"
                for v, t in zip(variables, row, strict=True)
                if t is not None
            ]
            out.append("</result>\n")
        out.append("</results>\n</sparql>\n")
        return "".join(out).encode("utf-8")
    if media_type == CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        writer.writerows([_csv(t) for t in row] for row in rows)
        return buffer.getvalue().encode("utf-8")
    if media_type == TSV:
        lines = ["\t".join("?" + v for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"not a SPARQL results media type: {media_type}")


def write_boolean(value: bool, media_type: str) -> bytes:
    text = "true" if value else "false"
    if media_type == SPARQL_JSON:
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if media_type == SPARQL_XML:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="{_RESULTS_XMLNS}">\n'
            f"<head/>\n<boolean>{text}</boolean>\n</sparql>\n"
        ).encode()
    if media_type in (CSV, TSV):
        return text.encode("ascii")  # the specs define no boolean form; this is what Oxigraph writes
    raise ValueError(f"not a SPARQL results media type: {media_type}")


def _json(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {"subject": _json(term.subject), "predicate": _json(term.predicate), "object": _json(term.object)},
    }


def _text(value: str) -> str:
    # Line breaks, tabs and outer spaces as character references: trimming XML parsers keep those.
    text = escape(_NOT_XML.sub("\ufffd", value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    stripped = text.strip(" ")
    if not stripped:
        return "&#32;" * len(text)
    if stripped != text:
        start = len(text) - len(text.lstrip(" "))
        end = len(text) - len(text.rstrip(" "))
        text = "&#32;" * start + stripped + "&#32;" * end
    return text


def _xml(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{_text(term.value)}</literal>"
        if term.datatype.value != _XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{_text(term.value)}</literal>"
        return f"<literal>{_text(term.value)}</literal>"
    parts = (("subject", term.subject), ("predicate", term.predicate), ("object", term.object))
    return "<triple>" + "".join(f"<{n}>{_xml(t)}</{n}>" for n, t in parts) + "</triple>"


def _csv(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)
