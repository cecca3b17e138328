"""Who may do what. Every view, API endpoint and admin action asks these, never the raw flags.

- staff (engineers, project managers, admins): the whole desk;
- a representative: their one community, public conversation only;
- a hub administrator: read-only in their communities.
"""

from __future__ import annotations

from django.utils.translation import gettext

from accounts.models import Invitation
from communities.models import Community, Membership
from supportdesk.errors import PermissionDenied


def is_staff_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def check_staff(user, action: str) -> None:
    """The one rule every staff-only service asks first: "Only the support team can <action>."
    (a PermissionDenied, 403 at the edges) unless `user` is on the support team. `action` is
    marked with gettext_noop by the caller and translated here, in the reader's language."""
    if not is_staff_member(user):
        raise PermissionDenied(
            gettext("Only the support team can %(action)s.") % {"action": gettext(action)}
        )


def is_engineer(user) -> bool:
    return is_staff_member(user) and hasattr(user, "engineer")


def is_project_manager(user) -> bool:
    return is_staff_member(user) and user.is_project_manager


def representative_community(user) -> Community | None:
    """The community a user speaks for, or None. Cached on the user object per request."""
    if not (user and user.is_authenticated):
        return None
    if not hasattr(user, "_represented_community"):
        membership = (
            Membership.objects.select_related("community")
            .filter(user=user, role=Membership.Role.REPRESENTATIVE, community__is_active=True)
            .first()
        )
        user._represented_community = membership.community if membership else None
    return user._represented_community


def member_community_ids(user) -> set[int]:
    """Communities a user may read: represented or hub-administered. Cached on the user object
    per request, like representative_community (a page asks it up to three times)."""
    if not (user and user.is_authenticated):
        return set()
    if not hasattr(user, "_member_community_ids"):
        user._member_community_ids = frozenset(
            Membership.objects.filter(user=user, community__is_active=True).values_list(
                "community_id", flat=True
            )
        )
    return set(user._member_community_ids)


def is_admin(user) -> bool:
    return is_staff_member(user) and user.is_superuser


def may_manage_community_people(user, community) -> bool:
    """Who invites representatives of a community: an admin, or an engineer (support stewards
    are every community's point of contact, DOMAIN.md)."""
    if community is None or not community.is_active:
        return False
    return is_admin(user) or is_engineer(user)


def may_invite(user, *, role: str, community=None) -> bool:
    """Representatives: for a community the inviter may manage. Engineers and the project
    manager: admins only. A representative or hub administrator invites nobody."""
    if role == Invitation.Role.REPRESENTATIVE:
        return may_manage_community_people(user, community)
    return is_admin(user)
