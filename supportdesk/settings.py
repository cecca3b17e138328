"""supportdesk settings: one module, everything that differs between machines comes from the
environment (django-environ). See README.md, "Configuration", for the table of variables."""

from __future__ import annotations

import datetime
import logging
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from supportdesk.observability import configure_structlog, init_sentry, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SUPPORTDESK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# pytest imports this module through pytest-django; tests need a key but no production secret.
TESTING = "pytest" in sys.modules

# Management commands that read only code and never sign anything: they run anywhere, with no
# secret at hand (e.g. `manage.py makemigrations --check` in a linter). Django still refuses to
# use an empty SECRET_KEY if one of them ever needed it.
CODE_ONLY_COMMANDS = {"makemigrations"}
COMMAND = sys.argv[1] if len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" else ""

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "dev-only-insecure-key-never-used-in-production-3c9f1e0b7a"  # noqa: S105
    elif COMMAND not in CODE_ONLY_COMMANDS:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute links in e-mails. Unset, it follows the address `make run` serves (HOST, PORT), so a
# link in a reply points at the port actually served; 0.0.0.0 / :: (all interfaces) link to
# loopback.
_RUN_HOST = env.str("HOST", default="127.0.0.1")
_ALL_INTERFACES = ("0.0.0.0", "::", "[::]", "")  # noqa: S104 (an address to link to, not to bind)
_RUN_HOST = "127.0.0.1" if _RUN_HOST in _ALL_INTERFACES else _RUN_HOST
SITE_URL = env.str(
    "SITE_URL", default=f"http://{_RUN_HOST}:{env.int('PORT', default=8000)}"
).rstrip("/")
# DEBUG pages show the project's own 404 page instead of Django's technical one (make run).
SHOW_STYLED_ERRORS = env.bool("SHOW_STYLED_ERRORS", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "django.contrib.humanize",
    # Widget templates for FORM_RENDERER, which reads the project's templates.
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_beat",
    "django_prometheus",
    "django_structlog",
    # Sign-in: allauth (local accounts, GitHub / Google / OpenID Connect, TOTP), axes (lock-outs).
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "axes",
    # Providers' inbound e-mail webhooks (tickets/mailhooks.py); outgoing mail stays on SMTP.
    "anymail",
    "accounts",
    "communities",
    "slo",
    "rotation",
    "tickets",
    "incidents",
    "availability",
    "notifications",
    "integrations",
    # Project-wide template tags (supportdesk/templatetags).
    "supportdesk",
    "desk",
]

MIDDLEWARE = [
    # First and last: django-prometheus times the whole stack.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "supportdesk.middleware.request_id",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A view that loses the database answers 503 with Retry-After, not 500.
    "supportdesk.outages.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language); UserLanguageMiddleware below puts the
    # account's preference first once the user is known.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # DEBUG + SHOW_STYLED_ERRORS (make run): the project's 404 page, not Django's debug page.
    "supportdesk.errorpages.StyledErrorsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.AdminMfaRequiredMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    # Turns a lock-out raised during authentication into the lock-out page (429).
    "axes.middleware.AxesMiddleware",
    # Binds request_id (and the user) to every log line written while serving the request.
    "django_structlog.middlewares.RequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "supportdesk.urls"
WSGI_APPLICATION = "supportdesk.wsgi.application"

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
                "desk.context_processors.desk",
            ],
        },
    },
]

# One field template for every form, and the commonest widgets written in Python
# (supportdesk/formfields.py, supportdesk/formrender.py).
FORM_RENDERER = "supportdesk.formfields.FormRenderer"

