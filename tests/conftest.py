"""Shared fixtures: the real data loaded and derived once, and one real release built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from krefeld_kg.build import Pipeline, Release, build
from krefeld_kg.namespaces import DEFAULT_BASE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return Pipeline.load(ROOT / "data", DEFAULT_BASE)


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """A release of the real data, built once into a temporary directory."""
    return build(tmp_path_factory.mktemp("release") / "dist", ROOT / "data", DEFAULT_BASE)


@pytest.fixture(scope="session")
def release_dir(release: Release) -> Path:
    return release.directory
