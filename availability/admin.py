from django.contrib import admin

from availability.models import (
    Alert,
    AlertIntegration,
    AvailabilityLog,
    AvailabilitySettings,
    HubEvent,
    MaintenanceWindow,
)


@admin.register(AvailabilitySettings)
class AvailabilitySettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "failure_threshold",
        "failure_window_minutes",
        "heavy_use_start_hour",
        "heavy_use_end_hour",
        "status_cache_seconds",
    )

    # The one row is created on first use (here at the latest), so adding is never needed, and
    # the sidebar of every admin page does not pay a query to find that out.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        AvailabilitySettings.load()
        return super().changelist_view(request, extra_context)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    """Read and correct here; schedule and cancel on the maintenance page, which e-mails the
    communities and refreshes the status page."""

    list_display = ("title", "starts_at", "ends_at", "cancelled_at", "announced_at")
    list_filter = (("cancelled_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "description")
    autocomplete_fields = ("hubs",)
    date_hierarchy = "starts_at"
    readonly_fields = (
        "created_by",
        "cancelled_by",
        "announced_at",
        "start_announced_at",
        "end_announced_at",
        "warnings",
        "version",
    )


@admin.register(AlertIntegration)
class AlertIntegrationAdmin(admin.ModelAdmin):
    """Created with `manage.py create_alert_integration NAME`, which prints the token once."""

    list_display = ("name", "hub_label", "is_active", "created_at")
    readonly_fields = ("token_hash",)

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("received_at", "name", "status", "hub", "incident", "fingerprint")
    list_filter = ("status", "suppressed_by_maintenance")
    search_fields = ("name", "fingerprint")
    list_select_related = ("hub", "incident", "integration")
    raw_id_fields = ("hub", "incident")


@admin.register(HubEvent)
class HubEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "hub", "kind", "user", "incident")
    list_filter = ("kind",)
    list_select_related = ("hub", "incident")
    raw_id_fields = ("hub", "incident")


@admin.register(AvailabilityLog)
class AvailabilityLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "actor", "hub", "window", "incident", "detail")
    list_filter = ("kind",)
    list_select_related = ("actor", "hub", "window", "incident")
    search_fields = ("detail",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
