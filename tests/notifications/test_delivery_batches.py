"""One delivery task per batch of notifications: a sweep that claims many publishes few
messages, and a batch delivered twice (a redelivered message, the pending sweep beside it)
still sends each notification once."""

from __future__ import annotations

import base64
import json

import kombu.pools
import pytest
from django.core import mail

from notifications import services
from notifications.models import Notification
from notifications.services import deliver_many, notify_many
from tests.notifications.helpers import eager_delivery  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def messages(n: int, prefix: str = "batch") -> list[dict]:
    return [
        {
            "key": f"{prefix}:{i}",
            "kind": "test",
            "subject": f"Batch {i}",
            "body": "Hello",
            "email": f"person{i}@example.org",
        }
        for i in range(n)
    ]


def published(folder) -> list[tuple[str, list]]:
    """(task name, argument) of every message in the filesystem broker's queue folder."""
    found = []
    for path in sorted(folder.iterdir()):
        envelope = json.loads(path.read_text())
        body = json.loads(base64.b64decode(envelope["body"]))
        found.append((envelope["headers"]["task"], body[0][0]))
    return found


@pytest.fixture
def filesystem_broker(tmp_path):
    """Kombu's filesystem transport in tmp_path: a real broker, no server."""
    from supportdesk.celery import app

    for folder in ("queue", "control"):
        (tmp_path / folder).mkdir()
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
    }
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "broker_transport_options", "task_always_eager")
    }
    app.conf.update(
        broker_url="filesystem://localhost/",
        broker_transport_options=options,
        task_always_eager=False,
    )
    # Other tests close pools of kombu's process-wide registry: start from a clean one.
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    services.reset_broker_breaker()
    yield tmp_path / "queue"
    app.conf.update(**saved)
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    services.reset_broker_breaker()


def test_claiming_450_notifications_publishes_three_tasks(
    filesystem_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        claimed = notify_many(messages=messages(450))
    tasks = published(filesystem_broker)
    assert [name for name, _ in tasks] == ["notifications.deliver_batch"] * 3
    # One per batch of the SLO sweep (desk.sweeps.BATCH_SIZE), as a rule.
    # The filesystem transport names a message by the millisecond it was sent, then a random
    # uuid: two batches sent in the same millisecond list in either order.
    assert sorted(len(ids) for _, ids in tasks) == [50, 200, 200]
    assert services.DELIVERY_BATCH == 200
    assert sorted(i for _, ids in tasks for i in ids) == sorted(n.pk for n in claimed)


def test_one_notification_is_still_one_task_of_its_own(
    filesystem_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (claimed,) = notify_many(messages=messages(1))
    assert published(filesystem_broker) == [("notifications.deliver", claimed.pk)]


def test_a_batch_delivered_twice_sends_each_notification_once():
    ids = [n.pk for n in notify_many(messages=messages(5))]
    mail.outbox.clear()
    assert deliver_many(notification_ids=ids) == 5
    assert deliver_many(notification_ids=ids) == 0
    assert len(mail.outbox) == 5
    assert set(Notification.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_the_batch_task_delivers_in_process_when_eager(
    eager_delivery,  # noqa: F811 - the fixture
    django_capture_on_commit_callbacks,
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify_many(messages=messages(60))
    assert len(mail.outbox) == 60
    assert not Notification.objects.filter(status="pending").exists()
