"""A community update needs every part of it (issue 19): an empty "Next steps", or a
placeholder left in braces, refuses the send and says which."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import TimelineEntry
from incidents.services import lifecycle, updates
from notifications.models import Notification
from supportdesk.errors import DomainError

pytestmark = pytest.mark.django_db

FILLED = (
    "Hi {representative_name},\n\n**Current state:** investigating\n\n"
    "**What we have tried:** restarted the proxy\n\n**Next steps:** {next}\n\nThanks."
)


def test_an_update_with_an_empty_next_steps_is_refused(acknowledged, steward):
    body = FILLED.replace("{next}", "")
    with pytest.raises(DomainError) as refused:
        updates.incident_send_update(incident=acknowledged, by=steward, body=body)
    assert "'Next steps'" in refused.value.message
    assert not TimelineEntry.objects.filter(incident=acknowledged, kind="update").exists()
    assert not Notification.objects.filter(kind="incident_update").exists()


def test_an_update_with_an_unfilled_placeholder_is_refused_but_the_name_is_fine(
    acknowledged, steward
):
    with pytest.raises(DomainError, match=r"\{context\}"):
        updates.incident_send_update(
            incident=acknowledged, by=steward, body=FILLED.replace("{next}", "{context}")
        )
    entry = updates.incident_send_update(
        incident=acknowledged, by=steward, body=FILLED.replace("{next}", "watch the nodes")
    )
    assert entry.body.startswith("Hi everyone,")


def test_the_prefilled_update_is_refused_until_its_parts_are_written(acknowledged, steward, client):
    client.force_login(steward)
    page = client.get(reverse("incidents:detail", args=[acknowledged.pk]))
    prefilled = page.context["update_form"]["body"].value()
    url = reverse("incidents:send_update", args=[acknowledged.pk])
    response = client.post(url, {"update-body": prefilled})
    assert response.status_code == 400
    error = response.context["update_form"].errors["body"][0]
    assert "'What we have tried'" in error and "'Next steps'" in error
    assert "An update on the incident" in response.text  # what was typed is kept
    written = prefilled.replace("**What we have tried:** ", "**What we have tried:** restarts")
    written = written.replace("**Next steps:** ", "**Next steps:** watch")
    assert client.post(url, {"update-body": written}).status_code == 302


def test_a_resolution_message_with_an_unfilled_placeholder_is_refused(acknowledged, steward):
    from django.utils import timezone

    with pytest.raises(DomainError, match=r"\{context\}"):
        lifecycle.incident_resolve(
            incident=acknowledged,
            by=steward,
            impact_ended_at=timezone.now(),
            verification_note="Started a server.",
            message="Hi {representative_name}, fixed: {context}",
        )
    acknowledged.refresh_from_db()
    assert acknowledged.state == "acknowledged"
