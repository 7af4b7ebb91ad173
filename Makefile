# Eventi: `make run` serves the demo site, `make test` runs the whole suite.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi:app

.PHONY: browser-deps run test test-repeat install install-dev assets translations migrate lint audit bench screenshots clean serve lock cluster-test cluster-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Every Python dependency comes from a lock with hashes (`make lock` writes them from the
# ranges in pyproject.toml); installing the project afterwards finds them all in place.
# A dependency added to pyproject.toml but not yet locked is still installed (from its
# range, unhashed) so nothing breaks; tests/test_lock.py fails until `make lock` is run.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

LOCK_OPTIONS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: | $(BIN)/python
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile $(LOCK_OPTIONS) -o requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra dev -o requirements-dev.lock pyproject.toml

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

# Each catalogue is compiled only when its .po is newer than its .mo.
PO_FILES := $(wildcard app/translations/*/LC_MESSAGES/*.po app/*/translations/*/LC_MESSAGES/*.po)
translations: $(PO_FILES:.po=.mo)
$(PO_FILES:.po=.mo): %.mo: %.po | $(BIN)/python
	@$(BIN)/pybabel -q compile -f -i $< -o $@

migrate: install
	$(BIN)/flask db upgrade

# One process (app/prepare.py) migrates, loads the demo when the database has none, then
# serves with the app preloaded beside the scheduler; Ctrl-C stops both, without an error.
run: install
	@export BASE_URL="$${BASE_URL:-http://127.0.0.1:$(PORT)}" EVENTI_SETTINGS=local \
	  GUNICORN_BIND=127.0.0.1:$(PORT) GUNICORN_WORKERS=2; \
	exec $(BIN)/python -m app.prepare serve

test: install-dev
	$(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL =="; \
	  DATABASE_BACKEND=postgres $(BIN)/pytest; \
	fi

# Two app hosts behind Debian's nginx, PostgreSQL, Redis, two schedulers and an SMTP relay,
# all on this machine's loopback addresses, through the files in deploy/ (tests/cluster/).
cluster-deps:
	@command -v nginx >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing nginx (its default site is not started)"; \
	  $$SUDO apt-get update -qq; \
	  made=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' | $$SUDO tee /usr/sbin/policy-rc.d >/dev/null; \
	    $$SUDO chmod +x /usr/sbin/policy-rc.d; made=1; fi; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null; \
	  status=$$?; [ -n "$$made" ] && $$SUDO rm -f /usr/sbin/policy-rc.d; exit $$status; }
	@command -v redis-server >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null; }

cluster-test: install-dev cluster-deps
	$(BIN)/python -m tests.cluster.run

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

# Known vulnerabilities: pip-audit over the virtualenv, npm audit over the lock. Without
# network it says the databases cannot be reached and exits 0 (see tools/audit.py).
audit: install-dev
	$(BIN)/python tools/audit.py

bench: install-dev
	$(BIN)/python bench/run_all.py

screenshots: install-dev
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) node_modules static/vendor
