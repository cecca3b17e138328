from __future__ import annotations

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from supportdesk import outages
from supportdesk.health import broker_ok, cache_ok

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request):
    """Each dependency's state, and `failed`: the names of those that are down. 503 when the
    database or the broker is down; a cache outage only costs speed (supportdesk.safecache), so
    it is reported ("degraded") without failing the check. That is the readiness probe;
    `?probe=live` (the Kubernetes liveness probe) only says the process serves HTTP: an outage
    of the database must take pods out of the Service, not restart them all."""
    if request.GET.get("probe") == "live":
        return JsonResponse({"status": "ok"})
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure
        logger.warning("healthz: database check failed: %s", exc)
        checks["database"] = "error"
    checks["broker"] = "ok" if broker_ok() else "error"
    checks["cache"] = "ok" if cache_ok() else "error"
    failed = [name for name, value in checks.items() if value != "ok"]
    healthy = not {"database", "broker"} & set(failed)
    state = "error" if not healthy else ("degraded" if failed else "ok")
    response = JsonResponse(
        {"status": state, **checks, "failed": failed}, status=200 if healthy else 503
    )
    if not healthy:
        response["Retry-After"] = str(outages.RETRY_AFTER_SECONDS)
    return response
