"""`/metrics` in the Prometheus text format: HTTP, database and cache metrics from
django-prometheus, plus the desk's own gauges, read from the database when scraped.

Domain metrics (all gauges; they describe the state of the desk, so any web process can answer
and several replicas agree):

- `supportdesk_requests_open{status,category}`: open requests (new, triaged, planned);
- `supportdesk_deadlines_due_within_hour{clock}`: running deadlines that fall in the next hour;
- `supportdesk_slo_breached{clock}`: open items whose deadline has passed, per SLO clock
  (triage, first_response, incident_update), the clocks the SLO sweep reads;
- `supportdesk_notifications{status}`: notifications pending and failed;
- `supportdesk_incidents_open{hub}`: open incidents per hub (an incident touching two hubs
  counts for both);
- `supportdesk_sweep_duration_seconds`, `supportdesk_sweep_last_run_timestamp_seconds`: the last
  SLO sweep, as the worker that ran it recorded it (in the shared cache).

The snapshot is kept `METRICS_CACHE_SECONDS` (15 s) in the shared cache, so scrapes by several
Prometheus servers or of several replicas cost the database one set of queries. Every query is
a count through an index whose size is the open work, not the history.

Access: a request is served when it comes from `METRICS_ALLOWED_NETWORKS` (default: loopback)
or carries `Authorization: Bearer <METRICS_TOKEN>`; anything else gets 403."""

from __future__ import annotations

import contextlib
import datetime
import hmac
import ipaddress
import logging
import os
import time
from functools import lru_cache

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from desk.sweeps import CLOCKS
from incidents.models import Incident
from notifications.models import Notification
from supportdesk import safecache
from tickets.models import SupportRequest

logger = logging.getLogger(__name__)

SNAPSHOT_KEY = "metrics:domain:v1"
SWEEP_KEY = "metrics:sweep:v1"


# --- the domain snapshot ----------------------------------------------------------------------


def domain_snapshot(*, now: datetime.datetime | None = None) -> dict:
    """Every domain figure, as plain data (cached by `cached_domain_snapshot`)."""

    now = now or timezone.now()
    hour = now + datetime.timedelta(hours=1)
    open_requests = [
        [row["status"], row["category"] or "untriaged", row["n"]]
        for row in SupportRequest.objects.filter(status__in=SupportRequest.OPEN_STATUSES)
        .values("status", "category")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    due_soon, breached = {}, {}
    for clock in CLOCKS:
        field = clock.due_field
        base = clock.queryset()
        due_soon[str(clock.policy)] = base.filter(
            **{f"{field}__gt": now, f"{field}__lte": hour}
        ).count()
        breached[str(clock.policy)] = base.filter(**{f"{field}__lte": now}).count()
    notifications = {
        status: Notification.objects.filter(status=status).count()
        for status in (Notification.Status.PENDING, Notification.Status.FAILED)
    }
    incidents = [
        [row["hubs__name"] or "none", row["n"]]
        for row in Incident.objects.filter(state__in=Incident.OPEN_STATES)
        .values("hubs__name")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    ]
    return {
        "open_requests": open_requests,
        "due_soon": due_soon,
        "breached": breached,
        "notifications": {str(k): v for k, v in notifications.items()},
        "incidents": incidents,
    }


def cached_domain_snapshot() -> dict:
    seconds = settings.METRICS_CACHE_SECONDS
    if not seconds:
        return domain_snapshot()
    # A dead cache costs one database read per scrape, never the metrics (supportdesk.safecache).
    return safecache.cached(SNAPSHOT_KEY, domain_snapshot, timeout=seconds)


def record_sweep(*, seconds: float, finished_at: float | None = None) -> None:
    """Called by the sweep task: the last run's duration, for any web process to export."""
    safecache.set(SWEEP_KEY, {"seconds": seconds, "at": finished_at or time.time()}, None)


class DomainCollector:
    """A prometheus_client collector: the snapshot as metric families, built at scrape time."""

    def describe(self):
        # Without describe(), registering the collector would call collect(): a database read
        # at import time.
        return []

    def collect(self):
        try:
            snapshot = cached_domain_snapshot()
        except Exception:
            logger.warning("metrics: domain snapshot failed", exc_info=True)
            snapshot = None
        if snapshot is not None:
            yield from self._families(snapshot)
        sweep = safecache.get(SWEEP_KEY)
        if sweep:
            duration = GaugeMetricFamily(
                "supportdesk_sweep_duration_seconds", "Duration of the last SLO sweep."
            )
            duration.add_metric([], sweep["seconds"])
            last = GaugeMetricFamily(
                "supportdesk_sweep_last_run_timestamp_seconds",
                "When the last SLO sweep finished (Unix time).",
            )
            last.add_metric([], sweep["at"])
            yield duration
            yield last

    def _families(self, snapshot: dict):
        requests = GaugeMetricFamily(
            "supportdesk_requests_open",
            "Open support requests by status and category.",
            labels=["status", "category"],
        )
        for status, category, n in snapshot["open_requests"]:
            requests.add_metric([status, category], n)
        yield requests
        for name, key, text in (
            (
                "supportdesk_deadlines_due_within_hour",
                "due_soon",
                "Running deadlines due within the next hour, by SLO clock.",
            ),
            ("supportdesk_slo_breached", "breached", "Open items past their deadline, by clock."),
        ):
            family = GaugeMetricFamily(name, text, labels=["clock"])
            for clock, n in sorted(snapshot[key].items()):
                family.add_metric([clock], n)
            yield family
        notifications = GaugeMetricFamily(
            "supportdesk_notifications",
            "Notifications not delivered: pending, or failed for good.",
            labels=["status"],
        )
        for status, n in sorted(snapshot["notifications"].items()):
            notifications.add_metric([status], n)
        yield notifications
        incidents = GaugeMetricFamily(
            "supportdesk_incidents_open", "Open incidents by hub.", labels=["hub"]
        )
        for hub, n in snapshot["incidents"]:
            incidents.add_metric([hub], n)
        yield incidents


_collector = DomainCollector()
with contextlib.suppress(ValueError):  # registered already (module reloaded)
    REGISTRY.register(_collector)


# --- the view ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(net.strip(), strict=False) for net in spec if net.strip())


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in net for net in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


@require_GET
@never_cache
def metrics(request):
    if not metrics_allowed(request):
        return HttpResponse(
            "metrics: not allowed from this address without the metrics token\n",
            status=403,
            content_type="text/plain",
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several gunicorn workers: django-prometheus' counters are summed over the files every
        # worker writes there; the domain gauges come from the database, once.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collector)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
