from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Support requests"

    def ready(self) -> None:
        # anymail's inbound signal feeds provider webhooks to tickets.inbound.receive_email.
        from tickets import mailhooks  # noqa: PLC0415 - ready(): this module imports models, loaded only after the app registry

        mailhooks.connect()

        from tickets import pagecache  # noqa: PLC0415 - ready(): as above

        pagecache.connect()
