# Soglasie — two commands: `make run` and `make test`.
# The virtualenv's interpreter: the system's own Python when it is 3.11 or newer and can build a venv, else
# `python3` from the PATH. Debian's /usr/bin/python3 is a statically linked, optimised build; a default pyenv
# build (a shared libpython) runs this app ~8% slower (paired A/B of the throughput benchmark, docs/operations.md).
PY ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000

## make lint: ruff (lint + format check) and mypy (pyproject.toml), as CI and the pre-commit hook run them
.PHONY: lint run test install db demo bench bench-full clean load faults lint-models

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed  # translation catalogs compile at start-up (workflow_app/i18n.py)

db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask deploy bpmn
	$(BIN)/flask roadmap load

demo: db
	$(BIN)/flask demo load

run: demo
	$(BIN)/flask run-all --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile -p no:cacheprovider

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m benchmarks.run

# HOSTS=2: two gunicorn masters (own ports, own pools) + two scheduler processes on one PostgreSQL;
# COMPARE=<commit>: the same load on that commit (a temporary git worktree) and on this checkout, alternately
HOSTS ?= 1
SCHEDULERS ?= $(if $(filter 1,$(HOSTS)),0,$(HOSTS))
load: install  # gunicorn x4 on a throwaway PostgreSQL, 50 racing clients, consistency check (< 3 min)
	$(BIN)/python -m benchmarks.load_pg --hosts $(HOSTS) --schedulers $(SCHEDULERS) $(if $(COMPARE),--compare-with $(COMPARE))

faults: install  # the same load with a worker SIGKILL, a PostgreSQL crash-restart, a scheduler killed mid-sealing, a tick killed
	$(BIN)/python -m benchmarks.faults_pg --hosts $(HOSTS)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint-models: node_modules/.installed  # bpmn.io's linter, recommended rules (.bpmnlintrc), over the shipped models
	npx --no-install bpmnlint bpmn/*.bpmn bpmn/examples/*.bpmn

clean:
	rm -rf $(VENV) instance .pytest_cache
