"""The support steward rotation, as pure date arithmetic.

Two stewards serve at a time and each serves four weeks. Every two weeks (at the sprint
meeting) the longer-serving steward leaves and the next engineer on the roster joins, so
tenures overlap by two weeks. The roster is the engineering team sorted alphabetically,
cycling forever.

In general, with ``team_size`` stewards and a change every ``shift_weeks`` weeks, each steward
serves ``team_size`` consecutive shifts, so ``tenure_weeks == team_size * shift_weeks``. Shifts
are numbered from ``start``, the date of the first shift change: shift ``k`` runs from
``start + k * shift_weeks`` weeks (inclusive) to the next change (exclusive), and its team is::

    roster[k % n], roster[(k + 1) % n], ..., roster[(k + team_size - 1) % n]

most senior first. So on ``start`` the newest steward, ``roster[team_size - 1]``, begins a
tenure while the others are already part-way through theirs (with the defaults: ``roster[0]``
is half-way through and ``roster[1]`` begins). Nothing is defined before ``start``.

Everything here is positional and O(1) per question: the team follows from the shift number
alone, never from replaying history. Overrides (skipping someone who is away, swapping two
turns) are deliberately not handled here; a stored layer applies them on top of ``on_duty``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = [
    "Shift",
    "duty_periods",
    "on_duty",
    "shift_index",
    "shift_start",
    "shifts",
]


@dataclass(frozen=True)
class Shift:
    """One stretch between two shift changes, with the team that serves through it."""

    index: int
    starts: date
    ends: date  # exclusive: the day of the next change already belongs to the next shift
    team: tuple[str, ...]  # most senior first
    joining: str
    # None only for shift 0: who left before ``start`` is outside the schedule.
    leaving: str | None


def _require_positive(**numbers: int) -> None:
    for label, value in numbers.items():
        # bool is an int subclass; True as a team size is always a caller mistake.
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")


def _require_date(label: str, value: object) -> None:
    # A datetime is a date subclass, but mixing them fails or silently shifts by a time zone;
    # the rotation changes at the start of a calendar day, so the caller must pick the day.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{label} must be a date (not a datetime), got {value!r}")


def _check_rotation(
    roster: Sequence[str], team_size: int, tenure_weeks: int, shift_weeks: int
) -> None:
    _require_positive(team_size=team_size, tenure_weeks=tenure_weeks, shift_weeks=shift_weeks)
    if tenure_weeks % shift_weeks != 0:
        raise ValueError(
            f"tenure_weeks ({tenure_weeks}) must be a whole number of shifts of shift_weeks "
            f"({shift_weeks}) weeks: stewards only join and leave at a shift change"
        )
    if tenure_weeks // shift_weeks != team_size:
        raise ValueError(
            f"a tenure of {tenure_weeks} weeks with a change every {shift_weeks} weeks means "
            f"each steward serves {tenure_weeks // shift_weeks} shifts and that many overlap, "
            f"but team_size is {team_size}: team_size must equal tenure_weeks // shift_weeks"
        )
    if len(roster) < team_size:
        raise ValueError(
            f"the roster has {len(roster)} engineer(s), fewer than the team_size of {team_size}"
        )
    if len(set(roster)) != len(roster):
        # A repeated name would put one person in two seats of the same team.
        raise ValueError(f"the roster names someone more than once: {list(roster)!r}")


def _team(k: int, roster: Sequence[str], team_size: int) -> tuple[str, ...]:
    n = len(roster)
    return tuple(roster[(k + i) % n] for i in range(team_size))


def shift_index(day: date, start: date, shift_weeks: int = 2) -> int:
    """The number of the shift that ``day`` falls in; shift 0 begins on ``start``."""
    _require_date("day", day)
    _require_date("start", start)
    _require_positive(shift_weeks=shift_weeks)
    if day < start:
        raise ValueError(f"{day} is before the rotation starts on {start}")
    return (day - start).days // (7 * shift_weeks)


def shift_start(k: int, start: date, shift_weeks: int = 2) -> date:
    """The day shift ``k`` begins (the day of its shift change)."""
    _require_date("start", start)
    _require_positive(shift_weeks=shift_weeks)
    if k < 0:
        raise ValueError(f"shift {k} would be before the rotation starts on {start}")
    return start + timedelta(weeks=k * shift_weeks)


def on_duty(
    day: date,
    roster: Sequence[str],
    start: date,
    team_size: int = 2,
    tenure_weeks: int = 4,
    shift_weeks: int = 2,
) -> list[str]:
    """The stewards serving on ``day``, most senior first.

    Purely positional (no overrides), so that an override layer can start from it.
    """
    _check_rotation(roster, team_size, tenure_weeks, shift_weeks)
    k = shift_index(day, start, shift_weeks)
    return list(_team(k, roster, team_size))


def _shift(k: int, roster: Sequence[str], start: date, team_size: int, shift_weeks: int) -> Shift:
    team = _team(k, roster, team_size)
    return Shift(
        index=k,
        starts=shift_start(k, start, shift_weeks),
        ends=shift_start(k + 1, start, shift_weeks),
        team=team,
        joining=team[-1],
        # With a roster no bigger than the team this is also the one joining: they rotate to
        # the junior seat without ever leaving.
        leaving=roster[(k - 1) % len(roster)] if k > 0 else None,
    )


def shifts(
    roster: Sequence[str],
    start: date,
    *,
    first_day: date,
    weeks: int,
    team_size: int = 2,
    tenure_weeks: int = 4,
    shift_weeks: int = 2,
) -> list[Shift]:
    """The shifts overlapping ``[first_day, first_day + weeks * 7 days)``, in order.

    Shifts are returned whole (not cut at the window's edges). A window reaching back before
    ``start`` is not an error here, unlike in ``on_duty``: a schedule page may well open on the
    week before the rotation begins, and there are simply no shifts there to show.
    """
    _check_rotation(roster, team_size, tenure_weeks, shift_weeks)
    _require_date("first_day", first_day)
    _require_positive(weeks=weeks)
    window_end = first_day + timedelta(weeks=weeks)
    if window_end <= start:
        return []
    first = shift_index(max(first_day, start), start, shift_weeks)
    last = shift_index(window_end - timedelta(days=1), start, shift_weeks)
    return [_shift(k, roster, start, team_size, shift_weeks) for k in range(first, last + 1)]


def duty_periods(
    name: str,
    roster: Sequence[str],
    start: date,
    *,
    until: date,
    team_size: int = 2,
    tenure_weeks: int = 4,
    shift_weeks: int = 2,
) -> list[tuple[date, date]]:
    """Each tenure of ``name`` that begins before ``until``, as ``(first day, day after)``.

    A tenure is the run of consecutive shifts one person serves, reported as one period.
    Tenures already under way on ``start`` are clipped there (nothing is defined earlier).
    Tenures are otherwise reported whole, even when they run past ``until``, so that calendar
    events stay the same as the feed's horizon moves forward. The exception is a roster no
    bigger than the team: nobody ever rotates off, and that one endless period stops at
    ``until``. Someone not on the roster has no periods.
    """
    _check_rotation(roster, team_size, tenure_weeks, shift_weeks)
    _require_date("start", start)
    _require_date("until", until)
    if name not in roster or until <= start:
        return []
    n = len(roster)
    if n == team_size:
        return [(start, until)]

    # roster[p] joins at shift k when it lands in the junior seat, (k + team_size - 1) % n == p,
    # and stays team_size shifts. The first such tenure still running at shift 0 is the one
    # ending at shift p; later ones follow every n shifts, separated by n - team_size shifts
    # off duty, so they never touch and need no merging.
    p = roster.index(name)
    periods: list[tuple[date, date]] = []
    joins = p - team_size + 1
    while True:
        begins = shift_start(max(joins, 0), start, shift_weeks)
        if begins >= until:
            return periods
        periods.append((begins, shift_start(joins + team_size, start, shift_weeks)))
        joins += n
