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
lint: $(STAMP) ## ruff, mypy, terraform fmt -check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	terraform fmt -check -recursive $(TF_DIR)

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
test: $(STAMP) tools build-local $(CHECKOV_STAMP) ## Install everything, then run every test (unit, local AWS, Terraform, e2e, browser)
	MOVERS_REQUIRE_CHECKOV=1 $(VENV)/bin/pytest -q

.PHONY: test-infra
test-infra: $(STAMP) tools build-local $(CHECKOV_STAMP) ## Terraform fmt/validate/test, checkov, IAM plan check
	MOVERS_REQUIRE_CHECKOV=1 $(VENV)/bin/pytest -q tests/infrastructure

.PHONY: test-unit
test-unit: $(STAMP) ## Pure unit tests only (no servers)
	$(VENV)/bin/pytest -q tests/unit

.PHONY: test-int
test-int: $(STAMP) tools build-local ## Tests that need the local AWS and Terraform
	$(VENV)/bin/pytest -q tests/local tests/integration tests/e2e

.PHONY: check
check: lint test ## What a reviewer runs: lint + every test

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
.PHONY: plan
plan: build ## terraform plan for ENV=dev|prod against AWS
	cd $(TF_DIR) && terraform init -input=false && terraform plan -var-file=environments/$(ENV).tfvars

.PHONY: deploy
deploy: build ## terraform apply for ENV=dev|prod against AWS
	cd $(TF_DIR) && terraform init -input=false && terraform apply -var-file=environments/$(ENV).tfvars

.PHONY: destroy
destroy: ## terraform destroy for ENV=dev|prod
	cd $(TF_DIR) && terraform destroy -var-file=environments/$(ENV).tfvars

# ---------------------------------------------------------------------------------------------- misc
.PHONY: bench
bench: $(STAMP) tools build-local ## Benchmarks; prints figures with ratios and writes bench/results.json
	$(PY) -m bench

.PHONY: clean
clean: ## Remove build output, caches and local stack state (keeps .venv)
	rm -rf build .local .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
	rm -rf $(TF_DIR)/.terraform
