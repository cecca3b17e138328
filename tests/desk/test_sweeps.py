"""The SLO sweep: who is nudged about which deadline, when, and only once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from desk import sweeps
from desk.sweeps import slo_sweep
from incidents.services.lifecycle import incident_declare
from notifications.models import Notification
from notifications.services import notifications_deliver_pending
from slo.services import refresh_request_deadlines
from tests.factories import SupportRequestFactory
from tests.notifications import helpers
from tests.notifications.helpers import march, nudge_keys, nudges
from tickets.models import SupportRequest
from tickets.services import request_reply, request_submit

pytestmark = pytest.mark.usefixtures("eager_delivery")
eager_delivery = helpers.eager_delivery
flaky_mail = helpers.flaky_mail


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the sweep at `when`, as beat would, and deliver what it claims."""

    def sweep_at(when, **kwargs):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return slo_sweep(**kwargs)

    return sweep_at


def submit(rep, hub, when, subject="Kernels die on start"):
    with time_machine.travel(when, tick=False):
        return request_submit(
            requester=rep, hub=hub, subject=subject, description="Since this morning.", at=when
        )


def unassigned_request(community, hub, rep, when) -> SupportRequest:
    r = SupportRequestFactory(
        community=community, hub=hub, requester=rep, received_at=when, assignee=None
    )
    refresh_request_deadlines(r)
    r.save()
    return r


def key_users(keys) -> set[str]:
    return {key.rsplit(":", 1)[1] for key in keys}


def thresholds(keys) -> list[str]:
    return sorted("near" if ":near:" in key else "breach" for key in keys)


# --- thresholds and recipients -----------------------------------------------------------------


def test_triage_nudges_the_assignee_at_75_percent_of_its_working_time_once(rep, hub, rotation, run):
    r = submit(rep, hub, march(9, 9))  # Monday; triage due 17:00, 75% used at 15:00
    assert r.triage_due_at == march(9, 17)
    mail.outbox.clear()

    run(march(9, 14, 59))
    assert nudge_keys() == []

    result = run(march(9, 15))
    assert nudge_keys() == [
        f"slo:triage:request:{r.pk}:2026-03-09T17:00:00+00:00:near:user:{r.assignee_id}"
    ]
    assert result.counts["triage:near"] == 1
    assert [m.to for m in mail.outbox] == [[r.assignee.email]]
    assert "Triage due soon" in mail.outbox[0].subject
    assert r.reference in mail.outbox[0].subject

    run(march(9, 16, 30))
    assert len(nudge_keys()) == 1
    assert len(mail.outbox) == 1


