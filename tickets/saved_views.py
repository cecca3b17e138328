"""Saved views of the queue: a name and a querystring (filters and order), owned by one steward.
The querystring is the whole view, so any queue URL is already shareable; a saved view adds a
name, a place in its owner's list and a short link (/desk/views/<id>/) that any staff member
can open."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext

from accounts.roles import is_staff_member
from supportdesk.errors import DomainError, PermissionDenied
from tickets.models import SavedView

# The query parameters a view keeps (the queue's filters, order and page size); anything else
# (the page number, stray parameters) is dropped.
KEPT = (
    "state",
    "category",
    "community",
    "assignee",
    "due",
    "likely_incident",
    "q",
    "sort",
    "per_page",
)
MAX_VIEWS = 50


def clean_query(querystring: str) -> str:
    """The kept parameters of `querystring`, empty values left out, in a stable order."""
    given = QueryDict(querystring or "")
    kept = QueryDict(mutable=True)
    for name in KEPT:
        for value in given.getlist(name):
            value = value.strip()
            if value:
                kept.appendlist(name, value[:200])
    return kept.urlencode()


def saved_views_for(*, user):
    return SavedView.objects.filter(owner=user).order_by("name", "pk")


@transaction.atomic
def saved_view_save(*, owner, name: str, querystring: str) -> SavedView:
    """Save (or overwrite, by name) one of `owner`'s views."""
    if not is_staff_member(owner):
        raise PermissionDenied(gettext("Only the support team can save views of the queue."))
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(gettext("Give the view a name."), field="name")
    if len(name) > 80:
        raise DomainError(gettext("Keep the name within 80 characters."), field="name")
    query = clean_query(querystring)
    existing = SavedView.objects.filter(owner=owner, name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    if SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS:
        raise DomainError(
            gettext("You have %(limit)s saved views: delete one first.") % {"limit": MAX_VIEWS},
            field="name",
        )
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name, query=query)
    except IntegrityError as exc:  # the same name saved twice at once
        raise DomainError(gettext("You already have a view with this name."), field="name") from exc


@transaction.atomic
def saved_view_delete(*, owner, pk) -> None:
    """Delete one of `owner`'s own views (another's is not found)."""
    deleted, _ = SavedView.objects.filter(owner=owner, pk=pk).delete()
    if not deleted:
        raise DomainError(gettext("No such saved view."), field="view")
