"""Action items of an incident report: what we change so that it does not happen again, each
with the follow-up issue that tracks it, tracked to done also after the report is published
(by staff, or by the follow-up issue closing: integrations/github.py)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import User
from accounts.roles import check_staff, is_staff_member
from incidents.models import ActionItem, IncidentReport
from incidents.services.common import _lock_report
from supportdesk.errors import DomainError
from supportdesk.events import emit as emit_event


@transaction.atomic
def action_item_add(
    *, report: IncidentReport, by: User, description: str, follow_up_url: str, owner=None
) -> ActionItem:
    check_staff(by, gettext_noop("add action items"))
    description = (description or "").strip()
    follow_up_url = (follow_up_url or "").strip()
    if not description:
        raise DomainError(gettext("Describe the action item."), field="description")
    if not follow_up_url:
        raise DomainError(
            gettext("Link the follow-up issue that tracks it."), field="follow_up_url"
        )
    if owner is not None and not is_staff_member(owner):
        raise DomainError(gettext("Action items are owned by members of the team."), field="owner")
    report = _lock_report(report)
    item = ActionItem.objects.create(
        report=report,
        description=description[:500],
        follow_up_url=follow_up_url,
        owner=owner,
        created_at=timezone.now(),
    )
    report.version += 1
    report.save(update_fields=["version", "updated_at"])
    emit_event("action_item_added", item=item)
    return item


@transaction.atomic
def action_item_set_done(*, item: ActionItem, by: User, done: bool) -> ActionItem:
    """Tracked to done, also after the report is published."""
    check_staff(by, gettext_noop("update action items"))
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done == done:
        return item
    item.done = done
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_at"])
    return item


@transaction.atomic
def action_item_follow_up_changed(*, item: ActionItem, done: bool) -> ActionItem:
    """The follow-up issue of an action item closed (done) or reopened (not done)."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if item.done == done:
        return item
    item.done = done
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_at"])
    return item
