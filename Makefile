# Riik: `make run` (embedded server with demo data), `make test`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= postgres,redis,rabbitmq,dev
DEMO_COMPANIES ?= 200
# make run: a devnet raising each block one level per beat tick (docs/adr/0040-*).
RIIK_CONSENSUS ?= devnet
RIIK_DEVNET_STEPWISE ?= 1
RUN_ENV := RIIK_CONSENSUS=$(RIIK_CONSENSUS) RIIK_DEVNET_STEPWISE=$(RIIK_DEVNET_STEPWISE)

.PHONY: install run test test-fast lint bench bench-national worker clean openapi messages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

install: $(BIN)/.installed

run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py demo --if-empty --companies $(DEMO_COMPANIES)
	$(RUN_ENV) $(BIN)/python manage.py serve 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest

# The inner loop: tests that need no database, no broker and no long runs.
test-fast: install
	$(BIN)/python -m pytest -m "not database and not slow and not broker and not postgres and not fuzz"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# The finality run adds the cluster when CELERY_BROKER_URL names a broker; the writers'
# scaling (1, 2, 4, 8 processes) needs DATABASE_URL to name PostgreSQL.
bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.finality
	$(BIN)/python -m bench.block_cost
	$(BIN)/python -m bench.citizen_load
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python -m bench.writers --database-url "$$DATABASE_URL";; \
	  *) echo "bench.writers: set DATABASE_URL to a PostgreSQL database to measure 1-8 writers";; esac

# Estonia on one machine (bench/README.md, "The national dataset"): seeds `demo --country
# estonia` at each scale on PostgreSQL and measures reads, writes, searches and pages. Not in CI.
NATIONAL_SCALES ?= 0.0005,0.002
bench-national: install
	$(BIN)/python -m bench.national --scales $(NATIONAL_SCALES)

# The committed OpenAPI schema (tests/config/test_openapi.py fails when it is stale).
openapi: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

# The Estonian catalog: extract marked strings (needs gettext), translate the
# new entries in locale/et/LC_MESSAGES/django.po, then compile it.
messages: install
	$(BIN)/python manage.py makemessages -l et --no-location --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages -l et

# Scaled mode: a Celery worker with the beat, on the broker in CELERY_BROKER_URL.
worker: install
	$(BIN)/celery -A config worker --beat --loglevel=INFO --pool=prefork --concurrency=2

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .hypothesis
