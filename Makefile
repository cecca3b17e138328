# supportdesk: `make run` serves the app with demo data, a Celery worker and beat;
# `make test` runs the whole suite. Both set everything up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQS_HASH)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: help install system-deps messages test-js run test lint format bench load fuzz-api migrate seed clean

help:
	@echo "make run       serve http://$(HOST):$(PORT) with demo data, a Celery worker and beat"
	@echo "make test      run the test suite (PostgreSQL/Redis tests need DATABASE_URL/REDIS_URL)"
	@echo "make lint      ruff, the layer order (import-linter), mypy, makemigrations --check, Kubernetes manifests"
	@echo "make bench     figures and issue 21's targets at 100,000 and 1,000,000 requests"
	@echo "make load      load test: gunicorn + locust, 50 users for 60 s"
	@echo "make fuzz-api  schemathesis against the live OpenAPI schema"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) system-deps messages test-js

# Translations: the .po files are the source; the .mo files Django reads are generated (and
# git-ignored). Babel's compiler is pure Python, so no gettext tools are needed for this.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
messages: $(MO_FILES)
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

# axe-core (the accessibility journey injects it into every page) from the npm registry,
# pinned by package-lock.json. Without npm the accessibility journey says why it skips.
test-js: node_modules/axe-core/axe.min.js
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "Note: npm is missing; the accessibility (axe) journey will skip." >&2; fi

# WeasyPrint (incident report PDFs) needs Pango; browser tests need Debian's Chromium.
# Installed when missing and we may (root with apt); otherwise the affected tests say why.
system-deps:
	@scripts/system-deps.sh

var:
	@mkdir -p var/broker/queue var/broker/control var/broker/processed var/mail var/cache

migrate: install var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

seed: migrate
	DEBUG=1 $(BIN)/python manage.py seed_demo

run: seed
	@HOST=$(HOST) PORT=$(PORT) scripts/run.sh

test: install var
	DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/mypy
	DEBUG=1 DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/kubernetes-validate --strict --quiet $(filter-out %/kustomization.yaml,$(wildcard deploy/kubernetes/*.yaml))

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every size in BENCH_SIZES has its own bench database, seeded once (1,000,000 requests take
# minutes: the dataset section prints how long). `make bench BENCH_SIZES=100000` for one size.
BENCH_SIZES ?= 100000 1000000
bench: install var
	@for size in $(BENCH_SIZES); do \
	  echo "######## make bench at $$size requests"; \
	  BENCH_REQUESTS=$$size DEBUG=1 $(BIN)/python -m bench $(BENCH_SECTIONS) || exit 1; \
	done

load: install var
	@scripts/load.sh

fuzz-api: install var
	@scripts/fuzz-api.sh

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache .hypothesis node_modules
	rm -f $(MO_FILES)
