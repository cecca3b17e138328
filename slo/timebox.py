"""The time-box (DOMAIN.md, SLO table): 30 working minutes of trying to fix it, started by
triage (a request) or by the incident opening; then open an engineering issue (non-incident) or
alert the engineering team and the project manager (incident).

- Pages show it as a countdown once it runs (`timebox_state`, static/js/timebox.js).
- When it runs out, the sweep in desk/timebox.py (with the SLO sweep, every minute) nudges the
  steward once, and for an incident still open alerts the team and the project manager.
"""

from __future__ import annotations

import datetime

from supportdesk import worktime


def timebox_state(*, due: datetime.datetime, calendar, now: datetime.datetime) -> dict:
    """What a page shows: working seconds left, whether the clock runs right now (it waits over
    a weekend or closed date), and whether it is over."""
    expired = due <= now
    left = datetime.timedelta(0) if expired else worktime.working_time_between(now, due, calendar)
    seconds = int(left.total_seconds())
    return {
        "due": due,
        "seconds": seconds,
        "clock": f"{seconds // 60:d}:{seconds % 60:02d}",
        "running": worktime.is_working_time(now, calendar),
        "expired": expired,
    }


def request_timebox_running(r) -> bool:
    """A triaged non-incident request without an engineering issue yet."""
    return bool(
        r.timebox_due_at
        and r.status == "triaged"
        and not r.engineering_issue_url
        and r.category != "incident"
    )
