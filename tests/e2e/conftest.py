"""Browser journeys in real headless Chromium (Debian's package) driven by Playwright.

Every page a journey visits is saved as a screenshot under test-results/screenshots/<test>/,
so a person can look at them. Missing Chromium skips, or fails when REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import service_missing

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        service_missing("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


# Every page reports Content-Security-Policy violations to its console: Chromium logs its own
# ("Refused to ... because it violates the following Content Security Policy directive"), and
# this listener logs each `securitypolicyviolation` event too (e.g. a report-only violation).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("Content Security Policy violation: " + event.violatedDirective +
                " blocked " + (event.blockedURI || "inline") + " at " + event.documentURI +
                " (" + (event.sourceFile || "?") + ":" + event.lineNumber + ")");
});
"""


class CspViolations(list):
    """Console messages about the Content-Security-Policy, from every page of a test."""

    def watch(self, page) -> None:
        if getattr(page, "_csp_watched", False):
            return
        page._csp_watched = True

        def on_console(message):
            if "Content Security Policy" in message.text:
                self.append(f"{page.url}: {message.text}")

        page.on("console", on_console)


@pytest.fixture
def csp_violations():
    """The CSP violations seen so far; `new_page` fails the test at teardown if any."""
    return CspViolations()


@pytest.fixture
def new_page(browser, live_server, csp_violations):
    """Open a fresh browser context (its own cookies) on the live server. Any page of it that
    violates the Content-Security-Policy fails the test."""
    contexts = []

    def open_page(*, phone: bool = False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_LISTENER)
        context.on("page", csp_violations.watch)
        contexts.append(context)
        page = context.new_page()
        csp_violations.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def shot(request):
    """shot(page, "name"): save a full-page screenshot for a person to look at."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def take(page, name: str) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, username: str, password: str = "pw") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture(autouse=True)
def _canned_responses(live_server):
    """The live server's transactional tests flush the tables after each test, including the
    rows data migrations created; put the shipped canned responses back."""
    import importlib

    from tickets.models import CannedResponse

    defaults = importlib.import_module("tickets.migrations.0002_default_canned_responses").DEFAULTS
    for slug, purpose, title, body in defaults:
        CannedResponse.objects.get_or_create(
            slug=slug, defaults={"purpose": purpose, "title": title, "body": body}
        )
