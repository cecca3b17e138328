"""Rotation hand-over: the digest the working day before the team changes, and the on-duty post.

With the `rotation` fixture the shift of Monday 2 March 2026 is Ann and Ben; on Monday 16 March
Ann leaves and Cat joins (Ben and Cat serve)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from desk.handover import handover_notify_due
from notifications.models import Notification
from rotation.models import RotationOverride
from slo.models import ClosedDate
from tests.notifications.helpers import march
from tickets.services import request_submit

pytestmark = pytest.mark.usefixtures("eager_delivery")


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run_at(when):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return handover_notify_due()

    return run_at


class FakeAnswer:
    status = 200

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def handover_keys() -> list[str]:
    return sorted(
        Notification.objects.filter(key__startswith="rotation:").values_list("key", flat=True)
    )


def test_joining_and_leaving_stewards_get_the_digest_the_friday_before_a_monday_change(
    rotation, run
):
    ann, _, cat, _ = (e.user for e in rotation)
    assert run(march(12, 10)) == {"digests": 0, "on_duty": 0}

    assert run(march(13, 10)) == {"digests": 2, "on_duty": 0}
    assert handover_keys() == sorted(
        f"rotation:handover:2026-03-16:user:{u.pk}" for u in (ann, cat)
    )
    digests = {m.to[0]: m for m in mail.outbox}
    assert set(digests) == {ann.email, cat.email}
    assert "You join support duty on Monday 16 March" in digests[cat.email].body
    assert "You leave support duty on Monday 16 March" in digests[ann.email].body
    assert "Cat Eng joining, Ann Eng leaving" in digests[cat.email].subject

    assert run(march(13, 16)) == {"digests": 0, "on_duty": 0}  # hourly runs: once
    assert run(march(14, 10)) == {"digests": 0, "on_duty": 0}  # Saturday
    assert len(mail.outbox) == 2


def test_at_the_change_the_team_hears_who_is_now_on_duty_once(rotation, settings, monkeypatch, run):
    settings.SLACK_WEBHOOK_URL = "https://chat.example.org/hooks/abc"
    chat = []
    monkeypatch.setattr(
        "notifications.services.urllib.request.urlopen",
        lambda req, timeout: chat.append(req.data) or FakeAnswer(),
    )
    run(march(13, 10))
    mail.outbox.clear()

    assert run(march(16, 0, 5)) == {"digests": 0, "on_duty": 5}  # 4 e-mails and one chat post
    assert run(march(16, 1, 5)) == {"digests": 0, "on_duty": 0}
    posts = Notification.objects.filter(kind="on_duty")
    assert posts.filter(channel=Notification.Channel.WEBHOOK).count() == 1
    assert sorted(posts.exclude(recipient=None).values_list("recipient__username", flat=True)) == [
        "ann",
        "ben",
        "cat",
        "dan",
    ]
    assert posts.first().subject == "Now on support duty: Ben Eng and Cat Eng"
    assert len(chat) == 1 and b"Ben Eng and Cat Eng" in chat[0]


def test_a_closed_friday_moves_the_digest_to_thursday(rotation, run):
    ClosedDate.objects.create(date=datetime.date(2026, 3, 13), name="Team day off")
    assert run(march(12, 10))["digests"] == 2
    assert run(march(13, 10))["digests"] == 0


def test_a_change_made_on_the_day_by_an_override_gets_its_digest_on_the_day(rotation, run):
    _, ben, cat, _ = rotation
    RotationOverride.objects.create(
        kind="away",
        engineer=ben,
        starts_on=datetime.date(2026, 3, 11),
        ends_on=datetime.date(2026, 3, 11),
        reason="sick",
    )
    counts = run(march(11, 8))
    # Today Cat covers for Ben (a late change: its digest today), and tomorrow Ben is back (the
    # working day before that change is today).
    assert counts == {"digests": 4, "on_duty": 4}
    for day in ("2026-03-11", "2026-03-12"):
        for engineer in (ben, cat):
            assert f"rotation:handover:{day}:user:{engineer.user.pk}" in handover_keys()


def test_the_digest_lists_what_falls_due_on_the_first_day_and_what_is_overdue(
    rep, hub, rotation, run
):
    def submit(when, subject):
        with time_machine.travel(when, tick=False):
            return request_submit(
                requester=rep, hub=hub, subject=subject, description="Details.", at=when
            )

    late = submit(march(12, 9), "Overdue one")  # triage was due Thursday 17:00
    monday = submit(march(13, 20), "Due Monday")  # triage due Monday 04:00
    mail.outbox.clear()
    run(march(13, 21))

    body = next(m.body for m in mail.outbox if "hand-over" in m.subject.lower())
    first_day, overdue = body.split("== Overdue now ==")
    overdue = overdue.split("== Open incidents")[0]
    assert f"{monday.reference} Triage due Mon 04:00" in first_day
    assert late.reference not in first_day
    assert f"{late.reference} Triage overdue by" in overdue
    assert "== Open requests (2) ==" in body
