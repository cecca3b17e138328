from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The top layer: work that reads or drives several apps at once (the SLO sweeps, reminders,
    the hand-over digest, the duty bar, /metrics, the demo seed). Nothing imports it but the
    project's URLs and settings; see docs/architecture.md."""

    name = "desk"
    verbose_name = "desk"
