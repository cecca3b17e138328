"""Maintenance windows (DOMAIN.md "Availability, alerting and status"): scheduled by staff (with
warnings about heavy use and reduced capacity), announced to the representatives of the affected
communities when scheduled, when they start and when they end (beat), or when cancelled."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.language import language_for
from accounts.models import User
from accounts.roles import is_staff_member
from availability import messages
from availability import status as rules
from availability.models import AvailabilityLog, AvailabilitySettings, MaintenanceWindow
from availability.services.common import _log
from availability.services.hub_status import hub_statuses_refresh
from communities.models import Hub, Membership
from notifications.services import notify
from slo.models import CalendarSettings
from slo.services import reduced_capacity_dates
from supportdesk.errors import ConcurrentEdit, DomainError, InvalidTransition, PermissionDenied
from supportdesk.events import emit as emit_event
from supportdesk.zones import format_utc

# A window may be scheduled to start "now": allow for the time it takes to fill in the form.
START_TOLERANCE = datetime.timedelta(minutes=15)


class MaintenanceNeedsConfirmation(DomainError):
    """The window is valid but falls at a time to think twice about; the caller must confirm."""

    status_code = 409

    def __init__(self, warnings: list[str]):
        super().__init__(
            gettext("Please confirm: %(warnings)s") % {"warnings": " ".join(warnings)},
            field="accept_warnings",
        )
        self.warnings = warnings


def _local_dates(start: datetime.datetime, end: datetime.datetime, zone) -> list[datetime.date]:
    first = start.astimezone(zone).date()
    last = (end - datetime.timedelta(microseconds=1)).astimezone(zone).date()
    count = min((last - first).days, 366)
    return [first + datetime.timedelta(days=n) for n in range(count + 1)]


def _format_dates(dates: list[datetime.date]) -> str:
    shown = ", ".join(f"{d:%a %d %b}" for d in dates[:5])
    if len(dates) <= 5:
        return shown
    return gettext("%(dates)s and %(count)s more") % {"dates": shown, "count": len(dates) - 5}


def maintenance_check(
    *,
    hubs: Iterable[Hub],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude: MaintenanceWindow | None = None,
) -> list[str]:
    """Warnings about a planned window (DOMAIN.md: "scheduled outside heavy use"):
    weekday daytime of heavy use in an affected community's time zone; reduced capacity
    (weekends, year edges, overlapping team holidays); another window on the same hubs."""
    hubs = list(hubs)
    config = AvailabilitySettings.load()
    warnings: list[str] = []
    communities = {h.community_id: h.community for h in hubs}
    for community in sorted(communities.values(), key=lambda c: c.name):
        zone = zoneinfo.ZoneInfo(community.timezone)
        busy = []
        for day in _local_dates(starts_at, ends_at, zone):
            if day.weekday() >= 5:
                continue
            busy_start = datetime.datetime.combine(
                day, datetime.time(config.heavy_use_start_hour), tzinfo=zone
            )
            busy_end = datetime.datetime.combine(day, datetime.time(0), tzinfo=zone) + (
                datetime.timedelta(hours=config.heavy_use_end_hour)
            )
            if starts_at < busy_end and ends_at > busy_start:
                busy.append(day)
        if busy:
            warnings.append(
                gettext(
                    "It falls on weekday daytime, when %(community)s uses its hubs most "
                    "(%(start)s–%(end)s %(zone)s, Monday to Friday): %(dates)s."
                )
                % {
                    "community": community.name,
                    "start": f"{config.heavy_use_start_hour:02d}:00",
                    "end": f"{config.heavy_use_end_hour:02d}:00",
                    "zone": community.timezone,
                    "dates": _format_dates(busy),
                }
            )

    zone = zoneinfo.ZoneInfo(CalendarSettings.load().reference_timezone)
    dates = _local_dates(starts_at, ends_at, zone)
    reduced = set(reduced_capacity_dates({d.year for d in dates}))
    weekend = [d for d in dates if d.weekday() >= 5]
    other = [d for d in dates if d in reduced and d.weekday() < 5]
    if weekend or other:
        reasons = []
        if weekend:
            reasons.append(gettext("weekend: %(dates)s") % {"dates": _format_dates(weekend)})
        if other:
            reasons.append(
                gettext("year-end week or team holidays: %(dates)s")
                % {"dates": _format_dates(other)}
            )
        warnings.append(
            gettext(
                "It falls in a reduced-capacity period (%(reasons)s): fewer engineers are "
                "around if something goes wrong."
            )
            % {"reasons": "; ".join(reasons)}
        )

    overlapping = MaintenanceWindow.objects.filter(
        cancelled_at__isnull=True,
        hubs__in=hubs,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    overlapping = overlapping.distinct().order_by("starts_at")
    for window in overlapping:
        warnings.append(
            gettext("It overlaps the window “%(title)s” (%(start)s to %(end)s) on the same hubs.")
            % {
                "title": window.title,
                "start": format_utc(window.starts_at),
                "end": format_utc(window.ends_at),
            }
        )
    return warnings


def _representatives(hub_ids: Iterable[int]) -> list[tuple[User, list[Hub]]]:
    """(representative, their community's affected hubs) for every affected community."""
    hubs = list(Hub.objects.filter(pk__in=list(hub_ids)).select_related("community"))
    by_community: dict[int, list[Hub]] = defaultdict(list)
    for hub in hubs:
        by_community[hub.community_id].append(hub)
    memberships = (
        Membership.objects.filter(
            community_id__in=list(by_community),
            community__is_active=True,
            role=Membership.Role.REPRESENTATIVE,
            user__is_active=True,
        )
        .select_related("user", "community")
        .order_by("user_id")
    )
    return [(m.user, by_community[m.community_id]) for m in memberships]


def _announce(window: MaintenanceWindow, stage: str) -> int:
    """E-mail each representative of the affected communities once for this stage."""
    status_url = reverse("availability:status")
    told = 0
    for user, hubs in _representatives(window.hubs.values_list("pk", flat=True)):
        community = hubs[0].community
        hub_names = ", ".join(h.name for h in hubs)
        with translation.override(language_for(user)):
            subject = messages.maintenance_subject(window, stage=stage, hub_names=hub_names)
            body = messages.maintenance_body(
                window,
                stage=stage,
                user=user,
                hub_names=hub_names,
                zone=community.timezone,
                status_url=f"{settings.SITE_URL}{status_url}",
            )
        sent = notify(
            key=f"maintenance:{window.pk}:{stage}:user:{user.pk}",
            kind=f"maintenance_{stage}",
            subject=subject,
            body=body,
            user=user,
            url=status_url,
        )
        told += sent is not None
    return told


@transaction.atomic
def maintenance_schedule(
    *,
    by,
    hubs: Iterable[Hub],
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    description: str = "",
    accept_warnings: bool = False,
) -> MaintenanceWindow:
    """Schedule a window and tell the affected communities. Raises MaintenanceNeedsConfirmation
    (with the warnings) unless `accept_warnings`, when the window falls at a bad time."""
    if not is_staff_member(by):
        raise PermissionDenied(gettext("Only the support team schedules maintenance."))
    hubs = list(Hub.objects.filter(pk__in=[h.pk for h in hubs]).select_related("community"))
    title = (title or "").strip()
    now = timezone.now()
    if not hubs:
        raise DomainError(gettext("Choose the hubs the maintenance affects."), field="hubs")
    if any(not h.is_active for h in hubs):
        raise DomainError(gettext("Maintenance can only be planned for active hubs."), field="hubs")
    if not title:
        raise DomainError(gettext("Give the maintenance a short title."), field="title")
    if starts_at is None or ends_at is None:
        raise DomainError(gettext("Give the start and the end."), field="starts_at")
    if ends_at <= starts_at:
        raise DomainError(gettext("The window must end after it starts."), field="ends_at")
    if starts_at < now - START_TOLERANCE:
        raise DomainError(gettext("The window cannot start in the past."), field="starts_at")
    warnings = maintenance_check(hubs=hubs, starts_at=starts_at, ends_at=ends_at)
    if warnings and not accept_warnings:
        raise MaintenanceNeedsConfirmation(warnings)
    window = MaintenanceWindow.objects.create(
        title=title[:200],
        description=(description or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=by,
        warnings=warnings,
        announced_at=now,
    )
    window.hubs.set(hubs)
    told = _announce(window, "scheduled")
    _log(
        AvailabilityLog.Kind.MAINTENANCE_SCHEDULED,
        actor=by,
        window=window,
        detail=f"{window.title}: {format_utc(starts_at)} to {format_utc(ends_at)}",
        hubs=[h.slug for h in hubs],
        warnings=warnings,
        told=told,
    )
    hub_statuses_refresh(hub_ids=[h.pk for h in hubs])
    rules.invalidate()
    emit_event("maintenance_scheduled", window=window, hubs=hubs)
    return window


@transaction.atomic
def maintenance_cancel(
    *, window: MaintenanceWindow, by, expected_version: int | None = None
) -> MaintenanceWindow:
    """Cancel a window that has not ended; tell the communities if they were told of it."""
    if not is_staff_member(by):
        raise PermissionDenied(gettext("Only the support team cancels maintenance."))
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    if expected_version is not None and window.version != expected_version:
        raise ConcurrentEdit(
            gettext("Somebody changed this window meanwhile; reload and try again.")
        )
    now = timezone.now()
    if window.cancelled_at is not None:
        raise InvalidTransition(gettext("This window is already cancelled."))
    if window.ends_at <= now:
        raise InvalidTransition(gettext("This window is over; it can no longer be cancelled."))
    window.cancelled_at = now
    window.cancelled_by = by
    window.version = F("version") + 1
    window.save(update_fields=["cancelled_at", "cancelled_by", "version"])
    window.refresh_from_db()
    told = _announce(window, "cancelled") if window.announced_at else 0
    _log(
        AvailabilityLog.Kind.MAINTENANCE_CANCELLED,
        actor=by,
        window=window,
        detail=window.title,
        told=told,
    )
    hub_statuses_refresh(hub_ids=list(window.hubs.values_list("pk", flat=True)))
    rules.invalidate()
    return window


def maintenance_announce_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Beat: announce windows that have started or ended since the last run, once each, and
    refresh the status of their hubs. Safe to run twice or in two workers at once: each window
    is locked (skipped when another worker holds it) and stamped as announced; notify() keys
    make a second e-mail impossible anyway."""
    now = now or timezone.now()
    started = ended = 0
    due = MaintenanceWindow.objects.filter(cancelled_at__isnull=True).filter(
        Q(start_announced_at__isnull=True, starts_at__lte=now)
        | Q(end_announced_at__isnull=True, ends_at__lte=now)
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            window = (
                MaintenanceWindow.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, cancelled_at__isnull=True)
                .first()
            )
            if window is None:
                continue
            fields = []
            if window.start_announced_at is None and window.starts_at <= now:
                # Started and already over (beat was down): the "over" e-mail says it all.
                if window.ends_at > now:
                    told = _announce(window, "started")
                    _log(
                        AvailabilityLog.Kind.MAINTENANCE_STARTED,
                        window=window,
                        detail=window.title,
                        told=told,
                    )
                    started += 1
                window.start_announced_at = now
                fields.append("start_announced_at")
            if window.end_announced_at is None and window.ends_at <= now:
                told = _announce(window, "ended")
                _log(
                    AvailabilityLog.Kind.MAINTENANCE_ENDED,
                    window=window,
                    detail=window.title,
                    told=told,
                )
                window.end_announced_at = now
                fields.append("end_announced_at")
                ended += 1
            if fields:
                window.version = F("version") + 1
                window.save(update_fields=[*fields, "version"])
                hub_statuses_refresh(hub_ids=list(window.hubs.values_list("pk", flat=True)), at=now)
                rules.invalidate()
    return {"started": started, "ended": ended}
