"""The staff rotation page and the engineers' calendar feeds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import icalendar
import pytest
import time_machine
from django.urls import reverse

from rotation.models import RotationOverride
from rotation.services import ics_calendar, ics_token_for

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(rep, other_rep, steward, engineer, admin_user, outsider):
    return {
        "anonymous": None,
        "rep_a": rep,
        "rep_b": other_rep,
        "steward": steward,
        "engineer": engineer,
        "admin": admin_user,
        "outsider": outsider,
    }


def get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


STAFF_ONLY = [
    ("anonymous", 302),
    ("rep_a", 403),
    ("rep_b", 403),
    ("outsider", 403),
    ("steward", 200),
    ("engineer", 200),
    ("admin", 200),
]


@time_machine.travel(MONDAY, tick=False)
@pytest.mark.parametrize(("who", "status"), STAFF_ONLY)
def test_only_staff_see_the_rotation_page(client, people, who, status):
    response = get(client, people[who], reverse("rotation:schedule"))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@time_machine.travel(MONDAY, tick=False)
@pytest.mark.parametrize(("who", "status"), STAFF_ONLY)
def test_only_staff_download_a_calendar_by_engineer_id(client, people, rotation, who, status):
    url = reverse("rotation:engineer_ics", kwargs={"engineer_id": rotation[1].pk})
    response = get(client, people[who], url)
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]


@time_machine.travel(MONDAY, tick=False)
def test_the_page_lists_shifts_with_joins_leaves_overrides_and_feed_links(
    client, steward, rotation, django_assert_max_num_queries
):
    ann, ben, cat, dan = rotation
    RotationOverride.objects.create(
        kind="away",
        engineer=ben,
        starts_on=date(2026, 1, 21),
        ends_on=date(2026, 1, 23),
        reason="conference",
    )
    client.force_login(steward)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("rotation:schedule"))
    html = response.content.decode()
    shifts = response.context["shifts"]
    assert shifts[0].starts == date(2026, 1, 5)  # the shift under way
    assert len(shifts) == 7
    assert 'aria-current="true"' in html
    assert "Ben Eng away; Dan Eng covers (conference)" in html
    feeds = response.context["feeds"]
    assert [f["engineer"] for f in feeds] == [ann, ben, cat, dan]
    for feed in feeds:
        assert feed["subscribe_url"] in html
        assert feed["subscribe_url"].startswith("http://testserver/rotation/ics/")
        assert feed["download_path"] == f"/rotation/{feed['engineer'].pk}.ics"


def test_the_page_explains_an_unconfigured_rotation(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("rotation:schedule"))
    assert response.status_code == 200
    assert "not configured" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Calendar content


def events(payload: bytes):
    calendar = icalendar.Calendar.from_ical(payload)
    return [
        (e.decoded("dtstart"), e.decoded("dtend"), str(e["uid"])) for e in calendar.walk("VEVENT")
    ]


def test_the_calendar_has_one_all_day_event_per_duty_period(rotation):
    ann = rotation[0]
    with time_machine.travel(MONDAY, tick=False):
        found = events(ics_calendar(engineer=ann))
    # Ann is senior on 5 Jan (her tenure clipped at the start), then serves four weeks out of
    # every eight: shifts 3-4, 7-8, ...
    assert [(start, end) for start, end, _ in found[:3]] == [
        (date(2026, 1, 5), date(2026, 1, 19)),
        (date(2026, 2, 16), date(2026, 3, 16)),
        (date(2026, 4, 13), date(2026, 5, 11)),
    ]
    assert all(type(start) is date and type(end) is date for start, end, _ in found)
    assert len({uid for _, _, uid in found}) == len(found)
    assert found[0][2] == f"rotation-{ann.pk}-20260105@127.0.0.1"
    # Up to a year ahead (11 Jan 2027): the next tenure, from 18 Jan 2027, is beyond it.
    assert len(found) == 7
    assert found[-1][:2] == (date(2026, 11, 23), date(2026, 12, 21))


def test_event_uids_stay_the_same_as_the_feed_moves_forward(rotation):
    ann = rotation[0]
    with time_machine.travel(MONDAY, tick=False):
        before = {uid: (s, e) for s, e, uid in events(ics_calendar(engineer=ann))}
    with time_machine.travel(datetime(2026, 2, 20, tzinfo=UTC), tick=False):
        after = {uid: (s, e) for s, e, uid in events(ics_calendar(engineer=ann))}
    shared = before.keys() & after.keys()
    assert len(shared) >= 5
    assert all(before[uid] == after[uid] for uid in shared)


def test_an_absence_splits_a_period_and_covering_adds_one(rotation):
    ann, ben = rotation[:2]
    RotationOverride.objects.create(
        kind="away", engineer=ann, starts_on=date(2026, 2, 23), ends_on=date(2026, 2, 27)
    )
    with time_machine.travel(MONDAY, tick=False):
        ann_periods = [(s, e) for s, e, _ in events(ics_calendar(engineer=ann))]
        ben_periods = [(s, e) for s, e, _ in events(ics_calendar(engineer=ben))]
    assert (date(2026, 2, 16), date(2026, 2, 23)) in ann_periods
    assert (date(2026, 2, 28), date(2026, 3, 16)) in ann_periods
    # Ben is next after Dan and Ann in shift 3, so he covers.
    assert (date(2026, 2, 23), date(2026, 2, 28)) in ben_periods


# ---------------------------------------------------------------------------------------------
# The signed subscription URL


@time_machine.travel(MONDAY, tick=False)
def test_a_calendar_app_subscribes_without_logging_in(client, rotation):
    ann = rotation[0]
    url = reverse("rotation:ics_feed", kwargs={"token": ics_token_for(engineer=ann)})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"BEGIN:VCALENDAR" in response.content
    assert b"Support duty: Ann Eng" in response.content


@pytest.mark.parametrize(
    "token", ["nonsense", "MQ:forged-signature", "Ig:1vXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"]
)
def test_a_forged_token_finds_no_calendar(client, rotation, token):
    assert client.get(reverse("rotation:ics_feed", kwargs={"token": token})).status_code == 404


def test_a_token_for_another_purpose_is_refused(client, rotation):
    from django.core import signing

    token = signing.dumps(rotation[0].pk)  # right key, wrong salt
    assert client.get(reverse("rotation:ics_feed", kwargs={"token": token})).status_code == 404


def test_an_engineer_who_left_has_no_feed(client, rotation):
    ann = rotation[0]
    token = ics_token_for(engineer=ann)
    ann.is_active = False
    ann.save()
    assert client.get(reverse("rotation:ics_feed", kwargs={"token": token})).status_code == 404


def test_an_unknown_engineer_id_is_not_found(client, steward):
    client.force_login(steward)
    url = reverse("rotation:engineer_ics", kwargs={"engineer_id": 999_999})
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------------------------
# Names are people's input: a line break in one cannot break (or inject into) a feed


@pytest.mark.parametrize("first_name", ["Ann\nX-INJECTED:1", "Ann\rX-INJECTED:1", "Ann\u2028B"])
@time_machine.travel(MONDAY, tick=False)
def test_a_name_with_a_line_break_is_one_line_in_both_feeds(client, rotation, first_name):
    ann = rotation[0]
    ann.user.first_name = first_name
    ann.user.save()
    client.force_login(rotation[1].user)
    for url in (
        reverse("rotation:ics_feed", kwargs={"token": ics_token_for(engineer=ann)}),
        reverse("rotation:engineer_ics", kwargs={"engineer_id": ann.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert b"\nX-INJECTED" not in response.content
        calendar = icalendar.Calendar.from_ical(response.content)
        name = str(calendar["X-WR-CALNAME"])
        assert name.startswith("Support duty: Ann ") and name.endswith(" Eng")
        assert "\n" not in response["Content-Disposition"]
