"""The bench runs on its own database, next to the one DATABASE_URL names (PostgreSQL: the same
server, database `<name>_bench`) or var/bench/bench.sqlite3, so it never touches real data.
Each dataset size other than 100,000 (BENCH_REQUESTS) has a database of its own
(`<name>_bench_1000000`, var/bench/bench-1000000.sqlite3), so switching sizes reseeds nothing.

It also keeps away from the development broker and cache: the bench's notifications are
enqueued into var/bench/run/broker (nobody consumes it; a development worker must never be
handed ids from another database), and its cache is var/bench/run/cache. REDIS_URL is ignored
for the same reason."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).parents[1]


# BENCH_VAR_DIR: set by configure(), so that a process started from a configured environment
# (scripts/load.sh runs several) finds the same places.
_VAR_DIR = Path(
    os.environ.get("BENCH_VAR_DIR") or os.environ.get("SUPPORTDESK_VAR_DIR") or ROOT / "var"
)


def var_dir() -> Path:
    """The project's var/ folder (results go there), as it was before configure() moved it."""
    return _VAR_DIR


def run_dir() -> Path:
    """Broker folders and cache of bench processes (var/bench/run)."""
    return var_dir() / "bench" / "run"


def configure() -> str:
    """Point DATABASE_URL at the bench database (creating it on PostgreSQL), and the broker and
    cache at var/bench/run. Call before django.setup(). Returns the bench DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    run = run_dir()
    size = int(os.environ.get("BENCH_REQUESTS", "100000"))
    if not url or url.startswith("sqlite"):
        path = sqlite_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        bench_url = f"sqlite:///{path}"
    else:
        parts = urlsplit(url)
        name = parts.path.lstrip("/") or "supportdesk"
        suffix = "_bench" if size == 100_000 else f"_bench_{size}"
        bench_name = name if "_bench" in name else f"{name}{suffix}"
        # A larger size starts as a copy of the 100,000-request database when there is one
        # (bench.dataset then only adds copies of its rows): minutes less of seeding.
        template = f"{name}_bench" if size > 100_000 and "_bench" not in name else None
        _create_pg_database(url, bench_name, template=template)
        bench_url = urlunsplit(parts._replace(path=f"/{bench_name}"))
    os.environ["DATABASE_URL"] = bench_url
    os.environ["BENCH_VAR_DIR"] = str(var_dir())
    os.environ["SUPPORTDESK_VAR_DIR"] = str(run)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("BROKER_URL", None)
    # One access-log line per measured request would drown the figures.
    os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
    for folder in ("broker/queue", "broker/control", "broker/processed", "cache", "mail"):
        (run / folder).mkdir(parents=True, exist_ok=True)
    return bench_url


def sqlite_path() -> Path:
    size = int(os.environ.get("BENCH_REQUESTS", "100000"))
    name = "bench.sqlite3" if size == 100_000 else f"bench-{size}.sqlite3"
    return var_dir() / "bench" / name


def clear_broker() -> None:
    """Drop the messages bench runs enqueued (nothing consumes them)."""
    queue = run_dir() / "broker" / "queue"
    if queue.exists():
        shutil.rmtree(queue)
    queue.mkdir(parents=True, exist_ok=True)


def _admin_connection(url: str):
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    return admin


def _create_pg_database(
    url: str, name: str, *, drop: bool = False, template: str | None = None
) -> None:
    """Create the database `name` unless it exists, as a copy of `template` when that exists
    and nobody is connected to it (else empty)."""
    import psycopg2
    from psycopg2 import sql

    admin = _admin_connection(url)
    try:
        with admin.cursor() as cursor:
            if drop:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return
            if template is not None:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
                if cursor.fetchone() is not None:
                    try:
                        cursor.execute(
                            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                                sql.Identifier(name), sql.Identifier(template)
                            )
                        )
                        print(f"dataset: {name} starts as a copy of {template}", file=sys.stderr)
                        return
                    except psycopg2.Error as exc:  # in use: seed from scratch
                        print(
                            f"dataset: could not copy {template} ({exc}); seeding afresh",
                            file=sys.stderr,
                        )
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def recreate() -> None:
    """Start the bench database afresh (after django.setup(); migrates it again)."""
    from django.core.management import call_command
    from django.db import connection

    url = os.environ["DATABASE_URL"]
    connection.close()
    if url.startswith("sqlite"):
        path = sqlite_path()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = urlsplit(url).path.lstrip("/")
        if "_bench" not in name:  # never drop anything but a bench database
            raise RuntimeError(f"refusing to drop {name!r}: not a bench database")
        _create_pg_database(url, name, drop=True)
    call_command("migrate", verbosity=0)
