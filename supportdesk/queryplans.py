"""The very SQL and parameters a piece of code sends, to read its plan: `make bench` prints the
queue's plans, and the plan tests check that the intended index is read (bound parameters can
change a plan, SQLite's above all, so the plan is asked of exactly what Django sent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection


def last_query(call: Callable[[], object]) -> tuple[str, Any]:
    """(sql, params) of the last query `call()` runs on the default database."""
    seen: list[tuple[str, Any]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    if not seen:
        raise AssertionError("the call ran no query")
    return seen[-1]
