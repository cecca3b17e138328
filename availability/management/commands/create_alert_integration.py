"""python manage.py create_alert_integration NAME [--hub-label hub]: prints the token once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from availability.services.alerts import alert_integration_create
from supportdesk.errors import DomainError


class Command(BaseCommand):
    help = "Create a monitoring integration and print its bearer token (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name to tell integrations apart, e.g. prometheus.")
        parser.add_argument(
            "--hub-label",
            default="hub",
            help="The alert label whose value is the hub's slug (default: hub).",
        )

    def handle(self, *args, name: str, hub_label: str, **options):
        try:
            integration, token = alert_integration_create(name=name, hub_label=hub_label)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Created integration “{integration.name}” (hub label “{integration.hub_label}”). "
            "Store this token now; it cannot be shown again:"
        )
        self.stdout.write(token)
