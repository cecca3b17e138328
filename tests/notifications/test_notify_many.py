"""Claiming many notifications at once: one INSERT, each key still claimed once."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.core import mail
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications import services
from notifications.models import Notification
from notifications.services import notify, notify_many
from tests.factories import UserFactory
from tests.notifications.helpers import march

pytestmark = pytest.mark.django_db


def message(key: str, **kwargs) -> dict:
    return {"key": key, "kind": "test", "subject": "Hello", "body": "Body", **kwargs}


def email(key: str, address: str = "someone@example.org", **kwargs) -> dict:
    return message(key, email=address, **kwargs)


def notification_inserts(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "notifications_notification"')
    ]


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """The ids handed to the broker, in order (nothing is sent)."""
    ids: list[int] = []
    monkeypatch.setattr(services, "enqueue_delivery", ids.append)
    monkeypatch.setattr(services, "enqueue_deliveries", ids.extend)
    return ids


# --- exactly once --------------------------------------------------------------------------------


def test_a_key_is_claimed_once_across_two_calls(enqueued):
    first = notify_many(messages=[email("many:1"), email("many:2")])
    second = notify_many(messages=[email("many:2"), email("many:1")])

    assert all(isinstance(n, Notification) for n in first)
    assert second == [None, None]
    assert Notification.objects.count() == 2


def test_a_key_repeated_within_one_call_is_claimed_by_its_first_message(enqueued):
    results = notify_many(
        messages=[email("many:a", "first@example.org"), email("many:a", "second@example.org")]
    )

    assert results[0] is not None and results[1] is None
    claimed = Notification.objects.get()
    assert claimed.recipient_email == "first@example.org"


def test_a_key_repeated_after_truncation_is_claimed_once(enqueued):
    long_key = "many:" + "x" * 300
    results = notify_many(messages=[email(long_key + "1"), email(long_key + "2")])

    assert results[0] is not None and results[1] is None
    assert Notification.objects.get().key == long_key[:255]


def test_an_already_claimed_key_among_new_ones_leaves_the_new_ones_claimed(enqueued):
    notify(key="many:2", kind="test", subject="Earlier", body="B", email="someone@example.org")

    with CaptureQueriesContext(connection) as ctx:
        results = notify_many(messages=[email("many:1"), email("many:2"), email("many:3")])

    assert [n is not None for n in results] == [True, False, True]
    assert sorted(Notification.objects.values_list("key", flat=True)) == [
        "many:1",
        "many:2",
        "many:3",
    ]
    assert Notification.objects.get(key="many:2").subject == "Earlier"  # left alone
    # The bulk INSERT failed on many:2, then each key was claimed on its own.
    assert len(notification_inserts(ctx.captured_queries)) == 1 + 3
    for n in (results[0], results[2]):
        assert Notification.objects.get(pk=n.pk).key == n.key


def test_nothing_to_claim_costs_nothing(django_assert_num_queries, enqueued):
    with django_assert_num_queries(0):
        assert notify_many(messages=[]) == []


# --- one INSERT ----------------------------------------------------------------------------------


def test_twenty_messages_cost_what_one_does(django_assert_num_queries, steward, enqueued):
    with django_assert_num_queries(3):  # SAVEPOINT, INSERT ... RETURNING, RELEASE
        notify(key="many:one", kind="test", subject="S", body="B", user=steward)
    messages = [message(f"many:{i}", user=steward) for i in range(20)]
    with django_assert_num_queries(3) as ctx:
        results = notify_many(messages=messages)
    assert len(notification_inserts(ctx.captured_queries)) == 1
    # The ids come back from the bulk INSERT (PostgreSQL, and SQLite >= 3.35): they are real.
    assert connection.features.can_return_rows_from_bulk_insert
    assert all(n.pk is not None for n in results)
    stored = dict(Notification.objects.filter(key__startswith="many:").values_list("key", "pk"))
    assert {n.key: n.pk for n in results} == {k: v for k, v in stored.items() if k != "many:one"}


# --- channels and state --------------------------------------------------------------------------


@time_machine.travel(march(9, 12), tick=False)
def test_in_app_is_sent_at_once_and_e_mail_is_pending(steward, enqueued):
    in_app, by_mail = notify_many(
        messages=[
            message("many:app", user=steward, channel=Notification.Channel.IN_APP),
            message("many:mail", user=steward),
        ]
    )

    in_app.refresh_from_db()
    by_mail.refresh_from_db()
    assert (in_app.channel, in_app.status, in_app.sent_at) == (
        Notification.Channel.IN_APP,
        Notification.Status.SENT,
        march(9, 12),
    )
    assert (by_mail.channel, by_mail.status, by_mail.sent_at) == (
        Notification.Channel.EMAIL,
        Notification.Status.PENDING,
        None,
    )
    assert by_mail.recipient_email == steward.email
    assert by_mail.created_at == in_app.created_at == march(9, 12)


def test_a_user_without_an_address_gets_the_message_in_the_app(
    steward, django_capture_on_commit_callbacks, enqueued
):
    no_address = UserFactory(username="no_address", email="")
    with django_capture_on_commit_callbacks(execute=True):
        to_nobody, to_steward = notify_many(
            messages=[message("many:1", user=no_address), message("many:2", user=steward)]
        )

    to_nobody.refresh_from_db()
    assert to_nobody.channel == Notification.Channel.IN_APP
    assert to_nobody.status == Notification.Status.SENT and to_nobody.sent_at is not None
    assert to_steward.channel == Notification.Channel.EMAIL
    assert enqueued == [to_steward.pk]


def test_subjects_are_cut_to_the_column(enqueued):
    (n,) = notify_many(messages=[email("many:1", subject="S" * 300)])
    n.refresh_from_db()
    assert n.subject == "S" * 255


def test_a_message_without_recipient_is_refused_and_nothing_is_claimed(enqueued):
    with pytest.raises(ValueError, match="needs a user or an e-mail address"):
        notify_many(messages=[email("many:1"), message("many:2")])
    assert not Notification.objects.exists()


def test_an_unknown_argument_is_refused(enqueued):
    with pytest.raises(TypeError):
        notify_many(messages=[email("many:1", colour="red")])


# --- delivery after commit -----------------------------------------------------------------------


def test_each_e_mail_is_enqueued_once_after_commit(
    steward, engineer, django_capture_on_commit_callbacks, enqueued
):
    notify(key="many:taken", kind="test", subject="S", body="B", email="x@example.org")
    enqueued.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        results = notify_many(
            messages=[
                message("many:1", user=steward),
                message("many:app", user=engineer, channel=Notification.Channel.IN_APP),
                email("many:taken"),
                message("many:2", user=engineer),
                message("many:1", user=engineer),  # repeated key: not claimed again
            ]
        )
        assert enqueued == []  # nothing before the commit

    assert len(callbacks) == 1  # one callback for the lot
    assert enqueued == [results[0].pk, results[3].pk]


def test_a_rolled_back_claim_enqueues_nothing_and_frees_its_keys(
    steward, django_capture_on_commit_callbacks, enqueued
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify_many(messages=[message("many:1", user=steward), message("many:2", user=steward)])
        raise RuntimeError("the caller's transaction failed")
    assert callbacks == [] and enqueued == []
    assert not Notification.objects.exists()
    assert all(notify_many(messages=[message("many:1", user=steward)]))


def test_delivered_e_mails_reach_the_outbox_once(
    steward, engineer, django_capture_on_commit_callbacks, eager_delivery
):
    messages = [message("many:1", user=steward), message("many:2", user=engineer)]
    with django_capture_on_commit_callbacks(execute=True):
        notify_many(messages=messages)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many(messages=messages) == [None, None]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([steward.email, engineer.email])
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 2


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.mark.services
def test_on_postgresql_the_bulk_insert_returns_the_ids_in_order(postgres, steward, enqueued):
    with CaptureQueriesContext(connection) as ctx:
        results = notify_many(messages=[message(f"many:{i}", user=steward) for i in range(50)])
    (insert,) = notification_inserts(ctx.captured_queries)
    assert "RETURNING" in insert
    assert [n.key for n in results] == [f"many:{i}" for i in range(50)]
    stored = dict(Notification.objects.values_list("pk", "key"))
    assert all(stored[n.pk] == n.key for n in results)


@pytest.mark.services
def test_on_postgresql_an_error_other_than_a_taken_key_claims_nothing(postgres, enqueued):
    notify(key="many:taken", kind="test", subject="S", body="B", email="x@example.org")
    too_long = "/" + "x" * 600  # url is varchar(500)
    with transaction.atomic():
        with pytest.raises(DataError), CaptureQueriesContext(connection) as ctx:
            notify_many(
                messages=[email("many:1"), email("many:taken"), email("many:x", url=too_long)]
            )
        # The bulk INSERT (in key order) failed on the taken key; claiming key by key then failed
        # on the url.
        assert len(notification_inserts(ctx.captured_queries)) == 1 + 3
        # The caller's transaction is still usable, and nothing of the failed call remains.
        assert sorted(Notification.objects.values_list("key", flat=True)) == ["many:taken"]
        assert all(notify_many(messages=[email("many:1"), email("many:2")]))
    assert Notification.objects.count() == 3


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_key_held_by_a_concurrent_transaction_is_skipped(postgres, enqueued):
    """The first transaction claims many:2 and has not committed yet; the second one's bulk
    INSERT waits for it, fails on the key, and claims the rest key by key."""
    claimed_first = threading.Event()
    second_waiting = threading.Event()
    outcomes: dict[str, list] = {}
    failures: list[BaseException] = []

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = notify_many(messages=[email("many:2"), email("many:4")])
                claimed_first.set()
                second_waiting.wait(timeout=10)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    def second():
        try:
            with transaction.atomic():
                outcomes["second"] = notify_many(
                    messages=[email("many:1"), email("many:2"), email("many:3")]
                )
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert claimed_first.wait(timeout=10)
    threads[1].start()
    # Until the second INSERT waits on the first's uncommitted key (it cannot get past it).
    waited = any(_waiting_on_a_lock() for _ in range(100_000))
    second_waiting.set()
    for thread in threads:
        thread.join(timeout=20)

    assert waited and not failures
    assert [n is not None for n in outcomes["first"]] == [True, True]
    assert [n is not None for n in outcomes["second"]] == [True, False, True]
    assert sorted(Notification.objects.values_list("key", flat=True)) == [
        "many:1",
        "many:2",
        "many:3",
        "many:4",
    ]


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
