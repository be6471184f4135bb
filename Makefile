# Every target creates the virtual environment it needs; nothing has to be installed by hand
# except Python 3.11+ (and, for `preview`, the Pulumi CLI).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev
# A local file state backend by default: no Pulumi Cloud account needed.
PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
export PULUMI_BACKEND_URL

.PHONY: venv test lint preview bench clean

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed-dev

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python -m benchmarks.provider_lifecycle
	$(BIN)/python -m benchmarks.program_build
	$(BIN)/python -m benchmarks.throttling

preview: venv
	mkdir -p .pulumi-state
	pulumi stack select --create $(STACK)
	pulumi preview --stack $(STACK) --diff

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
