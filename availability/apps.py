from django.apps import AppConfig

from incidents.signals import incident_changed


class AvailabilityConfig(AppConfig):
    name = "availability"
    verbose_name = "Status, alerts and maintenance"

    def ready(self) -> None:
        from availability.services import hub_status  # noqa: PLC0415 - ready(): this module imports models, loaded only after the app registry

        # Hub statuses and the status page are derived from incidents (incidents/signals.py).
        incident_changed.connect(
            hub_status.incident_changed_received, dispatch_uid="availability.incident_changed"
        )
