"""Pages of the availability app. Thin: read through selectors, write through services.

Public (no login): the status page, a hub's status and history, an incident's public page, and
the Atom feed. They are served from the status cache (see status.py) and carry HTTP caching
headers for anonymous readers. Staff: maintenance windows (with hub status overrides). The
reliability dashboard is desk's (desk/views.py)."""

from __future__ import annotations

import datetime
import functools
import hashlib

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import staff_required
from availability import selectors
from availability import status as rules
from availability.forms import MaintenanceForm, StatusOverrideForm
from availability.models import MaintenanceWindow

# Aliased: the pages hub_status and maintenance below share the modules' names.
from availability.services import hub_status as hub_status_services
from availability.services import maintenance as maintenance_services
from communities.models import Hub
from supportdesk.errors import DomainError
from supportdesk.formactions import add_domain_error

# --- public -----------------------------------------------------------------------------------


def times_in_utc(view):
    """The public pages are cached and shared by every reader, signed in or not: their times
    are rendered in UTC, and say so, whoever's request rendered them first (a signed-in reader's
    own zone would otherwise be printed under the page's "UTC")."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(datetime.UTC):
            return view(request, *args, **kwargs)

    return wrapper


def _cached_fragment(name: str, template: str, build) -> dict | None:
    """Render `template` with `build()`'s context, cached under the status version. `build`
    returns None when there is nothing to show (then: 404, not cached)."""

    def render_fragment():
        context = build()
        if context is None:
            return None
        return {
            "html": render_to_string(template, context),
            "generated_at": timezone.now(),
            "max_age": rules.cache_seconds(),
            "title": context.get("page_title", ""),
        }

    # One copy per language: the fragments are translated.
    return rules.cached(f"{name}:{translation.get_language()}", render_fragment)


def _public_response(request, page: dict, template: str, **extra) -> HttpResponse:
    anonymous = not request.user.is_authenticated
    etag = quote_etag(hashlib.sha256(page["html"].encode()).hexdigest()[:32])
    if anonymous:
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            return not_modified
    response = render(
        request,
        template,
        {
            # The fragment was rendered by our own (autoescaping) template: it is safe HTML.
            "body": mark_safe(page["html"]),  # noqa: S308
            "generated_at": page["generated_at"],
            "page_title": page["title"],
            **extra,
        },
    )
    if anonymous:
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=page["max_age"])
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


@require_GET
@times_in_utc
def status_page(request):
    """Every hub at a glance, those with problems first, grouped by community; ?q= finds hubs
    (the page's search box; without JavaScript it is this plain GET). The page is cached per
    language; a search builds the strips of the matching hubs only (five queries)."""
    query = request.GET.get("q", "").strip()[:100]

    def build(query=""):
        data = selectors.status_overview(search=query)
        return {
            "overview": data,
            "query": query,
            "open_all": bool(query) or len(data.hub_rows) <= OPEN_ALL_UP_TO,
            "hub_base": reverse("availability:hub", args=["-"])[:-2],
            "page_title": gettext("Service status"),
        }

    if query:
        context = build(query)
        page = {
            "html": render_to_string("availability/_status_body.html", context),
            "generated_at": context["overview"].generated_at,
            "max_age": rules.cache_seconds(),
            "title": context["page_title"],
        }
    else:
        page = _cached_fragment("page", "availability/_status_body.html", build)
    return _public_response(request, page, "availability/status.html")


# Up to this many hubs every community's group starts open; beyond, only those with a problem.
OPEN_ALL_UP_TO = 40


@require_GET
@times_in_utc
def hub_status(request, slug: str):
    def build():
        detail = selectors.hub_detail(slug=slug)
        if detail is None:
            return None
        return {"detail": detail, "row": detail.row, "page_title": f"{detail.row.hub.name} status"}

    page = _cached_fragment(f"hub:{slug}", "availability/_hub_body.html", build)
    if page is None:
        raise Http404("No such hub.")
    return _public_response(request, page, "availability/status.html")


@require_GET
@times_in_utc
def incident_page(request, pk: int):
    def build():
        incident = selectors.public_incident(pk=pk)
        if incident is None:
            return None
        return {
            "incident": incident,
            "report": selectors.published_report(incident),
            "page_title": incident.title,
        }

    page = _cached_fragment(f"incident:{pk}", "availability/_incident_body.html", build)
    if page is None:
        raise Http404("No such incident.")
    return _public_response(request, page, "availability/status.html")


# --- staff: maintenance -----------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def maintenance(request):
    warnings: list[str] = []
    form = MaintenanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            window = maintenance_services.maintenance_schedule(
                by=request.user,
                hubs=data["hubs"],
                title=data["title"],
                description=data["description"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                accept_warnings=data["accept_warnings"],
            )
        except maintenance_services.MaintenanceNeedsConfirmation as exc:
            warnings = exc.warnings
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                gettext(
                    "Maintenance “%(title)s” scheduled; the affected communities' "
                    "representatives are being e-mailed."
                )
                % {"title": window.title},
            )
            return redirect("availability:maintenance")
    context = {
        "form": form,
        "warnings": warnings,
        "override_form": StatusOverrideForm(),
        "hubs": selectors.hubs_for_override(user=request.user),
        "now": timezone.now(),
        **selectors.maintenance_list(user=request.user),
    }
    return render(request, "availability/maintenance.html", context, status=200)


@staff_required
@require_POST
def maintenance_cancel(request, pk: int):
    window = get_object_or_404(MaintenanceWindow, pk=pk)
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        expected = None
    try:
        maintenance_services.maintenance_cancel(
            window=window, by=request.user, expected_version=expected
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, gettext("Maintenance “%(title)s” cancelled.") % {"title": window.title}
        )
    return redirect("availability:maintenance")


@staff_required
@require_POST
def hub_override(request, slug: str):
    hub = get_object_or_404(Hub, slug=slug)
    form = StatusOverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a status."))
        return redirect("availability:maintenance")
    try:
        if form.cleaned_data["status"]:
            hub_status_services.hub_status_override_set(
                hub=hub,
                by=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, gettext("%(name)s now shows as overridden.") % {"name": hub.name}
            )
        else:
            hub_status_services.hub_status_override_clear(hub=hub, by=request.user)
            messages.success(
                request, gettext("%(name)s shows its derived status again.") % {"name": hub.name}
            )
    except DomainError as exc:
        messages.error(request, f"{hub.name}: {exc.message}")
    return redirect("availability:maintenance")
