# SalonBook: `make run` for the app on its embedded defaults, `make test` for the suite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PASSWORD ?= salonbook-demo
TEST_DATABASE_URL ?= postgres://root@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install install-dev run test check test-sqlite test-postgres bench-smoke check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

install-dev: $(BIN)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo --password $(PASSWORD)
	@echo ""
	@echo "  SalonBook is starting on http://$(HOST):$(PORT)/"
	@echo "    staff pages  http://$(HOST):$(PORT)/staff/   (owner or staff / $(PASSWORD))"
	@echo "    API docs     http://$(HOST):$(PORT)/api/docs/"
	@echo "    admin        http://$(HOST):$(PORT)/admin/   (admin / $(PASSWORD))"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Lint and types first, then the whole suite: on SQLite with a local-memory
# cache, then again on PostgreSQL + Redis. Without them the second run is
# skipped, unless REQUIRE_SERVICES=1 (CI), where it must run.
test: check test-sqlite test-postgres

# Lint (ruff), the direction of imports between apps (import-linter) and
# types (mypy with django-stubs and djangorestframework-stubs); settings for
# all three in pyproject.toml.
check: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test-sqlite: install-dev
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install-dev
	@if $(BIN)/python -c "import psycopg, sys; psycopg.connect('$(TEST_DATABASE_URL)', connect_timeout=2).close()" 2>/dev/null; then \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
			$(BIN)/pytest $(PYTEST_ARGS); \
	elif [ "$$REQUIRE_SERVICES" = "1" ]; then \
		echo "PostgreSQL at $(TEST_DATABASE_URL) is required but not reachable" >&2; exit 1; \
	else \
		echo "Skipping the PostgreSQL + Redis run: PostgreSQL not reachable at $(TEST_DATABASE_URL)"; \
	fi

# The quick part of the load and fault runs (the full ones: benchmarks/README.md).
bench-smoke: install-dev
	$(BIN)/python -m benchmarks.race --clients 50 --rounds 3
	$(BIN)/python -m benchmarks.faults redis --outage 10 --connections 4 --pace 25
	$(BIN)/python -m benchmarks.faults postgres

# Production settings as the README's steps use them: static files collected first.
check-deploy: install
	export DEBUG=false SECRET_KEY=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(64))") \
		REDIS_URL=$(TEST_REDIS_URL) ALLOWED_HOSTS=salonbook.example.com && \
	$(BIN)/python manage.py collectstatic --noinput -v 0 && \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var staticfiles
