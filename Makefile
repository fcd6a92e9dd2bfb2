# The two commands of the README's quick start. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test load-test

## make run: the portal on the embedded default (SQLite, e-mails in var/mail/, tasks in-process) at :8000
run: export DJANGO_DEBUG := 1
# runserver's "development server" banner: `make run` is a developer's server by definition (README).
run: export DJANGO_RUNSERVER_HIDE_WARNING := true
run: $(VENV)/.installed-runtime
	$(PY) manage.py messages_compile
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data
	@echo "myHEZO: http://127.0.0.1:8000  (e-mails are written to var/mail/)"
	$(PY) manage.py runserver 127.0.0.1:8000

## make test: lint, format check, the layers (lint-imports) and the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: $(VENV)/.installed-dev
	$(PY) manage.py messages_compile
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

## make load-test: gunicorn + locust, USERS verified customers for DURATION seconds on PostgreSQL and Redis
## (REDIS_URL; a fresh database at LOAD_DATABASE_URL); fails on any 5xx or a created ticket that is missing
USERS ?= 50
DURATION ?= 60
load-test: $(VENV)/.installed-dev
	$(PY) bench/load/run.py --users $(USERS) --duration $(DURATION)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: requirements.txt | $(PY)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime
