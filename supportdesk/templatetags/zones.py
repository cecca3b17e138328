"""{% load zones %}: the template side of supportdesk/zones.py, where every instant is formatted."""

from __future__ import annotations

from django import template

from supportdesk.zones import format_local, format_utc, zone_name

register = template.Library()


@register.filter
def local_time(value):
    """{{ r.received_at|local_time }}: "Tue 1 Dec 2026, 09:56 Pacific Time"."""
    return format_local(value)


@register.filter
def local_time_short(value):
    """{{ r.received_at|local_time_short }}: "Tue 1 Dec, 09:56 Pacific Time" (no year)."""
    return format_local(value, with_year=False)


@register.filter
def utc_time(value):
    """{{ incident.impact_started_at|utc_time }}: "01 Dec 2026 09:56 UTC", the same for every
    reader (pages cached for everybody, texts quoted in stored entries)."""
    return format_utc(value) if value else ""


@register.simple_tag
def active_zone_name():
    """{% active_zone_name %}: the friendly name of the zone times on the page are in."""
    return zone_name(None)
