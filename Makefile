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

# The throughput benchmark drives the servers with wrk, a native load generator, where the system's
# package manager has it (as root, e.g. in CI); without it, the project's own load process stands in.
bench: setup
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "installing wrk for the throughput benchmark" && \
		(apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)); } || true
	$(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
