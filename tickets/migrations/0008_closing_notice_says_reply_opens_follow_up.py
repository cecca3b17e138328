"""The closing notice no longer says "reply to this request": a reply to a closed request opens
a new request linked to it (DOMAIN.md step 8). Only the shipped text is replaced; a notice an
admin has edited is left as it is."""

from django.db import migrations

OLD = (
    "Hi {representative_name},\n\nWe have closed {reference} ({subject}). If anything is "
    "still not right, reply to this request or open a new one.\n\n{steward_name}"
)
NEW = (
    "Hi {representative_name},\n\nWe have closed {reference} ({subject}). If anything is "
    "still not right, reply to this e-mail: your reply opens a new request linked to this "
    "one.\n\n{steward_name}"
)


def forward(apps, schema_editor):
    CannedResponse = apps.get_model("tickets", "CannedResponse")
    CannedResponse.objects.filter(slug="closing-notice", body=OLD).update(body=NEW)


def backward(apps, schema_editor):
    CannedResponse = apps.get_model("tickets", "CannedResponse")
    CannedResponse.objects.filter(slug="closing-notice", body=NEW).update(body=OLD)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_inbound_email")]
    operations = [migrations.RunPython(forward, backward)]
