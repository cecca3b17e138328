"""Bulk actions on requests selected in the queue: assign, categorise, set priority factors,
close as a duplicate. Each row goes through the very service a single-request action uses
(tickets.services), in its own transaction, so one refusal (a closed request, a stale version,
another community) neither stops nor undoes the others; every row gets its own result."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext

from accounts.roles import is_staff_member
from supportdesk.errors import DomainError, PermissionDenied
from tickets import services
from tickets.models import SupportRequest
from tickets.selectors import request_scope_for

MAX_ROWS = 100  # the queue's largest page
ACTIONS = {
    "assign": "Assign to",
    "categorise": "Categorise as",
    "priority": "Set priority factors",
    "duplicate": "Close as duplicate of",
}
PRIORITY_FACTORS = (
    "has_dedicated_funding",
    "impacts_many_communities",
    "aligns_with_team_goals",
    "aligns_with_upstream_goals",
    "high_single_community_impact",
)


@dataclass(frozen=True)
class RowResult:
    pk: int
    reference: str
    subject: str
    ok: bool
    message: str


def _describe(action: str, r: SupportRequest, params: dict) -> str:
    if action == "assign":
        return f"Assigned to {params['assignee']}."
    if action == "categorise":
        return f"Categorised: {r.get_category_display()}."
    if action == "priority":
        return f"Rank {r.priority_rank}."
    return f"Closed as a duplicate of {params['original'].reference}."


def _run(action: str, r: SupportRequest, by, params: dict) -> SupportRequest:
    if action == "assign":
        return services.request_assign(support_request=r, by=by, assignee=params["assignee"])
    if action == "categorise":
        return services.request_triage(
            support_request=r, by=by, category=params["category"], expected_version=None
        )
    if action == "priority":
        factors = {name: params.get(name) for name in PRIORITY_FACTORS}
        return services.request_set_priority(
            support_request=r, by=by, expected_version=None, **factors
        )
    if action == "duplicate":
        return services.request_close_as_duplicate(
            support_request=r, by=by, original=params["original"]
        )
    raise DomainError(
        gettext("Unknown action %(action)s.") % {"action": repr(action)}, field="action"
    )


def bulk_apply(*, by, ids: list[int], action: str, params: dict) -> list[RowResult]:
    """Apply `action` to the requests `ids` (in that order, at most MAX_ROWS), as `by`.
    `params`: assign {"assignee": User}; categorise {"category": str}; priority {factor: bool
    or None (keep)}; duplicate {"original": SupportRequest}. A request outside `by`'s scope
    is refused like one that does not exist."""
    if not is_staff_member(by):
        raise PermissionDenied(
            gettext("Only the support team can act on several requests at once.")
        )
    if action not in ACTIONS:
        raise DomainError(
            gettext("Unknown action %(action)s.") % {"action": repr(action)}, field="action"
        )
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_ROWS:
        raise DomainError(
            gettext("Select at most %(limit)s requests at once.") % {"limit": MAX_ROWS}, field="ids"
        )
    scope: QuerySet[SupportRequest] = request_scope_for(user=by).select_related("community")
    found = {r.pk: r for r in scope.filter(pk__in=ids)}
    results = []
    for pk in ids:
        r = found.get(pk)
        if r is None:
            results.append(RowResult(pk, f"SD-{pk}", "", False, "No such request."))
            continue
        try:
            updated = _run(action, r, by, params)
        except (DomainError, PermissionDenied) as exc:
            message = getattr(exc, "message", None) or str(exc)
            results.append(RowResult(pk, r.reference, r.subject, False, message))
        else:
            results.append(
                RowResult(pk, r.reference, r.subject, True, _describe(action, updated, params))
            )
    return results
