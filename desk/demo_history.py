"""Demo requests and incidents, created through the services the pages call, so every rule
holds (deadlines, audit events, budgets, notifications). Runs once: nothing happens when any
request exists already."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from communities.models import Hub, Membership
from incidents.models import Incident
from incidents.services import action_items, assignments, lifecycle, live_log, reports, updates
from tickets import services as tickets
from tickets.models import CannedResponse, SupportRequest

# (hub slug, days ago received, subject, description, symptoms, affected users, story)
REQUESTS = [
    ("pangeo", 0.1, "Kernels die when loading a 40 GB Zarr store",
     "Several students report that their kernel restarts when they open the **ERA5** store.\n\n"
     "```python\nxr.open_zarr(url)\n```", {"cannot_run_code": True}, 6, "new"),
    ("openscapes", 0.3, "Please add `earthaccess` 0.12 to the image",
     "We need the new search API for a workshop next month.", {}, 0, "new"),
    ("ucmerced", 1.5, "Larger servers for the capstone course",
     "Could we offer a 16 GB option to 30 students from January?", {}, 0, "triaged"),
    ("leap", 3.2, "Deploy the upstream JupyterHub 5 upgrade",
     "Is there a plan to upgrade? We'd like the new sharing feature.", {}, 0, "planned"),
    ("cloudbank-data8", 2.4, "How should we structure shared course data?",
     "We'd like advice on where to put read-only datasets for 600 students.", {}, 0, "answered"),
    ("smithsonian", 4.0, "Users cannot see the new conda environment",
     "After the image update the `geo` kernel is gone from the launcher.", {}, 0, "resolved"),
    ("climatematch", 9.0, "Increase the per-user storage quota",
     "Students run out of space during the last week.", {}, 0, "closed"),
    ("bhki", 6.0, "Guidance on GPU access for a research group",
     "A group wants to fine-tune models; what are our options?", {}, 0, "closed"),
    ("earthscope", 5.5, "Dask Gateway cluster options for seismology workflows",
     "We need workers with more memory for cross-correlation jobs.", {}, 0, "overdue"),
]  # fmt: skip


def seed_history(*, stdout=None) -> str:
    if SupportRequest.objects.exists():
        return ""
    stewards = list(User.objects.filter(engineer__isnull=False).order_by("username"))
    if not stewards:
        return ""
    now = timezone.now()
    made = 0
    for hub_slug, days_ago, subject, description, symptoms, affected, story in REQUESTS:
        hub = Hub.objects.select_related("community").get(slug=hub_slug)
        rep = Membership.objects.get(community=hub.community, role="representative").user
        steward = stewards[made % len(stewards)]
        with transaction.atomic():
            r = tickets.request_submit(
                requester=rep,
                hub=hub,
                subject=subject,
                description=description,
                affected_users=affected,
                at=now - dt.timedelta(days=days_ago),
                **symptoms,
            )
        _play(r, story, steward=steward, rep=rep)
        made += 1
    incidents = _seed_incidents(stewards=stewards, now=now)
    return f"{made} requests, {incidents} incidents"


def _play(r: SupportRequest, story: str, *, steward, rep) -> None:
    def fresh():
        return SupportRequest.objects.get(pk=r.pk)

    if story in ("new", "overdue"):
        return
    category = "guidance" if "uidance" in r.subject or "How" in r.subject else "change"
    tickets.request_triage(
        support_request=fresh(),
        by=steward,
        category=category,
        assignee=steward,
        expected_version=r.version,
    )
    if story == "triaged":
        tickets.request_add_note(
            support_request=fresh(),
            by=steward,
            body="Check the node pool quota before promising this.",
        )
        return
    tickets.request_reply(
        support_request=fresh(),
        by=steward,
        body="Thanks! We are looking into this and will get back to you within a working day.",
    )
    tickets.request_log_time(support_request=fresh(), by=steward, minutes=45, note="Investigation")
    if story == "planned":
        tickets.request_link_issue(
            support_request=fresh(),
            by=steward,
            url="https://github.com/example/infrastructure/issues/4521",
        )
        return
    if story == "answered":
        tickets.request_reply(
            support_request=fresh(),
            by=rep,
            body="Thank you, that helps. One more question: quotas?",
        )
        return
    resolution = CannedResponse.objects.filter(purpose="resolution").first()
    body = tickets.canned_response_render(canned=resolution, support_request=fresh(), by=steward)
    tickets.request_log_time(support_request=fresh(), by=steward, minutes=60, note="Fix and verify")
    current = fresh()
    tickets.request_resolve(
        support_request=current, by=steward, body=body, expected_version=current.version
    )
    if story == "closed":
        tickets.request_confirm(support_request=fresh(), by=rep)


def _seed_incidents(*, stewards, now) -> int:
    """One resolved incident with a reviewed, published report, and one open incident declared
    from a community's request."""

    commander, expert = stewards[0], stewards[1]
    # A resolved outage, found by monitoring, with its blameless report.
    hub = Hub.objects.get(slug="ucmerced")
    started = now - dt.timedelta(days=8, hours=3)
    past = lifecycle.incident_declare(
        by=commander,
        hubs=[hub],
        title="Users could not start servers on UC Merced Hub",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=40,
        detected_by=Incident.Detection.ALERT,
        summary="Image pulls failing after a registry credential rotated.",
        impact_started_at=started,
    )
    past = lifecycle.incident_acknowledge(incident=past, by=commander)
    assignments.incident_add_sme(incident=past, user=expert, by=commander)
    live_log.incident_add_timeline_entry(
        incident=past,
        by=expert,
        kind="command",
        body="`kubectl -n ucmerced get events | grep ErrImagePull`",
    )
    live_log.incident_add_timeline_entry(
        incident=past,
        by=expert,
        kind="fix",
        body="Rotated the pull secret and restarted the image puller.",
        link_url="https://github.com/example/infrastructure/pull/4410",
    )
    updates.incident_send_update(
        incident=past,
        by=commander,
        body="We found the cause (an expired registry credential) and are rolling out a fix.",
    )
    past = lifecycle.incident_resolve(
        incident=Incident.objects.get(pk=past.pk),
        by=commander,
        impact_ended_at=started + dt.timedelta(hours=2),
        verification_note="Started 20 test servers; all pulled the image within 40 s.",
        message="Servers start normally again.",
    )
    report = reports.report_create(incident=past, by=commander)
    report = reports.report_update(
        report=report,
        by=commander,
        expected_version=report.version,
        summary="A rotated registry credential stopped new servers from pulling their image.",
        analysis="The credential had no expiry alert. Systemic fix: alert 14 days ahead.",
    )
    action_items.action_item_add(
        report=report,
        by=commander,
        description="Alert 14 days before registry credentials expire",
        follow_up_url="https://github.com/example/infrastructure/issues/4411",
        owner=expert,
    )
    report = reports.report_submit_for_review(report=report, by=commander)
    reports.report_mark_reviewed(report=report, by=expert)

    # An open incident, declared from a representative's request.
    support_request = SupportRequest.objects.filter(likely_incident=True).first()
    if support_request is not None:
        open_incident = lifecycle.incident_declare(
            by=stewards[2 % len(stewards)],
            hubs=[support_request.hub],
            title="Kernels die on Pangeo Hub when loading large Zarr stores",
            symptom=Incident.Symptom.RUN_CODE,
            affected_users=support_request.affected_users,
            detected_by=Incident.Detection.COMMUNITY,
            from_request=support_request,
        )
        lifecycle.incident_acknowledge(incident=open_incident, by=stewards[2 % len(stewards)])
        return 2
    return 1
