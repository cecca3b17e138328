from django import forms


class OpenIssueForm(forms.Form):
    include_internal_notes = forms.BooleanField(
        label="Include the internal notes in the issue",
        required=False,
        help_text="Off by default: the issue may be public.",
    )
    send_canned = forms.BooleanField(
        label="Tell the representative it is not an outage and has entered work planning",
        required=False,
        initial=True,
    )
