"""Reads for the rotation pages. The rotation is staff business: views check
`accounts.roles.is_staff_member` before calling these."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User
from accounts.roles import is_staff_member
from rotation import services
from rotation.models import Engineer


@dataclass(frozen=True)
class FeedLink:
    engineer: Engineer
    subscribe_path: str  # signed: for calendar apps, which cannot log in
    download_path: str  # staff login


def engineer_feeds() -> list[FeedLink]:
    """Each rostered engineer's calendar links, in roster order."""
    return [
        FeedLink(
            engineer=engineer,
            subscribe_path=reverse(
                "rotation:ics_feed", kwargs={"token": services.ics_token_for(engineer=engineer)}
            ),
            download_path=reverse("rotation:engineer_ics", kwargs={"engineer_id": engineer.pk}),
        )
        for engineer in services.roster()
    ]


def engineer_for_calendar(*, user: User, engineer_id: int) -> Engineer | None:
    """The active engineer whose calendar ``user`` may download (staff: anyone's), else None."""
    if not is_staff_member(user):
        return None
    return (
        Engineer.objects.select_related("user")
        .filter(pk=engineer_id, is_active=True, user__is_active=True)
        .first()
    )
