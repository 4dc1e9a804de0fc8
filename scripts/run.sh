#!/usr/bin/env bash
# `make run`: migrate, collect static files, load the demo market, make an admin, then hand over to
# supervisord (scripts/supervisord.conf), which runs the web server, a Celery worker and Celery beat,
# restarts any of them that dies, and stops them all on Ctrl-C or SIGTERM.
#
# Without DATABASE_URL / CELERY_BROKER_URL everything runs on the embedded default of
# marketplace/settings/base.py: SQLite at var/db.sqlite3 and Kombu's filesystem broker under
# var/broker, so a fresh machine needs no server. With them set: PostgreSQL and Redis.
#
# Environment: PORT (8000), EVENTS_PORT (PORT+1: the live pages' event stream, uvicorn), DEMO_DATA
# (1; 0 skips the demo market), WEB_CONCURRENCY (2 gunicorn
# workers), CELERY_CONCURRENCY (2 worker processes; SQLite always uses one), NOTIFY_CONCURRENCY (8
# notifier threads), VAR_DIR (var/),
# DJANGO_SUPERUSER_USERNAME / _PASSWORD / _EMAIL (the admin; otherwise a demo admin `admin` with a
# generated password).
set -uo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
PORT=${PORT:-8000}
BASE="http://127.0.0.1:$PORT"
VAR_DIR=${VAR_DIR:-$PWD/var}
export VAR_DIR
export PYTHONUNBUFFERED=1

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '%s==> %s%s\n' "$bold" "$*" "$plain"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

healthy() {
  "$PY" -c "import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen('$BASE/healthz', timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)" 2>/dev/null
}

if [ "${1:-}" = --announce ]; then
  # supervisord's `ready` program: once /healthz answers, print what the start below composed.
  for _ in $(seq 1 120); do
    if healthy; then printf '%s\n' "$RUN_BANNER"; exit 0; fi
    sleep 0.5
  done
  die "$BASE/healthz did not answer 200 within a minute; the processes keep being restarted (logs above and in $VAR_DIR/log/)"
fi

[ -x "$PY" ] || die "$PY is missing: run 'make run' (it builds the virtualenv) rather than this script."
[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$PORT'."
EVENTS_PORT=${EVENTS_PORT:-$((PORT + 1))}
[[ "$EVENTS_PORT" =~ ^[0-9]+$ ]] || die "EVENTS_PORT must be a number, got '$EVENTS_PORT'."

mkdir -p "$VAR_DIR/broker" "$VAR_DIR/broker-processed" "$VAR_DIR/broker-control" "$VAR_DIR/log" \
  || die "cannot create $VAR_DIR"
VAR_DIR=$(cd "$VAR_DIR" && pwd)

if [ -n "${DATABASE_URL:-}" ]; then db_desc="database ${DATABASE_URL%%\?*}"; else db_desc="SQLite at $VAR_DIR/db.sqlite3"; fi
if [ -n "${CELERY_BROKER_URL:-}" ]; then broker_desc="broker $CELERY_BROKER_URL"; else broker_desc="filesystem broker under $VAR_DIR/broker"; fi

# --- preflight: servers reachable, database present, port free, nothing already supervising ---------
"$PY" - "$PORT" "$EVENTS_PORT" <<'PY' || exit 1
"""Fail early with a message a person can act on, instead of a stack trace from a later step."""
import os
import socket
import sys
from urllib.parse import urlparse

port, events_port = int(sys.argv[1]), int(sys.argv[2])
db_url = os.environ.get("DATABASE_URL", "")
broker_url = os.environ.get("CELERY_BROKER_URL", "")

if db_url.startswith(("postgres://", "postgresql://")):
    import psycopg
    from psycopg import sql

    u = urlparse(db_url)
    name = u.path.lstrip("/") or "postgres"
    params = dict(host=u.hostname or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                  password=u.password, connect_timeout=3)
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"Created PostgreSQL database {name}")
    except psycopg.Error as exc:
        sys.exit(f"ERROR: PostgreSQL at {params['host']}:{params['port']} is not reachable or refused: {exc}\n"
                 "  Start it, fix DATABASE_URL, or unset DATABASE_URL to run on SQLite.")

