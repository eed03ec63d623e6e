"""JSON-LD writer: sorted canonical N-Triples lines to JSON-LD compacted with a prefix-only context.

The output is what ``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)`` gives for the document
a JSON-LD processor's compaction makes with such a context -- ``@id`` and ``@type`` compacted, one value as
itself and several as an array, plain strings for ``xsd:string`` literals, ``@graph`` sorted by ``@id`` -- but
written as text straight from the lines: building that document as Python objects and encoding it with
``json`` cost 25 s and 2.7 GB at a million triples. Two properties of canonical N-Triples make this safe:
the lines of one subject are adjacent once sorted, and a literal's quoted lexical form is already a JSON
string (canonical N-Triples escapes ``"``, ``\\`` and the control characters with escapes JSON shares).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import IO

from .errors import InputError

_RDF_TYPE_TERM = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
XSD_STRING = b"http://www.w3.org/2001/XMLSchema#string"
_INDENT = b"  "
_GEN_DELIMS = ":/?#[]@"


class Compactor:
    """IRIs to compact IRIs as JSON-LD 1.1 IRI compaction makes them with a prefix-only context: only terms whose
    IRI ends in a gen-delim character (``:/?#[]@``) serve as prefixes; of the compact IRIs they give (something
    must follow the prefix's IRI, and not ``//``), the shortest, then the lexicographically least, wins. An IRI
    left as it is whose scheme is one of the prefixes would read as a compact IRI: JSON-LD calls that "IRI
    confused with prefix", and so does ``compact``."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.by_namespace = {ns.encode(): p.encode() for p, ns in prefixes.items() if ns[-1:] and ns[-1] in _GEN_DELIMS}
        self.names = set(self.by_namespace.values())
        self.delimiters = sorted({ns[-1:] for ns in self.by_namespace})
        self.cuts = re.compile(b"[" + re.escape(b"".join(self.delimiters)) + b"]") if self.delimiters else None
        # Only where one namespace lies inside another can two prefixes fit one IRI and need comparing.
        self.nested = any(a != b and b.startswith(a) for a in self.by_namespace for b in self.by_namespace)
        self.cache: dict[bytes, bytes] = {}

    def compact(self, iri: bytes) -> bytes:
        best = self._longest(iri) if not self.nested else self._shortest(iri)
        if best:
            return best
        scheme, colon, rest = iri.partition(b":")
        if colon and scheme in self.names and not rest.startswith(b"//"):
            raise InputError(
                f"<{iri.decode()}> cannot be written in JSON-LD: it would read as a compact IRI with the "
                f"prefix {scheme.decode()!r} of the context"
            )
        return iri

    def _longest(self, iri: bytes) -> bytes:
        """With no namespace inside another, at most one matches: the first found cutting from the right."""
        end = len(iri) - 1  # something must follow the namespace
        while end > 0:
            cut = -1
            for delimiter in self.delimiters:
                cut = max(cut, iri.rfind(delimiter, 0, end))
            if cut < 0:
                return b""
            prefix = self.by_namespace.get(iri[: cut + 1])
            if prefix is not None and not iri.startswith(b"//", cut + 1):
                return prefix + b":" + iri[cut + 1 :]
            end = cut
        return b""

    def _shortest(self, iri: bytes) -> bytes:
        best = b""
        assert self.cuts is not None
        for match in self.cuts.finditer(iri, 0, len(iri) - 1):
            cut = match.end()
            prefix = self.by_namespace.get(iri[:cut])
            if prefix is not None and not iri.startswith(b"//", cut):
                candidate = prefix + b":" + iri[cut:]
                if not best or (len(candidate), candidate) < (len(best), best):
                    best = candidate
        return best

    def __call__(self, iri: bytes) -> bytes:
        """``iri`` (without angle brackets, or as an N-Triples term with them) compacted, and cached."""
        found = self.cache.get(iri)
        if found is None:
            found = self.cache[iri] = self.compact(iri[1:-1] if iri[:1] == b"<" else iri)
        return found


# An escape of canonical N-Triples (or N-Triples at all) that json.dumps writes otherwise: upper-case hex
# digits (json writes "\u001f"), DEL (json writes it as it is) and the 8-digit form JSON lacks.
_ESCAPE = re.compile(rb"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)


def _json_escape(match: re.Match[bytes]) -> bytes:
    escape = match.group(1)
    if escape[:1] == b"U" or escape == b"u007F" or escape == b"u007f":
        return json.dumps(chr(int(escape[1:], 16)), ensure_ascii=False)[1:-1].encode()
    if escape[:1] == b"u":
        return b"\\u" + escape[1:].lower()
    return match.group(0)


def _json_string(quoted: bytes) -> bytes:
    """A canonical N-Triples quoted string as the JSON string json.dumps(ensure_ascii=False) writes: the same
    text unless it holds a \\u or \\U escape."""
    if b"\\u" not in quoted and b"\\U" not in quoted:
        return quoted
    return _ESCAPE.sub(_json_escape, quoted)


def _value(term: bytes, compact: Compactor, indent: bytes) -> bytes:
    """One object term as the JSON value compaction gives, its inner lines indented one step past ``indent``."""
    first = term[:1]
    inner = indent + _INDENT
    if term[:2] == b"<<":
        raise InputError(f"JSON-LD cannot hold the RDF 1.2 triple term {term.decode()}")
    if first == b"<":
        return b'{\n%s"@id": "%s"\n%s}' % (inner, compact(term[1:-1]), indent)
    if first == b"_":
        return b'{\n%s"@id": "%s"\n%s}' % (inner, term, indent)
    close = term.rfind(b'"')
    lexical = _json_string(term[: close + 1])
    rest = term[close + 1 :]
    if not rest:
        return lexical
    if rest[:1] == b"@":
        language, _, direction = rest[1:].partition(b"--")
        if direction:  # RDF 1.2 base direction: JSON-LD 1.1's @direction
            return b'{\n%s"@direction": "%s",\n%s"@language": "%s",\n%s"@value": %s\n%s}' % (
                inner,
                direction,
                inner,
                language,
                inner,
                lexical,
                indent,
            )
        return b'{\n%s"@language": "%s",\n%s"@value": %s\n%s}' % (inner, rest[1:], inner, lexical, indent)
    datatype = rest[3:-1]  # ^^<...>
    if datatype == XSD_STRING:
        return lexical
    return b'{\n%s"@type": "%s",\n%s"@value": %s\n%s}' % (inner, compact(datatype), inner, lexical, indent)


_SINGLE = b" " * 6  # a property's value, inside a @graph member
_MANY = b" " * 8  # an element of a property's array


class _Renderer:
    """Object terms to JSON values, with the values of IRIs and typed literals (sources, places, dates: the
    same few thousand again and again) cached per indentation, and language-tagged strings per node (the
    derived skos:prefLabel repeats each rdfs:label)."""

    def __init__(self, compact: Compactor) -> None:
        self.compact = compact
        self.caches: dict[bytes, dict[bytes, bytes]] = {_SINGLE: {}, _MANY: {}}
        self.node_caches: dict[bytes, dict[bytes, bytes]] = {_SINGLE: {}, _MANY: {}}

    def next_node(self) -> None:
        for cache in self.node_caches.values():
            cache.clear()

    def __call__(self, term: bytes, indent: bytes) -> bytes:
        last = term[-1:]
        if last == b'"' and b"\\u" not in term and b"\\U" not in term:
            return term  # a plain string: its N-Triples form is its JSON form
        cache = self.caches[indent] if last == b">" else self.node_caches[indent]
        found = cache.get(term)
        if found is None:
            found = cache[term] = _value(term, self.compact, indent)
        return found


def _node(subject: bytes, props: dict[bytes, list[bytes]], types: list[bytes], render: _Renderer) -> bytes:
    """One ``@graph`` member at indentation 4, its keys sorted as ``json.dumps(sort_keys=True)`` sorts them.
    Keys and compact IRIs are unquoted here: IRIs hold no character JSON must escape."""
    render.next_node()
    entries: list[tuple[bytes, bytes]] = [(b"@id", b'      "@id": "%s"' % subject)]
    if types:
        if len(types) == 1:
            entries.append((b"@type", b'      "@type": "%s"' % types[0]))
        else:
            entries.append((b"@type", b'      "@type": [\n        "%s"\n      ]' % b'",\n        "'.join(types)))
    for key, terms in props.items():
        if len(terms) == 1:
            entries.append((key, b'      "%s": %s' % (key, render(terms[0], _SINGLE))))
        else:
            values = b",\n        ".join([render(t, _MANY) for t in terms])
            entries.append((key, b'      "%s": [\n        %s\n      ]' % (key, values)))
    entries.sort()
    return b"    {\n" + b",\n".join([text for _key, text in entries]) + b"\n    }"


def write(lines: Iterable[bytes], context: dict[str, object], output: IO[bytes]) -> None:
    """Write the JSON-LD document of ``lines`` (canonical N-Triples, sorted, each ending in a newline) with
    ``context`` (the ``@context`` object: prefixes only) to ``output``."""
    compact = Compactor({p: ns for p, ns in context.items() if isinstance(ns, str)})
    render = _Renderer(compact)
    nodes: list[tuple[bytes, bytes]] = []
    subject_term = b""
    subject_key = b""
    props: dict[bytes, list[bytes]] = {}
    types: list[bytes] = []
    cached = compact.cache.get  # a million calls: the bound method saves a third of the lookups' time
    subject_head = b"\0"  # "<subject> ": a line of the same subject starts with it
    for line in lines:
        if not line.startswith(subject_head):
            if subject_term:
                nodes.append((subject_key, _node(subject_key, props, types, render)))
            if line[:2] == b"<<":
                raise InputError(f"JSON-LD cannot hold the RDF 1.2 triple term subject of: {line.decode().rstrip()}")
            subject_term = line[: line.index(b" ")]
            subject_head = subject_term + b" "
            props, types = {}, []
            subject_key = compact(subject_term[1:-1]) if subject_term[:1] == b"<" else subject_term
        # Only the predicate and the object are cut out of the line: the subject is known.
        start = len(subject_head)
        cut = line.index(b" ", start)
        predicate = line[start:cut]
        term = line[cut + 1 : -3]  # " .\n"
        if predicate == _RDF_TYPE_TERM and term[:1] == b"<" and term[:2] != b"<<":
            iri = term[1:-1]
            types.append(cached(iri) or compact(iri))
            continue
        key = cached(predicate) or compact(predicate)
        values = props.get(key)
        if values is None:
            props[key] = values = []
        values.append(term)
    if subject_term:
        nodes.append((subject_key, _node(subject_key, props, types, render)))
    nodes.sort()
    header = json.dumps({"@context": context}, ensure_ascii=False, indent=2, sort_keys=True)
    output.write(header[: header.rindex("}")].rstrip().encode() + b',\n  "@graph": ')
    if not nodes:
        output.write(b"[]\n}\n")
        return
    output.write(b"[\n")
    for start in range(0, len(nodes), 4096):
        if start:
            output.write(b",\n")
        output.write(b",\n".join([text for _key, text in nodes[start : start + 4096]]))
    output.write(b"\n  ]\n}\n")
