"""Settings, all read from environment variables (see README "Configuration")."""

from pathlib import Path

import dj_database_url

from marisa_site.env import (
    SettingsError,
    env_bool,
    env_choice,
    env_file_text,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("MARISA_DATA_DIR", BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or env_file_text("SECRET_KEY_FILE")
if not SECRET_KEY:
    if not DEBUG:
        raise SettingsError(
            "SECRET_KEY is not set: run `make up` first (commands then find its key and the rest of its "
            f"environment in {DATA_DIR / 'up.env'}), or set SECRET_KEY (or SECRET_KEY_FILE, or DJANGO_DEBUG=1)."
        )
    SECRET_KEY = "insecure-debug-only-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "annotation",
    "training",
    "line_bot",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # after sessions, before common (as Django asks)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "marisa_site.urls"
WSGI_APPLICATION = "marisa_site.wsgi.application"

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
                "marisa_site.context_processors.roles",
                "marisa_site.context_processors.demo_model",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'marisa.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write progress while the web process reads; a busy timeout
    # turns brief write contention into a wait instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The UI in English or Japanese: the browser's language (LocaleMiddleware, Accept-Language), or the one
# chosen in the top bar (Django's language cookie); MARISA_LANGUAGE is the default for everyone else.
# English is the source language; the Japanese catalogue is locale/ja (compiled .mo files ship in the repo).
# Times: one labelled zone, TIME_ZONE, "2026-12-01 22:05 JST" (marisa_site/formats). Corpus text stays as it is.
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LANGUAGE_CODE = env_choice("MARISA_LANGUAGE", "en", [code for code, _ in LANGUAGES])
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["marisa_site.formats"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None

# Security: strict when not in debug; `manage.py check --deploy` is clean with production-like variables.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^line/webhook/$"]
X_FRAME_OPTIONS = "DENY"

# Redis: REDIS_URL, or the embedded server `manage.py up` starts and records in var/redis_url.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "training.train.tasks.run_training_job": {"queue": "gpu"},
    "training.generate.tasks.run_generation_job": {"queue": "gpu"},
    "line_bot.tasks.*": {"queue": "default"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers run the model on the CPU when there is no GPU: on one box they yield the processor to the web
# server (os.nice, inherited by the pool's children), so the LINE webhook and the pages answer first.
MARISA_WORKER_NICE = env_int("MARISA_WORKER_NICE", 10, minimum=0)
if MARISA_WORKER_NICE is not None and MARISA_WORKER_NICE > 19:
    raise SettingsError(
        f"MARISA_WORKER_NICE={MARISA_WORKER_NICE} is above the maximum 19 (the lowest priority)"
    )
# Training runs for hours with acks_late: without a long visibility timeout Redis would hand the
# unacknowledged message to another worker after one hour. A dead worker's job is found by the reaper.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("MARISA_TASK_VISIBILITY_SECONDS", 12 * 3600, minimum=60)
}
CELERY_BEAT_SCHEDULE = {
    "reap-stale-jobs": {"task": "training.jobs.tasks.reap_stale_jobs", "schedule": 60.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's own three, with a JSON parser that answers JSON nested thousands deep with a 400 (rest.py).
    "DEFAULT_PARSER_CLASSES": [
        "marisa_site.rest.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Oshaberi Marisa API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- The product's own settings -------------------------------------------------------------
MARISA_BASE_MODEL = env_str("MARISA_BASE_MODEL")  # empty: the demo model under DATA_DIR/models/demo
MARISA_DEMO_MODEL_DIR = env_path("MARISA_DEMO_MODEL_DIR", DATA_DIR / "models" / "demo")
MARISA_LINE_SEPARATOR = env_str("MARISA_LINE_SEPARATOR")  # empty: the base model's own (demo: "\n")
MARISA_LORA_TARGET_MODULES = env_list("MARISA_LORA_TARGET_MODULES", ["all-linear"])
MARISA_MAX_SEQ_LENGTH = env_int("MARISA_MAX_SEQ_LENGTH", 512, minimum=16)
MARISA_LOAD_IN_4BIT = env_bool("MARISA_LOAD_IN_4BIT", True)
# An OpenAI-compatible inference engine (vLLM, `make engine`) that generates every reply; empty: in-process.
MARISA_INFERENCE_URL = env_url("MARISA_INFERENCE_URL")
# A llama.cpp checkout for GGUF exports; empty: its converter is fetched once into DATA_DIR/cache (pip download).
MARISA_LLAMA_CPP_DIR = env_str("MARISA_LLAMA_CPP_DIR")
MARISA_CHARACTER_NAME = env_str("MARISA_CHARACTER_NAME", "霧雨魔理沙")
MARISA_USER_NAME = env_str("MARISA_USER_NAME", "ユーザー")
MARISA_IMPORT_MAX_BYTES = env_int("MARISA_IMPORT_MAX_BYTES", 200 * 1024 * 1024, minimum=1)
MARISA_REVIEW_LEASE_SECONDS = env_int("MARISA_REVIEW_LEASE_SECONDS", 600, minimum=5)
MARISA_JOB_STALE_SECONDS = env_int("MARISA_JOB_STALE_SECONDS", 300, minimum=10)
MARISA_HELD_OUT_SHARE = env_float("MARISA_HELD_OUT_SHARE", 0.1)

# Unset: the channel is not configured and every webhook is refused, except in debug against the local
# LINE stand-in (LINE_API_BASE_URL on 127.0.0.1, as `make up` starts it), where the demo values serve.
LINE_CHANNEL_SECRET = env_str("LINE_CHANNEL_SECRET")
LINE_CHANNEL_ACCESS_TOKEN = env_str("LINE_CHANNEL_ACCESS_TOKEN")
LINE_API_BASE_URL = env_str("LINE_API_BASE_URL", "https://api.line.me")
MARISA_MONTHLY_LIMIT = env_int("MARISA_MONTHLY_LIMIT", 200, minimum=0)
MARISA_USER_MONTHLY_LIMIT = env_int("MARISA_USER_MONTHLY_LIMIT", None, minimum=0)
# LINE bot behaviour (see README "LINE bot"): group replies, command words, reply-token lifetime, memory.
LINE_GROUP_MODE = env_str("LINE_GROUP_MODE", "addressed")  # addressed | always | never
LINE_GROUP_TRIGGERS = env_list("LINE_GROUP_TRIGGERS", ["魔理沙", "まりさ", "霧雨魔理沙"])
LINE_COMMAND_RESET = env_list("LINE_COMMAND_RESET", ["リセット", "reset"])
LINE_COMMAND_REMAINING = env_list("LINE_COMMAND_REMAINING", ["残り", "のこり", "remaining"])
LINE_COMMAND_HELP = env_list("LINE_COMMAND_HELP", ["ヘルプ", "help", "使い方"])
LINE_REPLY_TOKEN_SECONDS = env_int("LINE_REPLY_TOKEN_SECONDS", 50, minimum=0)
LINE_HISTORY_MESSAGES = env_int("LINE_HISTORY_MESSAGES", 20, minimum=0)
LINE_HISTORY_TOKEN_BUDGET = env_int("LINE_HISTORY_TOKEN_BUDGET", 256, minimum=0)
LINE_REQUEUE_AFTER_SECONDS = env_int("LINE_REQUEUE_AFTER_SECONDS", 600, minimum=30)
CELERY_BEAT_SCHEDULE["line-requeue-stuck"] = {"task": "line_bot.tasks.requeue_stuck", "schedule": 180.0}
# REST API schema: stable names for the `status` enums of candidates and jobs.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "CandidateStatusEnum": "annotation.review.models.Candidate.Status",
    "JobStatusEnum": "training.jobs.models.Job.Status",
}

# --- Hardening: login throttling (django-axes) and the Content-Security-Policy (django-csp) -----
# Roles are in marisa_site/roles.py; a refused page renders templates/403.html with the reason.
from datetime import timedelta  # noqa: E402

from csp.constants import NONCE, NONE, SELF  # noqa: E402

INSTALLED_APPS += ["axes", "csp"]
# After WhiteNoise: static files need no policy; every page and API response gets one.
_after_whitenoise = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
MIDDLEWARE.insert(_after_whitenoise, "csp.middleware.CSPMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as axes asks: it turns a lockout into its page
AUTHENTICATION_BACKENDS = [
    "marisa_site.login_throttle.ThrottledLoginBackend",  # refuses a locked-out username + address first
    "django.contrib.auth.backends.ModelBackend",
]
# Lock a username from one address after MARISA_LOGIN_FAILURE_LIMIT wrong passwords, for
# MARISA_LOGIN_LOCKOUT_MINUTES (the login page and the admin's login alike); docs/operations.md.
AXES_ENABLED = env_bool("MARISA_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = env_int("MARISA_LOGIN_FAILURE_LIMIT", 5, minimum=1)
MARISA_LOGIN_LOCKOUT_MINUTES = env_int("MARISA_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=MARISA_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "marisa_site.login_throttle.lockout_response"
# Behind a reverse proxy, how many: the client address is then taken from X-Forwarded-For (0: REMOTE_ADDR).
MARISA_LOGIN_PROXY_COUNT = env_int("MARISA_LOGIN_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "marisa_site.login_throttle.client_ip"

# Scripts, styles, images, fonts and XHR from this origin only; no inline script or style attribute, no eval.
# The nonce is sent only on pages that use it (the API docs' one <style>).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if env_str("MARISA_CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env_str("MARISA_CSP_REPORT_URI")]
# Swagger UI: no online validator badge (an image from another site).
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {"deepLinking": True, "validatorUrl": None}
# django-axes logs lockouts as warnings; INFO would log every login.
LOGGING["loggers"]["axes"] = {"level": env_str("MARISA_LOGIN_LOG_LEVEL", "WARNING")}
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    "marisa_site.browsable_api.BrowsableAPIRenderer",  # DRF's, without the inline <style> the CSP blocks
]
