"""SHACL property paths (SHACL §2.3.1) as SPARQL graph patterns, with pySHACL's reading of them.

``parse_path`` turns the ``sh:path`` value of a shape into a small tree; ``path_pattern`` writes the graph
pattern that binds every value node of a focus node. Two places where a plain SPARQL property path would not
give pySHACL's value nodes:

* ``sh:inversePath`` of a sequence: pySHACL inverts each step but keeps their order (``^(a/b)`` is read as
  ``^a/^b``, where SPARQL reads ``^b/^a``); the inversion is pushed down to the steps the same way here.
* zero-length paths (``sh:zeroOrMorePath``, ``sh:zeroOrOnePath``): pySHACL always counts the focus node itself
  among the values, while pyoxigraph matches zero-length paths only from terms that occur in the store (a
  ``sh:targetNode`` need not). Such paths are written as a UNION with ``BIND(?focus AS ?value)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .errors import InputError


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
_MAX_DEPTH = 10  # pySHACL's limit on nested path nodes


def parse_path(shapes: Graph, node: Node, inverse: bool = False, depth: int = 0) -> Path:
    """The path that ``node`` (a ``sh:path`` value) describes, in the order pySHACL tests its forms."""
    if isinstance(node, URIRef):
        return Step(node, inverse)
    if not isinstance(node, BNode):
        raise InputError(f"a property path must be an IRI or a blank node, not {node!r}")
    if depth >= _MAX_DEPTH:
        raise InputError("a property path is nested too deeply")
    first = shapes.value(node, RDF.first)
    if first is not None:
        rest = shapes.value(node, RDF.rest)
        if rest is None or rest == RDF.nil:
            if depth == 0:
                raise InputError("a sequence path needs at least two members")
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
            raise InputError("an alternative path needs at least two members")
        return Alternative(items)
    for predicate, kind in _REPEATS:
        inner = shapes.value(node, predicate)
        if inner is not None:
            return Repeat(parse_path(shapes, inner, inverse, depth + 1), kind)
    raise InputError(f"{node} is not a SHACL property path")


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


def path_pattern(path: Path, source: str, subject: str, obj: str, fresh: Callable[[], str]) -> str:
    """A group graph pattern binding ``obj`` to every value of ``subject`` along ``path``.

    ``source`` is the pattern that binds ``subject`` (empty inside EXISTS, where the outer solution binds
    it); it is repeated in each branch that a zero-length step needs. ``fresh`` gives unused variables.
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


def sparql_term(term: Node) -> str | None:
    """An IRI or literal of the shapes graph written as a SPARQL term; None for a blank node, which no term
    of the data graph equals."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    return None
