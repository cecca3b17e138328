from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "recipient",
        "recipient_email",
        "status",
        "attempts",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("key", "subject", "recipient_email", "recipient__username")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "request", "incident")
    readonly_fields = ("key", "created_at", "sent_at", "attempts", "last_error", "next_attempt_at")
