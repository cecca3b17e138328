"""/api/v1/rotation/: who is on duty, and the schedule ahead."""

from __future__ import annotations

import datetime

import pytest

from rotation.models import RotationOverride

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles", "no_static_scan")]


def names(stewards) -> list[str]:
    return [s["name"] for s in stewards]


def test_on_duty_now(api, steward, clock):
    body = api(steward).get("/api/v1/rotation/on-duty/").json()
    assert body["day"] == "2026-03-13"
    assert names(body["stewards"]) == ["Ann Eng", "Ben Eng"]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-01-05T09:00:00Z", ["Ann Eng", "Ben Eng"]),
        ("2026-01-19T09:00:00+00:00", ["Ben Eng", "Cat Eng"]),
        ("2026-01-19T09:00:00", ["Ben Eng", "Cat Eng"]),  # no offset: UTC
        ("2026-01-18T23:30:00-01:00", ["Ben Eng", "Cat Eng"]),  # already the 19th in UTC
        ("2025-12-01T00:00:00Z", []),  # before the rotation starts
    ],
)
def test_on_duty_at_an_instant(api, steward, clock, at, expected):
    response = api(steward).get("/api/v1/rotation/on-duty/", {"at": at})
    assert response.status_code == 200
    assert names(response.json()["stewards"]) == expected


def test_on_duty_applies_overrides(api, steward, rotation, clock):
    ann = rotation[0]
    RotationOverride.objects.create(
        kind="away",
        engineer=ann,
        starts_on=datetime.date(2026, 3, 13),
        ends_on=datetime.date(2026, 3, 13),
        reason="Conference",
    )
    body = api(steward).get("/api/v1/rotation/on-duty/").json()
    assert names(body["stewards"]) == ["Cat Eng", "Ben Eng"]


@pytest.mark.parametrize(
    "at",
    ["tomorrow", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00"],
)
def test_a_bad_instant_is_refused_with_the_reason(api, steward, at):
    response = api(steward).get("/api/v1/rotation/on-duty/", {"at": at})
    assert response.status_code == 400
    assert "at" in response.json()["errors"]


def test_the_schedule_covers_twelve_weeks_by_default(api, steward, clock):
    body = api(steward).get("/api/v1/rotation/schedule/").json()
    assert body["weeks"] == 12
    assert body["first_day"] == "2026-03-13"
    first = body["shifts"][0]
    assert first["starts"] <= "2026-03-13" < first["ends"]
    assert len(body["shifts"]) in (6, 7)
    assert {"joining", "leaving", "team", "notes"} <= set(first)


def test_the_schedule_notes_overrides(api, steward, rotation, clock):
    ann = rotation[0]
    RotationOverride.objects.create(
        kind="swap",
        engineer=ann,
        other=rotation[3],
        starts_on=datetime.date(2026, 3, 14),
        ends_on=datetime.date(2026, 3, 15),
    )
    body = api(steward).get("/api/v1/rotation/schedule/", {"weeks": 2}).json()
    notes = [n for s in body["shifts"] for n in s["notes"]]
    assert notes and "swap" in notes[0]["text"]


@pytest.mark.parametrize("weeks", ["0", "-3", "105", "100000000000000000000", "twelve", "1.5"])
def test_weeks_out_of_range_are_refused(api, steward, weeks):
    response = api(steward).get("/api/v1/rotation/schedule/", {"weeks": weeks})
    assert response.status_code == 400
    assert "weeks" in response.json()["errors"]
