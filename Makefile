# The targets CI calls (.ci/run) and maintainers use. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: help setup setup-system build validate test lint typecheck check golden bench bench-quick bench-serve clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python ## Create .venv and install krefeld-kg with its development tools
	$(BIN)/pip install --quiet -e '.[dev]'

build: setup ## Validate the data and write the release to dist/
	$(BIN)/krefeld-kg build --out dist

validate: setup ## Validate data/ against the shapes and violation checks
	$(BIN)/krefeld-kg validate

lint: setup ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup ## mypy on src/
	$(BIN)/mypy

test: setup ## The test suite
	$(BIN)/python -m pytest -q

check: lint typecheck test ## Everything CI runs

golden: setup ## Regenerate tests/golden/ from tests/fixtures/mini-data (review the diff!)
	$(BIN)/python tests/regenerate_golden.py

bench: setup ## Benchmark table for 10k, 100k, 1M triples (not part of the tests)
	$(BIN)/python -m bench

bench-quick: setup ## Benchmark smoke run at 10k
	$(BIN)/python -m bench --quick

setup-system: ## Chromium (browser tests), wrk (bench) and YASGUI into web/node_modules; apt needs root or sudo
	bash .ci/install-system

bench-serve: setup ## krefeld-kg serve against oxigraph serve (needs wrk: make setup-system)
	$(BIN)/python -m bench.serve --markdown bench/RESULTS-serve.md

clean:
	rm -rf dist .pytest_cache .mypy_cache .ruff_cache
