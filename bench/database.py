"""The bench runs on its own database, next to the one DATABASE_URL names (PostgreSQL: the same
server, database `<name>_bench`) or var/bench/bench.sqlite3, so it never touches real data."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def configure() -> str:
    """Point DATABASE_URL at the bench database (creating it on PostgreSQL). Call before
    django.setup()."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        var_dir = Path(os.environ.get("SUPPORTDESK_VAR_DIR", Path(__file__).parents[1] / "var"))
        path = var_dir / "bench" / "bench.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "supportdesk"
    bench_name = name if name.endswith("_bench") else f"{name}_bench"
    import psycopg2
    from psycopg2 import sql

    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(bench_name)))
    admin.close()
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{bench_name}"))
    return os.environ["DATABASE_URL"]
