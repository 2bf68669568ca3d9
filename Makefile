# The two set-up commands of the contract: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The demo runs in development mode; one random key per `make run`, shared by the web server and the worker.
MEETAPP_ENV ?= development
# The suite runs on SQLite and on this PostgreSQL; under CI=true PostgreSQL is required.
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PIP := $(BIN)/python -m pip install --disable-pip-version-check --quiet

export FLASK_APP := wsgi

.PHONY: run test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	@touch $@

$(VENV)/.test: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	@export MEETAPP_ENV=$(MEETAPP_ENV) SECRET_KEY="$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')}"; \
	if [ -z "$${PUBLIC_BASE_URL:-}" ] && ! grep -qs '^PUBLIC_BASE_URL=' .env; then export PUBLIC_BASE_URL=http://127.0.0.1:$(PORT); fi; \
	$(BIN)/flask db upgrade && \
	$(BIN)/flask seed-demo && \
	{ $(BIN)/flask worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  echo "meetapp is at http://127.0.0.1:$(PORT)  (mail without MAIL_SERVER: http://127.0.0.1:$(PORT)/dev/mail; Ctrl+C stops it)"; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT); }

# Browser tests drive Debian's chromium (never a downloaded browser) and inject axe-core from the npm registry.
CHROMIUM := /usr/bin/chromium
AXE := tests/e2e/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium

$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
	@touch $@

test: $(VENV)/.test $(CHROMIUM) $(AXE)
	$(BIN)/ruff check meetapp tests migrations bench wsgi.py gunicorn.conf.py
	$(BIN)/bandit -q -r meetapp --severity-level high
	TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
