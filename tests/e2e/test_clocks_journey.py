"""The clocks in a real browser: the time-box countdown on a steward's request page and on a
phone, running out into the two next steps; the reduced-capacity banner a representative sees
above the submit form. Screenshots under test-results/screenshots/.

Time is not frozen (the live server runs in its own thread): the countdown is checked for the
working time it actually has now, and over a weekend for saying that it waits."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from slo.models import ClosedDate
from slo.services import calendar_for
from supportdesk import worktime
from tests.e2e.conftest import login
from tests.factories import SupportRequestFactory

pytestmark = pytest.mark.browser


def test_the_time_box_counts_down_and_then_offers_the_next_steps(new_page, shot, steward, rep, hub):
    for phone in (False, True):
        page = new_page(phone=phone)
        login(page, steward.username)
        now = timezone.now()
        working = worktime.is_working_time(now, calendar_for())
        r = SupportRequestFactory(
            community=hub.community,
            hub=hub,
            requester=rep,
            assignee=steward,
            status="triaged",
            category="change",
            received_at=now - datetime.timedelta(hours=1),
            triaged_at=now,
            # Half a minute of time-box left, so the page can be watched running out.
            timebox_due_at=worktime.add_working_time(
                now, datetime.timedelta(seconds=30), calendar_for()
            ),
        )
        page.goto(f"/desk/requests/{r.pk}/")
        timebox = page.locator("#timebox")
        expect(timebox).to_be_visible()
        if working:
            clock = page.locator("#timebox .timebox-clock")
            before = clock.inner_text()
            expect(clock).not_to_have_text(before, timeout=5_000)  # it counts down
            shot(page, f"timebox-running-{'phone' if phone else 'laptop'}")
            expect(page.locator("#timebox .timebox-over")).to_be_visible(timeout=60_000)
            expect(page.locator("#timebox-issue")).to_be_visible()
            expect(page.locator("#timebox-alert")).to_be_visible()
            shot(page, f"timebox-over-{'phone' if phone else 'laptop'}")
        else:
            expect(page.locator("#timebox .timebox-paused")).to_be_visible()
            shot(page, f"timebox-waiting-{'phone' if phone else 'laptop'}")


def test_the_representative_sees_reduced_capacity_above_the_submit_form(
    page, shot, rep, hub, monkeypatch
):
    # Whatever today's date: look a year ahead, so the last week of the year is always shown.
    monkeypatch.setattr("slo.templatetags.capacity.BANNER_HORIZON", datetime.timedelta(days=400))
    ClosedDate.objects.create(
        date=timezone.localdate() + datetime.timedelta(days=3), name="Team offsite"
    )
    login(page, rep.username)
    page.goto("/requests/new/")
    banner = page.locator(".capacity-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Reduced capacity")
    expect(banner).to_contain_text("answers may be slower")
    expect(banner).to_contain_text("(Team offsite): no deadline runs")
    # The banner comes before the form.
    assert banner.bounding_box()["y"] < page.locator("#request-form").bounding_box()["y"]
    shot(page, "submit-form-banner")
    page.get_by_role("link", name="The team's calendar").click()
    expect(page.locator("#calendar-periods")).to_contain_text("Reduced capacity")
    shot(page, "calendar")
