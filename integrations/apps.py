from django.apps import AppConfig

from supportdesk.events import domain_event


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # Outgoing webhooks (and Slack posts) are notifications with a transport of their own:
        # claimed once by key, retried with back-off by the notification machinery.
        from integrations import events, slack, subscriptions, webhooks  # noqa: PLC0415 - ready(): this module imports models, loaded only after the app registry
        from notifications.services import register_sender  # noqa: PLC0415 - ready(): this module imports models, loaded only after the app registry

        register_sender(kind=webhooks.NOTIFICATION_KIND, send=webhooks.webhook_send)
        register_sender(kind=slack.NOTIFICATION_KIND, send=slack.slack_send)
        register_sender(kind=subscriptions.NOTIFICATION_KIND, send=subscriptions.status_notice_send)
        # The domain apps below announce what happened (supportdesk/events.py); every event is
        # fanned out here, inside the transaction that made it happen.
        domain_event.connect(events.receive, dispatch_uid="integrations.events")
