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

.PHONY: help setup run test lint fmt constraints pg-stop redis-stop

help:
	@echo "make setup        create .venv (Python 3.11), install pinned requirements, compile translations"
	@echo "make run          migrate, load the demo organization, serve on http://$(ADDR)/"
	@echo "make test         PostgreSQL-marked tests on a throwaway cluster, then the rest on SQLite"
	@echo "make lint         ruff check and ruff format --check"
	@echo "make fmt          ruff check --fix and ruff format"
	@echo "make constraints  rewrite constraints.txt from the packages installed in .venv"
	@echo "make pg-stop      stop the throwaway PostgreSQL cluster of make test"
	@echo "make redis-stop   stop the throwaway Redis of make test"
	@echo "make bench-live   load benchmark of the live websocket path, relay vs Kantoku, 1/4/25 classes (~10 min)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

setup: $(STAMP)
	@if command -v msgfmt >/dev/null && [ -d locale ]; then \
		$(BIN)/python manage.py compilemessages --verbosity 0 --ignore=$(VENV) --ignore=.pgdata; \
	fi

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver $(ADDR)

# Two pytest runs, so that the last summary line is the big one:
#  1. tests marked `postgres` against a throwaway cluster (scripts/pgtest), with
#     a throwaway Redis (scripts/redistest) for those also marked `redis`. If
#     they cannot start they are skipped with the reason, or fail when CI=true
#     (see conftest.py);
#  2. everything else on SQLite.
# The race tests hold 60 connections at once: the PostgreSQL run gets a pool of 100
# (DB_POOL_MAX, config/settings.py; the throwaway cluster allows 200).
# Both always run; the target fails if either failed. pytest's exit code 5
# (no tests collected) is a failure too.
test: setup
	@pg_ok=1; \
	if url="$$(scripts/pgtest start)"; then \
		export DATABASE_URL="$$url"; \
	else \
		pg_ok=0; unset DATABASE_URL; \
		echo "make test: the throwaway PostgreSQL did not start (see above);" \
			"postgres-marked tests will be $$([ "$${CI:-}" = true ] && echo FAILED || echo skipped)" >&2; \
	fi; \
	if redis_url="$$(scripts/redistest start)"; then \
		export REDIS_URL="$$redis_url"; \
	else \
		unset REDIS_URL; \
		echo "make test: the throwaway Redis did not start (see above); redis-marked tests start" \
			"their own redis-server if there is one, or are $$([ "$${CI:-}" = true ] && echo FAILED || echo skipped)" >&2; \
	fi; \
	echo "== make test: PostgreSQL-marked tests ($${DATABASE_URL:-no PostgreSQL}; $${REDIS_URL:-no Redis})"; \
	DB_POOL_MAX=100 $(BIN)/pytest -m postgres $(PYTEST_ARGS); pg_status=$$?; \
	unset DATABASE_URL REDIS_URL; \
	echo "== make test: the rest of the suite on SQLite"; \
	$(BIN)/pytest -m "not postgres" $(PYTEST_ARGS); rest_status=$$?; \
	for status in $$pg_status $$rest_status; do \
		if [ $$status -eq 5 ]; then echo "make test: a pytest run collected no tests; failing" >&2; fi; \
	done; \
	if [ $$pg_ok -eq 0 ] && [ "$${CI:-}" = true ] && [ $$pg_status -eq 0 ]; then pg_status=1; fi; \
	if [ $$pg_status -ne 0 ]; then exit $$pg_status; fi; \
	exit $$rest_status

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

pg-stop:
	scripts/pgtest stop

redis-stop:
	scripts/redistest stop

# Loopback only, every wait bounded; BENCH_LIVE_ARGS e.g. "--classes 4 --duration 30" (see the script's --help).
.PHONY: bench-live
bench-live: setup
	$(BIN)/python benchmarks/bench_live.py $(BENCH_LIVE_ARGS)
