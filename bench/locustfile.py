"""`make load`: the users of scripts/load.sh. Stewards read the queue (first page and filtered
by community) and open requests from it; representatives read their list, open their requests
and submit new ones. Everybody logs in through the login form first, as a browser would.

Think time (LOAD_WAIT, "min,max" in seconds, default 0.1 to 0.5: 0.3 s on average). Issue 21's
target, 150 requests/s from 50 users, means one request from each user every 0.33 s, response
included; with the 0.5 to 2 s pause of a person reading a page, 50 users could never offer more
than about 40 requests/s, whatever the server did. So these users click about ten times faster
than a person: 50 of them offer the load of some 500 stewards and representatives at a human
pace (3 s between clicks), though with fewer connections open at once. LOAD_WAIT="0.5,2" gives
the human pace back.

Logging in is slow on purpose (Argon2id, supportdesk/hashers.py: about 20 ms of a core each),
and while users start, their logins queue behind the pages of the users already started. So the
measured window starts 10 s after the last user has logged in: the statistics are reset then,
and the run stops LOAD_SECONDS later. How long the logins took (the slowest is one of issue 21's
targets at 200 users) is written to <csv prefix>_logins.json for the report.

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
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "0.1,0.5").split(","))
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
        began, cpu = time.monotonic(), server_cpu_seconds()

        def finish() -> None:
            # The server's CPU time over the window (its processes' user + system time): on a
            # shared machine a steadier figure than requests/s, which others' work lowers.
            used = server_cpu_seconds()
            if prefix and cpu is not None and used is not None:
                with open(f"{prefix}_server.json", "w") as handle:
                    json.dump(
                        {
                            "cpu_seconds": round(used - cpu, 2),
                            "window_seconds": round(time.monotonic() - began, 1),
                        },
                        handle,
                    )
            runner.quit()

        gevent.spawn_later(MEASURE_SECONDS, finish)

    # Pages requested while the logins held both workers finish late; they are not the steady
    # state this measures.
    gevent.spawn_later(SETTLE_SECONDS, measure)


def server_cpu_seconds() -> float | None:
    """User + system CPU time of the server (LOAD_SERVER_PID, the gunicorn master, and its
    workers) from /proc; None without it (another OS, or no pid given)."""
    master = os.environ.get("LOAD_SERVER_PID", "")
    if not master.isdigit() or not os.path.isdir("/proc"):
        return None
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                # After "pid (command)": state, ppid, ..., utime and stime (fields 14 and 15).
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if entry == master or fields[1] == master:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


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
