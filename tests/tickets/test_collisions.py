"""Collision warnings (issue 19): who else has a request open or is typing a reply (a cache
record polled by the page), and a reply held when a message arrived since its page loaded."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from supportdesk import safecache
from supportdesk.errors import NewMessageSince
from tests.conftest import free_port
from tickets import presence, services
from tickets.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    safecache.reset()


def _poll(client, r, *, typing=False, seen=None):
    data = {"typing": "1" if typing else "0"}
    if seen is not None:
        data["seen"] = str(seen)
    return client.post(reverse("tickets:desk_presence", args=[r.pk]), data)


def test_two_stewards_see_each_other_and_who_is_typing(triaged, steward, engineer, clock):
    assert presence.presence_touch(request_id=triaged.pk, user=steward) == []
    others = presence.presence_touch(request_id=triaged.pk, user=engineer, typing=True)
    assert [(p.name, p.typing) for p in others] == [(steward.display_name, False)]
    seen_by_ann = presence.presence_of_others(request_id=triaged.pk, user=steward)
    assert [(p.name, p.typing) for p in seen_by_ann] == [(engineer.display_name, True)]
    # The keystroke gets old; the page stays open (polled).
    clock.shift(datetime.timedelta(seconds=presence.TYPING_SECONDS + 1))
    presence.presence_touch(request_id=triaged.pk, user=engineer)
    seen_by_ann = presence.presence_of_others(request_id=triaged.pk, user=steward)
    assert [(p.name, p.typing) for p in seen_by_ann] == [(engineer.display_name, False)]


def test_someone_who_stops_polling_disappears(triaged, steward, engineer, clock):
    presence.presence_touch(request_id=triaged.pk, user=engineer)
    clock.shift(datetime.timedelta(seconds=presence.PRESENT_SECONDS - 1))
    assert presence.presence_of_others(request_id=triaged.pk, user=steward)
    clock.shift(datetime.timedelta(seconds=2))
    assert presence.presence_of_others(request_id=triaged.pk, user=steward) == []


def test_presence_is_per_request(triaged, submit, steward, engineer):
    other = submit(subject="Another")
    presence.presence_touch(request_id=other.pk, user=engineer)
    assert presence.presence_of_others(request_id=triaged.pk, user=steward) == []


def test_the_poll_answers_the_other_stewards_names(triaged, steward, engineer, client):
    client.force_login(engineer)
    _poll(client, triaged, typing=True)
    client.force_login(steward)
    response = _poll(client, triaged)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert engineer.display_name in response.text and "is typing a reply" in response.text
    assert steward.display_name not in response.text


def test_the_poll_says_when_a_message_arrived_since_the_page_loaded(triaged, steward, rep, client):
    client.force_login(steward)
    assert "wrote since you opened" not in _poll(client, triaged, seen=0).text
    services.request_reply(support_request=triaged, by=rep, body="Any news?")
    answer = _poll(client, triaged, seen=0).text
    assert "wrote since you opened" in answer and rep.display_name in answer


def test_the_poll_with_the_cache_down_shows_nobody_and_never_fails(
    triaged, steward, engineer, client, settings
):
    presence.presence_touch(request_id=triaged.pk, user=engineer)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    try:
        client.force_login(steward)
        response = _poll(client, triaged)
        assert response.status_code == 200
        assert engineer.display_name not in response.text
        assert presence.presence_touch(request_id=triaged.pk, user=steward) == []
    finally:
        safecache.reset()


@pytest.mark.parametrize(
    ("who", "status"),
    [("steward", 200), ("engineer", 200), ("rep", 403), ("other_rep", 403), ("outsider", 403)],
)
def test_presence_is_for_the_team_only(triaged, who, status, client, request):
    client.force_login(request.getfixturevalue(who))
    assert _poll(client, triaged).status_code == status


def test_presence_needs_a_login_and_a_post(triaged, steward, client):
    response = _poll(client, triaged)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(steward)
    url = reverse("tickets:desk_presence", args=[triaged.pk])
    assert client.get(url).status_code == 405
    assert client.post(reverse("tickets:desk_presence", args=[999999])).status_code == 404


# --- the reply held for a new message ---------------------------------------------------------
def test_a_reply_written_before_a_new_message_is_held_until_sent_anyway(triaged, steward, rep):
    seen = triaged.messages.order_by("pk").last()
    seen_id = seen.pk if seen else 0
    services.request_reply(support_request=triaged, by=rep, body="Actually it works now.")
    with pytest.raises(NewMessageSince, match=r"wrote on .* after you opened it"):
        services.request_reply(
            support_request=triaged, by=steward, body="Restarted it.", seen_message_id=seen_id
        )
    assert not Message.objects.filter(body="Restarted it.").exists()
    services.request_reply(
        support_request=triaged,
        by=steward,
        body="Restarted it.",
        seen_message_id=seen_id,
        send_anyway=True,
    )
    assert Message.objects.filter(body="Restarted it.").exists()


def test_my_own_messages_and_an_up_to_date_page_do_not_hold_a_reply(triaged, steward):
    services.request_add_note(support_request=triaged, by=steward, body="Checked the logs.")
    services.request_reply(support_request=triaged, by=steward, body="On it.", seen_message_id=0)
    last = triaged.messages.order_by("pk").last().pk
    services.request_reply(
        support_request=triaged, by=steward, body="Still on it.", seen_message_id=last
    )
    assert triaged.messages.count() == 3


def test_the_page_holds_the_reply_keeps_the_text_and_shows_the_new_message(
    triaged, steward, rep, engineer, client
):
    client.force_login(steward)
    page = client.get(reverse("tickets:desk_request", args=[triaged.pk]))
    form = page.context["forms"]["reply"]
    seen, version = form.initial["seen_message"], form.initial["version"]
    # Meanwhile the representative writes, and a colleague triages (a new version).
    services.request_reply(support_request=triaged, by=rep, body="It is back to normal")
    services.request_set_priority(
        support_request=triaged, by=engineer, aligns_with_team_goals=True, expected_version=None
    )
    url = reverse("tickets:desk_reply", args=[triaged.pk])
    data = {"reply-body": "My careful answer", "reply-version": version, "reply-seen_message": seen}
    response = client.post(url, data)
    assert response.status_code == 409
    assert "My careful answer" in response.text  # kept in the textarea
    assert "after you opened it" in response.text
    assert 'class=" new-message"' in response.text and "It is back to normal" in response.text
    assert 'name="reply-send_anyway"' in response.text
    assert not Message.objects.filter(body="My careful answer").exists()
    # Submitting again without confirming holds it again; confirming sends it.
    again = client.post(url, data)
    assert again.status_code == 409
    sent = client.post(url, {**data, "reply-send_anyway": "on"})
    assert sent.status_code == 302
    assert Message.objects.filter(body="My careful answer").exists()


def test_a_fresh_page_carries_the_last_message_it_shows(answered, steward, client):
    client.force_login(steward)
    page = client.get(reverse("tickets:desk_request", args=[answered.pk]))
    last = answered.messages.order_by("pk").last().pk
    assert page.context["forms"]["reply"].initial["seen_message"] == last
    assert f'name="reply-seen_message" value="{last}"' in page.text
    assert 'hx-post="' + reverse("tickets:desk_presence", args=[answered.pk]) in page.text
    assert 'name="reply-send_anyway"' not in page.text


def test_the_representatives_reply_is_held_like_the_stewards(triaged, steward, rep, client):
    client.force_login(rep)
    page = client.get(reverse("tickets:detail", args=[triaged.pk]))
    last = max((m.pk for m in triaged.messages.all()), default=0)
    assert f'name="reply-seen_message" value="{last}"' in page.text
    assert 'name="reply-send_anyway"' not in page.text
    # Meanwhile the steward answers (and writes an internal note, which must not hold it).
    services.request_reply(support_request=triaged, by=steward, body="Restarted the node pool.")
    services.request_add_note(
        support_request=triaged, by=steward, body="Internal: cordoned node 3."
    )
    url = reverse("tickets:reply", args=[triaged.pk])
    data = {"reply-body": "Still broken for two users", "reply-seen_message": last}
    response = client.post(url, data)
    assert response.status_code == 409
    assert "after you opened it" in response.text
    assert "Still broken for two users" in response.text  # kept in the textarea
    assert 'class=" new-message"' in response.text and "Restarted the node pool." in response.text
    assert "cordoned" not in response.text
    assert 'name="reply-send_anyway"' in response.text
    assert not Message.objects.filter(body="Still broken for two users").exists()
    assert client.post(url, data).status_code == 409  # not confirmed: held again
    sent = client.post(url, {**data, "reply-send_anyway": "on"})
    assert sent.status_code == 302
    assert Message.objects.filter(body="Still broken for two users").exists()


def test_a_note_alone_does_not_hold_the_representatives_reply(triaged, steward, rep, client):
    client.force_login(rep)
    last = max((m.pk for m in triaged.messages.all()), default=0)
    services.request_add_note(support_request=triaged, by=steward, body="Internal only.")
    response = client.post(
        reverse("tickets:reply", args=[triaged.pk]),
        {"reply-body": "Any news?", "reply-seen_message": last},
    )
    assert response.status_code == 302
    assert Message.objects.filter(body="Any news?").exists()


def test_time_is_frozen_for_presence(triaged, steward, engineer):
    with time_machine.travel(
        datetime.datetime(2026, 3, 13, 20, 0, tzinfo=datetime.UTC), tick=False
    ):
        presence.presence_touch(request_id=triaged.pk, user=engineer)
        [p] = presence.presence_of_others(request_id=triaged.pk, user=steward)
        assert p.since == datetime.datetime(2026, 3, 13, 20, 0, tzinfo=datetime.UTC)
