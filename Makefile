# Think Paper Commons — everyday commands. GNU make; run from the repository root.
#
#   make run     create .venv, install, migrate, import papers/, demo accounts, serve :5000 (PORT=…)
#   make test    the test suite on SQLite, then again on PostgreSQL
#   make lint    ruff check + ruff format --check + lint-imports (the layers of the code)
#   make format  ruff format + ruff check --fix
#   make translations  extract the strings, update the fr and de catalogues, compile them
#   make bench   the benchmark at sizes S and M beside isso and the floor (SIZES="S M L")
#   make bench-l  the benchmark at size L (100,000 annotations)
#   make bench-search  search latency over 100,000 annotations, SQLite and PostgreSQL
#   make bench-exports  time and worker memory of the big downloads, 100,000 annotations
#   make reliability  concurrent writers, kill -9 rounds and fuzzing, SQLite and PostgreSQL
#   make clean   remove caches and build leftovers (keeps .venv and instance/)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Extra arguments for every pytest run, e.g. `make test PYTEST_ARGS="-x -k footnote"`.
PYTEST_ARGS ?=
export PYTEST_ARGS
# Where `make run` serves: `make run PORT=8000`. Set on the command line only (a PORT or
# HOST in the environment is not taken), so that the site stays on 127.0.0.1 by default.
HOST := 127.0.0.1
PORT := 5000
# Test processes per leg (pytest-xdist); 0 runs the tests in one process.
TEST_WORKERS ?= 2
export TEST_WORKERS

.DEFAULT_GOAL := help

# The interface's languages besides English (config LANGUAGES) and their catalogues: the
# server's strings ("messages") and the scripts' ("js"); the compiled .mo files are built
# from the .po files in the repository whenever those change.
LOCALES := fr de
DOMAINS := messages js
TRANSLATIONS := app/translations
CATALOGUES := $(foreach l,$(LOCALES),$(foreach d,$(DOMAINS),$(TRANSLATIONS)/$(l)/LC_MESSAGES/$(d).mo))

.PHONY: help venv install catalogues translations run test test-sqlite test-postgres lint format bench bench-l bench-search bench-exports reliability clean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -e '.[dev]'
	@touch $@

venv install: $(STAMP) $(CATALOGUES)

catalogues: $(CATALOGUES)

$(TRANSLATIONS)/%.mo: $(TRANSLATIONS)/%.po | $(STAMP)
	@$(BIN)/pybabel compile --statistics -i $< -o $@

# Extract every marked string, merge the new ones into each language's catalogues (to be
# translated in the .po files), then compile. A string no longer used leaves the catalogue.
translations: $(STAMP)
	$(BIN)/pybabel extract --add-location=file --omit-header --sort-by-file -F babel.cfg -k lazy_gettext -k _l -k lazy_pgettext:1c,2 -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel extract --add-location=file --omit-header --sort-by-file -F babel-js.cfg -k gettext -k ngettext:1,2 -o $(TRANSLATIONS)/js.pot .
	@for locale in $(LOCALES); do for domain in $(DOMAINS); do \
	  if [ -f $(TRANSLATIONS)/$$locale/LC_MESSAGES/$$domain.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -D $$domain -i $(TRANSLATIONS)/$$domain.pot -d $(TRANSLATIONS) -l $$locale; \
	  else \
	    $(BIN)/pybabel init -D $$domain -i $(TRANSLATIONS)/$$domain.pot -d $(TRANSLATIONS) -l $$locale; \
	  fi; done; done
	@$(MAKE) --no-print-directory catalogues

run: export APP_CONFIG := development
run: export FLASK_APP := wsgi.py
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: export PATH := $(CURDIR)/$(BIN):$(PATH)
run: $(STAMP) $(CATALOGUES)
	@echo "Migrating the database, importing papers/, creating the demo accounts"
	@flask db upgrade
	@flask papers import papers/*/
	@bash scripts/demo-accounts.sh
	@flask run --host $(HOST) --port $(PORT)

test: $(STAMP) $(CATALOGUES)
	@bash scripts/test.sh

test-sqlite: $(STAMP) $(CATALOGUES)
	@bash scripts/test.sh sqlite

test-postgres: $(STAMP) $(CATALOGUES)
	@bash scripts/test.sh postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Sizes of `make bench` (S, M, L) and further options of bench/run.py (--readme, ...).
SIZES ?= S M
BENCH_ARGS ?=

bench: $(STAMP) $(CATALOGUES)
	$(BIN)/python bench/run.py --sizes $(SIZES) $(BENCH_ARGS)

bench-l: $(STAMP) $(CATALOGUES)
	$(BIN)/python bench/run.py --sizes L $(BENCH_ARGS)

# The 100,000-annotation benchmarks reach PostgreSQL through $BENCH_POSTGRES_URL (its
# `postgres` database by default); without it their PostgreSQL rows say skipped, and why.
bench-search: $(STAMP)
	$(BIN)/python bench/search.py

bench-exports: $(STAMP)
	$(BIN)/python bench/exports.py

# PostgreSQL is reached through $RELIABILITY_POSTGRES_URL (its `postgres` database by
# default); without it that row says skipped, and why.
reliability: $(STAMP)
	$(BIN)/python bench/reliability.py

clean:
	rm -rf .pytest_cache .ruff_cache test-results build dist *.egg-info bench/.peer
	find bench/results -type f ! -name '[SML].json' -delete 2>/dev/null || true
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
