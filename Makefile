# SeaGreen: `make run` serves the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint format bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/seagreen init
	$(BIN)/seagreen demo
	$(BIN)/seagreen serve

test: lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/ledger.py
	$(BIN)/python benchmarks/taxonomy.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/registry.py
	$(BIN)/python benchmarks/residents.py --reuse  # builds var/bench-residents.db (1M residents, 50M events, ~10 GB) once

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
