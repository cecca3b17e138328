#!/usr/bin/env bash
# `make fuzz-api`: Schemathesis against the live OpenAPI schema of a freshly seeded server.
#
#   1. a throwaway database: a temporary SQLite file, or, when DATABASE_URL names PostgreSQL,
#      a new database on that server (dropped afterwards; the one in DATABASE_URL is untouched);
#   2. migrate, `seed_demo`, and API tokens for the demo engineer "amara" (staff) and for
#      Pangeo's representative "rep-pangeo";
#   3. gunicorn on a free loopback port, production settings (DEBUG off), throttles lifted;
#   4. schemathesis as staff on every operation, then as the representative on the operations
#      staff cannot reach, a bounded number of examples each, checking that no response is a
#      5xx and that every response matches the schema;
#   5. stop the server (by its PID, also when a step failed or the run was interrupted), drop
#      the database; exit with schemathesis's status.
#
# Knobs: FUZZ_MAX_EXAMPLES (default 10), FUZZ_TIMEOUT (seconds, default 600), FUZZ_SEED
# (default 1, for reproducible runs), FUZZ_WORKERS (default 1). Reports land in var/fuzz/.
#
# One worker by default: CPython 3.11's ast module keeps its recursion counter in state that
# threads share (python/cpython#106905), and Hypothesis parses source with `ast` to describe
# its strategies, so two schemathesis worker threads can fail a run with "SystemError: AST
# constructor recursion depth mismatch" while the server answered every request correctly
# (seen once in a CI rehearsal on 3.11.7). A single worker costs about 30 s more.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-10}"
TIMEOUT="${FUZZ_TIMEOUT:-600}"
SEED="${FUZZ_SEED:-1}"
WORKERS="${FUZZ_WORKERS:-1}"
REPORT_DIR="$PWD/var/fuzz"

WORK="$(mktemp -d -t supportdesk-fuzz.XXXXXX)"
SERVER_PID=""
FUZZ_DB=""
ADMIN_URL=""

# create|drop a database on the PostgreSQL server of ADMIN_URL; `create` prints its URL.
pg_database() {
  "$BIN/python" - "$@" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

action, url, name = sys.argv[1:4]
parts = urlsplit(url)
connection = psycopg2.connect(
    host=parts.hostname, port=parts.port or 5432, user=parts.username,
    password=parts.password, dbname="postgres",
)
connection.autocommit = True
with connection.cursor() as cursor:
    if action == "create":
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(urlunsplit(parts._replace(path="/" + name)))
    else:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
PY
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    # TERM: gunicorn stops its workers and exits; after 20 s, KILL (its workers notice their
    # parent is gone and exit too).
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "$FUZZ_DB" ]]; then
    pg_database drop "$ADMIN_URL" "$FUZZ_DB" || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT INT TERM

