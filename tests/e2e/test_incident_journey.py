"""An incident from a community's request to its published report, in a real browser, as the
people do it (DOMAIN.md "Lifecycle of an incident", "The incident report"):

the steward (Ann) declares an incident from the request, acknowledges it and hands the Incident
Commander role to Ben; Ben logs the debugging (one internal command run, one public fix with its
pull request), sends a community update, resolves, writes the report and submits it; Cat reviews
it; the representative confirms that service is back; Ben closes the incident; an anonymous
visitor finds the report in the public archive, without the internal entry. On the way, a note
Cat adds from her own browser appears in Ben's open war room without a reload (the poll).

Every page visited is saved as a screenshot under test-results/screenshots/<test>/. Time is not
frozen (the live server runs in its own thread); nothing asserted depends on the weekday."""

from __future__ import annotations

import datetime
import importlib
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident, IncidentReport
from tests.e2e.conftest import login
from tickets import services as tickets_services
from tickets.models import CannedResponse, SupportRequest

pytestmark = pytest.mark.browser

SUBJECT = "Servers do not start on Alpha Hub"
RELATED_TO = "the user node pool, which hit its autoscaling limit."
HANDOFF_REASON = "End of my day; Ben knows the node pools best."
COMMAND = "kubectl -n alpha get pods --field-selector=status.phase=Pending  # INTERNAL-ONLY-ZX9"
SECRET = "INTERNAL-ONLY-ZX9"
FIX = "Raised the node pool's maximum size from 4 to 10 nodes."
PR_URL = "https://github.com/example/infrastructure/pull/4242"
CAT_NOTE = "Cat: the autoscaler log shows the quota error at the same time."
VERIFIED = "Started three test servers on Alpha Hub; all came up within a minute."
SUMMARY = "For about 40 minutes, users of Alpha Hub could not start their servers."
ANALYSIS = (
    "The node pool had a **hard upper limit** of four nodes that nobody knew about.\n\n"
    "- the course started on Monday\n"
    "- the autoscaler could not add nodes"
)
ACTION_ITEM = "Alert when a node pool reaches 80% of its maximum size"
ACTION_URL = "https://github.com/example/infrastructure/issues/4243"

# What must never show on a rendered page: template syntax, raw Markdown or HTML, Python's None.
RAW = re.compile(r"\{\{|\{%|\*\*|</?[a-z]+>|&lt;|&amp;|\bNone\b(?!\.)")


def assert_tidy(page) -> None:
    text = page.locator("main").inner_text()
    raw = RAW.search(text)
    assert raw is None, f"raw markup {raw.group(0)!r} on {page.url}"
    assert page.get_by_role("heading", level=1).count() == 1, f"one <h1> on {page.url}"


def unlabelled_controls(page) -> list[str]:
    """Visible inputs, selects and textareas without a label a screen reader would read."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main input, main select, main textarea')]
            .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)"""
    )


def visit(shot, page, name: str) -> None:
    """Every page a journey visits: tidy, labelled, and saved for a person to look at."""
    page.wait_for_load_state()
    assert_tidy(page)
    assert unlabelled_controls(page) == [], page.url
    shot(page, name)


def log_out(page) -> None:
    page.get_by_role("button", name=re.compile(r"^Log out")).click()
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()


def utc_input(instant: datetime.datetime) -> str:
    """The value a person types into a datetime-local field (UTC, minutes)."""
    return instant.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def canned_responses(db):
    """The live server flushes the database after each test, taking the rows of the data
    migration with it: put the default canned responses back."""
    defaults = importlib.import_module("tickets.migrations.0002_default_canned_responses")
    for slug, purpose, title, body in defaults.DEFAULTS:
        CannedResponse.objects.get_or_create(
            slug=slug, defaults={"purpose": purpose, "title": title, "body": body}
        )


@pytest.fixture
def outage_request(rep, hub, rotation, canned_responses):
    """What rep_a sent through the web form: 12 users cannot start their servers."""
    return tickets_services.request_submit(
        requester=rep,
        hub=hub,
        subject=SUBJECT,
        description=(
            "Since about 9:00 **none of our students** can start a server: the spawn page "
            "times out.\n\n- course: Data Science 101\n- about 12 students affected"
        ),
        cannot_start_servers=True,
        affected_users=12,
    )


