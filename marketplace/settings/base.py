"""Settings shared by every environment, read from the environment with safe local defaults.

Without DATABASE_URL / CELERY_BROKER_URL the platform runs on an embedded default:
SQLite and Kombu's filesystem transport, so `make run` needs no server.
"""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from marketplace.settings.env import env_bool, env_choice, env_float, env_int, env_json, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
# Off unless asked for (DJANGO_DEBUG=1): `make run` serves like a deployment (no tracebacks in pages,
# static files from STATIC_ROOT, which run.sh collects).
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "marketplace.accounts",
    "marketplace.outbox",
    "factories",
    "orders",
    "matching",
    "floor",
    "contracts",
    "notifications",
    "webhooks",
    "attachments",
    "messaging",
    "web",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

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
                "web.context_processors.live",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        # Persistent connections: a new PostgreSQL session per request costs more than most requests do
        # (/healthz served less than half as many requests per second). 0 closes each after its request.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # With persistent connections, test a reused one before the request uses it: a session dropped
        # by a database restart, a failover or a pooler is replaced instead of failing one request (500).
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The server-rendered pages (web) log in here; the Django admin has its own form.
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOCALE_PATHS = [BASE_DIR / "locale"]

# Bodies are bounded: an order is a few hundred bytes; anything past this is refused (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "marketplace.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "signup": env_str("THROTTLE_SIGNUP", "20/hour"),
        "token": env_str("THROTTLE_TOKEN", "30/minute"),
        "login_account": env_str("THROTTLE_LOGIN_ACCOUNT", "10/minute"),
        "order_create": env_str("THROTTLE_ORDER_CREATE", "600/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "c2m-marketplace API",
    "DESCRIPTION": (
        "Customer-to-manufacturer marketplace for small-batch, quick-repeat garment orders. "
        "Errors share one shape: {code, message, errors: {field: [messages]}, error_codes: {field: [codes]}}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The framework's error answers (401/403/404/400/413/415) documented once for every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.api.schema.add_error_responses",
    ],
    # Several models have a `status`; name each choice set instead of letting them collide.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "AllocationStatusEnum": "orders.models.AllocationStatus",
        "FactoryStatusEnum": "factories.models.FactoryStatus",
        "AttachmentKindEnum": "attachments.models.AttachmentKind",
    },
}


def _cache_url() -> str:
    """CACHE_URL; else, with a Redis broker, the next db of the broker's server; else "" (no Redis).

    The throttle counters live in the cache, so every process counting against one limit must share it.
    Not the broker's own db: clearing the cache (FLUSHDB) would drop the queued tasks with it.
    """
    if url := env_str("CACHE_URL", ""):
        return url
    broker = urlsplit(env_str("CELERY_BROKER_URL", ""))
    if broker.scheme not in ("redis", "rediss"):
        return ""
    try:
        db = int(broker.path.strip("/") or 0)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CELERY_BROKER_URL: the Redis db must be a number, not {broker.path!r}") from exc
    if db >= 15:
        raise ImproperlyConfigured(
            f"CELERY_BROKER_URL uses Redis db {db}; the cache would take db {db + 1}, past Redis' default "
            "16: set CACHE_URL to another db of that server."
        )
    return urlunsplit(broker._replace(path=f"/{db + 1}"))


CACHE_URL = _cache_url()
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        # Keys are c2m:<version>:<key>, apart from anything else kept in the same db.
        "KEY_PREFIX": "c2m",
        # An unreachable Redis fails a request in seconds rather than hanging it.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    if CACHE_URL
    # The embedded default (no Redis): files under VAR_DIR, still one count for all of make run's processes.
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "store_processed": False,
        # Exchange tables; Kombu's default is a `control/` folder in the working directory.
        "control_folder": str(VAR_DIR / "broker-control"),
    }
