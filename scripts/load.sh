#!/usr/bin/env bash
# `make load`: gunicorn (production settings, the same worker class and counts as the Kubernetes
# web pods: supportdesk/gunicorn_conf.py) on a free loopback port, serving the bench database
# (PostgreSQL `<name>_bench` when DATABASE_URL is set, else var/bench/bench.sqlite3; seeded with
# 100,000 requests on first use), and locust, headless, once per number of users in LOAD_USERS
# (default "50 200": stewards on the queue and request pages, representatives on their list and
# submitting), each for LOAD_SECONDS (60) from 10 s after the last of them has logged in
# (bench/locustfile.py). Prints requests/s, p50/p95/p99, the errors and the slowest login per
# run, with the load average (the machine may be shared: say so next to the figures); exits 1 on
# any error. LOAD_WAIT ("min,max" think time in s; default 0.1,0.5: bench/locustfile.py says
# why) and LOAD_SPAWN_RATE (users started per second, 10) change the mix; LOAD_WORKER_CLASS (sync, gthread), LOAD_WORKERS and LOAD_THREADS
# override the server's settings (printed with the figures, to compare settings).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RUNS="${LOAD_USERS:-50 200}"
SPAWN_RATE="${LOAD_SPAWN_RATE:-10}"
export LOAD_SECONDS="${LOAD_SECONDS:-60}"
OUT=var/bench/load
mkdir -p var/bench

# The server's settings: production-like, on plain HTTP over loopback.
export DEBUG=0 SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0 ALLOWED_HOSTS=127.0.0.1
export API_THROTTLE_USER=1000000/min REQUEST_LOG_LEVEL=WARNING
# As behind the ingress: each simulated user sends its own X-Forwarded-For address, so login
# limits and lock-outs count per user, as in production, not one shared loopback address.
export PROXY_COUNT=1
SECRET_KEY="$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(48))')"
export SECRET_KEY
unset REDIS_URL BROKER_URL  # never the development broker or cache (bench/database.py)

echo "load: preparing the bench database (seeded once, reused afterwards)..."
exports="$($BIN/python -m bench.loadtest prepare)"
eval "$exports"
PORT="$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
HOST="http://127.0.0.1:$PORT"

server=""
cleanup() {
  trap - INT TERM EXIT
  if [[ -n "$server" ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  $BIN/python -m bench.loadtest cleanup || true
}
trap cleanup INT TERM EXIT

# gunicorn_conf.py's defaults (what the Kubernetes pods run) unless LOAD_* say otherwise.
read -r conf_class conf_workers conf_threads < <(
  $BIN/python -c 'from supportdesk import gunicorn_conf as c; print(c.worker_class, c.workers, c.threads)'
)
WORKER_CLASS="${LOAD_WORKER_CLASS:-$conf_class}"
WORKERS="${LOAD_WORKERS:-$conf_workers}"
THREADS="${LOAD_THREADS:-$conf_threads}"
$BIN/gunicorn supportdesk.wsgi:application --config=python:supportdesk.gunicorn_conf \
  --worker-class "$WORKER_CLASS" --workers "$WORKERS" --threads "$THREADS" \
  --bind "127.0.0.1:$PORT" --timeout 60 --access-logfile /dev/null \
  --error-logfile "$OUT-gunicorn.log" &
server=$!

healthy=""
for _ in $(seq 1 60); do
  if $BIN/python -c "import urllib.request as u; u.urlopen('$HOST/healthz', timeout=2)" 2>/dev/null; then
    healthy=1
    break
  fi
  kill -0 "$server" 2>/dev/null || break
  sleep 1
done
if [[ -z "$healthy" ]]; then
  echo "load: the server did not become healthy; see $OUT-gunicorn.log" >&2
  exit 1
fi

SERVER="gunicorn $WORKER_CLASS, $WORKERS workers x $THREADS threads"
status=0
for USERS in $RUNS; do
  echo
  echo "load: $USERS users (started $SPAWN_RATE a second, ${LOAD_WAIT:-0.1,0.5} s between clicks) for ${LOAD_SECONDS}s after logging in, against $HOST ($SERVER, DEBUG=0; database ${DATABASE_URL%%:*})"
  out="$OUT-$USERS"
  rm -f "$out"_*.csv "$out"_logins.json "$out"_server.json
  # --run-time is only a safety net: the locustfile stops the run LOAD_SECONDS after the logins.
  LOAD_SERVER_PID="$server" $BIN/locust -f bench/locustfile.py --headless --users "$USERS" --spawn-rate "$SPAWN_RATE" \
    --run-time "$((LOAD_SECONDS + 300))s" --host "$HOST" --only-summary --csv "$out" \
    --loglevel WARNING >/dev/null 2>"$out-locust.log" || true
  LOAD_USERS="$USERS" $BIN/python -m bench.loadtest report "$out" || status=1
  echo "load average (1, 5, 15 min) after the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; other programs on this machine take their share"
done
exit "$status"
