import csv
import datetime
import zoneinfo

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from communities.models import (
    AllowedEmailDomain,
    BudgetSettings,
    Community,
    Hub,
    Membership,
    SupportBudget,
)
from communities.services import (
    NEARLY_EXHAUSTED_PERCENT,
    budget_set_hours,
    counted_time_entries,
    default_budget_hours,
    minutes_to_hours,
)
from tickets.models import TimeEntry


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


class HubInline(admin.TabularInline):
    model = Hub
    extra = 0
    fields = ("name", "slug", "url", "cluster", "status", "is_active")
    readonly_fields = ("status",)


class AllowedEmailDomainInline(admin.TabularInline):
    model = AllowedEmailDomain
    extra = 0
    verbose_name = "e-mail domain allowed to sign in with a provider (as representatives)"


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "timezone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [HubInline, MembershipInline, AllowedEmailDomainInline]


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "community",
        "cluster",
        "status",
        "status_override",
        "is_active",
    )
    list_filter = ("status", "cluster", "is_active")
    search_fields = ("name", "slug", "community__name", "url")
    list_select_related = ("community",)
    autocomplete_fields = ("community",)

    # Overrides go through the maintenance page, which audits them and refreshes the status page.
    readonly_fields = ("status", "status_override", "status_override_reason")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email", "community__name")
    list_select_related = ("user", "community")
    autocomplete_fields = ("user", "community")


# ---------------------------------------------------------------------------------------------
# Budgets: where admins review and edit them. Usage is annotated in SQL (a correlated subquery
# over the counted time entries), so the changelist costs the same few queries for 3 rows or
# 300, and "percent used" sorts and filters in the database.


