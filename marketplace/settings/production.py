"""Production: everything in base, hardened. Refuses to start without its secrets."""

import os

from django.core.exceptions import ImproperlyConfigured

# EMAIL_HOST: without it mail goes to the console (check --deploy's mail.E001), and notifications are lost;
# SITE_URL: every link in a mail or push is built on it, and its default is the development address.
_REQUIRED = ("DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOWED_HOSTS", "EMAIL_HOST", "SITE_URL")
for _required in _REQUIRED:
    if not os.environ.get(_required):
        raise ImproperlyConfigured(f"{_required} must be set in production")

os.environ.setdefault("DJANGO_DEBUG", "0")

from marketplace.settings.base import *  # noqa: E402,F403
from marketplace.settings.env import env_bool, env_int  # noqa: E402

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The attachments alias (base.py) stays as configured there.
STORAGES = STORAGES | {  # noqa: F405
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind the reverse proxy (see docs/deployment.md): the client address is the last X-Forwarded-For
# entry the proxy appended, not REMOTE_ADDR (the proxy) nor what the client wrote there (forgeable).
# The throttles (per-address login limit, anonymous sign-up) count by it.
REST_FRAMEWORK = REST_FRAMEWORK | {"NUM_PROXIES": env_int("TRUSTED_PROXIES", 1)}  # noqa: F405
