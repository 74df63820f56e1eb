"""Settings for the PNP compliance and operations portal.

Every value comes from the environment through the one ``env`` object below. With no
environment at all the portal runs on SQLite and an embedded Celery broker under
``var/``; production sets ``DEBUG=0`` and points the URLs at PostgreSQL and Redis.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The run directory: the SQLite database, the embedded broker, beat's schedule, the demo's key.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-secret-key-not-for-production-0123456789abcdefghijklmnop"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here so the CSP holds
    "import_export",
    "csp",
    "axes",
    "portal",
    "members",
    "compliance",
    "applications",
    "notifications",
    "binding",
    "billing",
    # Only for `manage.py line_sandbox`: the sandbox imports nothing of the portal.
    "line_sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After it: under /api/ only Accept-Language counts, and English is the default there.
    "portal.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

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

WSGI_APPLICATION = "portal.wsgi.application"

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web server and a Celery worker write to the same file: WAL lets readers go on
    # while one writer holds the lock, and IMMEDIATE avoids the upgrade deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so that a real worker process can share the test database.
    # Per process, so two test runs in one checkout never share (and destroy) each other's database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django turns psycopg's prepared statements off, for connection poolers that lose them
    # (PgBouncer before 1.21 in transaction mode). Its own queries never use them either way;
    # on, the few statements a worker repeats per request are prepared (portal.db.execute_prepared).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches (shared rate limits and locks need one cache for every process) ----------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Authentication -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Staff logins (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked for AXES_COOLOFF_MINUTES; a superuser unlocks it sooner by
# deleting its row under Axes › Access attempts. Locking by username and address together keeps
# an attacker from locking a colleague out from elsewhere. Behind a proxy, set
# AXES_IPWARE_PROXY_COUNT so the client's address (not the proxy's) is counted.
AUTHENTICATION_BACKENDS = [
    "portal.auth.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.auth.lockout_response"
AXES_USERNAME_CALLABLE = "portal.auth.axes_username"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None
AXES_VERBOSE = False
# Staff sessions end after a working day, or when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", _("Traditional Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# --- Field encryption (channel secrets, access tokens) ---------------------------------
# A comma-separated list of Fernet keys: the first encrypts, all decrypt (rotation).
_dev_fernet_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[_dev_fernet_key] if DEBUG else [])
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY must be set when DEBUG is off (generate one with: python -c "
        '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
    )

# --- LINE and SMS -----------------------------------------------------------------------
# `make run PORT=… SANDBOX_PORT=…`: the portal's and the sandbox's ports on this machine; the
# URLs below default to them, so a demo on other ports needs nothing else (run_demo sets them).
PORT = env.int("PORT", default=8000)
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8090)
LINE_API_BASE_URL = env.str("LINE_API_BASE_URL", default=f"http://127.0.0.1:{SANDBOX_PORT}")
LINE_API_TIMEOUT = (
    env.float("LINE_API_CONNECT_TIMEOUT", default=3.05),
    env.float("LINE_API_READ_TIMEOUT", default=10.0),
)
# Where an SMS account without its own API base URL sends (the sandbox's gateway in the demo).
SMS_API_BASE_URL = env.str("SMS_API_BASE_URL", default=f"http://127.0.0.1:{SANDBOX_PORT}/sms")
SMS_API_TIMEOUT = (env.float("SMS_API_CONNECT_TIMEOUT", default=3.05), env.float("SMS_API_READ_TIMEOUT", default=10.0))
# `make run` only: the portal serves a stand-in for a brand's LIFF binding page at /demo/bind/
# and links notifications to the sandbox's phone view. Never on in production.
DEMO_MODE = env.bool("DEMO_MODE", default=False)
# The portal's own address as others call it back (SMS delivery reports, links in e-mails).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default=f"http://127.0.0.1:{PORT}")
# LINE allows 2,000 requests/s per channel and endpoint; the shared limiter stays under it.
LINE_RATE_LIMIT_PER_SECOND = env.int("LINE_RATE_LIMIT_PER_SECOND", default=2000)
# LINE time runs this many times faster than wall time: 24 h of LINE's delivery window and the
# templates' fallback delays shrink with it. 1 in production; tests and demos match the sandbox.
LINE_TIME_FACTOR = env.float("LINE_TIME_FACTOR", default=1.0)
# A PNP read timeout is ambiguous (PNP has no retry key). "wait": never resend; the delivery
# webhook, the template's SMS fallback delay and the 24 h window settle it (the default).
# "fallback_now": send the SMS at once if the template has one (the member may get both).
PNP_AMBIGUOUS_POLICY = env.str("PNP_AMBIGUOUS_POLICY", default="wait")
# How often beat runs the SMS fallback, 24 h expiry and outbox timers.
NOTIFICATION_TIMERS_EVERY = env.float("NOTIFICATION_TIMERS_EVERY", default=10.0)
# The outbox sweeper re-enqueues a notification queued this long ago (its enqueue was lost).
NOTIFICATION_REQUEUE_AFTER_SECONDS = env.float("NOTIFICATION_REQUEUE_AFTER_SECONDS", default=30.0)
# A worker's claim on a notification is a lease: one whose request has not left this long after
# the claim (its worker died, or is stuck behind a slow batch) goes back to the queue for another
# worker. Safe at any length: a claim that was given away can no longer be marked sent. With
# beat's timers every 10 s, a dead worker's notifications are sent again within 40 s.
NOTIFICATION_CLAIM_LEASE_SECONDS = env.float("NOTIFICATION_CLAIM_LEASE_SECONDS", default=30.0)
# A request that left and got no answer this long past its timeout: its worker died in flight.
NOTIFICATION_STALE_SENDING_SECONDS = env.float("NOTIFICATION_STALE_SENDING_SECONDS", default=5.0)
# Retention (README, "Retention"): days after which a final notification's content and a
# processed webhook event's payload are removed by beat's daily job.
# Delivery alerts (notifications.services.alerts, beat every 10 minutes): a brand's figure over
# the last full hour and the last 24 full hours is compared with these (each editable per brand);
# a window with fewer than NOTIFICATION_ALERT_MIN_VOLUME messages is not judged.
NOTIFICATION_ALERT_DELIVERY_RATE_MIN = env.float("NOTIFICATION_ALERT_DELIVERY_RATE_MIN", default=0.90)
NOTIFICATION_ALERT_REFUSED_422_SHARE_MAX = env.float("NOTIFICATION_ALERT_REFUSED_422_SHARE_MAX", default=0.20)
NOTIFICATION_ALERT_BLOCK_RATE_MAX = env.float("NOTIFICATION_ALERT_BLOCK_RATE_MAX", default=0.03)
NOTIFICATION_ALERT_SMS_FAILURE_RATE_MAX = env.float("NOTIFICATION_ALERT_SMS_FAILURE_RATE_MAX", default=0.10)
NOTIFICATION_ALERT_MIN_VOLUME = env.int("NOTIFICATION_ALERT_MIN_VOLUME", default=50)
NOTIFICATION_CONTENT_RETENTION_DAYS = env.int("NOTIFICATION_CONTENT_RETENTION_DAYS", default=180)
WEBHOOK_PAYLOAD_RETENTION_DAYS = env.int("WEBHOOK_PAYLOAD_RETENTION_DAYS", default=90)

# --- Template compliance (compliance app) -------------------------------------------------
# A template whose sends the rules refuse this many times within the window is suspended.
COMPLIANCE_SEND_VIOLATION_THRESHOLD = env.int("COMPLIANCE_SEND_VIOLATION_THRESHOLD", default=5)
COMPLIANCE_SEND_VIOLATION_WINDOW_HOURS = env.int("COMPLIANCE_SEND_VIOLATION_WINDOW_HOURS", default=24)
# Template quality: suspend when more than these shares of sends fell back to SMS / led to a block.
COMPLIANCE_SMS_FALLBACK_SHARE_MAX = env.float("COMPLIANCE_SMS_FALLBACK_SHARE_MAX", default=0.5)
COMPLIANCE_BLOCK_SHARE_MAX = env.float("COMPLIANCE_BLOCK_SHARE_MAX", default=0.03)
COMPLIANCE_QUALITY_MIN_SENDS = env.int("COMPLIANCE_QUALITY_MIN_SENDS", default=200)
COMPLIANCE_QUALITY_WINDOW_DAYS = env.int("COMPLIANCE_QUALITY_WINDOW_DAYS", default=7)
# A review locked to one reviewer may be taken over by another after this many idle minutes
# (a superuser may take it over at once): a reviewer who went home does not hold the queue.
COMPLIANCE_REVIEW_LOCK_IDLE_MINUTES = env.int("COMPLIANCE_REVIEW_LOCK_IDLE_MINUTES", default=30)

# Billing: a JST day is flagged when |portal − LINE| exceeds max(count, share × LINE's count).
BILLING_RECONCILIATION_TOLERANCE = env.int("BILLING_RECONCILIATION_TOLERANCE", default=0)
BILLING_RECONCILIATION_TOLERANCE_SHARE = env.float("BILLING_RECONCILIATION_TOLERANCE_SHARE", default=0.001)
# How far back the daily job asks LINE again for days it has no settled count for.
BILLING_LINE_COUNT_LOOKBACK_DAYS = env.int("BILLING_LINE_COUNT_LOOKBACK_DAYS", default=40)
# The seller on every statement PDF: the company that operates the portal and bills the brands.
BILLING_SELLER_NAME = env.str("BILLING_SELLER_NAME", default="PNP Portal Co., Ltd.")
BILLING_SELLER_TAX_ID = env.str("BILLING_SELLER_TAX_ID", default="")
BILLING_SELLER_ADDRESS = env.str("BILLING_SELLER_ADDRESS", default="")
BILLING_SELLER_EMAIL = env.str("BILLING_SELLER_EMAIL", default="")

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: a real worker process consumes plain files under var/.
    _celery_dir = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
    _broker_dir = _celery_dir / "broker"
    _processed_dir = _celery_dir / "processed"
    _control_dir = _celery_dir / "control"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    _control_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
        "polling_interval": 0.1,
    }
else:
    # Longer than any countdown or task we run, so Redis never redelivers a live task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3 * 3600)}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False
# Celery's Django fixup closes the database connection before and after every task unless this
# is set: a new PostgreSQL connection per task cost more than the task (a dispatch of 25 PNPs).
# Workers instead close connections around tasks as Django does around requests, honouring
# CONN_MAX_AGE and CONN_HEALTH_CHECKS (portal/celery.py); the fixup still renews them every
# CELERY_DB_REUSE_MAX tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.BrandAPIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttling.BrandKeyThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # OPTIONS would describe each view by instantiating its serializer, which views that pick
    # one per action cannot do (a 500); the OpenAPI schema at /api/schema/ describes the API.
    "DEFAULT_METADATA_CLASS": None,
}
# Requests per brand API key and calendar minute (0: no limit); over it, 429 with Retry-After.
# LINE itself takes 2,000 requests a second per channel; a batch request carries up to 1,000.
API_KEY_REQUESTS_PER_MINUTE = env.int("API_KEY_REQUESTS_PER_MINUTE", default=60_000)
SPECTACULAR_SETTINGS = {
    "TITLE": "PNP portal API",
    "DESCRIPTION": (
        "Members, consent and LINE notification messages for brands in Taiwan.\n\n"
        "Every request is authenticated with the brand's API key (`Authorization: Bearer <key>`). "
        "Each key may make a fixed number of requests per calendar minute (60,000 unless the "
        "deployment says otherwise); past it, the answer is **429** with a `Retry-After` header "
        "giving the seconds until the next minute. Errors have one shape: "
        '`{"message": ..., "errors": [{"field", "message", "code"}]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page at /api/docs/ loads Swagger UI from our own static files (no CDN) and its
    # start-up script from a URL of its own, not inline: the CSP allows scripts from 'self' only.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # members, compliance and notifications share the channel codes
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "notifications.choices.Channel",
        "NotificationStatusEnum": "notifications.choices.NotificationStatus",
        "AttemptStatusEnum": "notifications.choices.AttemptStatus",
        "TemplateStatusEnum": "compliance.choices.TemplateStatus",
        "ImportJobStatusEnum": "members.choices.ImportJobStatus",
    },
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Only behind a proxy that sets X-Forwarded-Proto itself and drops the client's: trusted
    # otherwise, any client could claim HTTPS with one header.
    if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The Django admin sets a few inline styles.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    },
}

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")

# --- Logging: phone numbers and secrets are masked before any handler sees them ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_pii": {"()": "portal.logging.MaskPersonalDataFilter"},
        "no_query": {"()": "portal.logging.DropQueryStringFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_pii"]},
        "server": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_query", "mask_pii"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines: through the masking filter too, and without query strings
        # (an SMS vendor's delivery report carries the recipient's number there).
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}


# --- Import / export --------------------------------------------------------------------
# Without these, django-import-export lets any staff user export or import through the
# admin; with them, exporting needs the model's view permission (the rows stay scoped to the
# user's brands by the admin's queryset) and importing its add permission.
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
# Off: django-import-export's escape strips one leading "=" ("==1+1" stays a formula) and turns
# every cell into text; every resource escapes its cells itself (portal.exports.formula_safe).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Uploaded member files and their rejected-rows reports hold names and phone numbers: a daily beat
# job deletes them this many days after the import (the job keeps its counts and file name).
MEMBER_IMPORT_FILE_RETENTION_DAYS = env.int("MEMBER_IMPORT_FILE_RETENTION_DAYS", default=30)
# The largest member file the admin accepts (1,000,000 rows are about 45 MB of CSV).
MEMBER_IMPORT_MAX_UPLOAD_MB = env.int("MEMBER_IMPORT_MAX_UPLOAD_MB", default=100)
