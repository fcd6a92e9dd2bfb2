"""Settings for myHEZO, read from the environment (django-environ).

With nothing set, the portal runs on the embedded default: SQLite under var/, e-mails written as files
under var/mail/, Celery tasks run in-process. DATABASE_URL, REDIS_URL and EMAIL_URL switch to
PostgreSQL, Redis (Celery broker and cache) and SMTP. README.md lists every variable.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MYHEZO_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # optional; never committed


def _embedded_secret_key() -> str:
    """A per-checkout random key kept under var/, so the embedded default needs no configuration
    and no secret is ever committed. Production sets DJANGO_SECRET_KEY."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _embedded_secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "django_ratelimit",
    "core",
    "accounts",
    # Backup codes stored as salted hashes (django-otp's otp_static stays installed only for its migrations).
    "accounts.otp_hashed",
    "contracts",
    "tickets",
    "sla",
    "operations",
    "migration",
    "portal",
    # The reports for account managers (admin pages).
    "reports",
    # Replies by e-mail (SPEC §9): `manage.py mail_receive`.
    "inbound",
    # Made-up data for `make run` (demo_data) and the benchmarks (bench_seed).
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy everywhere, no-store for logged-in users' pages (core/middleware.py).
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user.is_verified(): whether this session passed the second factor (django-otp, leaner).
    "accounts.middleware.OTPMiddleware",
    # After authentication: a logged-in user's preferred language wins (SPEC §10).
    "core.middleware.PortalLocaleMiddleware",
    # 400 for a query string not UTF-8 or with a NUL (core/middleware.py); after the locale: the page is translated.
    "core.middleware.QueryStringMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session timeouts (accounts/sessions.py); after messages, to say why on the login page.
    "accounts.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "myhezo.urls"
WSGI_APPLICATION = "myhezo.wsgi.application"

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
                "core.context_processors.portal",
            ],
        },
    },
]
# Form widgets through Jinja2 where Django ships a Jinja2 version (core/renderers.py).
FORM_RENDERER = "core.renderers.FastFormRenderer"

# --- Database ---------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections are kept between requests (a new PostgreSQL connection costs more than most pages) and checked
# before a request uses one again, so a connection PostgreSQL dropped is replaced. docker-compose.yml and
# bench/load.py run with exactly these defaults; DJANGO_CONN_MAX_AGE=0 closes each after its request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with UPPER and LOWER for every letter (Polish ones too), as on PostgreSQL.
    DATABASES["default"]["ENGINE"] = "core.db.sqlite3"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users ------------------------------------------------------------------------------------------
# Django's ModelBackend with a leaner per-request user lookup (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.UserBackend"]
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "core:home"
# ASVS 5.0 V6.2: at least 12 characters, no maximum (forms do not cut), not a common password, not like the
# user's name or address, and no composition rule of any kind (V6.2.5): Django's NumericPasswordValidator,
# which refuses a password made only of digits, is such a rule and is not used.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# TOTP that Google, Microsoft and Okta Authenticator read: 6 digits, 30 s, SHA-1 (SPEC §3).
TWO_FACTOR_TOTP_DIGITS = 6
OTP_TOTP_ISSUER = "myHEZO"
TWO_FACTOR_QR_FACTORY = "qrcode.image.svg.SvgPathImage"
# Wrong codes slow down further tries on that device (django-otp's throttle).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# ... doubling from 1 s, but never beyond this wait (accounts/throttle.py caps the failure count: with factor 1
# the longest wait is 512 s); every refused try during a wait is logged (AuthEvent "otp_throttled").
MYHEZO_OTP_THROTTLE_MAX = timedelta(minutes=env.int("MYHEZO_OTP_THROTTLE_MAX_MINUTES", default=15))

