"""The queue's table rows, written in Python.

Rendered by the template engine, the 25 rows of a page were its largest cost: about 40 variable
lookups, two includes and a `blocktranslate` per row, some 4.5 ms of the queue's 15 ms of CPU
(issue 21). Here each row is one string, with the same markup and the same escaping
(tests/tickets/test_queue_rows.py compares it with the template's). The table around the rows,
its headers and the empty row stay in tickets/queue.html; the labels are the template's own
translations (the same message ids), read once per page."""

from __future__ import annotations

import html
from collections.abc import Iterable

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from supportdesk.urlbuild import pk_url
from tickets.models import SupportRequest
from tickets.priority import RANK_LABELS, RANK_SHORT

_DUE_CLASSES = {"overdue": "due-overdue", "excused": "due-excused", "soon": "due-soon"}
_STATUS_CLASSES = {"new": " badge-warn", "resolved": " badge-ok"}


def _text(value) -> str:
    """`{{ value }}` in a template: escaped unless already safe (conditional_escape, without
    its lazy-string wrapper, which was a tenth of the rows' time)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _labels() -> dict[str, str]:
    """The column labels, badges and choice labels, translated once for the page (escaped)."""
    words = {
        "community": gettext("Community"),
        "hub": gettext("Hub"),
        "category": gettext("Category"),
        "state": gettext("State"),
        "assignee": gettext("Assignee"),
        "rank": gettext("Rank"),
        "next_deadline": gettext("Next deadline"),
        "email": gettext("E-mail"),
        "likely_incident": gettext("Likely incident"),
        "unassigned": gettext("Unassigned"),
        "untriaged": gettext("Not yet triaged"),
    }
    labels = {key: _text(value) for key, value in words.items()}
    for field in ("category", "status"):
        for value, label in SupportRequest._meta.get_field(field).flatchoices:
            labels[f"{field}:{value}"] = _text(label)
    return labels


def _category_badge(r: SupportRequest, labels: dict[str, str]) -> str:
    """tickets/_category_badge.html"""
    if not r.category:
        return f'<span class="badge badge-warn">{labels["untriaged"]}</span>'
    label = labels.get(f"category:{r.category}") or _text(r.category)
    kind = " badge-bad" if r.category == SupportRequest.Category.INCIDENT else ""
    return f'<span class="badge{kind}">{label}</span>'


def _status_badge(r: SupportRequest, labels: dict[str, str]) -> str:
    """tickets/_status_badge.html"""
    label = labels.get(f"status:{r.status}") or _text(r.status)
    return f'<span class="badge{_STATUS_CLASSES.get(r.status, "")}">{label}</span>'


def _due(r: SupportRequest, zone, days: dict) -> str:
    if not getattr(r, "due_text", ""):
        return '<span class="muted">—</span>'
    when = r.next_due_at.astimezone(zone)  # |date converts to the active zone first
    # |date:'D j M Y, H:i e', with the translated day written once per date of the page.
    day = days.get(when.date())
    if day is None:
        day = days[when.date()] = date_format(when, "D j M Y")
    title = f"{day}, {when:%H:%M} {when.tzname() or ''}"
    state = _DUE_CLASSES.get(r.due_state, "")
    return (
        f'<div>\n          <span class="small muted">{_text(r.due_label)}</span><br>\n'
        f'          <span class="{state}"><time datetime="{when.isoformat()}" '  # |date:'c'
        f'title="{_text(title)}">{_text(r.due_text)}</time>'
        "</span>\n        </div>"
    )


def queue_rows(rows: Iterable[SupportRequest], *, searching: bool) -> SafeString:
    """The <tr> of each row of the queue's table (requests with annotate_deadlines' attributes,
    and search_subject / search_snippet when searching)."""
    labels = _labels()
    desk_url = pk_url("tickets:desk_request")  # one reverse() for the whole page
    zone, days = timezone.get_current_timezone(), {}
    select = gettext("Select %(reference)s")  # the template's blocktranslate: not escaped
    out = []
    for r in rows:
        pk, reference = str(r.pk), _text(r.reference)
        subject = getattr(r, "search_subject", "") if searching else ""
        badges = ""
        if r.channel == "email":
            badges += f'\n        <span class="badge">{labels["email"]}</span>'
        if r.likely_incident and r.category != "incident":
            badges += f'\n        <span class="badge badge-bad">{labels["likely_incident"]}</span>'
        snippet = getattr(r, "search_snippet", "") if searching else ""
        if snippet:
            badges += f'\n        <div class="search-snippet small">{_text(snippet)}</div>'
        if r.assignee_id is not None:
            assignee = _text(r.assignee)
        else:
            assignee = f'<span class="muted">{labels["unassigned"]}</span>'
        rank = r.priority_rank
        out.append(
            f'\n    <tr id="request-{pk}">\n'
            f'      <td class="select-cell"><input type="checkbox" name="ids" value="{pk}" '
            f'id="select-{pk}" form="bulk-form" class="row-select"><label for="select-{pk}" '
            f'class="visually-hidden">{select % {"reference": reference}}</label>'
            f'<input type="hidden" name="page_ids" value="{pk}" form="bulk-form"></td>\n'
            f'      <td>\n        <a href="{desk_url(r.pk)}"><strong>{reference}</strong></a> '
            f"{_text(subject) if subject else _text(r.subject)}{badges}\n      </td>\n"
            f'      <td data-label="{labels["community"]}">{_text(r.community)}</td>\n'
            f'      <td data-label="{labels["hub"]}">{_text(r.hub) if r.hub else "—"}</td>\n'
            f'      <td data-label="{labels["category"]}">{_category_badge(r, labels)}</td>\n'
            f'      <td data-label="{labels["state"]}">{_status_badge(r, labels)}</td>\n'
            f'      <td data-label="{labels["assignee"]}">{assignee}</td>\n'
            f'      <td data-label="{labels["rank"]}"><span class="rank" '
            f'title="{_text(RANK_LABELS.get(rank, ""))}">{rank} '
            f'<span class="rank-factor">{_text(RANK_SHORT.get(rank, ""))}</span></span></td>\n'
            f'      <td class="due" data-label="{labels["next_deadline"]}">\n'
            f"        {_due(r, zone, days)}\n      </td>\n    </tr>"
        )
    return SafeString("".join(out))


def my_request_rows(rows: Iterable[SupportRequest]) -> SafeString:
    """The <tr> of each row of the representative's list (tickets/my_requests.html), requests
    with annotate_waiting's `waiting`; written in Python for the same reason as queue_rows (the
    rows were 5 ms of the page's 13 ms)."""
    labels = _labels()
    words = {
        "whose_move": gettext("Whose move"),
        "received": gettext("Received"),
        "last_update": gettext("Last update"),
        "incident": gettext("Incident"),
    }
    labels.update({key: _text(value) for key, value in words.items()})
    detail_url = pk_url("tickets:detail")
    zone, days = timezone.get_current_timezone(), {}

    def when(moment) -> str:
        """<time> of |date:'c' and |date:"j M Y, H:i", the day's words written once a date."""
        moment = moment.astimezone(zone)
        day = days.get(moment.date())
        if day is None:
            day = days[moment.date()] = date_format(moment, "j M Y")
        return f'<time datetime="{moment.isoformat()}">{_text(day)}, {moment:%H:%M}</time>'

    out = []
    for r in rows:
        incident = r.category == SupportRequest.Category.INCIDENT
        row_class = ' class="row-incident"' if r.likely_incident or incident else ""
        if incident:
            badge = f'<span class="badge badge-bad">{labels["incident"]}</span>'
        elif r.likely_incident:
            badge = (
                f'<span class="badge badge-bad likely-incident">{labels["likely_incident"]}</span>'
            )
        else:
            badge = ""
        waiting = r.waiting
        waiting_class = f"waiting waiting-{_text(waiting.party or 'none')}"
        if waiting.overdue:
            waiting_class += " due-overdue"
        if r.category:
            category = labels.get(f"category:{r.category}") or _text(r.category)
        else:
            category = f'<span class="muted">{labels["untriaged"]}</span>'
        out.append(
            f'\n    <tr id="request-{r.pk}"{row_class}>\n'
            f'      <td><a href="{detail_url(r.pk)}"><strong>{_text(r.reference)}</strong> '
            f"{_text(r.subject)}</a>\n        {badge}</td>\n"
            f'      <td data-label="{labels["whose_move"]}" class="{waiting_class}">'
            f"{_text(waiting.text)}</td>\n"
            f'      <td data-label="{labels["hub"]}">{_text(r.hub) if r.hub else "—"}</td>\n'
            f'      <td data-label="{labels["state"]}">{_status_badge(r, labels)}</td>\n'
            f'      <td data-label="{labels["category"]}">{category}</td>\n'
            f'      <td data-label="{labels["received"]}">{when(r.received_at)}</td>\n'
            f'      <td data-label="{labels["last_update"]}">{when(r.updated_at)}</td>\n'
            "    </tr>"
        )
    return SafeString("".join(out))
