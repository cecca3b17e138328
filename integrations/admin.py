from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from integrations import webhooks
from integrations.models import (
    Event,
    GitHubDelivery,
    GitHubIssue,
    GitHubIssueLink,
    IssueRepository,
    SlackUser,
    StatusSubscription,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.subscriptions import subscription_counts


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "events", "hubs", "is_active")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Register a URL and its events; the secret is generated and shown here for the receiver.
    Endpoints that anyone registered from the status page carry the subscriber's address."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "consecutive_failures", "disabled_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    autocomplete_fields = ("hubs",)
    readonly_fields = (
        "secret",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "subscriber_email",
        "created_at",
    )
    actions = ["enable"]

    @admin.action(description="Enable again (reset the failure count)")
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_enable(endpoint=endpoint)
        messages.success(request, f"{queryset.count()} endpoint(s) enabled.")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("attempted_at", "status_code", "succeeded", "error", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: one row per event and endpoint, its attempts inline."""

    list_display = ("created_at", "event", "endpoint", "status", "attempt_count", "last_error")
    list_filter = ("event", "notification__status", "endpoint")
    search_fields = ("event_id", "delivery_id", "endpoint__name")
    list_select_related = ("endpoint", "notification")
    readonly_fields = (
        "endpoint",
        "notification",
        "event",
        "event_id",
        "delivery_id",
        "created_at",
        "status",
        "body",
    )
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="status", ordering="notification__status")
    def status(self, obj):
        return obj.notification.get_status_display()

    @admin.display(description="attempts")
    def attempt_count(self, obj):
        return obj.notification.attempts

    @admin.display(description="last error")
    def last_error(self, obj):
        return obj.notification.last_error[:80]

    @admin.display(description="body sent")
    def body(self, obj):
        return obj.notification.body

    @admin.action(description="Deliver the failed ones again")
    def redeliver(self, request, queryset):
        count = sum(webhooks.webhook_delivery_redeliver(delivery=d) for d in queryset)
        messages.success(request, f"{count} delivery(ies) queued again.")


@admin.register(IssueRepository)
class IssueRepositoryAdmin(admin.ModelAdmin):
    """A community's own repository for engineering issues (else GITHUB_REPOSITORY)."""

    list_display = ("community", "repository")
    autocomplete_fields = ("community",)


class GitHubIssueLinkInline(admin.TabularInline):
    model = GitHubIssueLink
    extra = 0
    raw_id_fields = ("request", "incident", "action_item")


@admin.register(GitHubIssue)
class GitHubIssueAdmin(admin.ModelAdmin):
    """Issues and pull requests the desk follows; GitHub's webhook keeps their state."""

    list_display = ("__str__", "title", "state", "is_pull_request", "state_changed_at")
    list_filter = ("state", "is_pull_request")
    search_fields = ("repository", "title", "html_url")
    inlines = [GitHubIssueLinkInline]


@admin.register(GitHubDelivery)
class GitHubDeliveryAdmin(admin.ModelAdmin):
    list_display = ("received_at", "event", "action", "delivery_id", "outcome")
    list_filter = ("event",)
    search_fields = ("delivery_id",)
    readonly_fields = ("delivery_id", "event", "action", "received_at", "outcome")


@admin.register(SlackUser)
class SlackUserAdmin(admin.ModelAdmin):
    """Slack users matched to desk users (by e-mail, on first use); correct a match here."""

    list_display = ("slack_user_id", "user")
    search_fields = ("slack_user_id", "user__username", "user__email")
    raw_id_fields = ("user",)


@admin.register(StatusSubscription)
class StatusSubscriptionAdmin(admin.ModelAdmin):
    """Counts, never addresses: the changelist is a page of numbers; nothing can be opened,
    added or edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        context = {
            **self.admin_site.each_context(request),
            "title": "Status-page subscribers",
            "counts": subscription_counts(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/integrations/subscription_counts.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise PermissionDenied
