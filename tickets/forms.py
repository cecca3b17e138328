"""Forms of the representative's portal and the steward's request page. They parse input only;
the rules live in tickets/services.py. Forms of the request page carry the `version` they were
loaded with, and each has its own prefix so that the page's field ids are unique and stable."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.safestring import SafeString
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from communities.models import Community, Hub
from supportdesk.errors import DomainError
from supportdesk.formfields import UTCDateTimeField
from supportdesk.idempotency import OneTimeTokenForm
from supportdesk.limits import MAX_TEXT
from supportdesk.templatetags.desk import remembered
from tickets.attachments import check_sizes, megabytes
from tickets.bulk import ACTIONS, PRIORITY_FACTORS
from tickets.models import CannedResponse, SupportRequest

Category = SupportRequest.Category


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files (Django's documented multiple-upload field), within the per-file
    and per-message limits, checked on the sizes the upload declared before anything is read."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attach files (optional)"))
        super().__init__(**kwargs)
        self.help_text = self.help_text or format_lazy(
            _("Up to {each} each, {all} in all."),
            each=megabytes(settings.ATTACHMENT_MAX_FILE_BYTES),
            all=megabytes(settings.ATTACHMENT_MAX_MESSAGE_BYTES),
        )

    def clean(self, data, initial=None):
        single = super().clean
        files = [single(d, initial) for d in data] if isinstance(data, list | tuple) else []
        if not files and data and not isinstance(data, list | tuple):
            files = [single(data, initial)]
        files = [f for f in files if f]
        try:
            check_sizes([(f.name, f.size) for f in files])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        return files


class RequestForm(OneTimeTokenForm):
    hub = forms.ModelChoiceField(
        label=_("Hub"), queryset=Hub.objects.none(), empty_label=_("Choose a hub")
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        max_length=MAX_TEXT,
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What happened, what you expected, links to notebooks or error messages. "
            "Markdown is supported."
        ),
    )
    attachments = AttachmentsField()
    cannot_log_in = forms.BooleanField(label=_("Users cannot log in"), required=False)
    cannot_start_servers = forms.BooleanField(
        label=_("Users cannot start their servers"), required=False
    )
    cannot_run_code = forms.BooleanField(
        label=_("Users cannot run code (no kernel starts)"), required=False
    )
    cannot_use_dask = forms.BooleanField(
        label=_("Users cannot create or use Dask Gateway clusters"), required=False
    )
    affected_users = forms.IntegerField(
        label=_("How many users are affected?"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        help_text=_("Your best estimate; 0 if nobody is blocked."),
    )

    SYMPTOMS = ("cannot_log_in", "cannot_start_servers", "cannot_run_code", "cannot_use_dask")

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        hubs = Hub.objects.filter(community=community, is_active=True).order_by("name")
        field = self.fields["hub"]
        field.queryset = hubs
        if not self.is_bound:
            # One plain query for the <select> and the lone hub's preselection (the field
            # would read them again, through a server-side cursor on PostgreSQL). A bound form
            # validates against the queryset.
            listed = [(hub.pk, str(hub)) for hub in hubs]
            field.widget.choices = [("", field.empty_label), *listed]
            if len(listed) == 1:
                self.initial.setdefault("hub", listed[0][0])

    def symptom_fields(self):
        return [self[name] for name in self.SYMPTOMS]


class ReplyForm(OneTimeTokenForm):
    body = forms.CharField(
        max_length=MAX_TEXT,
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown."),
    )
    link_url = forms.URLField(
        label=_("Attach a link (optional)"),
        required=False,
        assume_scheme="https",
        help_text=_("Logs, screenshots, a notebook: any https:// address."),
    )
    attachments = AttachmentsField()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    canned_response = forms.ModelChoiceField(
        queryset=CannedResponse.objects.filter(is_active=True),
        required=False,
        widget=forms.HiddenInput,
    )
    # The last message on the page the reply was written on (0: there was none): a message
    # arrived since then holds the reply until the author confirms (services.request_reply).
    seen_message = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    send_anyway = forms.BooleanField(
        label=_("Send anyway: I have read the new message"), required=False
    )


class NoteForm(OneTimeTokenForm):
    body = forms.CharField(
        max_length=MAX_TEXT,
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only the team sees it."),
    )


class TriageForm(VersionedForm):
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("Choose…")), *[c for c in Category.choices if c[0]]],
    )
    hub = forms.ModelChoiceField(label=_("Hub"), queryset=Hub.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Unchanged"),
    )

    def __init__(self, *args, support_request: SupportRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = Hub.objects.filter(
            community_id=support_request.community_id
        ).order_by("name")
        self.fields["assignee"].queryset = User.objects.filter(
            is_staff=True, is_active=True
        ).order_by("first_name", "last_name", "username")


class TimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes worked"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("What was done (optional)"), max_length=300, required=False)
    worked_at = UTCDateTimeField(
        label=_("When"),
        required=False,
        help_text=_("YYYY-MM-DD HH:MM in UTC; blank means now."),
    )

    def clean_worked_at(self):
        worked_at = self.cleaned_data.get("worked_at")
        # Far-off years overflow when converted to a community's time zone; the API has the
        # same bounds.
        if worked_at is not None and not 2000 <= worked_at.year <= 2999:
            raise forms.ValidationError(_("Give a date between the years 2000 and 2999."))
        return worked_at


class IssueForm(VersionedForm):
    url = forms.URLField(
        label=_("Engineering issue URL"),
        assume_scheme="https",
        help_text=_("The issue labelled “support” in the engineering tracker."),
    )
    send_canned = forms.BooleanField(
        label=_("Tell the representative it is not an outage and has entered work planning"),
        required=False,
        initial=True,
    )


class PriorityForm(VersionedForm):
    has_dedicated_funding = forms.BooleanField(
        label=_("Comes with dedicated funding"), required=False
    )
    impacts_many_communities = forms.BooleanField(
        label=_("Impacts many communities"), required=False
    )
    aligns_with_team_goals = forms.BooleanField(
        label=_("Aligns with the team's existing goals"), required=False
    )
    aligns_with_upstream_goals = forms.BooleanField(
        label=_("Aligns with an upstream open-source project's goals"), required=False
    )
    high_single_community_impact = forms.BooleanField(
        label=_("High impact on a single community"), required=False
    )

    FACTORS = (
        "has_dedicated_funding",
        "impacts_many_communities",
        "aligns_with_team_goals",
        "aligns_with_upstream_goals",
        "high_single_community_impact",
    )


class ResolveForm(VersionedForm):
    body = forms.CharField(
        max_length=MAX_TEXT,
        label=_("Resolution message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_(
            "Sent to the representative. Blank sends the standard resolution message "
            "(only once they have had an answer)."
        ),
    )


class CloseForm(VersionedForm):
    pass


class CannedPickForm(forms.Form):
    canned = forms.ModelChoiceField(
        label=_("Canned response"),
        queryset=CannedResponse.objects.filter(is_active=True).order_by("purpose", "title"),
        empty_label=_("Choose a canned response"),
        to_field_name="slug",
    )


class AttachInboundForm(forms.Form):
    """File an unmatched e-mail as a request of a community (stewards)."""

    community = forms.ModelChoiceField(
        queryset=Community.objects.filter(is_active=True).order_by("name"),
        label=_("Community"),
        empty_label=_("Choose the community"),
    )
    hub = forms.ModelChoiceField(
        queryset=Hub.objects.filter(is_active=True).select_related("community"),
        required=False,
        label=_("Hub (optional)"),
    )
    # The second submit button ("Attach and invite the sender") sends invite=1.
    invite = forms.BooleanField(required=False)


_KEEP_YES_NO = [("", _("Keep")), ("yes", _("Yes")), ("no", _("No"))]
_REFERENCE_TEXT = "SD-"


class RequestReferenceField(forms.CharField):
    """A request by its reference ("SD-123", or just "123"), as the SupportRequest. Whether
    that request may be used is the service's to say (same community, still open...)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        digits = value.upper().removeprefix(_REFERENCE_TEXT).strip()
        if not digits.isdigit() or len(digits) > 12:
            raise forms.ValidationError(_("Give the reference of a request, e.g. SD-123."))
        try:
            return SupportRequest.objects.select_related("community").get(pk=int(digits))
        except SupportRequest.DoesNotExist as exc:
            raise forms.ValidationError(
                _("There is no request %(reference)s.") % {"reference": value}
            ) from exc


