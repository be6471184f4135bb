# Every target creates what it needs (the virtual environment, the engine); nothing has to be
# installed by hand except Python 3.11+, make and, unless a Pulumi CLI is on PATH, Go.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools/bin
STACK ?= dev
# A local file state backend by default: no Pulumi Cloud account needed.
PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
export PULUMI_BACKEND_URL

.PHONY: venv engine demo test e2e lint preview drift bench clean

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed-dev

# The policy pack runs in a virtual environment of its own, as `pulumi policy publish` expects.
policies/venv/.installed: policies/requirements.txt
	$(PYTHON) -m venv policies/venv
	policies/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policies/requirements.txt
	touch $@

engine:
	@bash engine/build.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

demo: venv engine policies/venv/.installed
	$(BIN)/python -m tests.e2e.demo

e2e: venv engine policies/venv/.installed
	$(BIN)/python -m pytest -m e2e tests/e2e

bench: venv engine policies/venv/.installed
	$(BIN)/python -m benchmarks.provider_lifecycle
	$(BIN)/python -m benchmarks.program_build
	$(BIN)/python -m benchmarks.throttling
	$(BIN)/python -m benchmarks.real_engine

preview: venv engine
	mkdir -p .pulumi-state
	PATH="$(TOOLS):$$PATH" pulumi stack select --create $(STACK)
	PATH="$(TOOLS):$$PATH" pulumi preview --stack $(STACK) --diff

# The drift check of one stack, exactly as the drift workflow runs it (0 none, 2 drift, 1 failed).
drift: venv engine
	PATH="$(TOOLS):$$PATH" $(BIN)/python -m scripts.drift_check --stack $(STACK)

# The provisioning health of one stack: job status and recent provisioning logs (0 healthy,
# 2 unhealthy, 1 failed); docs/health.md.
.PHONY: health
health: venv engine
	PATH="$(TOOLS):$$PATH" $(BIN)/python -m tools.health --stack $(STACK)

clean:
	rm -rf $(VENV) policies/venv .pytest_cache .ruff_cache .demo .e2e
