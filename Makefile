# Every target works on a fresh machine that has only Python 3.11+ and the package registries.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MIN_VENV := .venv-min
MIN_STAMP := $(MIN_VENV)/.installed
NODE_CLIENT := tests/amove/node
NODE_STAMP := $(NODE_CLIENT)/node_modules/.installed
CODE := $(wildcard emulators tests contract_tests benchmarks)
# setuptools notes "Editable installation" (10 lines) on every editable install that maps a package
# to another folder, as emulators.scenarios comes from scenarios/; there is nothing to act on.
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

.PHONY: setup browser serve test test-min contract lint bench lock clean

setup: $(STAMP) $(NODE_STAMP) browser

# Reinstall only when the dependencies change. pyproject.toml states the ranges the package
# supports; constraints.txt pins the exact versions every developer and CI run installs.
$(STAMP): pyproject.toml constraints.txt
	@echo "Setting up $(VENV): installing the package and its test tools (versions from constraints.txt)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(QUIET_EDITABLE) $(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test]'
	touch $(STAMP)

# The JavaScript SignalR client that the Amove hub tests run under Node, installed with npm where there
# is one (without Node those tests are skipped), again only when its lock file changes.
$(NODE_STAMP): $(NODE_CLIENT)/package-lock.json
	@if command -v npm >/dev/null; then \
		echo "Installing the Node test client in $(NODE_CLIENT) (versions from package-lock.json)..."; \
		npm ci --prefix $(NODE_CLIENT) --no-audit --no-fund --loglevel=error && touch $@; \
	fi

# Chromium for the dashboard's browser tests (tests/ui), from the system's package manager where
# there is one (as root, e.g. in CI); without it those tests are skipped. It never fails the setup.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "installing chromium for the dashboard's browser tests" && \
		(apt-get install -y -qq chromium >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1)); } || true

# The oldest versions pyproject.toml allows (constraints-min.txt), in a venv of their own.
$(MIN_STAMP): pyproject.toml constraints-min.txt
	@echo "Setting up $(MIN_VENV): installing the lowest supported versions (constraints-min.txt)..."
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(QUIET_EDITABLE) $(MIN_VENV)/bin/python -m pip install --quiet --constraint constraints-min.txt \
		--editable '.[test]'
	touch $(MIN_STAMP)

serve: setup
	$(BIN)/transfer-emulators serve $(ARGS)

# The suite starts with the linter: "ruff clean" is part of passing. Then it runs again on the
# lowest supported versions, with the packaging test that builds and installs the wheel.
test: setup
	$(BIN)/ruff check $(CODE)
	$(BIN)/python -m pytest -q $(ARGS)
	$(MAKE) --no-print-directory test-min

# The suite on the lowest supported versions, plus the packaging test (it needs the registries).
# The fuzzing module is left out there: Schemathesis needs a newer pytest than the oldest the plugin
# supports, and what it tests (the emulators' answers) does not depend on the dependency floor.
test-min: $(MIN_STAMP)
	EMULATORS_PACKAGING_TESTS=1 $(MIN_VENV)/bin/python -m pytest -q --ignore contract_tests/test_fuzz.py $(ARGS)

# The contract tests with the deep fuzzing profile: 1,000 generated requests per operation.
contract: setup
	EMULATORS_FUZZ_EXAMPLES=1000 $(BIN)/python -m pytest -q contract_tests $(ARGS)

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

# Refresh constraints.txt with the newest versions pyproject.toml allows, resolved from scratch.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet '.[test]'
	{ grep '^#' constraints.txt; .venv-lock/bin/python -m pip freeze --exclude transfer-emulators; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) $(MIN_VENV) .venv-lock build *.egg-info
