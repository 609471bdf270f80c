"""Django settings, read from environment variables with safe defaults.

Every setting a deployment may change is an environment variable:

- ``TOBLOOP_DATA_DIR``   where the embedded databases live (default ``./tobloop-data``)
- ``DATABASE_URL``       ``postgres://user:pass@host:port/db``; SQLite in the data dir when unset
- ``TOBLOOP_SECRET_KEY`` the Django secret key (a per-data-dir random key when unset)
- ``TOBLOOP_DEBUG``      ``1`` for Django's debug mode
- ``TOBLOOP_ALLOWED_HOSTS`` comma-separated host names (default: localhost only)
- ``TOBLOOP_HTTPS``      ``1`` behind a TLS proxy: secure cookies, ``X-Forwarded-Proto`` trusted
- ``EVENTS_URL``         the event store: ``duckdb://`` (default), ``chdb://`` or
                         ``clickhouse://USER:PASSWORD@HOST:8123/DATABASE``
- ``TOBLOOP_INGEST_RATE_LIMIT`` events per second per write key and process (0: no limit)
- ``TOBLOOP_INGEST_LOADER`` ``0`` to keep the server (its loader process and web processes)
                         from loading spooled events
- ``TOBLOOP_WEB_NICE``   how much lower than the loader's the web workers' CPU priority is
                         under ``tobloop serve`` (``nice``, 0–19; default 5; 0: equal)
- ``TOBLOOP_LOADER_THREADS`` DuckDB threads of ``tobloop serve``'s loader process (2)
- ``TOBLOOP_EVENTS_MEMORY_LIMIT`` DuckDB's memory per process (default: a quarter of the RAM)
- ``TOBLOOP_EMAIL_HOST`` SMTP server for alert e-mails (with ``TOBLOOP_EMAIL_PORT``, ``_USER``,
                         ``_PASSWORD``, ``_TLS``, ``_FROM``); unset: e-mails are written as
                         files into the data directory's ``outbox/``
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("TOBLOOP_DATA_DIR", "tobloop-data")).resolve()


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_number(name: str, default: float, kind: type[int] | type[float] = int) -> Any:
    """A number from the environment; a value that is not one stops the start with its name."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return kind(default)
    try:
        number = kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise ImproperlyConfigured(f"{name} must not be negative, not {value!r}")
    return number


def _memory_limit(name: str) -> str:
    """A memory size for DuckDB from the environment, else a quarter of physical memory."""
    value = os.environ.get(name, "").strip()
    if not value:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 4 << 30
        return f"{max(1 << 10, total // 4 >> 20)}MB"
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE):
        raise ImproperlyConfigured(f"{name} must be a size such as 6GB or 512MB, not {value!r}")
    return value


def _secret_key() -> str:
    """A key from the environment, else one generated once per data directory."""
    key = os.environ.get("TOBLOOP_SECRET_KEY")
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_from_url(url: str | None) -> dict[str, object]:
    """Translate ``DATABASE_URL`` into a Django DATABASES entry (SQLite when empty)."""
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "tobloop.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "127.0.0.1",
            "PORT": str(parsed.port or 5432),
            "CONN_MAX_AGE": 60,
        }
    if parsed.scheme == "sqlite":
        # As dj-database-url reads it: sqlite:///relative.db, sqlite:////absolute/path.db
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parsed.path[1:])}
    raise ImproperlyConfigured(
        f"DATABASE_URL has an unsupported scheme {parsed.scheme!r}: "
        "use postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:///PATH"
    )


SECRET_KEY = _secret_key()
DEBUG = _env_flag("TOBLOOP_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("TOBLOOP_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("TOBLOOP_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
# Behind a TLS proxy: cookies only over HTTPS, and the proxy's X-Forwarded-Proto says whether
# a request came in over HTTPS (the proxy must set it and drop any the client sent).
HTTPS = _env_flag("TOBLOOP_HTTPS")
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "tobloop.platform",
    "tobloop.accounts",
    "tobloop.revenue",
    "tobloop.success",
    "tobloop.success.work",
    "tobloop.analytics",
    "tobloop.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tobloop.config.middleware.ApiMethodNotAllowed",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tobloop.config.urls"
WSGI_APPLICATION = "tobloop.config.wsgi.application"
ASGI_APPLICATION = "tobloop.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tobloop.web.context.navigation",
            ],
        },
    }
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tobloop.web.formats"]  # thousands grouping on Chinese pages
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("TOBLOOP_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
TOBLOOP_IMPORT_MAX_BYTES = _env_number("TOBLOOP_IMPORT_MAX_BYTES", 200 * 1024 * 1024)

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TOBLOOP_LOG_LEVEL", "WARNING")},
}

# Product events (tobloop.analytics): the store and the ingestion endpoints /v1/* and /sa.
EVENTS_URL = os.environ.get("EVENTS_URL", "duckdb://")
TOBLOOP_INGEST_RATE_LIMIT = _env_number("TOBLOOP_INGEST_RATE_LIMIT", 250_000, float)
TOBLOOP_INGEST_LOADER = _env_flag("TOBLOOP_INGEST_LOADER", True)
# Under `tobloop serve` the loader runs in its own process and the web workers this much lower
# in CPU priority (nice), so that at saturation acknowledged events still become queryable
# promptly and requests slow down instead (docs/decisions/0014).
TOBLOOP_WEB_NICE = _env_number("TOBLOOP_WEB_NICE", 5)
if TOBLOOP_WEB_NICE > 19:
    raise ImproperlyConfigured(f"TOBLOOP_WEB_NICE must be from 0 to 19, not {TOBLOOP_WEB_NICE}")
# DuckDB threads of that loader process. One costs less CPU per event, but two catch up after a
# burst: with one, the loads of 60 s at 100,000 events/s on two cores grew to 3.7 s.
TOBLOOP_LOADER_THREADS = _env_number("TOBLOOP_LOADER_THREADS", 2)
if TOBLOOP_LOADER_THREADS < 1:
    raise ImproperlyConfigured("TOBLOOP_LOADER_THREADS must be at least 1, not 0")
# DuckDB's memory limit in each process that reads or writes the embedded event store: a
# quarter of the machine's memory (at least 1 GB) unless set, e.g. "6GB" or "512MB". Queries
# at 100 M events need a few GB (docs/performance.md); each web worker and the loader process
# may use this much.
TOBLOOP_EVENTS_MEMORY_LIMIT = _memory_limit("TOBLOOP_EVENTS_MEMORY_LIMIT")

# E-mail (playbook e-mails, alerts): SMTP when TOBLOOP_EMAIL_HOST is set; otherwise every
# message is written as a file into DATA_DIR/outbox, so nothing leaves the machine by surprise.
EMAIL_HOST = os.environ.get("TOBLOOP_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = _env_number("TOBLOOP_EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("TOBLOOP_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("TOBLOOP_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = _env_flag("TOBLOOP_EMAIL_TLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
DEFAULT_FROM_EMAIL = os.environ.get("TOBLOOP_EMAIL_FROM", "tobloop <noreply@localhost>")
