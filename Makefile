# Every target sets itself up: a fresh machine needs only Python >= 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: demo test check lint format bench screenshots soak sim stream clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sor-tui needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

demo: $(STAMP)  ## Start the TUI on the built-in simulator
	$(BIN)/sor-tui demo $(ARGS)

test: $(STAMP)  ## Run the whole test suite
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check sor_tui tests bench
	$(BIN)/ruff check sor_tui tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test  ## Format check, lint, types, import contracts, tests

format: $(STAMP)
	$(BIN)/ruff format sor_tui tests bench
	$(BIN)/ruff check --fix sor_tui tests bench

bench: $(STAMP)  ## Benchmarks, reported as ratios against baselines run side by side
	$(BIN)/python -m bench $(ARGS)

screenshots: $(STAMP)  ## Regenerate screenshots/*.svg from the app
	$(BIN)/python -m tests.ui.make_screenshots

soak: $(STAMP)  ## The long chaos soak (minutes)
	SOR_SOAK_SECONDS=$${SOR_SOAK_SECONDS:-300} $(BIN)/python -m pytest -m soak tests/reliability $(ARGS)

sim: $(STAMP)  ## Run the simulator in the foreground
	$(BIN)/sor-tui sim $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
