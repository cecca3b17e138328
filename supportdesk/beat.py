"""A beat that may run on several hosts at once: only the one holding the beat lock schedules.

`SingleBeatScheduler` is django-celery-beat's DatabaseScheduler (the schedule lives in the
database, edited in admin) that, before each tick, makes sure it holds the lock; a beat without
it sends nothing and asks again every few seconds. So a second beat (another host, another pod)
is a hot standby: when the leader stops, its lock is released with its database session and the
standby takes over within `RETRY_SECONDS`, re-reading the schedule and each task's last run from
the database (CELERY_BEAT_SYNC_EVERY=1 keeps them current).

The lock:
- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own,
  held for the life of the process. It must reach PostgreSQL directly or through a pool in
  *session* mode: PgBouncer in transaction mode cannot hold a session lock (README.md,
  "Connection pooling").
- SQLite (embedded mode, one machine): an exclusive `flock` on `var/beat.lock`.

Even while two beats overlap (a partitioned leader that has not noticed yet), nothing is sent
twice: every notification is claimed once by its unique key (notifications.services). The lock
keeps the work, and the logs, single."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from pathlib import Path

import psycopg2
from django.conf import settings
from django.db import connections
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

# pg_try_advisory_lock(bigint): an arbitrary key of this application ("supportdesk beat").
ADVISORY_KEY = 0x5D_BEA7_0001
RETRY_SECONDS = 5.0
CHECK_EVERY_SECONDS = 5.0


class BeatLock:
    """Try-lock held until the process ends (or the connection to the database is lost)."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self._conn = None  # PostgreSQL connection holding the advisory lock
        self._file = None  # SQLite: the flock'ed file
        self._checked_at = 0.0

    @property
    def vendor(self) -> str:
        return connections[self.alias].vendor

    def acquire(self) -> bool:
        if self.vendor == "postgresql":
            return self._acquire_pg()
        return self._acquire_file()

    def held(self) -> bool:
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        if time.monotonic() - self._checked_at < CHECK_EVERY_SECONDS:
            return True
        try:
            with self._conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            self._checked_at = time.monotonic()
            return True
        except Exception:  # noqa: BLE001 - the session, and with it the lock, is gone
            logger.warning("beat lock: lost the database session that held the lock")
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a dead connection
                self._conn.close()  # ends the session: PostgreSQL releases the lock
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def _acquire_pg(self) -> bool:
        wrapper = connections[self.alias]
        try:
            conn = psycopg2.connect(**wrapper.get_connection_params())
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
                got = cursor.fetchone()[0]
        except Exception:
            logger.warning("beat lock: cannot reach the database", exc_info=True)
            return False
        if not got:
            conn.close()
            return False
        self._conn, self._checked_at = conn, time.monotonic()
        return True

    def _acquire_file(self) -> bool:
        path = Path(settings.VAR_DIR) / "beat.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True


class SingleBeatScheduler(DatabaseScheduler):
    """DatabaseScheduler that ticks only while it holds the beat lock."""

    def __init__(self, *args, **kwargs):
        self.beat_lock = BeatLock()
        self._leading = False
        self._waiting_logged = False
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if not self.beat_lock.held():
            if self._leading:
                logger.warning("beat lock lost: this beat stops scheduling")
                self._leading = False
            if not self.beat_lock.acquire():
                if not self._waiting_logged:
                    logger.info("beat lock held by another beat: standing by")
                    self._waiting_logged = True
                return RETRY_SECONDS
            logger.info("beat lock acquired: this beat schedules (pid %s)", os.getpid())
            self._leading = True
            self._waiting_logged = False
            # Another beat may have run the schedule meanwhile: read it, with every task's last
            # run, afresh from the database.
            self._initial_read = True
            self._heap = None
        return super().tick(*args, **kwargs)

    def close(self):
        try:
            super().close()
        finally:
            self.beat_lock.release()
