"""The account page: name, time zone used to show times, and notification preferences per kind
and channel, which `notifications` honours (never for incident pages to on-duty stewards)."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from notifications import preferences
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db

URL = "/accounts/profile/"


def prefs_post(**overrides):
    data = {"first_name": "Ada", "last_name": "Rep", "timezone": "Europe/Berlin"}
    for kind, _ in preferences.KINDS:
        for channel, _ in preferences.CHANNELS:
            data[f"pref__{kind}__{channel}"] = "on"
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["rep", "steward", "admin_user", "outsider"])
def test_everyone_edits_only_their_own_account(client, request, who, rep):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(URL).status_code == 200
    response = client.post(URL, prefs_post(first_name="Changed"))
    assert response.status_code == 302
    user.refresh_from_db()
    rep.refresh_from_db()
    assert user.first_name == "Changed"
    if who != "rep":
        assert rep.first_name == "Ada"


def test_saving_stores_name_zone_and_preferences(client, rep):
    client.force_login(rep)
    client.post(URL, prefs_post(**{"pref__nudges__email": None, "pref__digests__slack": None}))
    rep.refresh_from_db()
    assert rep.timezone == "Europe/Berlin"
    assert rep.notification_preferences["nudges"] == ["slack", "in_app"]
    assert preferences.channels_for(rep, "slo_75") == {"slack", "in_app"}
    assert preferences.channels_for(rep, "handover") == {"email", "in_app"}
    page = client.get(URL).content.decode()
    assert 'name="pref__nudges__email"' in page


def test_a_bad_time_zone_is_refused_with_a_reason(client, rep):
    client.force_login(rep)
    response = client.post(URL, prefs_post(timezone="Mars/Olympus"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_times_are_shown_in_the_persons_zone(client, rep):
    from accounts import services

    token, _ = services.api_token_create(user=rep, name="cli")
    client.force_login(rep)
    with time_machine.travel(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)):
        rep.timezone = "Asia/Tokyo"
        rep.save()
        token.created_at = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)
        token.save()
        page = client.get("/accounts/tokens/").content.decode()
    assert "10 Mar 2026 21:00" in page


# --- honoured by notifications -------------------------------------------------------------


def send(user, kind="request_reply", key="k1"):
    notify(key=key, kind=kind, subject="s", body="b", user=user)
    return Notification.objects.get(key=key)


def test_by_default_everything_is_sent(rep):
    n = send(rep)
    assert (n.channel, n.status) == ("email", "pending")


def test_e_mail_turned_off_leaves_the_message_in_the_app(rep):
    rep.notification_preferences = {"request_updates": ["in_app"]}
    n = send(rep)
    assert (n.channel, n.status) == ("in_app", "sent")


def test_every_channel_off_records_the_message_as_not_sent(rep):
    rep.notification_preferences = {"request_updates": []}
    n = send(rep)
    assert n.status == "skipped" and n.read_at is not None
    # Idempotent all the same: a second call with the key claims nothing.
    assert notify(key="k1", kind="request_reply", subject="s", body="b", user=rep) is None


def test_other_kinds_are_unaffected(rep):
    rep.notification_preferences = {"request_updates": []}
    assert send(rep, kind="slo_75", key="k2").channel == "email"
    assert send(rep, kind="invitation", key="k3").channel == "email"


def test_a_preference_never_suppresses_an_incident_page(steward):
    steward.notification_preferences = {"incident_pages": []}
    n = send(steward, kind="incident_page", key="page")
    assert (n.channel, n.status) == ("email", "pending")
    assert preferences.channels_for(steward, "incident_pages", on_duty=True) >= {
        "email",
        "in_app",
    }
    assert preferences.channels_for(steward, "incident_pages") == frozenset()


def test_channels_for_maps_every_sent_kind():
    for kind in ["request_reply", "request_closed", "incident_update", "incident_report"]:
        assert preferences.preference_kind(kind) == "request_updates"
    for kind in ["slo_50", "followup_report", "budget_alert", "maintenance_scheduled"]:
        assert preferences.preference_kind(kind) == "nudges"
    for kind in ["incident_page", "incident_escalated"]:
        assert preferences.preference_kind(kind) == "incident_pages"
    for kind in ["handover", "on_duty"]:
        assert preferences.preference_kind(kind) == "digests"
    assert preferences.preference_kind("invitation") is None


def test_paging_channels_follow_preferences_without_ever_dropping_the_page(steward):
    from notifications.channels import paging_channels_for_user

    steward.notification_preferences = {"incident_pages": []}
    assert paging_channels_for_user(user=steward) == ["email", "in_app"]
    assert paging_channels_for_user(user=steward, email=False, in_app=False) == ["in_app"]
    steward.notification_preferences = {"incident_pages": ["email"]}
    assert paging_channels_for_user(user=steward, email=False) == ["email", "in_app"]