# --- 1. the database ---------------------------------------------------------------------------
if [[ "${DATABASE_URL:-}" =~ ^postgres(ql)?:// ]]; then
  ADMIN_URL="$DATABASE_URL"
  FUZZ_DB="supportdesk_fuzz_$$"
  FUZZ_DATABASE_URL="$(pg_database create "$ADMIN_URL" "$FUZZ_DB")"
else
  FUZZ_DATABASE_URL="sqlite:///$WORK/fuzz.sqlite3"
fi

# Everything the server writes (cache, broker queue, e-mail files) stays in the temp dir, and
# no Redis is shared with other runs: deliveries are queued to files and never sent.
mkdir -p "$WORK"/var/{broker/queue,broker/control,broker/processed,mail,cache,static}
# The environment as one command prefix: `env` execs what follows, so `"${RUN[@]}" cmd &` gives
# $! = the PID of cmd itself (a shell function run with & would be a subshell, and killing that
# subshell left gunicorn running after the script ended).
RUN=(env -u REDIS_URL -u EMAIL_URL
  DATABASE_URL="$FUZZ_DATABASE_URL"
  SUPPORTDESK_VAR_DIR="$WORK/var"
  DEBUG=0
  SECRET_KEY="fuzz-only-$(date +%s)-$$-not-a-secret"
  SECURE_SSL_REDIRECT=0
  SECURE_HSTS_SECONDS=0
  API_THROTTLE_ANON=100000/min
  API_THROTTLE_USER=100000/min
  LOG_LEVEL=WARNING)
run() {
  "${RUN[@]}" "$@"
}

# --- 2. schema, demo data, a token -------------------------------------------------------------
echo "fuzz-api: database ${FUZZ_DB:-$WORK/fuzz.sqlite3} (throwaway)"
run "$BIN/python" manage.py migrate --noinput >"$WORK/migrate.log" 2>&1 \
  || { cat "$WORK/migrate.log"; exit 1; }
run "$BIN/python" manage.py seed_demo >"$WORK/seed.log" 2>&1 \
  || { cat "$WORK/seed.log"; exit 1; }
token_for() {
  run "$BIN/python" manage.py shell -c "
from accounts.models import User
from accounts.services import api_token_create
_, secret = api_token_create(user=User.objects.get(username='$1'), name='schemathesis')
print('FUZZ_TOKEN=' + secret)
" | sed -n 's/^FUZZ_TOKEN=//p'
}
STAFF_TOKEN="$(token_for amara)"       # an engineer: the whole desk
REP_TOKEN="$(token_for rep-pangeo)"    # Pangeo's representative
[[ -n "$STAFF_TOKEN" && -n "$REP_TOKEN" ]] || { echo "fuzz-api: no API token" >&2; exit 1; }

# --- 3. the server -----------------------------------------------------------------------------
PORT="$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
"${RUN[@]}" "$BIN/gunicorn" supportdesk.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 \
  --timeout 60 --access-logfile - --error-logfile - >"$WORK/server.log" 2>&1 &
SERVER_PID=$!  # gunicorn's master: stopping it stops its workers
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$BASE/api/schema/" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 1
done
curl -fsS -o /dev/null "$BASE/api/schema/" || { cat "$WORK/server.log"; exit 1; }
echo "fuzz-api: server at $BASE (pid $SERVER_PID)"

# --- 4. schemathesis ---------------------------------------------------------------------------
mkdir -p "$REPORT_DIR"
fuzz() {  # fuzz <label> <token> [schemathesis options...]
  local label=$1 token=$2
  shift 2
  echo "fuzz-api: $label"
  timeout --signal=INT "$TIMEOUT" "$BIN/schemathesis" run "$BASE/api/schema/" \
    --header "Authorization: Token $token" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers "$WORKERS" \
    --request-timeout 30 \
    --generation-database none \
    --report junit --report-dir "$REPORT_DIR" --report-junit-path "$REPORT_DIR/$label.xml" \
    --no-color \
    "$@"
}

set +e
# As staff, every operation but tokens_revoke, which would revoke the token this run uses (its
# behaviour is covered by tests/accounts/test_api_tokens.py).
fuzz staff "$STAFF_TOKEN" --exclude-operation-id tokens_revoke
staff_status=$?
# As a representative, the operations staff are refused (submit, confirm) and the scoped reads.
fuzz representative "$REP_TOKEN" \
  --include-operation-id requests_create \
  --include-operation-id requests_list \
  --include-operation-id requests_messages_create \
  --include-operation-id requests_confirm \
  --include-operation-id incidents_list \
  --include-operation-id incidents_confirm \
  --include-operation-id communities_budget
rep_status=$?
set -e

status=$(( staff_status != 0 ? staff_status : rep_status ))
if [[ $status -ne 0 ]]; then
  echo "fuzz-api: schemathesis failed (staff $staff_status, representative $rep_status);" \
    "server errors logged:" >&2
  grep -E '" 5[0-9][0-9] |Traceback|Error' "$WORK/server.log" | tail -40 >&2 || true
fi
exit "$status"
