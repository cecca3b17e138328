"""Maintenance windows: scheduling (with warnings), announcements once each, cancelling, and
the staff page."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from availability.models import AvailabilityLog, AvailabilitySettings, MaintenanceWindow
from availability.services import maintenance
from availability.services.maintenance import (
    MaintenanceNeedsConfirmation,
    maintenance_announce_due,
    maintenance_cancel,
    maintenance_check,
    maintenance_schedule,
)
from communities.models import Hub, Membership
from notifications.models import Notification
from notifications.services import deliver
from supportdesk.errors import DomainError, InvalidTransition, PermissionDenied
from tests.availability.conftest import TUESDAY
from tests.factories import CommunityFactory, HubFactory, representative

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tuesday")]

UTC = datetime.UTC
# Wednesday 25 Nov 2026, 02:00-04:00 UTC: a weekday night, the recommended time.
NIGHT_START = datetime.datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
NIGHT_END = datetime.datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def schedule(by, hubs, *, start=NIGHT_START, end=NIGHT_END, **kwargs):
    return maintenance_schedule(
        by=by,
        hubs=hubs,
        title=kwargs.pop("title", "Kubernetes upgrade"),
        description=kwargs.pop("description", "Servers will be restarted."),
        starts_at=start,
        ends_at=end,
        **kwargs,
    )


def keys(stage: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=f"maintenance_{stage}").values_list("key", flat=True)
    )


# --- warnings ---------------------------------------------------------------------------------


def test_weekday_night_window_has_no_warnings(hub):
    assert maintenance_check(hubs=[hub], starts_at=NIGHT_START, ends_at=NIGHT_END) == []


def test_weekday_daytime_warns_about_heavy_use(hub):
    start = datetime.datetime(2026, 11, 25, 17, 30, tzinfo=UTC)

    [warning] = maintenance_check(
        hubs=[hub], starts_at=start, ends_at=start + datetime.timedelta(hours=1)
    )

    assert "weekday daytime" in warning and "Alpha Research" in warning
    assert "Wed 25 Nov" in warning


def test_heavy_use_is_judged_in_the_communitys_time_zone(hub, community):
    community.timezone = "Asia/Tokyo"
    community.save()
    # 02:00 UTC is 11:00 in Tokyo.
    warnings = maintenance_check(hubs=[hub], starts_at=NIGHT_START, ends_at=NIGHT_END)

    assert any("Asia/Tokyo" in w for w in warnings)


def test_heavy_use_hours_are_a_setting(hub):
    config = AvailabilitySettings.load()
    config.heavy_use_start_hour = 1
    config.save()

    assert maintenance_check(hubs=[hub], starts_at=NIGHT_START, ends_at=NIGHT_END)


def test_weekend_window_warns_about_reduced_capacity(hub):
    saturday = datetime.datetime(2026, 11, 28, 10, tzinfo=UTC)

    [warning] = maintenance_check(
        hubs=[hub], starts_at=saturday, ends_at=saturday + datetime.timedelta(hours=2)
    )

    assert "reduced-capacity" in warning and "weekend: Sat 28 Nov" in warning


def test_year_end_week_warns_about_reduced_capacity(hub):
    night = datetime.datetime(2026, 12, 29, 2, tzinfo=UTC)  # a Tuesday night

    [warning] = maintenance_check(
        hubs=[hub], starts_at=night, ends_at=night + datetime.timedelta(hours=1)
    )

    assert "year-end week or team holidays: Tue 29 Dec" in warning


def test_overlapping_window_on_the_same_hub_is_warned_about(hub, steward):
    schedule(steward, [hub], title="First")

    warnings = maintenance_check(
        hubs=[hub], starts_at=NIGHT_START + datetime.timedelta(hours=1), ends_at=NIGHT_END
    )

    assert any("overlaps the window “First”" in w for w in warnings)


def test_window_with_warnings_needs_confirmation(hub, steward):
    start = datetime.datetime(2026, 11, 25, 10, tzinfo=UTC)

    with pytest.raises(MaintenanceNeedsConfirmation) as caught:
        schedule(steward, [hub], start=start, end=start + datetime.timedelta(hours=1))

    assert caught.value.warnings
    assert not MaintenanceWindow.objects.exists()
    window = schedule(
        steward, [hub], start=start, end=start + datetime.timedelta(hours=1), accept_warnings=True
    )
    assert window.warnings == caught.value.warnings


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hubs": []}, "hubs"),
        ({"title": "  "}, "title"),
        ({"end": NIGHT_START}, "ends_at"),
        ({"start": TUESDAY - datetime.timedelta(hours=1)}, "starts_at"),
    ],
)
def test_invalid_windows_are_refused(hub, steward, change, field):
    kwargs = {"hubs": [hub], **change}
    hubs = kwargs.pop("hubs")

    with pytest.raises(DomainError) as caught:
        schedule(steward, hubs, **kwargs)

    assert caught.value.field == field


def test_representatives_cannot_schedule(hub, rep):
    with pytest.raises(PermissionDenied):
        schedule(rep, [hub])


# --- announcements ----------------------------------------------------------------------------


@pytest.fixture
def reps(hub, other_hub, rep, other_rep):
    """Alpha has a second representative... who is a hub admin: not e-mailed."""
    return rep, other_rep


def test_scheduling_emails_each_representative_of_the_affected_communities(
    hub, steward, rep, other_rep, other_hub
):
    window = schedule(steward, [hub])

    assert keys("scheduled") == [f"maintenance:{window.pk}:scheduled:user:{rep.pk}"]
    notification = Notification.objects.get(kind="maintenance_scheduled")
    assert notification.recipient_email == rep.email
    assert "Alpha Hub" in notification.subject and "Kubernetes upgrade" in notification.body
    assert "From: Wed 25 Nov 2026, 02:00 UTC (25 Nov 2026 02:00 UTC)" in notification.body
    assert AvailabilityLog.objects.filter(kind="maintenance_scheduled", window=window).exists()


def test_hub_admins_and_inactive_representatives_are_not_emailed(hub, steward, community):
    admin = representative(community, username="hubadmin")
    Membership.objects.filter(user=admin).update(role=Membership.Role.HUB_ADMIN)
    gone = representative(CommunityFactory(slug="gamma"), username="gone", is_active=False)
    Membership.objects.filter(user=gone).update(community=community)

    schedule(steward, [hub])

    assert not Notification.objects.exists()


def test_window_over_two_communities_emails_both_with_their_own_hubs(
    hub, other_hub, steward, rep, other_rep
):
    window = schedule(steward, [hub, other_hub])

    assert keys("scheduled") == sorted(
        [
            f"maintenance:{window.pk}:scheduled:user:{rep.pk}",
            f"maintenance:{window.pk}:scheduled:user:{other_rep.pk}",
        ]
    )
    to_other = Notification.objects.get(recipient=other_rep)
    assert "Beta Hub" in to_other.subject and "Alpha Hub" not in to_other.subject


def test_start_and_end_are_announced_once_each(hub, steward, rep, tuesday):
    window = schedule(steward, [hub])
    assert maintenance_announce_due() == {"started": 0, "ended": 0}

    tuesday.move_to(NIGHT_START + datetime.timedelta(minutes=1))
    assert maintenance_announce_due() == {"started": 1, "ended": 0}
    assert maintenance_announce_due() == {"started": 0, "ended": 0}
    assert keys("started") == [f"maintenance:{window.pk}:started:user:{rep.pk}"]
    hub.refresh_from_db()
    assert hub.status == Hub.Status.MAINTENANCE

    tuesday.move_to(NIGHT_END + datetime.timedelta(minutes=1))
    assert maintenance_announce_due() == {"started": 0, "ended": 1}
    assert maintenance_announce_due() == {"started": 0, "ended": 0}
    assert keys("ended") == [f"maintenance:{window.pk}:ended:user:{rep.pk}"]
    hub.refresh_from_db()
    assert hub.status == Hub.Status.OPERATIONAL

    assert Notification.objects.filter(recipient=rep).count() == 3


def test_a_window_missed_entirely_by_beat_sends_only_the_end(hub, steward, rep, tuesday):
    schedule(steward, [hub])

    tuesday.move_to(NIGHT_END + datetime.timedelta(hours=1))
    assert maintenance_announce_due() == {"started": 0, "ended": 1}

    assert keys("started") == [] and len(keys("ended")) == 1


def test_the_beat_task_announces(hub, steward, rep, tuesday):
    from availability.tasks import maintenance_announce

    schedule(steward, [hub])
    tuesday.move_to(NIGHT_START)

    assert maintenance_announce.apply().get() == {"started": 1, "ended": 0}
    assert maintenance_announce.apply().get() == {"started": 0, "ended": 0}


def test_announcement_is_delivered_as_an_email(hub, steward, rep):
    schedule(steward, [hub])
    notification = Notification.objects.get(kind="maintenance_scheduled")

    assert deliver(notification_id=notification.pk) is True
    assert deliver(notification_id=notification.pk) is False

    [message] = mail.outbox
    assert message.to == [rep.email]
    assert message.subject.startswith("Planned maintenance: Alpha Hub")
    assert "/status/" in message.body


def test_beat_schedule_rows_exist():
    from django_celery_beat.models import PeriodicTask

    tasks = dict(PeriodicTask.objects.values_list("task", "interval__every"))
    assert tasks["availability.maintenance_announce"] == 1
    assert tasks["availability.hub_statuses_refresh"] == 5


# --- cancelling -------------------------------------------------------------------------------


def test_cancelling_tells_the_communities_and_stops_the_announcements(hub, steward, rep, tuesday):
    window = schedule(steward, [hub])

    maintenance_cancel(window=window, by=steward, expected_version=window.version)

    assert keys("cancelled") == [f"maintenance:{window.pk}:cancelled:user:{rep.pk}"]
    tuesday.move_to(NIGHT_END + datetime.timedelta(minutes=1))
    assert maintenance_announce_due() == {"started": 0, "ended": 0}


def test_cancelling_a_stale_version_is_refused(hub, steward):
    from supportdesk.errors import ConcurrentEdit

    window = schedule(steward, [hub])

    with pytest.raises(ConcurrentEdit):
        maintenance_cancel(window=window, by=steward, expected_version=window.version + 1)


def test_cancelling_twice_or_after_the_end_is_refused(hub, steward, tuesday):
    window = schedule(steward, [hub])
    maintenance_cancel(window=window, by=steward)
    with pytest.raises(InvalidTransition):
        maintenance_cancel(window=window, by=steward)

    other = schedule(steward, [hub], title="Other")
    tuesday.move_to(NIGHT_END + datetime.timedelta(minutes=1))
    with pytest.raises(InvalidTransition):
        maintenance_cancel(window=other, by=steward)


def test_cancelling_a_running_window_ends_the_maintenance_status(hub, steward, tuesday):
    window = schedule(steward, [hub])
    tuesday.move_to(NIGHT_START + datetime.timedelta(minutes=5))
    maintenance_announce_due()

    maintenance_cancel(window=window, by=steward)

    hub.refresh_from_db()
    assert hub.status == Hub.Status.OPERATIONAL


# --- the staff page ---------------------------------------------------------------------------


def form_data(hub, **overrides):
    data = {
        "hubs": [hub.pk],
        "title": "Kubernetes upgrade",
        "description": "Servers will be restarted.",
        "starts_at": "2026-11-25T02:00",
        "ends_at": "2026-11-25T04:00",
    }
    data.update(overrides)
    return data


def test_staff_schedule_a_window_from_the_page(client, steward, hub, rep):
    client.force_login(steward)

    response = client.post(reverse("availability:maintenance"), form_data(hub))

    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.starts_at == NIGHT_START and list(window.hubs.all()) == [hub]
    assert len(keys("scheduled")) == 1
    page = client.get(reverse("availability:maintenance")).content.decode()
    assert "Kubernetes upgrade" in page


def test_page_shows_warnings_and_schedules_after_confirmation(client, steward, hub):
    client.force_login(steward)
    daytime = form_data(hub, starts_at="2026-11-25T10:00", ends_at="2026-11-25T11:00")

    response = client.post(reverse("availability:maintenance"), daytime)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="maintenance-warnings"' in page and "weekday daytime" in page
    assert 'name="accept_warnings"' in page
    assert 'value="Kubernetes upgrade"' in page  # nothing typed is lost
    assert not MaintenanceWindow.objects.exists()

    response = client.post(
        reverse("availability:maintenance"), {**daytime, "accept_warnings": "on"}
    )

    assert response.status_code == 302
    assert MaintenanceWindow.objects.get().warnings


def test_page_shows_domain_errors_on_the_form(client, steward, hub):
    client.force_login(steward)

    response = client.post(
        reverse("availability:maintenance"),
        form_data(hub, starts_at="2026-11-20T02:00", ends_at="2026-11-20T04:00"),
    )

    assert response.status_code == 200
    assert "cannot start in the past" in response.content.decode()


def test_staff_cancel_from_the_page(client, steward, hub):
    window = schedule(steward, [hub])
    client.force_login(steward)

    response = client.post(
        reverse("availability:maintenance_cancel", args=[window.pk]), {"version": window.version}
    )

    assert response.status_code == 302
    window.refresh_from_db()
    assert window.cancelled_at is not None


def test_staff_override_a_hub_status_from_the_page(client, steward, hub):
    client.force_login(steward)
    url = reverse("availability:hub_override", args=[hub.slug])

    client.post(url, {"status": "degraded", "reason": "Upstream identity provider is slow."})
    hub.refresh_from_db()
    assert (hub.status_override, hub.status_override_reason) == (
        "degraded",
        "Upstream identity provider is slow.",
    )

    client.post(url, {"status": "", "reason": ""})
    hub.refresh_from_db()
    assert hub.status_override == ""


def test_maintenance_page_query_count_is_constant(
    client, steward, community, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(steward)
    hub = HubFactory(community=community)
    schedule(steward, [hub], accept_warnings=True)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("availability:maintenance"))
    for n in range(8):
        more = HubFactory(community=community)
        schedule(
            steward,
            [more, hub],
            title=f"W{n}",
            start=NIGHT_START + datetime.timedelta(days=n + 1),
            end=NIGHT_END + datetime.timedelta(days=n + 1),
            accept_warnings=True,
        )

    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("availability:maintenance"))


# --- permission matrix ------------------------------------------------------------------------


@pytest.fixture
def window(hub, steward):
    return maintenance.maintenance_schedule(
        by=steward,
        hubs=[hub],
        title="Upgrade",
        starts_at=NIGHT_START,
        ends_at=NIGHT_END,
    )


def _client_for(client, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("rep", 403), ("outsider", 403), ("steward", 200), ("admin_user", 200)],
)
@pytest.mark.parametrize("page", ["availability:maintenance", "desk:reliability"])
def test_staff_pages_permission_matrix(client, request, hub, who, expected, page):
    response = _client_for(client, request, who).get(reverse(page))

    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("rep", 403), ("steward", 302), ("admin_user", 302)],
)
@pytest.mark.parametrize("action", ["schedule", "cancel", "override"])
def test_staff_actions_permission_matrix(client, request, hub, window, who, expected, action):
    client = _client_for(client, request, who)
    if action == "schedule":
        url = reverse("availability:maintenance")
        data = form_data(hub, title="Another", accept_warnings="on")
    elif action == "cancel":
        url, data = reverse("availability:maintenance_cancel", args=[window.pk]), {}
    else:
        url = reverse("availability:hub_override", args=[hub.slug])
        data = {"status": "outage", "reason": "Testing"}

    response = client.post(url, data)

    assert response.status_code == expected
    changed = (
        MaintenanceWindow.objects.filter(title="Another").exists()
        or MaintenanceWindow.objects.filter(cancelled_at__isnull=False).exists()
        or Hub.objects.filter(status_override="outage").exists()
    )
    assert changed == (who in ("steward", "admin_user"))


@pytest.mark.parametrize("who", ["anonymous", "rep", "steward", "admin_user"])
@pytest.mark.parametrize("url", ["/status/", "/status/feed/", "/status/hubs/alpha-hub/"])
def test_public_pages_are_open_to_everyone(client, request, hub, who, url):
    assert _client_for(client, request, who).get(url).status_code == 200
