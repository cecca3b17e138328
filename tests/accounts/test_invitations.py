"""Invitations: who may invite whom, the signed single-use 7-day link, re-send, revoke, and
the page every unusable link gets (never a 500)."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, User
from communities.models import Membership
from notifications.models import Notification
from notifications.services import deliver
from supportdesk.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sent_link(email: str) -> str:
    """Deliver the pending invitation e-mails and return the path of the newest link to
    `email`, read from the mail itself."""
    for n in Notification.objects.filter(kind="invitation", status="pending"):
        deliver(notification_id=n.pk)
    body = [m for m in mail.outbox if m.to == [email]][-1].body
    return re.search(r"https?://[^/\s]+(/invitations/accept/\S+/)", body).group(1)


def accept(client, path, username="newrep", **extra):
    data = {
        "username": username,
        "first_name": "Nia",
        "last_name": "Rep",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post(path, data)


def test_an_admin_invites_a_representative_who_sets_a_password(client, admin_user, community):
    invitation = services.invitation_create(
        by=admin_user, email="Nia@Example.org", role="representative", community=community
    )
    assert invitation.email == "nia@example.org"
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=7)
    path = sent_link("nia@example.org")
    page = client.get(path)
    assert page.status_code == 200
    assert "Alpha Research" in page.content.decode()
    response = accept(client, path)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="newrep")
    assert user.email == "nia@example.org" and user.check_password(PASSWORD)
    assert Membership.objects.get(user=user).community == community
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/requests/new/").status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.state == "accepted"


def test_the_link_works_once(client, admin_user, community):
    services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    path = sent_link("nia@example.org")
    accept(client, path)
    client.logout()
    again = client.get(path)
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert accept(client, path, username="second").status_code == 410
    assert not User.objects.filter(username="second").exists()


def test_an_expired_link_gets_a_clear_page(client, admin_user, community):
    services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    path = sent_link("nia@example.org")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, seconds=1)):
        response = client.get(path)
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert accept(client, path).status_code == 410
    assert not User.objects.filter(username="newrep").exists()


def test_still_valid_just_before_seven_days(client, admin_user, community):
    services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    path = sent_link("nia@example.org")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6, hours=23)):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/invitations/accept/garbage/", "/invitations/accept/eyJpIjoxfQ:bad:sig/"]
)
def test_a_tampered_link_gets_a_clear_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_resending_replaces_the_link_and_extends_it(client, admin_user, community):
    invitation = services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    old = sent_link("nia@example.org")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6)):
        client.force_login(admin_user)
        client.post(f"/invitations/{invitation.pk}/resend/")
        client.logout()
        new = sent_link("nia@example.org")
        assert new != old
        assert client.get(old).status_code == 410
        assert "newer invitation" in client.get(old).content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=12)):
        assert client.get(new).status_code == 200


def test_a_revoked_link_stops_working(client, admin_user, community):
    invitation = services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    path = sent_link("nia@example.org")
    client.force_login(admin_user)
    client.post(f"/invitations/{invitation.pk}/revoke/")
    client.logout()
    response = client.get(path)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_an_engineer_invitation_makes_staff_off_the_roster(client, admin_user):
    services.invitation_create(
        by=admin_user, email="eng@example.org", role="engineer", country="de"
    )
    accept(client, sent_link("eng@example.org"), username="neweng")
    user = User.objects.get(username="neweng")
    assert user.is_staff and not user.is_superuser
    assert user.engineer.country == "DE" and user.engineer.is_active is False


def test_a_project_manager_invitation(client, admin_user):
    services.invitation_create(by=admin_user, email="pm2@example.org", role="project_manager")
    accept(client, sent_link("pm2@example.org"), username="newpm")
    user = User.objects.get(username="newpm")
    assert user.is_staff and user.is_project_manager


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password2": "different"}, "differ"),
        ({"password1": "password", "password2": "password"}, "too common"),
        ({"username": "rep_a"}, "taken"),
        ({"username": "bad name!"}, "Enter a valid username"),
    ],
)
def test_bad_accept_input_redisplays_the_form(client, admin_user, community, rep, data, message):
    services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    path = sent_link("nia@example.org")
    response = accept(client, path, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Invitation.objects.get().state == "pending"


def test_an_address_with_an_account_or_a_pending_invitation_is_refused(admin_user, community, rep):
    with pytest.raises(DomainError, match="already has an account"):
        services.invitation_create(
            by=admin_user, email="REP_A@example.org", role="representative", community=community
        )
    services.invitation_create(
        by=admin_user, email="x@example.org", role="representative", community=community
    )
    with pytest.raises(DomainError, match="pending invitation"):
        services.invitation_create(
            by=admin_user, email="x@example.org", role="representative", community=community
        )


def test_sending_twice_sends_one_mail(admin_user, community):
    invitation = services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    services._send_invitation(invitation)
    assert Notification.objects.filter(kind="invitation").count() == 1


# --- Permission matrix --------------------------------------------------------------------

ROLES = ["representative", "engineer", "project_manager"]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("admin_user", {"representative", "engineer", "project_manager"}),
        ("steward", {"representative"}),  # an engineer: any community's representatives
        ("project_manager", set()),
        ("rep", set()),
        ("outsider", set()),
    ],
)
def test_who_may_invite_whom(request, community, who, allowed):
    inviter = request.getfixturevalue(who)
    for role in ROLES:
        kwargs = {"community": community} if role == "representative" else {}
        email = f"{who}-{role}@example.org"
        if role in allowed:
            services.invitation_create(by=inviter, email=email, role=role, **kwargs)
        else:
            with pytest.raises(PermissionDenied):
                services.invitation_create(by=inviter, email=email, role=role, **kwargs)


def test_nobody_invites_for_an_inactive_community(admin_user, community):
    community.is_active = False
    community.save()
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            by=admin_user, email="x@example.org", role="representative", community=community
        )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("outsider", 404),
        ("rep", 404),
        ("other_rep", 404),
        ("project_manager", 403),
        ("steward", 200),
        ("admin_user", 200),
    ],
)
def test_community_people_page_matrix(client, request, community, who, status):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(f"/communities/{community.slug}/people/")
    assert response.status_code == status
    posted = client.post(f"/communities/{community.slug}/people/", {"email": f"{who}@x.example"})
    created = Invitation.objects.filter(email=f"{who}@x.example").exists()
    assert created == (status == 200)
    if status == 200:
        assert posted.status_code == 302


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("outsider", 403),
        ("rep", 403),
        ("project_manager", 403),
        ("steward", 200),
        ("admin_user", 200),
    ],
)
def test_invite_page_matrix(client, request, who, status):
    if who:
        client.force_login(request.getfixturevalue(who))
    assert client.get("/invitations/").status_code == status


def test_an_engineer_cannot_invite_staff_through_the_page(client, steward):
    client.force_login(steward)
    response = client.post("/invitations/", {"email": "x@example.org", "role": "engineer"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("who", "may"),
    [
        ("outsider", False),
        ("rep", False),
        ("project_manager", False),
        ("steward", True),
        ("admin_user", True),
    ],
)
def test_resend_and_revoke_matrix(client, request, admin_user, community, who, may):
    invitation = services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    client.force_login(request.getfixturevalue(who))
    resend = client.post(f"/invitations/{invitation.pk}/resend/")
    revoke = client.post(f"/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert (resend.status_code, revoke.status_code) == ((302, 302) if may else (403, 403))
    assert (invitation.revoked_at is not None) == may


def test_an_engineer_cannot_resend_a_staff_invitation(client, admin_user, steward):
    invitation = services.invitation_create(by=admin_user, email="e@example.org", role="engineer")
    client.force_login(steward)
    assert client.post(f"/invitations/{invitation.pk}/revoke/").status_code == 403


def test_the_community_page_lists_members_and_pending(client, admin_user, community, rep):
    services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    client.force_login(admin_user)
    page = client.get(f"/communities/{community.slug}/people/").content.decode()
    assert "Ada Rep" in page and "nia@example.org" in page


def test_a_logged_in_person_opening_a_link_is_asked_to_log_out(client, admin_user, community):
    services.invitation_create(
        by=admin_user, email="nia@example.org", role="representative", community=community
    )
    path = sent_link("nia@example.org")
    client.force_login(admin_user)
    page = client.get(path)
    assert "Log out first" in page.content.decode()
    assert client.post(path, {"username": "x"}).status_code == 200
    assert not User.objects.filter(username="x").exists()


def test_make_run_prints_a_working_demo_invitation_link(client):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())
    assert Invitation.objects.filter(email="new-rep@example.org").count() == 1
    printed = io.StringIO()
    call_command("seed_demo", "--logins-only", stdout=printed)
    path = re.search(r"https?://[^/\s]+(/invitations/accept/\S+/)", printed.getvalue()).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Pangeo" in page.content.decode()
