"""What the SLO sweep costs: the same queries for 5 or 50 due requests, because each batch's
notifications are claimed with one INSERT (notifications.services.notify_many)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from desk import sweeps
from desk.sweeps import slo_sweep
from notifications.models import Notification
from slo.services import refresh_request_deadlines
from tests.factories import SupportRequestFactory
from tests.notifications import helpers
from tests.notifications.helpers import march, nudge_keys
from tickets.models import SupportRequest

pytestmark = pytest.mark.usefixtures("eager_delivery")
eager_delivery = helpers.eager_delivery

# Monday: triage of a request received at 09:00 is due at 17:00 (8 working hours); its first
# response (24 working hours) is not near yet. So at SWEEP_AT each request has one breach.
RECEIVED = march(9, 9)
SWEEP_AT = march(9, 17)


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    """At `when`, as beat would: time frozen, and what the sweep claims delivered after its
    commit. A query count taken inside counts the sweep alone, not the deliveries."""

    @contextmanager
    def frozen(when):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield

    return frozen


@pytest.fixture
def run(at):
    def sweep_at(when, **kwargs):
        with at(when):
            return slo_sweep(**kwargs)

    return sweep_at


def due_requests(count: int, *, community, hub, rep, rotation) -> list[SupportRequest]:
    """`count` requests assigned round the roster, their triage breached at SWEEP_AT."""
    made = []
    for i in range(count):
        r = SupportRequestFactory(
            community=community,
            hub=hub,
            requester=rep,
            received_at=RECEIVED,
            assignee=rotation[i % len(rotation)].user,
        )
        refresh_request_deadlines(r)
        r.save()
        made.append(r)
    return made


def claimed(result) -> int:
    return sum(n for k, n in result.counts.items() if ":" in k)


def notification_inserts(ctx) -> int:
    return sum(
        q["sql"].startswith('INSERT INTO "notifications_notification"')
        for q in ctx.captured_queries
    )


def assert_same_queries_for_few_and_many(
    few: int, many: int, *, per_request: int, at, run, django_assert_num_queries, **people
) -> None:
    run(march(9, 8))  # warm-up: settings rows are created on first read
    due_requests(few, **people)
    mail.outbox.clear()
    with at(SWEEP_AT), CaptureQueriesContext(connection) as small:
        result = slo_sweep()
    assert result.counts["triage:breach"] == claimed(result) == few * per_request
    assert notification_inserts(small) == 1

    # Start again from nothing claimed, with `many` requests due.
    Notification.objects.all().delete()
    mail.outbox.clear()
    due_requests(many - few, **people)
    with at(SWEEP_AT), django_assert_num_queries(len(small.captured_queries)) as large:
        result = slo_sweep()
    assert result.counts["rows"] == many
    assert result.counts["triage:breach"] == claimed(result) == many * per_request
    assert notification_inserts(large) == 1
    assert len(mail.outbox) == many * per_request
    keys = nudge_keys()
    assert len(keys) == many * per_request

    # A second sweep finds every key claimed: it claims and sends nothing.
    again = run(SWEEP_AT)
    assert claimed(again) == 0 and not again.errors
    assert nudge_keys() == keys
    assert len(mail.outbox) == many * per_request


def test_the_sweep_asks_the_same_queries_for_5_or_50_due_requests(
    community, hub, rep, rotation, at, run, django_assert_num_queries
):
    # One recipient each (the assignee; no project manager): 50 rows stay within one INSERT on
    # SQLite too, where Django splits a bulk INSERT every 999 parameters (58 notifications).
    assert_same_queries_for_few_and_many(
        5,
        50,
        per_request=1,
        at=at,
        run=run,
        django_assert_num_queries=django_assert_num_queries,
        community=community,
        hub=hub,
        rep=rep,
        rotation=rotation,
    )


@pytest.mark.services
def test_on_postgresql_the_sweep_asks_the_same_queries_for_5_or_150_due_requests(
    postgres, community, hub, rep, rotation, project_manager, at, run, django_assert_num_queries
):
    # A breach also tells the project manager: 300 notifications, still one INSERT.
    assert_same_queries_for_few_and_many(
        5,
        150,
        per_request=2,
        at=at,
        run=run,
        django_assert_num_queries=django_assert_num_queries,
        community=community,
        hub=hub,
        rep=rep,
        rotation=rotation,
    )


def test_a_row_whose_claim_fails_is_logged_and_the_rest_of_its_batch_is_claimed(
    community, hub, rep, rotation, run, monkeypatch, caplog
):
    requests = due_requests(3, community=community, hub=hub, rep=rep, rotation=rotation)
    broken = requests[1]
    real = sweeps._messages

    def messages(nudge, sweep):
        built = real(nudge, sweep)
        if nudge.obj.pk == broken.pk:
            # Built fine, refused when claimed (no recipient): the batch claim fails.
            built = [{**m, "user": None} for m in built]
        return built

    monkeypatch.setattr(sweeps, "_messages", messages)
    mail.outbox.clear()
    result = run(SWEEP_AT)

    assert result.counts["triage:breach"] == 2
    assert result.counts["errors"] == 1
    assert len(result.errors) == 1 and f":{broken.pk}:" in result.errors[0]
    assert "claiming row by row" in caplog.text
    assert not nudge_keys(key__contains=f":request:{broken.pk}:")
    for r in (requests[0], requests[2]):
        assert len(nudge_keys(key__contains=f":request:{r.pk}:")) == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [requests[0].assignee.email, requests[2].assignee.email]
    )

    monkeypatch.setattr(sweeps, "_messages", real)
    again = run(SWEEP_AT)  # mended: the broken row is nudged now, the others are not again
    assert again.counts["triage:breach"] == 1 and not again.errors
    assert len(mail.outbox) == 3


@pytest.mark.services
def test_on_postgresql_a_database_error_in_one_row_does_not_stop_its_batch(
    postgres, community, hub, rep, rotation, run, monkeypatch
):
    requests = due_requests(3, community=community, hub=hub, rep=rep, rotation=rotation)
    broken = requests[0]
    real = sweeps._messages

    def messages(nudge, sweep):
        built = real(nudge, sweep)
        if nudge.obj.pk == broken.pk:
            built = [{**m, "url": "/" + "x" * 600} for m in built]  # url is varchar(500)
        return built

    monkeypatch.setattr(sweeps, "_messages", messages)
    result = run(SWEEP_AT)

    assert result.counts["triage:breach"] == 2
    assert result.counts["errors"] == 1 and "DataError" in result.errors[0]
    assert not nudge_keys(key__contains=f":request:{broken.pk}:")
    assert len(nudge_keys()) == 2


def test_a_nudge_already_claimed_is_not_written_again(
    community, hub, rep, rotation, run, monkeypatch
):
    """Overdue rows stay due until their clock stops: a later sweep finds their keys claimed
    before it writes any message (the text of a thousand nudges is most of a sweep's work)."""
    due_requests(3, community=community, hub=hub, rep=rep, rotation=rotation)
    assert claimed(run(SWEEP_AT)) == 3
    written = []
    real = sweeps._messages

    def messages(nudge, sweep):
        written.append(nudge.obj.pk)
        return real(nudge, sweep)

    monkeypatch.setattr(sweeps, "_messages", messages)
    again = run(SWEEP_AT)
    assert again.counts["rows"] == 3 and claimed(again) == 0
    assert written == []


def test_the_nudge_says_what_is_due_where_and_who_has_it(community, hub, rep, rotation, run):
    (r,) = due_requests(1, community=community, hub=hub, rep=rep, rotation=rotation)
    mail.outbox.clear()
    run(SWEEP_AT)
    (sent,) = mail.outbox
    assert sent.subject == f"[{r.reference}] Triage overdue: {r.subject}"
    assert sent.body.startswith(
        f"Triage is overdue for {r.reference}: {r.subject}\n\n"
        f"Community: {community.name}\n"
        "Status: New\n"
        f"Assignee: {r.assignee.display_name}\n"
        "Due: Mon 9 Mar 2026 17:00 UTC (due now)\n\n"
        "The objective has been missed. It is not a contract: say where things stand to the "
        "representative as soon as you can."
    )
