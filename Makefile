# Fortress developer commands. `make run` and `make test` each do their own set-up.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DATASETS ?= $(abspath ../shared/datasets)

.PHONY: setup run train test test-slow lint bench docs clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project with its dev tools

run: $(STAMP)  ## train the reference ensemble if the registry is empty, then show it
	$(VENV)/bin/fortress up

train: $(STAMP)  ## train all twelve models on the real datasets
	$(VENV)/bin/fortress train --datasets-dir $(DATASETS)

test: $(STAMP)  ## the default suite (~20 min): everything but the tests marked slow
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)  ## the tests marked slow (each > ~20 s); CI runs them after `make test`
	$(PY) -m pytest -q -m slow; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]  # 5: none collected

lint: $(STAMP)  ## ruff + mypy --strict
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy --strict src

bench: $(STAMP)  ## benchmarks (see docs/BENCHMARKS.md)
	$(PY) -m bench.run

docs: $(STAMP)  ## regenerate docs/MODELS.md from the registry
	$(VENV)/bin/fortress docs models

clean:
	rm -rf $(VENV) .fortress .mypy_cache .ruff_cache .pytest_cache
