# Every target works on a fresh machine that has only Python 3.11+ and the package registries.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := $(wildcard emulators tests contract_tests benchmarks)

.PHONY: setup serve test lint bench clean

setup: $(STAMP)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: setup
	$(BIN)/transfer-emulators serve $(ARGS)

# The suite starts with the linter: "ruff clean" is part of passing.
test: setup
	$(BIN)/ruff check $(CODE)
	$(BIN)/python -m pytest -q $(ARGS)

lint: setup
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
