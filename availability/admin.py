from django.contrib import admin

from availability.models import Alert, AlertIntegration, HubEvent, MaintenanceWindow


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "ends_at", "cancelled_at", "announced_at")
    list_filter = (("cancelled_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "description")
    autocomplete_fields = ("hubs",)
    date_hierarchy = "starts_at"


@admin.register(AlertIntegration)
class AlertIntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "hub_label", "is_active", "created_at")
    readonly_fields = ("token_hash",)


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
