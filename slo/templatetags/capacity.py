from django import template

from slo.selectors import BANNER_HORIZON, upcoming_periods

register = template.Library()


@register.inclusion_tag("slo/_capacity_banner.html")
def capacity_banner():
    """Upcoming reduced capacity and closed dates (the next weeks), above the submit form and
    on the representative's portal."""
    return {"periods": upcoming_periods(horizon=BANNER_HORIZON)}
