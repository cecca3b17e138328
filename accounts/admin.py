from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.models import ApiToken, Invitation, User
from supportdesk.errors import DomainError


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


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Pending invitations per community (filter), with re-send and revoke through the same
    services as the pages. New invitations are sent from the Invite page, which e-mails them."""

    list_display = ("email", "role", "community", "invited_by", "sent_at", "expires_at", "state")
    list_filter = ("role", "community", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "community__name")
    list_select_related = ("community", "invited_by")
    readonly_fields = [f.name for f in Invitation._meta.fields]
    actions = ["resend", "revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="State")
    def state(self, obj):
        return Invitation.State(obj.state).label

    @admin.action(description="Re-send (new link, valid 7 more days)")
    def resend(self, request, queryset):
        self._each(request, queryset, services.invitation_resend, "re-sent")

    @admin.action(description="Revoke")
    def revoke(self, request, queryset):
        self._each(request, queryset, services.invitation_revoke, "revoked")

    def _each(self, request, queryset, action, done: str):
        count = 0
        for invitation in queryset:
            try:
                action(invitation=invitation, by=request.user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{invitation.email}: {exc.message}", messages.ERROR)
        if count:
            self.message_user(request, f"{count} invitation(s) {done}.", messages.SUCCESS)
