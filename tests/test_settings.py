"""Settings: production is hardened and refuses to start without its secrets; base serves like a
deployment (no debug, persistent connections) and shares its cache through Redis when there is one."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ALLOWED_HOSTS": "c2m.example.com",
    "EMAIL_HOST": "smtp.c2m.example.com",
    "SITE_URL": "https://c2m.example.com",
}


# What the test run itself sets (test settings, pytest-django) must not leak into the settings under test.
OWN_ENV = ("DJANGO_", "DATABASE_URL", "CELERY_", "CACHE_URL", "DB_")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(OWN_ENV)}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=_clean_env() | env, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy_without_warnings():
    env = PRODUCTION_ENV | {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_mail_server_or_its_own_address():
    env = PRODUCTION_ENV | {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    for missing in ("EMAIL_HOST", "SITE_URL"):
        result = _manage("check", env={k: v for k, v in env.items() if k != missing})
        assert result.returncode != 0
        assert f"{missing} must be set" in result.stderr


# --- base: how `make run` serves -------------------------------------------------------------------

SHOW_SETTINGS = """
import json
import django
from django.conf import settings

django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ENGINE": db["ENGINE"],
    "CONN_MAX_AGE": db["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": db["CONN_HEALTH_CHECKS"],
    "CACHE": settings.CACHES["default"],
}))
"""


def _show_base_settings(**env: str) -> subprocess.CompletedProcess[str]:
    env = _clean_env() | {"DJANGO_SETTINGS_MODULE": "marketplace.settings.base"} | env
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _base_settings(**env: str) -> dict[str, Any]:
    result = _show_base_settings(**env)
    assert result.returncode == 0, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def test_base_serves_without_debug_and_keeps_database_connections():
    shown = _base_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/c2m")

    assert shown["DEBUG"] is False
    assert "localhost" in shown["ALLOWED_HOSTS"] and "127.0.0.1" in shown["ALLOWED_HOSTS"]
    assert (shown["CONN_MAX_AGE"], shown["CONN_HEALTH_CHECKS"]) == (60, True)


def test_debug_and_connection_age_are_set_from_the_environment():
    shown = _base_settings(DJANGO_DEBUG="1", DB_CONN_MAX_AGE="0")

    assert shown["DEBUG"] is True
    assert shown["ENGINE"] == "django.db.backends.sqlite3"
    assert shown["CONN_MAX_AGE"] == 0


def test_without_redis_the_cache_is_kept_in_files_under_var_dir():
    cache = _base_settings(VAR_DIR="/srv/c2m-var", CELERY_BROKER_URL="filesystem://")["CACHE"]

    assert cache == {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "/srv/c2m-var/cache"}


def test_a_redis_broker_puts_the_cache_in_the_next_db_of_its_server():
    cache = _base_settings(CELERY_BROKER_URL="redis://:pw@cache-host:6380/4")["CACHE"]

    assert cache == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://:pw@cache-host:6380/5",
        "KEY_PREFIX": "c2m",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    assert _base_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379")["CACHE"]["LOCATION"] == "redis://127.0.0.1:6379/1"


def test_cache_url_wins_over_the_broker():
    shown = _base_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/4", CACHE_URL="redis://10.0.0.7:6379/0")

    assert shown["CACHE"]["LOCATION"] == "redis://10.0.0.7:6379/0"


def test_a_broker_on_the_last_redis_db_asks_for_cache_url():
    result = _show_base_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/15")

    assert result.returncode != 0
    assert "set CACHE_URL" in result.stderr


def test_a_negative_score_weight_is_refused_at_start_up():
    # The score's bound assumes weights >= 0; with a negative one a better factory could be skipped.
    result = _show_base_settings(MATCHING_WEIGHTS='{"price": -1}')

    assert result.returncode != 0
    assert "MATCHING_WEIGHTS" in result.stderr and "'price'" in result.stderr
    assert _show_base_settings(MATCHING_WEIGHTS='{"price": 0}').returncode == 0
