# Every target creates what it needs (the virtual environment, the engine); nothing has to be
# installed by hand except Python 3.11+, make and, unless a Pulumi CLI is on PATH, Go.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools/bin
STACK ?= dev
# State: Pulumi.yaml's backend (.pulumi-state here, no Pulumi Cloud account needed) unless
# PULUMI_BACKEND_URL is set, so `make` and `pulumi` typed in the same shell use the same stacks.

.PHONY: help venv engine demo test e2e lint preview up recover drift health impact bench mutate stack pulumi-yaml docs clean
.DEFAULT_GOAL := help

# `make help` lists every target whose line carries a `## ` description, so the list cannot
# drift from the targets (tests/test_make.py checks that every .PHONY target has one).
help: ## list the targets, one line each (this list; the default)
	@awk -F ':.*## ' '/^[A-Za-z][A-Za-z0-9_-]*:.*## / { printf "  make %-8s %s\n", $$1, $$2 }' $(firstword $(MAKEFILE_LIST))
	@echo "Variables: STACK (default dev), PULUMI_BACKEND_URL (default Pulumi.yaml's backend, .pulumi-state/), PYTHON."

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed-dev ## create .venv from the pinned requirements*.txt

# The policy pack runs in a virtual environment of its own (policies/requirements.txt). It runs
# from this repository (`--policy-pack policies`) and imports the repository's rules/, so
# publishing it on its own (`pulumi policy publish`) would need rules/ vendored into policies/.
policies/venv/.installed: policies/requirements.txt
	$(PYTHON) -m venv policies/venv
	policies/venv/bin/python -m pip install --quiet --disable-pip-version-check -r policies/requirements.txt
	touch $@

engine: ## put the pinned Pulumi CLI in .tools/bin (a pulumi on PATH, else built with Go)
	@bash engine/build.sh

# actionlint (pinned in requirements-dev.txt) checks .github/workflows: syntax, expressions and
# contexts, the inputs passed to each action, and every `run:` with shellcheck. It takes the
# shellcheck first on PATH and skips that check without a word when there is none, so the venv's
# pinned one goes first. It does not lint composite actions (.github/actions/*/action.yml;
# upstream https://github.com/rhysd/actionlint/issues/46): it reads one only where a workflow uses
# it, for the inputs and the steps' keys. tests/composite_shellcheck.py gives their `run:` scripts
# the same shellcheck.
lint: venv ## ruff, then actionlint with shellcheck on .github/ (workflows and composite actions)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH="$(CURDIR)/$(BIN):$$PATH" "$(CURDIR)/$(BIN)/actionlint"
	PATH="$(CURDIR)/$(BIN):$$PATH" "$(CURDIR)/$(BIN)/python" "$(CURDIR)/tests/composite_shellcheck.py"

test: lint policies/venv/.installed ## lint, then the unit tests (pytest)
	$(BIN)/python -m pytest

demo: venv engine policies/venv/.installed ## a stack's whole life on the real CLI against a local tenant
	$(BIN)/python -m tests.e2e.demo

e2e: venv engine policies/venv/.installed ## the real-engine tests (pytest -m e2e tests/e2e)
	$(BIN)/python -m pytest -m e2e tests/e2e

bench: venv engine policies/venv/.installed ## the benchmarks (provider lifecycle, build, throttling, real engine, impact)
	$(BIN)/python -m benchmarks.provider_lifecycle
	$(BIN)/python -m benchmarks.program_build
	$(BIN)/python -m benchmarks.throttling
	$(BIN)/python -m benchmarks.real_engine --markdown docs/testing.md
	$(BIN)/python -m benchmarks.state_size
	$(BIN)/python -m benchmarks.impact

# Mutation testing of rules/, providers/, clients/ and the adoption and drift-report logic, each
# with the unit tests that cover it; writes docs/mutation.md (tests/test_mutation_results.py
# fails when a module changed since). Long: not part of `make test` or .ci/run; incremental;
# MINUTES=20 stops each group after 20 minutes, and the next run goes on from there.
mutate: venv ## mutation testing (mutmut) of rules, providers, clients, adoption, drift report; writes docs/mutation.md
	$(BIN)/python -m tests.mutate $(if $(MINUTES),--minutes $(MINUTES)) $(if $(CHILDREN),--max-children $(CHILDREN))

