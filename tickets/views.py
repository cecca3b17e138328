"""Web views of support requests: thin. Parse a form, call one service, turn a DomainError into
a message and redisplay the page with what the user typed.

Representatives: /requests/ (their community's requests), /requests/new/, /requests/<pk>/.
Stewards (staff): /desk/ (the queue) and /desk/requests/<pk>/ with one small POST URL per action.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import representative_required, staff_required
from accounts.roles import is_staff_member, member_community_ids, representative_community
from communities.models import Community
from communities.selectors import budget_notice_for
from communities.services import budget_status, budget_statuses
from slo.models import SLOPolicy
from slo.services import explain, is_overdue, load_policies, remaining_text
from slo.timebox import request_timebox_running, timebox_state
from supportdesk import idempotency
from supportdesk.errors import ConcurrentEdit, DomainError, NewMessageSince, refusal
from supportdesk.formactions import add_domain_error, form_submit, service_arguments
from supportdesk.pagination import CappedPaginator
from supportdesk.zones import format_local, zone_name
from tickets import (
    bulk,
    export,
    forms,
    pagecache,
    presence,
    rules,
    saved_views,
    search,
    selectors,
    services,
)
from tickets import inbound as inbound_services
from tickets.attachments import incoming_from_uploads
from tickets.models import SavedView, SupportRequest
from tickets.priority import RANK_LABELS, RANK_SHORT, rank_reason, request_factors
from tickets.rows import my_request_rows, queue_rows

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


def _filter_data(request, *, default_state: str):
    data = request.GET.copy()
    if not data.get("state"):
        data["state"] = default_state
    return data


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- representatives -------------------------------------------------------------------------


@require_GET
@login_required
def my_requests(request):
    if is_staff_member(request.user):
        return redirect("tickets:queue")
    if not member_community_ids(request.user):
        raise PermissionDenied
    listing = selectors.request_list_for(
        user=request.user, filters=_filter_data(request, default_state="all")
    )
    page = Paginator(listing.requests, DEFAULT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.annotate_waiting(page.object_list)
    return render(
        request,
        "tickets/my_requests.html",
        {
            "page": page,
            "rows": rows,
            "rows_html": my_request_rows(rows),
            "zone_label": zone_name(None),
            "filterset": listing.filterset,
            "community": representative_community(request.user),
            "can_submit": representative_community(request.user) is not None,
            "query": _query_without_page(request),
            "search_capped": listing.search_capped,
            "search_limit": search.SEARCH_LIMIT,
        },
    )


@representative_required
def request_new(request):
    community = representative_community(request.user)
    form = forms.RequestForm(request.POST or None, request.FILES or None, community=community)
    status = 200
    if request.method == "POST":
        # A double-clicked submit: the first POST made the request, this one goes to it.
        done = idempotency.web_replay(
            user=request.user, form="new-request", token=request.POST.get("submission_token")
        )
        if done:
            return redirect(done)
        if form.is_valid():
            data = form.cleaned_data

            def create() -> str:
                r = services.request_submit(
                    requester=request.user,
                    hub=data["hub"],
                    subject=data["subject"],
                    description=data["description"],
                    cannot_log_in=data["cannot_log_in"],
                    cannot_start_servers=data["cannot_start_servers"],
                    cannot_run_code=data["cannot_run_code"],
                    cannot_use_dask=data["cannot_use_dask"],
                    affected_users=data["affected_users"],
                    attachments=incoming_from_uploads(data["attachments"]),
                )
                return reverse("tickets:received", kwargs={"pk": r.pk})

            try:
                location = idempotency.web_once(
                    user=request.user,
                    form="new-request",
                    token=data["submission_token"],
                    create=create,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status_code
            else:
                return redirect(location)
        else:
            status = 400
    likely = False
    if form.is_bound:
        # Said again when the form comes back, so that it shows without JavaScript too.
        data = form.cleaned_data
        likely = rules.meets_incident_definition(
            affected_users=data.get("affected_users") or 0,
            **{name: bool(data.get(name)) for name in forms.RequestForm.SYMPTOMS},
        )
    return render(
        request,
        "tickets/request_form.html",
        {
            "form": form,
            "community": community,
            "likely_incident": likely,
            "budget_notice": budget_notice_for(community=community),
            "min_users": rules.INCIDENT_MIN_AFFECTED_USERS,
        },
        status=status,
    )


@require_GET
@login_required
def request_received(request, pk):
    r = selectors.request_get_for(user=request.user, pk=pk)
    return render(
        request,
        "tickets/request_received.html",
        {"r": r, "steps": selectors.what_happens_next(r)},
    )


def _thread(request, r: SupportRequest, *, history: bool, held_since: int | None = None) -> dict:
    """The rendered conversation, files of the request and (`history`: the steward's page) its
    history, with the id of the last message shown: cached by tickets.pagecache, except when a
    held reply marks what is new since `held_since`. Internal notes only for the team: the
    representative's parts are read without them and cached under another key."""
    team = is_staff_member(request.user)

    def build() -> dict:
        conversation, request_files = selectors.conversation_page_for(
            support_request=r, user=request.user
        )
        new_message_ids = (
            {m.pk for m in conversation if m.pk > held_since} if held_since is not None else set()
        )
        context = {
            "conversation": conversation,
            "new_message_ids": new_message_ids,
            "user": request.user,
        }
        parts = {
            "conversation_html": render_to_string("tickets/_conversation.html", context),
            "request_files_html": render_to_string(
                "tickets/_attachments.html", {"files": request_files}
            ),
            "last_message_id": max((m.pk for m in conversation), default=0),
        }
        if history:
            parts["history_html"] = render_to_string(
                "tickets/desk/_history.html",
                {"history": selectors.history_for(support_request=r)},
            )
        return parts

    if held_since is not None:
        return build()
    return pagecache.parts(
        r.pk,
        audience=f"{'team' if team else 'public'}:{'desk' if history else 'detail'}",
        user_is_staff=request.user.is_staff,
        build=build,
    )


def _render_detail(request, r, *, reply_form=None, status=200):
    # As on the steward's page: a reply written here is held if a message arrives after the
    # last one shown, and a held reply marks what is new since.
    seen = getattr(reply_form, "held_since", None)
    thread = _thread(request, r, history=False, held_since=seen)
    if reply_form is None:
        reply_form = forms.ReplyForm(
            prefix="reply", initial={"seen_message": thread["last_message_id"]}
        )
    return render(
        request,
        "tickets/request_detail.html",
        {
            "r": r,
            "thread": thread,
            "reply_form": reply_form,
            "can_act": rules.is_representative_of(request.user, r),
            "can_confirm": refusal(rules.check_confirm, user=request.user, support_request=r)
            is None,
            "response_due_text": _response_due_text(r),
            "waiting": selectors.waiting_on(r, now=timezone.now()),
            "follow_ups": selectors.follow_ups_of(r),
        },
        status=status,
    )


def _response_due_text(r: SupportRequest) -> str:
    if not r.is_open or r.response_due_at is None:
        return ""
    # The zone the page shows every time in (the community's, for a representative).
    return format_local(r.response_due_at)


@require_GET
@login_required
def request_detail(request, pk):
    if is_staff_member(request.user):
        return redirect("tickets:desk_request", pk=pk)
    r = selectors.request_get_for(user=request.user, pk=pk)
    return _render_detail(request, r)


@require_POST
@representative_required
def request_reply(request, pk):
    r = selectors.request_get_for(user=request.user, pk=pk)
    form = forms.ReplyForm(request.POST, request.FILES, prefix="reply")
    if not form.is_valid():
        messages.error(
            request, gettext("Your reply was not sent: please correct the errors below.")
        )
        return _render_detail(request, r, reply_form=form, status=400)
    form_name = f"reply:{r.pk}"
    token = form.cleaned_data["submission_token"]
    previous = idempotency.web_replay(user=request.user, form=form_name, token=token)
    if previous:
        return redirect(previous)  # a double submit: the reply (or follow-up) is there
    follow_ups = []

    def create() -> str:
        result = services.request_reply(
            support_request=r,
            by=request.user,
            body=form.cleaned_data["body"],
            link_url=form.cleaned_data["link_url"],
            attachments=incoming_from_uploads(form.cleaned_data["attachments"]),
            seen_message_id=form.cleaned_data["seen_message"],
            send_anyway=form.cleaned_data["send_anyway"],
        )
        if isinstance(result, SupportRequest):
            follow_ups.append(result)
            return reverse("tickets:detail", kwargs={"pk": result.pk})
        return reverse("tickets:detail", kwargs={"pk": pk})

    try:
        location = idempotency.web_once(
            user=request.user, form=form_name, token=token, create=create
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        if isinstance(exc, NewMessageSince):
            # Held: the page shows the new messages, and the box that sends it anyway.
            form.held_since = form.cleaned_data.get("seen_message") or 0
            r = selectors.request_get_for(user=request.user, pk=pk)
        return _render_detail(request, r, reply_form=form, status=exc.status_code)
    if follow_ups:
        messages.success(
            request,
            gettext(
                "%(reference)s was closed, so your reply opened a new request, %(follow_up)s, "
                "linked to it."
            )
            % {"reference": r.reference, "follow_up": follow_ups[0].reference},
        )
        return redirect(location)
    reopened = r.status == SupportRequest.Status.RESOLVED
    messages.success(
        request,
        gettext("Your reply was sent; the request is open again.")
        if reopened
        else gettext("Your reply was sent."),
    )
    return redirect("tickets:detail", pk=pk)


@require_POST
@representative_required
def request_confirm(request, pk):
    r = selectors.request_get_for(user=request.user, pk=pk)
    try:
        services.request_confirm(support_request=r, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, gettext("Thank you: %(reference)s is closed.") % {"reference": r.reference}
        )
    return redirect("tickets:detail", pk=pk)


# --- stewards --------------------------------------------------------------------------------


@require_GET
@staff_required
def queue(request):
    calendars = selectors.Calendars()  # shared by the "due soon" filter and the rows
    listing = selectors.request_list_for(
        user=request.user,
        filters=_filter_data(request, default_state="open"),
        calendars=calendars,
        search_box=True,
    )
    filterset, sort, words = listing.filterset, listing.sort, listing.words
    # One list of staff members for the assignee filter and the bulk assignment.
    staff = forms.staff_choices()
    forms.use_staff_choices(filterset.form.fields["assignee"], staff)
    page = CappedPaginator(listing.requests, _page_size(request)).get_page(request.GET.get("page"))
    rows = selectors.annotate_deadlines(page.object_list, calendars=calendars)
    if words:
        search.annotate_snippets(rows, words, internal=True)
    active = [
        name
        for name in ("category", "community", "assignee", "due", "likely_incident", "q")
        if request.GET.get(name)
    ]
    return render(
        request,
        "tickets/queue.html",
        {
            "page": page,
            "rows": rows,
            "rows_html": queue_rows(rows, searching=bool(words)),
            "filterset": filterset,
            "query": _query_without_page(request),
            "page_sizes": PAGE_SIZES,
            "page_size": _page_size(request),
            "sort": sort,
            "sort_label": selectors.QUEUE_SORTS[sort],
            "active_filters": len(active),
            "bulk_fields": forms.bulk_fields_html(staff),
            "searching": bool(words),
            "search_capped": listing.search_capped,
            "search_limit": search.SEARCH_LIMIT,
            "saved_views": saved_views.saved_views_for(user=request.user),
            "view_query": saved_views.clean_query(request.GET.urlencode()),
        },
        # A sort outside the list is refused (the page says why, in the default order).
        status=400 if "sort" in filterset.errors else 200,
    )


@require_GET
@staff_required
def queue_export(request):
    """The queue's filtered list (every page, in the queue's order) as CSV, streamed."""
    listing = selectors.request_list_for(
        user=request.user, filters=_filter_data(request, default_state="open"), search_box=True
    )
    if listing.errors:
        return HttpResponse(
            "The filters are not valid: "
            + "; ".join(f"{name}: {' '.join(errors)}" for name, errors in listing.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    # Only the columns the CSV has: no select_related rows, no deadline words.
    response = StreamingHttpResponse(
        export.csv_chunks(listing.requests.select_related(None)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(timezone.now())}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@staff_required
def saved_view_save(request):
    query = request.POST.get("query", "")
    try:
        view = saved_views.saved_view_save(
            owner=request.user, name=request.POST.get("name", ""), querystring=query
        )
    except DomainError as exc:
        messages.error(
            request, gettext("The view was not saved: %(message)s") % {"message": exc.message}
        )
        return redirect(_queue_url(query))
    messages.success(request, gettext("Saved as “%(name)s”.") % {"name": view.name})
    return redirect(_queue_url(view.query))


@require_GET
@staff_required
def saved_view_open(request, pk):
    """A saved view's short link: any staff member may open it (it only holds filters)."""
    try:
        view = SavedView.objects.get(pk=pk)
    except (SavedView.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such saved view.") from exc
    return redirect(_queue_url(view.query))


@require_POST
@staff_required
def saved_view_delete(request, pk):
    try:
        saved_views.saved_view_delete(owner=request.user, pk=pk)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    messages.success(request, gettext("Saved view deleted."))
    return redirect(_queue_url(request.POST.get("back", "")))


def _queue_url(querystring: str) -> str:
    """The queue with a querystring the browser sent back (normalised: it only ever becomes
    the query part of the queue's own URL)."""
    query = QueryDict(querystring or "", mutable=True)
    query.pop("page", None)
    encoded = query.urlencode()
    return reverse("tickets:queue") + (f"?{encoded}" if encoded else "")


@require_POST
@staff_required
def queue_bulk(request):
    """The queue's bulk actions: each ticked request through the same service as the request
    page's action, with a result per row (done, or refused and why)."""
    form = forms.BulkForm(request.POST, auto_id="bulk_%s")
    back = _queue_url(request.POST.get("back", ""))
    if not form.is_valid():
        return render(request, "tickets/bulk_result.html", {"form": form, "back": back}, status=400)
    action = form.cleaned_data["action"]
    results = bulk.bulk_apply(
        by=request.user, ids=form.cleaned_data["selected"], action=action, params=form.params()
    )
    done = sum(1 for row in results if row.ok)
    return render(
        request,
        "tickets/bulk_result.html",
        {
            "form": form,
            "back": back,
            "results": results,
            "action_label": bulk.ACTIONS[action],
            "done": done,
            "refused": len(results) - done,
        },
    )


@require_GET
@staff_required
def planning(request):
    """The project manager's view: change and guidance requests in work planning, highest
    priority first, each with its community's budget use this month."""
    planned = selectors.planning_requests()
    page = CappedPaginator(planned, 50).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    statuses = budget_statuses(communities={r.community for r in rows})
    communities = {}
    for r in rows:
        r.rank_label = RANK_LABELS.get(r.priority_rank, "")
        r.rank_short = RANK_SHORT.get(r.priority_rank, "")
        r.budget = statuses.get(r.community_id)
        entry = communities.setdefault(
            r.community_id, {"community": r.community, "budget": r.budget, "requests": 0}
        )
        entry["requests"] += 1
    summary = sorted(
        communities.values(),
        key=lambda e: (-(e["budget"].fraction_used if e["budget"] else 0), e["community"].name),
    )
    return render(
        request,
        "tickets/planning.html",
        {"page": page, "rows": rows, "summary": summary, "query": ""},
    )


def _declare_incident_url(r: SupportRequest) -> str | None:
    # The incidents app owns that page; until it exists the button is left out.
    try:
        return f"{reverse('incidents:declare')}?request={r.pk}"
    except NoReverseMatch:
        return None


def _deadlines(r: SupportRequest, calendars: selectors.Calendars):
    """The request's clocks for the desk page: label, due, remaining words, explanation."""
    calendar = calendars.for_request(r)
    policies = load_policies()
    clock = SLOPolicy.Clock
    rows = []

    def add(label, due, started=None, clock_name=None, done=None, excused=False):
        if due is None:
            return
        # One zone for the whole entry, the clock's (the reference zone unless the community
        # has its own calendar), whatever zone the steward's account shows elsewhere.
        item = {
            "label": label,
            "due": due,
            "due_text": format_local(due, calendar.timezone, with_year=False),
            "done": done,
            "done_text": format_local(done, calendar.timezone, with_year=False, with_zone=False),
            "explain": "",
            "excused": excused,
        }
        if done is None:
            item["overdue"] = is_overdue(due)
            item["remaining"] = (
                "missed (reduced capacity)"
                if item["overdue"] and excused
                else remaining_text(due, calendar=calendar)
            )
        if started is not None and clock_name is not None:
            item["explain"] = explain(started, clock_name, calendar=calendar, policies=policies)
        rows.append(item)

    add(
        "Triage",
        r.triage_due_at,
        r.received_at,
        clock.TRIAGE,
        done=r.triaged_at,
        excused=r.triage_excused,
    )
    add(
        "First response",
        r.first_response_due_at,
        r.received_at,
        clock.FIRST_RESPONSE,
        done=r.first_responded_at,
        excused=r.first_response_excused,
    )
    if r.response_due_at and r.first_responded_at:
        add(
            "Answer to the representative's reply",
            r.response_due_at,
            excused=r.response_excused,
        )
    if r.auto_close_due_at:
        add("Auto-close", r.auto_close_due_at, r.resolved_at, clock.AUTO_CLOSE)
    return rows


# Forms of the request page that are rarely used: rendered on demand (desk_form, fetched by
# htmx when the steward opens them; `?open=<name>` without JavaScript), not on every view.
LAZY_FORMS = ("canned", "triage", "priority", "time", "issue", "resolve", "duplicate")


def _desk_form_factories(request, r: SupportRequest, *, last_message_id: int = 0) -> dict:
    """One callable per form of the request page, building it unbound for the current version."""
    version = {"version": r.version}

    def reply():
        initial = {**version, "seen_message": last_message_id}
        canned_form = forms.CannedPickForm(request.GET)
        if request.GET.get("canned") and canned_form.is_valid():
            canned = canned_form.cleaned_data["canned"]
            initial["body"] = services.canned_response_render(
                canned=canned, support_request=r, by=request.user
            )
            initial["canned_response"] = canned.pk
        return forms.ReplyForm(prefix="reply", initial=initial)

    return {
        "reply": reply,
        "note": lambda: forms.NoteForm(prefix="note"),
        "canned": lambda: (
            forms.CannedPickForm(request.GET)
            if request.GET.get("canned")
            else forms.CannedPickForm()
        ),
        "triage": lambda: forms.TriageForm(
            prefix="triage",
            support_request=r,
            initial={**version, "category": r.category, "hub": r.hub_id, "assignee": r.assignee_id},
        ),
        "time": lambda: forms.TimeForm(prefix="time"),
        "issue": lambda: forms.IssueForm(
            prefix="issue", initial={**version, "url": r.engineering_issue_url}
        ),
        "priority": lambda: forms.PriorityForm(
            prefix="priority",
            initial={**version, **{name: getattr(r, name) for name in forms.PriorityForm.FACTORS}},
        ),
        "resolve": lambda: forms.ResolveForm(prefix="resolve", initial=version),
        "close": lambda: forms.CloseForm(prefix="close", initial=version),
        "duplicate": lambda: forms.DuplicateForm(prefix="duplicate", initial=version),
    }


def _render_desk(request, r: SupportRequest, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    # A reply held because a message arrived since its page was loaded: mark what is new.
    seen = getattr(bound.get("reply"), "held_since", None)
    thread = _thread(request, r, history=True, held_since=seen)
    last_message_id = thread["last_message_id"]
    factories = _desk_form_factories(request, r, last_message_id=last_message_id)
    shown = set(factories) - set(LAZY_FORMS)
    shown |= set(bound)
    if request.GET.get("open") in LAZY_FORMS:
        shown.add(request.GET["open"])
    if request.GET.get("canned"):
        shown.add("canned")
    if r.status == SupportRequest.Status.NEW:
        shown.add("triage")  # the one thing to do with a new request
    form_set = {name: bound.get(name) or factories[name]() for name in factories if name in shown}
    calendars = selectors.Calendars()
    entries = list(selectors.time_entries_for(support_request=r))
    budget = budget_status(community=r.community)
    context = {
        "r": r,
        "forms": form_set,
        "open_form": next(iter(bound), ""),
        "thread": thread,
        "last_message_id": last_message_id,
        "presence_seconds": presence.POLL_SECONDS,
        "entries": entries,
        "minutes_total": sum(e.minutes for e in entries),
        "deadlines": _deadlines(r, calendars),
        "timebox": (
            timebox_state(
                due=r.timebox_due_at, calendar=calendars.for_request(r), now=timezone.now()
            )
            if request_timebox_running(r)
            else None
        ),
        "budget": budget,
        "rank_label": rank_reason(
            rank=r.priority_rank,
            **request_factors(r, budget_fraction_used=budget.fraction_used),
        ),
        "declare_incident_url": _declare_incident_url(r),
        # A likely incident not yet declared: the button goes to the top of the page.
        "declare_on_top": bool(
            r.likely_incident
            and r.category != SupportRequest.Category.INCIDENT
            and r.incident_id is None
            and refusal(rules.check_link_incident, support_request=r) is None
            and _declare_incident_url(r)
        ),
        "original_email": selectors.original_email_of(r),
        "follow_ups": selectors.follow_ups_of(r),
        "is_closed": r.status == SupportRequest.Status.CLOSED,
        # What the services would refuse is not offered (the rules say why).
        "can_resolve": refusal(rules.check_resolve, support_request=r) is None,
        "can_link_issue": refusal(rules.check_link_issue, support_request=r) is None,
    }
    return render(request, "tickets/desk_request.html", context, status=status)


@require_GET
@staff_required
def desk_request(request, pk):
    r = selectors.request_get_for(user=request.user, pk=pk)
    return _render_desk(request, r)


@require_GET
@staff_required
def desk_form(request, pk, name):
    """One rarely used form of the request page, as an HTML fragment (LAZY_FORMS)."""
    if name not in LAZY_FORMS:
        raise Http404("No such form.")
    r = selectors.request_get_for(user=request.user, pk=pk)
    context = {"r": r, "forms": {name: _desk_form_factories(request, r)[name]()}}
    if name == "priority":
        context["budget"] = budget_status(community=r.community)
    return render(request, f"tickets/desk/_form_{name}.html", context)


def _command(service, *, by):
    """A `run` for _desk_action: `service` called with the request, `by` and the form's fields
    (the loaded `version` as `expected_version`)."""
    return lambda r, data: service(support_request=r, by=by, **service_arguments(data))


def _desk_action(request, pk, *, key, form_class, run, success, form_kwargs=None):
    """POST handler shared by the request page's actions: validate, call the service, redirect
    back with a message; on a DomainError redisplay the page keeping what was typed."""
    r = selectors.request_get_for(user=request.user, pk=pk)
    form_kwargs = (form_kwargs or (lambda r: {}))(r)
    form = form_class(request.POST, request.FILES, prefix=key, **form_kwargs)
    # Forms that create (a reply, a note) carry a one-time token: a double submit adds nothing.
    token = request.POST.get(f"{key}-submission_token", "")
    form_name = f"desk-{key}:{r.pk}"
    if token and idempotency.web_replay(user=request.user, form=form_name, token=token):
        return redirect("tickets:desk_request", pk=pk)

    def apply(data) -> None:
        def create() -> str:
            run(r, data)
            return reverse("tickets:desk_request", kwargs={"pk": pk})

        if "submission_token" in form.fields:
            idempotency.web_once(user=request.user, form=form_name, token=token, create=create)
        else:
            create()

    result = form_submit(form, apply)
    if result.ok:
        messages.success(request, success(r) if callable(success) else success)
        return redirect("tickets:desk_request", pk=pk)
    if result.error is None:
        messages.error(request, gettext("Nothing was changed: please correct the errors below."))
        return _render_desk(request, r, bound={key: form}, status=400)
    exc = result.error
    if isinstance(exc, ConcurrentEdit):
        # Show the current request with the steward's input, now based on the new version:
        # submitting again applies it knowingly. A reply held for a new message keeps the
        # message it was written after, so that only "send anyway" sends it.
        r = selectors.request_get_for(user=request.user, pk=pk)
        data = request.POST.copy()
        if f"{key}-version" in data:
            data[f"{key}-version"] = str(r.version)
        form = form_class(data, prefix=key, **form_kwargs)
        form.is_valid()
        form.add_error(None, exc.message)
        if isinstance(exc, NewMessageSince):
            form.held_since = form.cleaned_data.get("seen_message") or 0
        messages.error(request, exc.message)
        return _render_desk(request, r, bound={key: form}, status=exc.status_code)
    messages.error(request, exc.message)
    r = selectors.request_get_for(user=request.user, pk=pk)
    return _render_desk(request, r, bound={key: form}, status=exc.status_code)


@require_POST
@staff_required
def desk_triage(request, pk):
    return _desk_action(
        request,
        pk,
        key="triage",
        form_class=forms.TriageForm,
        form_kwargs=lambda r: {"support_request": r},
        run=_command(services.request_triage, by=request.user),
        success=gettext("Triage saved."),
    )


@require_POST
@staff_required
def desk_reply(request, pk):
    def run(r, data):
        # A reply changes no field a colleague edits: what it must not miss is a message
        # written since the page was loaded (the version is the fallback for older pages).
        seen = data["seen_message"]
        services.request_reply(
            support_request=r,
            by=request.user,
            body=data["body"],
            link_url=data["link_url"],
            canned_response=data["canned_response"],
            expected_version=data["version"] if seen is None else None,
            attachments=incoming_from_uploads(data["attachments"]),
            seen_message_id=seen,
            send_anyway=data["send_anyway"],
        )

    return _desk_action(
        request,
        pk,
        key="reply",
        form_class=forms.ReplyForm,
        run=run,
        success=gettext("Reply sent to the representative."),
    )


@require_POST
@staff_required
def desk_note(request, pk):
    def run(r, data):
        services.request_add_note(support_request=r, by=request.user, body=data["body"])

    return _desk_action(
        request, pk, key="note", form_class=forms.NoteForm, run=run, success=gettext("Note added.")
    )


@require_POST
@staff_required
def desk_log_time(request, pk):
    def run(r, data):
        services.request_log_time(
            support_request=r,
            by=request.user,
            minutes=data["minutes"],
            note=data["note"],
            worked_at=data["worked_at"],
        )

    return _desk_action(
        request, pk, key="time", form_class=forms.TimeForm, run=run, success=gettext("Time logged.")
    )


@require_POST
@staff_required
def desk_link_issue(request, pk):
    return _desk_action(
        request,
        pk,
        key="issue",
        form_class=forms.IssueForm,
        run=_command(services.request_link_issue, by=request.user),
        success=gettext("Engineering issue linked; the request is in work planning."),
    )


@require_POST
@staff_required
def desk_set_priority(request, pk):
    def run(r, data):
        updated = services.request_set_priority(
            support_request=r,
            by=request.user,
            expected_version=data["version"],
            **{name: data[name] for name in forms.PriorityForm.FACTORS},
        )
        r.priority_rank = updated.priority_rank

    return _desk_action(
        request,
        pk,
        key="priority",
        form_class=forms.PriorityForm,
        run=run,
        success=lambda r: (
            gettext("Priority saved: rank %(rank)s, %(label)s.")
            % {"rank": r.priority_rank, "label": RANK_LABELS[r.priority_rank]}
        ),
    )


@require_POST
@staff_required
def desk_resolve(request, pk):
    return _desk_action(
        request,
        pk,
        key="resolve",
        form_class=forms.ResolveForm,
        run=_command(services.request_resolve, by=request.user),
        success=gettext("Resolved; the resolution message was sent."),
    )


@require_POST
@staff_required
def desk_close(request, pk):
    return _desk_action(
        request,
        pk,
        key="close",
        form_class=forms.CloseForm,
        run=_command(services.request_close, by=request.user),
        success=gettext("Request closed."),
    )


@require_POST
@staff_required
def desk_close_as_duplicate(request, pk):
    """One request closed as a duplicate of another: the queue's bulk action, for one."""
    closed = []

    def run(r, data):
        closed.append(
            services.request_close_as_duplicate(
                support_request=r,
                by=request.user,
                original=data["duplicate_of"],
                expected_version=data["version"],
            )
        )

    return _desk_action(
        request,
        pk,
        key="duplicate",
        form_class=forms.DuplicateForm,
        run=run,
        success=lambda r: (
            gettext(
                "Closed as a duplicate of %(reference)s; the representative was told to follow "
                "it there."
            )
            % {"reference": closed[0].duplicate_of.reference}
        ),
    )


@require_POST
@staff_required
def desk_presence(request, pk):
    """The request page's poll (htmx, every POLL_SECONDS): record that this steward has the
    page open (typing a reply when `typing`), answer with who else has, and whether a message
    arrived after `seen` (the last message the page shows). Staff only; nothing is stored in
    the database; a cache outage shows nobody."""
    r = selectors.request_get_for(user=request.user, pk=pk)
    others = presence.presence_touch(
        request_id=r.pk, user=request.user, typing=request.POST.get("typing") == "1"
    )
    try:
        seen = int(request.POST.get("seen", ""))
    except ValueError:
        seen = None
    newer = (
        list(selectors.messages_since(r, seen_message_id=seen, excluding=request.user)[:3])
        if seen is not None and seen >= 0
        else []
    )
    html = render_to_string(
        "tickets/_presence.html", {"r": r, "others": others, "newer": newer}, request=request
    )
    # Nobody else and nothing new: an empty answer, so the (:empty) box takes no room.
    response = HttpResponse(html.strip())
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@staff_required
def community_lookup(request):
    """Communities whose name contains `q` (or whose slug starts with it), for the search box
    of the queue's community filter (static/js/lookup.js): at most 20, by name."""
    q = request.GET.get("q", "").strip()[:100]
    qs = Community.objects.all()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(slug__istartswith=q))
    rows = list(qs.order_by("name").values("id", "slug", "name")[:20])
    return JsonResponse({"results": rows})


# --- incoming mail that waits for a steward (tickets.inbound) --------------------------------


@require_GET
@staff_required
def incoming_mail(request):
    """Unmatched, held and quarantined e-mail: only the support team sees it."""
    rows = selectors.inbound_needing_steward()
    paginator = Paginator(rows, 25)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "tickets/incoming_mail.html",
        {"page": page, "attach_form": forms.AttachInboundForm(), "query": ""},
    )


@require_POST
@staff_required
def incoming_mail_attach(request, pk):
    inbound = selectors.inbound_get(pk=pk)
    form = forms.AttachInboundForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose the community to file this e-mail under."))
        return redirect("tickets:incoming_mail")
    try:
        r = inbound_services.inbound_email_attach(
            inbound=inbound,
            community=form.cleaned_data["community"],
            hub=form.cleaned_data["hub"],
            by=request.user,
            invite=form.cleaned_data["invite"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("tickets:incoming_mail")
    invited = (
        f"; {inbound.from_address} is invited to be a representative"
        if form.cleaned_data["invite"]
        else ""
    )
    messages.success(
        request,
        gettext("Filed as %(reference)s for %(community)s%(invited)s.")
        % {"reference": r.reference, "community": r.community, "invited": invited},
    )
    return redirect("tickets:desk_request", pk=r.pk)


@require_POST
@staff_required
def incoming_mail_release(request, pk):
    inbound = selectors.inbound_get(pk=pk)
    try:
        inbound = inbound_services.inbound_email_release(inbound=inbound, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("tickets:incoming_mail")
    messages.success(
        request, gettext("Released: %(value)s.") % {"value": inbound.get_status_display().lower()}
    )
    return redirect("tickets:incoming_mail")


@require_GET
@staff_required
def incoming_mail_original(request, pk):
    """The message exactly as it arrived, as plain text (never rendered as HTML)."""
    inbound = selectors.inbound_get(pk=pk)
    response = HttpResponse(bytes(inbound.raw), content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="message-{inbound.pk}.eml.txt"'
    return response


@require_GET
@login_required
def attachment_download(request, pk):
    """A file of a request, for whoever may read the request: always as a download
    (Content-Disposition: attachment, nosniff), never rendered in the browser. Another
    community's file does not exist (404)."""
    attachment = selectors.attachment_get_for(user=request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
