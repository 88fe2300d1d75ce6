# bwp-privacy: `make demo` and `make test` work on a fresh machine (they install what they need).
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen
export SAM_CLI_TELEMETRY := 0
# aws-sam-cli pins old boto3/pydantic: it runs in its own throwaway environment, never ours.
SAM := $(UV) tool run --from aws-sam-cli==1.170.0 sam
# sam build needs the functions' runtime, python3.13, on PATH: found on PATH, in pyenv, or
# among uv's interpreters (`make sam-build` asks uv to install one when none is found).
# Override with SAM_PYTHON=/path/to/python3.13.
SAM_PYTHON ?= $(firstword $(shell command -v python3.13 2>/dev/null | grep -v /shims/) \
	$(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13) \
	$(shell $(UV) python find 3.13 2>/dev/null))
# checkov and aws-sam-translator pin old boto3/pydantic too: same treatment.
CHECKOV_ENV := $(UV) tool run --from checkov==3.3.30 --with aws-sam-translator==1.115.0

.PHONY: help setup demo soak soak-reaction storm sandbox test lint typecheck format check-requirements requirements sam-build validate \
	check checkov bandit audit deploy cli-schemas cost storm-model

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --reinstall-package bwp-privacy
	@touch $@

setup: .venv/.synced ## create .venv with every dependency from uv.lock

demo: setup ## offline: start the sandbox and replay every event in events/ through the handler
	$(RUN) python -m bwp_sandbox.demo

EVENTS ?= 2000
SEED ?= 7
REPORT ?= $(or $(TMPDIR),/tmp)/bwp-privacy-soak.md
soak: setup ## chaos soak: EVENTS deliveries (default 2000), seeded faults; REPORT=docs/soak.md updates the committed report
	$(RUN) python -m bwp_sandbox.soak --events $(EVENTS) --seed $(SEED) --markdown $(REPORT)
	@echo "report: $(REPORT)"

CASES ?= 200
REACTION_REPORT ?= $(or $(TMPDIR),/tmp)/bwp-privacy-soak-reaction.md
soak-reaction: setup ## chaos soak of the reaction: CASES cases over weeks of the sandbox clock; REACTION_REPORT=docs/soak-reaction.md updates the committed report
	$(RUN) python -m bwp_sandbox.soak.reaction --cases $(CASES) --seed $(SEED) --markdown $(REACTION_REPORT)

# FAILURES: storm-model's variable too (its default is its own); the storm's default is 1000.
STORM_FAILURES = $(if $(filter file,$(origin FAILURES)),1000,$(or $(FAILURES),1000))
BUDGET ?= 10
ENVIRONMENTS ?= 8
STORM_REPORT ?= $(or $(TMPDIR),/tmp)/bwp-privacy-storm.md
storm: setup ## storm: FAILURES failures of one merchant at once (default 1000: 5000 takes hours, docs/storm.md), ENVIRONMENTS concurrent environments, the API's rate against BUDGET req/s (EMULATOR_LIMIT: the emulator's limit, default the budget, 0 none); STORM_REPORT=docs/storm.md updates the committed report
	$(RUN) python -m bwp_sandbox.soak.storm --failures $(STORM_FAILURES) --budget $(BUDGET) --environments $(ENVIRONMENTS) --seed $(SEED) $(if $(EMULATOR_LIMIT),--emulator-limit $(EMULATOR_LIMIT)) --markdown $(STORM_REPORT)
	@echo "report: $(STORM_REPORT)"

sandbox: setup ## run the emulator (:8787) and moto (:5000) in the foreground, stack deployed
	$(RUN) bwp-privacy sandbox

# pytest-xdist: PYTEST_WORKERS processes (CI has 2 cores), each with its own sandbox; the order in
# which the tests are handed out is tests/conftest.py's. PYTEST_WORKERS=0: serially, in one process.
PYTEST_WORKERS ?= 2
test: setup lint typecheck check-requirements check ## format check, lint, mypy, security checks and the whole test suite
	$(RUN) pytest -n $(PYTEST_WORKERS) --dist loadgroup

lint: setup ## ruff format --check, ruff check, and the import rules (pyproject [tool.importlinter])
	$(RUN) ruff format --check .
	$(RUN) ruff check .
	$(RUN) lint-imports --no-cache

typecheck: setup ## mypy (strict) over the library, functions, CLI, dev tooling and tests
	$(RUN) mypy shared functions cli dev tests

format: setup ## apply ruff format and the safe fixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

requirements: ## regenerate shared/requirements.txt (the layer's dependencies) from uv.lock
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --prune boto3 --prune botocore --prune click --prune rich --prune jinja2 --no-header -o shared/requirements.txt -q

cost: setup ## rewrite docs/cost.md ("What it costs") from the template's own counts (dev/cost: prices.toml, usage.toml)
	$(RUN) python -m cost --write-readme

# The storm model (dev/storm_model): FAILURES failures of one merchant in an hour, played in
# simulated time with the template's numbers; STORM_MODEL_ARGS sets parameters as a merchant
# would (e.g. --recorder-concurrency 10 --reaction-concurrency 10, --before, --budget 5).
FAILURES ?= 100000
STORM_MODEL_REPORT ?= $(or $(TMPDIR),/tmp)/bwp-privacy-storm-model.md
STORM_MODEL_ARGS ?=
storm-model: setup ## model a storm of FAILURES failures in an hour (API rate, cases, alerts, DynamoDB, cost); report in STORM_MODEL_REPORT
	$(RUN) python -m storm_model --failures $(FAILURES) --markdown $(STORM_MODEL_REPORT) $(STORM_MODEL_ARGS)

cli-schemas: setup ## regenerate cli/bwp_privacy_cli/schemas/*.json (the --json output of each command) from its models
	$(RUN) python -m bwp_privacy_cli.schemas

