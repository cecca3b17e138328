"""How fast deadlines are computed, and that a long objective costs about what a short one does.

Run with ``python -m bench.worktime_bench``. The figure that matters is the ratio: the algorithm
is meant to be O(log n) in closed dates, so a 2,000-hour deadline across 50 closed dates should
be no more than about three times slower than an 8-hour one.
"""

from __future__ import annotations

import timeit
from datetime import UTC, datetime, timedelta

from supportdesk.worktime import WorkCalendar, add_working_time

SECONDS_PER_MEASUREMENT = 0.5
TARGET_RATIO = 3.0


def _calls_per_second(call) -> float:
    timer = timeit.Timer(call)
    number, elapsed = timer.autorange()  # at least 0.2 s: enough to size the real run
    number = max(1, int(number * SECONDS_PER_MEASUREMENT / elapsed))
    return number / timer.timeit(number)


def _measure(zone: str) -> dict[str, float]:
    start = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    # 2,000 working hours is about 17 weeks; with 50 closed dates the span reaches ~190 days.
    closed = [(start + timedelta(days=2 + 4 * i)).date() for i in range(50)]
    calendar = WorkCalendar(zone, closed)
    short, long = timedelta(hours=8), timedelta(hours=2_000)
    add_working_time(start, long, calendar)  # builds the zone's clock-change table once
    short_rate = _calls_per_second(lambda: add_working_time(start, short, calendar))
    long_rate = _calls_per_second(lambda: add_working_time(start, long, calendar))
    return {
        "short_calls_per_second": round(short_rate),
        "long_calls_per_second": round(long_rate),
        "long_slowdown": round(short_rate / long_rate, 2),
    }


def run() -> dict:
    results = {zone: _measure(zone) for zone in ("UTC", "Europe/Berlin")}
    for zone, figures in results.items():
        print(
            f"{zone:>14}: 8 h {figures['short_calls_per_second']:>9,} calls/s; "
            f"2,000 h with 50 closed dates {figures['long_calls_per_second']:>9,} calls/s; "
            f"long is {figures['long_slowdown']}x slower (target <= {TARGET_RATIO}x)"
        )
    results["target_ratio"] = TARGET_RATIO
    results["within_target"] = all(
        figures["long_slowdown"] <= TARGET_RATIO
        for zone, figures in results.items()
        if isinstance(figures, dict)
    )
    return results


if __name__ == "__main__":
    run()
