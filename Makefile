# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app hub
ASSETS := hub/static/govuk

.PHONY: run test lint bench assets clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@ $(VENV)/.installed

## assets: GOV.UK Frontend (pinned in package-lock.json) and the hub's stylesheet, into hub/static/govuk
assets: $(ASSETS)/VERSION

$(ASSETS)/VERSION: package.json package-lock.json hub/assets/hub.scss
	npm ci --no-audit --no-fund --ignore-scripts
	rm -rf $(ASSETS) && mkdir -p $(ASSETS)
	cp -R node_modules/govuk-frontend/dist/govuk/assets $(ASSETS)/assets
	rm -rf $(ASSETS)/assets/fonts  # GDS Transport is only for GOV.UK; the hub uses Arial
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(ASSETS)/
	node_modules/.bin/sass --pkg-importer=node --no-source-map --style=compressed hub/assets/hub.scss $(ASSETS)/hub.css
	node -p "require('./node_modules/govuk-frontend/package.json').version" > $@

## run: set up instance/ (secret, keys, SQLite), add demo data, say what go-live still needs, serve on http://127.0.0.1:5000
run: $(VENV)/.installed $(ASSETS)/VERSION
	$(FLASK) init
	$(FLASK) seed-demo
	-$(FLASK) check  # a local instance misses what production needs; that does not stop it running
	$(FLASK) run --host 127.0.0.1 --port 5000

## test: every test on SQLite and on a throwaway PostgreSQL server, the two runs at once (each keeps one
## core busy); the SQLite run's report is printed after the PostgreSQL one, and either failing fails
test: $(VENV)/.installed-test $(ASSETS)/VERSION
	@report=$$(mktemp); \
	$(BIN)/pytest --db sqlite > "$$report" 2>&1 & sqlite=$$!; \
	$(BIN)/pytest --db postgresql; postgresql=$$?; \
	wait $$sqlite; lite=$$?; \
	echo; echo "The SQLite run:"; cat "$$report"; rm -f "$$report"; \
	test $$postgresql -eq 0 && test $$lite -eq 0

## lint: ruff (with the bandit rules) and its formatting over everything; mypy --strict over hub/, tests/ and benchmarks/
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy  # setup.cfg names the packages: hub, tests, benchmarks

## bench: the benchmarks in benchmarks/, printed as a table
bench: $(VENV)/.installed-test $(ASSETS)/VERSION
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache node_modules $(ASSETS)
