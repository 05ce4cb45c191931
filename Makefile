# Two commands on a fresh machine: `make demo` (end-to-end on the demo portal) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests use; a fresh machine may have no package lists yet, so update once on failure.
APT = sh -c 'apt-get install -y -q "$$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$$@"; }' apt

.PHONY: demo test install lint dagster-ui check-defs clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "need Python 3.11 ($(PY))"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,deploy]'
	@command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(APT) postgresql \
		|| echo "postgresql not installed: the deploy tests will be skipped"
	@command -v chromium >/dev/null 2>&1 || $(APT) chromium fonts-wqy-microhei \
		|| echo "chromium not installed: the report page's browser tests will be skipped"
	@command -v antiword >/dev/null 2>&1 || $(APT) antiword \
		|| echo "antiword not installed: the .doc reader tests will be skipped"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/nianbao demo --data ./data

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder  # whole files on 2 workers, e2e first (tests/conftest.py)

lint: $(STAMP)
	$(BIN)/ruff check .

dagster-ui: $(STAMP)
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -w workspace.yaml

check-defs: $(STAMP)  # the code location loads, seen by both CLIs (dg reads dg.toml)
	$(BIN)/dagster definitions validate -w workspace.yaml
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

clean:
	rm -rf data .dagster_home
