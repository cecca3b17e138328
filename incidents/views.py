"""Incident pages. Thin: parse a form, call a service, turn a DomainError into a form error.

Access (see incidents/selectors.py): staff see and do everything; members of an affected
community see the incident read-only (public entries only) and representatives may confirm that
service is back; others get a 404 for incidents outside their scope. Published reports are
public pages."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import staff_required
from accounts.models import User
from accounts.roles import is_staff_member, member_community_ids
from incidents import forms, paging, rules, selectors
from incidents.models import ActionItem, Incident, IncidentReport, RoleAssignment
from incidents.report import (
    filename,
    impact_duration,
    render_report_html,
    render_report_markdown,
    render_report_pdf,
    report_context,
)
from incidents.services import action_items, assignments, lifecycle, live_log, reports, updates
from slo.services import incident_calendar, is_overdue, remaining_text
from slo.timebox import timebox_state
from supportdesk import idempotency, worktime
from supportdesk.errors import DomainError, refusal
from supportdesk.formactions import add_domain_error, form_submit
from tickets.models import SupportRequest

SOON = 30 * 60  # seconds of working time left under which a deadline shows as "soon"


# --- Helpers ----------------------------------------------------------------------------------
def _incident_or_404(request, pk: int) -> Incident:
    try:
        return selectors.incident_for_user(user=request.user, pk=pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None


def _request_url(support_request: SupportRequest) -> str:
    """The staff page of a request."""
    try:
        return reverse("tickets:desk_request", args=[support_request.pk])
    except NoReverseMatch:  # the tickets pages are optional for this app
        return ""


def _deadline(due, *, calendar, now) -> dict | None:
    if due is None:
        return None
    overdue = is_overdue(due, now=now)
    left = worktime.working_time_between(now, due, calendar) if not overdue else None
    return {
        "at": due,
        "text": remaining_text(due, calendar=calendar, now=now),
        "overdue": overdue,
        "soon": left is not None and left.total_seconds() <= SOON,
    }


def _not_before(value, floor):
    """A datetime-local input has minutes only: "now" typed in the minute an incident was
    declared reads as before its impact start. Such a value means the start itself."""
    if value is not None and floor is not None and floor.replace(second=0, microsecond=0) <= value:
        return max(value, floor)
    return value


def _war_room_context(request, incident: Incident, **overrides) -> dict:
    now = timezone.now()
    calendar = incident_calendar()
    roles = selectors.current_roles(incident=incident)
    user = request.user
    report = IncidentReport.objects.filter(incident=incident).first()
    linked = [
        (r, _request_url(r)) for r in incident.requests.select_related("community").order_by("pk")
    ]
    context = {
        "incident": incident,
        "hubs": list(incident.hubs.select_related("community")),
        "roles": roles,
        "role_history": selectors.role_history(incident=incident),
        "entries": selectors.timeline_for(incident=incident, user=user),
        "update_due": _deadline(incident.next_update_due_at, calendar=calendar, now=now)
        if incident.is_open
        else None,
        "escalation_due": _deadline(incident.escalation_due_at, calendar=calendar, now=now)
        if incident.is_open and not incident.escalated_at
        else None,
        "auto_close_due": _deadline(incident.auto_close_due_at, calendar=calendar, now=now),
        "timebox": timebox_state(due=incident.escalation_due_at, calendar=calendar, now=now)
        if incident.is_open and not incident.escalated_at and incident.escalation_due_at
        else None,
        # What the services would refuse is not offered (the rules say why).
        "may_update": refusal(rules.check_send_update, incident=incident, user=user, roles=roles)
        is None,
        "can_resolve": refusal(rules.check_resolve, incident=incident) is None,
        "report": report,
        "close_blocker": refusal(rules.check_close, incident=incident, now=now),
        "linked_requests": linked,
        "is_commander": roles.holds(user, RoleAssignment.Role.COMMANDER),
        "staff": True,
        "entry_form": forms.TimelineEntryForm(initial={"kind": "note"}),
        "handoff_form": forms.HandoffForm(),
        "sme_form": forms.SMEForm(),
        "update_form": forms.UpdateForm(
            initial={"body": updates.prefill_update_body(incident, by=user)}
        ),
        "resolve_form": forms.ResolveForm(
            initial={
                "impact_ended_at": now,
                "message": updates.prefill_resolution_message(incident, by=user),
            }
        ),
        "impact_form": forms.ImpactStartForm(initial={"at": incident.impact_started_at}),
        "now": now,
    }
    context.update(overrides)
    return context


def _render_war_room(request, incident: Incident, *, status: int = 200, **overrides):
    return render(
        request,
        "incidents/war_room.html",
        _war_room_context(request, incident, **overrides),
        status=status,
    )


def _to_detail(incident: Incident, anchor: str = ""):
    url = reverse("incidents:detail", args=[incident.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _incident_action(form_class=None, form_name: str = ""):
    """A staff-only POST on one incident: scope (404), role (403), form, service call. The
    decorated function gets (request, incident, data) and returns a success message; a
    DomainError re-renders the war room with the bound form and the error."""

    def decorate(action):
        @wraps(action)
        @login_required
        @require_POST
        def wrapper(request, pk: int):
            incident = _incident_or_404(request, pk)
            if not is_staff_member(request.user):
                raise HttpForbidden
            form = form_class(request.POST) if form_class else None
            result = form_submit(form, lambda data: action(request, incident, data))
            if result.ok:
                messages.success(request, result.value)
                return _to_detail(incident, form_name.removesuffix("_form"))
            messages.error(request, result.message)
            if result.error is not None:
                incident.refresh_from_db()
            overrides = {form_name: form} if form is not None else {}
            return _render_war_room(request, incident, status=result.status, **overrides)

        return wrapper

    return decorate


# --- Staff pages ------------------------------------------------------------------------------
@login_required
@require_GET
def incident_list(request):
    if not selectors.can_view_incidents(request.user):
        raise HttpForbidden
    state = request.GET.get("state", "")
    incidents = selectors.incident_list(user=request.user, filters={"state": state})
    page = Paginator(incidents, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/incident_list.html",
        {
            "page": page,
            "incidents": page.object_list,
            "states": Incident.State.choices,
            "state": state,
            "staff": is_staff_member(request.user),
            "now": timezone.now(),
        },
    )


def _declare_initial(support_request: SupportRequest | None) -> dict:
    if support_request is None:
        return {"detected_by": Incident.Detection.COMMUNITY}
    r = support_request
    symptom = rules.symptom_of(**{flag: getattr(r, flag) for flag in rules.SYMPTOM_FLAGS.values()})
    return {
        "title": r.subject,
        "hubs": [r.hub_id] if r.hub_id else [],
        "symptom": symptom,
        "affected_users": r.affected_users,
        "detected_by": Incident.Detection.COMMUNITY,
        "request": r.pk,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def declare(request):
    raw = request.POST.get("request") if request.method == "POST" else request.GET.get("request")
    support_request = None
    if raw:
        if not str(raw).isdigit():
            raise Http404("No such request.")
        support_request = get_object_or_404(
            SupportRequest.objects.select_related("community", "hub"), pk=raw
        )
    if request.method == "POST":
        # A double-clicked "Declare": the first POST declared it, this one goes to it.
        token = request.POST.get("submission_token", "")
        done = idempotency.web_replay(user=request.user, form="declare", token=token)
        if done:
            return redirect(done)
        form = forms.DeclareForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data

            def create() -> str:
                incident = lifecycle.incident_declare(
                    by=request.user,
                    hubs=data["hubs"],
                    title=data["title"],
                    symptom=data["symptom"],
                    affected_users=data["affected_users"],
                    detected_by=data["detected_by"],
                    summary=data["summary"],
                    from_request=support_request,
                    override_reason=data["override_reason"],
                    impact_started_at=data["impact_started_at"],
                )
                messages.success(
                    request,
                    gettext("%(reference)s declared. You are the Incident Commander.")
                    % {"reference": incident.reference},
                )
                return reverse("incidents:detail", args=[incident.pk])

            try:
                location = idempotency.web_once(
                    user=request.user, form="declare", token=token, create=create
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return redirect(location)
        status = 400
    else:
        form = forms.DeclareForm(initial=_declare_initial(support_request))
        status = 200
    definition_failed = form.is_bound and "override_reason" in form.errors
    return render(
        request,
        "incidents/declare.html",
        {
            "form": form,
            "support_request": support_request,
            "definition_failed": definition_failed,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request, pk: int):
    incident = _incident_or_404(request, pk)
    if is_staff_member(request.user):
        return _render_war_room(request, incident)
    report = IncidentReport.objects.published().filter(incident=incident).first()
    return render(
        request,
        "incidents/incident_public.html",
        {
            "incident": incident,
            "hubs": [
                h
                for h in incident.hubs.select_related("community")
                if h.community_id in _member_ids(request.user)
            ],
            "entries": selectors.timeline_for(incident=incident, user=request.user),
            "report": report,
            "can_confirm": not incident.community_confirmed_at
            and refusal(rules.check_community_confirm, incident=incident, user=request.user)
            is None,
        },
    )


def _member_ids(user) -> set[int]:
    return member_community_ids(user)


@require_GET
def timeline(request, pk: int):
    """The live timeline partial, polled by the war room (static/js/app.js). A poll after the
    session ended gets a 401 (the page keeps its last timeline) rather than the login page."""
    if not request.user.is_authenticated:
        if request.headers.get("X-Requested-With") == "fetch":
            return HttpResponse(status=401)
        return redirect_to_login(request.get_full_path())
    incident = _incident_or_404(request, pk)
    return render(
        request,
        "incidents/_timeline.html",
        {
            "incident": incident,
            "entries": selectors.timeline_for(incident=incident, user=request.user),
            "staff": is_staff_member(request.user),
        },
    )


@staff_required
@require_GET
def page_acknowledge(request, pk: int, token: str):
    """The one-click acknowledge link of a page (incidents/paging.py). The signature proves the
    link came from a page for this incident, so a GET may act; a mail scanner that follows the
    link is not signed in and only reaches the login page, which comes back here after login.
    Works the same from a phone."""
    incident = _incident_or_404(request, pk)
    try:
        paging.check_ack_token(incident_id=incident.pk, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("incidents:detail", pk=incident.pk)
    if refusal(rules.check_acknowledge, incident=incident):
        messages.info(
            request,
            gettext("%(reference)s is already %(value)s: nothing more to acknowledge.")
            % {"reference": incident.reference, "value": incident.get_state_display().lower()},
        )
        return redirect("incidents:detail", pk=incident.pk)
    try:
        lifecycle.incident_acknowledge(incident=incident, by=request.user)
    except DomainError as exc:  # acknowledged by somebody else a moment ago
        messages.info(request, exc.message)
        return redirect("incidents:detail", pk=incident.pk)
    messages.success(
        request,
        gettext("%(reference)s acknowledged: paging stopped, the representatives have been told.")
        % {"reference": incident.reference},
    )
    return redirect("incidents:detail", pk=incident.pk)


@_incident_action()
def acknowledge(request, incident, data):
    lifecycle.incident_acknowledge(incident=incident, by=request.user)
    return f"{incident.reference} acknowledged; the representatives have been told."


@_incident_action(forms.TimelineEntryForm, "entry_form")
def add_entry(request, incident, data):
    live_log.incident_add_timeline_entry(
        incident=incident,
        by=request.user,
        kind=data["kind"],
        body=data["body"],
        occurred_at=data["occurred_at"],
        link_url=data["link_url"],
        is_public=data["is_public"],
    )
    return "Entry added to the timeline."


@_incident_action(forms.HandoffForm, "handoff_form")
def handoff(request, incident, data):
    assignment = assignments.incident_handoff(
        incident=incident,
        role=data["role"],
        to_user=data["to_user"],
        by=request.user,
        reason=data["reason"],
    )
    return f"{assignment.user.display_name} is now {assignment.get_role_display()}."


@_incident_action()
def take_command(request, incident, data):
    assignments.incident_handoff(
        incident=incident,
        role=RoleAssignment.Role.COMMANDER,
        to_user=request.user,
        by=request.user,
        reason="Took command",
    )
    return "You are now the Incident Commander."


@_incident_action(forms.SMEForm, "sme_form")
def add_sme(request, incident, data):
    assignments.incident_add_sme(incident=incident, user=data["user"], by=request.user)
    return f"{data['user'].display_name} joined as Subject Matter Expert."


@_incident_action()
def remove_sme(request, incident, data):
    raw = request.POST.get("user", "")
    user = get_object_or_404(User, pk=int(raw) if raw.isdigit() else 0)
    assignments.incident_remove_sme(incident=incident, user=user, by=request.user)
    return f"{user.display_name} is no longer a Subject Matter Expert."


@_incident_action(forms.UpdateForm, "update_form")
def send_update(request, incident, data):
    updates.incident_send_update(incident=incident, by=request.user, body=data["body"])
    return "Update sent to the community; the update clock is reset."


@_incident_action()
def escalate(request, incident, data):
    already = incident.escalated_at is not None
    lifecycle.incident_escalate(incident=incident, by=request.user)
    if already:
        return "Already escalated: the team and the project manager were alerted before."
    return "Engineering team and project manager alerted."


@_incident_action(forms.ResolveForm, "resolve_form")
def resolve(request, incident, data):
    lifecycle.incident_resolve(
        incident=incident,
        by=request.user,
        impact_ended_at=_not_before(data["impact_ended_at"], incident.impact_started_at),
        verification_note=data["verification_note"],
        message=data["message"],
    )
    return f"{incident.reference} resolved; the representatives have been told."


@_incident_action(forms.ImpactStartForm, "impact_form")
def set_impact_start(request, incident, data):
    live_log.incident_set_impact_start(incident=incident, by=request.user, at=data["at"])
    return "Impact start updated."


@_incident_action()
def close(request, incident, data):
    lifecycle.incident_close(incident=incident, by=request.user)
    return f"{incident.reference} closed."


@login_required
@require_POST
def confirm(request, pk: int):
    """A representative (or staff on their behalf) confirms that service is back."""
    incident = _incident_or_404(request, pk)
    try:
        lifecycle.incident_community_confirm(incident=incident, by=request.user)
    except DomainError as exc:
        if exc.status_code == 403:
            raise HttpForbidden from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Thank you: confirmation recorded."))
    return _to_detail(incident)


# --- The report editor (staff) ----------------------------------------------------------------
def _report_page(request, incident, report, *, status=200, report_form=None, item_form=None):
    internal = (
        incident.timeline.filter(is_public=False).select_related("author")
        if report is not None
        else []
    )
    return render(
        request,
        "incidents/report_edit.html",
        {
            "incident": incident,
            "report": report,
            "form": report_form or (forms.ReportForm(report=report) if report else None),
            "item_form": item_form or forms.ActionItemForm(),
            "action_items": report.action_items.select_related("owner") if report else [],
            "internal_entries": internal,
            "duration": impact_duration(report) if report else "",
        },
        status=status,
    )


def _report_of(incident) -> IncidentReport:
    report = IncidentReport.objects.filter(incident=incident).select_related("owner").first()
    if report is None:
        raise Http404("This incident has no report yet.")
    return report


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request, pk: int):
    incident = _incident_or_404(request, pk)
    if not is_staff_member(request.user):
        raise HttpForbidden
    report = IncidentReport.objects.filter(incident=incident).select_related("owner").first()
    if request.method == "GET":
        return _report_page(request, incident, report)
    if report is None:
        raise Http404("This incident has no report yet.")
    form = forms.ReportForm(request.POST, report=report)

    def save(data):
        data = dict(data)
        expected = data.pop("version")
        reports.report_update(report=report, by=request.user, expected_version=expected, **data)

    result = form_submit(form, save)
    if result.ok:
        messages.success(request, gettext("Report saved."))
        return redirect("incidents:report_edit", pk=incident.pk)
    messages.error(request, result.message)
    return _report_page(request, incident, report, status=result.status, report_form=form)


def _report_action(action):
    """A staff-only POST on an incident's report; DomainErrors become a message."""

    @wraps(action)
    @login_required
    @require_POST
    def wrapper(request, pk: int, **kwargs):
        incident = _incident_or_404(request, pk)
        if not is_staff_member(request.user):
            raise HttpForbidden
        try:
            message = action(request, incident, **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
            report = IncidentReport.objects.filter(incident=incident).first()
            return _report_page(request, incident, report, status=exc.status_code)
        if isinstance(message, HttpResponse):
            return message
        messages.success(request, message)
        return redirect("incidents:report_edit", pk=incident.pk)

    return wrapper


@_report_action
def report_create(request, incident):
    reports.report_create(incident=incident, by=request.user)
    return "Draft report created from the incident."


@_report_action
def report_submit(request, incident):
    reports.report_submit_for_review(report=_report_of(incident), by=request.user)
    return "Report submitted for review."


@_report_action
def report_return(request, incident):
    reports.report_return_to_draft(
        report=_report_of(incident), by=request.user, reason=request.POST.get("reason", "")
    )
    return "Report returned to draft."


@_report_action
def report_review(request, incident):
    reports.report_mark_reviewed(report=_report_of(incident), by=request.user)
    return "Report reviewed: published in the archive and sent to the representatives."


@_report_action
def action_item_add(request, incident):
    report = _report_of(incident)
    form = forms.ActionItemForm(request.POST)
    result = form_submit(
        form, lambda data: action_items.action_item_add(report=report, by=request.user, **data)
    )
    if result.ok:
        return "Action item added."
    if result.error is None:
        messages.error(request, gettext("Please correct the action item."))
    return _report_page(request, incident, report, status=result.status, item_form=form)


@_report_action
def action_item_toggle(request, incident, item_pk: int):
    item = get_object_or_404(ActionItem, pk=item_pk, report__incident=incident)
    done = request.POST.get("done") == "1"
    action_items.action_item_set_done(item=item, by=request.user, done=done)
    return "Action item marked done." if done else "Action item reopened."


# --- The public archive -----------------------------------------------------------------------
@require_GET
def report_archive(request):
    page = Paginator(selectors.published_report_list(), 20).get_page(request.GET.get("page"))
    return render(request, "incidents/report_archive.html", {"page": page, "reports": page})


def _public_report_or_404(request, pk: int) -> IncidentReport:
    try:
        return selectors.report_for_public(user=request.user, pk=pk)
    except IncidentReport.DoesNotExist:
        raise Http404("No such published report.") from None


@require_GET
def report_public(request, pk: int):
    report = _public_report_or_404(request, pk)
    return render(request, "incidents/report_detail.html", report_context(report))


@require_GET
def report_markdown(request, pk: int):
    report = _public_report_or_404(request, pk)
    response = HttpResponse(
        render_report_markdown(report), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(report, "md")}"'
    return response


@require_GET
def report_pdf(request, pk: int):
    report = _public_report_or_404(request, pk)
    pdf = render_report_pdf(report, html=render_report_html(report))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(report, "pdf")}"'
    return response
