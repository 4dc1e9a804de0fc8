#!/usr/bin/env bash
# `make run`: migrate, load the demo market, make an admin, then run the web server, a Celery worker
# and Celery beat until Ctrl-C.
#
# Without DATABASE_URL / CELERY_BROKER_URL everything runs on the embedded default of
# marketplace/settings/base.py: SQLite at var/db.sqlite3 and Kombu's filesystem broker under
# var/broker, so a fresh machine needs no server. With them set: PostgreSQL and Redis.
#
# Environment: PORT (8000), DEMO_DATA (1; 0 skips the demo market), WEB_CONCURRENCY (2 gunicorn
# workers), CELERY_CONCURRENCY (2 worker processes; SQLite always uses one), DJANGO_SUPERUSER_USERNAME /
# _PASSWORD / _EMAIL (the admin; otherwise a demo admin `admin` with a generated password).
set -uo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
PORT=${PORT:-8000}
HOST=127.0.0.1
BASE="http://$HOST:$PORT"
VAR_DIR=${VAR_DIR:-$PWD/var}
export VAR_DIR
export PYTHONUNBUFFERED=1

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '%s==> %s%s\n' "$bold" "$*" "$plain"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

[ -x "$PY" ] || die "$PY is missing: run 'make run' (it builds the virtualenv) rather than this script."
[[ "$PORT" =~ ^[0-9]+$ ]] || die "PORT must be a number, got '$PORT'."

mkdir -p "$VAR_DIR/broker" "$VAR_DIR/broker-processed" "$VAR_DIR/broker-control" || die "cannot create $VAR_DIR"

if [ -n "${DATABASE_URL:-}" ]; then db_desc="database ${DATABASE_URL%%\?*}"; else db_desc="SQLite at $VAR_DIR/db.sqlite3"; fi
if [ -n "${CELERY_BROKER_URL:-}" ]; then broker_desc="broker $CELERY_BROKER_URL"; else broker_desc="filesystem broker under $VAR_DIR/broker"; fi
sqlite=0
case "${DATABASE_URL:-sqlite}" in sqlite*) sqlite=1 ;; esac

# --- preflight: servers reachable, database present, port free ------------------------------------
"$PY" - "$PORT" <<'PY' || exit 1
"""Fail early with a message a person can act on, instead of a stack trace from a later step."""
import os
import socket
import sys
from urllib.parse import urlparse

port = int(sys.argv[1])
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

with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        sys.exit(f"ERROR: port {port} on 127.0.0.1 is in use (another `make run`?). Stop it or set PORT=8001.")
PY

say "Migrating ($db_desc)"
"$PY" manage.py migrate --noinput -v 0 || die "migrations failed"

case "$(printf '%s' "${DJANGO_DEBUG:-1}" | tr '[:upper:]' '[:lower:]')" in
  0|false|no|off)
    # Without DEBUG, WhiteNoise serves the admin's and the API docs' files from STATIC_ROOT only.
    "$PY" manage.py collectstatic --noinput -v 0 || die "collectstatic failed" ;;
esac

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

# --- the three processes ---------------------------------------------------------------------------
if [ "$sqlite" = 1 ]; then
  # One SQLite file: a single worker process avoids writers queueing on the database lock.
  pool=(--pool=solo)
else
  pool=(--concurrency="${CELERY_CONCURRENCY:-2}")
fi

pids=()
names=()
prefix() { sed -u "s/^/[$1] /"; }
# Job control puts each service in its own process group, so stopping one takes its children too
# (gunicorn's workers, Celery's pool) and a terminal's Ctrl-C reaches only this script, which then
# shuts the services down in order instead of all at once.
set -m
"$VENV/bin/gunicorn" marketplace.wsgi --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-2}" \
  --access-logfile - --graceful-timeout 10 --no-control-socket > >(prefix web) 2>&1 &
pids+=($!); names+=(web)
# Queues: matching (match_order, expiry, sweeper), default, and floor (live capacity), as routed in settings.
"$VENV/bin/celery" -A marketplace worker -Q matching,default,floor --loglevel INFO "${pool[@]}" \
  > >(prefix worker) 2>&1 &
pids+=($!); names+=(worker)
"$VENV/bin/celery" -A marketplace beat --loglevel INFO > >(prefix beat) 2>&1 &
pids+=($!); names+=(beat)
set +m

stopping=0
stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  # Ignore further signals, and SIGPIPE too: if whatever reads our output is gone (a pipe to `tee`
  # closed by the same Ctrl-C), the shutdown must still finish.
  trap '' INT TERM PIPE
  echo
  say "Stopping web server, worker and beat"
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  # Warm shutdown: the worker finishes its current task (acks_late redelivers it otherwise).
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  # Whatever is left, in each service's process group, is killed.
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
  wait 2>/dev/null
  say "Stopped"
}
on_signal() { stop_all; exit 0; }
trap on_signal INT TERM
trap stop_all EXIT

# --- ready: print where everything is ----------------------------------------------------------------
ready=0
for _ in $(seq 1 120); do
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || die "the ${names[$i]} process exited during start-up (see its log above)"
  done
  if "$PY" -c "import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen('$BASE/healthz', timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)" 2>/dev/null; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || die "$BASE/healthz did not answer 200 within a minute"

cat <<EOF

$(say "c2m-marketplace is running on $db_desc and the $broker_desc")
  API           $BASE/api/v1/   (Authorization: Token <key> from POST $BASE/api/v1/auth/token/)
  API docs      $BASE/api/v1/docs/   (OpenAPI schema: $BASE/api/v1/schema/)
  Admin         $BASE/admin/   login $admin_note
  Health        $BASE/healthz
  Web pages     $BASE/   (merchant portal, factory phone pages, admin dashboard)
EOF
if [ -n "$logins" ]; then
  printf '%s\n' "$logins" | sed 's/^/  /'
fi
echo "  Press Ctrl-C to stop the web server, worker and beat."
echo

# Run until a signal arrives or one of the services dies (then stop the others and fail).
wait -n "${pids[@]}"
status=$?
if [ "$stopping" = 0 ]; then
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || echo "ERROR: the ${names[$i]} process exited (status $status)." >&2
  done
  stop_all
  exit 1
fi
