# c2m-marketplace: `make run` starts the platform, `make test` runs the suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-browser lint fmt bench bench-floor bench-floor-dashboards bench-notify venv services migrate clean vendor messages chaos load scale

# pip warns about every configured package location that does not exist ("Location ... is ignored"):
# those lines are hidden, everything else is shown, and pip's exit status is kept (pipefail).
$(STAMP): requirements.txt requirements-dev.txt scripts/find-python.sh
	@PYBIN=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYBIN"; $$PYBIN -m venv $(VENV) || exit 1; fi
	@echo "Installing the pinned packages into $(VENV)"
	@set -o pipefail; $(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt 2>&1 \
		| { grep -v "^WARNING: Location '.*' is ignored" || true; }
	@touch $(STAMP)

venv: $(STAMP)

## Run the platform: migrations, demo data, then web server, Celery worker and beat under supervisord
## (scripts/supervisord.conf), which restarts any that dies; Ctrl-C stops them all.
run: $(STAMP)
	@VENV=$(VENV) bash scripts/run.sh

## Run the whole test suite against PostgreSQL and Redis.
test: $(STAMP)
	@$(PY) scripts/check_services.py
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

## Browser tests: Playwright drives Debian's Chromium (apt-get install chromium) against a live server.
## Screenshots of every page land in artifacts/screenshots/. tests/browser/test_accessibility.py audits every
## page with axe-core (tests/browser/vendor/axe.min.js, from `make vendor`) and fails on serious or critical findings.
test-browser: $(STAMP)
	@$(PY) scripts/check_services.py
	$(PY) -m pytest -m browser tests/browser $(PYTEST_ARGS)

## ruff (lint + format check), mypy, and a check that models and migrations agree.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy .
	$(VENV)/bin/mypy scripts/*.py  # run as `python scripts/x.py`: scripts/ is their import root
	DATABASE_URL=sqlite:///:memory: DJANGO_SETTINGS_MODULE=marketplace.settings.test $(PY) manage.py makemigrations --check --dry-run

fmt: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Matching benchmark: engine vs first-fit vs offline optimum; writes bench/results.json.
bench: $(STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

## Copy the front-end libraries pinned in package.json (npm registry) into the pages' static files, and
## axe-core (the accessibility audit's engine, never served) beside the browser tests. Both copies are committed.
vendor:
	npm ci --no-audit --no-fund
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md web/static/web/vendor/
	mv web/static/web/vendor/LICENSE.md web/static/web/vendor/chart.js-LICENSE.md
	cp node_modules/axe-core/axe.min.js tests/browser/vendor/
	cp node_modules/axe-core/LICENSE tests/browser/vendor/axe-core-LICENSE

## Re-extract the pages' strings into locale/zh_Hans and compile the catalog (needs GNU gettext).
MESSAGES_IGNORE := .venv/* node_modules/* factories/* orders/* matching/* floor/* marketplace/accounts/* \
	marketplace/api/* marketplace/settings/* tests/* bench/* scripts/* staticfiles/* var/* artifacts/* \
	marketplace/urls.py marketplace/wsgi.py marketplace/celery.py marketplace/errors.py marketplace/health.py \
	marketplace/queue.py manage.py
messages: $(STAMP)
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(PY) manage.py makemessages -l zh_Hans --no-obsolete \
		--no-location --no-wrap $(foreach p,$(MESSAGES_IGNORE),--ignore='$(p)')
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(PY) manage.py compilemessages -l zh_Hans \
		--ignore='.venv/*' --ignore='node_modules/*'

## Floor ingestion benchmark: the bulk endpoint vs a plain COPY of the same rows.
bench-floor: $(STAMP)
	$(PY) -m bench.floor_ingest $(BENCH_ARGS)

## Floor dashboards at 10 million stored events: p50/p95/p99 per endpoint beside a baseline, on a throw-away
## database (created, migrated, dropped). About 6-8 minutes on 2 cores; BENCH_ARGS="--events 2000000" is quicker.
bench-floor-dashboards: $(STAMP)
	$(PY) -m bench.floor_dashboards $(BENCH_ARGS)

## Chaos run: orders flow while workers are SIGKILLed, Redis restarts empty and database sessions are
## dropped; then nothing may be lost or over-booked. Own database (dropped after) and Redis; a few minutes.
chaos: $(STAMP)
	$(PY) scripts/chaos.py

## Notification latency: state change -> SMTP server, push endpoint, webhook receiver (docs/benchmarks.md).
bench-notify: $(STAMP)
	$(PY) scripts/notify_latency.py

## Load test: merchants and factories through the API for ~2 minutes beside a baseline endpoint.
load: $(STAMP)
	$(PY) scripts/load.py

## Matches per second with one and with two worker processes (docs/deployment.md).
scale: $(STAMP)
	$(PY) scripts/scale.py
