"""One FilterSet for support requests, shared by the steward's queue, the representative's list
and (later) the API. Pass `request=` (its user scopes the choices) or `user=`."""

from __future__ import annotations

import re
from html import escape

import django_filters
from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_filters.widgets import BooleanWidget

from accounts.models import User
from accounts.roles import is_staff_member, member_community_ids
from communities.models import Community
from tickets import search
from tickets.models import SupportRequest
from tickets.selectors import QUEUE_SORTS, Calendars, soon_thresholds

Status = SupportRequest.Status
Category = SupportRequest.Category

STATE_CHOICES = [
    ("open", _("Open (new, triaged or planned)")),
    (Status.NEW, _("New")),
    (Status.TRIAGED, _("Triaged")),
    (Status.PLANNED, _("In work planning")),
    (Status.RESOLVED, pgettext_lazy("support request", "Resolved")),
    (Status.CLOSED, pgettext_lazy("support request", "Closed")),
    ("all", _("All")),
]
CATEGORY_CHOICES = [
    ("untriaged", _("Not yet triaged")),
    (Category.INCIDENT, _("Incident")),
    (Category.CHANGE, _("Change request")),
    (Category.GUIDANCE, _("Guidance request")),
]
DUE_CHOICES = [("soon", "Due within 4 working hours"), ("overdue", "Overdue")]


class AnyYesNo(BooleanWidget):
    """true/false in the query string, shown as Any / Yes / No."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class QuickSelect(forms.Select):
    """A plain <select> whose options are written in Python. Django renders each <option>
    through a template, which for the 500 communities of a large desk was about half of the
    queue page's server time. Same markup; no option groups."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = []
        for key, label in self.choices:
            key = str(key)
            selected = " selected" if key in chosen else ""
            label = escape(str(label))
            options.append(f'<option value="{escape(key)}"{selected}>{label}</option>')
        attrs = flatatt(self.build_attrs(self.attrs, attrs))
        # Every value and label above is escaped.
        return format_html(
            '<select name="{}"{}>{}</select>', name, attrs, SafeString("".join(options))
        )


class CommunitySearchInput(forms.TextInput):
    """A text box for a community, instead of a <select> of every community (500 on a large
    desk). static/js/lookup.js fills its <datalist> from tickets:community_lookup as the steward
    types; without JavaScript the server resolves what was typed (CommunitySearchField)."""

    def __init__(self, attrs=None):
        super().__init__(
            {
                "list": "community-options",
                "autocomplete": "off",
                "placeholder": "Any",
                **(attrs or {}),
            }
        )
        self.chosen = None  # the community the field resolved, shown by its name

    def format_value(self, value):
        if self.chosen is not None:  # whatever was typed (an id, a slug, part of the name)
            return self.chosen.name
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {}), "data-lookup": reverse("tickets:community_lookup")}
        box = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="community-options"></datalist>', box)


