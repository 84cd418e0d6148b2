# WedSync Analytics — the commands the README documents.
#   make demo   set up, build everything, then serve Dagster (3000), the API (8000) and MLflow (5000)
#   make build  set up and build everything, then print a one-screen summary (no serving)
#   make test   set up and run the test suite
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(VENV)/bin
PYTHON    ?= python3
SCALE     ?= 1.0
SEED      ?= 42
PYTEST_ARGS ?=

export DAGSTER_HOME        ?= $(CURDIR)/.local/dagster
export MLFLOW_TRACKING_URI ?= sqlite:///$(CURDIR)/.local/mlflow/mlflow.db
export WEDSYNC_LANDING_DIR ?= $(CURDIR)/.local/landing
# Every recipe sees the Postgres/Redis that `wedsync services up` settled on.
WITH_ENV := set -a; [ -f .local/services.env ] && . .local/services.env; set +a; eval "$$($(BIN)/wedsync db env)";

.PHONY: help install services build demo test lint clean

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

$(BIN)/.installed: pyproject.toml constraints.txt
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

services: install
	@$(BIN)/wedsync services up

build: services
	@$(WITH_ENV) $(BIN)/wedsync db init
	@$(WITH_ENV) $(BIN)/wedsync simulate --scale $(SCALE) --seed $(SEED)
	@mkdir -p $(DAGSTER_HOME) && cp deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@$(WITH_ENV) $(BIN)/python -m orchestration.build

demo: build
	@$(WITH_ENV) $(BIN)/python -m orchestration.serve

test: services
	@$(WITH_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy wedsync serving

clean:
	-@$(BIN)/wedsync services down
	rm -rf .local
