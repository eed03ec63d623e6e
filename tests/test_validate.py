from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from krefeld_kg.build import Pipeline
from krefeld_kg.validate import CHECK, load_checks

ROOT = Path(__file__).resolve().parents[1]
MINI = Path(__file__).resolve().parent / "fixtures" / "mini-data"


def test_the_real_data_conforms(pipeline: Pipeline) -> None:
    report = pipeline.validate()
    assert report.conforms, report.to_text()
    assert report.shapes_run >= 19 and report.checks_run >= 6


def test_violation_names_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    path = data / "places.ttl"
    path.write_text(path.read_text().replace('rdfs:label "Venlo"@de, "Venlo"@en ;', 'rdfs:label "Venlo"@de ;'))
    report = Pipeline.load(data).validate()
    assert not report.conforms
    found = [v for v in report.violations if v.focus.endswith("/id/place/venlo")]
    assert found, report.to_text()
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("place:venlo "))
    assert {(Path(v.file or "").name, v.line) for v in found} == {("places.ttl", line)}
    assert any("English" in v.message for v in found)
    text = report.to_text()
    assert f"places.ttl:{line}:" in text


def test_every_check_is_a_violation_query() -> None:
    checks = load_checks()
    assert len(checks) >= 6
    for check in checks:
        assert check.name.endswith("-violation")
        assert check.title and "SELECT" in check.text


def test_checks_find_what_they_look_for(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    (data / "extra.ttl").write_text(
        "@prefix place: <id/place/> .\n@prefix twin: <id/twinning/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "place:venlo rdfs:seeAlso twin:krefeld-typo ;\n"
        '    rdfs:comment "Mail r.someone@krefeld.de, Tel. 0 21 51 / 86-1554" .\n'
    )
    report = Pipeline.load(data).validate()
    components = {v.component for v in report.violations}
    assert str(CHECK["dangling-reference-violation"]) in components
    messages = " ".join(v.message for v in report.violations)
    assert "e-mail address" in messages
    assert all(
        Path(v.file or "x").name == "extra.ttl" for v in report.violations if v.component and "personal" in v.component
    )


def test_report_formats(pipeline: Pipeline) -> None:
    report = pipeline.validate()
    parsed = json.loads(report.to_json())
    assert parsed == {"conforms": True, "violations": []}
    graph = report.to_graph()
    assert (None, SH.conforms, None) in graph
    again = Graph().parse(data=graph.serialize(format="turtle"), format="turtle")
    assert len(again) == len(graph)


@pytest.mark.parametrize("kind", ["no-source", "future"])
def test_report_graph_is_stable(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    events = data / "events.ttl"
    if kind == "future":
        events.write_text(events.read_text().replace('"2024-11-21"^^xsd:date', '"2999-01-01"^^xsd:date'))
    else:
        events.write_text(events.read_text().replace("    dct:source src:example-page .", '    schema:name "x" .'))
    first = Pipeline.load(data).validate()
    second = Pipeline.load(data).validate()
    assert not first.conforms
    assert first.to_graph().serialize(format="nt") == second.to_graph().serialize(format="nt")


def test_numbers_are_not_taken_for_phone_numbers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    path = data / "places.ttl"
    path.write_text(
        path.read_text().replace('"Venlo"@en ;', '"Venlo"@en ;\n    rdfs:comment "2021 51 000 Einwohner"@de ;')
    )
    assert Pipeline.load(data).validate().conforms


def test_compiled_core_validator_matches_pyshacl(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    places = data / "places.ttl"
    text = places.read_text().replace('"Venlo"@en ;', '"Venlo"@nl ;').replace('kkg:ags "05114"', 'kkg:ags "5114"')
    places.write_text(text.replace('"51.3333"^^xsd:decimal', '"91.5"^^xsd:decimal'))
    pipeline = Pipeline.load(data)
    fast, reference = pipeline.validate(), pipeline.validate(reference=True)
    assert not fast.conforms
    assert len(fast.violations) >= 4
    assert fast.violations == reference.violations


def test_validate_imports_no_pyshacl_on_the_fast_path() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from krefeld_kg.build import Pipeline; Pipeline.load().validate(); print('pyshacl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
