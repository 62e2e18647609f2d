# Kantoku: every command a newcomer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Rebuilt (pip install) only when a requirements or constraints file changes.
STAMP := $(VENV)/.requirements-installed
ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: help setup run test lint fmt constraints audit pg-stop redis-stop

help:
	@echo "make setup        create .venv (Python 3.11), install pinned requirements, compile translations"
	@echo "make run          migrate, load the demo organization, serve on http://$(ADDR)/"
	@echo "make test         scripts/test: PostgreSQL-marked tests on a throwaway cluster, then the rest on SQLite (PYTEST_ARGS=...)"
	@echo "make lint         ruff check and ruff format --check"
	@echo "make fmt          ruff check --fix and ruff format"
	@echo "make constraints  rewrite constraints.txt from the packages installed in .venv"
	@echo "make pg-stop      stop the throwaway PostgreSQL cluster of make test"
	@echo "make redis-stop   stop the throwaway Redis of make test"
	@echo "make audit        pip-audit: known vulnerabilities of the pinned packages in constraints.txt (needs the network)"
	@echo "make bench-live   load benchmark of the live websocket path, relay vs Kantoku, 1/4/25 classes (~10 min)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

setup: $(STAMP)
	@$(BIN)/python scripts/school_words.py
	@if command -v msgfmt >/dev/null && [ -d locale ]; then \
		$(BIN)/python manage.py compilemessages --verbosity 0 --ignore=$(VENV) --ignore=.pgdata; \
	fi

# Badges name the address they are served from (PUBLIC_BASE_URL): on `make run`, this server's,
# unless the environment says otherwise.
run: export PUBLIC_BASE_URL ?= http://$(ADDR)
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --url http://$(ADDR)/
	$(BIN)/python manage.py runserver $(ADDR)

# The two pytest runs (PostgreSQL-marked, then the rest on SQLite) and their
# services are in scripts/test; PYTEST_ARGS are handed to both runs.
test: setup
	scripts/test $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Pins every installed package, transitive ones included. To add or upgrade a
# dependency: edit requirements*.txt (and its line here if pinned), `make setup`,
# then `make constraints`.
constraints: setup
	{ echo "# pip freeze of .venv, made by 'make constraints': pins transitive dependencies too."; \
	  $(BIN)/python -m pip freeze --disable-pip-version-check --exclude-editable | grep -iv '^kantoku'; \
	} > constraints.txt.new && mv constraints.txt.new constraints.txt

# Every pinned package, transitive ones too, against the Python Packaging Advisory Database (PyPI's
# vulnerability service): exact pins, so no resolver and no temporary virtualenv (--disable-pip needs
# --no-deps). --strict: a package the service could not be asked about fails the audit, where pip-audit
# would otherwise skip it and still say "No known vulnerabilities found". It needs that service over
# the network, so it is not a test or CI gate (docs/security.md).
audit: setup
	$(BIN)/pip-audit --strict --disable-pip --no-deps --progress-spinner off -r constraints.txt

pg-stop:
	scripts/pgtest stop

redis-stop:
	scripts/redistest stop

# Loopback only, every wait bounded; BENCH_LIVE_ARGS e.g. "--classes 4 --duration 30" (see the script's --help).
.PHONY: bench-live
bench-live: setup
	$(BIN)/python benchmarks/bench_live.py $(BENCH_LIVE_ARGS)
