from django.contrib import admin

from incidents.models import (
    ActionItem,
    EscalationPolicy,
    EscalationStep,
    Incident,
    IncidentReport,
    RoleAssignment,
    TimelineEntry,
)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role", "user", "started_at", "ended_at", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TimelineEntryInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ("occurred_at", "kind", "body", "is_public", "author")
    readonly_fields = ("author",)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "state",
        "symptom",
        "detected_by",
        "declared_at",
        "resolved_at",
        "next_update_due_at",
    )
    list_filter = ("state", "symptom", "detected_by", "severity")
    search_fields = ("=id", "title", "summary")
    list_select_related = ("declared_by",)
    autocomplete_fields = ("hubs",)
    date_hierarchy = "declared_at"
    inlines = [RoleAssignmentInline, TimelineEntryInline]

    @admin.display(ordering="id", description="Ref")
    def reference(self, obj):
        return obj.reference


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("incident", "role", "user", "started_at", "ended_at")
    list_filter = ("role",)
    list_select_related = ("incident", "user")
    raw_id_fields = ("incident", "user", "assigned_by")


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "incident", "kind", "is_public", "author")
    list_filter = ("kind", "is_public")
    search_fields = ("body",)
    list_select_related = ("incident", "author")
    raw_id_fields = ("incident", "author")


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ("description", "follow_up_url", "owner", "done", "done_at")
    raw_id_fields = ("owner",)


@admin.register(IncidentReport)
class IncidentReportAdmin(admin.ModelAdmin):
    list_display = ("incident", "owner", "review_state", "reviewed_at", "published_at")
    list_filter = ("review_state",)
    search_fields = ("summary", "analysis", "incident__title")
    list_select_related = ("incident", "owner")
    raw_id_fields = ("incident", "owner", "reviewed_by")
    inlines = [ActionItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("description", "report", "owner", "done", "created_at")
    list_filter = ("done",)
    search_fields = ("description", "follow_up_url")
    list_select_related = ("report__incident", "owner")
    raw_id_fields = ("report", "owner")


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    fields = ("after_minutes", "target", "by_email", "in_app", "by_chat")


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    """Who is paged about an unacknowledged incident, when, and how (DOMAIN.md)."""

    list_display = ("__str__", "severity", "escalate_out_of_hours")
    inlines = [EscalationStepInline]


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    """The steps are edited inline on their policy; this list shows them all at once."""

    list_display = ("policy", "after_minutes", "target", "by_email", "in_app", "by_chat")
    list_filter = ("policy",)
