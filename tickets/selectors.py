"""Permission-scoped reads of support requests, and the deadline words shown next to them.

Scope: staff see every request; a community member (representative or hub administrator) sees
their communities' requests and only the public conversation; anybody else sees nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import dateformat, timezone
from django.utils.translation import gettext, ngettext, pgettext

from accounts.models import User
from accounts.roles import is_staff_member, member_community_ids
from slo.models import SLOPolicy
from slo.services import Policies, calendar_pair, clock_timezone, load_policies
from supportdesk.worktime import (
    WorkCalendar,
    add_working_time,
    describe_remaining,
    remaining_parts,
)
from supportdesk.zones import format_local, zone_name
from tickets import search
from tickets.models import Attachment, InboundEmail, Message, RequestEvent, SupportRequest
from tickets.ordering import drive_from_requests, due_order

SOON = datetime.timedelta(hours=4)  # the queue's "due within 4 working hours"


# --- scope -----------------------------------------------------------------------------------


def request_scope_for(*, user: User) -> QuerySet[SupportRequest]:
    """Every request the user may read (no filtering beyond permission)."""
    qs = SupportRequest.objects.all()
    if is_staff_member(user):
        return qs
    communities = member_community_ids(user)
    if not communities:
        return qs.none()
    return qs.filter(community_id__in=communities)


# The orders a steward can choose for the queue (the `sort` query parameter): key -> label.
QUEUE_SORTS = {
    "deadline": "Incidents, then nearest deadline",
    "rank": "Incidents, then priority rank",
    "received": "Most recently received",
    "updated": "Most recently updated",
    "relevance": "Best match first (when searching)",
}
DEFAULT_SORT = "deadline"


def queue_order(qs: QuerySet[SupportRequest], sort: str = DEFAULT_SORT) -> QuerySet[SupportRequest]:
    """The queue's order. "deadline" (the default): open incidents and likely incidents pinned
    first, then the nearest deadline, requests with no pending deadline last, oldest first.
    "rank": pinned first, then priority rank (1 highest), then deadline. "received" and
    "updated": newest first. Each order has an index that matches it (tickets.models)."""
    due = due_order(using=qs.db)
    if sort == "received":
        return qs.order_by("-received_at", "-pk")
    if sort == "updated":
        return qs.order_by("-updated_at", "-pk")
    qs = drive_from_requests(qs)
    if sort == "rank":
        return qs.order_by("queue_pin", "priority_rank", *due, "received_at", "pk")
    return qs.order_by("queue_pin", *due, "received_at", "pk")


@dataclass
class RequestList:
    """One list of requests, as the steward's queue, the representative's list, the API and
    the CSV export all show it for the same query string."""

    filterset: Any  # tickets.filters.SupportRequestFilter: the form the page shows
    requests: QuerySet[SupportRequest]  # in the user's scope, filtered and ordered
    sort: str  # the order applied (a QUEUE_SORTS key for staff)
    words: str  # what was searched for, if anything

    @property
    def search_capped(self) -> bool:
        """More requests matched the search than it takes: the newest SEARCH_LIMIT are
        listed (tickets.search)."""
        return self.filterset.search_capped

    @property
    def errors(self) -> dict:
        """Filters that were not valid (left out of `requests`), by name."""
        return self.filterset.errors


def request_list_for(
    *,
    user: User,
    filters: Mapping | None = None,
    calendars: Calendars | None = None,
    search_box: bool = False,
) -> RequestList:
    """The requests `user` may see, filtered by `filters` (the query parameters of
    tickets.filters.SupportRequestFilter; an invalid one is left out and named in `errors`,
    each interface says so its own way) and ordered: staff in the queue's order (`sort`; best
    match first when searching), members of a community newest first.

    `calendars`: the page's, when it shows deadlines too ("due soon" reads them once);
    `search_box`: the queue's form takes a community by name."""
    # tickets.filters imports this module (the sorts, the calendars): a cycle at module level.
    from tickets.filters import SupportRequestFilter  # noqa: PLC0415 - import cycle: tickets.filters imports this module

    scope = request_scope_for(user=user).select_related("community", "hub", "assignee")
    filterset = SupportRequestFilter(
        data=filters if filters is not None else {},
        queryset=scope,
        user=user,
        calendars=calendars or Calendars(),
        search_box=search_box,
    )
    qs = filterset.qs
    words = (filterset.form.cleaned_data.get("q") or "").strip()
    if not is_staff_member(user):
        return RequestList(filterset, qs.order_by("-received_at", "-pk"), "received", words)
    sort = filterset.form.cleaned_data.get("sort") or ("relevance" if words else DEFAULT_SORT)
    if sort == "relevance" and not words:
        sort = DEFAULT_SORT
    if sort == "relevance":
        return RequestList(filterset, search.order_by_relevance(qs, words), sort, words)
    return RequestList(filterset, queue_order(qs, sort), sort, words)


