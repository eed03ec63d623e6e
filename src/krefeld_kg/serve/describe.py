"""The RDF description of one resource: what a linked-data client gets when it dereferences the IRI.

It is the resource's concise bounded description, with the fragment nodes that belong to it
(``{iri}#interval``, ``#start``, ``#end``: the published graph has no blank nodes, so the fragments play
their part), plus the incoming links (a twinning is then visible from both cities) and the labels of
every resource and vocabulary term it links to, so the document can be shown without further requests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.namespace import RDF

from .backend import Backend
from .index import GraphIndex
from .rdf import value_of

_TYPE = str(RDF.type)


@dataclass
class Description:
    iri: str
    outgoing: list[ox.Triple]  # subject: the resource or one of its fragments
    incoming: list[ox.Triple]  # object: the resource
    labels: list[ox.Triple]  # rdfs:label of what it links to

    def triples(self) -> list[ox.Triple]:
        """Every triple once, in a stable order (the same release gives the same bytes, for ETags)."""
        unique = dict.fromkeys(self.outgoing + self.incoming + self.labels)
        fragments = self.iri + "#"

        def order(t: ox.Triple) -> tuple[int, str, str, str, str]:
            # The resource first, its fragments next, then the rest: easy to read as Turtle.
            subject, target = value_of(t.subject), t.object
            rank = 0 if subject == self.iri else 1 if subject.startswith(fragments) else 2
            tag = (target.language or target.datatype.value) if isinstance(target, ox.Literal) else ""
            return rank, subject, t.predicate.value, value_of(target), tag or ""

        return sorted(unique, key=order)

    def fragment(self, iri: str) -> bool:
        return iri.startswith(self.iri + "#")


def describe(backend: Backend, index: GraphIndex, iri: str) -> Description | None:
    """The description of ``iri``, or None if the release knows no such resource."""
    if not index.exists(iri):
        return None
    outgoing: list[ox.Triple] = []
    seen = {iri}
    pending = [iri]
    while pending:
        batch = backend.outgoing(pending)
        pending = []
        for triple in batch:
            outgoing.append(triple)
            target = triple.object
            if isinstance(target, ox.NamedNode) and target.value.startswith(iri + "#") and target.value not in seen:
                seen.add(target.value)
                pending.append(target.value)
    incoming = [t for t in backend.incoming(iri) if value_of(t.subject) not in seen]
    linked: dict[str, None] = {}
    for triple in outgoing:
        if isinstance(triple.object, ox.NamedNode) and value_of(triple.object) not in seen:
            linked[value_of(triple.object)] = None
    for triple in incoming:
        linked[value_of(triple.subject)] = None
    labels = [t for target in linked for t in index.label_triples(target)]
    return Description(iri, outgoing, incoming, labels)