if broker_url.startswith(("redis://", "rediss://")):
    import redis

    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        sys.exit(f"ERROR: Redis at {broker_url} is not reachable: {exc}\n"
                 "  Start it, fix CELERY_BROKER_URL, or unset it to use the filesystem broker.")

for name, number in (("PORT", port), ("EVENTS_PORT", events_port)):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", number))
        except OSError:
            sys.exit(f"ERROR: port {number} on 127.0.0.1 is in use (another `make run`?). Stop it or set {name}.")

sock = os.path.join(os.environ["VAR_DIR"], "supervisor.sock")
with socket.socket(socket.AF_UNIX) as s:
    try:
        s.connect(sock)
    except OSError:
        pass  # nothing listening (a stale socket file from a killed run is replaced)
    else:
        sys.exit(f"ERROR: another `make run` is supervising {os.environ['VAR_DIR']} ({sock}). "
                 "Stop it or set VAR_DIR.")
PY

say "Migrating ($db_desc)"
"$PY" manage.py migrate --noinput -v 0 || die "migrations failed"
# DEBUG is off unless DJANGO_DEBUG=1: WhiteNoise then serves the admin's and the API docs' files from
# STATIC_ROOT only.
"$PY" manage.py collectstatic --noinput -v 0 || die "collectstatic failed"

logins=""
if [ "${DEMO_DATA:-1}" != "0" ]; then
  say "Loading the demo market (DEMO_DATA=0 skips this)"
  seed_out=$("$PY" manage.py seed_demo) || die "seed_demo failed"
  printf '%s\n' "$seed_out"
  logins=$(printf '%s\n' "$seed_out" | grep '^Demo .* login' || true)
fi

# --- the admin -------------------------------------------------------------------------------------
admin_note=""
if [ -z "${DJANGO_SUPERUSER_USERNAME:-}" ]; then
  # A demo admin; its generated password is kept in var/ so later runs can print it again.
  pw_file="$VAR_DIR/admin-password"
  if [ ! -s "$pw_file" ]; then
    (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(12))' >"$pw_file") || die "cannot write $pw_file"
  fi
  export DJANGO_SUPERUSER_USERNAME=admin
  export DJANGO_SUPERUSER_PASSWORD
  DJANGO_SUPERUSER_PASSWORD=$(cat "$pw_file")
  export DJANGO_SUPERUSER_EMAIL=${DJANGO_SUPERUSER_EMAIL:-admin@example.com}
  admin_note="admin / $DJANGO_SUPERUSER_PASSWORD (kept in $pw_file)"
else
  admin_note="$DJANGO_SUPERUSER_USERNAME (password from DJANGO_SUPERUSER_PASSWORD)"