def planning_requests() -> QuerySet[SupportRequest]:
    """Change and guidance requests in work planning, highest priority first (rank 1 first),
    then nearest deadline, oldest first. Staff only (the view checks)."""
    planned = SupportRequest.objects.filter(
        status=SupportRequest.Status.PLANNED,
        category__in=[SupportRequest.Category.CHANGE, SupportRequest.Category.GUIDANCE],
    ).select_related("community", "hub", "assignee")
    return drive_from_requests(planned).order_by("priority_rank", *due_order(), "received_at", "pk")


def request_get_for(*, user: User, pk) -> SupportRequest:
    """One request the user may read, or 404 (outside the scope it does not exist)."""
    try:
        r = (
            request_scope_for(user=user)
            # Not the incident: few requests have one, and its wide row cost every page a join.
            .select_related("community", "hub", "requester", "assignee")
            .get(pk=pk)
        )
    except (SupportRequest.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such request.") from exc
    # Read just now, for this web request: the services' locked load may reuse these related
    # rows instead of joining them again (tickets.services._lock).
    r._relations_fresh = True
    return r


def conversation_for(*, support_request: SupportRequest, user: User) -> QuerySet[Message]:
    """The conversation: internal notes only for the team."""
    qs = support_request.messages.select_related("author", "inbound_email").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "pk"))
    )
    if not is_staff_member(user):
        qs = qs.filter(visibility=Message.Visibility.PUBLIC)
    return qs.order_by("created_at", "pk")


def conversation_page_for(
    *, support_request: SupportRequest, user: User
) -> tuple[list[Message], list[Attachment]]:
    """What the request pages show: the conversation (as conversation_for), each message with
    its files as `.files`, and the files of the request itself, in two queries (the messages,
    then every file of the request at once). Files of messages the user may not read (internal
    notes, for a representative) are left out with their messages."""
    messages = support_request.messages.select_related("author", "inbound_email")
    if not is_staff_member(user):
        messages = messages.filter(visibility=Message.Visibility.PUBLIC)
    conversation = list(messages.order_by("created_at", "pk"))
    by_message: dict[int | None, list[Attachment]] = {}
    for attachment in support_request.attachments.order_by("created_at", "pk"):
        by_message.setdefault(attachment.message_id, []).append(attachment)
    for message in conversation:
        message.files = by_message.get(message.pk, [])
    return conversation, by_message.get(None, [])


def inbound_needing_steward() -> QuerySet[InboundEmail]:
    """E-mail that waits for a steward (unmatched, held, quarantined), oldest first. The raw
    bytes are left in the database: the list never needs them. Staff only (views check)."""
    return (
        InboundEmail.objects.filter(status__in=InboundEmail.NEEDS_STEWARD)
        .defer("raw", "text")
        .order_by("received_at", "pk")
    )


def original_email_of(r: SupportRequest) -> InboundEmail | None:
    """The e-mail a request was opened from (staff can read the original); no query for the
    other channels."""
    if r.channel != SupportRequest.Channel.EMAIL:
        return None
    return (
        r.inbound_emails.filter(status=InboundEmail.Status.NEW_REQUEST)
        .only("pk", "request_id")
        .order_by("pk")
        .first()
    )


def inbound_get(*, pk) -> InboundEmail:
    try:
        return InboundEmail.objects.get(pk=pk)
    except (InboundEmail.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such e-mail.") from exc


def messages_since(
    r: SupportRequest, *, seen_message_id: int, excluding, public_only: bool = False
) -> QuerySet[Message]:
    """The messages of `r` written after `seen_message_id` (the last one a page showed) by
    anyone but `excluding`, oldest first: what a reply written on that page has not read."""
    newer = r.messages.filter(pk__gt=seen_message_id).exclude(author=excluding)
    if public_only:
        newer = newer.filter(visibility=Message.Visibility.PUBLIC)
    return newer.select_related("author").order_by("pk")


def follow_ups_of(r: SupportRequest) -> list[SupportRequest]:
    """The requests that replies to this closed request opened; no query for open ones (only a
    closed request is followed up)."""
    if r.status != SupportRequest.Status.CLOSED:
        return []
    return list(r.follow_ups.only("pk", "follow_up_of_id").order_by("pk"))


def request_attachments_for(*, support_request: SupportRequest) -> list[Attachment]:
    """The files that came with the request itself (not with a reply)."""
    return list(
        support_request.attachments.filter(message__isnull=True).order_by("created_at", "pk")
    )


def attachments_for(*, support_request: SupportRequest, user: User) -> QuerySet[Attachment]:
    """Every file of the request the user may see (not those of internal notes, unless staff)."""
    qs = support_request.attachments.all()
    if not is_staff_member(user):
        qs = qs.filter(Q(message__isnull=True) | Q(message__visibility=Message.Visibility.PUBLIC))
    return qs.order_by("created_at", "pk")


def attachment_get_for(*, user: User, pk) -> Attachment:
    """One attachment the user may download, or 404: its request must be in their scope, and
    a file of an internal note is the team's only."""
    qs = Attachment.objects.filter(request__in=request_scope_for(user=user)).select_related(
        "message"
    )
    if not is_staff_member(user):
        qs = qs.filter(Q(message__isnull=True) | Q(message__visibility=Message.Visibility.PUBLIC))
    try:
        return qs.get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such file.") from exc


def history_for(*, support_request: SupportRequest) -> QuerySet[RequestEvent]:
    return support_request.events.select_related("actor").order_by("created_at", "pk")


def time_entries_for(*, support_request: SupportRequest):
    return support_request.time_entries.select_related("engineer").order_by("-worked_at", "-pk")


def requests_with_public_messages(qs: QuerySet[SupportRequest]) -> QuerySet[SupportRequest]:
    public = Message.objects.filter(visibility=Message.Visibility.PUBLIC)
    return qs.prefetch_related(Prefetch("messages", queryset=public, to_attr="public_messages"))


# --- deadlines in words ----------------------------------------------------------------------


class Calendars:
    """Working-time calendars for one page, built once.

    slo.services reads the settings and closed dates (a few queries); they are whole dates, the
    same for every zone, so both kinds of calendar (incident clocks ignore reduced capacity) are
    loaded together on first use. Every community's clocks run in the team's reference zone;
    only a community an admin gave its own calendar gets one re-zoned in memory. A page costs
    the same queries whatever its size, however many zones and kinds it shows."""

    def __init__(self) -> None:
        self._base: dict[bool, WorkCalendar] | None = None
        self._zoned: dict[tuple[str, bool], WorkCalendar] = {}

    def get(self, *, timezone_name: str | None, incident: bool = False) -> WorkCalendar:
        """`timezone_name` None is the team's reference zone."""
        if self._base is None:
            self._base = calendar_pair()
        base = self._base[incident]
        if timezone_name is None or timezone_name == base.timezone:
            return base
        key = (timezone_name, incident)
        calendar = self._zoned.get(key)
        if calendar is None:
            calendar = WorkCalendar(timezone=timezone_name, closed_dates=base.closed_dates)
            self._zoned[key] = calendar
        return calendar

    def for_request(self, r: SupportRequest) -> WorkCalendar:
        return self.get(
            timezone_name=clock_timezone(r.community), incident=r.category == "incident"
        )


def next_deadline_label(r: SupportRequest) -> str:
    """Which clock `next_due_at` belongs to."""
    if r.next_due_at is None:
        return ""
    if r.status == SupportRequest.Status.NEW and r.triage_due_at == r.next_due_at:
        return "Triage"
    if r.auto_close_due_at == r.next_due_at:
        return "Auto-close"
    if r.first_responded_at is None:
        return "First response"
    return "Response"


def next_deadline_excused(r: SupportRequest) -> bool:
    """Whether missing `next_due_at` is excused (reduced capacity)."""
    label = next_deadline_label(r)
    if label == "Triage":
        return r.triage_excused
    if label in ("First response", "Response"):
        return r.response_excused
    return False


def annotate_deadlines(
    requests: Iterable[SupportRequest],
    *,
    now: datetime.datetime | None = None,
    calendars: Calendars | None = None,
) -> list[SupportRequest]:
    """Set `due_label`, `due_text` ("3 h left", "overdue by 2 h") and `due_state` ("overdue",
    "soon" or "") on each request, in Python: no query per row."""
    now = now or timezone.now()
    calendars = calendars or Calendars()
    rows = list(requests)
    for r in rows:
        r.due_label = next_deadline_label(r)
        r.due_text = ""
        r.due_state = ""
        if r.next_due_at is None:
            continue
        calendar = calendars.for_request(r)
        r.due_text = describe_remaining(now, r.next_due_at, calendar)
        if r.next_due_at <= now and next_deadline_excused(r):
            r.due_text = "missed (reduced capacity)"
            r.due_state = "excused"
        elif r.next_due_at <= now:
            r.due_state = "overdue"
        elif r.next_due_at <= add_working_time(now, SOON, calendar):
            r.due_state = "soon"
    return rows


def soon_thresholds(
    zones: Iterable[str | None],
    *,
    now: datetime.datetime | None = None,
    calendars: Calendars | None = None,
) -> dict[tuple[str | None, bool], datetime.datetime]:
    """For the "due within 4 working hours" filter: per (zone, incident), the latest deadline
    that is still within 4 working hours of now."""
    now = now or timezone.now()
    calendars = calendars or Calendars()
    return {
        (zone, incident): add_working_time(
            now, SOON, calendars.get(timezone_name=zone, incident=incident)
        )
        for zone in set(zones)
        for incident in (False, True)
    }


# --- what the representative is told ---------------------------------------------------------


def duration_words(days: int, hours: int, minutes: int) -> str:
    """ "2 working days 3 h", "5 h", "20 m", in the active language."""
    if days:
        words = ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days}
        return f"{words} {hours} h" if hours else words
    if hours:
        return f"{hours} h {minutes} m" if minutes else f"{hours} h"
    return f"{minutes} m"


@dataclass(frozen=True)
class WaitingOn:
    """Whose move it is on a request, as the representative's list says it."""

    party: str  # "us", "you" or "" (closed)
    text: str
    overdue: bool = False


def waiting_on(
    r: SupportRequest, *, now: datetime.datetime, calendars: Calendars | None = None
) -> WaitingOn:
    """ "Waiting on us: answer due in 5 h", "Waiting on you", ... from the request's state and
    its open deadline (no query: the columns are on the row)."""
    status = SupportRequest.Status
    if r.status == status.CLOSED:
        return WaitingOn("", pgettext("support request", "Closed"))
    if r.status == status.RESOLVED:
        return WaitingOn("you", gettext("Waiting on you: please confirm it is resolved, or reply"))
    # The answer they wait for; else, while nobody has triaged it yet, the triage.
    due, untriaged = r.response_due_at, False
    if due is None and r.status == status.NEW and r.triage_due_at is not None:
        due, untriaged = r.triage_due_at, True
    if due is not None:
        calendars = calendars or Calendars()
        overdue, days, hours, minutes = remaining_parts(now, due, calendars.for_request(r))
        words = duration_words(days, hours, minutes)
        if untriaged:
            if overdue:
                text = gettext("Waiting on us: triage overdue by %(time)s") % {"time": words}
                return WaitingOn("us", text, overdue=True)
            return WaitingOn(
                "us", gettext("Waiting on us: triage due in %(time)s") % {"time": words}
            )
        if not (days or hours or minutes):
            return WaitingOn("us", gettext("Waiting on us: answer due now"))
        if overdue:
            text = gettext("Waiting on us: answer overdue by %(time)s") % {"time": words}
            return WaitingOn("us", text, overdue=True)
        return WaitingOn("us", gettext("Waiting on us: answer due in %(time)s") % {"time": words})
    if r.status == status.PLANNED:
        return WaitingOn("us", gettext("Waiting on us: in our work planning"))
    if r.status == status.NEW:
        return WaitingOn("us", gettext("Waiting on us"))
    return WaitingOn("you", gettext("Waiting on you"))


def annotate_waiting(
    requests: Iterable[SupportRequest],
    *,
    now: datetime.datetime | None = None,
    calendars: Calendars | None = None,
) -> list[SupportRequest]:
    """Set `waiting` (a WaitingOn) on each request of the representative's list."""
    now = now or timezone.now()
    calendars = calendars or Calendars()
    rows = list(requests)
    for r in rows:
        r.waiting = waiting_on(r, now=now, calendars=calendars)
    return rows


def _working_time_words(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        if days == 1:
            return gettext("one working day (%(hours)d working hours)") % {"hours": minutes // 60}
        return gettext("%(days)d working days (%(hours)d working hours)") % {
            "days": days,
            "hours": minutes // 60,
        }
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d working hour", "%(n)d working hours", hours) % {"n": hours}
    return ngettext("%(n)d working minute", "%(n)d working minutes", minutes) % {"n": minutes}


def format_instant(instant: datetime.datetime, zone: str) -> str:
    """ "Mon 16 Mar 2026, 04:00 Pacific Time": to the minute, the zone by its friendly name."""
    return format_local(instant, zone)


def _working_week_words(clock_zone: str, shown_zone: str) -> str:
    """The working week in the clock's zone, and in the reader's when that differs, so a
    representative never has to convert: "Monday 00:00 to Saturday 00:00 UTC (Sunday 16:00 to
    Friday 16:00 Pacific Time)"."""
    week = gettext("Monday 00:00 to Saturday 00:00 %(zone)s") % {"zone": zone_name(clock_zone)}
    if clock_zone == shown_zone:
        return week
    # Any Monday midnight will do for the weekday and hour; take one without a clock change.
    monday = datetime.datetime(2026, 1, 5, tzinfo=ZoneInfo(clock_zone))
    start = timezone.localtime(monday, ZoneInfo(shown_zone))
    end = timezone.localtime(monday + datetime.timedelta(days=5), ZoneInfo(shown_zone))
    if (start.weekday(), start.time()) == (0, datetime.time()):
        return week
    local = gettext("%(start)s to %(end)s %(zone)s") % {
        "start": dateformat.format(start, "l H:i"),
        "end": dateformat.format(end, "l H:i"),
        "zone": zone_name(shown_zone),
    }
    return f"{week} ({local})"


def what_happens_next(r: SupportRequest, *, policies: Policies | None = None) -> list[str]:
    """The lifecycle in plain words, with this request's own deadlines (DOMAIN.md), every time
    in the community's zone."""
    policies = policies or load_policies()
    clock = SLOPolicy.Clock
    zone = r.community.timezone
    steps = []
    if r.likely_incident:
        steps.append(
            gettext(
                "Your answers meet our incident definition (two or more users cannot log in, "
                "start their servers, run code or use Dask Gateway), so we treat this as a likely "
                "incident: it comes before all our other work."
            )
        )
    if r.triage_due_at:
        steps.append(
            gettext(
                "We read it, decide whether it is an incident and categorise it within "
                "%(span)s: by %(due)s."
            )
            % {
                "span": _working_time_words(policies.target(clock.TRIAGE)),
                "due": format_instant(r.triage_due_at, zone),
            }
        )
    if r.first_response_due_at:
        steps.append(
            gettext("We reply with what we have found so far within %(span)s: by %(due)s.")
            % {
                "span": _working_time_words(policies.target(clock.FIRST_RESPONSE)),
                "due": format_instant(r.first_response_due_at, zone),
            }
        )
    steps.append(
        gettext(
            "If it cannot be fixed quickly, we open an engineering issue, tell you that it has "
            "entered our work planning, and keep you posted on the request page."
        )
    )
    steps.append(
        gettext(
            "When it is resolved we send you a resolution message. Please confirm it, or reply "
            "if something is still not right (a reply reopens the request). Without a reply we "
            "close it after %(span)s."
        )
        % {"span": _working_time_words(policies.target(clock.AUTO_CLOSE))}
    )
    clock_zone = clock_timezone(r.community) or calendar_pair(kinds=(False,))[False].timezone
    steps.append(
        gettext(
            "Working time runs from %(week)s, the same for every community; weekends and the "
            "team's holidays do not count."
        )
        % {"week": _working_week_words(clock_zone, zone)}
    )
    return steps
