# make run  — fresh clone → running portal with demo data (SQLite, embedded broker, LINE sandbox);
#             PORT=8000 SANDBOX_PORT=8090 by default, every URL follows them
# make test — fresh clone → whole suite (SQLite by default; set DATABASE_URL / CELERY_BROKER_URL for PostgreSQL / Redis)
# make mutate — mutation testing of the money/trust modules (docs/mutation-testing.md); not in CI

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/lock.txt | cksum | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium
PORT ?= 8000
SANDBOX_PORT ?= 8090

.PHONY: run test bench bench-quick mutate install chromium lint typecheck layers clean

$(STAMP): requirements/lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Browser tests drive Debian's chromium; Playwright's own browser download is never used.
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium' (browser tests are skipped without it)"; \
	  fi; }

run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) $(PY) manage.py run_demo $(if $(ROTATE_KEY),--rotate-key)

test: install chromium
	mkdir -p var
	CELERY_FILESYSTEM_DIR=var/test-celery $(PY) -m pytest

# Mutation testing: mutmut over the modules in tools/mutate.py, each mutant checked by that
# module's fast tests; survivors go to var/mutation/report.md. MODULES=billing.services for one.
# Runs on SQLite at low priority; too slow for .ci/run.
# Every benchmark with its defaults, one after another, into bench/RESULTS.md (about 30 min on 2 cores).
bench: install
	$(PY) bench/run_all.py

# The same at small sizes: checks that every benchmark still runs (a few minutes).
bench-quick: install
	$(PY) bench/run_all.py --quick --output var/bench-quick.md

mutate: install
	mkdir -p var
	nice -n 15 $(PY) tools/mutate.py $(MODULES)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

# The layering contract ([tool.importlinter] in pyproject.toml; docs/architecture.md).
layers: install
	$(VENV)/bin/lint-imports

clean:
	rm -rf var mutants $(VENV)
