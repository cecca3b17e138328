"""factory_boy factories for every model. Tests that exercise behaviour should build state
through services; factories are for the world around it (people, communities, hubs)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from communities.models import Community, Hub, Membership, SupportBudget
from incidents.models import Incident
from rotation.models import Engineer
from tickets.models import SupportRequest


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw")


class StaffFactory(UserFactory):
    is_staff = True


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    timezone = "UTC"


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hub

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Hub {n}")
    slug = factory.Sequence(lambda n: f"hub-{n}")
    url = factory.LazyAttribute(lambda h: f"https://{h.slug}.example.org")
    cluster = "gcp-us-central1"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    role = Membership.Role.REPRESENTATIVE


def representative(community: Community, **kwargs) -> User:
    user = UserFactory(**kwargs)
    MembershipFactory(user=user, community=community)
    return user


class EngineerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engineer

    user = factory.SubFactory(StaffFactory)
    country = "US"
    joined_on = datetime.date(2025, 1, 1)


class SupportBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportBudget

    community = factory.SubFactory(CommunityFactory)
    month = factory.LazyFunction(lambda: timezone.now().date().replace(day=1))
    hours = Decimal("10")


class SupportRequestFactory(factory.django.DjangoModelFactory):
    """A bare row in state "new". Prefer tickets.services.request_submit in behaviour tests."""

    class Meta:
        model = SupportRequest

    community = factory.SubFactory(CommunityFactory)
    hub = factory.SubFactory(HubFactory, community=factory.SelfAttribute("..community"))
    requester = factory.LazyAttribute(lambda r: representative(r.community))
    subject = factory.Sequence(lambda n: f"Request {n}")
    description = "Something is not right."
    received_at = factory.LazyFunction(timezone.now)


class IncidentFactory(factory.django.DjangoModelFactory):
    """A bare row. Prefer incidents.services in behaviour tests."""

    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Incident {n}")
    symptom = Incident.Symptom.START_SERVERS
    affected_users = 5
    detected_by = Incident.Detection.COMMUNITY
    declared_at = factory.LazyFunction(timezone.now)
    impact_started_at = factory.LazyFunction(timezone.now)
