"""Trellis settings: one module, read from the environment, with safe defaults for the demo.

Environment:
  TRELLIS_ENV      dev (default) | production — production refuses unsafe settings (see production.py)
  DATABASE_URL     default: SQLite file data/trellis.sqlite3 (WAL)
  REDIS_URL        optional: Redis channel layer (in-memory otherwise)
  SECRET_KEY       required in production; generated and kept in data/secret_key for the demo
  ALLOWED_HOSTS    comma-separated; default localhost names in dev
  TRELLIS_IDLE_TIMEOUT_MINUTES   inactivity logout (default 15)
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from trellis.config.production import check_production_settings, environment_problem

BASE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("TRELLIS_DATA_DIR", BASE_DIR / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


if environment_problem(os.environ.get("TRELLIS_ENV")):
    raise ImproperlyConfigured(f"Refusing to start: {environment_problem(os.environ.get('TRELLIS_ENV'))}")
TRELLIS_ENV = os.environ.get("TRELLIS_ENV", "dev")
PRODUCTION = TRELLIS_ENV == "production"
DEBUG = _env_bool("DEBUG", not PRODUCTION)


def _secret_key() -> str:
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    if PRODUCTION:
        return ""  # check_production_settings refuses this
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "channels",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",  # background jobs on the database queue (DESIGN.md): `python manage.py db_worker`
    # Trellis bounded contexts (DESIGN.md §3)
    "trellis.core",
    "trellis.web",
    "trellis.accounts",
    "trellis.audit",
    "trellis.patients",
    "trellis.programs",
    "trellis.scheduling",
    "trellis.attendance",
    "trellis.referrals",
    "trellis.consents",
    "trellis.episodes",
    "trellis.careplans",
    "trellis.documentation",
    "trellis.coverage",
    "trellis.compliance",
    "trellis.billing",
    "trellis.telehealth",
    "trellis.outcomes",
]

# Password links sent by administrators (new accounts, resets) work once and for one day.
PASSWORD_RESET_TIMEOUT = 24 * 3600

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # before anything that reads the session: a database that does not answer becomes a calm 503
    "trellis.core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "trellis.audit.middleware.AuditContextMiddleware",
    "trellis.accounts.middleware.IdleTimeoutMiddleware",
    "trellis.accounts.middleware.RequireMFAMiddleware",
    "trellis.accounts.middleware.RequirePasswordChangeMiddleware",
    "trellis.accounts.middleware.ActiveSiteMiddleware",
    "trellis.core.middleware.NoStoreMiddleware",
    # axes must be last: it turns lockouts into a response
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "trellis.config.urls"
WSGI_APPLICATION = "trellis.config.wsgi.application"
ASGI_APPLICATION = "trellis.config.asgi.application"

# Background jobs (django-tasks, the API Django 6 ships as django.tasks): the database queue, so no broker is
# needed; `python manage.py db_worker` runs them. Tests run them immediately (conftest.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trellis.web.context_processors.shell",
            ],
        },
    },
]
FORM_RENDERER = "trellis.web.forms.TrellisFormRenderer"

# --- Database -------------------------------------------------------------------------------------
# No persistent connections: under ASGI every request runs in its own thread, so a per-thread connection is
# never reused and lingers until garbage collection. PostgreSQL connections come from a per-process psycopg
# pool instead (README, "Production deployment": size it against the server's max_connections), and every
# connection carries timeouts so a frozen or locked database makes requests fail fast with a 503
# (trellis.core.middleware.DatabaseUnavailableMiddleware) instead of hanging.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'trellis.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
DB_CONNECT_TIMEOUT = _env_int("TRELLIS_DB_CONNECT_TIMEOUT", 5)  # seconds (libpq's minimum is 2)
DB_STATEMENT_TIMEOUT_MS = _env_int("TRELLIS_DB_STATEMENT_TIMEOUT_MS", 30_000)  # 0 turns it off
DB_LOCK_TIMEOUT_MS = _env_int("TRELLIS_DB_LOCK_TIMEOUT_MS", 10_000)  # 0 turns it off
DB_POOL_MIN = _env_int("TRELLIS_DB_POOL_MIN", 2)  # connections kept open per process
DB_POOL_MAX = _env_int("TRELLIS_DB_POOL_MAX", 10)  # per process; 0 turns the pool off (external pooler)
DB_POOL_TIMEOUT = _env_int("TRELLIS_DB_POOL_TIMEOUT", 10)  # seconds a request waits for a free connection
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    # A dead peer (network partition) is noticed within ~30 s rather than the kernel's default of hours.
    options.setdefault("keepalives", 1)
    options.setdefault("keepalives_idle", 10)
    options.setdefault("keepalives_interval", 5)
    options.setdefault("keepalives_count", 3)
    options.setdefault("tcp_user_timeout", 30_000)
    server_options = [f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}", f"-c lock_timeout={DB_LOCK_TIMEOUT_MS}"]
    options["options"] = " ".join([options.get("options", ""), *server_options]).strip()
    if DB_POOL_MAX > 0:
        options.setdefault(
            "pool",
            {"min_size": min(DB_POOL_MIN, DB_POOL_MAX), "max_size": DB_POOL_MAX, "timeout": DB_POOL_TIMEOUT},
        )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers proceed while one writer commits; IMMEDIATE avoids lock upgrades deadlocking.
            # synchronous=FULL: with WAL, NORMAL can lose the last acknowledged commits on power loss
            # (https://www.sqlite.org/pragma.html#pragma_synchronous); clinical data needs FULL.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's 5 s blocking pop:
        # under load the read timed out first and closed WebSockets with 1011. Give reads headroom.
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                    "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]}}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Telehealth -----------------------------------------------------------------------------------
# ICE servers handed to browsers for WebRTC (JSON list of RTCIceServer dicts). None are needed when
# everyone is on one network; across the internet add STUN, and TURN for restrictive firewalls, e.g.
# [{"urls": "stun:stun.example.org:3478"}, {"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]
TRELLIS_ICE_SERVERS = json.loads(os.environ.get("TRELLIS_ICE_SERVERS", "[]") or "[]")
# LiveKit (optional SFU for larger groups, chosen per organization): API key and secret of the
# organization's own LiveKit server. Only used when an organization selects the LiveKit provider.
LIVEKIT_API_KEY = os.environ.get("LIVEKIT_API_KEY", "")
LIVEKIT_API_SECRET = os.environ.get("LIVEKIT_API_SECRET", "")
# How join links reach patients: dotted path to a sender class (trellis/telehealth/senders.py).
TRELLIS_PATIENT_SENDER = os.environ.get(
    "TRELLIS_PATIENT_SENDER",
    "trellis.telehealth.senders.EmailSender" if PRODUCTION else "trellis.telehealth.senders.ConsoleSender",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "no-reply@localhost")

# --- Authentication and account security ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures (django-axes): 5 failures per account, 15-minute cool-off.
AXES_FAILURE_LIMIT = int(os.environ.get("TRELLIS_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("TRELLIS_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "trellis.accounts.policies.lockout_username"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The same client address as the audit trail (X-Forwarded-For read from the right; see audit.middleware).
AXES_CLIENT_IP_CALLABLE = "trellis.audit.middleware.client_ip"
# Failed sign-ins are logged so one client can be throttled across accounts (TRELLIS_LOCKOUT_IP_FAILURES).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Per-client throttle next to the per-account lockout: one address failing this often within the lockout window
# is refused for the rest of it, so it cannot lock out every account in turn.
TRELLIS_LOCKOUT_IP_FAILURES = int(os.environ.get("TRELLIS_LOCKOUT_IP_FAILURES", "20"))
AXES_VERBOSE = False

# Mail to staff (password links, access changes) and patients (links). The console backend prints messages in
# dev; production sets SMTP through these variables (see README, Configuration).
EMAIL_BACKEND = os.environ.get("TRELLIS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("TRELLIS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("TRELLIS_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("TRELLIS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TRELLIS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("TRELLIS_EMAIL_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("TRELLIS_FROM_EMAIL", "Trellis <no-reply@trellis.invalid>")

TRELLIS_IDLE_TIMEOUT_MINUTES = int(os.environ.get("TRELLIS_IDLE_TIMEOUT_MINUTES", "15"))
SESSION_COOKIE_AGE = 12 * 60 * 60  # hard ceiling for one working day; idle timeout is enforced separately
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default for forms
OTP_TOTP_ISSUER = "Trellis"

# --- Outcomes (trellis/outcomes/README.md) ---------------------------------------------------------
# How self-completion links reach patients: a dotted path to a sender class (console in dev, Django mail).
TRELLIS_OUTCOMES_SENDER = os.environ.get(
    "TRELLIS_OUTCOMES_SENDER",
    "trellis.outcomes.senders.DjangoMailSender" if PRODUCTION else "trellis.outcomes.senders.ConsoleSender",
)
# Text messages for self-completion links through a Twilio-compatible REST gateway (outcomes.senders.TwilioSender).
TRELLIS_SMS_ACCOUNT_SID = os.environ.get("TRELLIS_SMS_ACCOUNT_SID", "")
TRELLIS_SMS_AUTH_TOKEN = os.environ.get("TRELLIS_SMS_AUTH_TOKEN", "")
TRELLIS_SMS_FROM = os.environ.get("TRELLIS_SMS_FROM", "")
TRELLIS_SMS_API_BASE = os.environ.get("TRELLIS_SMS_API_BASE", "https://api.twilio.com")
# Absolute address of this Trellis for links in alert e-mails (links to patients use the request's host).
TRELLIS_PUBLIC_URL = os.environ.get("TRELLIS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
TRELLIS_OUTCOMES_LINK_HOURS = int(os.environ.get("TRELLIS_OUTCOMES_LINK_HOURS", "72"))
TRELLIS_OUTCOMES_ESCALATE_MINUTES = int(os.environ.get("TRELLIS_OUTCOMES_ESCALATE_MINUTES", "60"))
TRELLIS_OUTCOMES_ON_CALL_ROLES = os.environ.get("TRELLIS_OUTCOMES_ON_CALL_ROLES", "program_director").split(",")
TRELLIS_OUTCOMES_ESCALATION_ROLES = os.environ.get("TRELLIS_OUTCOMES_ESCALATION_ROLES", "prescriber").split(",")
# Per-instrument scale settings, e.g. {"pcl5": {"total": {"caseness": 31}}, "dass21": {"depression":
# {"reliable_change": 5}}} (JSON). Cut-points and reliable-change thresholds are configurable.
TRELLIS_OUTCOMES_SCALE_OVERRIDES = json.loads(os.environ.get("TRELLIS_OUTCOMES_SCALE_OVERRIDES", "{}") or "{}")

# --- Security headers -----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
# How many reverse proxies sit in front of Trellis and append to X-Forwarded-For (the client address for the
# audit trail is taken that many entries from the right; 0 ignores the header). Default 1 in production.
TRELLIS_TRUSTED_PROXY_COUNT = int(os.environ.get("TRELLIS_TRUSTED_PROXY_COUNT", "1" if PRODUCTION else "0"))
if TRELLIS_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRELLIS_TRUSTED_PROXY_COUNT must be 0 or more")

if _env_bool("TRELLIS_BEHIND_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],  # accent colour custom property on <body>
        "img-src": [SELF, "data:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF, "ws:", "wss:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- I18N / time ----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it; collectstatic fills it for production
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("TRELLIS_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

# --- Logging: no PHI. Application code logs ids only; request bodies are never logged. -------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # a database outage is logged once per request by trellis.core.health, without a traceback
    "filters": {"drop_outage_tracebacks": {"()": "trellis.core.health.DropOutageTracebacks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # django.request logs full URLs of failing requests; URLs carry only opaque ids by convention.
        "django.request": {"level": "ERROR", "filters": ["drop_outage_tracebacks"]},
        "axes": {"level": "WARNING"},
    },
}

TRELLIS_HEALTH_PATH = "/healthz"  # answered with JSON, also when the database is unavailable

check_production_settings(globals())

# Lockout is per account (AXES_LOCKOUT_PARAMETERS=["username"]): rotating IPs or user agents does not reset
# an account's failure count, which is what axes.W006 worries about for IP-based configurations.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# A group note saves every attendee's section in one POST (~25 fields per patient); allow large groups.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# --- Billing (X12 claim files) -----------------------------------------------------------------------
# ISA06/GS02 and ISA08/GS03 identifiers agreed with the clearinghouse; ISA15 usage T (test) until the
# clearinghouse moves the account to production (P).
TRELLIS_X12_SENDER_ID = os.environ.get("TRELLIS_X12_SENDER_ID", "TRELLIS")
TRELLIS_X12_RECEIVER_ID = os.environ.get("TRELLIS_X12_RECEIVER_ID", "CLEARINGHOUSE")
TRELLIS_X12_RECEIVER_NAME = os.environ.get("TRELLIS_X12_RECEIVER_NAME", "CLEARINGHOUSE")
TRELLIS_X12_USAGE = os.environ.get("TRELLIS_X12_USAGE", "T")
# File-drop submission: where submitted batches are written for the clearinghouse's pick-up.
TRELLIS_CLAIMS_DROP_DIR = Path(os.environ.get("TRELLIS_CLAIMS_DROP_DIR", DATA_DIR / "claims-outbox"))
