from django.contrib import admin

from rotation.models import Engineer, RotationOverride, RotationSettings


@admin.register(Engineer)
class EngineerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "country", "is_active", "joined_on")
    list_filter = ("is_active", "country")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


@admin.register(RotationOverride)
class RotationOverrideAdmin(admin.ModelAdmin):
    list_display = ("kind", "engineer", "other", "starts_on", "ends_on", "reason")
    list_filter = ("kind",)
    search_fields = ("engineer__user__username", "reason")
    list_select_related = ("engineer__user", "other__user")
    autocomplete_fields = ("engineer", "other")
    date_hierarchy = "starts_on"


@admin.register(RotationSettings)
class RotationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "start_date", "team_size", "tenure_weeks", "shift_weeks")

    def has_add_permission(self, request):
        return not RotationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