report-screenshot: setup ## regenerate docs/report.png: the compliance report in headless Chromium (apt-get installs it if missing)
	BWP_UPDATE_DOCS=1 $(RUN) pytest -q -s -rs tests/browser/test_report_browser.py -k screenshot

check-requirements: setup ## the layer's requirements match uv.lock
	@$(UV) export --frozen --no-dev --no-emit-project --no-hashes --prune boto3 --prune botocore --prune click --prune rich --prune jinja2 --no-header -q | diff -u shared/requirements.txt - \
		|| { echo "shared/requirements.txt is stale: run 'make requirements'"; exit 1; }

validate: setup ## cfn-lint with the serverless rules
	$(RUN) cfn-lint template.yaml templates/*.yaml --append-rules cfn_lint_serverless.rules

check: checkov bandit audit ## security checks: checkov, bandit, pip-audit

checkov: ## checkov on template.yaml, as written and after the SAM transform (own environment)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(CHECKOV_ENV) python dev/bwp_sandbox/iam/sam_transform.py template.yaml "$$tmp/transformed.json" && \
	BC_SKIP_MAPPING=TRUE $(CHECKOV_ENV) checkov --framework cloudformation --quiet --compact \
		--skip-download -f template.yaml $(addprefix -f ,$(wildcard templates/*.yaml)) -f "$$tmp/transformed.json"

# dev/ (the sandbox's local stand-ins and the benchmark, never deployed) also skips B311 (fault injection and jitter are not
# cryptography) and B506 (stack.py's loader subclasses yaml.SafeLoader): ruff ignores or noqa's both.
bandit: setup ## bandit over the shipped code, the CLI and the sandbox (skips: pyproject [tool.bandit])
	$(RUN) bandit -q -c pyproject.toml -r shared functions cli
	$(RUN) bandit -q -c pyproject.toml -r dev -s B101,B105,B106,B108,B311,B506

# pip-audit over what ships (dev/dependency_audit): the Lambda layer's pins and the CLI and
# library a merchant installs, one line each; the dev tools ship nowhere and are only counted.
# pip-audit asks PyPI for each version's known vulnerabilities: where PyPI gives no data the
# line says so, and PIP_AUDIT_FLAGS=--strict makes that a failure.
audit: setup ## pip-audit over what ships: the layer and the CLI (dev tools counted, not audited)
	$(RUN) python -m dependency_audit $(PIP_AUDIT_FLAGS)

# Where sam build writes the artefacts (sam deploy reads .aws-sam/build; tests build elsewhere).
SAM_BUILD_DIR ?= .aws-sam/build
# More `sam build` options: the layer test gives its build a cache of its own (--cache-dir), as
# sam's clean-up of the shared .aws-sam/cache once failed under a busy machine (OSError in rmtree).
SAM_BUILD_FLAGS ?=
# Then every module it ships gets its bytecode for the runtime's Python: Lambda's /var/task and
# /opt are read-only, so a module without a .pyc is compiled again at every cold start. The
# layer's Makefile (shared/Makefile) compiles the layer (so it is left out here: -x); sam's
# python_pip builder copies the functions without compiling them (it even leaves out any .pyc),
# so they are compiled here. unchecked-hash: the .pyc is used as it is, whatever the zip does
# to file times. tests/template/test_layer_build.py checks the result.
sam-build: ## sam build without Docker, with a local python3.13 (found or installed; SAM_PYTHON=... to choose), with bytecode
	@python=$(SAM_PYTHON); \
	if [ -z "$$python" ]; then \
		echo "No python3.13 found: asking uv to install one (SAM_PYTHON=/path/to/python3.13 to use another)"; \
		$(UV) python install 3.13 && python=$$($(UV) python find 3.13); \
	fi; \
	[ -x "$$python" ] || { echo "sam build needs python3.13 (the functions' runtime): install one, or pass SAM_PYTHON=/path/to/python3.13"; exit 1; }; \
	echo "sam build with $$python"; \
	PATH="$$(dirname "$$python"):$$PATH" PYTHON="$$python" $(SAM) build --template template.yaml \
		--build-dir "$(SAM_BUILD_DIR)" $(SAM_BUILD_FLAGS) && \
	"$$python" -m compileall -q -j0 --invalidation-mode unchecked-hash -x 'Layer/python/' "$(SAM_BUILD_DIR)"

deploy: sam-build ## sam deploy --guided, run as sam-build runs sam (asks for the parameters; samconfig.toml keeps them)
	$(SAM) deploy --guided

# Every function's cold start and warm cost against its baseline on a Lambda-like python3.13
# runtime, then the recorder's bulk replay (BENCH_EVENTS events per run) and its package size:
# the tables on the terminal, the raw figures as JSON under BENCH_RESULTS (a scratch or CI
# artefact directory; never committed). BENCH_FLAGS=--quick tries the harness in minutes.
BENCH_EVENTS ?= 250
BENCH_RESULTS ?= $(or $(TMPDIR),/tmp)/bwp-privacy-bench
BENCH_FLAGS ?=
.PHONY: bench
bench: setup ## every function against a bare baseline, as ratios: tables on the terminal, JSON under BENCH_RESULTS
	UV="$(UV)" $(RUN) python -m bench.run --events $(BENCH_EVENTS) --results "$(BENCH_RESULTS)" $(BENCH_FLAGS)

INBOUND_REQUESTS ?= 200
.PHONY: bench-inbound
bench-inbound: setup ## the inbound function's time to answer INBOUND_REQUESTS (200) Slack button presses over HTTP in the sandbox: p50, p99
	$(RUN) python -m bench.inbound_latency --requests $(INBOUND_REQUESTS)
