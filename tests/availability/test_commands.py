"""`manage.py create_alert_integration NAME` prints a token that then authenticates alerts."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from availability.models import AlertIntegration

pytestmark = pytest.mark.django_db


def test_command_prints_a_working_token_once_and_stores_only_its_hash():
    out, err = io.StringIO(), io.StringIO()

    call_command(
        "create_alert_integration",
        "prometheus",
        "--hub-label",
        "cluster_hub",
        stdout=out,
        stderr=err,
    )

    token = out.getvalue().strip()
    integration = AlertIntegration.objects.get(name="prometheus")
    assert integration.hub_label == "cluster_hub"
    assert integration.token_hash == AlertIntegration.hash_token(token)
    assert token not in integration.token_hash
    assert "cannot be shown again" in err.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(
        "/api/v1/alerts/alertmanager/",
        {"version": "4", "status": "firing", "alerts": []},
        format="json",
    )
    assert response.status_code == 200


def test_command_refuses_a_duplicate_name():
    call_command(
        "create_alert_integration", "prometheus", stdout=io.StringIO(), stderr=io.StringIO()
    )

    with pytest.raises(CommandError, match="exists already"):
        call_command(
            "create_alert_integration", "prometheus", stdout=io.StringIO(), stderr=io.StringIO()
        )