class CommunitySearchField(forms.ModelChoiceField):
    """A community by id (links), slug or name (typed or picked from the suggestions): an exact
    slug or name, else the only one whose name contains the text."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()[:200]
        qs = self.queryset
        found = None
        if text.isdigit():
            found = qs.filter(pk=int(text)).first()
        if found is None:
            exact = list(qs.filter(Q(slug__iexact=text) | Q(name__iexact=text))[:1])
            found = exact[0] if exact else None
        if found is None:
            matches = list(qs.filter(name__icontains=text)[:2])
            found = matches[0] if len(matches) == 1 else None
        if found is None:
            raise forms.ValidationError(
                _("No single community matches “%(text)s”: pick one of the suggestions."),
                code="invalid_choice",
                params={"text": text},
            )
        self.widget.chosen = found
        return found


class CommunitySearchFilter(django_filters.ModelChoiceFilter):
    field_class = CommunitySearchField


_REFERENCE = re.compile(r"^\s*(?:sd-?)?(\d{1,12})\s*$", re.IGNORECASE)


class SupportRequestFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=STATE_CHOICES, method="filter_state", empty_label=None
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"),
        choices=CATEGORY_CHOICES,
        method="filter_category",
        empty_label=_("Any"),
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Community"),
        queryset=Community.objects.none(),
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"),
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
        null_label="Unassigned",
        widget=QuickSelect,
    )
    due = django_filters.ChoiceFilter(
        label=_("Due"), choices=DUE_CHOICES, method="filter_due", empty_label=_("Any time")
    )
    likely_incident = django_filters.BooleanFilter(label=_("Likely incident"), widget=AnyYesNo)
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    # Set by filter_search: more requests matched than a search takes (tickets.search).
    search_capped = False
    # The queue's order (tickets.selectors.queue_order applies it; filtering ignores it). A
    # value outside the list is a form error, never an order_by() of user input.
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=list(QUEUE_SORTS.items()),
        method="filter_sort",
        empty_label=_("Default: incidents, then deadline (best match when searching)"),
    )

    class Meta:
        model = SupportRequest
        fields = [
            "state",
            "category",
            "community",
            "assignee",
            "due",
            "likely_incident",
            "q",
            "sort",
        ]

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        request=None,
        prefix=None,
        user=None,
        calendars=None,
        search_box=False,
    ):
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        # The page's calendars (tickets.selectors.Calendars), when it shows deadlines too: the
        # "due soon" filter then reads the settings and closed dates only once per page.
        self.calendars = calendars or Calendars()
        user = user if user is not None else getattr(request, "user", None)
        self.user = user
        # Only what the option labels show: a desk lists every community and staff member.
        communities = Community.objects.only("pk", "name").order_by("name")
        if is_staff_member(user):
            self.filters["community"].queryset = communities
            if search_box:
                # The queue's form: any community, from a search box rather than a 500-option
                # <select>. The API keeps taking ids.
                search = CommunitySearchFilter(
                    field_name="community",
                    label=_("Community"),
                    queryset=Community.objects.only("pk", "slug", "name"),
                    widget=CommunitySearchInput,
                )
                search.model, search.parent = self.filters["community"].model, self
                self.filters["community"] = search
            self.filters["assignee"].queryset = (
                User.objects.filter(is_staff=True, is_active=True)
                .only("pk", "username", "first_name", "last_name")
                .order_by("first_name", "last_name", "username")
            )
        else:
            self.filters["community"].queryset = communities.filter(
                pk__in=member_community_ids(user)
            )
            # Representatives do not filter by steward; the field stays but offers nobody.
            self.filters["assignee"].queryset = User.objects.none()
            # Their list has one order (newest first).
            del self.filters["sort"]

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=SupportRequest.OPEN_STATUSES)
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset

    def filter_category(self, queryset, name, value):
        if value == "untriaged":
            return queryset.filter(category=Category.UNTRIAGED)
        return queryset.filter(category=value)

    def filter_due(self, queryset, name, value):
        now = timezone.now()
        if value == "overdue":
            return queryset.filter(next_due_at__lte=now)
        # "Within 4 working hours" depends on the clock's calendar: the reference zone for
        # every community but those an admin gave a calendar of their own.
        own_zones = Community.objects.filter(own_calendar=True).values_list("timezone", flat=True)
        zones = [None, *own_zones.distinct()]
        within = Q(pk__in=[])
        thresholds = soon_thresholds(zones, now=now, calendars=self.calendars)
        for (zone, incident), threshold in thresholds.items():
            kind = Q(category=Category.INCIDENT) if incident else ~Q(category=Category.INCIDENT)
            community = (
                Q(community__own_calendar=False)
                if zone is None
                else Q(community__own_calendar=True, community__timezone=zone)
            )
            within |= community & Q(next_due_at__lte=threshold) & kind
        return queryset.filter(within, next_due_at__gt=now)

    def filter_sort(self, queryset, name, value):
        return queryset

    def filter_search(self, queryset, name, value):
        """A reference ("SD-12": that request only; a bare number: that request, or the number
        in the text), else tickets.search: full text on PostgreSQL over subject, description
        and the conversation (internal notes for staff only), community and hub names."""
        value = value.strip()
        if not value:
            return queryset
        internal = is_staff_member(self.user)
        match = _REFERENCE.match(value)
        if match and value.lower().startswith("sd"):
            return queryset.filter(pk=int(match.group(1)))
        found, self.search_capped = search.matching(queryset, value, internal=internal)
        if match:  # a bare number: the reference, or a number in the text
            return queryset.filter(Q(pk=int(match.group(1))) | Q(pk__in=found.values("pk")))
        return found
