"""supportdesk/zones.py, where every instant is formatted: in a person's zone, named in words
of their language; in UTC for stored texts (and read back); for a spreadsheet. Minutes, never
seconds."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone, translation

from supportdesk.zones import format_csv, format_local, format_utc, parse_utc, zone_name

# A Tuesday, with seconds that must never show.
INSTANT = datetime.datetime(2026, 12, 1, 17, 56, 39, tzinfo=datetime.UTC)


def test_local_time_is_in_the_given_zone_named_in_words():
    with translation.override("en"):
        assert format_local(INSTANT, "America/Los_Angeles") == "Tue 1 Dec 2026, 09:56 Pacific Time"
        assert format_local(INSTANT, "Europe/Berlin", with_year=False) == (
            "Tue 1 Dec, 18:56 Central European Time"
        )
        assert format_local(INSTANT, "UTC", with_zone=False) == "Tue 1 Dec 2026, 17:56"


def test_local_time_defaults_to_the_active_zone_and_language():
    with timezone.override(ZoneInfo("Asia/Tokyo")), translation.override("es"):
        text = format_local(INSTANT)
        tokyo = zone_name(None)
    assert text.lower() == f"mié 2 dic 2026, 02:56 {tokyo}".lower()
    with translation.override("es"):
        assert zone_name("America/Los_Angeles") == "hora del Pacífico"


def test_local_time_in_a_given_language_whatever_the_active_one():
    with translation.override("es"):
        text = format_local(INSTANT, "America/Los_Angeles", language="en")
    assert text == "Tue 1 Dec 2026, 09:56 Pacific Time"


def test_a_zone_change_shows_in_the_local_time():
    summer = datetime.datetime(2026, 7, 1, 17, 56, tzinfo=datetime.UTC)
    with translation.override("en"):
        assert "10:56" in format_local(summer, "America/Los_Angeles")  # daylight time, UTC-7
        assert "09:56" in format_local(INSTANT, "America/Los_Angeles")  # standard time, UTC-8


def test_stored_texts_say_utc_in_english_whatever_the_reader():
    with timezone.override(ZoneInfo("America/Los_Angeles")), translation.override("es"):
        assert format_utc(INSTANT) == "01 Dec 2026 17:56 UTC"


def test_a_stored_time_reads_back_to_its_minute():
    assert parse_utc("01 Dec 2026 17:56 UTC") == INSTANT.replace(second=0)
    assert parse_utc(format_utc(INSTANT)) == INSTANT.replace(second=0)
    assert parse_utc("not a time") is None


def test_a_spreadsheet_gets_utc_to_the_minute():
    pacific = INSTANT.astimezone(ZoneInfo("America/Los_Angeles"))
    assert format_csv(pacific) == "2026-12-01 17:56"


def test_template_filters():
    template = Template(
        "{% load zones %}{{ t|local_time }} | {{ t|local_time_short }} | {{ t|utc_time }}"
    )
    with timezone.override(ZoneInfo("America/New_York")), translation.override("en"):
        text = template.render(Context({"t": INSTANT}))
    assert text == (
        "Tue 1 Dec 2026, 12:56 Eastern Time | Tue 1 Dec, 12:56 Eastern Time | 01 Dec 2026 17:56 UTC"
    )
    assert Template("{% load zones %}{{ t|utc_time }}").render(Context({"t": None})) == ""
