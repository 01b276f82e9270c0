# Kaari: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
# Everything either needs is installed by these targets (see scripts/system-deps.sh for Debian packages).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export KAARI_DATA_DIR ?= $(CURDIR)/var

PY_STAMP := $(VENV)/.installed
PWA_STAMP := pwa_shell/dist/index.html
PWA_SOURCES := $(shell find pwa_shell/src pwa_shell/public pwa_shell/tools -type f 2>/dev/null) $(wildcard pwa_shell/package.json pwa_shell/package-lock.json pwa_shell/build.mjs)

.PHONY: run test lint format pwa system-deps test-deps bench clean

run: $(PY_STAMP) pwa
	$(BIN)/kaari db upgrade
	$(BIN)/kaari seed demo
	@echo "Kaari is starting on http://$${KAARI_HOST:-127.0.0.1}:$${KAARI_PORT:-8000} (Ctrl-C stops it)."
	$(BIN)/kaari serve

test: $(PY_STAMP) pwa test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

system-deps:
	@scripts/system-deps.sh base

PUSH_SERVICE_STAMP := tests/push_service/node_modules/.package-lock.json

test-deps: $(PUSH_SERVICE_STAMP)
	@scripts/system-deps.sh test

# The third-party push service the notification tests and `make bench` send to (npm web-push-testing).
$(PUSH_SERVICE_STAMP): tests/push_service/package.json tests/push_service/package-lock.json | system-deps
	cd tests/push_service && npm ci --no-audit --no-fund --loglevel=error

$(PY_STAMP): pyproject.toml | system-deps
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Kaari needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

pwa: $(PWA_STAMP)

$(PWA_STAMP): $(PWA_SOURCES)
	@if [ -f pwa_shell/package.json ]; then \
		cd pwa_shell && npm ci --no-audit --no-fund --loglevel=error && npm run build; \
	fi

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(PY_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(PY_STAMP) $(PUSH_SERVICE_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) pwa_shell/node_modules pwa_shell/dist tests/push_service/node_modules .pytest_cache .ruff_cache
