"""A smoke run of the benchmark harness's stages on a small generated graph: every stage the summary in
bench/RESULTS.md reports runs and says how long it took (the figures themselves are the harness's business)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402

STAGES = (
    "load",
    "derive",
    "validate",
    "export-nt",
    "export-ttl",
    "export-jsonld",
    "export-ttl-alone",
    "export-jsonld-alone",
    "dumps",
    "queries",
    "lookup",
    "ox-derive",
    "ox-dump-nt",
    "ox-dump-all",
)


def _stage(name: str, data: Path, work: Path) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    run = subprocess.run(
        [sys.executable, "-m", "bench.stages", name, str(data), str(work)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result: dict = json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[type-arg]
    return result


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data, work = tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("work")
    generate(3000, data, defects=0.0, seed=3)
    _stage("prep", data, work)
    return data, work


@pytest.mark.parametrize("name", STAGES)
def test_stage_runs_and_reports_its_time(prepared: tuple[Path, Path], name: str) -> None:
    result = _stage(name, *prepared)
    assert result["seconds"] > 0
    if name in ("dumps", "ox-dump-all"):
        assert result["bytes"] > 100_000
    if name == "validate":
        assert result["violations"] == 0
