from django.apps import AppConfig


class SupportdeskConfig(AppConfig):
    name = "supportdesk"
    verbose_name = "supportdesk"

    def ready(self) -> None:
        from supportdesk import refdata

        # Cache invalidation only (derived data, never business rules): see supportdesk.refdata.
        refdata.connect()
