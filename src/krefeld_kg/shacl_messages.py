"""pySHACL's default result messages, for the results ``shacl_core`` reports itself.

Split out of ``shacl_core`` to keep modules small: ``Messages`` writes the text pySHACL gives a result of a
shape without sh:message (its ``make_generic_messages`` and ``stringify_node``), so that ``validate_core``
matches pySHACL's reports word for word.
"""

from __future__ import annotations

from functools import partial

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SH, NamespaceManager
from rdflib.term import Node

from .shacl_shapes import Shape


class Messages:
    """pySHACL's default result messages (its ``make_generic_messages``) for shapes without sh:message, for the
    components whose message the shapes graph and the focus node make; nodes written as pySHACL's
    ``stringify_node`` writes them, with the prefixes of the shapes graph and of ``data`` (if given)."""

    def __init__(self, shapes: Graph, data: Graph | None) -> None:
        self.g = shapes
        self.data = data
        self.sg, self.dg = (_prefixes(g) for g in (shapes, data if data is not None else Graph()))

    def text(self, s: Shape, component: URIRef, focus: Node) -> str:
        if s.message is not None:
            return s.message
        shape_node = partial(self.node, self.g, self.sg)
        rules = list(self.g.objects(s.node, _PARAMETER_OF.get(component, SH.message)))
        one = shape_node(rules[0]) if rules else ""
        if component in (SH.MinCountConstraintComponent, SH.MaxCountConstraintComponent):
            assert s.path_node is not None and isinstance(rules[0], Literal)
            where = self.node(self.data, self.dg, focus) if self.data is not None else str(focus)
            more = "Less" if component == SH.MinCountConstraintComponent else "More"
            return f"{more} than {rules[0].value} values on {where}->{shape_node(s.path_node)}"
        if component in (SH.MinLengthConstraintComponent, SH.MaxLengthConstraintComponent):
            op = ">=" if component == SH.MinLengthConstraintComponent else "<="
            return f"String length not {op} {self.node(self.data or self.g, self.dg, rules[0])}"
        if component == SH.PatternConstraintComponent:
            if len(rules) == 1:
                return f"Value does not match pattern '{_value(rules[0])}'"
            return "Value does not match every pattern in ('{}')".format("', '".join(map(_value, rules)))
        if component in _RANGE_TEXTS:
            op = _RANGE_TEXTS[component]
            return (
                f"Value is not {op} {one}"
                if len(rules) == 1
                else f"Value is not {op} in ({', '.join(map(shape_node, rules))})"
            )
        if component == SH.ClassConstraintComponent and len(rules) > 1:
            return "Value class is not in classes ({})".format(", ".join(map(shape_node, rules)))
        if component == SH.NodeConstraintComponent and len(rules) > 1:
            every = "', '".join(map(shape_node, rules))
            return f"Value must conform to every Shape in ('{every}'). See details for more information."
        if component == SH.UniqueLangConstraintComponent:
            return "More than one String shares the same Language"
        if component in _TEXTS and len(rules) == 1:
            return _TEXTS[component].format(one)
        name = component.removeprefix(str(SH)).removesuffix("ConstraintComponent")
        return f"breaks sh:{name[:1].lower()}{name[1:]}"

    def node(self, g: Graph, ns: NamespaceManager, node: Node, depth: int = 0) -> str:
        """pySHACL's ``stringify_node``."""
        if isinstance(node, Literal):
            value = None if node.value is None else str(node.value)
            value = value.split(" object at 0x")[0] if value is not None and " object at 0x" in value[1:] else value
            text = f'"{node}" = {value}' if value is not None and value != str(node) else f'"{node}"'
            text += f", lang={node.language}" if node.language else ""
            text += f", datatype={self.node(g, ns, node.datatype)}" if node.datatype else ""
            return f"Literal({text})"
        if isinstance(node, BNode):
            return self.blank(g, ns, node, depth + 1)
        if isinstance(node, URIRef):
            return node.n3(namespace_manager=ns)
        return str(node)

    def blank(self, g: Graph, ns: NamespaceManager, node: BNode, depth: int) -> str:
        """pySHACL's ``stringify_blank_node``."""
        if depth >= 12:
            return "<http://recursion.too.deep>"
        predicates = set(g.predicates(node))
        if not predicates:
            return "[ ]"
        if RDF.first in predicates:
            return "( {} )".format(" ".join(self.node(g, ns, item, depth + 1) for item in g.items(node)))
        texts = {}
        for p in predicates:
            objects = [
                "<self>" if p == OWL.sameAs and o == node else self.node(g, ns, o, depth + 1)
                for o in g.objects(node, p)
            ]
            texts[p.n3(namespace_manager=ns)] = ", ".join(sorted(objects)) if len(objects) > 1 else objects[0]
        return "[ {} ]".format(" ; ".join(f"{p} {o}" for p, o in sorted(texts.items())))


def _prefixes(g: Graph) -> NamespaceManager:
    """A copy of the graph's prefixes with sh: added, as pySHACL adds it (to the graph itself)."""
    ns = NamespaceManager(Graph(bind_namespaces="none"), bind_namespaces="none")
    for prefix, namespace in g.namespaces():
        ns.bind(prefix, namespace, override=True, replace=True)
    ns.bind("sh", SH, override=False, replace=False)
    return ns


def _value(literal: Node) -> str:
    return str(literal.value) if isinstance(literal, Literal) else str(literal)


_PARAMETER_OF = {
    SH.ClassConstraintComponent: SH["class"], SH.DatatypeConstraintComponent: SH.datatype,
    SH.NodeKindConstraintComponent: SH.nodeKind, SH.MinCountConstraintComponent: SH.minCount,
    SH.MaxCountConstraintComponent: SH.maxCount, SH.MinLengthConstraintComponent: SH.minLength,
    SH.MaxLengthConstraintComponent: SH.maxLength, SH.PatternConstraintComponent: SH.pattern,
    SH.LanguageInConstraintComponent: SH.languageIn, SH.NodeConstraintComponent: SH.node,
    SH.MinExclusiveConstraintComponent: SH.minExclusive, SH.MinInclusiveConstraintComponent: SH.minInclusive,
    SH.MaxExclusiveConstraintComponent: SH.maxExclusive, SH.MaxInclusiveConstraintComponent: SH.maxInclusive,
}  # fmt: skip
_RANGE_TEXTS = {
    SH.MinExclusiveConstraintComponent: ">", SH.MinInclusiveConstraintComponent: ">=",
    SH.MaxExclusiveConstraintComponent: "<", SH.MaxInclusiveConstraintComponent: "<=",
}  # fmt: skip
_TEXTS = {
    SH.ClassConstraintComponent: "Value does not have class {}",
    SH.DatatypeConstraintComponent: "Value is not Literal with datatype {}",
    SH.NodeKindConstraintComponent: "Value is not of Node Kind {}",
    SH.LanguageInConstraintComponent: "String language is not in {}",
    SH.NodeConstraintComponent: "Value does not conform to Shape {}. See details for more information.",
}
