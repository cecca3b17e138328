"""Thin views: the buttons that open GitHub issues, and the endpoints GitHub (and Slack) post
to. An inbound webhook is authenticated by its signature before anything is parsed; a bad or
unsigned one gets 401, a malformed one 400, and neither changes anything."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import staff_required
from incidents.models import Incident
from integrations import github, slack, subscriptions
from integrations.forms import OpenIssueForm, SubscribeForm
from integrations.models import StatusSubscription
from supportdesk.errors import DomainError
from supportdesk.formactions import add_domain_error
from supportdesk.limits import json_loads
from tickets import selectors as ticket_selectors

logger = logging.getLogger(__name__)


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def parse_json_object(body: bytes) -> dict | None:
    """The project's limited JSON parser (size and depth): None unless a JSON object."""
    try:
        payload = json_loads(body)
    except ValueError:  # JsonLimitExceeded included
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
            support_request=r,
            by=request.user,
            include_internal_notes=form.cleaned_data.get("include_internal_notes", False),
            send_canned=form.cleaned_data.get("send_canned", False),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Engineering issue opened: %(url)s") % {"url": url})
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
        messages.success(request, gettext("Engineering issue opened: %(url)s") % {"url": url})
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


def _slack_verified(request) -> bool:
    return slack.slack_signature_valid(
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
        signature=request.headers.get("X-Slack-Signature", ""),
    )


@csrf_exempt
@require_POST
def slack_interactions(request):
    """Buttons (block_actions) and the "Add to incident timeline" message action."""
    if not _slack_verified(request):
        return _error(401, "bad_signature", "Missing or invalid Slack signature.")
    payload = parse_json_object(request.POST.get("payload", "").encode())
    if payload is None:
        return _error(400, "parse_error", "The payload is not a JSON object.")
    kind = payload.get("type")
    try:
        if kind == "block_actions":
            return JsonResponse({"text": slack.slack_action_handle(payload=payload)})
        if kind == "message_action" and payload.get("callback_id") == slack.MESSAGE_ACTION:
            answer = slack.slack_message_to_timeline(payload=payload)
        else:
            return _error(400, "unknown_interaction", f"Interactions of type {kind!r} are unused.")
    except DomainError as exc:
        answer = exc.message
    slack.slack_tell_privately(payload=payload, text=answer)
    return JsonResponse({"text": answer})


@csrf_exempt
@require_POST
def slack_command(request):
    """The /support slash command."""
    if not _slack_verified(request):
        return _error(401, "bad_signature", "Missing or invalid Slack signature.")
    return JsonResponse(
        slack.slack_command_handle(
            text=request.POST.get("text", ""), slack_user_id=request.POST.get("user_id", "")
        )
    )


# --- Status-page subscriptions (public) -------------------------------------------------------
def subscribe(request):
    form = SubscribeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                subscriptions.subscription_request(
                    email=form.cleaned_data["email"],
                    hubs=form.cleaned_data["hubs"],
                    webhook_url=form.cleaned_data["webhook_url"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return render(request, "integrations/subscribe_sent.html", status=200)
        return render(request, "integrations/subscribe.html", {"form": form}, status=400)
    return render(request, "integrations/subscribe.html", {"form": form})


def confirm(request, token: str):
    subscription = StatusSubscription.objects.filter(token=token).first()
    if subscription is None:
        return render(request, "integrations/subscription_invalid.html", status=404)
    if request.method == "POST":
        try:
            subscription = subscriptions.subscription_confirm(token=token)
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(request, "integrations/subscription_invalid.html", status=409)
        return render(
            request, "integrations/subscription_confirmed.html", {"subscription": subscription}
        )
    return render(request, "integrations/subscription_confirm.html", {"subscription": subscription})


@csrf_exempt  # RFC 8058 one-click: mail clients POST without a form; the token is the key
def unsubscribe(request, token: str):
    subscription = StatusSubscription.objects.filter(token=token).first()
    if subscription is None:
        return render(request, "integrations/subscription_invalid.html", status=404)
    if request.method == "POST":
        subscriptions.subscription_unsubscribe(token=token)
        return render(request, "integrations/unsubscribed.html")
    return render(request, "integrations/unsubscribe.html", {"subscription": subscription})
