"""The SPARQL engine behind every query the toolkit runs, chosen by measurement.

rdflib stays the modelling API, but its SPARQL engine is 10–50× slower than pyoxigraph on the same queries
(bench/RESULTS.md), so queries run on an embedded pyoxigraph store. Results come back as rdflib terms.
The one small interface (``Engine``) lets a remote store stand in for the embedded one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import InputError

Triple = tuple[Node, Node, Node]


@dataclass
class Table:
    """SELECT results: variable names and rows of RDF terms (None where unbound)."""

    variables: list[str]
    rows: list[list[Node | None]]


class QueryError(InputError):
    """A query that does not parse or cannot be evaluated."""


class Engine(Protocol):
    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Table: ...

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool: ...

    def construct(self, query: str, bindings: dict[str, Node] | None = None) -> list[Triple]: ...


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to an RDF term")


def from_ox(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported term {term!r}")


class OxigraphEngine:
    """An in-memory pyoxigraph store holding one graph (the default graph)."""

    def __init__(self, store: ox.Store | None = None) -> None:
        self.store = store if store is not None else ox.Store()

    @classmethod
    def from_graph(cls, *graphs: Graph) -> OxigraphEngine:
        engine = cls()
        for graph in graphs:
            engine.add(graph)
        return engine

    @classmethod
    def from_file(cls, path: Path, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> OxigraphEngine:
        engine = cls()
        try:
            engine.store.bulk_load(path=str(path), format=fmt)
        except (SyntaxError, OSError) as exc:
            raise InputError(f"cannot load: {exc}", path) from None
        return engine

    def load_file(self, path: Path, base: str | None = None, fmt: ox.RdfFormat = ox.RdfFormat.TURTLE) -> None:
        """Parse one file into the default graph; a syntax error becomes InputError with line and column."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", path) from None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot read file: not UTF-8 ({exc.reason} at byte {exc.start})", path) from None
        try:
            self.store.load(data, format=fmt, base_iri=base, to_graph=ox.DefaultGraph())
        except SyntaxError as exc:
            message = re.sub(r"^Parser error (at|between) [^:]*: ", "", str(exc))
            message = re.sub(r" \(line \d+\)$", "", message)
            raise InputError(f"syntax error: {message}", path, exc.lineno, exc.offset) from None

    def to_graph(self) -> Graph:
        """The default graph as an rdflib Graph (term by term, so blank nodes keep their identity)."""
        graph = Graph(bind_namespaces="none")
        for quad in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
        return graph

    def ntriples(self) -> bytes:
        """The default graph as canonical N-Triples, in the store's order."""
        out = self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        return out or b""

    def add(self, triples: Iterable[Triple]) -> None:
        # Term by term rather than through N-Triples text: a parser would relabel blank nodes, and derived
        # triples must attach to the very nodes they were derived from.
        self.store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.store)

    def _run(self, query: str, bindings: dict[str, Node] | None) -> object:
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): to_ox(v) for k, v in (bindings or {}).items()
        }
        try:
            return self.store.query(query, substitutions=substitutions or None)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from None
        except (OSError, ValueError, TypeError) as exc:
            raise QueryError(f"SPARQL evaluation failed: {exc}") from None

    def select(self, query: str, bindings: dict[str, Node] | None = None) -> Table:
        result = self._run(query, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        variables = [v.value for v in result.variables]
        rows: list[list[Node | None]] = []
        for solution in result:
            rows.append([None if solution[v] is None else from_ox(solution[v]) for v in variables])
        return Table(variables, rows)

    def ask(self, query: str, bindings: dict[str, Node] | None = None) -> bool:
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: dict[str, Node] | None = None) -> list[Triple]:
        result = self._run(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        return list(_triples(result))


def _triples(result: Iterable[ox.Triple]) -> Iterator[Triple]:
    for t in result:
        yield from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)
