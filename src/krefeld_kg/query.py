"""Query stage: the catalogue of analyst queries in queries/, their parameters, and their results.

Each ``queries/*.rq`` starts with a header of ``# key: value`` lines::

    # title: Members of a cooperation at a date
    # description: ...
    # param: organisation iri — the cooperation (e.g. coop:krzn)
    # param: date xsd:date — the day to look at [default: 2026-01-01]

Parameter values are parsed into RDF terms and bound with initBindings: never pasted into the text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from . import store_cache
from .engine import Engine, OxigraphEngine, Table
from .errors import InputError
from .namespaces import DEFAULT_BASE, all_prefixes, curie, prefixes_longest_first, project_root
from .release_files import NTRIPLES

QUERIES_DIR = project_root() / "queries"
PARAM_TYPES = ("iri", "string", "xsd:date", "xsd:gYear", "xsd:integer")
FORMATS = ("table", "csv", "tsv", "json")

_PARAM = re.compile(r"^(\w+)\s+(\S+)\s*(?:[—-]+\s*(.*?))?\s*(?:\[default:\s*(.*?)\])?\s*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    default: str | None = None


@dataclass
class NamedQuery:
    name: str
    path: Path
    text: str
    title: str = ""
    description: str = ""
    params: list[Param] = field(default_factory=list)


def parse_header(name: str, path: Path, text: str) -> NamedQuery:
    query = NamedQuery(name, path, text)
    key = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.startswith("#"):
            break
        line = raw[1:].strip()
        match = re.match(r"^(title|description|param):\s*(.*)$", line)
        if match:
            key, value = match.groups()
            if key == "title":
                query.title = value
            elif key == "description":
                query.description = value
            else:
                parsed = _PARAM.match(value)
                if not parsed or parsed.group(2) not in PARAM_TYPES:
                    raise InputError(
                        f"bad parameter declaration (types: {', '.join(PARAM_TYPES)}): {value}", path, number
                    )
                pname, ptype, pdesc, pdefault = parsed.groups()
                query.params.append(Param(pname, ptype, pdesc or "", pdefault))
        elif key == "description" and line:
            query.description += " " + line
    return query


def catalogue(queries_dir: Path = QUERIES_DIR) -> list[NamedQuery]:
    """Every query of the catalogue, by name (the file name without ``.rq``)."""
    return [parse_header(p.stem, p, p.read_text(encoding="utf-8")) for p in sorted(queries_dir.glob("*.rq"))]


def resolve(name_or_file: str, queries_dir: Path = QUERIES_DIR) -> NamedQuery:
    path = Path(name_or_file)
    if path.suffix == ".rq" and path.is_file():
        return parse_header(path.stem, path, path.read_text(encoding="utf-8"))
    candidate = queries_dir / f"{name_or_file}.rq"
    if candidate.is_file():
        return parse_header(name_or_file, candidate, candidate.read_text(encoding="utf-8"))
    known = ", ".join(q.name for q in catalogue(queries_dir))
    raise InputError(f"no query named {name_or_file!r} and no such .rq file; known queries: {known}")


_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


def parse_value(param: Param, value: str, base: str = DEFAULT_BASE) -> Node:
    """The RDF term for a parameter value; IRIs may be written with our prefixes (``place:krefeld``)."""
    if param.type == "iri":
        prefix, sep, local = value.partition(":")
        prefixes = all_prefixes(base)
        if sep and prefix in prefixes and not local.startswith("//"):
            value = prefixes[prefix] + local
        if not _IRI.match(value):
            raise InputError(f"parameter {param.name}: not an http(s) IRI or known prefixed name: {value!r}")
        return URIRef(value)
    if param.type == "string":
        return Literal(value)
    patterns = {"xsd:date": r"^\d{4}-\d{2}-\d{2}$", "xsd:gYear": r"^\d{4}$", "xsd:integer": r"^-?\d+$"}
    # Checked before an rdflib Literal exists: rdflib logs a traceback for ill-typed lexical forms.
    valid = re.match(patterns[param.type], value) is not None
    if valid and param.type == "xsd:date":
        try:
            date.fromisoformat(value)
        except ValueError:
            valid = False
    if not valid:
        raise InputError(f"parameter {param.name}: {value!r} is not a valid {param.type}")
    datatype = {"xsd:date": XSD.date, "xsd:gYear": XSD.gYear, "xsd:integer": XSD.integer}[param.type]
    return Literal(value, datatype=datatype)


def bindings(query: NamedQuery, given: dict[str, str], base: str = DEFAULT_BASE) -> dict[str, Node]:
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise InputError(f"query {query.name} has no parameter {', '.join(unknown)} (parameters: {names})")
    bound: dict[str, Node] = {}
    for param in query.params:
        value = given.get(param.name, param.default)
        if value is None:
            raise InputError(f"query {query.name} needs --param {param.name}=… ({param.type}: {param.description})")
        bound[param.name] = parse_value(param, value, base)
    return bound


def run(engine: Engine, query: NamedQuery, given: dict[str, str] | None = None, base: str = DEFAULT_BASE) -> Table:
    """Run a catalogue query with its parameters bound (parameters must be projected variables: the
    engines bind them as SEP-0007 substitutions, so results also show what they were computed for)."""
    bound = bindings(query, given or {}, base)
    try:
        return engine.select(query.text, bound)
    except InputError as exc:
        raise InputError(f"query {query.name}: {exc.message}", query.path) from None


def _compact(term: Node | None, prefixes: list[tuple[str, str]]) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return curie(str(term), prefixes) or str(term)
    return str(term)


def _json_term(term: Node) -> dict[str, Any]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, Literal):
        out: dict[str, Any] = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "bnode", "value": str(term)}


def render(table: Table, fmt: str, base: str = DEFAULT_BASE) -> str:
    """Results as an aligned table, SPARQL 1.1 CSV / TSV, or SPARQL 1.1 JSON results."""
    if fmt == "json":
        bindings_ = [
            {v: _json_term(t) for v, t in zip(table.variables, row, strict=True) if t is not None} for row in table.rows
        ]
        return (
            json.dumps(
                {"head": {"vars": table.variables}, "results": {"bindings": bindings_}}, ensure_ascii=False, indent=2
            )
            + "\n"
        )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(table.variables)
        writer.writerows([["" if t is None else str(t) for t in row] for row in table.rows])
        return buffer.getvalue()
    if fmt == "tsv":
        lines = ["\t".join("?" + v for v in table.variables)]
        lines += ["\t".join("" if t is None else t.n3() for t in row) for row in table.rows]
        return "\n".join(lines) + "\n"
    if fmt == "table":
        prefixes = prefixes_longest_first(base)
        cells = [[_compact(t, prefixes) for t in row] for row in table.rows]
        widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(table.variables)]
        head = "  ".join(v.ljust(w) for v, w in zip(table.variables, widths, strict=True)).rstrip()
        rule = "  ".join("-" * w for w in widths)
        body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
        return "\n".join([head, rule, *body, f"({len(cells)} row{'s' if len(cells) != 1 else ''})"]) + "\n"
    raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def load_release(release_dir: Path, cache_dir: Path | None = None) -> OxigraphEngine:
    """An embedded engine holding the published graph of a built release (its N-Triples dump): parsed into
    memory, or, for a large dump with a ``cache_dir``, a store kept there (see krefeld_kg.store_cache)."""
    dump = release_dir / NTRIPLES
    if not dump.is_file():
        raise InputError("no built release here: run `krefeld-kg build` first", release_dir)
    if cache_dir is not None and dump.stat().st_size >= store_cache.MIN_BYTES:
        try:
            return OxigraphEngine(store_cache.cached_store(dump, cache_dir))
        except InputError as exc:
            # A full disk or a read-only cache must not stop the query: it only costs the parse.
            warnings.warn(f"not using the store cache: {exc}", stacklevel=2)
    return OxigraphEngine.from_file(dump)