def test_incident_goes_from_request_to_published_report(
    new_page, live_server, settings, outage_request, shot
):
    # Links in the e-mails and replies point at the server the browser talks to.
    settings.SITE_URL = live_server.url
    r = outage_request
    impact_start = timezone.now() - datetime.timedelta(minutes=40)

    # --- the steward declares an incident from the request ---------------------------------
    ann = new_page()
    login(ann, "ann")
    expect(ann).to_have_url(re.compile(r"/desk/$"))
    row = ann.locator("#queue tbody tr", has_text=r.reference)
    expect(row).to_contain_text("Likely incident")
    visit(shot, ann, "ann-queue")
    row.get_by_role("link", name=r.reference).click()
    expect(ann.get_by_role("heading", level=1)).to_have_text(f"{r.reference} · {SUBJECT}")
    visit(shot, ann, "ann-request")

    ann.get_by_role("link", name="Declare incident").click()
    expect(ann.get_by_role("heading", level=1)).to_have_text("Declare an incident")
    # Pre-filled from the request.
    expect(ann.get_by_label("Title")).to_have_value(SUBJECT)
    expect(ann.get_by_label("Alpha Hub (Alpha Research)")).to_be_checked()
    expect(ann.get_by_label("Symptom")).to_have_value(Incident.Symptom.START_SERVERS)
    expect(ann.get_by_label("Affected users")).to_have_value("12")
    expect(ann.get_by_label("Detected by")).to_have_value(Incident.Detection.COMMUNITY)
    expect(ann.locator(".banner-info")).to_contain_text(r.reference)
    ann.get_by_label("Impact start").fill(utc_input(impact_start))
    ann.get_by_label("What we think it is related to").fill(RELATED_TO)
    visit(shot, ann, "ann-declare-form")
    ann.get_by_role("button", name="Declare incident").click()

    # --- the war room: Ann is Incident Commander -------------------------------------------
    expect(ann.locator(".messages")).to_contain_text("You are the Incident Commander.")
    match = re.search(r"/incidents/(\d+)/$", ann.url)
    assert match, ann.url
    pk = int(match.group(1))
    war_room = f"/incidents/{pk}/"
    reference = f"INC-{pk}"
    expect(ann.get_by_role("heading", level=1)).to_have_text(f"{reference} · {SUBJECT}")
    vitals = ann.locator(".vitals")
    expect(vitals).to_contain_text("Triggered")
    expect(ann.locator(".vital", has_text="Commander")).to_contain_text("Ann Eng")
    expect(ann.locator("#live-timeline")).to_contain_text(f"Reported in {r.reference}")
    visit(shot, ann, "ann-war-room-triggered")

    ann.get_by_role("button", name="Acknowledge").click()
    expect(ann.locator(".messages")).to_contain_text(f"{reference} acknowledged")
    expect(ann.locator("#incident-state")).to_have_text("Acknowledged")
    visit(shot, ann, "ann-war-room-acknowledged")

    roles = ann.locator("#roles")
    roles.get_by_text("Hand off a role").click()
    handoff = ann.locator("#handoff")
    handoff.get_by_label("Role").select_option(label="Incident Commander")
    handoff.get_by_label("Hand to").select_option(label="Ben Eng")
    handoff.get_by_label("Why").fill(HANDOFF_REASON)
    visit(shot, ann, "ann-handoff-form")
    handoff.get_by_role("button", name="Hand off").click()
    expect(ann.locator(".messages")).to_contain_text("Ben Eng is now Incident Commander.")
    expect(ann.locator(".vital", has_text="Commander")).to_contain_text("Ben Eng")
    visit(shot, ann, "ann-war-room-handed-off")
    log_out(ann)

    # --- Ben takes over --------------------------------------------------------------------
    ben = ann  # the same laptop: Ann logged out, Ben logs in
    login(ben, "ben")
    ben.get_by_role("link", name="Incidents", exact=True).click()
    expect(ben.get_by_role("heading", level=1)).to_have_text("Incidents")
    incident_row = ben.locator("#incident-list tbody tr", has_text=reference)
    expect(incident_row).to_contain_text("Ben Eng")
    visit(shot, ben, "ben-incident-list")
    incident_row.get_by_role("link", name=reference).click()
    expect(ben.locator(".vital", has_text="Commander")).to_contain_text("Ben Eng")
    expect(ben.locator(".vital", has_text="Liaison")).to_contain_text("Ben Eng")
    timeline = ben.locator("#live-timeline")
    handoff_entry = timeline.locator("li.entry-handoff", has_text="Incident Commander")
    expect(handoff_entry).to_contain_text("Ann Eng → Ben Eng")
    expect(handoff_entry).to_contain_text(HANDOFF_REASON)
    visit(shot, ben, "ben-war-room")

    # A colleague adds a note from her own browser; Ben's open page shows it without a reload.
    ben.evaluate("window.notReloaded = true")
    cat = new_page()
    login(cat, "cat")
    cat.goto(war_room)
    entry_form = cat.locator("#entry")
    entry_form.get_by_label("Kind of entry").select_option(label="Note")
    entry_form.get_by_label("What happened").fill(CAT_NOTE)
    entry_form.get_by_role("button", name="Add entry").click()
    expect(cat.locator(".messages")).to_contain_text("Entry added to the timeline.")
    visit(shot, cat, "cat-war-room-note-added")
    # While the poll comes round: the war room on Ben's phone.
    phone = new_page(phone=True)
    login(phone, "ben")
    phone.goto(war_room)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{reference} · {SUBJECT}")
    expect(phone.locator("#live-timeline")).to_contain_text(CAT_NOTE)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
    visit(shot, phone, "ben-war-room-phone")
    expect(timeline).to_contain_text(CAT_NOTE, timeout=15_000)
    assert ben.evaluate("window.notReloaded") is True
    visit(shot, ben, "ben-war-room-live-update")

    # The command run stays internal; the fix is public, with its pull request. "When" left
    # empty means now, so each entry lands after what was logged before it.
    entry_form = ben.locator("#entry")
    expect(entry_form.get_by_label("When")).to_have_value("")
    entry_form.get_by_label("Kind of entry").select_option(label="Command run")
    entry_form.get_by_label("What happened").fill(COMMAND)
    expect(entry_form.get_by_label("Public")).not_to_be_checked()
    entry_form.get_by_role("button", name="Add entry").click()
    expect(ben.locator(".messages")).to_contain_text("Entry added to the timeline.")
    command_entry = timeline.locator("li.entry-command")
    expect(command_entry.locator("pre code")).to_have_text(COMMAND)
    expect(command_entry).to_contain_text("Internal")

    entry_form = ben.locator("#entry")
    entry_form.get_by_label("Kind of entry").select_option(label="Fix attempted")
    entry_form.get_by_label("What happened").fill(FIX)
    entry_form.get_by_label("Link").fill(PR_URL)
    entry_form.get_by_label("Public").check()
    visit(shot, ben, "ben-fix-entry-form")
    entry_form.get_by_role("button", name="Add entry").click()
    expect(ben.locator(".messages")).to_contain_text("Entry added to the timeline.")
    fix_entry = timeline.locator("li.entry-fix")
    expect(fix_entry).to_contain_text(FIX)
    expect(fix_entry).to_contain_text("Public")
    expect(fix_entry.get_by_role("link", name=PR_URL)).to_have_attribute("href", PR_URL)
    kinds = timeline.locator("li").evaluate_all("items => items.map(li => li.className)")
    order = [k.split()[0].removeprefix("entry-") for k in kinds]
    assert order[-5:] == ["handoff", "handoff", "note", "command", "fix"], order
    visit(shot, ben, "ben-war-room-entries")

    # --- a community update, then resolving ------------------------------------------------
    update = ben.locator("#update")
    body = update.get_by_label("Community update")
    text = body.input_value()
    assert "{link}" not in text and f"{live_server.url}{war_room}" in text
    text = text.replace("**What we have tried:** ", f"**What we have tried:** {FIX}")
    text = text.replace("**Next steps:** ", "**Next steps:** watch new servers start.")
    body.fill(text)
    visit(shot, ben, "ben-update-form")
    update.get_by_role("button", name="Send update").click()
    expect(ben.locator(".messages")).to_contain_text("Update sent to the community")
    update_entry = timeline.locator("li.entry-update")
    expect(update_entry.locator("strong", has_text="What we have tried:")).to_be_visible()
    expect(update_entry).to_contain_text("Hi everyone,")
    visit(shot, ben, "ben-war-room-update-sent")

    resolve = ben.locator("#resolve")
    expect(resolve.get_by_label("Impact end")).not_to_have_value("")
    expect(resolve.get_by_label("Message to the community")).to_have_value(
        re.compile("Service on Alpha Hub is back")
    )
    resolve.get_by_label("How was the fix verified?").fill(VERIFIED)
    visit(shot, ben, "ben-resolve-form")
    resolve.get_by_role("button", name="Resolve and tell the community").click()
    expect(ben.locator(".messages")).to_contain_text(f"{reference} resolved")
    expect(ben.locator("#incident-state")).to_have_text("Resolved")
    expect(timeline.locator("li.entry-state").last).to_contain_text(VERIFIED)
    expect(ben.locator("#next-heading + .stack")).to_contain_text(
        "An incident closes only once its report has been reviewed."
    )
    expect(ben.get_by_role("button", name="Close incident")).to_have_count(0)
    visit(shot, ben, "ben-war-room-resolved")

    # --- the report ------------------------------------------------------------------------
    ben.get_by_role("link", name="Write the report").click()
    expect(ben.get_by_role("heading", level=1)).to_contain_text("Incident report")
    visit(shot, ben, "ben-report-none-yet")
    ben.get_by_role("button", name="Create draft report").click()
    expect(ben.locator(".messages")).to_contain_text("Draft report created")
    expect(ben.locator("#review-state")).to_have_text("Draft")
    # Pre-filled from the public entries only; the internal one is beside the editor.
    draft_timeline = ben.get_by_role("textbox", name="Timeline").input_value()
    assert FIX in draft_timeline and PR_URL in draft_timeline
    assert SECRET not in draft_timeline
    expect(ben.locator("#internal-heading + p + .timeline")).to_contain_text(SECRET)
    expect(ben.get_by_label("Owner of the review")).to_have_value(
        re.compile(r"^\d+$")  # Ben, the commander
    )
    visit(shot, ben, "ben-report-draft")

    ben.get_by_label("Summary").fill(SUMMARY)
    ben.get_by_label("Analysis").fill(ANALYSIS)
    ben.get_by_role("button", name="Save report").click()
    expect(ben.locator(".messages")).to_contain_text("Report saved.")
    expect(ben.get_by_label("Summary")).to_have_value(SUMMARY)

    items = ben.locator("#items-heading").locator("..")
    items.get_by_label("Action item", exact=True).fill(ACTION_ITEM)
    items.get_by_label("Follow-up issue URL").fill(ACTION_URL)
    items.get_by_label("Owner").select_option(label="Dan Eng")
    visit(shot, ben, "ben-report-action-item-form")
    items.get_by_role("button", name="Add action item").click()
    expect(ben.locator(".messages")).to_contain_text("Action item added.")
    expect(ben.locator("#action-items")).to_contain_text(ACTION_ITEM)
    expect(ben.locator("#action-items")).to_contain_text("Dan Eng")
    visit(shot, ben, "ben-report-written")

    ben.get_by_role("button", name="Submit for review").click()
    expect(ben.locator(".messages")).to_contain_text("Report submitted for review.")
    expect(ben.locator("#review-state")).to_have_text("In review")
    visit(shot, ben, "ben-report-in-review")

    # --- a colleague reviews it ------------------------------------------------------------
    cat.get_by_role("link", name="Incidents", exact=True).click()
    cat.locator("#incident-list").get_by_role("link", name=reference).click()
    cat.get_by_role("link", name="Incident report (in review)").click()
    expect(cat.locator("#review-state")).to_have_text("In review")
    visit(shot, cat, "cat-report-in-review")
    cat.get_by_role("button", name="Mark reviewed and publish").click()
    expect(cat.locator(".messages")).to_contain_text("Report reviewed: published")
    expect(cat.locator("#review-state")).to_have_text("Reviewed")
    expect(cat.locator("#published-heading + .report")).to_contain_text(SUMMARY)
    visit(shot, cat, "cat-report-reviewed")

    # --- the representative confirms that service is back ----------------------------------
    rep = new_page()
    login(rep, "rep_a")
    rep_row = rep.locator(f"#request-{r.pk}")
    visit(shot, rep, "rep-requests")
    rep_row.get_by_role("link").click()
    conversation = rep.locator("#conversation")
    expect(conversation).to_contain_text("Service on Alpha Hub is back.")
    expect(conversation).to_contain_text("has been reviewed and published")
    # The acknowledgement reads as a sentence: "... related to <what the steward typed>."
    expect(conversation).to_contain_text(f"We think it is related to {RELATED_TO}")
    assert ".." not in conversation.inner_text()
    assert SECRET not in rep.content()
    visit(shot, rep, "rep-request")
    # The messages say where to follow the incident: the representative follows that address.
    link = re.search(rf"{re.escape(live_server.url)}/incidents/\d+/", conversation.inner_text())
    assert link and link.group(0).endswith(war_room), conversation.inner_text()
    rep.goto(link.group(0))
    expect(rep.get_by_role("heading", level=1)).to_have_text(f"{reference} · {SUBJECT}")
    expect(rep.locator("#live-timeline")).to_contain_text(FIX)
    expect(rep.locator("#live-timeline")).not_to_contain_text(SECRET)
    expect(rep.locator("#live-timeline")).not_to_contain_text(CAT_NOTE)
    visit(shot, rep, "rep-incident-resolved")
    rep.get_by_role("button", name="Yes, service is back").click()
    expect(rep.locator(".messages")).to_contain_text("Thank you: confirmation recorded.")
    expect(rep.get_by_role("button", name="Yes, service is back")).to_have_count(0)
    visit(shot, rep, "rep-incident-confirmed")

    # --- Ben closes the incident -----------------------------------------------------------
    ben.get_by_role("link", name=f"{reference} war room").click()
    expect(ben.locator("#live-timeline")).to_contain_text(
        "The community confirmed that service is back."
    )
    visit(shot, ben, "ben-war-room-ready-to-close")
    ben.get_by_role("button", name="Close incident").click()
    expect(ben.locator(".messages")).to_contain_text(f"{reference} closed.")
    expect(ben.locator("#incident-state")).to_have_text("Closed")
    expect(ben.locator(".incident-head .state-badge")).to_have_text("Closed")
    expect(ben.locator("#entry")).to_have_count(0)  # the timeline is final, and not polled
    expect(ben.get_by_role("heading", name="Timeline", exact=True)).to_be_visible()
    expect(ben.locator("[data-poll-url]")).to_have_count(0)
    visit(shot, ben, "ben-war-room-closed")

    # --- anybody reads the report in the public archive ------------------------------------
    visitor = new_page()
    visitor.goto("/reports/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Incident reports")
    archive_row = visitor.locator("#report-archive tbody tr", has_text=reference)
    expect(archive_row).to_contain_text("Alpha Hub")
    visit(shot, visitor, "public-report-archive")
    archive_row.get_by_role("link", name=f"{reference}: {SUBJECT}").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"{reference}: {SUBJECT}")
    report = visitor.locator(".report")
    expect(report).to_contain_text(SUMMARY)
    expect(report.locator("strong", has_text="hard upper limit")).to_be_visible()
    expect(report).to_contain_text(FIX)
    expect(report).to_contain_text(ACTION_ITEM)
    assert SECRET not in visitor.content()
    assert CAT_NOTE not in visitor.content()
    visit(shot, visitor, "public-report")

    reader = new_page(phone=True)
    reader.goto(visitor.url)
    expect(reader.locator(".report")).to_contain_text(SUMMARY)
    assert reader.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
    visit(shot, reader, "public-report-phone")

    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="Download Markdown").click()
    assert download.value.suggested_filename == f"{reference}-report.md"
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith(f"# {reference}: {SUBJECT}")
    assert SUMMARY in markdown and FIX in markdown and ACTION_URL in markdown
    assert SECRET not in markdown and CAT_NOTE not in markdown
    # The report's timeline is in the order things happened.
    assert markdown.index("Acknowledged:") < markdown.index(FIX) < markdown.index("Resolved:")

    # The records behind the pages agree.
    incident = Incident.objects.get(pk=pk)
    assert incident.state == Incident.State.CLOSED and incident.community_confirmed_at
    assert incident.report.review_state == IncidentReport.Review.REVIEWED
    assert incident.report.reviewed_by.username == "cat"
    assert SupportRequest.objects.get(pk=r.pk).incident_id == pk
