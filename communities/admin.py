from django.contrib import admin

from communities.models import BudgetSettings, Community, Hub, Membership, SupportBudget


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


class HubInline(admin.TabularInline):
    model = Hub
    extra = 0
    fields = ("name", "slug", "url", "cluster", "status", "is_active")
    readonly_fields = ("status",)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "timezone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [HubInline, MembershipInline]


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "community",
        "cluster",
        "status",
        "status_override",
        "is_active",
    )
    list_filter = ("status", "cluster", "is_active")
    search_fields = ("name", "slug", "community__name", "url")
    list_select_related = ("community",)
    autocomplete_fields = ("community",)
    readonly_fields = ("status",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email", "community__name")
    list_select_related = ("user", "community")
    autocomplete_fields = ("user", "community")


@admin.register(SupportBudget)
class SupportBudgetAdmin(admin.ModelAdmin):
    list_display = ("community", "month", "hours")
    list_filter = ("month",)
    search_fields = ("community__name",)
    list_select_related = ("community",)
    autocomplete_fields = ("community",)
    date_hierarchy = "month"


@admin.register(BudgetSettings)
class BudgetSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "hours_per_engineer_month",
        "support_share_percent",
        "communities_per_engineer",
    )

    def has_add_permission(self, request):
        return not BudgetSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
