#!/usr/bin/env bash
# Serve supportdesk with a real Celery worker and beat. Embedded defaults (SQLite file and a
# filesystem broker under var/) unless DATABASE_URL / REDIS_URL point at real services.
# Ctrl-C stops every process this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-1}"
BIN=.venv/bin
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# Links in e-mails point at the address served here, unless SITE_URL says otherwise
# (supportdesk/settings.py derives it from HOST and PORT); the project's own 404 page, not
# Django's debug page.
export HOST PORT
export SHOW_STYLED_ERRORS="${SHOW_STYLED_ERRORS:-1}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping supportdesk (web, worker, beat)..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$BIN/celery -A supportdesk worker --loglevel=INFO --pool=solo --concurrency=1 \
  --without-gossip --without-mingle -n "worker@%h" &
pids+=($!)
$BIN/celery -A supportdesk beat --loglevel=INFO \
  --scheduler supportdesk.beat:SingleBeatScheduler --pidfile= &
pids+=($!)
$BIN/python manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)

cat <<MSG

  supportdesk is starting at http://$HOST:$PORT/  (admin: http://$HOST:$PORT/admin/)
  Broker: ${REDIS_URL:-embedded (var/broker)}   Database: ${DATABASE_URL:-var/supportdesk.sqlite3}
  E-mail: written to var/mail/ unless EMAIL_URL is set.   Press Ctrl-C to stop everything.

MSG
$BIN/python manage.py seed_demo --logins-only
# Exit (and clean up) as soon as any of the three stops.
wait -n