class DuplicateForm(VersionedForm):
    """The request page's "close as duplicate of #N" (the queue's bulk action, for one)."""

    duplicate_of = RequestReferenceField(
        label=_("Duplicate of (reference)"),
        help_text=_(
            "e.g. SD-123: an open request of the same community. The representative is told "
            "to follow it there."
        ),
    )


class IdListField(forms.Field):
    """Request ids from repeated query parameters (checkboxes), as ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("The selection is not valid.")) from exc


class BulkForm(forms.Form):
    """The queue's bulk actions. `ids` are the ticked rows; `all_on_page` with `page_ids` is
    the select-all box, which works without JavaScript (the page's rows are sent along)."""

    ids = IdListField(required=False)
    page_ids = IdListField(required=False)
    all_on_page = forms.BooleanField(label=_("Select every request on this page"), required=False)
    action = forms.ChoiceField(label=_("Action"), choices=())
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), required=False, empty_label=_("Choose…")
    )
    category = forms.ChoiceField(
        label=_("New category"),
        required=False,
        choices=[("", _("Choose…")), *[c for c in Category.choices if c[0]]],
    )
    has_dedicated_funding = forms.ChoiceField(
        label=_("Dedicated funding"), choices=_KEEP_YES_NO, required=False
    )
    impacts_many_communities = forms.ChoiceField(
        label=_("Impacts many communities"), choices=_KEEP_YES_NO, required=False
    )
    aligns_with_team_goals = forms.ChoiceField(
        label=_("Team's goals"), choices=_KEEP_YES_NO, required=False
    )
    aligns_with_upstream_goals = forms.ChoiceField(
        label=_("Upstream goals"), choices=_KEEP_YES_NO, required=False
    )
    high_single_community_impact = forms.ChoiceField(
        label=_("High impact on one community"), choices=_KEEP_YES_NO, required=False
    )
    duplicate_of = RequestReferenceField(
        label=_("Duplicate of (reference)"), required=False, help_text=_("e.g. SD-123")
    )
    back = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(self, *args, staff: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Choose…")), *ACTIONS.items()]
        self.fields["assignee"].queryset = User.objects.filter(
            is_staff=True, is_active=True
        ).order_by("first_name", "last_name", "username")
        if staff is not None:  # the page's list (staff_choices): no query of its own
            use_staff_choices(self.fields["assignee"], staff)

    def clean(self):
        data = super().clean()
        selected = list(data.get("ids") or [])
        if data.get("all_on_page"):
            selected += [pk for pk in data.get("page_ids") or [] if pk not in selected]
        data["selected"] = selected
        if not selected:
            raise forms.ValidationError(_("Tick at least one request."))
        action = data.get("action")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose who to assign them to."))
        if action == "categorise" and not data.get("category"):
            self.add_error("category", _("Choose a category."))
        if (
            action == "duplicate"
            and not data.get("duplicate_of")
            and "duplicate_of" not in self.errors
        ):
            self.add_error("duplicate_of", _("Give the reference of the original request."))
        if action == "priority" and not any(data.get(name) for name in PRIORITY_FACTORS):
            raise forms.ValidationError(_("Set at least one priority factor to Yes or No."))
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        factors = {
            name: {"yes": True, "no": False}.get(data.get(name) or "") for name in PRIORITY_FACTORS
        }
        return {
            "assignee": data.get("assignee"),
            "category": data.get("category"),
            "original": data.get("duplicate_of"),
            **factors,
        }


def staff_choices() -> list[tuple[int, str]]:
    """The active staff as an assignee <select> lists them (pk, name), in one plain query.

    The queue shows two such selects (the filter and the bulk action); each field would read
    its own, through QuerySet.iterator(), which on PostgreSQL is a server-side cursor (DECLARE,
    FETCH, CLOSE: three round trips for a few dozen rows)."""
    staff = (
        User.objects.filter(is_staff=True, is_active=True)
        .only("pk", "username", "first_name", "last_name")
        .order_by("first_name", "last_name", "username")
    )
    return [(user.pk, str(user)) for user in staff]


def use_staff_choices(field: forms.ModelChoiceField, staff: list[tuple[int, str]]) -> None:
    """Show `staff` (staff_choices) as the options of a staff field, after its empty option
    and (a django-filters field's) "unassigned" one, as the field's own choices would be. The
    field still validates against its queryset."""
    first = []
    if field.empty_label is not None:
        first.append(("", field.empty_label))
    if getattr(field, "null_label", None) is not None:
        first.append((field.null_value, field.null_label))
    field.widget.choices = [*first, *staff]


def bulk_fields_html(staff: list[tuple[int, str]]) -> SafeString:
    """The queue's bulk-action fields (not the hidden ones nor the select-all box, which the
    template writes), rendered once per language and list of staff members: an unbound form
    with fixed ids, the same for every steward, which cost the queue 2 ms per page."""

    def build() -> SafeString:
        form = BulkForm(auto_id="bulk_%s", staff=staff)
        return SafeString(
            "".join(
                str(field.as_field_group())
                for field in form
                if not field.is_hidden and field.name not in ("all_on_page", "back")
            )
        )

    return remembered("tickets:bulk-fields", tuple(staff), build)
