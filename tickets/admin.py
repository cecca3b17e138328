from django.contrib import admin
from django.utils.html import format_html

from tickets.models import (
    Attachment,
    CannedResponse,
    InboundEmail,
    Message,
    RequestEvent,
    SavedView,
    SupportRequest,
    TimeEntry,
)


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("visibility", "author", "body", "link_url", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    fields = ("created_at", "kind", "actor", "detail")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "subject",
        "community",
        "hub",
        "category",
        "status",
        "assignee",
        "priority_rank",
        "next_due_at",
        "received_at",
    )
    list_filter = ("status", "category", "channel", "likely_incident")
    search_fields = ("=id", "subject", "community__name", "requester__username")
    list_select_related = ("community", "hub", "assignee")
    autocomplete_fields = ("community", "hub", "requester", "assignee", "incident")
    date_hierarchy = "received_at"
    readonly_fields = (
        "received_at",
        "triaged_at",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "triage_due_at",
        "first_response_due_at",
        "timebox_due_at",
        "auto_close_due_at",
        "next_due_at",
        "priority_rank",
        "version",
    )
    inlines = [MessageInline, RequestEventInline]

    @admin.display(ordering="id", description="Ref")
    def reference(self, obj):
        return obj.reference


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("request", "visibility", "author", "created_at")
    list_filter = ("visibility",)
    search_fields = ("body", "request__subject")
    list_select_related = ("request", "author")
    raw_id_fields = ("request", "author")


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "purpose", "slug", "is_active", "updated_at")
    list_filter = ("purpose", "is_active")
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = (
        "worked_at",
        "engineer",
        "community",
        "request",
        "incident",
        "minutes",
        "counts_against_budget",
    )
    list_filter = ("counts_against_budget", "budget_month")
    search_fields = ("note", "community__name", "engineer__username")
    list_select_related = ("engineer", "community", "request", "incident")
    raw_id_fields = ("request", "incident", "engineer", "community")
    date_hierarchy = "worked_at"


@admin.register(RequestEvent)
class RequestEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "request", "kind", "actor", "detail")
    list_filter = ("kind",)
    search_fields = ("detail",)
    list_select_related = ("request", "actor")
    raw_id_fields = ("request", "actor")


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    """Every e-mail that reached the support address, with what became of it and why.
    Quarantined ones show the reason; the original is shown as text."""

    list_display = ("received_at", "status", "from_address", "subject", "reason", "request")
    list_filter = ("status", "source")
    search_fields = ("=message_id", "from_address", "subject")
    date_hierarchy = "received_at"
    list_select_related = ("request",)
    exclude = ("raw",)
    readonly_fields = (
        "message_id",
        "source",
        "from_address",
        "from_name",
        "subject",
        "in_reply_to",
        "references",
        "status",
        "reason",
        "request",
        "posted_message",
        "received_at",
        "handled_at",
        "handled_by",
        "body",
        "text",
        "original",
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        # The list never needs the raw bytes (up to tens of MB each).
        return (
            qs.defer("raw", "text")
            if request.resolver_match.url_name.endswith("_changelist")
            else qs
        )

    @admin.display(description="Original message")
    def original(self, obj):
        text = bytes(obj.raw)[:200_000].decode("utf-8", errors="replace")
        return format_html("<pre>{}</pre>", text)

    def has_add_permission(self, request):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Files of requests. Downloads go through the request's permission-checked link."""

    list_display = ("created_at", "filename", "content_type", "size", "request", "uploaded_by")
    list_select_related = ("request", "uploaded_by")
    search_fields = ("filename", "=request__id")
    readonly_fields = (
        "request",
        "message",
        "file",
        "filename",
        "content_type",
        "size",
        "inline",
        "uploaded_by",
        "created_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Stewards' saved views of the queue (a name and a querystring each)."""

    list_display = ("name", "owner", "query", "created_at")
    list_select_related = ("owner",)
    search_fields = ("name", "owner__username")