# --- Languages and time (SPEC §10) ------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The host decides the default language when neither the user nor the switcher has chosen one.
# A subdomain (www.myhezo.pl) follows its parent domain.
LANGUAGE_BY_HOST = env.dict("MYHEZO_LANGUAGE_BY_HOST", default={"myhezo.pl": "pl", "myhezo.com": "en"})
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Europe/Warsaw"
# One unambiguous date and time format in both languages (core/formats/, used through core/dates.py in Python).
FORMAT_MODULE_PATH = ["core.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files live outside anything served statically; they are only served by access-checked views.
MEDIA_ROOT = Path(env.str("MYHEZO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names need `collectstatic` first: the Docker image does that.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("DJANGO_STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# --- Redis, cache and Celery ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down: calls answer as misses instead of raising (core/cache.py), quickly.
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("MYHEZO_CACHE_PREFIX", default="myhezo"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The in-memory transport with its host named: without one kombu warns "No hostname was supplied" on
    # every connection it opens (one per e-mail queued under runserver).
    CELERY_BROKER_URL = "memory://localhost/"
    # Embedded default: no broker, tasks run in the process that queues them (after commit).
    CELERY_TASK_ALWAYS_EAGER = True
# A separate queue name lets test runs and several portals share one Redis without taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("MYHEZO_CELERY_QUEUE", default="myhezo")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queuing a task while Redis is down gives up within a few seconds; the e-mail waits in the outbox for the sweep.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "core.tasks.outbox_sweep", "schedule": crontab(minute="*")},
    "sla-scan": {"task": "sla.tasks.sla_scan", "schedule": crontab(minute="*")},
    "rma-reminders": {"task": "operations.tasks.rma_reminders", "schedule": crontab(minute=7)},
    "mail-receive": {"task": "inbound.tasks.mail_receive", "schedule": crontab(minute="*")},
}

# Throttling counts live in the default cache. Django's own RedisCache increments atomically, which
# django-ratelimit does not list (W001). The embedded default's local-memory cache is per process (E003):
# fine for one dev server; production sets REDIS_URL so every web process shares the counts.
RATELIMIT_USE_CACHE = "default"
# Redis unreachable: throttles allow the attempt (and core/cache.py logs it). Failing closed would turn a Redis
# outage into a login and verification outage for everybody; the second factor is throttled in the database.
RATELIMIT_FAIL_OPEN = True
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] + ([] if REDIS_URL else ["django_ratelimit.E003"])
# The embedded default's SQLite builds the tickets' covering indexes without their `include` columns (W040):
# harmless (the columns are there for PostgreSQL's index-only scans), so it is silenced on SQLite alone.
if DATABASES["default"]["ENGINE"] == "core.db.sqlite3":
    SILENCED_SYSTEM_CHECKS.append("models.W040")
# Behind a proxy that overwrites it, e.g. HTTP_X_REAL_IP; else the socket address.
RATELIMIT_IP_META_KEY = env.str("MYHEZO_CLIENT_IP_META_KEY", default="REMOTE_ADDR")
MYHEZO_VERIFY_RATE_PER_ACCOUNT = env.str("MYHEZO_VERIFY_RATE_PER_ACCOUNT", default="5/15m")
MYHEZO_VERIFY_RATE_PER_IP = env.str("MYHEZO_VERIFY_RATE_PER_IP", default="20/h")
# Registration (per client IP, and per address typed: past it the same page, and nothing done) and the contact
# form (per client IP). The "someone tried to register with your address" e-mail goes at most once a day.
MYHEZO_REGISTER_RATE_PER_IP = env.str("MYHEZO_REGISTER_RATE_PER_IP", default="10/h")
MYHEZO_REGISTER_RATE_PER_ADDRESS = env.str("MYHEZO_REGISTER_RATE_PER_ADDRESS", default="5/h")
MYHEZO_CONTACT_RATE_PER_IP = env.str("MYHEZO_CONTACT_RATE_PER_IP", default="5/h")
# Failed passwords (accounts/throttle.py): per login and IP, per IP, and per login alone from browsers where
# that login never completed a login before (the "known device" cookie, kept MYHEZO_KNOWN_DEVICE_DAYS).
MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP = env.str("MYHEZO_LOGIN_RATE_PER_ACCOUNT_AND_IP", default="10/15m")
MYHEZO_LOGIN_RATE_PER_ACCOUNT = env.str("MYHEZO_LOGIN_RATE_PER_ACCOUNT", default="50/h")
MYHEZO_LOGIN_RATE_PER_IP = env.str("MYHEZO_LOGIN_RATE_PER_IP", default="60/h")
MYHEZO_KNOWN_DEVICE_DAYS = env.int("MYHEZO_KNOWN_DEVICE_DAYS", default=180)

# --- E-mail -----------------------------------------------------------------------------------------
EMAIL_FILE_PATH = VAR_DIR / "mail"
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    # One file per e-mail under var/mail/ (SPEC §11): the outbox sends each message on its own connection.
    EMAIL_BACKEND = "core.mail.OneFilePerEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="myHEZO <noreply@myhezo.pl>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Pending outbox e-mails older than this are queued again by the periodic sweep.
MYHEZO_OUTBOX_RETRY_AFTER = timedelta(minutes=env.int("MYHEZO_OUTBOX_RETRY_MINUTES", default=5))

# --- The portal -------------------------------------------------------------------------------------
MYHEZO_HELPDESK_EMAIL = env.str("MYHEZO_HELPDESK_EMAIL", default="pomoc@myhezo.pl")
MYHEZO_HELPDESK_PHONE = env.str("MYHEZO_HELPDESK_PHONE", default="+48 12 25 25 600")
MYHEZO_HELPDESK_LANGUAGE = env.str("MYHEZO_HELPDESK_LANGUAGE", default="pl")
MYHEZO_ESCALATION_EMAIL = env.str("MYHEZO_ESCALATION_EMAIL", default="escalation@myhezo.pl")
MYHEZO_ESCALATION_PHONE = env.str("MYHEZO_ESCALATION_PHONE", default="12 25 25 502")

# Replies by e-mail (SPEC §9): ticket e-mails answer to MYHEZO_REPLY_EMAIL tagged per ticket
# (pomoc+HZ-2026-000123.<token>@myhezo.pl: the mailbox must accept "+" sub-addresses); the receiver reads
# INBOUND_EMAIL_URL (imaps://user:password@host/INBOX) or, when it is empty, var/inbox/*.eml.
MYHEZO_REPLY_EMAIL = env.str("MYHEZO_REPLY_EMAIL", default=MYHEZO_HELPDESK_EMAIL)
INBOUND_EMAIL_URL = env.str("INBOUND_EMAIL_URL", default="")
MYHEZO_INBOUND_DIR = VAR_DIR / "inbox"
MYHEZO_INBOUND_PROCESSED_FOLDER = env.str("MYHEZO_INBOUND_PROCESSED_FOLDER", default="processed")
MYHEZO_INBOUND_MAX_MB = env.int("MYHEZO_INBOUND_MAX_MB", default=40)
MYHEZO_ENGINEERS_EMAIL = env.str("MYHEZO_ENGINEERS_EMAIL", default=MYHEZO_HELPDESK_EMAIL)
MYHEZO_SLA_ALERT_EMAIL = env.str("MYHEZO_SLA_ALERT_EMAIL", default="sla@myhezo.pl")
# Share of a clock's target (counted inside its window) after which it is "at risk" and its one warning goes out.
MYHEZO_SLA_AT_RISK_PERCENT = env.int("MYHEZO_SLA_AT_RISK_PERCENT", default=80)
MYHEZO_ENGINEERS_LANGUAGE = env.str("MYHEZO_ENGINEERS_LANGUAGE", default=MYHEZO_HELPDESK_LANGUAGE)

# Ticket attachments (SPEC §4): per file and per message.
MYHEZO_ATTACHMENT_MAX_BYTES = env.int("MYHEZO_ATTACHMENT_MAX_MB", default=20) * 1024 * 1024
MYHEZO_ATTACHMENT_MAX_FILES = env.int("MYHEZO_ATTACHMENT_MAX_FILES", default=10)
MYHEZO_TICKET_MAX_CCS = env.int("MYHEZO_TICKET_MAX_CCS", default=20)
MYHEZO_TICKETS_PER_PAGE = 25
# Memory per process for remembered list rows and dialog messages (core/fragments.py).
MYHEZO_FRAGMENT_CACHE_MB = env.int("MYHEZO_FRAGMENT_CACHE_MB", default=16)

# Activation links work once and expire after this long (SPEC §3).
MYHEZO_ACTIVATION_TIMEOUT = timedelta(hours=env.int("MYHEZO_ACTIVATION_HOURS", default=72))
# Absolute links in e-mails (no request at hand in a task): the portal's public address.
MYHEZO_BASE_URL = env.str("MYHEZO_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Security ---------------------------------------------------------------------------------------
# DJANGO_SECURE=1 behind HTTPS in production (docker-compose sets it); off for http://127.0.0.1:8000.
SECURE = env.bool("DJANGO_SECURE", default=False)
SESSION_COOKIE_HTTPONLY = True
# Sessions end after 30 minutes without a request and 12 hours after login (NIST SP 800-63B AAL2); changes of
# the second factor need the password again after 10 minutes (accounts/sessions.py).
MYHEZO_SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("MYHEZO_SESSION_IDLE_MINUTES", default=30))
MYHEZO_SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("MYHEZO_SESSION_ABSOLUTE_HOURS", default=12))
MYHEZO_REAUTH_TIMEOUT = timedelta(minutes=env.int("MYHEZO_REAUTH_MINUTES", default=10))
# Sessions are read from the cache (Redis) and written through to the database: one database query less on
# every page, and nothing lost when Redis restarts.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = int(MYHEZO_SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A form without its valid token gets the portal's page, in the reader's language (core/views.py).
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True  # no script reads it: there is no script
SECURE_SSL_REDIRECT = SECURE and env.bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
# Content-Security-Policy of every response (core.middleware.SecurityHeadersMiddleware): no inline script or
# style anywhere, nothing from another origin; the TOTP QR code is an SVG served by the portal.
MYHEZO_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
