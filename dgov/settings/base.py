"""dgov settings. Every value comes from a DGOV_* environment variable with a safe default;
docs/deployment.md lists them all with their meaning."""

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from dgov.settings.env import env_bool, env_int, env_list, env_str, read_or_create_secret

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DGOV_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DGOV_DEBUG", False)
SECRET_KEY = env_str("DGOV_SECRET_KEY", "") or read_or_create_secret(DATA_DIR / "secret.key", 50)
# The master key wraps field-encryption, blind-index and audit-chain keys. It lives outside the
# database so that a copy of the database alone decrypts nothing.
MASTER_KEY_FILE = Path(env_str("DGOV_MASTER_KEY_FILE", str(DATA_DIR / "master.key")))
DGOV_MASTER_KEY_AUTOCREATE = False  # only `dgov init` creates the key file (see dgov/crypto/keys.py)
ALLOWED_HOSTS = env_list("DGOV_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DGOV_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_filters",
    "ninja",
    "dgov.core",
    "dgov.crypto",
    "dgov.orgs",
    "dgov.calendars",
    "dgov.notifications",
    "dgov.accounts",
    "dgov.kms",
    "dgov.catalog",
    "dgov.duties",
    "dgov.demands",
    "dgov.census",
    "dgov.aggregation",
    "dgov.sharing",
    "dgov.exchange",
    "dgov.federation",
    "dgov.fileexchange",
    "dgov.licenses",
    "dgov.services",
    "dgov.cases",
    "dgov.payments",
    "dgov.ratings",
    "dgov.supervision",
    "dgov.bundles",
    "dgov.policies",
    "dgov.standards",
    "dgov.metadata",
    "dgov.quality",
    "dgov.governance",
    "dgov.opendata",
    "dgov.portal",
    "dgov.workbench",
]

MIDDLEWARE = [
    "dgov.core.middleware.RequestIdMiddleware",
    "dgov.core.middleware.ApiErrorShapeMiddleware",
    "dgov.core.middleware.RejectNulMiddleware",
    "dgov.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dgov.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dgov.accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dgov.urls"
FORM_RENDERER = "dgov.core.forms.DgovFormRenderer"
WSGI_APPLICATION = "dgov.wsgi.application"
ASGI_APPLICATION = "dgov.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dgov.core.nav.navigation",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DGOV_DATABASE_URL", f"sqlite:///{DATA_DIR / 'dgov.sqlite3'}"),
        conn_max_age=env_int("DGOV_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if DEBUG else 60
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dgov"}
}
if env_str("DGOV_REDIS_URL", ""):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                         "LOCATION": env_str("DGOV_REDIS_URL", "")}

