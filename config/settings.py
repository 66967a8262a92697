"""Kontor settings, read from the environment through django-environ.

With no environment set, Kontor runs on the embedded default: SQLite in WAL
mode and the django-q2 ORM broker. DATABASE_URL and REDIS_URL switch to
PostgreSQL and Redis. Every variable is documented in .env.example.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The embedded default is what `make run` gives a new user: no services needed.
EMBEDDED = not env.str("DATABASE_URL", default="")

# Off unless asked for, even in the embedded default: the debug page shows code, paths and
# settings to anyone who can reach the server.
DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "kontor-embedded-default-not-for-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG or EMBEDDED else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured(
        "SECRET_KEY is missing. Set it in the environment or .env (see .env.example)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The simulated external systems under /sandbox/. Off unless asked for outside the embedded default.
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=EMBEDDED)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "django_q",
    "django_countries",
    "core",
    "catalog",
    "orders",
    "customers",
    "integrations",
    "monitoring",
    "drf_spectacular",
    # Swagger UI and Redoc files served from our static files, so the API docs need no CDN.
    "drf_spectacular_sidecar",
    "apiclients",
]

# One Django app per external system. A connector registers itself in its AppConfig.ready().
CONNECTOR_APPS = [
    "integrations.akeneo",
    "integrations.stripe",
    "integrations.mollie",
    "integrations.paypal",
    "integrations.sendcloud",
    "integrations.dhl",
    "integrations.shopware",
    "integrations.odoo",
]
# The simulated external systems; their URLs are mounted only when SANDBOX_ENABLED.
INSTALLED_APPS += CONNECTOR_APPS + ["integrations.sandbox"]

MIDDLEWARE = [
    "core.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves stored product responses of the API before the middleware below runs.
    "apiclients.fastpath.CachedProductMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # The sandbox's control endpoints are exempt from the CSRF check; this takes its place.
    "integrations.sandbox.middleware.SandboxControlGuard",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The admin shows a new API token once, in a message. The default storage puts messages in a
# cookie that is signed but not encrypted, so the token would travel to and from the browser
# and sit in its cookie store. Sessions are kept server-side in the database.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database. SQLite in WAL mode lets the web server and the worker lanes read while one writes,
# and the busy timeout makes a writer wait for the lock instead of failing at once.
SQLITE_PATH = env.str("SQLITE_PATH", default=str(BASE_DIR / "var" / "kontor.sqlite3"))
if EMBEDDED:
    Path(SQLITE_PATH).parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
            },
        }
    }
else:
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalization: the admin ships in English and German.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
# Django serves no static files with DEBUG off, so collectstatic copies them here for the reverse proxy.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

# Fernet key that encrypts connection credentials at rest. The embedded default derives one
# from SECRET_KEY; production sets its own, and rotating it needs a re-encryption run.
CREDENTIALS_KEY = env.str("CREDENTIALS_KEY", default="")

# Redis: the django-q2 broker, shared rate limits and circuit breakers across worker processes.
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kontor"),
            # redis-py waits forever by default, so a hung Redis would hold every request.
            "OPTIONS": {
                "socket_timeout": env.float("REDIS_TIMEOUT_SECONDS", default=2),
                "socket_connect_timeout": env.float("REDIS_TIMEOUT_SECONDS", default=2),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kontor_cache",
        }
    }


def _lane(name, workers, timeout, retry):
    """Build the django-q2 settings of one lane from LANE_<NAME>_* variables."""
    prefix = f"LANE_{name.upper()}_"
    timeout_seconds = env.int(prefix + "TIMEOUT", default=timeout)
    retry_seconds = env.int(prefix + "RETRY", default=retry)
    if retry_seconds <= timeout_seconds:
        raise environ.ImproperlyConfigured(
            f"{prefix}RETRY ({retry_seconds}s) must be greater than {prefix}TIMEOUT "
            f"({timeout_seconds}s), or django-q2 runs a task again while it still runs."
        )
    lane = {
        "name": name,
        "workers": env.int(prefix + "WORKERS", default=workers),
        "timeout": timeout_seconds,
        "retry": retry_seconds,
        "max_attempts": env.int(prefix + "MAX_ATTEMPTS", default=1),
        "queue_limit": env.int(prefix + "QUEUE_LIMIT", default=100),
        "catch_up": False,
    }
    if REDIS_URL:
        lane["redis"] = REDIS_URL
    else:
        lane["orm"] = "default"
    return lane


# Three lanes, so that hot data (stock, prices, order and payment status) never waits behind a
# catalog import. Kontor keeps its own attempt counts and backoff in delivery rows, so django-q2
# runs each task once (max_attempts 1) and only redelivers one whose worker died.
# The poll lane runs only the long poll loops of ERPs without push (Odoo: a stock loop and an
# orders loop per connection, each holding a worker). A loop hands over to its successor every
# timeout; on the hot lane that successor waited behind the whole order backlog, and stock with it.
LANES = {
    "hot": _lane("hot", workers=4, timeout=60, retry=90),
    "master": _lane("master", workers=2, timeout=1800, retry=1900),
    "poll": _lane("poll", workers=2, timeout=60, retry=90),
}
# A worker started with Q_CLUSTER_NAME=hot or poll reads that lane from ALT_CLUSTERS. Without
# Q_CLUSTER_NAME, or with master, a process uses the master lane. django-q2 titles its admin
# section with the label, and the queued, scheduled and failed tasks listed there come from all
# lanes. The lanes carry no label of their own, so every process keeps this one.
Q_CLUSTER = dict(
    LANES["master"],
    ALT_CLUSTERS={"hot": LANES["hot"], "poll": LANES["poll"]},
    label=_("Task queue (all lanes)"),
)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The shop front-end API (/api/v1/). Its views set their own auth, throttling and errors
# (apiclients.views.ApiViewMixin), so these settings touch no other DRF view.
SPECTACULAR_SETTINGS = {
    "TITLE": "Kontor API",
    "DESCRIPTION": "Catalog, availability, prices, orders and customers for shop front ends. "
    "Every error has the shape {code, message, field, value, errors}.",
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
# Locale fallbacks for attribute values and names: after the requested locale, these in order,
# then the channel's own locales.
API_LOCALE_FALLBACKS = env.json(
    "API_LOCALE_FALLBACKS",
    default={"de_AT": ["de_DE"], "de_CH": ["de_DE"], "en_GB": ["en_US"], "en_US": ["en_GB"], "fr_BE": ["fr_FR"]},
)
API_DEFAULT_LOCALE = env.str("API_DEFAULT_LOCALE", default="en_US")
API_DEFAULT_CURRENCY = env.str("API_DEFAULT_CURRENCY", default="EUR")
API_DEFAULT_PRICE_LIST = env.str("API_DEFAULT_PRICE_LIST", default="retail")
# Requests per period for a client without its own rate, such as 600/min or 20/s.
API_DEFAULT_THROTTLE_RATE = env.str("API_DEFAULT_THROTTLE_RATE", default="600/min")
# Maximum time a cached product response may lag a write that bypasses the stock service and
# the Akeneo import (an admin edit). 0 turns the response cache off.
API_RESPONSE_CACHE_SECONDS = env.int("API_RESPONSE_CACHE_SECONDS", default=30)
# Maximum age of an API client kept in a process's memory. Client changes through the admin or
# save() apply at once; this bounds a change that bypassed them (a queryset update). 0 turns
# the in-memory cache off.
API_CLIENT_CACHE_SECONDS = env.int("API_CLIENT_CACHE_SECONDS", default=60)

# Most inbound events one worker applies in one transaction. Larger batches cost fewer commits
# and stock messages per event, but hold the stock levels they lock for longer.
INBOX_BATCH_SIZE = env.int("INBOX_BATCH_SIZE", default=20)
if INBOX_BATCH_SIZE < 1:
    raise environ.ImproperlyConfigured(f"INBOX_BATCH_SIZE is {INBOX_BATCH_SIZE}; set it to 1 or more (20 by default).")

# Largest webhook body accepted, in bytes. Provider events are single events of a few KB.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)
# Seconds a server process keeps an enabled connection for its webhooks. Disabling a connection
# or changing its secret reaches the other processes within this time. 0 reads it every time.
WEBHOOK_CONNECTION_CACHE_SECONDS = env.int("WEBHOOK_CONNECTION_CACHE_SECONDS", default=5)

# Threads per worker process that run Django under config.asgi (the uvicorn worker). Each
# thread keeps its own database connection, as a gthread worker's threads do.
WSGI_THREADS = env.int("WSGI_THREADS", default=8)

# Bearer token for /metrics and the readiness details; staff logged into the admin need none.
# Empty: only staff sessions may read them.
MONITORING_TOKEN = env.str("MONITORING_TOKEN", default="")

# Email: console in the embedded default, SMTP from EMAIL_URL otherwise.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kontor@localhost")

# Logging: one logger per module. LOG_FORMAT=text appends the `extra` fields to the message as
# key=value pairs, and LOG_FORMAT=json gives one JSON object per line. Both mask secrets.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Kontor's HTTP client logs each call to a simulated system, so the access line of the web server
# and Django's 4xx/5xx line for the same request are dropped (see integrations/sandbox/requestlog.py).
_REQUEST_LOG_FILTERS = ["skip_sandbox_requests"] if SANDBOX_ENABLED else []
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        "omit_permission_denied_traceback": {"()": "core.logging.OmitPermissionDeniedTraceback"},
        "skip_sandbox_requests": {"()": "integrations.sandbox.requestlog.SkipSandboxRequests"},
    },
    "formatters": {
        "text": {"()": "core.logging.TextFormatter", "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logging.JsonFormatter"},
        # Django's default for the development server's access lines.
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        },
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "level": "INFO"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-q2 logs as "django-q" (django_q/conf.py in django-q2 1.11), and at INFO it logs every task.
        "django-q": {"level": env.str("LOG_LEVEL_DJANGO_Q", default="WARNING")},
        # Listing a logger here replaces Django's default for it, so the access log's handler is repeated.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False, "filters": _REQUEST_LOG_FILTERS},
        # A 403 from PermissionDenied gets one line with the path and user id, without the traceback.
        "django.request": {"filters": ["omit_permission_denied_traceback", *_REQUEST_LOG_FILTERS]},
    },
}

# The embedded default serves plain HTTP on 127.0.0.1, where secure-only cookies would make
# the admin login impossible; everywhere else cookies travel over HTTPS only.
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not EMBEDDED)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not EMBEDDED)
