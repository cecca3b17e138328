"""The admin pages of the availability app load, and integrations are not added there (the
token would never be shown)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

MODELS = [
    "availabilitysettings",
    "maintenancewindow",
    "alertintegration",
    "alert",
    "hubevent",
    "availabilitylog",
]


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelist_loads(client, admin_user, model):
    client.force_login(admin_user)

    response = client.get(reverse(f"admin:availability_{model}_changelist"))

    assert response.status_code == 200


def test_integrations_are_not_added_in_the_admin(client, admin_user):
    client.force_login(admin_user)

    assert client.get(reverse("admin:availability_alertintegration_add")).status_code == 403
