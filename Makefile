# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app hub

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@ $(VENV)/.installed

## run: set up instance/ (secret, keys, SQLite), add demo data, serve on http://127.0.0.1:5000
run: $(VENV)/.installed
	$(FLASK) init
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

## test: every test on SQLite, then on a throwaway PostgreSQL server
test: $(VENV)/.installed-test
	$(BIN)/pytest --db sqlite
	$(BIN)/pytest --db postgresql

## lint: ruff (with the bandit rules) and mypy --strict
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

## bench: the benchmarks in benchmarks/, printed as a table
bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
