# bwp-privacy: `make demo` and `make test` work on a fresh machine (they install what they need).
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen
export SAM_CLI_TELEMETRY := 0
# aws-sam-cli pins old boto3/pydantic: it runs in its own throwaway environment, never ours.
SAM := $(UV) tool run --from aws-sam-cli==1.170.0 sam
SAM_PYTHON ?= $(shell pyenv root 2>/dev/null)/versions/3.13.0/bin

.PHONY: help setup demo sandbox test lint typecheck format check-requirements requirements sam-build validate

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --reinstall-package bwp-privacy
	@touch $@

setup: .venv/.synced ## create .venv with every dependency from uv.lock

demo: setup ## offline: start the sandbox and replay every event in events/ through the handler
	$(RUN) python -m bwp_sandbox.demo

sandbox: setup ## run the emulator (:8787) and moto (:5000) in the foreground, stack deployed
	$(RUN) bwp-privacy sandbox

test: setup lint typecheck check-requirements ## format check, lint, mypy and the whole test suite
	$(RUN) pytest

lint: setup ## ruff format --check and ruff check
	$(RUN) ruff format --check .
	$(RUN) ruff check .

typecheck: setup ## mypy (strict) over the library, functions, sandbox and tests
	$(RUN) mypy shared functions sandbox cli tests

format: setup ## apply ruff format and the safe fixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

requirements: ## regenerate shared/requirements.txt (the layer's dependencies) from uv.lock
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --prune boto3 --prune botocore --prune click --prune rich --no-header -o shared/requirements.txt -q

check-requirements: setup ## the layer's requirements match uv.lock
	@$(UV) export --frozen --no-dev --no-emit-project --no-hashes --prune boto3 --prune botocore --prune click --prune rich --no-header -q | diff -u shared/requirements.txt - \
		|| { echo "shared/requirements.txt is stale: run 'make requirements'"; exit 1; }

validate: setup ## cfn-lint with the serverless rules
	$(RUN) cfn-lint template.yaml --append-rules cfn_lint_serverless.rules

sam-build: ## sam build (needs python3.13 on PATH; no Docker)
	PATH="$(SAM_PYTHON):$$PATH" $(SAM) build --template template.yaml
