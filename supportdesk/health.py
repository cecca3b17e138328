from __future__ import annotations

import logging
from pathlib import Path

from django.core.cache import cache

from supportdesk.celery import app

logger = logging.getLogger(__name__)


def broker_ok(timeout: float = 2.0) -> bool:
    """Whether the Celery broker accepts a connection (Redis or the embedded transport)."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            # The filesystem transport "connects" without touching disk: check its folders.
            if conn.transport_cls == "filesystem" or conn.transport.driver_type == "filesystem":
                options = app.conf.broker_transport_options
                return all(
                    Path(options[key]).is_dir() for key in ("data_folder_in", "control_folder")
                )
        return True
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is not usable
        logger.warning("broker check failed: %s", exc)
        return False


def cache_ok() -> bool:
    """Whether the shared cache answers a write and a read (asked directly, not through
    supportdesk.safecache, whose back-off would hide a recovery)."""
    try:
        cache.set("healthz:probe", "ok", 10)
        return cache.get("healthz:probe") == "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means the cache is not usable
        logger.warning("cache check failed: %s", exc)
        return False
