from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Hub


class OpenIssueForm(forms.Form):
    include_internal_notes = forms.BooleanField(
        label=_("Include the internal notes in the issue"),
        required=False,
        help_text=_("Off by default: the issue may be public."),
    )
    send_canned = forms.BooleanField(
        label=_("Tell the representative it is not an outage and has entered work planning"),
        required=False,
        initial=True,
    )


class SubscribeForm(forms.Form):
    mark_optional = True  # templates/forms/field.html

    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_(
            "We send a link to confirm it first; every notice has a one-click unsubscribe."
        ),
    )
    hubs = forms.ModelMultipleChoiceField(
        label=_("Hubs (none ticked: all hubs)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    webhook_url = forms.URLField(
        label=_("Or a webhook URL to post the notices to"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Signed JSON posts (see the API schema's x-webhooks); the secret is shown "
            "when you confirm."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hubs"].queryset = Hub.objects.filter(is_active=True).order_by("name")

    def clean_webhook_url(self):
        url = self.cleaned_data.get("webhook_url", "")
        if url and not url.startswith("https://"):
            raise forms.ValidationError(_("The webhook URL must start with https://."))
        return url
