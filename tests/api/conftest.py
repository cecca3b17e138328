"""Fixtures for the API tests: a client per role, and requests and incidents built through the
real services. Time is frozen on a plain working week (Friday 13 March 2026, 20:00 UTC), when
Ann and Ben are the stewards on duty."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from communities.models import Membership
from incidents.models import Incident
from incidents.services import lifecycle, reports
from tests.factories import MembershipFactory, UserFactory
from tickets import services as ticket_services

NOW = datetime.datetime(2026, 3, 13, 20, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_static_scan(settings):
    """WhiteNoise scans every static file each time a test client loads the middleware (0.3 s
    per client); API responses never come from static files."""
    settings.WHITENOISE_USE_FINDERS = False


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hub_admin(community):
    user = UserFactory(username="hubadmin_a", first_name="Hal", last_name="Admin")
    MembershipFactory(user=user, community=community, role=Membership.Role.HUB_ADMIN)
    return user


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated as `user` (None: anonymous)."""

    def _client(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _client


@pytest.fixture
def people(steward, engineer, project_manager, admin_user, rep, other_rep, hub_admin, outsider):
    """Every role by name, for permission matrices."""
    return {
        "steward": steward,
        "engineer": engineer,
        "project_manager": project_manager,
        "admin": admin_user,
        "rep": rep,
        "other_rep": other_rep,
        "hub_admin": hub_admin,
        "outsider": outsider,
        "anonymous": None,
    }


@pytest.fixture
def submit(rep, hub, rotation, clock):
    def _submit(**kwargs):
        values = {
            "requester": rep,
            "hub": hub,
            "subject": "Kernel dies on import",
            "description": "Importing *xarray* kills the kernel.",
        }
        values.update(kwargs)
        return ticket_services.request_submit(**values)

    return _submit


@pytest.fixture
def new_request(submit):
    return submit()


@pytest.fixture
def triaged(new_request, steward):
    return ticket_services.request_triage(
        request=new_request, by=steward, category="change", expected_version=new_request.version
    )


@pytest.fixture
def answered(triaged, steward):
    ticket_services.request_reply(request=triaged, by=steward, body="Looking into it.")
    triaged.refresh_from_db()
    return triaged


@pytest.fixture
def resolved(answered, steward):
    return ticket_services.request_resolve(
        request=answered, by=steward, body="Fixed.", expected_version=answered.version
    )


@pytest.fixture
def other_request(other_rep, other_hub, rotation, clock):
    return ticket_services.request_submit(
        requester=other_rep, hub=other_hub, subject="Beta's request", description="Help."
    )


@pytest.fixture
def declare(declare, clock):
    """The project's `declare` (tests/conftest.py), with the API tests' clock frozen first."""
    return declare


@pytest.fixture
def incident(declare):
    return declare()


@pytest.fixture
def acknowledged(incident, steward):
    return lifecycle.incident_acknowledge(incident=incident, by=steward)


@pytest.fixture
def resolved_incident(acknowledged, steward, clock):
    clock.shift(datetime.timedelta(minutes=30))
    return lifecycle.incident_resolve(
        incident=acknowledged,
        by=steward,
        impact_ended_at=timezone.now(),
        verification_note="Started a test server.",
    )


@pytest.fixture
def other_incident(other_hub, steward, clock):
    return lifecycle.incident_declare(
        by=steward,
        hubs=[other_hub],
        title="Beta is down",
        symptom=Incident.Symptom.LOGIN,
        affected_users=3,
        detected_by=Incident.Detection.ALERT,
    )


@pytest.fixture
def reported_incident(resolved_incident, steward):
    """A resolved incident with a draft report."""
    reports.report_create(incident=resolved_incident, by=steward)
    return resolved_incident
