"""The SPARQL pieces of ``shacl_core``, each as pySHACL reads the SHACL it stands for.

* Property paths (SHACL §2.3.1) as graph patterns: ``parse_path``, ``path_pattern``. Two places where a plain
  SPARQL property path would not give pySHACL's value nodes: the inverse of a sequence, where pySHACL inverts
  each step but keeps their order (``^(a/b)`` read as ``^a/^b``; SPARQL reads ``^b/^a``), and zero-length paths,
  where pySHACL always counts the focus node among the values while pyoxigraph matches a zero-length path only
  from a term that occurs in the store (a ``sh:targetNode`` need not): those are written as a UNION with
  ``BIND(?focus AS ?value)``.
* Tests of one value node as SPARQL expressions (templates over the variable ``V``): ``class_test``,
  ``node_kind_test``, ``length_test``, ``language_test``, ``in_test``, and the logical combinations.
* pySHACL's literal semantics where SPARQL's differ, for custom functions that call back into Python:
  ``datatype_ok`` (rdflib's ``ill_typed`` and pySHACL's value types), ``in_range`` (pySHACL's
  ``compare_literal``), ``less_than`` (sh:lessThan / sh:lessThanOrEquals).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from .engine import from_ox


class Unsupported(Exception):
    """A construct ``shacl_core`` does not compile; the shapes that use it are left to pySHACL."""


class ShapeError(Unsupported):
    """A malformed shape. pySHACL finds such faults only when it evaluates the shape, and reports them its own
    way; so the shape is left to pySHACL."""


_XSD_STRING = str(XSD.string)
V = "?__v"  # the variable of a value-node test: replaced by the variable the test is applied to
TYPE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"

# ---------------------------------------------------------------------------------------------------
# Property paths


@dataclass(frozen=True)
class Step:
    """One predicate, followed forwards or (``inverse``) backwards."""

    predicate: URIRef
    inverse: bool = False


@dataclass(frozen=True)
class Sequence:
    items: tuple[Path, ...]


@dataclass(frozen=True)
class Alternative:
    items: tuple[Path, ...]


@dataclass(frozen=True)
class Repeat:
    item: Path
    kind: str  # "*" zero or more, "+" one or more, "?" zero or one


Path = Step | Sequence | Alternative | Repeat

_REPEATS = ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?"))


def parse_path(shapes: Graph, node: Node, inverse: bool = False, depth: int = 0) -> Path:
    """The path that ``node`` (a ``sh:path`` value) describes, its forms tested in pySHACL's order."""
    if isinstance(node, URIRef):
        return Step(node, inverse)
    if not isinstance(node, BNode):
        raise ShapeError(f"a property path must be an IRI or a blank node, not {node!r}")
    if depth >= 10:  # pySHACL's limit
        raise ShapeError("a property path is nested too deeply")
    first = shapes.value(node, RDF.first)
    if first is not None:
        rest = shapes.value(node, RDF.rest)
        if rest is None or rest == RDF.nil:
            if depth == 0:
                raise ShapeError("a sequence path needs at least two members")
            return parse_path(shapes, first, inverse, depth + 1)
        head = parse_path(shapes, first, inverse, depth + 1)
        tail = parse_path(shapes, rest, inverse, depth + 1)
        return Sequence((head, *(tail.items if isinstance(tail, Sequence) else (tail,))))
    inverted = shapes.value(node, SH.inversePath)
    if inverted is not None:
        return parse_path(shapes, inverted, not inverse, depth + 1)
    alternatives = shapes.value(node, SH.alternativePath)
    if alternatives is not None:
        items = tuple(parse_path(shapes, item, inverse, depth + 1) for item in shapes.items(alternatives))
        if len(items) < 2:
            raise ShapeError("an alternative path needs at least two members")
        return Alternative(items)
    for predicate, kind in _REPEATS:
        inner = shapes.value(node, predicate)
        if inner is not None:
            return Repeat(parse_path(shapes, inner, inverse, depth + 1), kind)
    raise ShapeError(f"{node} is not a SHACL property path")


def path_text(path: Path) -> str:
    """The path as a SPARQL property path."""
    if isinstance(path, Step):
        return f"^<{path.predicate}>" if path.inverse else f"<{path.predicate}>"
    if isinstance(path, Sequence):
        return "(" + "/".join(path_text(p) for p in path.items) + ")"
    if isinstance(path, Alternative):
        return "(" + "|".join(path_text(p) for p in path.items) + ")"
    return f"({path_text(path.item)}){path.kind}"


def nullable(path: Path) -> bool:
    """Whether the path can have length zero (and so reach the focus node itself)."""
    if isinstance(path, Step):
        return False
    if isinstance(path, Sequence):
        return all(nullable(p) for p in path.items)
    if isinstance(path, Alternative):
        return any(nullable(p) for p in path.items)
    return path.kind != "+" or nullable(path.item)


def has_zero_length(path: Path) -> bool:
    """Whether a zero-length step occurs anywhere in the path."""
    if isinstance(path, Step):
        return False
    if isinstance(path, Sequence | Alternative):
        return any(has_zero_length(p) for p in path.items)
    return path.kind != "+" or has_zero_length(path.item)


