from __future__ import annotations

import datetime
import zoneinfo

from allauth.account import forms as allauth_forms
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation
from accounts.roles import is_admin, representative_community
from notifications import preferences


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the script that will use it."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional. The token stops working at the end of this day; empty: never."),
    )

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day in the person's time zone (midnight after it)."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(midnight, timezone.get_current_timezone())


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=())
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=None, required=False, help_text=_("Representatives only.")
    )
    country = forms.CharField(
        label=_("Country (engineers)"),
        max_length=2,
        required=False,
        help_text=_("Two-letter code, for the engineer's public holidays."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The invitation e-mail and the new account are in this language."),
    )

    def __init__(self, *args, inviter, community=None, **kwargs):
        from communities.models import Community  # noqa: PLC0415 - upward import: a listed layer exception

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = settings.LANGUAGES
        self.fields["language"].initial = settings.LANGUAGE_CODE
        roles = Invitation.Role.choices if is_admin(inviter) else Invitation.Role.choices[:1]
        self.fields["role"].choices = roles
        self.fields["community"].queryset = Community.objects.filter(is_active=True)
        if community is not None:
            # Inviting from a community's page: a representative of that community.
            for name in ("role", "community", "country"):
                del self.fields[name]


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("What you will log in with.")
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    # A limit like every other text field's: long enough for any passphrase, short enough
    # that hashing it costs nothing.
    password1 = forms.CharField(
        label=_("Password"),
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(username)
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = get_user_model()(
                username=data.get("username", ""),
                email=self.email,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                validate_password(p1, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class AccountForm(forms.Form):
    """Name, time zone and notification preferences (kind x channel checkboxes)."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Times on every page are shown to you in this zone."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Pages and e-mails are written to you in this language."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["language"].choices = [("", _("Your browser's language")), *settings.LANGUAGES]
        default_zone = (
            _("Your community's zone")
            if not user.is_staff and representative_community(user) is not None
            else _("The support desk's zone")
        )
        self.fields["timezone"].choices = [("", default_zone)] + [
            (z, z) for z in sorted(zoneinfo.available_timezones())
        ]
        self.grid = []
        for kind, kind_label in preferences.KINDS:
            row = []
            for channel, channel_label in preferences.CHANNELS:
                name = f"pref__{kind}__{channel}"
                self.fields[name] = forms.BooleanField(
                    required=False,
                    label=f"{kind_label}: {channel_label}",
                    initial=channel in preferences.channels_for(user, kind),
                )
                row.append(name)
            self.grid.append((kind_label, row))

    def grid_fields(self):
        return [(label, [self[name] for name in row]) for label, row in self.grid]

    def preferences(self) -> dict[str, list[str]]:
        return {
            kind: [
                channel
                for channel, _ in preferences.CHANNELS
                if self.cleaned_data.get(f"pref__{kind}__{channel}")
            ]
            for kind, _ in preferences.KINDS
        }


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form, also taking the `username` field Django's login form (and scripts
    written against it) posted before allauth, so existing logins keep working."""

    def __init__(self, *args, **kwargs):
        data = kwargs.get("data")
        if data is not None and "login" not in data and "username" in data:
            data = data.copy()
            data["login"] = data["username"]
            kwargs["data"] = data
        super().__init__(*args, **kwargs)