# --- Database -------------------------------------------------------------------------------
# Embedded default: one SQLite file shared by web, worker and beat. WAL lets readers run beside
# the writer, IMMEDIATE transactions take the write lock up front (so two writers queue on
# busy_timeout instead of failing half-way with "database is locked").
_planner = ""  # PostgreSQL planner settings sent when connecting (below)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'supportdesk.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
        ),
    }
    # Tests on SQLite use an in-memory database unless told otherwise.
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default=None)}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable server (dropped packets, not a refusal) answers 503 after 5 s instead of
    # holding the request until the worker times out (supportdesk.outages).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # Behind PgBouncer in transaction mode a named cursor (`.iterator()` on PostgreSQL) may land
    # on another server connection between fetches: set this, and CONN_MAX_AGE=0
    # (README.md, "Connection pooling").
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DISABLE_SERVER_SIDE_CURSORS", default=False
    )
    # The planner's price of a random page read. PostgreSQL's default (4) models spinning disks:
    # with it a search (tickets/search.py) reads the whole open queue to hash-join a few
    # thousand matches, where 1.1 (SSDs, or a database that fits in memory) takes them through
    # the primary key, and still scans when a word matches a large share of the requests.
    # Sent as a startup option; PgBouncer does not forward those: set it on the database
    # instead (README.md, "Connection pooling"), and this to "" to send nothing.
    _random_page_cost = env.str("DATABASE_RANDOM_PAGE_COST", default="1.1").strip()
    _planner = f"-c random_page_cost={float(_random_page_cost)}" if _random_page_cost else ""
# Optional read replica for the dashboard and exports (supportdesk/replica.py).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql" and _planner:
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} {_planner}".strip()
DATABASE_ROUTERS = ["supportdesk.replica.ReplicaRouter"]
# django-prometheus' wrappers of the same backends count queries, errors and connections.
for _database in DATABASES.values():
    _database["ENGINE"] = {
        "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
        "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    }.get(_database["ENGINE"], _database["ENGINE"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Argon2id at OWASP's recommended parameters (supportdesk/hashers.py): memory-hard, and about
# 20 ms of one core a login where Django's default PBKDF2 takes 300-370 ms, which let a burst of
# logins queue for seconds on two workers (`make load`). It reads any Argon2 hash (the parameters
# are in the hash); the others verify older hashes. Django re-hashes both kinds with the first
# at their owner's next successful login.
PASSWORD_HASHERS = [
    "supportdesk.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if TESTING:
    # Hashing with a real algorithm makes every login in the suite cost more; the hashers'
    # own tests override this.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in (django-allauth), lock-outs (django-axes), two-factor ---------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses every attempt for a locked-out account or address, before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# Accounts made by an admin before e-mail addresses were tracked still sign in; a changed
# address is only used once its owner clicks the link sent to it.
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[supportdesk] "
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG or TESTING else "https"
ACCOUNT_SESSION_REMEMBER = None
# One lock-out rule for every login form (ours and /admin/login/): axes, below. allauth keeps
# its limits on password-reset and verification e-mails.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
SOCIALACCOUNT_AUTO_SIGNUP = True
# A provider's verified e-mail address that matches an existing account signs in to that
# account (and links the provider). Only providers an admin configured are trusted.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
# Ask GitHub for the addresses it verified: only those may match an account or a domain.
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_PROVIDERS: dict = {"github": {}, "google": {}, "openid_connect": {}}
# Providers configured from the environment (README "Signing in"); more in admin (Social apps).
if env.str("GITHUB_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [
            {
                "client_id": env.str("GITHUB_CLIENT_ID"),
                "secret": env.str("GITHUB_CLIENT_SECRET", default=""),
            }
        ],
        "SCOPE": ["read:user", "user:email"],
    }
if env.str("GOOGLE_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [
            {
                "client_id": env.str("GOOGLE_CLIENT_ID"),
                "secret": env.str("GOOGLE_CLIENT_SECRET", default=""),
            }
        ],
        "SCOPE": ["openid", "profile", "email"],
    }
if env.str("OIDC_SERVER_URL", default=""):
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": env.str("OIDC_PROVIDER_ID", default="oidc"),
                "name": env.str("OIDC_PROVIDER_NAME", default="Institutional sign-in"),
                "client_id": env.str("OIDC_CLIENT_ID"),
                "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                "settings": {
                    "server_url": env.str("OIDC_SERVER_URL"),
                    "token_auth_method": env.str(
                        "OIDC_TOKEN_AUTH_METHOD", default="client_secret_basic"
                    ),
                    "oauth_pkce_enabled": True,
                },
            }
        ]
    }
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "supportdesk"
# Addresses typed in by an admin are trusted enough to protect with a second factor.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Admins (superusers) without TOTP are sent to enrol before any other page (README).
MFA_REQUIRED_FOR_ADMINS = env.bool("MFA_REQUIRED_FOR_ADMINS", default=not DEBUG and not TESTING)

AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# Per account and, separately, per address: a guesser is stopped whichever one it varies.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.throttling.attempted_username"
AXES_RESET_ON_SUCCESS = True
# A lock-out ends AXES_COOLOFF_TIME after the failure that caused it; attempts meanwhile do not
# prolong it (the page can say when it ends).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
# How many proxies of ours append to X-Forwarded-For; 0 trusts only the TCP peer (otherwise
# anyone could claim a fresh address per guess).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
# allauth's own limits (e.g. 30 logins a minute per address) must count the same client address:
# without this, behind the ingress every user shares the proxy's address and its limit.
ALLAUTH_TRUSTED_PROXY_COUNT = PROXY_COUNT

if TESTING:
    # A real OpenID Connect provider for the sign-in tests, mounted by a test-only URLconf
    # (tests/accounts/oidc_urls.py) and served by the live test server.
    INSTALLED_APPS.append("oidc_provider")
    OIDC_USERINFO = "tests.accounts.oidc_op.userinfo"
    OIDC_LOGIN_URL = "/op/login/"

# Invitations: a signed, single-use link valid this long.
INVITATION_VALID_DAYS = 7

LANGUAGE_CODE = "en-gb"
# The languages pages and e-mails are offered in: a person's account preference, else their
# browser's Accept-Language (LocaleMiddleware), else English. Spanish is in
# locale/es/LC_MESSAGES/django.po; `make install` compiles it (the .mo is generated).
LANGUAGES = [("en-gb", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# The reference time zone of the working-time clock (DOMAIN.md "Working time").
SUPPORT_TIMEZONE = env.str("SUPPORT_TIMEZONE", default="UTC")

# --- Static files: served locally by WhiteNoise, never from a CDN ---------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Finders let runserver serve static files without collectstatic; the test client does not need
# them, and scanning the static folders costs ~0.3 s per client.
WHITENOISE_USE_FINDERS = DEBUG and not TESTING
# Uploaded files (attachments): a folder under the var folder, never served by a URL of its own
# (only by the permission-checked download view).
MEDIA_ROOT = VAR_DIR / "uploads"
MEDIA_URL = "/uploads-are-not-served/"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Attachments in an S3-compatible bucket (django-storages) instead of the var folder, so that
# web and worker machines share them. The bucket stays private: files are only streamed through
# the permission-checked download view, never linked to. Empty: the var folder above.
ATTACHMENTS_S3_BUCKET = env.str("ATTACHMENTS_S3_BUCKET", default="")
if ATTACHMENTS_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "location": env.str("ATTACHMENTS_S3_PREFIX", default="attachments"),
            # Unset: AWS itself, and boto3's usual AWS_* variables or instance role.
            "endpoint_url": env.str("ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATTACHMENTS_S3_REGION", default="") or None,
            "access_key": env.str("ATTACHMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("ATTACHMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            # "path" for MinIO and other servers without bucket sub-domains.
            "addressing_style": env.str("ATTACHMENTS_S3_ADDRESSING_STYLE", default="") or None,
            "signature_version": "s3v4",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }

# --- Broker and cache -----------------------------------------------------------------------
# BROKER_URL (redis://... or amqp://... for RabbitMQ) names the Celery broker; without it the
# broker is REDIS_URL, which is also the cache. Neither set: the embedded mode below.
REDIS_URL = env.str("REDIS_URL", default="")
# A dead broker must fail a publish in milliseconds, not hold a web request for seconds; the
# notification stays pending and the beat sweep delivers it later.
_FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
REDIS_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **_FAIL_FAST}
# A dead or unreachable Redis costs a request at most half a second once; then
# supportdesk.safecache works without the cache for a few seconds.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
BROKER_URL = env.str("BROKER_URL", default="") or REDIS_URL
BROKER_DIR = VAR_DIR / "broker"
if BROKER_URL:
    CELERY_BROKER_URL = BROKER_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = (
        dict(REDIS_BROKER_TRANSPORT_OPTIONS)
        if BROKER_URL.startswith(("redis://", "rediss://"))
        else dict(_FAIL_FAST)
    )
else:
    # Embedded mode: kombu's filesystem transport needs no server.
    # kombu ignores the host of the filesystem transport, but warns at every connection without one.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
    # The solo pool runs each task in the process that took it from the queue. A prefork
    # worker (--concurrency=2) on this transport was seen to stop consuming for minutes while
    # 600 messages piled up; solo drained them in 10 s. A configured worker_pool also replaces
    # Celery's default (prefork, even when given as --pool=prefork), and supportdesk.celery
    # refuses any other pool for this broker.
    CELERY_WORKER_POOL = "solo"
# Several deployments (or test databases) sharing one Redis keep apart by prefix. Under
# pytest-xdist each worker has a test database of its own, so each gets its own cache keys
# too (gw0, gw1, ...): one worker's cached reference data must never serve the other's.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="supportdesk")
if TESTING and env.str("PYTEST_XDIST_WORKER", default=""):
    CACHE_KEY_PREFIX = f"{CACHE_KEY_PREFIX}-{env.str('PYTEST_XDIST_WORKER')}"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    # A file cache is shared by every process on the machine (web, worker, beat) so
    # invalidation reaches them all; supportdesk.filecache culls without listing the folder on
    # every write.
    CACHES = {
        "default": {
            "BACKEND": "supportdesk.filecache.FileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # The default 300 entries would cull (a random third) every few status-page and
            # reference-data versions.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
if TESTING:
    # Tests publish to an in-process broker; the ones that need a real one (Redis, the
    # embedded filesystem transport, a dead port) point the Celery app at it themselves.
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
if TESTING and not env.bool("TEST_REAL_CACHE", default=False):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
# The database schedule (editable in admin), run by whichever beat holds the beat lock: start
# as many beats as you like (one per host, say), exactly one schedules (supportdesk/beat.py).
CELERY_BEAT_SCHEDULER = "supportdesk.beat:SingleBeatScheduler"
# Store last_run_at after every task sent, so a beat taking over reads where the last one was.
CELERY_BEAT_SYNC_EVERY = 1
# A broker that is down must not hang a web request: fail fast, log, and let the sweep catch up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False

# --- E-mail ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="supportdesk <support@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    # Development default: every e-mail lands as a file under var/mail, easy to read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# SMTP has no timeout by default: a hung mail server would hold a worker until the task limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Inbound e-mail (tickets/inbound.py) ----------------------------------------------------
# The published support address; replies come back to support+SD-<n>.<mac>@ its domain.
# Empty: the address of DEFAULT_FROM_EMAIL.
INBOUND_EMAIL_ADDRESS = env.str("INBOUND_EMAIL_ADDRESS", default="")
# The support mailbox that beat polls every minute (tickets/imap.py), e.g.
# imaps://support%40example.org:password@mail.example.org/INBOX?processed=Processed. Empty: off.
INBOUND_IMAP_URL = env.str("INBOUND_IMAP_URL", default="")
# Mail from one sender beyond this many an hour is held for a steward (loops, floods).
INBOUND_EMAIL_RATE_LIMIT_PER_HOUR = env.int("INBOUND_EMAIL_RATE_LIMIT_PER_HOUR", default=20)
# Attachments on every channel (tickets/attachments.py), in bytes.
ATTACHMENT_MAX_FILE_BYTES = env.int("ATTACHMENT_MAX_FILE_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_MESSAGE_BYTES = env.int("ATTACHMENT_MAX_MESSAGE_BYTES", default=25 * 1024 * 1024)
# A message larger than this is quarantined unread (bytes).
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=40 * 1024 * 1024)

# Providers' inbound webhooks (tickets/mailhooks.py, django-anymail): basic-auth credentials
# "user:password" that every provider's webhook URL carries (several, comma-separated, while
# rotating); unset, every post is refused. Mailgun also signs its posts with this key.
# Amazon SES's S3 receipt action reads the bucket with boto3's usual AWS_* settings.
ANYMAIL = {
    "WEBHOOK_SECRET": env.list("ANYMAIL_WEBHOOK_SECRET", default=[]),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
}

# Optional Slack-compatible incoming webhook for nudges.
SLACK_WEBHOOK_URL = env.str("SLACK_WEBHOOK_URL", default="")

# --- Integrations (README "Integrations") ---------------------------------------------------
# Outgoing webhooks: per-attempt timeout; an endpoint is disabled (admins told) after this many
# failed attempts in a row.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
# GitHub: a fine-grained token, or a GitHub App installation (which wins when both are set).
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com")
GITHUB_WEB_URL = env.str("GITHUB_WEB_URL", default="https://github.com")
GITHUB_TOKEN = env.str("GITHUB_TOKEN", default="")
GITHUB_APP_ID = env.str("GITHUB_APP_ID", default="")
GITHUB_APP_PRIVATE_KEY = env.str("GITHUB_APP_PRIVATE_KEY", default="", multiline=True)
GITHUB_APP_INSTALLATION_ID = env.int("GITHUB_APP_INSTALLATION_ID", default=0)
GITHUB_REPOSITORY = env.str("GITHUB_REPOSITORY", default="")
GITHUB_SUPPORT_LABEL = env.str("GITHUB_SUPPORT_LABEL", default="support")
GITHUB_INCIDENT_LABEL = env.str("GITHUB_INCIDENT_LABEL", default="incident")
GITHUB_WEBHOOK_SECRET = env.str("GITHUB_WEBHOOK_SECRET", default="")
GITHUB_TIMEOUT_SECONDS = env.float("GITHUB_TIMEOUT_SECONDS", default=10.0)
# Slack: a bot token (chat:write, users:read, users:read.email), the app's signing secret, and
# the channel (id) that hears about requests and incidents.
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/")
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_CHANNEL = env.str("SLACK_CHANNEL", default="")
SLACK_TIMEOUT_SECONDS = env.int("SLACK_TIMEOUT_SECONDS", default=10)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with size and depth limits (supportdesk.limits), for every view that parses a body.
    "DEFAULT_PARSER_CLASSES": ["supportdesk.parsers.LimitedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "supportdesk.throttling.AnonRateThrottle",
        "supportdesk.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
    },
    "EXCEPTION_HANDLER": "supportdesk.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "supportdesk API",
    "DESCRIPTION": "Support requests, incidents, rotation and budgets for managed hubs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The bodies of outgoing webhooks, published as `x-webhooks` (the OpenAPI 3.0 convention).
    "WEBHOOKS": [
        "integrations.schema.REQUEST_CREATED",
        "integrations.schema.REQUEST_RESOLVED",
        "integrations.schema.INCIDENT_DECLARED",
        "integrations.schema.INCIDENT_UPDATED",
        "integrations.schema.INCIDENT_RESOLVED",
        "integrations.schema.REPORT_PUBLISHED",
        "integrations.schema.MAINTENANCE_SCHEDULED",
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrations.schema.webhooks_as_extension",
    ],
}

# --- Security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
# In the database, read from the cache: no session query per page (supportdesk/sessions.py).
SESSION_ENGINE = "supportdesk.sessions"
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health checks come from load balancers over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): scripts, styles, fonts and everything else only from
# our own origin; no inline script or style anywhere (behaviour lives in static/js, widths in
# CSS classes), so neither 'unsafe-inline' nor nonces are needed. img-src allows data: for the
# two-factor set-up page's QR code (allauth renders it as a data: URL) and the Swagger UI's
# icons. form-action is left open: the social sign-in forms POST to us and are redirected to
# the provider (GitHub, Google, the IdP), which form-action would block. Django admin and the
# API docs (drf-spectacular's split Swagger view, served from drf-spectacular-sidecar) run
# under the same policy (tests/supportdesk/test_csp.py, tests/e2e).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logs, metrics, error reports (supportdesk/observability.py, desk/metrics.py) ------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG or TESTING else "json")
configure_structlog()
LOGGING = logging_config(
    level=LOG_LEVEL,
    fmt=LOG_FORMAT,
    request_log_level=env.str("REQUEST_LOG_LEVEL", default="INFO"),
)
# Celery keeps the LOGGING above (JSON lines with the task's request id) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# One access line per request (request_finished); request_started only at DEBUG.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
# Behind a proxy that sets X-Request-ID (ingress-nginx does), keep its id end to end.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("TRUST_REQUEST_ID_HEADER", default=False)

# /metrics answers loopback (or these networks) and requests bearing METRICS_TOKEN.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=15)
PROMETHEUS_EXPORT_MIGRATIONS = False

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        pii=env.bool("SENTRY_SEND_DEFAULT_PII", default=False),
    )
