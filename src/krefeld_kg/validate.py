"""Validate stage: SHACL shapes (pySHACL, the reference validator) plus the SPARQL violation checks in
queries/checks/*-violation.rq, each of which must return no rows. One entry point: ``validate()``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .engine import OxigraphEngine
from .errors import InputError
from .load import SHAPES_FILE, SourceIndex
from .namespaces import DEFAULT_BASE, prefixes_longest_first, project_root
from .shacl_core import core_violations, read_report, validate_core
from .sparql_constraints import SparqlConstraint, evaluate, split

CHECKS_DIR = project_root() / "queries" / "checks"
CHECK = Namespace("https://w3id.org/krefeld-kg/checks/")
RESULT = Namespace("https://w3id.org/krefeld-kg/validation-result/")


@dataclass(frozen=True)
class Violation:
    """One result: what is wrong, where in the graph, and where in data/ the resource is written."""

    focus: str
    message: str
    path: str | None = None
    value: str | None = None
    severity: str = "Violation"
    component: str | None = None
    shape: str | None = None
    file: str | None = None
    line: int | None = None

    def sort_key(self) -> tuple[str, ...]:
        return (self.file or "~", f"{self.line or 0:08d}", self.focus, self.path or "", self.message, self.value or "")


@dataclass
class Report:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    checks_run: int = 0
    shapes_run: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "violations": [asdict(v) for v in self.violations]},
            ensure_ascii=False,
            indent=2,
            sort_keys=True,
        )

    def to_text(self, base: str = DEFAULT_BASE) -> str:
        if self.conforms:
            return f"conforms: {self.shapes_run} shapes and {self.checks_run} violation checks, no violations\n"
        prefixes = prefixes_longest_first(base)
        lines = [f"{len(self.violations)} violation(s):"]
        for v in self.violations:
            where = f"{v.file}:{v.line}: " if v.file else ""
            what = f" {_curie(v.path, prefixes)}" if v.path else ""
            value = ""
            if v.value is not None and v.value not in v.message:
                value = f" (value: {_curie(v.value, prefixes)})"
            message = _IRI_IN_TEXT.sub(lambda m: _curie(m.group(0), prefixes), v.message)
            lines.append(f"{where}{_curie(v.focus, prefixes)}{what}: {message}{value}")
        return "\n".join(lines) + "\n"

    def to_graph(self) -> Graph:
        """The report as a SHACL validation report; results get content-derived IRIs so the Turtle is
        byte-stable from run to run (blank-node labels are not)."""
        g = Graph(bind_namespaces="none")
        g.bind("sh", SH)
        report = RESULT["report"]
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for v in self.violations:
            digest = hashlib.sha256(json.dumps(asdict(v), sort_keys=True).encode()).hexdigest()[:16]
            node = RESULT[digest]
            g.add((report, SH.result, node))
            g.add((node, RDF.type, SH.ValidationResult))
            g.add((node, SH.focusNode, URIRef(v.focus)))
            g.add((node, SH.resultMessage, Literal(v.message)))
            g.add((node, SH.resultSeverity, SH[v.severity]))
            if v.path:
                g.add((node, SH.resultPath, URIRef(v.path)))
            if v.value is not None:
                g.add((node, SH.value, Literal(v.value)))
            if v.component:
                g.add((node, SH.sourceConstraintComponent, URIRef(v.component)))
            if v.shape:
                g.add((node, SH.sourceShape, URIRef(v.shape)))
        return g


_IRI_IN_TEXT = re.compile(r"https?://[^\s<>\"()]+")


def _curie(text: str, prefixes: list[tuple[str, str]]) -> str:
    for prefix, ns in prefixes:
        if text.startswith(ns) and text[len(ns) :] and " " not in text:
            return f"{prefix}:{text[len(ns) :]}"
    return text if len(text) <= 100 else text[:97] + "..."


def _text(node: Node | None) -> str | None:
    if node is None:
        return None
    return str(node)


def shacl_violations(data: Graph, shapes: Graph) -> list[Violation]:
    from pyshacl import validate as pyshacl_validate  # 0.5 s to import: only when validating

    _conforms, results, _text_report = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=False
    )
    if not isinstance(results, Graph):  # pySHACL reports a broken shapes graph in place of results
        raise InputError(f"the shapes cannot be applied: {_text_report}", SHAPES_FILE)
    return core_violations(read_report(results))


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    text: str


def load_checks(checks_dir: Path = CHECKS_DIR) -> list[Check]:
    checks = []
    for path in sorted(checks_dir.glob("*-violation.rq")):
        text = path.read_text(encoding="utf-8")
        title = next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("# title:")), path.stem)
        checks.append(Check(path.stem, title, text))
    return checks


def sparql_violations(engine: OxigraphEngine, constraints: list[SparqlConstraint]) -> list[Violation]:
    return [
        Violation(
            focus=str(r.focus),
            message=r.message,
            path=_text(r.path),
            value=_text(r.value),
            component=str(SH.SPARQLConstraintComponent),
            shape=None if isinstance(r.shape, BNode) else str(r.shape),
        )
        for r in evaluate(engine, constraints)
    ]


def check_violations(engine: OxigraphEngine, base: str, checks: list[Check]) -> list[Violation]:
    found = []
    for check in checks:
        table = engine.select(check.text, {"base": Literal(base)})
        for row in table.rows:
            values = {k: v for k, v in zip(table.variables, row, strict=True) if v is not None}
            found.append(
                Violation(
                    focus=str(values["focus"]),
                    message=str(values.get("message", check.title)),
                    path=_text(values.get("path")),
                    value=_text(values.get("value")),
                    component=str(CHECK[check.name]),
                    shape=str(CHECK[check.name]),
                )
            )
    return found


def validate(
    data: Graph | None,
    shapes: Graph,
    base: str = DEFAULT_BASE,
    index: SourceIndex | None = None,
    checks: list[Check] | None = None,
    engine: OxigraphEngine | None = None,
    reference: bool = False,
) -> Report:
    """Validate the (derived) graph against the shapes and the violation checks.

    The graph comes as ``data`` (rdflib), as ``engine`` (the embedded store), or both (the same graph). The
    SHACL Core constraints run compiled to SPARQL on the store (krefeld_kg.shacl_core, tested to give exactly
    pySHACL's results, 10-14x faster); ``reference=True`` runs pySHACL itself instead. ``index`` adds the data
    file and line of each focus node.
    """
    if data is None and engine is None:
        raise ValueError("validate() needs the graph as data or as engine")
    checks = load_checks() if checks is None else checks
    core, constraints = split(shapes)
    if engine is None:
        assert data is not None
        engine = OxigraphEngine.from_graph(data)
    if reference:
        violations = shacl_violations(data if data is not None else engine.to_graph(), core)
    else:
        violations = core_violations(validate_core(engine, core, data=data))
    violations += sparql_violations(engine, constraints)
    violations += check_violations(engine, base, checks)
    if index is not None:
        located = []
        for v in violations:
            where = index.locate(URIRef(v.focus))
            located.append(
                Violation(
                    **{**asdict(v), "file": str(where.path) if where else None, "line": where.line if where else None}
                )
            )
        violations = located
    violations = sorted(set(violations), key=Violation.sort_key)
    shapes_run = len(set(shapes.subjects(RDF.type, SH.NodeShape)))
    return Report(conforms=not violations, violations=violations, checks_run=len(checks), shapes_run=shapes_run)
