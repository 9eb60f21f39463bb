"""SalonBook settings, read from the environment.

With no variables set this is a development setup on SQLite and a local-memory
cache. ``DATABASE_URL``, ``REDIS_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL, Redis and Celery workers; ``DEBUG=false`` turns on the production
checks (strong secret key, HTTPS, secure cookies).

One long file on purpose: every setting and the variable that sets it are
found in one place, in sections (core, database, cache, rate limits, Celery,
WhatsApp, API, logins, security, logging, monitoring), each setting next to
the comment that says why.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from salonbook.env import (
    check_secret_key,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"

# --- Core -----------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", None if not DEBUG else _DEV_SECRET_KEY)
if not DEBUG:
    SECRET_KEY = check_secret_key(SECRET_KEY)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "health_check",
    "axes",
    "csp",
    "salonbook.apps.SalonBookConfig",
    "messaging",
    "salons",
    "resources",
    "slots",
    "bookings",
    "waitlist",
    "desk",
    "reports",
    "backoffice",
    "booking_page",
    "monitoring",
]

MIDDLEWARE = [
    # First: its timing covers the whole stack, its request id every log line.
    "monitoring.middleware.RequestMonitoringMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "salonbook.middleware.PagesOnlyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Outside axes, so the lockout page axes answers with gets the policy too.
    "salonbook.content_security.ContentSecurityPolicyMiddleware",
    # Last: turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salonbook.urls"
WSGI_APPLICATION = "salonbook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

_DEFAULT_SQLITE = f"sqlite:///{BASE_DIR / 'var' / 'salonbook.sqlite3'}"
_database_url = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite")) or _DEFAULT_SQLITE
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None

if _database["ENGINE"] == "django.db.backends.sqlite3":
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two
        # bookings racing on SQLite queue up instead of failing half-way.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: race tests open several connections to one database.
    _database["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test{env_str('TEST_DB_SUFFIX', '')}.sqlite3")}
else:
    _database["CONN_HEALTH_CHECKS"] = True
    _database["TEST"] = {"NAME": f"test_{_database['NAME']}{env_str('TEST_DB_SUFFIX', '')}"}
    _database.setdefault("OPTIONS", {})
    # A database outage must fail a request in seconds, not hang it.
    _database["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3, minimum=1))

DATABASES = {"default": _database}

# A PostgreSQL streaming replica of the primary, for reads that tolerate a
# little lag (salonbook.replica): cached availability, month and business
# info builds, reports. Everything that books, re-checks or writes uses the
# primary. In tests the alias mirrors the primary's test database.
_replica_url = env_url("DATABASE_REPLICA_URL", ("postgres", "postgresql"))
if _replica_url:
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL to be PostgreSQL")
    _replica = dj_database_url.parse(_replica_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    _replica["CONN_HEALTH_CHECKS"] = True
    _replica["OPTIONS"] = {"connect_timeout": _database["OPTIONS"]["connect_timeout"]}
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["salonbook.replica.ReplicaRouter"]
# A replica that failed is not tried again for this long.
REPLICA_RETRY_AFTER = env_float("REPLICA_RETRY_AFTER", 5.0, minimum=0.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis ----------------------------------------------------------

REDIS_URL = env_url("REDIS_URL", ("redis", "rediss", "unix"))
# A quarter second at most: during an outage every request pays this once.
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 0.25)
if not 0 < REDIS_TIMEOUT <= 0.25:
    raise ImproperlyConfigured(f"REDIS_TIMEOUT must be above 0 and at most 0.25 seconds, got {REDIS_TIMEOUT}")
# After a failed Redis call the content cache is skipped for this long, so a
# hung Redis costs one timeout per process per interval, not one per request.
CACHE_RETRY_AFTER = env_float("CACHE_RETRY_AFTER", 1.0)
# REDIS_URL names one node of a Redis Cluster: every client (caches, rate
# limits, metrics, breaker) follows the cluster's slot map
# (salonbook.redis_clients). The Celery broker then needs a URL of its own.
REDIS_CLUSTER = env_bool("REDIS_CLUSTER", False)


def redis_caches(url: str, *, cluster: bool | None = None) -> dict:
    """Both cache aliases on the Redis at ``url`` (tests point them at a dead
    port), or on the cluster ``url`` is a node of."""
    options: dict[str, Any] = {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT,
        "SOCKET_TIMEOUT": REDIS_TIMEOUT,
    }
    if REDIS_CLUSTER if cluster is None else cluster:
        options["CLIENT_CLASS"] = "salonbook.redis_clients.ClusterClient"
        options["CONNECTION_FACTORY"] = "salonbook.redis_clients.ClusterConnectionFactory"
    return {
        # Content cache: an outage degrades to the database, never to an error.
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "sb",
            "OPTIONS": {**options, "IGNORE_EXCEPTIONS": True},
        },
        # Rate-limit counters: errors must be seen, not swallowed as "no usage".
        "ratelimit": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "sb-rl",
            "OPTIONS": {**options, "IGNORE_EXCEPTIONS": False},
        },
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"},
    }

# Off: every read goes to the database (benchmarks measure the uncached path;
# also a switch to rule the cache out when something looks stale).
if not env_bool("CONTENT_CACHE", True):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}

# --- Rate limiting -------------------------------------------------------------

# The cache alias the rate-limit counters live in (salonbook.ratelimit).
RATELIMIT_USE_CACHE = "ratelimit"
RATE_LIMIT_API = env_rate("RATE_LIMIT_API", "100/m")
RATE_LIMIT_BOOKINGS = env_rate("RATE_LIMIT_BOOKINGS", "10/m")
# The WhatsApp webhook, per sending address: Meta posts from a few addresses.
RATE_LIMIT_WEBHOOKS = env_rate("RATE_LIMIT_WEBHOOKS", "600/m")
# Only behind a proxy we trust may X-Forwarded-For name the client.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
# When the counters cannot be read (Redis down): true lets requests through,
# logged and counted (rate_limit_failed_open), so an outage never takes the
# salon offline; false refuses them with 503.
RATE_LIMIT_FAIL_OPEN = env_bool("RATE_LIMIT_FAIL_OPEN", True)

# --- Celery ------------------------------------------------------------------

CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", ("redis", "rediss", "amqp", "memory"))
if CELERY_BROKER_URL is None and not REDIS_CLUSTER:
    CELERY_BROKER_URL = REDIS_URL
elif CELERY_BROKER_URL is None and REDIS_URL:
    # Celery's Redis transport speaks to one server, not to a cluster.
    raise ImproperlyConfigured("REDIS_CLUSTER=true needs CELERY_BROKER_URL (a single Redis or RabbitMQ)")
# Without a broker, tasks run in the request: development needs no worker.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    # Hourly, so the rolling window never lags a day behind: it queues small
    # tasks for the salons whose windows need a day added (slots.sweep).
    "sweep-slots": {"task": "slots.sweep", "schedule": 3600.0},
    # Past slots that hold nothing go, in batches: storage stays salons x window.
    "purge-past-slots": {"task": "slots.purge_past", "schedule": 3600.0},
    # Keys are honoured for 24 hours; an hourly sweep keeps the table small.
    "purge-idempotency-keys": {"task": "bookings.purge_idempotency_keys", "schedule": 3600.0},
    # Daily is enough for a period counted in months; the run is idempotent.
    "apply-personal-data-retention": {"task": "bookings.apply_personal_data_retention", "schedule": 86400.0},
}
# Messages (reminders and the rest): the database holds the schedule, beat only
# wakes the dispatcher.
REMINDER_DISPATCH_SECONDS = env_float("REMINDER_DISPATCH_SECONDS", 60.0, minimum=0.5)
CELERY_BEAT_SCHEDULE["dispatch-messages"] = {
    "task": "messages.dispatch_due",
    "schedule": REMINDER_DISPATCH_SECONDS,
    # After an outage, one catch-up run is enough: stale wake-ups expire unread.
    "options": {"expires": REMINDER_DISPATCH_SECONDS},
}
# Waitlist: how long freed time is held for the customer it is offered to;
# beat ends offers past it (and closes entries whose dates passed) every minute.
WAITLIST_OFFER_MINUTES = env_int("WAITLIST_OFFER_MINUTES", 15, minimum=1)
CELERY_BEAT_SCHEDULE["expire-waitlist-offers"] = {
    "task": "waitlist.expire_offers",
    "schedule": 60.0,
    "options": {"expires": 60.0},
}
# acks_late tasks: a worker takes one message at a time, so a killed worker
# leaves little unacknowledged behind.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged message after this many seconds. Reminder
# tasks use no countdown or ETA and finish within REMINDER_SEND_TIME_LIMIT, so
# 15 minutes never redelivers a task that is still waiting or running; a
# redelivered duplicate is harmless anyway (claim tokens).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900, minimum=1),
    # How often a worker looks for messages a dead worker left unacknowledged
    # (kombu's default is about every 100 s).
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_SECONDS", 10, minimum=1),
    "unacked_restore_throttle": 1 if env_str("CELERY_UNACKED_RESTORE_SECONDS") else 10,
}

# --- WhatsApp --------------------------------------------------------------------

WHATSAPP_BACKEND = env_choice("WHATSAPP_BACKEND", "console", ("console", "http"))
WHATSAPP_API_URL = env_url("WHATSAPP_API_URL", ("http", "https"))
WHATSAPP_TOKEN = env_str("WHATSAPP_TOKEN")
WHATSAPP_PHONE_NUMBER_ID = env_str("WHATSAPP_PHONE_NUMBER_ID")
if WHATSAPP_BACKEND == "http" and not (WHATSAPP_API_URL and WHATSAPP_TOKEN):
    raise ImproperlyConfigured("WHATSAPP_BACKEND=http needs WHATSAPP_API_URL and WHATSAPP_TOKEN")
# Where the customer's manage link in a reminder points.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:8000")
# Seconds to connect (a little over a TCP retransmit) and to wait for the answer.
WHATSAPP_CONNECT_TIMEOUT = env_float("WHATSAPP_CONNECT_TIMEOUT", 3.05, minimum=0.1)
WHATSAPP_READ_TIMEOUT = env_float("WHATSAPP_READ_TIMEOUT", 10.0, minimum=0.1)
# True only when the provider (or a gateway in front of it) drops a second
# message with the same Idempotency-Key header. Then a send whose outcome is
# unknown (worker killed mid-send) is sent again; otherwise it is marked failed
# for a person to check, because a duplicate is worse than a missing reminder.
WHATSAPP_IDEMPOTENT = env_bool("WHATSAPP_IDEMPOTENT", False)
# Approved message templates for people outside a 24-hour chat window, per
# message kind: "kind=template,kind=template" (e.g.
# "reminder_24h=appointment_reminder,booking_confirmed=booking_confirmed").
# A kind without one goes as free text. WHATSAPP_TEMPLATE, if set, is the
# template of every reminder kind not named here.
WHATSAPP_TEMPLATE = env_str("WHATSAPP_TEMPLATE")
WHATSAPP_TEMPLATES: dict[str, str] = {}
for _pair in env_list("WHATSAPP_TEMPLATES", []):
    _kind, _sep, _template = _pair.partition("=")
    if not (_sep and _kind.strip() and _template.strip()):
        raise ImproperlyConfigured(f"WHATSAPP_TEMPLATES must look like 'kind=template,...', got {_pair!r}")
    WHATSAPP_TEMPLATES[_kind.strip()] = _template.strip()
# The template language code for each salon language ("en=en_GB,es=es").
WHATSAPP_TEMPLATE_LANGUAGE = env_str("WHATSAPP_TEMPLATE_LANGUAGE", "en_GB")
WHATSAPP_TEMPLATE_LANGUAGES: dict[str, str] = {"en": WHATSAPP_TEMPLATE_LANGUAGE or "en_GB", "es": "es"}
for _pair in env_list("WHATSAPP_TEMPLATE_LANGUAGES", []):
    _language, _sep, _code = _pair.partition("=")
    if not (_sep and _language.strip() and _code.strip()):
        raise ImproperlyConfigured(f"WHATSAPP_TEMPLATE_LANGUAGES must look like 'en=en_GB,es=es', got {_pair!r}")
    WHATSAPP_TEMPLATE_LANGUAGES[_language.strip()] = _code.strip()
# The body parameters ({{1}}, {{2}}, ...) of each kind's template, in order:
# names from the message's text context (messaging.texts, and the subject's own context). Reminder
# kinds use "reminder"; a kind not listed uses "default".
WHATSAPP_TEMPLATE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "default": ("customer_name", "service_name", "salon_name", "when", "manage_url"),
    "reminder": ("customer_name", "service_name", "salon_name", "when", "manage_url"),
    "booking_moved": ("customer_name", "service_name", "salon_name", "previous_when", "when", "manage_url"),
    "cancel_refused": ("customer_name", "service_name", "salon_name", "when", "salon_phone"),
    "salon_new_booking": ("customer_name", "service_name", "staff_name", "when", "customer_phone"),
    "salon_cancelled_booking": ("customer_name", "service_name", "staff_name", "when", "customer_phone"),
    "waitlist_offer": ("customer_name", "service_name", "salon_name", "when", "claim_url"),
}
# The webhook of the WhatsApp Cloud API: the verify token of Meta's GET
# handshake, and the app secret its POST bodies are signed with (HMAC-SHA256).
# Without a secret every POST is refused.
WHATSAPP_VERIFY_TOKEN = env_str("WHATSAPP_VERIFY_TOKEN")
WHATSAPP_APP_SECRET = env_str("WHATSAPP_APP_SECRET")
# Largest webhook body accepted (Meta batches up to a few hundred updates).
WHATSAPP_WEBHOOK_MAX_BYTES = env_int("WHATSAPP_WEBHOOK_MAX_BYTES", 256 * 1024, minimum=1024)
# Circuit breaker around the provider, shared by every worker through Redis.
WHATSAPP_BREAKER_FAIL_MAX = env_int("WHATSAPP_BREAKER_FAIL_MAX", 5, minimum=1)
WHATSAPP_BREAKER_RESET_SECONDS = env_float("WHATSAPP_BREAKER_RESET_SECONDS", 60.0, minimum=1.0)
WHATSAPP_BREAKER_REDIS_URL = REDIS_URL  # none: each process keeps its own breaker

# When reminders go out, before the start: e.g. "24h,2h" or "1d,90m".
REMINDER_OFFSETS = env_list("REMINDER_OFFSETS", ["24h", "2h"])
for _offset in REMINDER_OFFSETS:
    if not re.fullmatch(r"[1-9]\d*[mhd]", _offset):
        raise ImproperlyConfigured(f"REMINDER_OFFSETS must look like '24h,2h' (m, h or d), got {_offset!r}")
# Retries: exponential backoff from the base, with jitter, capped; then failed.
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 6, minimum=1)
REMINDER_RETRY_BASE_SECONDS = env_float("REMINDER_RETRY_BASE_SECONDS", 60.0, minimum=0.1)
REMINDER_RETRY_MAX_SECONDS = env_float("REMINDER_RETRY_MAX_SECONDS", 1800.0, minimum=0.1)
# A send task is killed after this many seconds; a reminder still "sending"
# after the lease belongs to a dead worker. The lease must outlast the limit,
# or a live worker's send could be taken over.
REMINDER_SEND_TIME_LIMIT = env_float(
    "REMINDER_SEND_TIME_LIMIT", WHATSAPP_CONNECT_TIMEOUT + WHATSAPP_READ_TIMEOUT + 15, minimum=1.0
)
REMINDER_SEND_LEASE_SECONDS = env_float("REMINDER_SEND_LEASE_SECONDS", 2 * REMINDER_SEND_TIME_LIMIT + 60)
if REMINDER_SEND_LEASE_SECONDS <= REMINDER_SEND_TIME_LIMIT:
    raise ImproperlyConfigured("REMINDER_SEND_LEASE_SECONDS must be longer than REMINDER_SEND_TIME_LIMIT")
# A queued reminder whose task never started (message lost with the broker) is
# put back after this long.
REMINDER_QUEUE_LEASE_SECONDS = env_float("REMINDER_QUEUE_LEASE_SECONDS", 300.0, minimum=1.0)

# --- REST API ------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "salonbook.api.authentication.ApiTokenAuthentication",
        "salonbook.api.authentication.SessionCookieAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "salonbook.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    # One error envelope for every error, DRF's own included.
    "EXCEPTION_HANDLER": "salonbook.api.exceptions.api_exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SalonBook API",
    "DESCRIPTION": "Find a salon, see free times, book, and manage a booking.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.Booking.Status",
        "SlotStatusEnum": "slots.models.Slot.Status",
        "WaitlistEntryStatusEnum": "waitlist.models.WaitlistEntry.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "salonbook.api.schema.add_common_errors",
    ],
}

# --- Login throttling, API tokens, content security policy ---------------------

# django-axes refuses a login before its password is checked once either the
# account or the client's address has LOGIN_FAILURE_LIMIT failures within
# LOGIN_COOLOFF_MINUTES; the lock lifts that long after the last failure.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
AUTHENTICATION_BACKENDS = [
    # First: a locked-out login stops here, whatever the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Counts in the database: every worker sees them, with or without Redis.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
# Each on its own: one account guessed from many addresses, and one address
# guessing many accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The address the API's rate limits use (TRUSTED_PROXY decides on X-Forwarded-For).
AXES_CLIENT_IP_CALLABLE = "salonbook.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "salonbook.login_throttle.lockout_response"
# Failures during a cool-off do not extend it: Retry-After stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success does not wipe the failures: a login of one's own from an address
# must not reset that address's count of guesses at other accounts.
AXES_RESET_ON_SUCCESS = False
# Successful logins are logged, not stored: storing them would open a session
# for every API token login, and keep addresses forever.
AXES_DISABLE_ACCESS_LOG = True
# Masked in axes' log lines and in the failed attempts it stores: a username
# field sometimes holds a mistyped password; the form's CSRF token is a secret.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]

# API tokens (django-rest-knox): stored as digests, one per device, expiring.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    # The header clients already send: "Authorization: Token <token>".
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# Customers' personal data (name, phone, email) is removed from bookings that
# ended longer ago than this (a daily beat task); 0 keeps it forever.
PERSONAL_DATA_RETENTION_MONTHS = env_int("PERSONAL_DATA_RETENTION_MONTHS", 24, minimum=0)

# Content-Security-Policy on every response (django-csp). No inline script or
# style anywhere: pages load theirs from /static/. A nonce is added only where
# a page asks for one (request.csp_nonce: the agenda's computed grid).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # Django admin's and Swagger UI's icons are data: URIs in their CSS.
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Auth, i18n, static ----------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/staff/login/"
LOGIN_REDIRECT_URL = "/staff/"

LANGUAGE_CODE = "en-gb"
# What customers' pages speak (the booking page chooses per request).
LANGUAGES = [("en", "English"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_str("STATIC_ROOT") or str(BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production) --------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe health over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^api/health"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if TRUSTED_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging -------------------------------------------------------------------

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOG_JSON = env_bool("LOG_JSON", not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        },
    },
    "filters": {
        "request_id": {"()": "monitoring.logging.RequestIdFilter"},
        "personal_data": {"()": "monitoring.logging.PersonalDataFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["request_id", "personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Through our handler only (request id, personal data masked), not
        # also through Django's default console handler.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}

SENTRY_DSN = env_str("SENTRY_DSN")

# --- Monitoring -------------------------------------------------------------------

# Metrics are shared by every process through Redis; without it each process
# counts its own.
METRICS_REDIS_URL = REDIS_URL
METRICS_KEY_PREFIX = "sb:metrics"
# A request's numbers are written to Redis by a background thread this often
# (one round trip per process per interval, not one per request); 0 writes
# them at the end of each request.
METRICS_FLUSH_SECONDS = env_float("METRICS_FLUSH_SECONDS", 1.0, minimum=0.0)
# Requests slower than this are logged as warnings.
SLOW_REQUEST_MS = env_int("SLOW_REQUEST_MS", 1000, minimum=1)
# One log line per request (method, route, status, timings); gunicorn's access
# log can do this instead.
LOG_REQUESTS = env_bool("LOG_REQUESTS", False)

if SENTRY_DSN:
    from monitoring.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        release=VERSION,
        environment=env_str("SENTRY_ENVIRONMENT") or ("development" if DEBUG else "production"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )
