"""Support requests (DOMAIN.md "Lifecycle of a non-incident request").

State changes happen only in tickets/services.py. Deadlines are stored as indexed timestamps so
that "what is due" is a range scan, never a computation over every open request."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportdesk.choices import ChoiceLabels
from supportdesk.markdown import StoredMarkdown

if TYPE_CHECKING:
    from tickets.selectors import WaitingOn


class SupportRequest(ChoiceLabels, StoredMarkdown, models.Model):
    class Category(models.TextChoices):
        UNTRIAGED = "", _("Not yet triaged")
        INCIDENT = "incident", _("Incident")
        CHANGE = "change", _("Change request")
        GUIDANCE = "guidance", _("Guidance request")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        TRIAGED = "triaged", _("Triaged")
        PLANNED = "planned", _("In work planning")
        # Spanish: "Resuelta", "Cerrada" (la solicitud); an incident is "Resuelto", "Cerrado".
        RESOLVED = "resolved", pgettext_lazy("support request", "Resolved")
        CLOSED = "closed", pgettext_lazy("support request", "Closed")

    OPEN_STATUSES = (Status.NEW, Status.TRIAGED, Status.PLANNED)

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        EMAIL = "email", _("E-mail")
        API = "api", _("API")

    # community, assignee, received_at: no index of their own (db_index=False); the composite
    # indexes in Meta lead with them (request_comm_received_idx, request_assignee_load_idx,
    # request_received_order_idx) and serve the same lookups, and every request update that
    # is not HOT writes an entry into each index of the table (migration 0018). incident,
    # follow_up_of and duplicate_of are empty on almost every request: their indexes are partial
    # (NOT NULL, in Meta), so a request without them writes nothing there (migration 0021).
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.PROTECT,
        related_name="requests",
        db_index=False,
    )
    hub = models.ForeignKey(
        "communities.Hub", on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submitted_requests"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    subject = models.CharField(max_length=200)
    description = models.TextField(help_text="Markdown; rendered sanitised.")
    # The description rendered and sanitised when saved (supportdesk.markdown.StoredMarkdown).
    description_html = models.TextField(blank=True, default="", editable=False)

    # The classification questions of the request form (DOMAIN.md "Kinds of support request").
    cannot_log_in = models.BooleanField(default=False)
    cannot_start_servers = models.BooleanField(default=False)
    cannot_run_code = models.BooleanField(default=False)
    cannot_use_dask = models.BooleanField(default=False)
    affected_users = models.PositiveIntegerField(default=0)
    likely_incident = models.BooleanField(default=False)

    category = models.CharField(
        max_length=20, choices=Category.choices, default=Category.UNTRIAGED, blank=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        db_index=False,
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        db_index=False,
    )
    engineering_issue_url = models.URLField(blank=True)
    # A reply to a closed request opens a new one linked to it (DOMAIN.md step 8).
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        db_index=False,
    )

    # Closed as a duplicate of another request of the same community (the work goes on there).
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        db_index=False,
    )

    # Priority factors (DOMAIN.md "Priority order"); budget factors are derived from usage.
    has_dedicated_funding = models.BooleanField(default=False)
    impacts_many_communities = models.BooleanField(default=False)
    aligns_with_team_goals = models.BooleanField(default=False)
    aligns_with_upstream_goals = models.BooleanField(default=False)
    high_single_community_impact = models.BooleanField(default=False)
    # No index of its own: the orders by rank read request_pin_rank_order_idx and
    # request_planning_order_idx, and nothing filters on the rank alone (migration 0021).
    priority_rank = models.PositiveSmallIntegerField(
        default=7, help_text="1 is highest (DOMAIN.md order); incidents are 0."
    )

    # Event timestamps.
    received_at = models.DateTimeField()
    triaged_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_requester_reply_at = models.DateTimeField(null=True, blank=True)
    last_staff_reply_at = models.DateTimeField(null=True, blank=True)
    # The earliest representative message the team has not answered yet (after the first
    # response): it starts the response clock, so writing again never pushes it later.
    unanswered_since = models.DateTimeField(null=True, blank=True)

    # Deadlines, computed by slo/services.py from the working-time calendar.
    triage_due_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    timebox_due_at = models.DateTimeField(null=True, blank=True)
    auto_close_due_at = models.DateTimeField(null=True, blank=True)
    # The public answer the representative is waiting for: set at receipt (the first response)
    # and again whenever the representative replies; cleared by a public reply from the team.
    # Kept apart from first_response_due_at, which records the first-response objective itself.
    response_due_at = models.DateTimeField(null=True, blank=True)
    # When the time-box ran out and the steward was nudged (desk/timebox.py): once.
    timebox_expired_at = models.DateTimeField(null=True, blank=True)
    # Whether missing the deadline would be excused: it falls in, or its clock runs through, a
    # reduced-capacity period (DOMAIN.md). Stored, so reports count excused misses apart.
    triage_excused = models.BooleanField(default=False)
    first_response_excused = models.BooleanField(default=False)
    response_excused = models.BooleanField(default=False)
    # The nearest pending deadline of the ones above: the queue's sort key.
    next_due_at = models.DateTimeField(null=True, blank=True)

    # The queue pins incidents and likely incidents (not yet triaged as something else) above
    # everything while they are open: 0 pinned, 1 the rest. Computed by the database from the
    # columns it reads, so no service can forget it, and indexed with the deadline order.
    queue_pin = models.GeneratedField(
        expression=Case(
            When(
                Q(status__in=["new", "triaged", "planned"])
                & (Q(category="incident") | Q(category="", likely_incident=True)),
                then=Value(0),
            ),
            default=Value(1),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    # Optimistic locking: every write bumps it; a stale form is refused instead of lost.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Not stored: set on the rows of a list by tickets.selectors (annotate_deadlines,
    # annotate_waiting) for the templates.
    due_label: str
    due_text: str
    due_state: str
    waiting: WaitingOn

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The queue's "overdue" and "due soon" filters and the planning view's count.
            models.Index(fields=["status", "next_due_at"], name="request_queue_idx"),
            # The queue's order (selectors.queue_order: incidents pinned first, then next_due_at
            # ascending with no deadline last, which is an ascending index's own order, then
            # received_at, id): the first page is read in index order, whatever the filters and
            # however many rows there are. One index per order the steward can choose.
            # SQLite's indexes keep NULLs first: there the order is spelled differently
            # (tickets.ordering) and served by expression indexes of migration 0019, and these
            # three (pin_due, pin_rank, planning) are dropped there by migration 0021: a migration
            # that removes them must say DROP INDEX IF EXISTS on SQLite.
            models.Index(
                fields=["queue_pin", "next_due_at", "received_at", "id"],
                name="request_pin_due_order_idx",
            ),
            models.Index(
                fields=["queue_pin", "priority_rank", "next_due_at", "received_at", "id"],
                name="request_pin_rank_order_idx",
            ),
            models.Index(fields=["received_at", "id"], name="request_received_order_idx"),
            models.Index(fields=["updated_at", "id"], name="request_updated_order_idx"),
            # The planning view (selectors.planning_requests): work planning by rank.
            models.Index(
                fields=["priority_rank", "next_due_at", "received_at", "id"],
                condition=Q(status="planned"),
                name="request_planning_order_idx",
            ),
            # A community's requests newest first (the representative's list: 25 rows read in
            # index order at any size; ordered by status first it read every request of the
            # community, and at 1,000,000 requests the planner walked request_received_order_idx
            # instead, 7,000 buffers), and with status in the key the community's open counts
            # and the queue's community filter stay index conditions (migration 0022). The queue
            # filtered by community reads request_comm_due_open_idx on PostgreSQL (migration
            # 0023: open requests per community in the queue's order; not declared here).
            models.Index(
                fields=["community", "-received_at", "-id", "status"],
                name="request_comm_received_idx",
            ),
            # The open requests per steward (rotation.services.assignee_for_new_request counts
            # them on every submission): with the id in the index the count never reads the
            # table; on PostgreSQL a narrower index made the planner scan the whole table.
            models.Index(fields=["assignee", "status", "id"], name="request_assignee_load_idx"),
            # Partial indexes: a sweep reads only the rows whose clock is still running.
            models.Index(
                fields=["timebox_due_at"],
                condition=Q(status="triaged", timebox_expired_at__isnull=True),
                name="request_timebox_due_idx",
            ),
            models.Index(
                fields=["triage_due_at"],
                condition=Q(triaged_at__isnull=True, status="new"),
                name="request_triage_due_idx",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(
                    first_responded_at__isnull=True, status__in=["new", "triaged", "planned"]
                ),
                name="request_response_due_idx",
            ),
            models.Index(
                fields=["response_due_at"],
                condition=Q(status__in=["new", "triaged", "planned"]),
                name="request_reply_due_idx",
            ),
            # SQLite also has request_reply_due_order_idx (response_due_at, id), the same rows in
            # the sweep's order: its planner cannot prove the partial index above from
            # `status IN (?, ?, ?)` with bound parameters. PostgreSQL proves it and never read
            # that index, so since migration 0021 it exists on SQLite only (not declared here).
            models.Index(
                fields=["auto_close_due_at"],
                condition=Q(status="resolved"),
                name="request_autoclose_due_idx",
            ),
            # The links almost no request has: a row without them writes nothing here.
            models.Index(
                fields=["incident"],
                condition=Q(incident__isnull=False),
                name="request_incident_idx",
            ),
            models.Index(
                fields=["follow_up_of"],
                condition=Q(follow_up_of__isnull=False),
                name="request_follow_up_of_idx",
            ),
            models.Index(
                fields=["duplicate_of"],
                condition=Q(duplicate_of__isnull=False),
                name="request_duplicate_of_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=["", "incident", "change", "guidance"]),
                name="request_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["new", "triaged", "planned", "resolved", "closed"]),
                name="request_status_valid",
            ),
            # Past "new" a request has been triaged into exactly one category.
            models.CheckConstraint(
                condition=Q(status="new") | (~Q(category="") & Q(triaged_at__isnull=False)),
                name="request_triaged_has_category",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                name="request_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="request_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(priority_rank__gte=0, priority_rank__lte=8),
                name="request_priority_rank_range",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="request_version_positive"),
            models.CheckConstraint(
                condition=Q(triaged_at__isnull=True) | Q(triaged_at__gte=F("received_at")),
                name="request_triaged_after_received",
            ),
        ]

    MARKDOWN_FIELDS = {"description": "description_html"}
    # Set by selectors.request_get_for on the instance it has just loaded for this web request:
    # its related rows are current enough for services._lock to reuse (not a field).
    _relations_fresh = False

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def description_rendered(self):
        return self.rendered("description")

    @property
    def reference(self) -> str:
        return f"SD-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def draws_on_budget(self) -> bool:
        return self.category != self.Category.INCIDENT


class Message(ChoiceLabels, StoredMarkdown, models.Model):
    """One entry of a request's conversation: a public reply or an internal note."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    # No index of its own: the Meta index leads with it (migration 0021).
    request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    body = models.TextField(help_text="Markdown; rendered sanitised.")
    # The body rendered and sanitised when saved (supportdesk.markdown.StoredMarkdown).
    body_html = models.TextField(blank=True, default="", editable=False)
    link_url = models.URLField(blank=True, help_text="An attached link (logs, screenshots).")
    canned_response = models.ForeignKey(
        "CannedResponse",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # a partial index in Meta: most messages are written, not canned
    )
    is_from_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    # Not stored: the message's attachments, set by tickets.selectors.conversation_page_for.
    files: list[Attachment]

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["request", "visibility", "created_at"]),
            models.Index(
                fields=["canned_response"],
                condition=Q(canned_response__isnull=False),
                name="message_canned_response_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "internal"]), name="message_visibility_valid"
            ),
            # Representatives cannot write internal notes.
            models.CheckConstraint(
                condition=Q(visibility="public") | Q(is_from_staff=True),
                name="message_internal_only_staff",
            ),
        ]

    MARKDOWN_FIELDS = {"body": "body_html"}

    def __str__(self) -> str:
        return f"{self.get_visibility_display()} on {self.request.reference}"

    @property
    def body_rendered(self):
        return self.rendered("body")


class CannedResponse(models.Model):
    """Editable templates (DOMAIN.md "Canned responses"). Placeholders like {representative_name},
    {reference}, {subject}, {hub}, {community}, {steward_name}, {link} are filled when a steward
    picks one; the text stays editable before sending."""

    class Purpose(models.TextChoices):
        INCIDENT_ACK = "incident_ack", _("Incident acknowledgement")
        INCIDENT_UPDATE = "incident_update", _("Incident update")
        NOT_AN_OUTAGE = "not_an_outage", _("Not an outage: entered work planning")
        RESOLUTION = "resolution", _("Resolution confirmation")
        CLOSING = "closing", _("Closing notice")
        INCIDENT_RESOLVED = "incident_resolved", _("Incident resolved")
        OTHER = "other", _("Other")

    slug = models.SlugField(max_length=64, unique=True)
    purpose = models.CharField(max_length=30, choices=Purpose.choices, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["purpose", "title"]

    def __str__(self) -> str:
        return self.title


class TimeEntry(models.Model):
    """Time worked. Counts against the community's budget unless the work was an incident."""

    request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="time_entries"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    community = models.ForeignKey(
        "communities.Community", on_delete=models.PROTECT, related_name="time_entries"
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    minutes = models.PositiveIntegerField()
    note = models.CharField(max_length=300, blank=True)
    worked_at = models.DateTimeField()
    # First day of the month of worked_at in the community's time zone: the budget it draws on.
    budget_month = models.DateField()
    counts_against_budget = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-worked_at"]
        verbose_name_plural = "time entries"
        indexes = [
            models.Index(
                fields=["community", "budget_month"],
                condition=Q(counts_against_budget=True),
                name="timeentry_budget_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0, minutes__lte=24 * 60), name="timeentry_minutes_range"
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=False) | Q(incident__isnull=False),
                name="timeentry_has_subject",
            ),
            # Incident work never draws on the support budget (DOMAIN.md).
            models.CheckConstraint(
                condition=Q(incident__isnull=True) | Q(counts_against_budget=False),
                name="timeentry_incident_never_budget",
            ),
            models.CheckConstraint(
                condition=Q(budget_month__day=1), name="timeentry_budget_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min by {self.engineer}"

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


class RequestEvent(ChoiceLabels, models.Model):
    """The audit trail: who did what to a request, and when. Shown as the request's history."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        TRIAGED = "triaged", _("Triaged")
        ASSIGNED = "assigned", _("Assigned")
        REPLIED = "replied", _("Public reply")
        NOTE = "note", _("Internal note")
        REQUESTER_REPLIED = "requester_replied", _("Representative replied")
        TIME_LOGGED = "time_logged", _("Time logged")
        ISSUE_LINKED = "issue_linked", _("Engineering issue linked")
        PRIORITY = "priority", _("Priority changed")
        RESOLVED = "resolved", _("Resolved")
        CONFIRMED = "confirmed", _("Confirmed by representative")
        CLOSED = "closed", _("Closed")
        AUTO_CLOSED = "auto_closed", _("Closed automatically")
        REOPENED = "reopened", _("Reopened")
        INCIDENT_DECLARED = "incident_declared", _("Incident declared")
        ATTACHED = "attached", _("Files attached")

    # No index of its own: the Meta index leads with it (migration 0021).
    request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    detail = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request_id}"


class InboundEmail(models.Model):
    """One e-mail that reached the support address, however it came (IMAP, a mail server's pipe,
    a provider webhook). Unique by Message-ID: storing it and acting on it happen in one
    transaction, so a message delivered twice, or a worker killed before it acknowledged the
    mailbox, never makes two requests or two replies. The raw bytes are kept for the staff."""

    class Status(models.TextChoices):
        NEW_REQUEST = "new_request", _("Opened a request")
        REPLY = "reply", _("Added to a request")
        UNMATCHED = "unmatched", _("Unmatched sender")
        HELD = "held", _("Held: sender over the rate limit")
        IGNORED = "ignored", _("Ignored (auto-reply, bounce, list, our own)")
        QUARANTINED = "quarantined", _("Quarantined: could not be handled")

    # Stewards act on these; the others are done.
    NEEDS_STEWARD = (Status.UNMATCHED, Status.HELD, Status.QUARANTINED)

    message_id = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=40, help_text="imap, pipe, webhook:<provider>, …")
    from_address = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    in_reply_to = models.TextField(blank=True)
    references = models.TextField(blank=True)
    raw = models.BinaryField(help_text="The message exactly as received.")
    text = models.TextField(blank=True, help_text="The whole text part (or the HTML as text).")
    body = models.TextField(blank=True, help_text="The new text: quotes and signature stripped.")
    status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.CharField(max_length=500, blank=True)
    request = models.ForeignKey(
        SupportRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_emails",
    )
    posted_message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_email"
    )
    received_at = models.DateTimeField(db_index=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            # The per-sender rate limit counts one sender's last hour.
            models.Index(fields=["from_address", "received_at"], name="inbound_sender_idx"),
            # The stewards' "Incoming mail" list: only what waits for them.
            models.Index(
                fields=["status", "received_at"],
                condition=Q(status__in=["unmatched", "held", "quarantined"]),
                name="inbound_needs_steward_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "new_request",
                        "reply",
                        "unmatched",
                        "held",
                        "ignored",
                        "quarantined",
                    ]
                ),
                name="inbound_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["new_request", "reply"]) | Q(request__isnull=False),
                name="inbound_handled_has_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"

    @property
    def needs_steward(self) -> bool:
        return self.status in self.NEEDS_STEWARD


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under a random name: the original name is data, never a path on disk."""
    return f"attachments/{instance.request_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file that came with a request or one of its messages, by any channel (web form, reply,
    API, e-mail). Kept in Django's default storage; served only by the permission-checked
    download view, as a download, never inline."""

    request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    # Empty: it came with the request itself (the form, the API, the first e-mail).
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255, help_text="The name it was sent with.")
    content_type = models.CharField(max_length=100, help_text="Sniffed from the bytes.")
    size = models.PositiveBigIntegerField()
    # Inline images of an e-mail are kept as attachments too.
    inline = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "message"], name="attachment_owner_idx")]

    def __str__(self) -> str:
        return self.filename


class SavedView(models.Model):
    """A steward's named view of the queue: its querystring (filters and order), which is also
    how it is shared (tickets/saved_views.py)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
