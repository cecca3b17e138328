"""`make load`: the users of scripts/load.sh. Stewards read the queue (first page and filtered
by community) and open requests from it; representatives read their list, open their requests
and submit new ones. Everybody logs in through the login form first, as a browser would.

Logging in is slow on purpose (PBKDF2, about a second of CPU on a busy machine), and 50 of them
at once queue up on two workers for half a minute. So the measured window starts 10 s after the
last user has logged in: the statistics are reset then, and the run stops LOAD_SECONDS later.
How long the logins took is written to <csv prefix>_logins.json for the report.

The server runs with production settings (DEBUG=0), so its cookies are marked Secure; this
client talks plain HTTP to loopback, as a TLS-terminating proxy would, so it keeps sending them
(DeskUser._unsecure). FastHttpUser (geventhttpclient) leaves more of the machine to the server.
Submissions are titled "Load submission ..." and removed afterwards (bench.loadtest cleanup)."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

import gevent
from locust import FastHttpUser, between, events, task

ENGINEERS = 30
COMMUNITIES = 500
PASSWORD = "bench"  # noqa: S105 - every bench account's (bench/dataset.py)
LINK = re.compile(r'href="/(?:desk/)?requests/(\d+)/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HUB = re.compile(r'<option value="(\d+)"')
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "0.5,2").split(","))
MEASURE_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
SETTLE_SECONDS = 10
_submissions = itertools.count(1)
_addresses = itertools.count(1)
_logins = {"done": 0, "started": time.monotonic()}


@events.test_start.add_listener
def _started(environment, **kwargs):
    _logins["started"] = time.monotonic()


def _logged_in(environment) -> None:
    """Count a finished login; after the last one, reset the statistics and time the window."""
    _logins["done"] += 1
    runner = environment.runner
    if _logins["done"] != runner.target_user_count:
        return
    entry = environment.stats.get("log in", "POST")
    summary = {
        "users": _logins["done"],
        "seconds_until_all_logged_in": round(time.monotonic() - _logins["started"], 1),
        "login_p50_ms": entry.get_response_time_percentile(0.5),
        "login_p95_ms": entry.get_response_time_percentile(0.95),
        "login_max_ms": round(entry.max_response_time),
        "login_failures": entry.num_failures,
    }
    prefix = environment.parsed_options.csv_prefix if environment.parsed_options else None
    if prefix:
        with open(f"{prefix}_logins.json", "w") as handle:
            json.dump(summary, handle)

    def measure() -> None:
        environment.stats.reset_all()
        gevent.spawn_later(MEASURE_SECONDS, runner.quit)

    # Pages requested while the logins held both workers finish late; they are not the steady
    # state this measures.
    gevent.spawn_later(SETTLE_SECONDS, measure)


class DeskUser(FastHttpUser):
    abstract = True
    wait_time = between(*WAIT)

    def username(self) -> str:
        raise NotImplementedError

    def on_start(self) -> None:
        send = self.client.request

        # Each user comes from an address of its own, as behind the ingress (the server runs
        # with PROXY_COUNT=1): per-address login limits apply per user, not to the whole test.
        n = next(_addresses)
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

        def request(*args, **kwargs):
            self._unsecure()
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "X-Forwarded-For": address}
            return send(*args, **kwargs)

        self.client.request = request
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        self.seen: list[str] = []
        name = self.username()
        with self.client.post(
            "/accounts/login/",
            {"username": name, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="log in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {name} answered {response.status_code}")
        _logged_in(self.environment)

    def _unsecure(self) -> None:
        """Let the session and CSRF cookies (Secure with DEBUG=0) travel over loopback HTTP."""
        for cookie in self.client.cookiejar:
            cookie.secure = False

    def remember(self, html: str) -> None:
        found = LINK.findall(html)
        if found:
            self.seen = found


class Steward(DeskUser):
    weight = 2

    def username(self) -> str:
        return f"eng{random.randrange(ENGINEERS):02d}"

    @task(5)
    def queue(self) -> None:
        response = self.client.get("/desk/", name="/desk/ (queue)")
        self.remember(response.text)

    @task(2)
    def queue_by_community(self) -> None:
        community = random.randrange(1, COMMUNITIES + 1)
        self.client.get(f"/desk/?community={community}", name="/desk/?community= (queue)")

    @task(3)
    def request_page(self) -> None:
        if not self.seen:
            return self.queue()
        pk = random.choice(self.seen)
        self.client.get(f"/desk/requests/{pk}/", name="/desk/requests/[id]/")


class Representative(DeskUser):
    weight = 3

    def username(self) -> str:
        return f"rep-c{random.randrange(COMMUNITIES):03d}"

    @task(4)
    def my_requests(self) -> None:
        response = self.client.get("/requests/", name="/requests/ (list)")
        self.remember(response.text)

    @task(3)
    def request_page(self) -> None:
        if not self.seen:
            return self.my_requests()
        pk = random.choice(self.seen)
        self.client.get(f"/requests/{pk}/", name="/requests/[id]/")

    @task(1)
    def submit(self) -> None:
        form = self.client.get("/requests/new/", name="/requests/new/ (form)")
        token, hub = CSRF.search(form.text), HUB.search(form.text)
        if token is None or hub is None:
            return
        with self.client.post(
            "/requests/new/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "hub": hub.group(1),
                "subject": f"Load submission {next(_submissions)}",
                "description": "Sent by `make load`.",
                "affected_users": 0,
            },
            name="/requests/new/ (submit)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"submission answered {response.status_code}")
