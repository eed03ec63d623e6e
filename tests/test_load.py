from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from krefeld_kg.errors import InputError
from krefeld_kg.load import DATA_DIR, SourceIndex, load_data, load_ontology, load_shapes

ROOT = Path(__file__).resolve().parents[1]


def test_relative_iris_resolve_against_the_base(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_text('@prefix place: <id/place/> .\nplace:x <http://e.org/p> "v" .\n')
    graph = load_data(tmp_path, "http://localhost:9/")
    assert (URIRef("http://localhost:9/id/place/x"), URIRef("http://e.org/p"), None) in graph


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.ttl").write_text('@prefix a: <id/> .\na:x a:y a:z .\na:q a:r "open ;\n')
    with pytest.raises(InputError) as info:
        load_data(tmp_path)
    error = info.value
    assert Path(str(error.path)).name == "bad.ttl"
    assert error.line == 3
    assert error.column is not None and error.column >= 9
    assert "syntax error" in error.message


def test_unknown_prefix_is_a_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "bad.ttl").write_text("\n\nnope:x nope:y nope:z .\n")
    with pytest.raises(InputError) as info:
        load_data(tmp_path)
    assert info.value.line == 3


def test_missing_or_empty_data_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_data(tmp_path / "missing")
    with pytest.raises(InputError, match=r"no \*\.ttl"):
        load_data(tmp_path)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "latin.ttl").write_bytes(b'<http://e.org/x> <http://e.org/p> "M\xf6nchengladbach" .\n')
    with pytest.raises(InputError, match="cannot read"):
        load_data(tmp_path)


def test_ontology_and_shapes_load() -> None:
    assert len(load_ontology()) > 300
    assert len(load_shapes()) > 300


def test_source_index_finds_definitions() -> None:
    index = SourceIndex.build(DATA_DIR)
    where = index.locate(URIRef("https://w3id.org/krefeld-kg/id/place/krefeld"))
    assert where is not None and where.path.name == "places.ttl"
    line = where.path.read_text().splitlines()[where.line - 1]
    assert line.startswith("place:krefeld ")
    derived = index.locate(URIRef("https://w3id.org/krefeld-kg/id/membership/krefeld--krzn#interval"))
    assert derived is not None and derived.path.name == "memberships.ttl"
    assert index.locate(URIRef("https://schema.org/Place")) is None
