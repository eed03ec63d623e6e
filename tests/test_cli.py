from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from krefeld_kg.cli import main

MINI = Path(__file__).resolve().parent / "fixtures" / "mini-data"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ("build", "validate", "query", "queries", "stats"):
        assert command in out


def test_validate_ok_exits_0() -> None:
    code, out, _ = run("validate", "--data", str(MINI))
    assert code == 0 and out.startswith("conforms")


def test_validate_not_conformant_exits_1_with_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    path = data / "twinnings.ttl"
    path.write_text(path.read_text().replace("status:active", "status:sleeping"))
    code, out, _ = run("validate", "--data", str(data))
    assert code == 1
    assert "twinnings.ttl:" in out and "kkg:status must be exactly one of" in out
    code, out, _ = run("validate", "--data", str(data), "--format", "json")
    assert code == 1 and json.loads(out)["conforms"] is False
    code, out, _ = run("validate", "--data", str(data), "--format", "turtle")
    assert code == 1 and "sh:ValidationReport" in out


def test_syntax_error_exits_2_with_location_and_no_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    (data / "places.ttl").write_text((data / "places.ttl").read_text().replace('"Venlo"@en ;', '"Venlo"@en ;;; <'))
    for command in ("validate", "build", "stats"):
        code, _, err = run(command, "--data", str(data))
        assert code == 2, command
        assert "places.ttl:" in err and "syntax error" in err
        assert "Traceback" not in err


def test_bad_usage_exits_2() -> None:
    assert run("validate", "--format", "xml")[0] == 2
    assert run("build", "--base", "not-an-iri")[0] == 2
    assert run("nonsense")[0] == 2


def test_build_writes_release_and_reports(tmp_path: Path) -> None:
    code, out, _ = run("build", "--data", str(MINI), "--out", str(tmp_path / "dist"))
    assert code == 0
    assert "krefeld-kg.nt" in out and (tmp_path / "dist" / "SHA256SUMS").is_file()


def test_build_not_conformant_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    (data / "events.ttl").write_text((data / "events.ttl").read_text().replace("2024-11-21", "2999-11-21"))
    code, _, err = run("build", "--data", str(data), "--out", str(tmp_path / "dist"))
    assert code == 1 and "lies in the future" in err
    assert not (tmp_path / "dist").exists()


def test_stats_counts(tmp_path: Path) -> None:
    code, out, _ = run("stats", "--data", str(MINI), "--format", "json")
    assert code == 0
    stats = json.loads(out)
    assert stats["classes"]["https://w3id.org/krefeld-kg/ontology#Twinning"] == 1
    assert stats["missing_labels"] == {"de": [], "en": []}
    assert stats["languages"]["de"] > 0
    code, out, _ = run("stats", "--data", str(MINI))
    assert code == 0 and "per class" in out and "missing rdfs:label @en: 0" in out


def test_query_without_release_exits_2(tmp_path: Path) -> None:
    code, _, err = run("query", "partners-by-start-date", "--release", str(tmp_path))
    assert code == 2 and "krefeld-kg build" in err


def test_entry_point_runs_as_module() -> None:
    result = subprocess.run([sys.executable, "-m", "krefeld_kg", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "validate" in result.stdout
