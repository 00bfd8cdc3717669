"""Django settings for Kefu. Every knob is an environment variable listed in README.md."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KEFU_DATA_DIR") or Path.cwd() / "var").resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _secret_key() -> str:
    """Use KEFU_SECRET_KEY, else a key generated once and kept in the data directory."""
    if key := os.environ.get("KEFU_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("KEFU_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("KEFU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("KEFU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "kefu.core",  # shared plumbing; its `kefu keys` command manages the field encryption keys
    "ninja",  # serves the API docs from its own static files, not a CDN (intranets have none)
    "kefu.staff",
    "kefu.audit",
    "kefu.customers",
    "kefu.contacts",
    "kefu.orders",
    "kefu.sla",
    "kefu.notifications",  # after sla: its order-event handler runs after the clocks' (orders.events)
    "kefu.triage",
    "kefu.routing",
    "kefu.security",
    "kefu.privacy",
    "kefu.knowledge",
    "kefu.reports",
    "kefu.surveys",
    "kefu.followup",
    "kefu.quality",
    "kefu.corrective",
    "kefu.training",
    "kefu.assessment",
    "kefu.push",  # the browsers' push channel (screen pop, wallboard): before its publishers
    "kefu.cti",
    "kefu.web.apps.TasksConfig",  # django_tasks_db under a translated name
    "kefu.web.apps.AxesConfig",  # axes (failed logins and lockout) under a translated name
    "kefu.demo",
    "kefu.web",
    "kefu.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kefu.web.middleware.UserPreferencesMiddleware",
    "kefu.web.middleware.RefuseNulInFormsMiddleware",
    "kefu.web.middleware.ApiJsonOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kefu.web.middleware.AuditOriginMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kefu.urls"
WSGI_APPLICATION = "kefu.wsgi.application"
AUTH_USER_MODEL = "staff.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

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
            ],
        },
    },
]

# SQLite (the embedded default) unless DATABASE_URL names another database.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=env_int("KEFU_DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("KEFU_DB_PREPARED", True):
        # Server-side binding lets psycopg prepare repeated statements: planning was most of
        # the database's CPU per request. Turn off behind pgbouncer in transaction mode.
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "kefu.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of
                # failing on a lock upgrade; WAL lets readers run beside the writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: a locked-out username is refused before its password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "kefu.staff.backends.CachedModelBackend"]
# KEFU_LOGIN_MAX_FAILURES wrong passwords for one username lock it for KEFU_LOGIN_LOCK_MINUTES
# (from any address: offices share one NAT address, so addresses are not locked).
AXES_FAILURE_LIMIT = env_int("KEFU_LOGIN_MAX_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KEFU_LOGIN_LOCK_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# django-axes advises locking addresses too (axes.W006); a contact centre's agents share one
# NAT address, where that would lock the whole floor out after five typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Argon2id for new and changed passwords; older PBKDF2 hashes still verify and are upgraded
# at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("KEFU_PASSWORD_MIN_LENGTH", 10)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kefu.staff.validators.CharacterClassValidator"},
]

# Sessions end after KEFU_SESSION_IDLE_MINUTES without a request (sliding), and with the browser.
SESSION_COOKIE_AGE = env_int("KEFU_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy: every script, style, image and request comes from Kefu itself, and
# no inline script or style runs, so markup that slipped past escaping cannot act. The pages
# are written for it (no inline code; htmx without eval or injected styles). KEFU_CSP:
# `enforce` (default), `report-only` (browsers only report what they would block; for trying
# out changed templates) or `off` (a proxy in front sets its own).
_CSP = {
    "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
    "font-src": ["'self'"], "connect-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'none'"],
    "form-action": ["'self'"], "frame-ancestors": ["'none'"],
}
KEFU_CSP = os.environ.get("KEFU_CSP", "enforce")
if KEFU_CSP not in {"enforce", "report-only", "off"}:
    raise ValueError(f"KEFU_CSP must be enforce, report-only or off, not {KEFU_CSP!r}")
SECURE_CSP = _CSP if KEFU_CSP == "enforce" else {}
SECURE_CSP_REPORT_ONLY = _CSP if KEFU_CSP == "report-only" else {}
# Requests larger than this are refused before a view sees them (no uploads exist yet).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("KEFU_MAX_REQUEST_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Behind TLS (KEFU_HTTPS=true): secure cookies, redirect to https and HSTS. A proxy that ends
# TLS must send X-Forwarded-Proto (KEFU_BEHIND_PROXY=true).
KEFU_HTTPS = env_bool("KEFU_HTTPS", False)
if KEFU_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("KEFU_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("KEFU_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Browsers' preload list is for public domains and cannot be left quickly; an operator's
        # intranet host has no place on it, so Django's reminder is silenced unless asked for.
        SILENCED_SYSTEM_CHECKS += ["security.W021"]
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
if env_bool("KEFU_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = os.environ.get("KEFU_LANGUAGE", "zh-hans")
# Each language in its own name (English / 简体中文), on staff pages and the portal alike.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KEFU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
# Serve app static files straight from the packages: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Phone and ID numbers are masked in every log line (REQUIREMENTS.md §9).
    "formatters": {"masked": {"()": "kefu.core.masking.MaskingFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "masked"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "INFO")},
    # django.tasks logs every task's start and end at INFO, the periodic ones every few seconds:
    # only at KEFU_LOG_LEVEL=DEBUG. kefu.worker logs each run itself (routine periodic runs at
    # DEBUG, others at INFO, slow ones at WARNING); failures still show here, at ERROR.
    "loggers": {"django.tasks": {"level": "DEBUG" if os.environ.get("KEFU_LOG_LEVEL", "").upper() == "DEBUG" else "WARNING"}},
}

# Background tasks wait in the database and `kefu worker` runs them: no extra server needed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Kefu's own settings (README.md lists them all) -------------------------------------
# Prefix of human-readable work order numbers: GD + date + sequence.
KEFU_ORDER_PREFIX = os.environ.get("KEFU_ORDER_PREFIX", "GD")
# Hours of customer silence after resolution before an order is confirmed automatically.
KEFU_AUTO_CONFIRM_HOURS = env_int("KEFU_AUTO_CONFIRM_HOURS", 72)
# Satisfaction scores (1–10) at or above this count as "satisfied".
KEFU_SATISFIED_THRESHOLD = env_int("KEFU_SATISFIED_THRESHOLD", 8)
# What a score below the threshold does: "reopen" the order, or flag it for "review".
KEFU_LOW_SCORE_ACTION = os.environ.get("KEFU_LOW_SCORE_ACTION", "reopen")
# Seconds a user's permission set is cached between requests (0: load it every request).
KEFU_PERMISSION_CACHE_SECONDS = env_int("KEFU_PERMISSION_CACHE_SECONDS", 60)
# API tokens expire this many days after issue (0: never).
KEFU_API_TOKEN_DAYS = env_int("KEFU_API_TOKEN_DAYS", 90)
# Page size limit for API lists.
KEFU_API_MAX_PAGE_SIZE = env_int("KEFU_API_MAX_PAGE_SIZE", 200)
# gunicorn worker processes for `kefu serve` (default: 2 per core + 1).
KEFU_WORKERS = env_int("KEFU_WORKERS", (os.cpu_count() or 1) * 2 + 1)
# `kefu serve` starts one `kefu worker` beside itself (the embedded default); set false when
# workers run as their own service.
KEFU_EMBEDDED_WORKER = env_bool("KEFU_EMBEDDED_WORKER", True)
# How often `kefu worker` runs the SLA escalation scan and the auto-confirmation, in seconds.
KEFU_SLA_SCAN_SECONDS = env_int("KEFU_SLA_SCAN_SECONDS", 30)
KEFU_AUTOCONFIRM_SECONDS = env_int("KEFU_AUTOCONFIRM_SECONDS", 300)
# Clocks the SLA scan handles per transaction: a crash or a stop loses at most one batch's work,
# which the next scan does again.
KEFU_SLA_SCAN_BATCH = env_int("KEFU_SLA_SCAN_BATCH", 500)
# A worker records that it is alive every sixth of this many seconds; a task whose worker has
# been silent this long is taken back and run again (decision 0019).
KEFU_WORKER_LEASE_SECONDS = env_int("KEFU_WORKER_LEASE_SECONDS", 60)
if KEFU_WORKER_LEASE_SECONDS < 3:
    raise ValueError("KEFU_WORKER_LEASE_SECONDS must be at least 3 (seconds)")
# /healthz answers 503 when the last finished SLA scan, or the oldest due escalation check, is
# older than this.
KEFU_HEALTH_SCAN_STALE_SECONDS = env_int("KEFU_HEALTH_SCAN_STALE_SECONDS",
                                         max(5 * KEFU_SLA_SCAN_SECONDS, 2 * KEFU_WORKER_LEASE_SECONDS))
# A complaint by the same customer about the same service within this many days is a repeat
# complaint (重复投诉): linked, counted and raised one severity step. 0 turns it off.
KEFU_REPEAT_COMPLAINT_DAYS = env_int("KEFU_REPEAT_COMPLAINT_DAYS", 30)
# The triage model file; empty: the newest one `kefu triage train` wrote, else the starter model.
KEFU_TRIAGE_MODEL = os.environ.get("KEFU_TRIAGE_MODEL", "")
# Likely duplicates: orders of the same customer about the same service, created within this
# many hours of each other, whose texts are at least this similar (0–1, word overlap).
KEFU_DUPLICATE_WINDOW_HOURS = env_int("KEFU_DUPLICATE_WINDOW_HOURS", 72)
KEFU_DUPLICATE_MIN_SIMILARITY = float(os.environ.get("KEFU_DUPLICATE_MIN_SIMILARITY") or 0.4)
# New orders are classified, accepted, dispatched and assigned as they arrive (an API client
# may still ask per order with "route"). Off: agents dispatch by hand or with /dispatch.
KEFU_AUTO_ROUTE = env_bool("KEFU_AUTO_ROUTE", False)
# On automatic routing, the model's category is taken only at or above this confidence.
KEFU_TRIAGE_MIN_CONFIDENCE = float(os.environ.get("KEFU_TRIAGE_MIN_CONFIDENCE") or 0.6)
# The weight of an open order in "least loaded" assignment, by severity.
KEFU_LOAD_WEIGHTS = {k: int(v) for k, v in (pair.split(":") for pair in
                     os.environ.get("KEFU_LOAD_WEIGHTS", "general:1,urgent:2,major:3").split(","))}
# How often `kefu worker` hands queued orders to people who have room, in seconds.
KEFU_ROUTING_DRAIN_SECONDS = env_int("KEFU_ROUTING_DRAIN_SECONDS", 60)
# Order events after commit (decision 0024): how often `kefu worker` hands them to the "after"
# consumers, in seconds; whether the process that committed them does so at once as well; and
# how long a transaction writing order events may at most stay open (an event committed later
# than this after a higher one could be missed).
KEFU_EVENTS_DRAIN_SECONDS = env_int("KEFU_EVENTS_DRAIN_SECONDS", 15)
KEFU_EVENTS_DRAIN_ON_COMMIT = env_bool("KEFU_EVENTS_DRAIN_ON_COMMIT", True)
KEFU_EVENTS_SETTLE_SECONDS = env_int("KEFU_EVENTS_SETTLE_SECONDS", 600)
# Reports (kefu.reports): the lowest satisfaction score (of 10) counted as satisfied (KPIS.md);
# how often the worker brings clocks that came due and subscriber counts into the rollups, and
# sends the reports people subscribed to.
KEFU_SATISFIED_SCORE = env_int("KEFU_SATISFIED_SCORE", 8)
KEFU_REPORTS_REFRESH_SECONDS = env_int("KEFU_REPORTS_REFRESH_SECONDS", 300)
# Hotline indicators (KPIS.md): a caller who gives up within this many seconds of queueing is a
# short abandon (counted apart); a call answered within this many seconds of queueing is within the
# service level. Each call's share records the values it was counted with; a change applies to
# the calls counted after it, and to the past after `kefu reports rebuild`.
KEFU_HOTLINE_SHORT_ABANDON_SECONDS = env_int("KEFU_HOTLINE_SHORT_ABANDON_SECONDS", 5)
KEFU_HOTLINE_ANSWER_SECONDS = env_int("KEFU_HOTLINE_ANSWER_SECONDS", 20)
# Quality inspection: how often the worker runs the automatic checks on the contacts that ended.
KEFU_QUALITY_CHECK_SECONDS = env_int("KEFU_QUALITY_CHECK_SECONDS", 120)
# An inspected agent may appeal within this many working days of the SLA calendar below.
KEFU_QUALITY_APPEAL_DAYS = env_int("KEFU_QUALITY_APPEAL_DAYS", 3)
KEFU_QUALITY_CALENDAR = os.environ.get("KEFU_QUALITY_CALENDAR", "cn-office")
# Inspectors never inspect their own contacts; with this on, not their own team's either.
KEFU_QUALITY_NOT_OWN_TEAM = env_bool("KEFU_QUALITY_NOT_OWN_TEAM", False)
# Corrective actions (整改): an overdue one escalates to the managers this many working days after
# its deadline; deadlines given in working days count them on this SLA calendar.
KEFU_CORRECTIVE_ESCALATE_DAYS = env_int("KEFU_CORRECTIVE_ESCALATE_DAYS", 2)
KEFU_CORRECTIVE_CALENDAR = os.environ.get("KEFU_CORRECTIVE_CALENDAR", KEFU_QUALITY_CALENDAR)
# Calibration (校准): an inspector whose totals lie on average more than this many points from the
# calibrating inspectors' median is shown as out of line.
KEFU_QUALITY_CALIBRATION_TOLERANCE = env_int("KEFU_QUALITY_CALIBRATION_TOLERANCE", 5)
# Staff assessment (考核): the worker computes each active scheme's last complete month or quarter
# as a draft every day and publishes it to staff on this day after the period ends (0: never by
# itself; leads publish by hand).
KEFU_ASSESSMENT_PUBLISH_DAY = env_int("KEFU_ASSESSMENT_PUBLISH_DAY", 5)
# How often the worker runs the staff side's tasks: assessment drafts and publication, corrective
# actions' overdue escalation, knowledge tests past their due date.
KEFU_STAFF_TASKS_SECONDS = env_int("KEFU_STAFF_TASKS_SECONDS", 900)
# SMS verification codes to one customer: at most this many an hour, and this far apart.
KEFU_SMS_MAX_PER_HOUR = env_int("KEFU_SMS_MAX_PER_HOUR", 5)
KEFU_SMS_MIN_INTERVAL_SECONDS = env_int("KEFU_SMS_MIN_INTERVAL_SECONDS", 60)
# Failed identity checks by service password or ID number, across all contacts of one customer:
# at most this many in this many minutes (each contact also stops after 3); then 429.
KEFU_VERIFY_MAX_FAILURES = env_int("KEFU_VERIFY_MAX_FAILURES", 5)
KEFU_VERIFY_WINDOW_MINUTES = env_int("KEFU_VERIFY_WINDOW_MINUTES", 60)
# Where one-time SMS verification codes go until an SMS gateway is configured: "outbox" (kept in
# the database for administrators to read in the admin, for this many days) or "log".
KEFU_SMS_BACKEND = os.environ.get("KEFU_SMS_BACKEND", "outbox")
KEFU_SMS_OUTBOX_DAYS = env_int("KEFU_SMS_OUTBOX_DAYS", 7)
# Surveys: a customer is asked at most once in this many days, across channels; an invitation
# may be answered for this many hours.
KEFU_SURVEY_FATIGUE_DAYS = env_int("KEFU_SURVEY_FATIGUE_DAYS", 30)
KEFU_SURVEY_EXPIRY_HOURS = env_int("KEFU_SURVEY_EXPIRY_HOURS", 72)
# The SMS after resolution: the survey's "link", or one question answered by a "reply" digit
# (1 非常满意 … 5 非常不满意, decision 0030).
KEFU_SURVEY_SMS_MODE = os.environ.get("KEFU_SURVEY_SMS_MODE", "link")
# A hotline IVR score posted without an order number is about the caller's latest order resolved
# within this many days before the call (else about no order).
KEFU_SURVEY_IVR_ORDER_DAYS = env_int("KEFU_SURVEY_IVR_ORDER_DAYS", 7)
# What a low survey score (the overall or a dimension's below KEFU_SATISFIED_THRESHOLD, on any
# channel but the score given at resolution) does, comma-separated: "reopen" the order to its
# first-contact owner, create a "followup" task, flag it for "review"; empty: nothing.
KEFU_SURVEY_LOW_SCORE_ACTIONS = tuple(a.strip() for a in os.environ.get(
    "KEFU_SURVEY_LOW_SCORE_ACTIONS", "followup,review").split(",") if a.strip())
# Follow-up calls (回访): when customers may be called (local time), how soon after resolution,
# how many tries how far apart, and the share of other resolved orders sampled.
KEFU_FOLLOWUP_CALL_HOURS = os.environ.get("KEFU_FOLLOWUP_CALL_HOURS", "09:00-20:00")
KEFU_FOLLOWUP_NO_CALL_CALENDAR = os.environ.get("KEFU_FOLLOWUP_NO_CALL_CALENDAR", "cn-office")
KEFU_FOLLOWUP_DUE_HOURS = env_int("KEFU_FOLLOWUP_DUE_HOURS", 48)
KEFU_FOLLOWUP_ATTEMPTS = env_int("KEFU_FOLLOWUP_ATTEMPTS", 3)
KEFU_FOLLOWUP_RETRY_MINUTES = env_int("KEFU_FOLLOWUP_RETRY_MINUTES", 120)
KEFU_FOLLOWUP_SAMPLE_PERCENT = env_int("KEFU_FOLLOWUP_SAMPLE_PERCENT", 10)
# The follow-up time limit counts working hours of this SLA calendar (24x7, the SLA's calendar of
# hour limits: natural hours; cn-office: office hours on official working days).
KEFU_FOLLOWUP_CALENDAR = os.environ.get("KEFU_FOLLOWUP_CALENDAR", "24x7").strip()
# New follow-up tasks go to the people of this department (its code or name) with the follow-up
# permissions, by the department's assignment strategy; empty: left for agents to claim.
KEFU_FOLLOWUP_DEPARTMENT = os.environ.get("KEFU_FOLLOWUP_DEPARTMENT", "").strip()
# Order kinds closed (归档) only once their follow-up call has an outcome; empty: none.
KEFU_FOLLOWUP_BEFORE_CLOSE = [k.strip() for k in os.environ.get("KEFU_FOLLOWUP_BEFORE_CLOSE", "complaint").split(",")
                              if k.strip()]
# PIPL requests (查阅复制, 更正, 删除) are answered within this many calendar days: GB/T 35273
# asks for a reply within a set period, and operators commit to 15 days.
KEFU_PRIVACY_DUE_DAYS = env_int("KEFU_PRIVACY_DUE_DAYS", 15)
# Real-name data (实名制) is kept for the service life plus this many years.
KEFU_RETENTION_REALNAME_YEARS = env_int("KEFU_RETENTION_REALNAME_YEARS", 2)
# Days a contact keeps the caller's number and its summary; at least 3 years, because PIPL
# asks processing records to be kept that long (REQUIREMENTS.md §9).
KEFU_RETENTION_CONTACT_DAYS = env_int("KEFU_RETENTION_CONTACT_DAYS", 1095)
# Days identity verification attempts are kept.
KEFU_RETENTION_VERIFICATION_DAYS = env_int("KEFU_RETENTION_VERIFICATION_DAYS", 365)
# How often `kefu worker` runs the retention purge, in seconds.
KEFU_PRIVACY_PURGE_SECONDS = env_int("KEFU_PRIVACY_PURGE_SECONDS", 86400)
# Finished background task results are kept this many days (checked every this many seconds).
KEFU_TASK_RESULTS_DAYS = env_int("KEFU_TASK_RESULTS_DAYS", 7)
KEFU_TASK_RESULTS_PRUNE_SECONDS = env_int("KEFU_TASK_RESULTS_PRUNE_SECONDS", 86400)
# Field encryption keys (kefu.core.crypto): `id:key,…`, the first current; else the file that
# `kefu keys init` writes in the data directory for a local installation.
KEFU_FIELD_KEYS = os.environ.get("KEFU_FIELD_KEYS", "")
KEFU_FIELD_KEY_FILE = Path(os.environ.get("KEFU_FIELD_KEY_FILE") or DATA_DIR / "field-keys")
# Audit chain keys (kefu.audit.keys, decision 0020): `id:key,…` like the field keys, the first
# current, none ever retired; else this file, generated on first use when missing.
KEFU_AUDIT_KEYS = os.environ.get("KEFU_AUDIT_KEYS", "")
KEFU_AUDIT_KEY_FILE = Path(os.environ.get("KEFU_AUDIT_KEY_FILE") or DATA_DIR / "audit-keys")
# Where `kefu worker` appends the signed chain head (one JSON line; "" = only the log line),
# and how often.
KEFU_AUDIT_ANCHOR_FILE = os.environ.get("KEFU_AUDIT_ANCHOR_FILE", str(DATA_DIR / "audit-anchors.jsonl"))
KEFU_AUDIT_ANCHOR_SECONDS = env_int("KEFU_AUDIT_ANCHOR_SECONDS", 3600)
# The province this installation serves, for users without a region of their own (data scopes).
KEFU_REGION = os.environ.get("KEFU_REGION", "")
# The font of PDF report exports (kefu.reports.fonts, decision 0026): a TrueType file with CJK
# glyphs, embedded and subset, or "STSong-Light" (built-in, not embedded); empty: the first CJK
# font found among the system's, else STSong-Light.
KEFU_PDF_FONT = os.environ.get("KEFU_PDF_FONT", "")
# Outgoing e-mail (report subscriptions, kefu.reports.delivery) through an SMTP server, as a
# Django mailer (MAILERS, Django 6.1: the EMAIL_HOST… settings are deprecated). Without
# KEFU_SMTP_HOST: printed to the console with KEFU_DEBUG, else handed to an MTA on localhost.
_SMTP_SSL, _SMTP_STARTTLS = env_bool("KEFU_SMTP_SSL", False), env_bool("KEFU_SMTP_STARTTLS", False)
if _SMTP_SSL and _SMTP_STARTTLS:
    raise ValueError("KEFU_SMTP_SSL (implicit TLS, port 465) and KEFU_SMTP_STARTTLS (port 587) exclude each other")
MAILERS = {"default": {
    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "OPTIONS": {
        "host": os.environ.get("KEFU_SMTP_HOST") or "localhost",
        "port": env_int("KEFU_SMTP_PORT", 465 if _SMTP_SSL else 587 if _SMTP_STARTTLS else 25),
        "username": os.environ.get("KEFU_SMTP_USER", ""),
        "password": os.environ.get("KEFU_SMTP_PASSWORD", ""),
        "use_ssl": _SMTP_SSL, "use_tls": _SMTP_STARTTLS,
        "timeout": env_int("KEFU_SMTP_TIMEOUT", 30),
    },
}}
if DEBUG and not os.environ.get("KEFU_SMTP_HOST"):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("KEFU_SMTP_FROM", "kefu@localhost")
# The address people reach Kefu at (https://kefu.example.com), for links in e-mail; empty: the
# links are paths only.
KEFU_BASE_URL = os.environ.get("KEFU_BASE_URL", "")

if set(KEFU_LOAD_WEIGHTS) != {"general", "urgent", "major"}:
    raise ValueError("KEFU_LOAD_WEIGHTS must weigh general, urgent and major, e.g. general:1,urgent:2,major:3")
if KEFU_VERIFY_MAX_FAILURES < 1 or KEFU_VERIFY_WINDOW_MINUTES < 1:
    raise ValueError("KEFU_VERIFY_MAX_FAILURES and KEFU_VERIFY_WINDOW_MINUTES must be at least 1")
def _calling_hours(text: str):
    import datetime

    try:
        start, end = (datetime.time.fromisoformat(t.strip()) for t in text.split("-"))
    except ValueError:
        raise ValueError("KEFU_FOLLOWUP_CALL_HOURS must be two times of day, e.g. 09:00-20:00") from None
    if not start < end:
        raise ValueError("KEFU_FOLLOWUP_CALL_HOURS must end after it starts, e.g. 09:00-20:00")


_calling_hours(KEFU_FOLLOWUP_CALL_HOURS)
if not KEFU_FOLLOWUP_CALENDAR:
    raise ValueError("KEFU_FOLLOWUP_CALENDAR must name an SLA calendar, e.g. 24x7 or cn-office")
_ORDER_KINDS = {"consultation", "business", "fault", "complaint", "suggestion", "praise"}  # orders.models.Kind
if set(KEFU_FOLLOWUP_BEFORE_CLOSE) - _ORDER_KINDS:
    raise ValueError("KEFU_FOLLOWUP_BEFORE_CLOSE must list order kinds among " + ", ".join(sorted(_ORDER_KINDS))
                     + " (comma-separated; empty: none), e.g. complaint")
if KEFU_SMS_BACKEND not in {"outbox", "log"}:
    raise ValueError("KEFU_SMS_BACKEND must be 'outbox' or 'log'")
if KEFU_LOW_SCORE_ACTION not in {"reopen", "review"}:
    raise ValueError("KEFU_LOW_SCORE_ACTION must be 'reopen' or 'review'")
if KEFU_SURVEY_SMS_MODE not in {"link", "reply"}:
    raise ValueError("KEFU_SURVEY_SMS_MODE must be 'link' or 'reply'")
if not set(KEFU_SURVEY_LOW_SCORE_ACTIONS) <= {"reopen", "followup", "review"}:
    raise ValueError("KEFU_SURVEY_LOW_SCORE_ACTIONS must list some of reopen, followup, review, e.g. followup,review")
if KEFU_SURVEY_IVR_ORDER_DAYS < 0:
    raise ValueError("KEFU_SURVEY_IVR_ORDER_DAYS must be 0 or more (days)")

# The browsers' push channel (kefu.push): the screen pop and the wallboard. Empty: the embedded
# broker, the database's outbox, read by one listener per process every KEFU_PUSH_POLL_MS; with
# several app nodes, Redis (redis://host:6379/0) carries the messages without that reading.
KEFU_PUSH_URL = os.environ.get("KEFU_PUSH_URL", "")
KEFU_PUSH_POLL_SECONDS = env_int("KEFU_PUSH_POLL_MS", 200) / 1000
# The hotline's recordings: a reference the platform sends that is not itself an address is
# opened at this address, "{ref}" replaced by it (e.g. https://pbx.example.com/recordings/{ref}).
KEFU_CTI_RECORDING_URL = os.environ.get("KEFU_CTI_RECORDING_URL", "")
