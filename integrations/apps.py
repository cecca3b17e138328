from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # Outgoing webhooks (and Slack posts) are notifications with a transport of their own:
        # claimed once by key, retried with back-off by the notification machinery.
        from integrations import events, slack, subscriptions, webhooks
        from notifications.services import register_sender
        from supportdesk.events import domain_event

        register_sender(kind=webhooks.NOTIFICATION_KIND, send=webhooks.webhook_send)
        register_sender(kind=slack.NOTIFICATION_KIND, send=slack.slack_send)
        register_sender(kind=subscriptions.NOTIFICATION_KIND, send=subscriptions.status_notice_send)
        # The domain apps below announce what happened (supportdesk/events.py); every event is
        # fanned out here, inside the transaction that made it happen.
        domain_event.connect(events.receive, dispatch_uid="integrations.events")
