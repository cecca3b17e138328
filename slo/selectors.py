"""What representatives are told about the team's calendar before they submit (DOMAIN.md:
"Representatives see upcoming reduced-capacity periods and closed dates")."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import dateformat, timezone
from django.utils.translation import gettext

from slo.models import ClosedDate
from slo.services import calendar_basis
from supportdesk import capacity, refdata

HORIZON = datetime.timedelta(days=365)
BANNER_HORIZON = datetime.timedelta(days=45)


@dataclass(frozen=True)
class Period:
    kind: str  # "reduced" or "closed"
    first: datetime.date
    last: datetime.date
    name: str = ""
    this_year: int | None = None  # dates in another year show theirs

    @property
    def label(self) -> str:
        """ "24 Dec – 7 Jan", or "1 Jan" for one day; years only when not this year's."""
        show_year = self.this_year is not None and self.first.year != self.this_year
        # Month names in the reader's language (strftime would follow the process locale).
        pattern = "j M Y" if show_year else "j M"
        first = dateformat.format(self.first, pattern)
        last = dateformat.format(self.last, pattern)
        if self.first == self.last:
            return first
        return f"{first} – {last}"

    @property
    def text(self) -> str:
        if self.kind == "reduced":
            return gettext("Reduced capacity %(dates)s: answers may be slower") % {
                "dates": self.label
            }
        name = f" ({self.name})" if self.name else ""
        return gettext("Closed %(dates)s%(name)s: no deadline runs") % {
            "dates": self.label,
            "name": name,
        }


def upcoming_periods(
    *, today: datetime.date | None = None, horizon: datetime.timedelta = HORIZON
) -> list[Period]:
    """Reduced-capacity periods (runs of dates, a weekend does not break one) and closed dates
    from today to `horizon`, in date order. No query once cached (supportdesk.refdata: the
    representative's list and the request form show them on every view)."""
    today = today or timezone.localdate()
    last = today + horizon
    basis = calendar_basis(around=today)
    # A period already running shows from its first day.
    reduced = sorted(d for d in basis.reduced if today - datetime.timedelta(days=31) <= d <= last)
    periods = [
        Period("reduced", first, end, this_year=today.year)
        for first, end in capacity.reduced_capacity_periods(reduced)
        if end >= today
    ]
    periods += [
        Period("closed", date, date, name, this_year=today.year)
        for date, name in _closed_dates(today, last)
    ]
    return sorted(periods, key=lambda p: (p.first, p.kind))


def _closed_dates(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, str]]:
    """(date, name) of the closed dates from `first` to `last`, in date order."""

    def build() -> list[tuple[datetime.date, str]]:
        rows = ClosedDate.objects.filter(date__range=(first, last)).order_by("date")
        return list(rows.values_list("date", "name"))

    return refdata.cached(f"slo:closed:{first.isoformat()}:{last.isoformat()}", build)
