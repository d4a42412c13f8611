"""Riik settings, read from the environment (12-factor).

Embedded default: SQLite files under ``RIIK_DATA_DIR`` (default ``./var``) for
both the event store and the read models, Celery tasks run in-process.
Scaled: ``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (RabbitMQ or
Redis). A registry's event store always lives in the same database as its read
models: the default one, or its own (``DATABASE_URL_<REGISTRY>``, config/databases.py).
"""

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

from config.databases import place_registries

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

RIIK_DATA_DIR = Path(env("RIIK_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
RIIK_DATA_DIR.mkdir(parents=True, exist_ok=True)
RIIK_KEYS_DIR = Path(env("RIIK_KEYS_DIR", default=str(RIIK_DATA_DIR / "keys")))


def _secret(variable: str, file_name: str) -> str:
    # Generated once into the data folder, never committed: a fresh checkout
    # runs without any set-up, a deployment sets the variable.
    configured: str = env(variable, default="")
    if configured:
        return configured
    path = RIIK_DATA_DIR / file_name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _configure_database(alias: str, database: dict[str, Any]) -> None:
    """Connection options of one database (the default or a registry's)."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = {
            # The event store writes through its own connection to the same file:
            # wait for the lock instead of failing, and take it up front so that a
            # read-then-write transaction never deadlocks on the upgrade.
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not memory: the event store must see the same test database.
        test_name = env("RIIK_TEST_DB_NAME", default="test-riik.sqlite3")
        if alias != "default":
            test_name = f"{alias}-{test_name}"
        database["TEST"] = {"NAME": str(RIIK_DATA_DIR / test_name)}
    else:
        # Each server thread keeps its PostgreSQL connection between requests:
        # opening one costs milliseconds and a server process per request. It is
        # checked before reuse, so a restarted server is not an error. (SQLite is
        # the embedded mode's runserver, a thread per request: nothing to keep.)
        database["CONN_MAX_AGE"] = env.int("RIIK_DB_CONN_MAX_AGE", default=60)
        database["CONN_HEALTH_CHECKS"] = True


SECRET_KEY = _secret("DJANGO_SECRET_KEY", "secret_key")
# Keys the personal-code index of the identity registry; unlike SECRET_KEY it
# must never change for the life of the registry (docs/adr/0005).
RIIK_IDENTITY_PEPPER = _secret("RIIK_IDENTITY_PEPPER", "identity_pepper")
# Wraps the per-person keys of health, identity and court (registries/common/sealing.py):
# back it up apart from the database; losing it loses their sealed data.
RIIK_HEALTH_MASTER_KEY = _secret("RIIK_HEALTH_MASTER_KEY", "health_master_key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

# Where this node runs: "development" (the default: plain HTTP on a laptop) or
# "production" (behind a TLS-terminating reverse proxy, deploy/): HTTPS only,
# HSTS, secure cookies. `manage.py check --deploy` is clean for the template
# deploy/riik.env.example (tests/security).
RIIK_ENVIRONMENT = env("RIIK_ENVIRONMENT", default="development")
if RIIK_ENVIRONMENT not in ("development", "production"):
    msg = f"RIIK_ENVIRONMENT must be development or production, not {RIIK_ENVIRONMENT!r}"
    raise ValueError(msg)
PRODUCTION = RIIK_ENVIRONMENT == "production"
SECURE_SSL_REDIRECT = PRODUCTION
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = env.int("RIIK_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# The proxies in front of this node (addresses or networks, comma-separated):
# only from them are X-Forwarded-For (registries.common.clients.client_ip)
# and X-Forwarded-Proto believed. Without any, both headers are ignored.
RIIK_TRUSTED_PROXIES = env.list("RIIK_TRUSTED_PROXIES", default=[])
# Django cannot check who set X-Forwarded-Proto: the server listens on
# 127.0.0.1 behind the proxy (deploy/systemd), which is what makes it true.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if RIIK_TRUSTED_PROXIES else None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "chain",
    "registries.common",
    "registries.identity",
    "registries.access",
    "registries.identity_desk",
    "registries.business",
    "registries.property",
    "registries.court",
    "registries.health",
    "registries.tracker",
    "registries.money",
    "registries.country",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Estonian or English, from the language switch's cookie or Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A request with an e-ID sign-in token acts only in the token's role.
    "registries.access.middleware.TokenRoleMiddleware",
    # An admin session signed in with the e-ID acts only in the role chosen (ADR 0059).
    "registries.access.admin_signin.SessionRoleMiddleware",
    "registries.common.idempotency.IdempotencyKeyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.frontdoor.official_name",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{RIIK_DATA_DIR / 'riik.sqlite3'}"),
}
# PostgreSQL: the event store's connection pool, ONE per process and shared by
# every registry; at most size + overflow connections besides Django's own
# (one per thread). Sizing: docs/guide-operator.md.
RIIK_DB_POOL_SIZE = env.int("RIIK_DB_POOL_SIZE", default=4)
RIIK_DB_POOL_OVERFLOW = env.int("RIIK_DB_POOL_OVERFLOW", default=4)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English stays the fallback for clients that name no language (scripts, the
# API's existing users); browsers asking for Estonian get Estonian.
LANGUAGE_CODE = "en"
LANGUAGES = [("et", "Eesti"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Tallinn"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = RIIK_DATA_DIR / "static"

# Hostile input (DESIGN §9): the largest request body and the deepest JSON
# the API reads; larger is 413, deeper is 400 (registries/common/api/parsers.py).
RIIK_MAX_REQUEST_BYTES = env.int("RIIK_MAX_REQUEST_BYTES", default=1024 * 1024)
RIIK_MAX_JSON_DEPTH = env.int("RIIK_MAX_JSON_DEPTH", default=20)
DATA_UPLOAD_MAX_MEMORY_SIZE = RIIK_MAX_REQUEST_BYTES

REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "registries.common.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registries.access.api_tokens.ApiTokenAuthentication",
        "registries.access.tokens.SignInTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "registries.common.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "registries.common.api.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "registries.common.api.throttles.AnonRateThrottle",
        "registries.common.api.throttles.UserRateThrottle",
        "registries.common.api.throttles.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("RIIK_THROTTLE_ANON", default="600/minute"),
        "user": env("RIIK_THROTTLE_USER", default="3000/minute"),
        "sign-in": env("RIIK_THROTTLE_SIGN_IN", default="120/minute"),
        "me": env("RIIK_THROTTLE_ME", default="1200/minute"),
        "e-services": env("RIIK_THROTTLE_E_SERVICES", default="300/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Riik registries API",
    "DESCRIPTION": "E-services of the national registries and the auditor view of their chain.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Tags come from the path segment after /api/v1/: business, chain, ...
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Swagger UI served from this server, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registries.common.api.schema.add_framework_problems",
        "registries.common.api.schema.drop_storage_bounds",
    ],
}

# The chain: which registry logs a block commits to, and who this node is.
RIIK_CHAIN_ID = env("RIIK_CHAIN_ID", default="riik-dev")
RIIK_ORIGIN_PREFIX = env("RIIK_ORIGIN_PREFIX", default="riik.example")
RIIK_NODE_NAME = env("RIIK_NODE_NAME", default="supernode-1")
RIIK_REGISTRIES = ["business", "court", "health", "identity", "money", "property", "tracker"]
# The chain's own log (evidence; chain.ledger.chainlog), sealed like a registry log.
RIIK_REGISTRIES += ["consensus"]
# Where each registry lives (config/databases.py, ADR 0069): its own
# PostgreSQL database when DATABASE_URL_<REGISTRY> is set, else the default
# one. The chain's log and blocks always stay in the default database.
RIIK_LOG_DATABASES, _registry_databases = place_registries(
    {
        registry: env.db(variable) if env(variable, default="") else None
        for registry in RIIK_REGISTRIES
        for variable in [f"DATABASE_URL_{registry.upper()}"]
        if registry != "consensus"
    },
    DATABASES["default"],
)
RIIK_LOG_DATABASES["consensus"] = "default"
DATABASES.update(_registry_databases)
DATABASE_ROUTERS = ["config.databases.RegistryRouter"]
for _alias, _database in DATABASES.items():
    _configure_database(_alias, _database)
# Finalization: "local" (this node is the only supernode and signs every
# block) or "devnet" (a development network: this one node holds the keys of
# every witness, supernode and citizen and runs their chain.consensus state
# machines in memory, in this process, over a fault-free in-memory network;
# no separate processes, Celery or database per node, see docs/consensus.md)
# or "cluster" (blocks come from separate node processes over Celery,
# chain.blocks.cluster and manage.py cluster).
RIIK_CONSENSUS = env("RIIK_CONSENSUS", default="local")
RIIK_SUPERNODES = env.int("RIIK_SUPERNODES", default=4)
RIIK_WITNESSES = env.int("RIIK_WITNESSES", default=4)
RIIK_CITIZENS = env.int("RIIK_CITIZENS", default=3)
RIIK_CITIZEN_THRESHOLD = env.int("RIIK_CITIZEN_THRESHOLD", default=2)
# Devnet only: raise a block one level per beat tick (make run), so the admin
# shows it committed, then final, then witnessed (docs/adr/0040).
RIIK_DEVNET_STEPWISE = env.bool("RIIK_DEVNET_STEPWISE", default=False)
# Devnet only: each supernode challenges a random citizen's replica at every
# n-th final height (0: never), recorded like the cluster's (StorageCheck).
RIIK_DEVNET_CHALLENGE_EVERY = env.int("RIIK_DEVNET_CHALLENGE_EVERY", default=5)
RIIK_BLOCK_INTERVAL = env.float("RIIK_BLOCK_INTERVAL", default=2.0)
# The cluster (chain.blocks.cluster, manage.py cluster): this worker's role
# ("host" for the registry host, or a node tier: supernode, witness, citizen),
# the queue-name prefix shared by the cluster, its genesis file and the tick.
RIIK_CLUSTER_ROLE = env("RIIK_CLUSTER_ROLE", default="")
RIIK_CLUSTER_PREFIX = env("RIIK_CLUSTER_PREFIX", default="riik")
RIIK_GENESIS_FILE = env("RIIK_GENESIS_FILE", default="")
RIIK_CLUSTER_TICK = env.float("RIIK_CLUSTER_TICK", default=0.2)
# A cluster node: the registry host's Ed25519 public key (hex). Only proposals it
# signed are answered (the central bank's acts, chain.blocks.cluster.acts);
# unset, the host.pub beside RIIK_GENESIS_FILE (manage.py cluster writes it),
# and without either a supernode certifies no act.
RIIK_CLUSTER_HOST_KEY = env("RIIK_CLUSTER_HOST_KEY", default="")
# The registry host looks for new ledger entries to send the nodes this often
# (one indexed query): a new entry waits for it before any node can propose.
RIIK_CLUSTER_ANNOUNCE_EVERY = env.float("RIIK_CLUSTER_ANNOUNCE_EVERY", default=0.05)
RIIK_CLUSTER_TAKEOVER_TICKS = env.int("RIIK_CLUSTER_TAKEOVER_TICKS", default=30)
# The least time between two blocks at a cluster node (seconds): a witness
# proposes no block sooner after the last final one, so at saturation a block
# carries what was written meanwhile instead of each paying the whole
# consensus for a few entries (docs/adr/0080). 0: propose as soon as there is news.
RIIK_CLUSTER_MIN_BLOCK_INTERVAL = env.float("RIIK_CLUSTER_MIN_BLOCK_INTERVAL", default=0.25)
# Each supernode challenges a random citizen's replica at every n-th final
# height (0: never); the outcomes are stored by the host (StorageCheck).
RIIK_CLUSTER_CHALLENGE_EVERY = env.int("RIIK_CLUSTER_CHALLENGE_EVERY", default=5)
if RIIK_CLUSTER_ROLE:
    # A cluster worker handles a message every few milliseconds in one thread:
    # it keeps its database connection (checked after errors) instead of
    # opening one per message (Celery closes it after every task unless
    # CELERY_DB_REUSE_MAX says otherwise) and one per tick.
    for _database in DATABASES.values():
        _database["CONN_MAX_AGE"] = None
        _database["CONN_HEALTH_CHECKS"] = True
    CELERY_DB_REUSE_MAX = 1000
# Reliability tests only: seconds to pause between sealing and finalizing.
RIIK_FAULT_PAUSE_AFTER_SEAL = env.float("RIIK_FAULT_PAUSE_AFTER_SEAL", default=0.0)

# Celery: in-process unless a broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_DEFAULT_QUEUE = env("RIIK_TASK_QUEUE", default="riik")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis re-delivers a message whose worker died once it has been unacknowledged
# for visibility_timeout seconds; workers look for such messages every
# unacked_restore_interval seconds (RabbitMQ re-delivers at once by itself).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("RIIK_BROKER_VISIBILITY_TIMEOUT", default=300),
    "unacked_restore_interval": env.int("RIIK_BROKER_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE = {
    "seal-pending-entries": {
        "task": "chain.tasks.seal_pending_entries",
        "schedule": timedelta(seconds=RIIK_BLOCK_INTERVAL),
    },
    "catch-up-projections": {
        "task": "registries.common.tasks.catch_up_projections",
        "schedule": timedelta(seconds=RIIK_BLOCK_INTERVAL),
    },
    "purge-idempotent-requests": {
        "task": "registries.common.tasks.purge_idempotent_requests",
        "schedule": timedelta(hours=1),
    },
}
if RIIK_CLUSTER_ROLE and RIIK_CLUSTER_ROLE != "host":
    # A node's worker has no registries to seal or project (its clock is
    # chain.blocks.cluster.clock, not beat).
    CELERY_BEAT_SCHEDULE = {}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("RIIK_LOG_LEVEL", default="INFO")},
}

# Citizen e-services (docs/citizen-api.md): e-ID sign-in and its tokens.
RIIK_SIGN_IN_CHALLENGE_LIFETIME = env.int("RIIK_SIGN_IN_CHALLENGE_LIFETIME", default=120)
RIIK_TOKEN_LIFETIME = env.int("RIIK_TOKEN_LIFETIME", default=900)
# Officials' static API tokens (registries.access.api_tokens) expire after this many seconds.
RIIK_API_TOKEN_LIFETIME = env.int("RIIK_API_TOKEN_LIFETIME", default=8 * 3600)
# ASVS V2.2.1: at most this many failed sign-ins per account per hour.
RIIK_SIGN_IN_FAILURES_PER_HOUR = env.int("RIIK_SIGN_IN_FAILURES_PER_HOUR", default=100)
# Seconds an Idempotency-Key answer is replayed; older rows are purged hourly.
RIIK_IDEMPOTENCY_TTL = env.int("RIIK_IDEMPOTENCY_TTL", default=86400)

# Money (docs/money.md): the most a person's wallet holds; an incoming payment's
# excess moves on to the person's linked bank (the waterfall).
RIIK_MONEY_HOLDING_LIMIT_CENTS = env.int("RIIK_MONEY_HOLDING_LIMIT_CENTS", default=300000)
# State fees paid in money in the same ledger transaction as the command
# (docs/money.md has the table): integer cents per act, to the state treasury's
# wallet (an organisation in the identity registry; a bank opens its wallet).
# RIIK_STATE_FEES overrides entries: "company-registration=26500,annual-report=0".
RIIK_CHARGE_STATE_FEES = env.bool("RIIK_CHARGE_STATE_FEES", default=True)
RIIK_STATE_FEES_CENTS = {
    "company-registration": 26500,
    "title-transfer": 3500,
    "annual-report": 1000,
    **{
        kind.strip(): int(cents)
        for kind, _, cents in (
            item.partition("=") for item in env.list("RIIK_STATE_FEES", default=[])
        )
    },
}
RIIK_STATE_TREASURY = env("RIIK_STATE_TREASURY", default="70003491")

# Officials sign in to the admin with their e-ID key (ADR 0059); passwords only
# for a break-glass superuser, and only while this is on.
RIIK_ADMIN_PASSWORDS = env.bool("RIIK_ADMIN_PASSWORDS", default=False)
