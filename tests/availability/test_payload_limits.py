"""The monitoring webhooks parse JSON with the same limits as the API (supportdesk.limits)."""

from __future__ import annotations

from availability.models import Alert


def test_an_alertmanager_payload_nested_3000_deep_is_a_400(alert_client, hub):
    body = '{"version": "4", "alerts": ' + "[" * 3_000 + "]" * 3_000 + "}"
    response = alert_client.post(
        "/api/v1/alerts/alertmanager/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not Alert.objects.exists()