# A preview writes no state, so it runs with PULUMI_SKIP_CHECKPOINTS: the engine then builds the
# whole state once instead of after every step, the same changes in linear time
# (rules/checkpoints.py). Never for up, below.
preview: venv engine ## pulumi preview --diff of STACK (creates the stack if missing)
	mkdir -p .pulumi-state
	PATH="$(TOOLS):$$PATH" pulumi stack select --create $(STACK)
	PULUMI_SKIP_CHECKPOINTS=true PATH="$(TOOLS):$$PATH" pulumi preview --stack $(STACK) --diff

# `pulumi up` behind the same guard as the deploy workflow: a state with pending operations (an
# interrupted deploy) stops it with the plan from tools.recover, since an up would create again
# what the killed run already made (docs/recovery.md); so does PULUMI_SKIP_CHECKPOINTS in the
# environment, under which a killed up would leave nothing to recover (rules/checkpoints.py).
# The CLI asks before it changes anything.
up: venv engine policies/venv/.installed ## pulumi up of STACK with the policy pack, after checking for an interrupted deploy
	PATH="$(TOOLS):$$PATH" $(BIN)/python -m tools.recover --stack $(STACK) --before-deploy
	PATH="$(TOOLS):$$PATH" pulumi up --stack $(STACK) --refresh --diff --policy-pack policies \
		$(if $(wildcard policies/config/$(STACK).json),--policy-pack-config policies/config/$(STACK).json)

recover: venv engine ## what an interrupted deploy of STACK left, and the way back (APPLY=1 carries it out)
	PATH="$(TOOLS):$$PATH" $(BIN)/python -m tools.recover --stack $(STACK) $(if $(APPLY),--apply)

# The drift check of one stack, exactly as the drift workflow runs it (0 none, 2 drift, 1 failed).
drift: venv engine ## the drift check of STACK (exit 0 none, 2 drift, 1 failed)
	PATH="$(TOOLS):$$PATH" $(BIN)/python -m scripts.drift_check --stack $(STACK)

stack: venv ## a new environment: make stack NAME=staging [AFTER=dev] [FROM=dev] [DISPLAY_NAME=…]
	$(BIN)/python -m tools.new_stack --name "$(NAME)" $(if $(AFTER),--after "$(AFTER)") \
		$(if $(FROM),--from "$(FROM)") $(if $(DISPLAY_NAME),--display-name "$(DISPLAY_NAME)")

pulumi-yaml: venv ## write Pulumi.yaml's config block from components/settings.py (tests check it)
	$(BIN)/python -m tools.pulumi_yaml

# docs/reliability.md from the matrices the tests record, and docs/configuration.md's settings
# table from Pulumi.yaml (tests/test_reliability_doc.py and tests/test_docs.py check both).
docs: pulumi-yaml ## regenerate docs/configuration.md and docs/reliability.md (tests check both)
	$(BIN)/python -m tests.config_reference docs/configuration.md
	$(BIN)/python -m tests.reporting docs/reliability.md

# The provisioning health of one stack: job status and recent provisioning logs; docs/health.md.
health: venv engine ## the provisioning health of STACK (exit 0 healthy, 2 unhealthy, 1 failed)
	PATH="$(TOOLS):$$PATH" $(BIN)/python -m tools.health --stack $(STACK)

# Who gains or loses Asana if STACK's settings are deployed, before `up`: docs/impact.md.
impact: venv engine ## who gains or loses Asana if STACK is deployed (exit 0 nobody, 2 someone, 1 cannot tell, 3 past maxAccessLoss)
	PATH="$(TOOLS):$$PATH" $(BIN)/python -m tools.impact --stack $(STACK)

clean: ## remove the virtual environments, caches, .demo and .e2e
	rm -rf $(VENV) policies/venv .pytest_cache .ruff_cache .demo .e2e
