from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.roles import is_staff_member
from rotation import selectors, services


@require_GET
@login_required
def schedule(request):
    if not is_staff_member(request.user):
        raise PermissionDenied
    today = services.rotation_today()
    shifts = services.upcoming_shifts(first_day=today, weeks=services.DEFAULT_SCHEDULE_WEEKS)
    feeds = [
        {
            "engineer": link.engineer,
            "subscribe_url": request.build_absolute_uri(link.subscribe_path),
            "download_path": link.download_path,
        }
        for link in selectors.engineer_feeds()
    ]
    return render(
        request,
        "rotation/schedule.html",
        {
            "today": today,
            "shifts": shifts,
            "weeks": services.DEFAULT_SCHEDULE_WEEKS,
            "feeds": feeds,
        },
    )


def _calendar_response(engineer, *, disposition: str) -> HttpResponse:
    response = HttpResponse(
        services.ics_calendar(engineer=engineer), content_type="text/calendar; charset=utf-8"
    )
    filename = f"support-duty-{slugify(engineer.roster_name) or engineer.pk}.ics"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@require_GET
@login_required
def engineer_ics(request, engineer_id: int):
    if not is_staff_member(request.user):
        raise PermissionDenied
    engineer = selectors.engineer_for_calendar(user=request.user, engineer_id=engineer_id)
    if engineer is None:
        raise Http404("No such engineer on the roster.")
    return _calendar_response(engineer, disposition="attachment")


@require_GET
def ics_feed(request, token: str):
    """The subscription URL: no login (calendar apps cannot), the signed token is the key."""
    engineer = services.engineer_from_ics_token(token)
    if engineer is None:
        raise Http404("Unknown calendar.")
    response = _calendar_response(engineer, disposition="inline")
    response["Cache-Control"] = "private, max-age=900"
    return response
