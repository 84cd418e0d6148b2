# WedSync Analytics — the commands the README documents.
#   make demo   set up, build everything, then serve Dagster (3000), the API (8000), MLflow (5000) and the GX Data Docs (8010)
#   make build  set up and build everything, then print a one-screen summary (no serving)
#   make test   set up and run the test suite
#   make test-faults  the fault suite and the restore drill alone (private servers, killed)
#   make cluster       start the scaled-out topology: 4 API processes behind HAProxy (base port WEDSYNC_CLUSTER_PORT, default 8100)
#   make cluster-down  stop it
#   WEDSYNC_CLUSTER_DAGSTER=1 make cluster  also Dagster: code server, 1 daemon, 2 webservers behind HAProxy, 2 Celery workers
#   make cluster WEDSYNC_CLUSTER_REDIS=cluster   the same, with the API on a 6-node Redis Cluster of its own (3 primaries + 3 replicas)
#   make cluster WEDSYNC_CLUSTER_POSTGRES=patroni   the same on a replicated warehouse: Patroni + etcd, 2 Postgres nodes (sync), pgbouncer
#   make bench-tools   install what the benchmarks cross-check with (Debian's wrk)
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(VENV)/bin
PYTHON    ?= python3
SCALE     ?= 1.0
SEED      ?= 42
PYTEST_ARGS ?=

export DAGSTER_HOME        ?= $(CURDIR)/.local/dagster
# Dagster writes a ranged run's per-partition events in batches (orchestration/build.py).
export DAGSTER_EVENT_BATCH_SIZE ?= 1000
export MLFLOW_TRACKING_URI ?= sqlite:///$(CURDIR)/.local/mlflow/mlflow.db
export WEDSYNC_LANDING_DIR ?= $(CURDIR)/.local/landing
# Every recipe sees the Postgres/Redis that `wedsync services up` settled on.
WITH_ENV := set -a; [ -f .local/services.env ] && . .local/services.env; set +a; eval "$$($(BIN)/wedsync db env)";

.PHONY: help install services dbt-manifest build demo test test-faults lint clean cluster cluster-down bench-tools

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

# wrk is the outside load generator benchmarks/api.py checks its own figures against.
bench-tools:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

$(BIN)/.installed: pyproject.toml constraints.txt
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

services: install
	@$(BIN)/wedsync services up

# dagster-dbt's deployment step: parse dbt_project for the configured warehouse into
# target/prod/manifest.json, which every Dagster process outside `dagster dev` loads as it is
# (orchestration/defs/dbt/project.py). dagster-dbt runs the `dbt` on PATH.
dbt-manifest: services
	@$(WITH_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dagster-dbt project prepare-and-package \
		--file orchestration/defs/dbt/project.py

build: dbt-manifest
	@$(WITH_ENV) $(BIN)/wedsync db init
	@$(WITH_ENV) $(BIN)/wedsync simulate --scale $(SCALE) --seed $(SEED)
	@mkdir -p $(DAGSTER_HOME) && cp deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@$(WITH_ENV) $(BIN)/python -m orchestration.build

# The build's quality checks already link the Data Docs site the demo then serves (serve.py).
demo: export WEDSYNC_DATA_DOCS_URL ?= http://127.0.0.1:8010/
demo: build
	@$(WITH_ENV) $(BIN)/python -m orchestration.serve

# The topology serves the warehouse as it is (run `make build` first for data; the replicated one
# of WEDSYNC_CLUSTER_POSTGRES=patroni starts with a copy of its marts); haproxy comes from apt.
cluster: services dbt-manifest
	@command -v haproxy >/dev/null || { echo "make cluster needs haproxy: apt-get install haproxy"; exit 1; }
	@[ "$$WEDSYNC_CLUSTER_POSTGRES" != patroni ] || command -v patroni >/dev/null || { echo "WEDSYNC_CLUSTER_POSTGRES=patroni needs: apt-get install patroni etcd-server pgbouncer"; exit 1; }
	@$(WITH_ENV) $(BIN)/wedsync db init
	@$(WITH_ENV) $(BIN)/wedsync cluster up

cluster-down: install
	@$(WITH_ENV) $(BIN)/wedsync cluster down

test: dbt-manifest
	@$(WITH_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-faults: dbt-manifest
	@$(WITH_ENV) $(BIN)/python -m pytest tests/faults -v -s $(PYTEST_ARGS)

lint: services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy wedsync serving ml orchestration
	@# sqlfluff's dbt templater compiles the models against the warehouse (pyproject.toml).
	@$(WITH_ENV) $(BIN)/wedsync db init >/dev/null
	@$(WITH_ENV) $(BIN)/sqlfluff lint dbt_project/models

clean:
	-@$(BIN)/wedsync services down
	rm -rf .local