def test_triage_breach_nudges_the_assignee_and_tells_the_project_manager(
    rep, hub, rotation, project_manager, run
):
    r = submit(rep, hub, march(9, 9))
    run(march(9, 15))
    mail.outbox.clear()

    run(march(9, 17))

    breach = nudge_keys(key__contains=":triage:", key__endswith=f":user:{project_manager.pk}")
    assert len(breach) == 1 and ":breach:" in breach[0]
    assert key_users(nudge_keys(key__contains=":breach:")) == {
        str(r.assignee_id),
        str(project_manager.pk),
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted([r.assignee.email, project_manager.email])
    assert all("Triage overdue" in m.subject for m in mail.outbox)


def test_a_triage_deadline_over_the_weekend_nudges_on_monday_not_saturday(rep, hub, rotation, run):
    # Friday 20:00 + 8 working hours: 4 h on Friday, 4 h on Monday.
    r = submit(rep, hub, march(6, 20))
    assert r.triage_due_at == march(9, 4)

    for when in (march(7, 0), march(7, 12), march(8, 23, 59), march(9, 1, 59)):
        run(when)
        assert nudge_keys(key__contains=":triage:") == [], when

    run(march(9, 2))  # 6 of the 8 working hours used
    assert thresholds(nudge_keys(key__contains=":triage:")) == ["near"]

    run(march(9, 4))
    assert thresholds(nudge_keys(key__contains=":triage:")) == ["breach", "near"]


def test_first_response_due_monday_is_nudged_on_friday_evening_when_75_percent_is_used(
    rep, hub, rotation, run
):
    # Friday 04:00 + 24 working hours is Monday 04:00; 75% (18 h) is Friday 22:00: 54 wall-clock
    # hours before the deadline, outside any "due within the target" window.
    r = submit(rep, hub, march(6, 4))
    assert r.response_due_at == r.first_response_due_at == march(9, 4)

    run(march(6, 21, 59))
    assert nudge_keys(key__contains=":first_response:") == []

    run(march(6, 22))
    assert nudge_keys(key__contains=":first_response:") == [
        f"slo:first_response:request:{r.pk}:2026-03-09T04:00:00+00:00:near:user:{r.assignee_id}"
    ]


def test_a_deadline_first_seen_after_it_passed_sends_the_breach_only(rep, hub, rotation, run):
    r = submit(rep, hub, march(9, 9))
    run(march(10, 12))  # the sweep was down all night
    triage = nudge_keys(key__contains=f":triage:request:{r.pk}:")
    assert triage and all(":breach:" in key for key in triage)


def test_an_unassigned_request_nudges_the_stewards_on_duty(community, hub, rep, rotation, run):
    r = unassigned_request(community, hub, rep, march(9, 9))
    run(march(9, 15))
    ann, ben = rotation[0].user, rotation[1].user  # on duty in the shift of 2 March
    assert key_users(nudge_keys(key__contains=f":request:{r.pk}:")) == {str(ann.pk), str(ben.pk)}


def test_a_new_wait_for_an_answer_is_a_new_deadline_with_new_nudges(rep, hub, rotation, run):
    r = submit(rep, hub, march(9, 9))
    steward = r.assignee
    with time_machine.travel(march(9, 10), tick=False):
        request_reply(
            support_request=r, by=steward, body="Looking into it.", expected_version=r.version
        )
    run(march(9, 12))
    assert nudge_keys(key__contains=":response:") == []  # answered: nobody is waiting

    with time_machine.travel(march(10, 9), tick=False):
        request_reply(
            support_request=SupportRequest.objects.get(pk=r.pk), by=rep, body="Still broken."
        )
    r.refresh_from_db()
    assert r.response_due_at == march(11, 9)
    run(march(11, 3))  # 18 of 24 working hours since the representative's reply
    assert nudge_keys(key__contains=":response:") == [
        f"slo:response:request:{r.pk}:2026-03-11T09:00:00+00:00:near:user:{steward.pk}"
    ]


def test_incident_update_due_nudges_the_liaison_and_commander_then_the_manager(
    hub, rotation, project_manager, run
):
    cat = rotation[2].user
    with time_machine.travel(march(9, 9), tick=False):
        incident = incident_declare(
            by=cat,
            hubs=[hub],
            title="Servers do not start",
            symptom="start_servers",
            affected_users=12,
            detected_by="community",
            at=march(9, 9),
        )
    assert incident.next_update_due_at == march(9, 12)

    run(march(9, 11, 14))
    assert nudge_keys(key__contains=":incident_update:") == []

    run(march(9, 11, 15))  # 75% of 3 working hours
    assert nudge_keys(key__contains=":incident_update:") == [
        f"slo:incident_update:incident:{incident.pk}:2026-03-09T12:00:00+00:00:near:user:{cat.pk}"
    ]
    assert Notification.objects.get(key__contains=":incident_update:").incident_id == incident.pk

    run(march(9, 12))
    breach = nudge_keys(key__contains=":incident_update:", key__regex=":breach:")
    assert key_users(breach) == {str(cat.pk), str(project_manager.pk)}


def test_an_incident_without_commander_nudges_the_stewards(hub, rotation, run):
    with time_machine.travel(march(9, 9), tick=False):
        incident = incident_declare(
            by=None,
            hubs=[hub],
            title="Alert: two server starts failed",
            symptom="start_servers",
            affected_users=2,
            detected_by="alert",
            at=march(9, 9),
        )
    run(march(9, 11, 15))
    ann, ben = rotation[0].user, rotation[1].user
    assert key_users(nudge_keys(key__contains=f":incident:{incident.pk}:")) == {
        str(ann.pk),
        str(ben.pk),
    }


def test_a_chat_webhook_gets_one_post_per_deadline_not_one_per_person(
    rep, hub, rotation, project_manager, settings, monkeypatch, run
):
    settings.SLACK_WEBHOOK_URL = "https://chat.example.org/hooks/abc"
    posts = []

    class Answer:
        status = 200

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(req, timeout):
        posts.append(req.data)
        return Answer()

    monkeypatch.setattr("notifications.services.urllib.request.urlopen", fake_urlopen)
    r = submit(rep, hub, march(9, 9))
    run(march(9, 17))  # triage breached: assignee and manager by e-mail, one chat post
    run(march(9, 17, 1))
    hooks = nudge_keys(key__contains=f":triage:request:{r.pk}:", key__endswith=":webhook")
    assert len(hooks) == 1
    assert len([p for p in posts if b"Triage overdue" in p]) == 1


# --- exactly once, failures, cost ---------------------------------------------------------------


def test_the_same_sweep_run_twice_sends_each_nudge_once(
    community, hub, rep, rotation, project_manager, run
):
    for hour in (1, 2, 3):
        submit(rep, hub, march(9, hour))
    unassigned_request(community, hub, rep, march(9, 4))
    mail.outbox.clear()

    first = run(march(9, 12))
    sent = len(mail.outbox)
    keys = nudge_keys()
    assert sent == len(keys) > 0
    assert sum(v for k, v in first.counts.items() if ":" in k) == len(keys)

    second = run(march(9, 12))
    assert nudge_keys() == keys
    assert len(mail.outbox) == sent
    assert not any(":" in k for k in second.counts)
    assert Counter((m.to[0], m.subject) for m in mail.outbox).most_common(1)[0][1] == 1


def test_a_failing_send_is_recorded_retried_with_backoff_and_does_not_block_others(
    rep, hub, rotation, project_manager, flaky_mail, run
):
    r = submit(rep, hub, march(9, 9))
    flaky_mail.add(r.assignee.email)

    run(march(9, 17))

    failed = nudges(recipient=r.assignee, key__contains=":breach:").get()
    assert failed.status == Notification.Status.PENDING
    assert failed.attempts == 1
    assert "SMTP refused" in failed.last_error
    assert failed.next_attempt_at == march(9, 17, 1)  # one minute, doubling per attempt
    manager = nudges(recipient=project_manager).get()
    assert manager.status == Notification.Status.SENT
    assert [m.to for m in mail.outbox if "overdue" in m.subject] == [[project_manager.email]]

    with time_machine.travel(march(9, 17, 1), tick=False):
        notifications_deliver_pending()  # still failing: the second attempt is recorded
    failed.refresh_from_db()
    assert failed.attempts == 2
    assert failed.next_attempt_at == march(9, 17, 3)

    flaky_mail.clear()
    with time_machine.travel(march(9, 17, 2), tick=False):
        notifications_deliver_pending()  # backing off: not tried
    failed.refresh_from_db()
    assert failed.attempts == 2
    with time_machine.travel(march(9, 17, 3), tick=False):
        notifications_deliver_pending()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Notification.Status.SENT, 3)
    assert "SMTP refused" in failed.last_error  # the history stays readable


