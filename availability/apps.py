from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "availability"
    verbose_name = "Status, alerts and maintenance"

    def ready(self) -> None:
        from availability.services import hub_status
        from incidents.signals import incident_changed

        # Hub statuses and the status page are derived from incidents (incidents/signals.py).
        incident_changed.connect(
            hub_status.incident_changed_received, dispatch_uid="availability.incident_changed"
        )