def path_predicates(path: Path) -> set[URIRef]:
    if isinstance(path, Step):
        return {path.predicate}
    if isinstance(path, Repeat):
        return path_predicates(path.item)
    return set().union(*(path_predicates(p) for p in path.items))


def path_pattern(path: Path, source: str, subject: str, obj: str, fresh: Callable[[], str]) -> str:
    """A group graph pattern binding ``obj`` to every value of ``subject`` along ``path``.

    ``source`` is the pattern that binds ``subject`` (empty where the solution around binds it: in EXISTS,
    MINUS's partner, OPTIONAL); it is repeated in each branch that a zero-length step needs. ``fresh`` gives
    unused variables.
    """
    if not has_zero_length(path):
        return f"{source} {subject} {path_text(path)} {obj} ."
    if isinstance(path, Sequence):
        current_source, current = source, subject
        for item in path.items[:-1]:
            middle = fresh()
            current_source = path_pattern(item, current_source, current, middle, fresh)
            current = middle
        return path_pattern(path.items[-1], current_source, current, obj, fresh)
    if isinstance(path, Alternative):
        return " UNION ".join("{ " + path_pattern(p, source, subject, obj, fresh) + " }" for p in path.items)
    assert isinstance(path, Repeat)
    itself = f"{{ {source} BIND({subject} AS {obj}) }}"
    if path.kind == "?":
        return f"{{ {path_pattern(path.item, source, subject, obj, fresh)} }} UNION {itself}"
    steps = f"{source} {subject} ({path_text(path.item)})+ {obj} ."
    if path.kind == "+" and not nullable(path.item):
        return steps
    return f"{{ {steps} }} UNION {itself}"  # p* and (nullable p)+ alike: the focus node and every p+ value


# ---------------------------------------------------------------------------------------------------
# Tests of one value node: SPARQL expressions over V, true where the node passes


def sparql_term(term: Node) -> str | None:
    """An IRI or literal of the shapes graph as a SPARQL term; None for a blank node, which pySHACL compares
    with the terms of the (other) data graph and so never finds equal."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    return None


def any_of(tests: Iterable[str]) -> str:
    parts = list(tests)
    return "(" + " || ".join(parts) + ")" if parts else "false"


def all_of(tests: Iterable[str]) -> str:
    """All tests pass; a test that raises a SPARQL error counts as failed."""
    parts = [f"COALESCE({t}, false)" for t in tests]
    return "(" + " && ".join(parts) + ")" if parts else "true"


def exactly_one(tests: Iterable[str]) -> str:
    parts = [f"IF(COALESCE({t}, false), 1, 0)" for t in tests]
    return f"(({' + '.join(parts)}) = 1)" if parts else "true"


def class_test(cls: Node) -> str:
    """SHACL instance of ``cls`` in the data graph (a literal never is)."""
    term = sparql_term(cls)
    return f"EXISTS {{ {V} {TYPE_OF} {term} }}" if term is not None else "false"


def tested_class(test: str) -> str | None:
    """The class IRI (a SPARQL term) that ``test``, if it is a ``class_test``, asks for."""
    prefix, suffix = f"EXISTS {{ {V} {TYPE_OF} <", "> }"
    inner = test[len(prefix) : -len(suffix)]
    if test.startswith(prefix) and test.endswith(suffix) and "<" not in inner and ">" not in inner:
        return f"<{inner}>"
    return None


_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI(?__v)", SH.BlankNode: "isBlank(?__v)", SH.Literal: "isLiteral(?__v)",
    SH.BlankNodeOrIRI: "!isLiteral(?__v)", SH.BlankNodeOrLiteral: "!isIRI(?__v)", SH.IRIOrLiteral: "!isBlank(?__v)",
}  # fmt: skip


def node_kind_test(kind: Node) -> str:
    return _NODE_KINDS.get(kind, "false")


def length_test(length: int, op: str) -> str:
    """sh:minLength (``op`` ">=") or sh:maxLength ("<="): blank nodes fail, except a minimum of 0."""
    if op == ">=" and length == 0:
        return "true"
    return f"(!isBlank({V}) && STRLEN(STR({V})) {op} {length})"


def language_test(items: Iterable[Node]) -> str:
    """pySHACL's sh:languageIn: the whole tag or its first subtag among the (lower-cased) ranges."""
    wanted = set()
    for item in items:
        if not isinstance(item, Literal) or not isinstance(item.value, str):
            raise ShapeError("the members of sh:languageIn must be strings")
        wanted.add(item.value.lower())
    tagged = f'isLiteral({V}) && LANG({V}) != ""'
    if "*" in wanted:
        return f"({tagged})"
    if not wanted:
        return "false"
    choices = ", ".join(Literal(w).n3() for w in sorted(wanted))
    first_subtag = f'LCASE(STRBEFORE(CONCAT(LANG({V}), "-"), "-"))'
    return f"({tagged} && (LCASE(LANG({V})) IN ({choices}) || {first_subtag} IN ({choices})))"


