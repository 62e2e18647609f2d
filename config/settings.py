"""Kantoku settings: one file, driven by environment variables.

Defaults are the embedded development setup (SQLite file, in-memory channel
layer, DEBUG on). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and DEBUG=false; see .env.example and docs/deploy.md.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A variable's value; set but empty counts as unset (a blank line in .env must not switch things off)."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    return default if not value else value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - development default only

# Fernet keys for message bodies, comma-separated, newest first (docs/messaging.md).
# Without them, development derives a stable key from SECRET_KEY (messaging/crypto.py).
MESSAGE_KEYS = env_list("MESSAGE_KEYS", "")
if not MESSAGE_KEYS and not DEBUG:
    raise RuntimeError("MESSAGE_KEYS must be set when DEBUG is off (see docs/messaging.md)")

# Open Badges signing keys (docs/badges.md): Ed25519 secretKeyMultibase values, comma-separated, newest
# first; the first signs. Public keys of keys taken out of use stay published from
# BADGE_RETIRED_PUBLIC_KEYS so badges signed with them still verify. Without keys, development
# derives one from SECRET_KEY (badges/keys.py); issuing refuses to sign when DEBUG is off.
BADGE_SIGNING_KEYS = env_list("BADGE_SIGNING_KEYS", "")
BADGE_RETIRED_PUBLIC_KEYS = env_list("BADGE_RETIRED_PUBLIC_KEYS", "")
# The address badges name themselves by (issuer, keys, status lists, credentials: docs/badges.md). It is
# signed into every badge, so it must be the service's lasting public https address in production (a
# deploy check refuses http there); changing it later breaks the links of badges already given.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "classrooms.views.errors.csrf_failure"  # "the page was open too long", in Japanese

INSTALLED_APPS = [
    "daphne",
    "config.console.ConsoleAdminConfig",  # django.contrib.admin, as the operators' console
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",  # its checks only: the policy is set below (docs/design.md §9.1)
    "django_htmx",
    "axes",
    # Two-factor sign-in (docs/design.md §1): an authenticator app, and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "classrooms",
    "exams",
    "proctoring",
    "messaging",
    "sockets",
    "operations",
    "badges",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (docs/design.md §9.1).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # which device verified this session, if any
    # 児童 or 生徒 by school type (docs/design.md §11): after the language and the user are known.
    "classrooms.middleware.SchoolWordsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The second factor before anything else, even before choosing a new password (docs/design.md §1).
    "classrooms.middleware.TwoFactorRequiredMiddleware",
    "classrooms.middleware.PasswordChangeRequiredMiddleware",
    # An examinee between schools reaches one page (docs/design.md §7): after the password check.
    "classrooms.middleware.BetweenSchoolsMiddleware",
    # AxesMiddleware must be last: it turns lockouts into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Form errors that name their field (氏名を入力してください。), for every form: config/forms.py.
FORM_RENDERER = "config.forms.FormRenderer"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite file by default, PostgreSQL with DATABASE_URL -----------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Under ASGI every request runs in a thread of its own, so a kept connection would never be
    # reused: connections come from Django's psycopg pool instead (per process; CONN_MAX_AGE must
    # be 0 with it). The websocket threads (sockets/executor.py) keep theirs from it.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(env("DB_POOL_MIN", "2")),
        "max_size": int(env("DB_POOL_MAX", "20")),
        "timeout": float(env("DB_POOL_TIMEOUT", "10")),
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # IMMEDIATE takes the write lock when a transaction begins, so the
            # capacity checks in services serialize on SQLite as they do on
            # PostgreSQL with SELECT ... FOR UPDATE.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests on a file too (one per test process): an in-memory shared-cache database fails at
            # once with "table is locked" when two threads write, where a file waits its turn.
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"kantoku-test-{os.getpid()}.sqlite3")},
        }
    }

# --- Channel layer: in-memory by default, Redis with REDIS_URL ------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    # Connection options for redis-py (channels_redis passes a dict host to ConnectionPool.from_url;
    # options in the URL's query string win over these).
    # - socket_timeout: redis-py 8 made it 5 s, as long as the layer's blocking read (BZPOPMIN, 5 s),
    #   so every idle receive() timed out and its websocket closed with 1011 (django/channels_redis#422,
    #   redis/redis-py#4091). 15 s is well above the blocking read, and still bounds a read from a
    #   Redis that stopped answering (None would wait for ever).
    # - retry: a command on a pooled connection that Redis closed (a restart) reconnects and runs
    #   again instead of failing the handshake with HTTP 500; the backoff (0.2+0.4+0.8+1+1 s) also
    #   rides out a restart's downtime. redis-py's default for pooled connections is no retry.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 2,
                        "retry": Retry(ExponentialBackoff(cap=1, base=0.1), 5),
                        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
                    }
                ],
                # Messages waiting per channel before a group send skips it (default 100): a proctor's
                # socket receives a whole class's events, and a start sends 40 at once.
                "capacity": 500,
            },
        }
    }
else:
    # One process: the embedded layer (sockets/layers.py), Channels' in-memory layer without its
    # per-message scan of every channel.
    CHANNEL_LAYERS = {"default": {"BACKEND": "sockets.layers.LocalChannelLayer", "CONFIG": {"capacity": 500}}}

# --- Cache: the rate limits' counts (config/ratelimits.py) -----------------------
# Redis when REDIS_URL is set, so that every daphne process counts together; one process's memory
# otherwise. Short timeouts: a request never waits long on a Redis that stopped answering.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kantoku",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kantoku"}}

# POSTs per user (docs/design.md §10.6; the honest peaks they are set against: docs/benchmarks.md).
# "600/m" is at most 600 a minute. django_ratelimit is used as a library, not an installed app: its
# system check names only django-redis, not Django's own RedisCache, and refuses local memory even
# for a single process. When the cache cannot be reached, requests go through (fail open).
RATE_LIMITS = {
    "answer": env("RATE_LIMIT_ANSWER", "600/m"),  # answer saves of the attempt page
    "message": env("RATE_LIMIT_MESSAGE", "30/m"),  # messages, new or in a conversation
    "notice": env("RATE_LIMIT_NOTICE", "60/h"),  # class notices
    "roster_import": env("RATE_LIMIT_ROSTER_IMPORT", "30/h"),  # roster CSV imports
    "password": env("RATE_LIMIT_PASSWORD", "100/h"),  # new initial passwords issued, own password changes
    "authoring": env("RATE_LIMIT_AUTHORING", "300/m"),  # the test editor's saves (autosave), imports, regrades
}
RATELIMIT_FAIL_OPEN = True

# --- The live path (docs/design.md §10, docs/deploy.md for sizing) -------------
# Threads for the websockets' database work, each keeping its connection (sockets/executor.py).
# SQLite has one writer at a time: more threads there only wait for each other.
LIVE_DB_THREADS = int(env("LIVE_DB_THREADS", "4" if DATABASE_URL else "2"))
# How stale a socket's authority may be: the account and browser session are loaded again before a
# state-changing frame, and before any frame once the last check is older than this.
LIVE_RECHECK_SECONDS = float(env("LIVE_RECHECK_SECONDS", "30"))
# Each process renews its lease every tick; a process whose lease is older than LIVE_LEASE_SECONDS is
# dead and its sockets count as closed. A socket silent for LIVE_PRESENCE_TIMEOUT_SECONDS is closed.
LIVE_TICK_SECONDS = float(env("LIVE_TICK_SECONDS", "5"))
LIVE_LEASE_SECONDS = float(env("LIVE_LEASE_SECONDS", "15"))
LIVE_PRESENCE_TIMEOUT_SECONDS = float(env("LIVE_PRESENCE_TIMEOUT_SECONDS", "45"))
# The name of this server process in presence rows: set it per daphne instance (e.g. "web1:8001") so a
# restarted process clears what its previous life left at once; default: host name and process id.
KANTOKU_PROCESS_NAME = env("KANTOKU_PROCESS_NAME")

# --- Transfers (docs/design.md §7) ---------------------------------------------
# A transfer code (on the handover slip of an examinee's leaving) works for this many days.
TRANSFER_CODE_DAYS = int(env("TRANSFER_CODE_DAYS", "60"))
# Login ids and codes that do not match, per filing account and hour, before it must wait.
TRANSFER_CODE_FAILURE_LIMIT = int(env("TRANSFER_CODE_FAILURE_LIMIT", "5"))

# --- Operations (docs/design.md §8) --------------------------------------------
# A terminated school's personal data is deleted this many days after its contract ended.
DATA_RETENTION_DAYS = int(env("DATA_RETENTION_DAYS", "90"))
# Where `manage.py backup` writes (git-ignored in the project by default); keep a copy off the machine.
BACKUP_DIR = Path(env("BACKUP_DIR", str(BASE_DIR / "backups")))
# Backups are encrypted to these age public keys (age1..., comma-separated); the private key that
# restores them stays off the server (docs/deploy.md). Required by `manage.py backup` when DEBUG is off;
# with DEBUG on and none set, a development key pair is used (operations/backups.py).
BACKUP_RECIPIENTS = env_list("BACKUP_RECIPIENTS", "")
# The age identity file `manage.py restore` reads when --identity is not given.
BACKUP_IDENTITY_FILE = env("BACKUP_IDENTITY_FILE")
# Backups younger than this many days are kept; older ones go once a newer one is verified.
BACKUP_RETENTION_DAYS = int(env("BACKUP_RETENTION_DAYS", "7"))

# A school's data exports (ZIP files of personal data): a private folder, never served directly.
EXPORT_DIR = Path(env("EXPORT_DIR", str(BASE_DIR / "exports")))
# An export is kept this many days; a build silent for EXPORT_STALE_MINUTES is started again.
EXPORT_KEEP_DAYS = int(env("EXPORT_KEEP_DAYS", "7"))
EXPORT_STALE_MINUTES = int(env("EXPORT_STALE_MINUTES", "10"))

# --- Accounts ------------------------------------------------------------------
AUTH_USER_MODEL = "classrooms.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "classrooms.backends.MembershipBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "classrooms:login"
LOGIN_REDIRECT_URL = "classrooms:home"
LOGOUT_REDIRECT_URL = "classrooms:login"

# --- Security headers and HTTPS (docs/design.md §9.1; Django sends them, nginx does not: docs/deploy.md) ---
# Behind nginx terminating TLS: trust its X-Forwarded-Proto, redirect plain HTTP to HTTPS (except the
# health probe, which a proxy or monitor may ask over plain HTTP) and send HSTS.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG or BEHIND_TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 60 * 60 * 12  # one school day
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # Django's default, stated: no URL (with its ids) leaves the site
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"  # Django's default, stated
X_FRAME_OPTIONS = "DENY"  # for browsers without CSP frame-ancestors
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # One year. includeSubDomains: no name under the service's host may be answered over plain HTTP,
    # so a spoofed http://x.<host> cannot plant cookies for the host (docs/deploy.md, nginx).
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", str(365 * 24 * 60 * 60)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# HSTS preload is a promise about the whole registrable domain, made by its owner on hstspreload.org,
# not by one service on it: no `preload`, and the check that asks for it is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Only the site's own scripts, styles, images and connections (websockets included: 'self' matches
# ws:/wss: to the same host and port); no inline script or style, no eval, no plugins, no framing.
# A page adds its JSON with json_script and its script as a static file (docs/design.md §9.1).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Nothing here needs them; the attempt page's full screen (fullscreen) keeps its default, 'self'.
PERMISSIONS_POLICY = {"camera": [], "microphone": [], "geolocation": [], "payment": []}

# Login throttling: a lockout is per (login id, address) pair, so one pupil
# mistyping cannot lock out the classmates who share the school's NAT address.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (axes would default to USERNAME_FIELD)
AXES_USERNAME_CALLABLE = "classrooms.backends.throttled_login_id"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-factor sign-in (classrooms/two_factor.py). The name authenticator apps show for the account.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Kantoku")
# Wrong codes: after n wrong codes in a row a device accepts the next one only after
# factor × 2^(n-1) seconds (1, 2, 4, … 512 s after ten), for the app and the recovery codes alike.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- i18n / time ------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# One date format per language, used by every template (docs/design.md §11).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", str(BASE_DIR / "staticfiles"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Logging: structured enough to grep, never a password or message body ---------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
