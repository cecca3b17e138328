"""Thin views: the buttons that open GitHub issues, and the endpoints GitHub (and Slack) post
to. An inbound webhook is authenticated by its signature before anything is parsed; a bad or
unsigned one gets 401, a malformed one 400, and neither changes anything."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import staff_required
from incidents.models import Incident
from integrations import github
from integrations.forms import OpenIssueForm
from supportdesk.errors import DomainError
from tickets import selectors as ticket_selectors

logger = logging.getLogger(__name__)


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def parse_json_object(body: bytes) -> dict | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


@require_POST
@staff_required
def request_github_issue(request, pk: int):
    r = ticket_selectors.request_get_for(user=request.user, pk=pk)
    form = OpenIssueForm(request.POST)
    form.is_valid()  # two checkboxes: always valid
    try:
        url = github.github_issue_open_for_request(
            request=r,
            by=request.user,
            include_internal_notes=form.cleaned_data.get("include_internal_notes", False),
            send_canned=form.cleaned_data.get("send_canned", False),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Engineering issue opened: {url}")
    return redirect("tickets:desk_request", pk=pk)


@require_POST
@staff_required
def incident_github_issue(request, pk: int):
    incident = get_object_or_404(Incident, pk=pk)
    form = OpenIssueForm(request.POST)
    form.is_valid()
    try:
        url = github.github_issue_open_for_incident(
            incident=incident,
            by=request.user,
            include_internal_notes=form.cleaned_data.get("include_internal_notes", False),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Engineering issue opened: {url}")
    return redirect("incidents:detail", pk=pk)


@csrf_exempt
@require_POST
def github_webhook(request):
    body = request.body
    if not github.github_signature_valid(
        body=body, signature=request.headers.get("X-Hub-Signature-256", "")
    ):
        return _error(401, "bad_signature", "Missing or invalid X-Hub-Signature-256.")
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    event = request.headers.get("X-GitHub-Event", "").strip()
    if not delivery_id or not event:
        return _error(400, "missing_header", "X-GitHub-Delivery and X-GitHub-Event are needed.")
    payload = parse_json_object(body)
    if payload is None:
        return _error(400, "parse_error", "The body is not a JSON object.")
    if event == "ping":
        return JsonResponse({"outcome": "pong"})
    outcome = github.github_webhook_receive(delivery_id=delivery_id, event=event, payload=payload)
    return JsonResponse({"outcome": outcome})
