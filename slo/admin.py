from django.contrib import admin

from slo.models import CalendarSettings, ClosedDate, SLOPolicy


@admin.register(ClosedDate)
class ClosedDateAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(SLOPolicy)
class SLOPolicyAdmin(admin.ModelAdmin):
    list_display = ("clock", "target_minutes", "nudge_at_percent", "description")

    def has_add_permission(self, request):
        return SLOPolicy.objects.count() < len(SLOPolicy.Clock)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarSettings)
class CalendarSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reference_timezone", "pause_during_reduced_capacity")

    def has_add_permission(self, request):
        return not CalendarSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
