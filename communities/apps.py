from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "Communities, hubs and budgets"

    def ready(self) -> None:
        # Cached budget statuses are dropped when what they are computed from changes.
        from communities import services  # noqa: PLC0415 - ready(): services import models, loaded only after the app registry

        services.connect_signals()
