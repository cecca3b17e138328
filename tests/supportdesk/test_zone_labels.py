"""Issue 19: a time converted to the reader's zone is labelled with that zone, never with a
literal "UTC"; the public pages, shared by every reader through the status cache, are rendered
in UTC and say so whoever's request rendered them."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from availability import status as status_rules

pytestmark = pytest.mark.django_db

# Monday 9 March 2026, 18:00 UTC = 11:00 in Los Angeles (daylight time began on the 8th).
DECLARED = datetime.datetime(2026, 3, 9, 18, 0, tzinfo=datetime.UTC)

# Templates rendered only inside `timezone.override(UTC)` (availability.views.times_in_utc and
# the feed): a literal "UTC" after a time is true there.
RENDERED_IN_UTC = {
    "availability/_incident_card.html",
    "availability/_incident_body.html",
    "availability/_window_card.html",
    "availability/_hub_body.html",
    "availability/status.html",
    "availability/feed_incident.html",
    "availability/feed_window.html",
}
# A template variable, or a <time> element, followed by the word UTC.
TIME_THEN_UTC = re.compile(r"(\}\}|</time>)\s*UTC\b")


def _templates():
    """(template name, path) of every template of the project."""
    root = Path(settings.BASE_DIR)
    for path in sorted(root.glob("*/templates/**/*.*")) + sorted(root.glob("templates/**/*.*")):
        parts = path.relative_to(root).parts
        if parts[0] in (".venv", "node_modules"):
            continue
        name = "/".join(parts[parts.index("templates") + 1 :])
        yield name, path


def test_no_template_labels_a_converted_time_utc():
    offenders = []
    for name, path in _templates():
        if name in RENDERED_IN_UTC:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if TIME_THEN_UTC.search(line):
                offenders.append(f"{name}:{number}")
    assert offenders == [], "use |local_time (it names the zone it converted to): " + ", ".join(
        offenders
    )


@pytest.fixture
def pacific_steward(steward):
    steward.timezone = "America/Los_Angeles"
    steward.save(update_fields=["timezone"])
    return steward


@pytest.fixture
def incident(declare):
    with time_machine.travel(DECLARED, tick=False):
        return declare()


def test_the_war_room_names_the_stewards_zone(client, pacific_steward, incident):
    client.force_login(pacific_steward)
    with time_machine.travel(DECLARED + datetime.timedelta(minutes=5), tick=False):
        page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Mon 9 Mar, 11:00 Pacific Time" in page  # declared, impact start
    assert "11:00 UTC" not in page
    assert "18:00 UTC" not in page  # and not a UTC label on the UTC value either: one zone


def test_the_incident_list_heads_its_columns_with_the_readers_zone(
    client, pacific_steward, incident
):
    client.force_login(pacific_steward)
    page = client.get(reverse("incidents:list")).content.decode()
    assert "Declared (Pacific Time)" in page
    assert "(UTC)" not in page
    assert "9 Mar 2026, 11:00" in page


def test_a_public_page_shows_utc_to_a_signed_in_reader_of_another_zone(
    client, pacific_steward, incident
):
    cache.delete(status_rules.VERSION_KEY)
    client.force_login(pacific_steward)
    with time_machine.travel(DECLARED + datetime.timedelta(minutes=5), tick=False):
        page = client.get(reverse("availability:incident", args=[incident.pk])).content.decode()
        status = client.get(reverse("availability:status")).content.decode()
    assert "18:00 UTC" in page and "11:00" not in page
    assert "since Mon 9 Mar, 18:00 UTC" in status
