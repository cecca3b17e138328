"""axe-core (installed from the npm registry by `make install`, pinned in package-lock.json)
on every main page, for each role: anonymous, representative, steward, admin. Zero violations.

The context bypasses the page's Content-Security-Policy only so that the test may inject axe;
the pages themselves carry no inline script. Every page is saved as a screenshot (laptop
width; the representative's pages at phone width too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from incidents.models import Incident
from incidents.services import lifecycle
from tests.conftest import service_missing
from tests.e2e.conftest import login
from tickets import services as tickets

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


@pytest.fixture
def axe_page(browser, live_server, shot):
    if not AXE.exists():
        service_missing("needs axe-core: run `make install` (npm ci) to put it in node_modules/")
    contexts = []

    def open_page(*, phone: bool = False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(base_url=live_server.url, viewport=viewport, bypass_csp=True)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def check(page, path: str, shot, name: str) -> list[str]:
    """Open `path`, save a screenshot, run axe; the violations as readable lines."""
    response = page.goto(path)
    assert response is not None and response.status < 400, f"{path}: {response and response.status}"
    page.wait_for_load_state("load")
    shot(page, name)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE)
    return [
        f"{path}: {v['id']} ({v['impact']}) {v['help']}: {json.dumps(v['nodes'])}"
        for v in violations
    ]


@pytest.fixture
def world(rep, hub, steward, admin_user, rotation):
    support_request = tickets.request_submit(
        requester=rep,
        hub=hub,
        subject="Kernel dies on import",
        description="Importing *xarray* kills the kernel.",
        cannot_run_code=True,
        affected_users=3,
    )
    tickets.request_reply(support_request=support_request, by=steward, body="We are looking at it.")
    incident = lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Servers do not start",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=25,
        detected_by=Incident.Detection.ALERT,
        summary="Node pool quota.",
    )
    return {"request": support_request, "incident": incident, "hub": hub}


def test_axe_finds_no_violation_on_any_main_page_for_any_role(
    axe_page, world, rep, steward, admin_user, shot
):
    r, incident, hub = world["request"], world["incident"], world["hub"]
    anonymous_pages = [
        "/status/",
        "/status/?q=alpha",
        reverse("availability:hub", args=[hub.slug]),
        reverse("availability:incident", args=[incident.pk]),
        reverse("incidents:report_archive"),
        reverse("slo:calendar"),
        reverse("integrations:subscribe"),
        "/accounts/login/",
        "/accounts/password/reset/",
    ]
    rep_pages = [
        "/requests/",
        "/requests/new/",
        f"/requests/{r.pk}/",
        f"/requests/{r.pk}/received/",
        reverse("communities:budget"),
        reverse("accounts:account"),
        reverse("accounts:api_tokens"),
        reverse("slo:calendar"),
        "/status/",
    ]
    steward_pages = [
        "/desk/",
        f"/desk/requests/{r.pk}/",
        reverse("tickets:incoming_mail"),
        reverse("incidents:list"),
        reverse("incidents:declare"),
        reverse("incidents:detail", args=[incident.pk]),
        reverse("rotation:schedule"),
        reverse("communities:budget"),
        reverse("availability:maintenance"),
        reverse("desk:reliability"),
        reverse("notifications:my_nudges"),
        reverse("accounts:invite"),
        reverse("accounts:account"),
    ]
    admin_pages = ["/desk/", reverse("accounts:invite"), reverse("availability:maintenance")]

    found: list[str] = []
    page = axe_page()
    for n, path in enumerate(anonymous_pages):
        found += check(page, path, shot, f"anonymous-{n:02d}")

    for who, pages, phone in (
        (rep, rep_pages, True),
        (steward, steward_pages, False),
        (admin_user, admin_pages, False),
    ):
        page = axe_page()
        login(page, who.username)
        for n, path in enumerate(pages):
            found += check(page, path, shot, f"{who.username}-{n:02d}")
        if phone:
            small = axe_page(phone=True)
            login(small, who.username)
            for n, path in enumerate(pages[:4]):
                found += check(small, path, shot, f"{who.username}-phone-{n:02d}")

    assert found == [], "axe violations:\n" + "\n".join(found)