fi
if "$PY" manage.py shell -v 0 -c "import os, sys
from django.contrib.auth import get_user_model
sys.exit(0 if get_user_model().objects.filter(username=os.environ['DJANGO_SUPERUSER_USERNAME']).exists() else 1)"; then
  case "$admin_note" in admin\ /*) [ -s "$VAR_DIR/admin-password" ] || admin_note="admin (existing account)";; esac
else
  [ -n "${DJANGO_SUPERUSER_PASSWORD:-}" ] || die "DJANGO_SUPERUSER_PASSWORD must be set with DJANGO_SUPERUSER_USERNAME."
  export DJANGO_SUPERUSER_EMAIL=${DJANGO_SUPERUSER_EMAIL:-admin@example.com}
  "$PY" manage.py createsuperuser --noinput >/dev/null || die "createsuperuser failed"
  say "Created admin $DJANGO_SUPERUSER_USERNAME"
fi

# --- Web Push keys ---------------------------------------------------------------------------------
# The web server hands the public key to browsers, the worker signs pushes with the private one. Without
# VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY in the environment a pair is made once and kept in var/vapid.json:
# phones subscribed on an earlier run keep working (a subscription is bound to its key).
if [ -z "${VAPID_PUBLIC_KEY:-}" ] || [ -z "${VAPID_PRIVATE_KEY:-}" ]; then
  vapid_out=$("$PY" manage.py vapid_keys --file "$VAR_DIR/vapid.json") || die "cannot make the Web Push keys in $VAR_DIR/vapid.json"
  while IFS='=' read -r name value; do
    case "$name" in VAPID_PUBLIC_KEY|VAPID_PRIVATE_KEY) export "$name=$value" ;; esac
  done <<<"$vapid_out"
fi

# --- hand over to supervisord ----------------------------------------------------------------------
# What scripts/supervisord.conf reads as %(ENV_...)s.
export PORT WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
# The live pages open their event stream on the ASGI process's own port (production routes /events/ on
# the pages' origin instead): its address, and the pages' origins it answers CORS for.
export EVENTS_PORT
export LIVE_EVENTS_URL=${LIVE_EVENTS_URL:-http://127.0.0.1:$EVENTS_PORT/events/}
export LIVE_ALLOWED_ORIGINS=${LIVE_ALLOWED_ORIGINS:-$BASE,http://localhost:$PORT}
# Links in e-mails and pushes lead to this server's pages.
export SITE_URL=${SITE_URL:-$BASE}
RUN_BIN=$(cd "$VENV/bin" && pwd)
RUN_USER=$(id -un)
case "${DATABASE_URL:-sqlite}" in
  # One SQLite file: a single worker process avoids writers queueing on the database lock.
  sqlite*) RUN_CELERY_POOL=--pool=solo RUN_NOTIFY_POOL=--pool=solo ;;
  # The notifier waits on far ends (SMTP, push services, merchants' webhooks): threads, so that one slow
  # far end holds one thread, not the offers' pushes queued behind it.
  *) RUN_CELERY_POOL=--concurrency=${CELERY_CONCURRENCY:-2}
     RUN_NOTIFY_POOL="--pool=threads --concurrency=${NOTIFY_CONCURRENCY:-8}" ;;
esac
ctl="VAR_DIR=$VAR_DIR $VENV/bin/supervisorctl -c scripts/supervisord.conf"
RUN_BANNER=$(cat <<EOF

$(say "c2m-marketplace is running on $db_desc and the $broker_desc")
  API           $BASE/api/v1/   (Authorization: Token <key> from POST $BASE/api/v1/auth/token/)
  API docs      $BASE/api/v1/docs/   (OpenAPI schema: $BASE/api/v1/schema/)
  Admin         $BASE/admin/   login $admin_note
  Health        $BASE/healthz
  Web pages     $BASE/   (merchant portal, factory phone pages, admin dashboard)
  Live events   $LIVE_EVENTS_URL   (server-sent events for the pages, uvicorn marketplace.asgi)
${logins:+$(printf '%s\n' "$logins" | sed 's/^/  /')
}  Processes     $ctl status   (also: restart c2m:worker, tail -f c2m:notifier)
  Logs          $VAR_DIR/log/{web,events,worker,notifier,beat,supervisord}.log
  A process that dies is restarted. Press Ctrl-C to stop the web server, events, workers and beat.
EOF
)
export VENV RUN_BIN RUN_USER RUN_CELERY_POOL RUN_NOTIFY_POOL RUN_BANNER
say "Starting the web server (gunicorn on $BASE), the event stream (uvicorn on port $EVENTS_PORT), a Celery worker and Celery beat under supervisord"
# supervisord writes to the terminal both through its own stdout and by opening /dev/stdout again
# (append mode); when stdout is a file (`make run > run.log`) it must be in append mode too, or the
# writes land on each other.
if [ -f /dev/stdout ]; then exec >>/dev/stdout; fi
# scripts/supervise.py: supervisord, whose shutdown survives a closed stdout (`make run | tee` and Ctrl-C).
exec "$RUN_BIN/python" scripts/supervise.py -c scripts/supervisord.conf
