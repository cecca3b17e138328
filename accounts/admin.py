from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_project_manager",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "is_project_manager")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Roles", {"fields": ("is_project_manager",)}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    autocomplete_fields = ("user",)

    def has_add_permission(self, request):
        # Tokens are created by their owner, who is shown the secret once (API / profile page).
        return False
