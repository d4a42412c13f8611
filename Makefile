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

.PHONY: install run test test-fast test-multidb test-broker lint loc bench bench-national worker clean openapi messages

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

# make test: the whole suite in parallel, one pytest-xdist worker per core
# (config/settings_test.py gives each its own data folder, queues and test
# databases; tests/conftest.py keeps a module, and all broker tests, on one
# worker). The API fuzzer runs on its own: its cases share node ids, which
# xdist's grouping would fold into one. RIIK_TEST_FUZZER=0 leaves it out
# (CI's PostgreSQL pass: it is database-independent and ran on SQLite).
TEST_WORKERS ?= auto
FUZZER := tests/config/test_schemathesis.py
RIIK_TEST_FUZZER ?= 1
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --ignore=$(FUZZER)
ifneq ($(RIIK_TEST_FUZZER),0)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load $(FUZZER)
endif

# The inner loop: tests that need no database, no broker and no long runs. The API
# fuzzer is not even collected: building its cases costs ~35 CPU-s (docs/testing.md).
test-fast: install
	$(BIN)/python -m pytest -m "not database and not slow and not broker and not postgres and not fuzz" \
		--ignore=tests/config/test_schemathesis.py

# Registries in PostgreSQL databases of their own (docs/adr/0069-*): the tests that
# matter when they are spread, run by CI with DATABASE_URL_<REGISTRY> set (.ci/run):
# a title transfer sealed and verified, the court's processes exactly once across
# databases, health and court reads tracked, export and offline verification, one
# bounded event-store pool per database, sign-in tokens and names beside codes with
# the identity registry apart.
MULTIDB_TESTS ?= tests/config/test_databases.py \
	tests/chain/blocks/test_sealing_across_databases.py \
	tests/registries/court/test_processes.py \
	tests/registries/common/test_projections.py \
	tests/registries/tracker/test_every_read_is_tracked.py \
	tests/chain/test_export.py \
	tests/security/test_one_bounded_connection_pool_per_process.py \
	tests/registries/access/test_signin.py \
	tests/registries/business/test_api.py \
	tests/registries/money/test_fees.py \
	tests/registries/property/test_purchase.py
test-multidb: install
	$(BIN)/python -m pytest $(MULTIDB_TESTS)

# The broker tests once more on a second broker (CI: Redis, after the whole suite on
# RabbitMQ): a real worker sealing and finalizing, a worker killed with an
# unacknowledged task (the broker's redelivery), a cluster surviving kill -9 of
# nodes, and the nemesis cutting nodes from the broker while a key rotation is
# certified over it. The membership test's changes travel the way the nemesis's
# rotation does, so it runs on RabbitMQ only. Naming the files also spares
# collecting (and building the API fuzzer's cases for) the whole suite.
BROKER_TESTS ?= tests/chain/test_worker.py \
	tests/chain/cluster/test_cluster.py \
	tests/chain/cluster/test_nemesis.py
test-broker: install
	$(BIN)/python -m pytest -m broker $(BROKER_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# The product code's size (issue 13): lines of the tracked .py files outside tests/,
# migrations/ and bench/.
loc:
	@git ls-files '*.py' | grep -Ev '(^|/)(tests|migrations|bench)/' | xargs wc -l \
	  | awk '$$2 != "total" { lines += $$1; files++ } END { print lines " lines in " files " files" }'

# The finality run adds the cluster when CELERY_BROKER_URL names a broker; the writers'
# scaling (1, 2, 4, 8 processes) and the partitioned ledger (scratch databases on the
# server of RIIK_BENCH_POSTGRES_URL) need DATABASE_URL to name PostgreSQL.
bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.finality
	$(BIN)/python -m bench.block_cost
	$(BIN)/python -m bench.verify_rate
	$(BIN)/python -m bench.citizen_load
	$(BIN)/python -m bench.money
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python -m bench.writers --database-url "$$DATABASE_URL";; \
	  *) echo "bench.writers: set DATABASE_URL to a PostgreSQL database to measure 1-8 writers";; esac
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python -m bench.partitions;; \
	  *) echo "bench.partitions: set DATABASE_URL to PostgreSQL to measure the partitioned ledger";; esac

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