else:
    # visibility_timeout: an unacknowledged (acks_late) task is redelivered after this.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
        # Fail fast when the broker is down: the API answers and the sweeper catches up later.
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "matching.tasks.*": {"queue": "matching"},
    "orders.tasks.*": {"queue": "default"},
    "floor.tasks.*": {"queue": "floor"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "expire-offers": {
        "task": "matching.tasks.expire_offers",
        "schedule": env_float("EXPIRE_OFFERS_EVERY_SECONDS", 15.0),
    },
    # Handlers of domain events whose task was lost (broker restart, killed worker) run again.
    "outbox-redispatch": {
        "task": "outbox.redispatch",
        "schedule": env_float("OUTBOX_SWEEP_EVERY_SECONDS", 15.0),
    },
    "sweep-stuck-orders": {
        "task": "matching.tasks.sweep_stuck_orders",
        "schedule": env_float("SWEEP_EVERY_SECONDS", 60.0),
    },
    # The floor's measured efficiency feeds the calendar once a day; deadline risk every hour.
    "apply-live-capacity": {
        "task": "floor.tasks.apply_live_capacity_all",
        "schedule": env_float("LIVE_CAPACITY_EVERY_SECONDS", 24 * 3600.0),
    },
    "assess-deadline-risks": {
        "task": "floor.tasks.assess_deadline_risks",
        "schedule": env_float("DEADLINE_RISK_EVERY_SECONDS", 3600.0),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Domain events (the outbox) ------------------------------------------------------------
# An event whose handlers have not all run this long after it was recorded is dispatched again...
OUTBOX_REDISPATCH_AFTER_SECONDS = env_float("OUTBOX_REDISPATCH_AFTER_SECONDS", 30.0)
# ...at most this many times; then it is marked failed and shown to admins (Django admin, Domain events).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 20)

# --- Matching -----------------------------------------------------------------------------
OFFER_TTL_SECONDS = env_int("OFFER_TTL_SECONDS", 900)
# Days kept free between the last sewing day and the ship date (QC, packing, pickup).
SHIPPING_BUFFER_DAYS = env_int("SHIPPING_BUFFER_DAYS", 1)
# An order in `matching` with no live offer for this long is re-enqueued by the sweeper.
MATCHING_STUCK_AFTER_SECONDS = env_int("MATCHING_STUCK_AFTER_SECONDS", 120)
# Micro-batching: a worker matching one order also takes the orders that arrived within this
# window (or whose offers came back) and places them jointly with the optimiser.
MATCHING_BATCH_ENABLED = env_bool("MATCHING_BATCH_ENABLED", True)
MATCHING_BATCH_WINDOW_SECONDS = env_float("MATCHING_BATCH_WINDOW_SECONDS", 1.5)
MATCHING_BATCH_MAX_ORDERS = env_int("MATCHING_BATCH_MAX_ORDERS", 50)
MATCHING_BATCH_TIME_LIMIT_SECONDS = env_float("MATCHING_BATCH_TIME_LIMIT_SECONDS", 0.5)
# Offer strategy: "cascade" (one factory at a time) or "parallel" (the top k at once; first accept wins).
MATCHING_OFFER_STRATEGY = env_choice("MATCHING_OFFER_STRATEGY", "cascade", ("cascade", "parallel"))
MATCHING_PARALLEL_OFFERS = env_int("MATCHING_PARALLEL_OFFERS", 3)
# Where an order's minutes go in its window: "alap" (as late as the ship-by date allows: leaves early
# days to later, more urgent orders; measured +2 points of fill in `make bench`) or "asap" (keeps slack).
MATCHING_PLACEMENT = env_choice("MATCHING_PLACEMENT", "alap", ("alap", "asap"))
# Each worker keeps a snapshot of factories' capabilities and records, refreshed when a factory changes;
# record counters (offers answered, response times) may lag by this much. Free minutes are always fresh.
MATCHING_SNAPSHOT_MAX_AGE_SECONDS = env_float("MATCHING_SNAPSHOT_MAX_AGE_SECONDS", 30.0)
# Factories lacking the category, a process or the fabric: how many are listed by name in each
# explanation (all are counted).
MATCHING_EXPLAIN_SCREENED_MAX = env_int("MATCHING_EXPLAIN_SCREENED_MAX", 200)
# How many ranked candidates are recorded in full in the explanation.
MATCHING_EXPLAIN_TOP = env_int("MATCHING_EXPLAIN_TOP", 50)
# Score weights (each term is in [0, 1]); tune with MATCHING_WEIGHTS='{"price": 2}'.
MATCHING_WEIGHTS: dict[str, float] = {
    "on_time": 3.0,
    "quality": 2.0,
    "price": 2.0,
    "load": 1.5,
    "acceptance": 1.0,
    "response": 0.5,
    "distance": 1.0,
    "repeat": 3.0,
    "scarcity": 1.0,
} | env_json("MATCHING_WEIGHTS", {})
# The engine skips factories whose score bound cannot beat the best so far; with a negative weight the
# bound is no longer an upper bound and a better factory could be skipped. Refuse it at start-up.
for _term, _weight in MATCHING_WEIGHTS.items():
    if not isinstance(_weight, int | float) or isinstance(_weight, bool) or _weight < 0:
        raise ImproperlyConfigured(f"MATCHING_WEIGHTS: the weight of {_term!r} must be a number >= 0, not {_weight!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Notifications (notifications/, webhooks/) -----------------------------------------------
# The site's address as users reach it: links in e-mails and pushes are built on it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# E-mail, configured from the environment under Django's own names (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_TIMEOUT) into Django 6.1's MAILERS (the EMAIL_*
# settings themselves are deprecated). With EMAIL_HOST set, SMTP; otherwise the console (development).
_EMAIL_HOST = env_str("EMAIL_HOST", "")
_EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _EMAIL_HOST,
            "port": env_int("EMAIL_PORT", 587 if _EMAIL_USE_TLS else 25),
            "username": env_str("EMAIL_HOST_USER", ""),
            "password": env_str("EMAIL_HOST_PASSWORD", ""),
            "use_tls": _EMAIL_USE_TLS,
            "use_ssl": env_bool("EMAIL_USE_SSL", False),
            # A hung SMTP server delays one delivery (retried later), never a worker for ever.
            "timeout": env_int("EMAIL_TIMEOUT", 10),
        },
    }
    if _EMAIL_HOST
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "C2M marketplace <noreply@c2m.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Web Push (VAPID, RFC 8292): the application server's key pair. The public key (base64url, uncompressed
# P-256 point) is given to browsers; the private key (base64url raw or PEM) signs each push. `make run`
# generates a pair under VAR_DIR when none is set; production must set both.
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:ops@c2m.example")
# How long a push service keeps an undelivered push (seconds): an offer is worth little after its deadline.
PUSH_TTL_SECONDS = env_int("PUSH_TTL_SECONDS", 900)
PUSH_TIMEOUT_SECONDS = env_float("PUSH_TIMEOUT_SECONDS", 10.0)
# Push services are reached over HTTPS only; plain http endpoints are refused unless this is on (development,
# tests with a push endpoint of their own on 127.0.0.1).
PUSH_ALLOW_HTTP_ENDPOINTS = env_bool("PUSH_ALLOW_HTTP_ENDPOINTS", False)
# Deliveries (e-mail, push): retried with exponential backoff from this base, capped, then given up.
NOTIFY_RETRY_BASE_SECONDS = env_float("NOTIFY_RETRY_BASE_SECONDS", 5.0)
NOTIFY_RETRY_MAX_SECONDS = env_float("NOTIFY_RETRY_MAX_SECONDS", 600.0)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 25)
# A worker that claimed a delivery and died: after this lease the sweeper hands it to another.
NOTIFY_LEASE_SECONDS = env_float("NOTIFY_LEASE_SECONDS", 60.0)
# An offer's reminder goes out when this fraction of its time to answer is left.
OFFER_REMINDER_FRACTION = env_float("OFFER_REMINDER_FRACTION", 1 / 3)
# Admins are told when this many orders are unmatched or stuck in matching (then again only after the
# count fell below it).
ADMIN_ALERT_ORDERS_THRESHOLD = env_int("ADMIN_ALERT_ORDERS_THRESHOLD", 5)
# Live pages (server-sent events from the ASGI process, docs/deployment.md). LIVE_EVENTS_URL is where
# pages open their stream: "/events/" behind a proxy that routes it to the ASGI process; `make run` sets
# the ASGI process's own address. Redis pub/sub wakes the stream at once; without Redis it checks the
# database every LIVE_POLL_SECONDS.
LIVE_EVENTS_URL = env_str("LIVE_EVENTS_URL", "/events/")
LIVE_REDIS_URL = env_str("LIVE_REDIS_URL", CACHE_URL if CACHE_URL.startswith(("redis://", "rediss://")) else "")
LIVE_POLL_SECONDS = env_float("LIVE_POLL_SECONDS", 1.0)
# Pages allowed to open the stream from another origin (make run: the web server's address).
LIVE_ALLOWED_ORIGINS = env_list("LIVE_ALLOWED_ORIGINS", [SITE_URL])
# A stream ends after this long and the browser reconnects (after LIVE_RETRY_MILLISECONDS) where it left
# off; a comment every LIVE_HEARTBEAT_SECONDS keeps proxies from closing an idle one. The page's stream
# token is good for LIVE_TOKEN_MAX_AGE_SECONDS (a page open longer falls back to polling until reloaded).
LIVE_STREAM_SECONDS = env_float("LIVE_STREAM_SECONDS", 300.0)
LIVE_HEARTBEAT_SECONDS = env_float("LIVE_HEARTBEAT_SECONDS", 15.0)
LIVE_RETRY_MILLISECONDS = env_int("LIVE_RETRY_MILLISECONDS", 3000)
LIVE_TOKEN_MAX_AGE_SECONDS = env_int("LIVE_TOKEN_MAX_AGE_SECONDS", 12 * 3600)
# Webhooks: loopback, private and link-local targets are refused unless this is on (development, tests).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env_float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", 3.0)
WEBHOOK_READ_TIMEOUT_SECONDS = env_float("WEBHOOK_READ_TIMEOUT_SECONDS", 10.0)
# Retries with exponential backoff for this long after the event; an endpoint failing this long is disabled.
WEBHOOK_RETRY_FOR_SECONDS = env_int("WEBHOOK_RETRY_FOR_SECONDS", 24 * 3600)
WEBHOOK_DISABLE_AFTER_SECONDS = env_int("WEBHOOK_DISABLE_AFTER_SECONDS", 24 * 3600)
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 10.0)
# After a rotation the old secret keeps signing (a second v1) this long, so receivers can switch over.
WEBHOOK_SECRET_OVERLAP_SECONDS = env_int("WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 3600)

CELERY_TASK_ROUTES |= {"notifications.tasks.*": {"queue": "notify"}, "webhooks.tasks.*": {"queue": "notify"}}
CELERY_BEAT_SCHEDULE |= {
    # Deliveries whose task was lost, whose retry is due, or whose quiet hours ended.
    "notify-deliver-due": {
        "task": "notifications.tasks.deliver_due",
        "schedule": env_float("NOTIFY_SWEEP_EVERY_SECONDS", 5.0),
    },
    "notify-offer-reminders": {
        "task": "notifications.tasks.offer_reminders",
        "schedule": env_float("OFFER_REMINDERS_EVERY_SECONDS", 15.0),
    },
    "notify-admin-alerts": {
        "task": "notifications.tasks.admin_alerts",
        "schedule": env_float("ADMIN_ALERTS_EVERY_SECONDS", 60.0),
    },
    "webhooks-deliver-due": {
        "task": "webhooks.tasks.deliver_due",
        "schedule": env_float("WEBHOOK_SWEEP_EVERY_SECONDS", 5.0),
    },
}

# --- Files (attachments/) and message threads (messaging/) ----------------------------------
# Uploads: at most FILES_MAX_BYTES each and FILES_MAX_PER_ORDER per order; an image may decode to at most
# FILES_MAX_IMAGE_PIXELS (a decompression bomb beyond it is refused). A request body larger than a file plus
# its multipart envelope is refused before it is read; files over FILE_UPLOAD_MAX_MEMORY_SIZE wait in a
# temporary file rather than in memory.
FILES_MAX_BYTES = env_int("FILES_MAX_BYTES", 20 * 1024 * 1024)
FILES_MAX_PER_ORDER = env_int("FILES_MAX_PER_ORDER", 30)
FILES_MAX_IMAGE_PIXELS = env_int("FILES_MAX_IMAGE_PIXELS", 40_000_000)
FILES_THUMBNAIL_PIXELS = env_int("FILES_THUMBNAIL_PIXELS", 320)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# Where the files live: the `attachments` storage alias. The local filesystem under VAR_DIR by default
# (never below a public URL: files are served only by the permission-checked API view); an
# S3-compatible bucket (django-storages) when ATTACHMENTS_S3_BUCKET is set. Credentials come from
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the instance's role), read by boto3 itself.
if env_str("ATTACHMENTS_S3_BUCKET", ""):
    ATTACHMENTS_STORAGE: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("ATTACHMENTS_S3_BUCKET", ""),
            "endpoint_url": env_str("ATTACHMENTS_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("ATTACHMENTS_S3_REGION", "") or None,
            "location": env_str("ATTACHMENTS_S3_PREFIX", "attachments"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    ATTACHMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("ATTACHMENTS_DIR", str(VAR_DIR / "attachments")), "base_url": None},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": ATTACHMENTS_STORAGE,
}
# Messages: how many a thread answers at once (older ones with ?before=<id>), and the longest text.
MESSAGES_PAGE_SIZE = env_int("MESSAGES_PAGE_SIZE", 100)
MESSAGES_MAX_CHARS = env_int("MESSAGES_MAX_CHARS", 4000)
# Purchase orders (contracts): the terms every PO states until an order sets its own. Decimal strings.
# QC: ISO 2859-1 final inspection, General Inspection Level II, AQL critical 0 / major 2.5 / minor 4.0.
PO_INSPECTION_LEVEL = env_str("PO_INSPECTION_LEVEL", "II")
PO_AQL_CRITICAL = env_str("PO_AQL_CRITICAL", "0")
PO_AQL_MAJOR = env_str("PO_AQL_MAJOR", "2.5")
PO_AQL_MINOR = env_str("PO_AQL_MINOR", "4.0")
# Payment: a deposit on issue, the balance at shipment, released to the factory on the merchant's receipt.
PO_DEPOSIT_PERCENT = env_str("PO_DEPOSIT_PERCENT", "30")
# Late delivery: a share of the PO's value per day shipped after ship-by, up to a cap.
PO_LATE_PENALTY_PERCENT_PER_DAY = env_str("PO_LATE_PENALTY_PERCENT_PER_DAY", "0.5")
PO_LATE_PENALTY_CAP_PERCENT = env_str("PO_LATE_PENALTY_CAP_PERCENT", "10")
# The PDF's fonts, by fontconfig family name: a CJK face from Debian (fonts-noto-cjk or fonts-wqy-microhei).
PO_PDF_FONT_FAMILIES = env_list("PO_PDF_FONT_FAMILIES", ["WenQuanYi Micro Hei", "Noto Sans CJK SC"])
# Rendered PDFs are cached by document number (a number never changes its content).
PO_PDF_CACHE_SECONDS = env_int("PO_PDF_CACHE_SECONDS", 7 * 24 * 3600)
# --- deal: counter-offers and samples (matching.services.counters, matching.services.samples) ---
# How long the merchant has to answer a factory's counter-offer; the capacity stays held meanwhile.
COUNTER_TTL_SECONDS = env_int("COUNTER_TTL_SECONDS", 7200)
# Rounds of sample changes before the merchant must approve or reject.
SAMPLE_MAX_ROUNDS = env_int("SAMPLE_MAX_ROUNDS", 3)
# Days a factory has to make and ship a sample (each round) before it expires like an offer.
SAMPLE_SHIP_DAYS = env_int("SAMPLE_SHIP_DAYS", 7)
