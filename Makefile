# SRP WomenAid: `make run` and `make test` from a fresh clone (see README.md).
#
# Without DATABASE_URL the project uses the embedded PostgreSQL server under var/ (srp/embedded_db.py);
# without REDIS_URL, Celery uses kombu's filesystem broker under var/ and the cache is the database.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# Every recipe runs as one bash script, so `make run`'s traps see the processes it started.
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pip runs again only when requirements.txt is newer than this stamp.
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Runs a command in a session of its own: Ctrl-C reaches make, and make's trap stops the command once.
DETACH := $(BIN)/python -c 'import os, sys; os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])'

.PHONY: help venv run test lint migrate db-start db-stop db-status check-deploy bench

help:
	@echo "make run        set up, then serve http://$(HOST):$(PORT)/ with a Celery worker and beat (Ctrl-C stops all;"
	echo "                PORT=8001 for another port)"
	echo "make test       set up, then ruff, makemigrations --check and pytest (PYTEST_ARGS=... to pass options)"
	echo "make lint       ruff check and ruff format --check"
	echo "make bench      set up, then load (or reuse) a synthetic network in its own database and measure the pages"
	echo "                (BENCH_CASES=1000000, BENCH_REQUESTS=500, BENCH_SKIP_WRK=1; see README, Benchmark)"
	echo "make check-deploy  Django's deployment checklist on the production settings (part of make test)"
	echo "make migrate    start the database if embedded, apply migrations, create the cache table"
	echo "make db-stop    stop the embedded PostgreSQL server (db-start, db-status too)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

venv: $(STAMP)

db-start: $(STAMP)
	@if [[ -z "$${DATABASE_URL:-}" ]]; then $(BIN)/python -m srp.embedded_db start; fi

db-stop: $(STAMP)
	@$(BIN)/python -m srp.embedded_db stop

db-status: $(STAMP)
	@$(BIN)/python -m srp.embedded_db status

migrate: db-start
	@$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

lint: $(STAMP)
	@$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint check-deploy db-start
	@DJANGO_SETTINGS_MODULE=srp.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	status=0
	$(BIN)/pytest $(PYTEST_ARGS) || status=$$?
	if (( status == 5 )); then echo "make test: pytest collected no tests (exit 5); that is a failure" >&2; fi
	exit $$status

# The benchmark (README, Benchmark): its own database srp_bench_<cases> on the same server, reused while the
# migrations and BENCH_CASES stay the same; results in bench/results.json and bench/results.md.
BENCH_ARGS ?=
bench: db-start
	@DJANGO_SETTINGS_MODULE=srp.settings.bench $(BIN)/python manage.py bench $(BENCH_ARGS)

# Security: Django's deployment checklist on the production settings, with dummy but valid values
# (nothing connects to them); warnings fail. srp/tests/test_settings.py checks the same and more.
check-deploy: $(STAMP)
	@DJANGO_SETTINGS_MODULE=srp.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	DATABASE_URL=postgres://srp@db.womenaid.invalid:5432/srp ALLOWED_HOSTS=womenaid.example.org \
	REDIS_URL=redis://cache.womenaid.invalid:6379/0 \
	FIELD_ENCRYPTION_KEYS="$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	FIELD_BLIND_INDEX_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

run: $(STAMP)
	@export DJANGO_SETTINGS_MODULE=srp.settings.dev
	# Links in the e-mails the worker prints point at this server.
	export SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"
	mkdir -p var/log
	web="" worker="" started_db=""
	stop_all() {
		trap '' INT TERM HUP
		# runserver's autoreloader has a child: stop its whole group. Celery's main process stops its pool itself.
		if [[ -n $$web ]]; then kill -TERM -- "-$$web" 2>/dev/null || true; fi
		if [[ -n $$worker ]]; then kill -TERM "$$worker" 2>/dev/null || true; fi
		local pid
		for pid in $$web $$worker; do
			for _ in {1..300}; do kill -0 "$$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL -- "-$$pid" 2>/dev/null || true
		done
		if [[ -n $$worker ]]; then echo "Celery worker stopped."; fi
		if [[ -n $$started_db ]]; then $(BIN)/python -m srp.embedded_db stop; fi
	}
	trap stop_all EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	if [[ -z "$${DATABASE_URL:-}" ]]; then
		out=$$($(BIN)/python -m srp.embedded_db start)
		echo "$$out"
		if [[ $$out == *" started: "* ]]; then started_db=1; fi
	fi
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py seed_demo --if-empty
	password=$$($(BIN)/python manage.py shell -v 0 -c "from django.conf import settings; print(settings.DEMO_PASSWORD)")
	$(DETACH) $(BIN)/celery -A srp worker -B --scheduler django_celery_beat.schedulers:DatabaseScheduler \
		--loglevel=info --pidfile=var/celery-worker.pid >>var/log/celery.log 2>&1 &
	worker=$$!
	echo
	echo "SRP WomenAid is starting on http://$(HOST):$(PORT)/"
	echo "  Sign in with any demo login listed above (e.g. bru-coordinator, bru-caseworker1, bru-intake);"
	echo "  the demo password is: $$password   (the Django admin: /admin/ as admin)"
	echo "  At its first sign-in each login sets up its second factor: an authenticator app (see README, Security)."
	echo "  Celery worker with beat runs in the background (pid $$worker); its log, with the e-mails it sends: var/log/celery.log"
	echo "  Ctrl-C stops the web server, the worker$${started_db:+ and the embedded PostgreSQL server}."
	echo
	$(DETACH) $(BIN)/python manage.py runserver $(HOST):$(PORT) &
	web=$$!
	# The state of each part, from /health/, once the worker and beat are up (or after 90 s).
	$(BIN)/python -m srp.health_wait "http://$(HOST):$(PORT)/health/" 90 || true
	wait "$$web"
