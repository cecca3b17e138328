"""Realistic, idempotent demo data: `python manage.py seed_demo` (run by `make run`).

Running it again changes nothing: people, communities and hubs are looked up by natural keys,
and the request/incident history is created only when no demo request exists yet. The history
is built through the same services the web pages call, so it obeys every rule."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Invitation, User
from communities.models import Community, Hub, Membership, SupportBudget
from desk.demo_history import seed_history
from rotation.models import Engineer, RotationSettings
from slo.models import ClosedDate

DEMO_PASSWORD = "demo"  # noqa: S105 - printed on purpose: local demo logins only
DEMO_INVITEE = "new-rep@example.org"

Hubs = list[tuple[str, str, str, bool]]
# slug, name, kind, time zone, hubs (slug, name, cluster, has Dask Gateway)
COMMUNITIES: list[tuple[str, str, str, str, Hubs]] = [
    ("openscapes", "Openscapes", "research", "America/Los_Angeles",
     [("openscapes", "Openscapes Hub", "aws-us-west-2", True)]),
    ("pangeo", "Pangeo", "research", "UTC",
     [("pangeo-staging", "Pangeo staging", "gcp-us-central1", True),
      ("pangeo", "Pangeo Hub", "gcp-us-central1", True)]),
    ("ucmerced", "UC Merced", "education", "America/Los_Angeles",
     [("ucmerced", "UC Merced Hub", "2i2c-shared", False)]),
    ("cloudbank", "CloudBank", "education", "America/New_York",
     [("cloudbank-data8", "Data 8", "cloudbank", False)]),
    ("leap", "LEAP", "research", "America/New_York", [("leap", "LEAP Hub", "leap", True)]),
    ("nasa-veda", "NASA VEDA", "dedicated", "UTC", [("veda", "VEDA Hub", "nasa-veda", True)]),
    ("catalyst-africa", "Catalyst Africa", "research", "Africa/Nairobi",
     [("catalyst-ke", "Catalyst Kenya", "catalyst-africa", False)]),
    ("unam", "UNAM", "education", "America/Mexico_City",
     [("unam", "UNAM Hub", "2i2c-shared", False)]),
    ("smithsonian", "Smithsonian", "research", "America/New_York",
     [("smithsonian", "Smithsonian Hub", "smithsonian", False)]),
    ("climatematch", "ClimateMatch", "education", "Europe/London",
     [("climatematch", "ClimateMatch Academy", "2i2c-uk", False)]),
    ("earthscope", "EarthScope", "research", "America/Denver",
     [("earthscope", "EarthScope Hub", "earthscope", True)]),
    ("bhki", "BHKI", "research", "Europe/Berlin", [("bhki", "BHKI Hub", "2i2c-eu", False)]),
]  # fmt: skip

ENGINEERS = [
    # username, first, last, country
    ("amara", "Amara", "Okafor", "NG"),
    ("bruno", "Bruno", "Silva", "BR"),
    ("chen", "Chen", "Wei", "US"),
    ("dara", "Dara", "Murphy", "IE"),
    ("emil", "Emil", "Novak", "DE"),
]


class Command(BaseCommand):
    help = "Create idempotent demo data (communities, hubs, people, rotation, requests, incidents)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins-only", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args, logins_only: bool = False, **options):
        if not logins_only:
            with transaction.atomic():
                self.seed_world()
            self.seed_history()
            self.seed_invitation()
        self.print_logins()

    # ------------------------------------------------------------------------------------------
    def user(self, username, first, last, **flags) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                **flags,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def seed_world(self) -> None:
        self.user("admin", "Ada", "Admin", is_staff=True, is_superuser=True)
        self.user("pm", "Priya", "Manager", is_staff=True, is_project_manager=True)
        for username, first, last, country in ENGINEERS:
            user = self.user(username, first, last, is_staff=True)
            Engineer.objects.get_or_create(
                user=user, defaults={"country": country, "joined_on": datetime.date(2024, 1, 8)}
            )
        config = RotationSettings.load()
        if config.start_date != datetime.date(2026, 1, 5):
            config.start_date = datetime.date(2026, 1, 5)
            config.save()

        this_month = timezone.now().date().replace(day=1)
        previous = (this_month - datetime.timedelta(days=1)).replace(day=1)
        for slug, name, kind, tz, hubs in COMMUNITIES:
            community, _ = Community.objects.get_or_create(
                slug=slug, defaults={"name": name, "kind": kind, "timezone": tz}
            )
            for hub_slug, hub_name, cluster, dask in hubs:
                Hub.objects.get_or_create(
                    slug=hub_slug,
                    defaults={
                        "community": community,
                        "name": hub_name,
                        "url": f"https://{hub_slug}.hubs.example.org",
                        "cluster": cluster,
                        "has_dask_gateway": dask,
                    },
                )
            rep = self.user(f"rep-{slug}", "Rep", name)
            Membership.objects.get_or_create(
                user=rep, community=community, defaults={"role": Membership.Role.REPRESENTATIVE}
            )
            for month in (previous, this_month):
                SupportBudget.objects.get_or_create(
                    community=community,
                    month=month,
                    defaults={"hours": Decimal("4") if kind == "research" else Decimal("2.5")},
                )
        year = timezone.now().year
        for month, day, name in [(12, 24, "Team holiday"), (12, 31, "New Year's Eve")]:
            ClosedDate.objects.get_or_create(
                date=datetime.date(year, month, day), defaults={"name": name}
            )

    def seed_history(self) -> None:
        created = seed_history(stdout=self.stdout)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo history created: {created}"))

    def seed_invitation(self) -> None:
        """A pending invitation for a new Pangeo representative, so the invitation page can be
        tried at once: created once, re-sent (fresh 7 days) when it has expired."""

        invitation = Invitation.objects.filter(email=DEMO_INVITEE).order_by("-pk").first()
        admin = User.objects.get(username="admin")
        if invitation is None:
            account_services.invitation_create(
                by=admin,
                email=DEMO_INVITEE,
                role=Invitation.Role.REPRESENTATIVE,
                community=Community.objects.get(slug="pangeo"),
            )
        elif invitation.state == Invitation.State.EXPIRED:
            account_services.invitation_resend(invitation=invitation, by=admin)

    def print_invitation(self) -> None:
        invitation = Invitation.objects.filter(email=DEMO_INVITEE).order_by("-pk").first()
        if invitation is not None and invitation.is_pending:
            self.stdout.write(
                f"\nDemo invitation ({DEMO_INVITEE}, representative of Pangeo), valid until "
                f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC:\n"
                f"  {settings.SITE_URL}{account_services.invitation_path(invitation)}\n"
            )

    def print_logins(self) -> None:
        self.stdout.write(
            "\nDemo logins (password for all: "
            f"{DEMO_PASSWORD}):\n"
            "  admin          Django admin, budgets, rotation, calendar\n"
            "  amara, bruno, chen, dara, emil   engineers (support stewards on rotation)\n"
            "  pm             project manager\n"
            "  rep-pangeo     representative of Pangeo (and rep-<slug> for every community)\n"
        )
        self.print_invitation()
