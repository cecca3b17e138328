"""Helpers of scripts/load.sh (`make load`), run as `python -m bench.loadtest <command>`:

- `prepare` (with the server's settings in the environment, DEBUG=0): point at the bench
  database (bench/database.py), migrate, seed or reuse the 100,000-request dataset, collect the
  static files, and print DATABASE_URL, SUPPORTDESK_VAR_DIR and BENCH_VAR_DIR as shell
  `export` lines;
- `report <csv prefix>`: print requests per second, p50/p95/p99 and errors from locust's CSV
  files; exit 1 when any request failed (or none was made);
- `cleanup`: delete the load test's submissions and notifications, drop its broker messages."""

from __future__ import annotations

import csv
import json
import os
import shlex
import sys
from pathlib import Path


def _setup() -> None:
    from bench import database

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    database.configure()
    import django

    django.setup()


def prepare() -> int:
    _setup()
    from django.core.management import call_command

    from bench.dataset import remove_extras, seed

    call_command("migrate", verbosity=0)
    with _stdout_to_stderr():
        seed()
        remove_extras()
        call_command("collectstatic", interactive=False, verbosity=0)
    for name in ("DATABASE_URL", "SUPPORTDESK_VAR_DIR", "BENCH_VAR_DIR"):
        print(f"export {name}={shlex.quote(os.environ[name])}")
    return 0


class _stdout_to_stderr:
    """Progress messages go to stderr: stdout carries the export lines only."""

    def __enter__(self):
        self._stdout, sys.stdout = sys.stdout, sys.stderr

    def __exit__(self, *exc):
        sys.stdout = self._stdout


def report(prefix: str) -> int:
    stats = _rows(Path(f"{prefix}_stats.csv"))
    total = next(row for row in stats if row["Name"] == "Aggregated")
    pages = [row for row in stats if row["Name"] != "Aggregated"]
    print(f"\n{'request':34} {'count':>7} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'rps':>7}")
    for row in [*sorted(pages, key=lambda r: r["Name"]), total]:
        print(
            f"{row['Name'][:34]:34} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{row['50%']:>5}ms {row['95%']:>5}ms {row['99%']:>5}ms "
            f"{float(row['Requests/s']):>7.1f}"
        )
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    logins = Path(f"{prefix}_logins.json")
    if logins.exists():
        login = json.loads(logins.read_text())
        failures += login["login_failures"]
        print(
            f"\nlogins (before the window): {login['users']} users logged in within "
            f"{login['seconds_until_all_logged_in']} s; p50 {login['login_p50_ms']} ms, "
            f"p95 {login['login_p95_ms']} ms, {login['login_failures']} failed"
        )
    else:
        print("\nlogins: not every user logged in")
        failures += 1
    print(
        f"\nload: {float(total['Requests/s']):.1f} requests/s; p50 {total['50%']} ms, "
        f"p95 {total['95%']} ms, p99 {total['99%']} ms; {failures} errors in {requests:,} "
        "requests"
    )
    server = Path(f"{prefix}_server.json")
    if server.exists() and requests:
        used = json.loads(server.read_text())
        per_request = used["cpu_seconds"] * 1000 / requests
        cores = os.cpu_count() or 1
        print(
            f"server CPU: {used['cpu_seconds']} s in the {used['window_seconds']} s window, "
            f"{per_request:.1f} ms per request (gunicorn's processes only: PostgreSQL and locust "
            f"share the cores; at that cost {cores} cores serve at most "
            f"{cores * 1000 / per_request:.0f} requests/s)"
        )
    _targets(
        users=int(os.environ.get("LOAD_USERS", "50")),
        rps=float(total["Requests/s"]),
        p95=float(total["95%"]),
        errors=failures,
        login_max_ms=json.loads(logins.read_text()).get("login_max_ms")
        if logins.exists()
        else None,
    )
    failed = Path(f"{prefix}_failures.csv")
    if failures and failed.exists():
        print("failures:")
        for row in _rows(failed):
            print(f"  {row['Occurrences']:>5} x {row['Method']} {row['Name']}: {row['Error']}")
    return 1 if failures or not requests else 0


def _targets(*, users: int, rps: float, p95: float, errors: int, login_max_ms) -> None:
    """Issue 21's targets for this run's number of users (50: throughput and p95; 200: no
    error and no login slower than 2 s)."""
    checks = [("no errors", "0", str(errors), errors == 0)]
    if users <= 50:
        checks += [
            ("throughput", ">= 150 requests/s", f"{rps:.1f}", rps >= 150),
            ("p95", "<= 100 ms", f"{p95:.0f} ms", p95 <= 100),
        ]
    else:
        slowest = "unknown" if login_max_ms is None else f"{login_max_ms} ms"
        checks.append(
            (
                "slowest login",
                "<= 2000 ms",
                slowest,
                login_max_ms is not None and login_max_ms <= 2000,
            )
        )
    print(f"\ntargets (issue 21) at {users} users:")
    for name, limit, figure, met in checks:
        print(f"  {name:14} {limit:>18} {figure:>12}  {'met' if met else 'NOT MET'}")


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def cleanup() -> int:
    _setup()
    from bench import database
    from bench.dataset import remove_extras

    removed = remove_extras()
    database.clear_broker()
    print(f"load: removed {removed:,} rows the load test added")
    return 0


def main(argv: list[str]) -> int:
    match argv:
        case ["prepare"]:
            return prepare()
        case ["report", prefix]:
            return report(prefix)
        case ["cleanup"]:
            return cleanup()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
