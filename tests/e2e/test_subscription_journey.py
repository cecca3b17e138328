"""A member of the public subscribes to the status of one hub in Chromium, confirms from the
mail, receives the outage notice, and unsubscribes from its link."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from incidents.models import Incident
from incidents.services import lifecycle
from tests.notifications.helpers import eager_delivery  # noqa: F401

pytestmark = pytest.mark.browser


def link_in(message, name: str) -> str:
    return re.search(rf"http\S+/{name}/", message.body).group(0)


def test_subscribe_confirm_get_the_outage_notice_and_unsubscribe(
    page,
    shot,
    live_server,
    settings,
    hub,
    other_hub,
    steward,
    eager_delivery,  # noqa: F811
):
    settings.SITE_URL = live_server.url
    page.goto("/status/")
    page.get_by_role("link", name="Subscribe by e-mail or webhook").click()
    page.get_by_label("Your e-mail address").fill("fan@example.org")
    page.get_by_label("Alpha Hub").check()
    shot(page, "subscribe-form")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    (confirmation,) = mail.outbox
    assert confirmation.to == ["fan@example.org"] and "Alpha Hub" in confirmation.body
    page.goto(link_in(confirmation, "confirm"))
    shot(page, "confirm")
    page.get_by_role("button", name="Confirm subscription").click()
    page.get_by_role("heading", name="You are subscribed").wait_for()

    lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Users cannot start servers",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=25,
        detected_by=Incident.Detection.ALERT,
    )
    lifecycle.incident_declare(
        by=steward,
        hubs=[other_hub],
        title="Beta is down",
        symptom=Incident.Symptom.LOGIN,
        affected_users=3,
        detected_by=Incident.Detection.ALERT,
    )
    notices = [m for m in mail.outbox if m.to == ["fan@example.org"]][1:]
    assert [m.subject for m in notices] == ["Incident: Users cannot start servers"]
    unsubscribe = link_in(notices[0], "unsubscribe")
    assert notices[0].extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"

    page.goto(unsubscribe)
    shot(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    shot(page, "unsubscribed")
    lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Kernels die",
        symptom=Incident.Symptom.RUN_CODE,
        affected_users=4,
        detected_by=Incident.Detection.ALERT,
    )
    assert [m.subject for m in mail.outbox if m.to == ["fan@example.org"]][1:] == [
        "Incident: Users cannot start servers"
    ]