def with_usage(queryset):
    """Annotate used_minutes, remaining_minutes and percent_used on SupportBudget rows."""
    if "used_minutes" in queryset.query.annotations:
        return queryset
    used = (
        counted_time_entries()
        .filter(community=OuterRef("community"), budget_month=OuterRef("month"))
        .order_by()
        .values("community")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return queryset.annotate(
        used_minutes=Coalesce(Subquery(used, output_field=IntegerField()), 0),
        remaining_minutes=ExpressionWrapper(
            F("hours") * 60 - F("used_minutes"), output_field=DecimalField()
        ),
        percent_used=Case(
            When(
                hours__gt=0,
                then=Cast("used_minutes", FloatField())
                * Value(100.0)
                / (Cast("hours", FloatField()) * Value(60.0)),
            ),
            # No budget at all: any use is "all of it", as BudgetStatus.fraction_used says.
            When(used_minutes__gt=0, then=Value(100.0)),
            default=Value(0.0),
            output_field=FloatField(),
        ),
    )


class BudgetUseFilter(admin.SimpleListFilter):
    title = "budget use"
    parameter_name = "use"

    def lookups(self, request, model_admin):
        return [
            ("over", "Used up or over budget (100% or more)"),
            ("high", f"{NEARLY_EXHAUSTED_PERCENT}% or more"),
            ("low", f"Under {NEARLY_EXHAUSTED_PERCENT}%"),
        ]

    def queryset(self, request, queryset):
        # Compare minutes with exact multiples of the budget, not the rounded float percent.
        nearly = F("hours") * (60 * NEARLY_EXHAUSTED_PERCENT // 100)
        match self.value():
            case "over":
                return queryset.filter(used_minutes__gte=F("hours") * 60)
            case "high":
                return queryset.filter(used_minutes__gte=nearly)
            case "low":
                return queryset.filter(used_minutes__lt=nearly)
        return queryset


class BudgetMonthFilter(admin.SimpleListFilter):
    title = "month"
    parameter_name = "month"

    def lookups(self, request, model_admin):
        months = SupportBudget.objects.dates("month", "month", order="DESC")
        return [(m.isoformat(), m.strftime("%B %Y")) for m in months]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            month = datetime.date.fromisoformat(self.value())
        except ValueError as exc:
            raise IncorrectLookupParameters(f"Not a month: {self.value()!r}") from exc
        return queryset.filter(month=month)


class SupportBudgetForm(forms.ModelForm):
    class Meta:
        model = SupportBudget
        fields = ("community", "month", "hours", "note")
        help_texts = {"month": "Any day of the month: it is stored as the first day."}

    def clean_month(self):
        month = self.cleaned_data["month"]
        return month.replace(day=1) if month else month


def _csv_cell(value) -> str:
    """Community names are typed by people: keep spreadsheets from running them as formulas."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.register(SupportBudget)
class SupportBudgetAdmin(admin.ModelAdmin):
    form = SupportBudgetForm

    class Media:
        # Classes, not style attributes: the Content-Security-Policy allows no inline style.
        css = {"all": ["css/admin.css"]}

    list_display = ("community", "month_label", "hours", "used", "remaining", "percent")
    list_filter = (BudgetUseFilter, BudgetMonthFilter)
    search_fields = ("community__name", "community__slug")
    list_select_related = ("community",)
    autocomplete_fields = ("community",)
    ordering = ("-month", "community__name")
    actions = ("export_csv",)
    # Rendering a row costs ~1 ms; a month has a row per community (500 on a large desk).
    list_per_page = 50
    # The filtered count is enough; a second COUNT over every budget is not worth a query.
    show_full_result_count = False

    def get_queryset(self, request):
        return with_usage(super().get_queryset(request))

    def get_fields(self, request, obj=None):
        fields = ["community", "month", "hours", "note"]
        if obj is not None:
            fields += ["used", "remaining", "percent", "time_entries"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # A row is one community's month: change the hours, or add another row.
        return ("community", "month", "used", "remaining", "percent", "time_entries")

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("hours", default_budget_hours())
        initial.setdefault("month", timezone.localdate().replace(day=1))
        return initial

    def save_model(self, request, obj, form, change):
        # Through the service, so that ranks follow a change to this month's budget.
        budget = budget_set_hours(
            community=obj.community, month=obj.month, hours=obj.hours, note=obj.note
        )
        obj.pk, obj.created_at, obj.updated_at = budget.pk, budget.created_at, budget.updated_at
        obj._state.adding = False

    # -- columns ----------------------------------------------------------------------------

    @admin.display(description="Month", ordering="month")
    def month_label(self, obj):
        return obj.month.strftime("%Y-%m")

    @admin.display(description="Used (h)", ordering="used_minutes")
    def used(self, obj):
        return minutes_to_hours(obj.used_minutes)

    @admin.display(description="Remaining (h)", ordering="remaining_minutes")
    def remaining(self, obj):
        return obj.hours - minutes_to_hours(obj.used_minutes)

    @admin.display(description="Used (%)", ordering="percent_used")
    def percent(self, obj):
        percent = round(obj.percent_used)
        return format_html(
            '<span class="budget-use"><meter min="0" max="100" low="{}" high="99" '
            'optimum="0" value="{}" title="{}% used"></meter> {}%</span>',
            NEARLY_EXHAUSTED_PERCENT,
            min(percent, 100),
            percent,
            percent,
        )

    @admin.display(description="Time entries behind the used hours")
    def time_entries(self, obj):
        entries = list(
            counted_time_entries()
            .filter(community_id=obj.community_id, budget_month=obj.month)
            .select_related("request", "engineer")
            .order_by("worked_at", "pk")
        )
        uncounted = (
            TimeEntry.objects.filter(community_id=obj.community_id, budget_month=obj.month)
            .exclude(pk__in=[e.pk for e in entries])
            .aggregate(total=Sum("minutes"))["total"]
        )
        zone = zoneinfo.ZoneInfo(obj.community.timezone)
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a> {}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    e.worked_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    reverse("admin:tickets_supportrequest_change", args=[e.request_id]),
                    e.request.reference,
                    e.request.subject,
                    e.engineer,
                    minutes_to_hours(e.minutes),
                    e.note,
                )
                for e in entries
            ),
        )
        if not entries:
            rows = format_html('<tr><td colspan="5">{}</td></tr>', "No time counted this month.")
        footer = format_html(
            "<p>{} h counted{}.</p>",
            minutes_to_hours(sum(e.minutes for e in entries)),
            f"; {minutes_to_hours(uncounted)} h of incident time recorded, not counted"
            if uncounted
            else "",
        )
        return format_html(
            "<table><thead><tr><th>Worked at ({})</th><th>Request</th><th>Engineer</th>"
            "<th>Hours</th><th>Note</th></tr></thead><tbody>{}</tbody></table>{}",
            obj.community.timezone,
            rows,
            footer,
        )

    # -- actions ----------------------------------------------------------------------------

    @admin.action(description="Export selected budgets as CSV")
    def export_csv(self, request, queryset):
        budgets = (
            with_usage(queryset).select_related("community").order_by("-month", "community__name")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="support-budgets.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "community",
                "slug",
                "month",
                "budget_hours",
                "used_hours",
                "remaining_hours",
                "percent_used",
            ]
        )
        for b in budgets:
            used = minutes_to_hours(b.used_minutes)
            writer.writerow(
                [
                    _csv_cell(b.community.name),
                    b.community.slug,
                    b.month.strftime("%Y-%m"),
                    b.hours,
                    used,
                    b.hours - used,
                    round(b.percent_used),
                ]
            )
        return response


@admin.register(BudgetSettings)
class BudgetSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "hours_per_engineer_month",
        "support_share_percent",
        "communities_per_engineer",
    )

    def has_add_permission(self, request):
        return not BudgetSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AllowedEmailDomain)
class AllowedEmailDomainAdmin(admin.ModelAdmin):
    """Every domain allowed to sign in with a provider, and the community it joins."""

    list_display = ("domain", "community")
    list_select_related = ("community",)
    search_fields = ("domain", "community__name")
    autocomplete_fields = ("community",)