def test_one_broken_row_is_logged_and_skipped_while_the_rest_are_nudged(
    rep, hub, rotation, monkeypatch, caplog, run
):
    broken = submit(rep, hub, march(9, 9), subject="Broken")
    fine = submit(rep, hub, march(9, 9, 1), subject="Fine")
    real = sweeps.nudge_instant

    def nudge_instant(*, started, due, percent, calendar):
        if SupportRequest.objects.filter(pk=broken.pk, received_at=started).exists():
            raise RuntimeError("calendar exploded")
        return real(started=started, due=due, percent=percent, calendar=calendar)

    monkeypatch.setattr(sweeps, "nudge_instant", nudge_instant)
    result = run(march(9, 15, 5))

    assert nudge_keys(key__contains=f":request:{fine.pk}:")
    assert not nudge_keys(key__contains=f":request:{broken.pk}:")
    assert result.counts["errors"] >= 1
    assert any(f":{broken.pk}:" in e and "calendar exploded" in e for e in result.errors)
    assert "calendar exploded" in caplog.text


def _not_due_requests(count: int, *, template: SupportRequest) -> None:
    fields = {
        f.attname: getattr(template, f.attname)
        for f in SupportRequest._meta.concrete_fields
        if not f.primary_key
    }
    SupportRequest.objects.bulk_create(
        [SupportRequest(**{**fields, "subject": f"Quiet {i}"}) for i in range(count)]
    )


def test_the_sweep_reads_what_is_due_not_every_open_request(rep, hub, rotation, run):
    run(march(9, 8))  # warm-up: settings rows created on first read
    quiet = submit(rep, hub, march(9, 12), subject="Not due for a while")
    _not_due_requests(9, template=quiet)

    submit(rep, hub, march(9, 6), subject="Due one")
    with CaptureQueriesContext(connection) as few:
        result_few = run(march(9, 12))

    _not_due_requests(190, template=quiet)
    submit(rep, hub, march(9, 7), subject="Due two")
    with CaptureQueriesContext(connection) as many:
        result_many = run(march(9, 13))

    assert SupportRequest.objects.filter(status="new").count() == 202
    assert result_few.counts["triage:near"] == result_many.counts["triage:near"] == 1
    assert len(many.captured_queries) == len(few.captured_queries)


# --- PostgreSQL: two sweeps at once -------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_running_at_once_send_each_nudge_once(
    postgres, community, hub, rep, rotation, project_manager
):
    for i in range(30):
        r = SupportRequestFactory(
            community=community,
            hub=hub,
            requester=rep,
            received_at=march(9, 1),
            assignee=rotation[i % 4].user,
        )
        refresh_request_deadlines(r)
        r.save()
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    results, failures = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(slo_sweep(now=march(9, 19), batch_size=4))
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    with time_machine.travel(march(9, 19), tick=False):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    assert not failures
    keys = nudge_keys()
    # Each request: triage breached (assignee + manager); 18 of the 24 hours to the first
    # response used (near: assignee).
    assert len(keys) == 30 * 3
    claimed = sum(v for res in results for k, v in res.counts.items() if ":" in k)
    assert claimed == len(keys)
    assert not any(res.errors for res in results)
    assert sum(res.counts["rows"] for res in results) >= 2 * 30  # every row read at least once
    sent = Counter((m.to[0], m.subject) for m in mail.outbox)
    assert sum(sent.values()) == len(keys)
    assert max(sent.values()) == 1
