# Eventi: `make run` serves the demo site, `make test` runs the whole suite.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi:app

.PHONY: browser-deps run test test-repeat install install-dev assets translations migrate lint bench screenshots clean serve

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed assets translations system-packages
install-dev: $(VENV)/.installed-dev assets translations system-packages browser-deps

# Fonts for PDFs and tools the tests call (pdftotext, qpdf); installed only when missing.
SYSTEM_PACKAGES := fonts-dejavu-core poppler-utils qpdf wrk
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# The browser tests drive Debian's Chromium (never a downloaded browser) and run the
# Nu Html Checker on the machine's Java; both installed only when missing.
browser-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# swagger-ui-dist pulls in @scarf/scarf, whose install script would report the install.
node_modules/.package-lock.json: package.json package-lock.json
	SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.stamp: node_modules/.package-lock.json
	rm -rf static/vendor/bootstrap-italia && mkdir -p static/vendor/bootstrap-italia
	cp -r node_modules/bootstrap-italia/dist/{css,js,fonts,svg} static/vendor/bootstrap-italia/
	rm -rf static/vendor/swagger-ui && mkdir -p static/vendor/swagger-ui
	cp node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,LICENSE} static/vendor/swagger-ui/
	touch $@

assets: static/vendor/.stamp

translations: | $(BIN)/python
	@for d in app/translations app/*/translations; do \
	  [ -d $$d ] && $(BIN)/pybabel -q compile -f -d $$d || true; \
	done

migrate: install
	$(BIN)/flask db upgrade

run: install migrate
	@if $(BIN)/python -m app.demo_needed; then $(BIN)/flask demo load; fi
	@echo "Serving on http://127.0.0.1:$(PORT) (scheduler running beside it); Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	export BASE_URL="$${BASE_URL:-http://127.0.0.1:$(PORT)}"; \
	$(BIN)/flask scheduler run & \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - wsgi:app

test: install-dev
	$(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL =="; \
	  DATABASE_BACKEND=postgres $(BIN)/pytest; \
	fi

# The timing-sensitive groups (concurrency, scheduler, outbox, newsletter) N times over,
# each run in a new random order; every run is reported, and any failure fails the target.
# DATABASE_BACKEND=postgres with TEST_DATABASE_URL runs them on PostgreSQL.
N ?= 5
REPEAT_TESTS := tests/test_registration_concurrency.py tests/test_scheduler.py \
	tests/test_mail_delivery.py tests/test_newsletter_delivery.py \
	tests/test_newsletter_campaigns.py tests/test_newsletter_subscription.py
test-repeat: install-dev
	@failed=0; for i in $$(seq 1 $(N)); do \
	  echo "== test-repeat: run $$i of $(N) =="; \
	  $(BIN)/pytest $(REPEAT_TESTS) || failed=$$((failed + 1)); \
	done; \
	echo "== test-repeat: $$failed of $(N) runs failed =="; \
	[ $$failed -eq 0 ]

lint: install-dev
	$(BIN)/ruff check .

bench: install-dev
	$(BIN)/python bench/run_all.py

screenshots: install-dev
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) node_modules static/vendor