# --- identity -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "portal:home"
AUTHENTICATION_BACKENDS = ["dgov.accounts.backends.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "dgov.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
DGOV_LOCKOUT_THRESHOLD = env_int("DGOV_LOCKOUT_THRESHOLD", 5)
DGOV_LOCKOUT_MINUTES = env_int("DGOV_LOCKOUT_MINUTES", 15)
DGOV_IDLE_TIMEOUT_MINUTES = env_int("DGOV_IDLE_TIMEOUT_MINUTES", 30)
DGOV_LOGIN_TOKEN_HOURS = env_int("DGOV_LOGIN_TOKEN_HOURS", 12)
DGOV_SCOPE_RESOLVER = "dgov.accounts.permissions.RoleScopeResolver"
DGOV_KEYRING = "dgov.kms.keyring.DatabaseKeyring"  # the system keys (see dgov/crypto/keys.py)

# --- security -------------------------------------------------------------------------------
SECURE_COOKIES = env_bool("DGOV_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "dgov_session"
CSRF_COOKIE_NAME = "dgov_csrftoken"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DGOV_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes and scrapers talk to the app port directly, over plain HTTP on the host.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("DGOV_HSTS_SECONDS", 31536000)
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(DATA_DIR / "media")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600

# --- lists and filters ---------------------------------------------------------------------
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")  # instead of django-filter's "---------"

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
NINJA_DEFAULT_THROTTLE_RATES = {"login": env_str("DGOV_LOGIN_RATE", "30/min")}

# Generations of the per-process caches (dgov/core/cache.py); on Redis instead when DGOV_REDIS_URL is set.
DGOV_CACHE_DIR = DATA_DIR / "cache"

# --- audit ----------------------------------------------------------------------------------
DGOV_AUDIT_RETENTION_DAYS = max(180, env_int("DGOV_AUDIT_RETENTION_DAYS", 180))
# The chain's head, kept outside the database so that deleting the newest entries is detected.
DGOV_AUDIT_HEAD_FILE = Path(env_str("DGOV_AUDIT_HEAD_FILE", str(DATA_DIR / "audit-head.json")))

# --- data catalog --------------------------------------------------------------------------
# Data supply-demand list (供需对接清单): the provider answers a data demand within this many working days.
DGOV_DEMAND_REPLY_WORKING_DAYS = max(1, env_int("DGOV_DEMAND_REPLY_WORKING_DAYS", 10))
# Data aggregation (数据归集): the platform's data store, a database separate from the application's own
# (SQLAlchemy URL; PostgreSQL in production), and the only directory SQLite source databases may be in.
DGOV_DATASTORE_URL = env_str("DGOV_DATASTORE_URL", f"sqlite:///{DATA_DIR / 'datastore.sqlite3'}")
DGOV_SOURCE_SQLITE_DIR = Path(env_str("DGOV_SOURCE_SQLITE_DIR", str(DATA_DIR / "sources")))
# Sharing requests (共享申请): working days for the provider's and then the big-data centre's decision on a
# conditional request (《政务数据共享条例》 sets time limits; see dgov/sharing/services.py), and a grant's
# daily quota and calls per minute when the provider sets none.
DGOV_SHARING_PROVIDER_WORKING_DAYS = max(1, env_int("DGOV_SHARING_PROVIDER_WORKING_DAYS", 10))
DGOV_SHARING_CENTRE_WORKING_DAYS = max(1, env_int("DGOV_SHARING_CENTRE_WORKING_DAYS", 5))
DGOV_SHARING_DEFAULT_DAILY_QUOTA = max(1, env_int("DGOV_SHARING_DEFAULT_DAILY_QUOTA", 10000))
# Open data: the calls a day a developer key gets, and how many active keys one account may hold.
DGOV_OPENDATA_KEY_DAILY_QUOTA = max(1, env_int("DGOV_OPENDATA_KEY_DAILY_QUOTA", 10000))
DGOV_OPENDATA_MAX_KEYS = max(1, env_int("DGOV_OPENDATA_MAX_KEYS", 5))
# The longest a datastore_search query may run (seconds) before it is stopped and refused (CKAN's datastore
# stops slow queries the same way): a text search or sort over a large table without filters scans every row.
DGOV_OPENDATA_QUERY_SECONDS = max(1, env_int("DGOV_OPENDATA_QUERY_SECONDS", 10))
# The department that publishes the open-data catalog (dct:publisher of the DCAT-AP catalog): 市数据局.
DGOV_OPENDATA_PUBLISHER = env_str("DGOV_OPENDATA_PUBLISHER", "360600036")
DGOV_SHARING_DEFAULT_RATE_LIMIT = max(1, env_int("DGOV_SHARING_DEFAULT_RATE_LIMIT", 60))
# File exchange (文件交换): where packages are kept, how long, and the largest one (rows, bytes).
DGOV_FILEEXCHANGE_DIR = Path(env_str("DGOV_FILEEXCHANGE_DIR", str(DATA_DIR / "packages")))
DGOV_FILEEXCHANGE_DAYS = max(1, env_int("DGOV_FILEEXCHANGE_DAYS", 7))
DGOV_FILEEXCHANGE_MAX_ROWS = max(1, env_int("DGOV_FILEEXCHANGE_MAX_ROWS", 1_000_000))
DGOV_FILEEXCHANGE_MAX_BYTES = max(1, env_int("DGOV_FILEEXCHANGE_MAX_BYTES", 256 * 1024 * 1024))
# The gateway (/exchange/v1/): how far a signed request's timestamp may be from the server's clock (seconds).
DGOV_EXCHANGE_TIMESTAMP_WINDOW = max(30, env_int("DGOV_EXCHANGE_TIMESTAMP_WINDOW", 300))
# Federation (节点级联): this node's code (the region code: 360000 province, 360600 city…), name and
# the base URL its peers reach it at (docs/federation.md).
DGOV_NODE_CODE = env_str("DGOV_NODE_CODE", "360600")
DGOV_NODE_NAME = env_str("DGOV_NODE_NAME", "鹰潭市")
DGOV_NODE_URL = env_str("DGOV_NODE_URL", "http://127.0.0.1:8000")
# Electronic licences (电子证照, docs/licenses.md): the base URL printed in the licences' QR codes (the public
# verification page; `dgov check` warns while it is unset), the TrueType CJK font the licence faces are
# rendered with (empty: the Debian fonts-wqy-microhei font, or another known one), how many verifications
# (POST) one client address may make per minute, and the longest a holder's grant may run.
DGOV_PUBLIC_URL = env_str("DGOV_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
DGOV_LICENSE_FONT = env_str("DGOV_LICENSE_FONT", "")
DGOV_LICENSE_VERIFY_RATE = env_str("DGOV_LICENSE_VERIFY_RATE", "120/min")
DGOV_LICENSE_GRANT_MAX_DAYS = max(1, env_int("DGOV_LICENSE_GRANT_MAX_DAYS", 366))

# --- government services (一网通办, docs/services.md) ------------------------------------------
# Cases: the largest upload, and the local time after which a submission counts as received on the next
# working day.
DGOV_CASE_UPLOAD_MAX_BYTES = max(1024, env_int("DGOV_CASE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
DGOV_CASE_OFFICE_CLOSES = env_str("DGOV_CASE_OFFICE_CLOSES", "17:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", DGOV_CASE_OFFICE_CLOSES):
    raise ImproperlyConfigured("DGOV_CASE_OFFICE_CLOSES must be a local time HH:MM, e.g. 17:00")
# Payments: the provider's base URL (empty: the sandbox this platform serves at /sandbox/payments/), the
# secret the platform and the sandbox sign with (empty: derived from the secret key), the time one call to
# the provider may take, and whether the sandbox is served at all (turn it off with a real provider).
DGOV_PAYMENT_PROVIDER_URL = env_str("DGOV_PAYMENT_PROVIDER_URL", "")
DGOV_PAYMENT_SANDBOX_SECRET = env_str("DGOV_PAYMENT_SANDBOX_SECRET", "")
DGOV_PAYMENT_PROVIDER_TIMEOUT = max(1, env_int("DGOV_PAYMENT_PROVIDER_TIMEOUT", 10))
DGOV_PAYMENT_SANDBOX_ENABLED = env_bool("DGOV_PAYMENT_SANDBOX_ENABLED", True)
# Ratings (好差评): working days to verify a bad rating, to fix what it found, and to call the applicant back.
DGOV_RATING_VERIFY_WORKING_DAYS = max(1, env_int("DGOV_RATING_VERIFY_WORKING_DAYS", 1))
DGOV_RATING_FIX_WORKING_DAYS = max(1, env_int("DGOV_RATING_FIX_WORKING_DAYS", 5))
DGOV_RATING_CALLBACK_WORKING_DAYS = max(1, env_int("DGOV_RATING_CALLBACK_WORKING_DAYS", 3))
# Supervision (审管联动): working days the supervising department has to acknowledge an approval.
DGOV_SUPERVISION_ACK_WORKING_DAYS = max(1, env_int("DGOV_SUPERVISION_ACK_WORKING_DAYS", 3))
# Data quality (数据质量): working days a department has to fix what a failed quality rule found (整改), and
# the PostgreSQL work_mem of a quality run's transaction (the GROUP BY of a uniqueness check on a big table).
DGOV_QUALITY_REMEDIATION_WORKING_DAYS = max(1, env_int("DGOV_QUALITY_REMEDIATION_WORKING_DAYS", 10))
DGOV_QUALITY_WORK_MEM = env_str("DGOV_QUALITY_WORK_MEM", "64MB")
if not re.fullmatch(r"[0-9]{1,6}(kB|MB|GB)", DGOV_QUALITY_WORK_MEM):
    raise ImproperlyConfigured("DGOV_QUALITY_WORK_MEM: a PostgreSQL memory size such as 64MB")

# --- notifications --------------------------------------------------------------------------
# Only the local outbox exists here; an SMS or e-mail gateway plugs in behind the same interface.
DGOV_NOTIFICATION_BACKEND = env_str("DGOV_NOTIFICATION_BACKEND", "dgov.notifications.backends.OutboxBackend")

# --- metrics --------------------------------------------------------------------------------
DGOV_METRICS_DIR = Path(env_str("PROMETHEUS_MULTIPROC_DIR", ""))  # set by `dgov serve` for workers

# --- logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dgov.core.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "dgov.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env_str("DGOV_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's request logger repeats what our access log says and may echo request data.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
DGOV_METRICS_TOKEN = env_str("DGOV_METRICS_TOKEN", "")
DGOV_NUM_PROXIES = env_int("DGOV_NUM_PROXIES", 0)

# --- the deployment's own city ---------------------------------------------------------------
DGOV_CITY_CODE = env_str("DGOV_CITY_CODE", "360600000000")
DGOV_SITE_NAME = env_str("DGOV_SITE_NAME", "鹰潭市数字政府")
DGOV_BENCH_BARE_VIEW = env_bool("DGOV_BENCH_BARE_VIEW", False)
