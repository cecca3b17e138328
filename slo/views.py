"""The team's calendar, public: reduced-capacity periods and closed dates ahead, as a page and
an iCal feed, so communities can avoid planning critical events then (DOMAIN.md). Nothing in it
is about a community or a person."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from slo.selectors import upcoming_periods
from slo.services import calendar_basis


@require_GET
def calendar_page(request):
    return render(
        request,
        "slo/calendar.html",
        {
            "periods": upcoming_periods(),
            "zone": calendar_basis(around=timezone.localdate()).reference_timezone,
        },
    )


@require_GET
def calendar_ics(request):
    host = urlsplit(settings.SITE_URL).hostname or "supportdesk"
    calendar = Calendar()
    calendar.add("prodid", "-//supportdesk//team calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Support: reduced capacity and closed dates")
    stamp = timezone.now()
    for period in upcoming_periods():
        event = Event()
        event.add("uid", f"{period.kind}-{period.first:%Y%m%d}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", period.first)
        event.add("dtend", period.last + datetime.timedelta(days=1))
        event.add("summary", period.text)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="support-calendar.ics"'
    return response