def in_test(members: Iterable[Node]) -> str:
    """sh:in by term equality (``sameTerm``, not SPARQL's ``=``, which would take 1 and 1.0 as equal)."""
    return any_of(f"sameTerm({V}, {t})" for t in map(sparql_term, members) if t is not None)


def datatype_expression(datatype: Node) -> tuple[str, bool]:
    """The SPARQL part of pySHACL's sh:datatype test, and whether ``datatype_ok`` must also pass."""
    if datatype == RDFS.Literal:
        return f"isLiteral({V})", False
    if (
        datatype == RDFS.Datatype
    ):  # pySHACL: any literal with a datatype; rdflib's "a" has none, but "a"^^xsd:string has
        return f'(isLiteral({V}) && LANG({V}) = "" && DATATYPE({V}) != <{XSD.string}>)', False
    if datatype == RDF.langString:
        return f'(isLiteral({V}) && LANG({V}) != "")', False
    if not isinstance(datatype, URIRef):
        return "false", False
    return f"(isLiteral({V}) && DATATYPE({V}) = <{datatype}>)", datatype in CHECKED_DATATYPES


# ---------------------------------------------------------------------------------------------------
# pySHACL's literal semantics, in Python

_VALUE_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
    XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
}  # fmt: skip


def _checked_datatypes() -> frozenset[Node]:
    """The datatypes of which pySHACL can find a literal ill-typed: those rdflib converts to Python values or
    checks for well-formedness, and those whose value type pySHACL checks (strings never fail)."""
    from rdflib import term

    mapping: dict[object, object] = getattr(term, "_toPythonMapping", term.XSDToPython)
    checked = {URIRef(str(k)) for k, v in mapping.items() if k is not None and v is not None}
    checked |= set(getattr(term, "_check_well_formed_types", {}))
    return frozenset(checked | set(_VALUE_TYPES)) - {XSD.string, RDF.langString}


CHECKED_DATATYPES = _checked_datatypes()


_RDFLIB_TERM_LOG = logging.getLogger("rdflib.term")


@contextmanager
def quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback (or warns) for every ill-typed literal it converts; here that is expected.
    (``disabled`` rather than a level: setting a level clears every logger's cache, each time.)"""
    disabled = _RDFLIB_TERM_LOG.disabled
    _RDFLIB_TERM_LOG.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Parsing weird boolean"
            yield
    finally:
        _RDFLIB_TERM_LOG.disabled = disabled


def to_rdflib(term: object) -> Node:
    """A pyoxigraph term as rdflib term (``engine.from_ox``); quietly, where rdflib parses a lexical form."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal) and (term.language or term.datatype.value == _XSD_STRING):
        return from_ox(term)
    with quiet_rdflib():
        return from_ox(term)


def datatype_ok(term: object, datatype: URIRef) -> bool:
    """pySHACL's test of a literal whose datatype IRI is ``datatype``: not ill-typed, and for the datatypes it
    knows, a Python value of the right type."""
    if not isinstance(term, ox.Literal):
        return False
    with quiet_rdflib():
        literal = Literal(term.value, datatype=datatype)
    if literal.ill_typed is True:
        return False
    expected = _VALUE_TYPES.get(datatype)
    return expected is None or isinstance(literal.value, expected)


def _compare(l1: Literal, l2: Literal) -> int:
    """pySHACL's ``compare_literal``."""
    if l1.eq(l2):
        return 0
    if l1.value.__class__ in (datetime, time):
        if l1.value == l2.value:
            return 0
        if l1.value > l2.value:
            return 1
    elif l1 > l2:
        return 1
    return -1


RANGES: dict[URIRef, tuple[URIRef, Callable[[int], bool]]] = {
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, lambda c: c > 0),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, lambda c: c >= 0),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, lambda c: c < 0),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, lambda c: c <= 0),
}


def in_range(term: object, bound: Literal, accept: Callable[[int], bool]) -> bool:
    """pySHACL's sh:min/maxIn/Exclusive test: only literals, never a string against a non-string."""
    value = to_rdflib(term)
    if not isinstance(value, Literal) or isinstance(value.value, str) != isinstance(bound.value, str):
        return False
    try:
        with quiet_rdflib():
            return accept(_compare(value, bound))
    except (TypeError, NotImplementedError):
        return False


def less_than(value: Node, other: Node, or_equal: bool) -> bool:
    """pySHACL's sh:lessThan / sh:lessThanOrEquals test of one pair of nodes: IRIs and string literals compare
    as Python strings, other literals as rdflib literals, a string never with a non-string."""
    if isinstance(value, BNode) or isinstance(other, BNode):
        raise ShapeError("sh:lessThan and sh:lessThanOrEquals cannot compare blank nodes")
    (a, a_is_string), (b, b_is_string) = _comparable(value), _comparable(other)
    if a_is_string != b_is_string:
        return False
    try:
        with quiet_rdflib():
            return bool(a <= b if or_equal else a < b)  # type: ignore[operator]
    except TypeError:
        return False


def _comparable(node: Node) -> tuple[object, bool]:
    if isinstance(node, URIRef):
        return str(node), True
    if isinstance(node, Literal) and isinstance(node.value, str):
        return node.value, True
    return node, False
