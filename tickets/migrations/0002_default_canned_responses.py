"""The canned responses of DOMAIN.md, as editable templates."""

from django.db import migrations

DEFAULTS = [
    (
        "incident-acknowledgement",
        "incident_ack",
        "Incident acknowledgement",
        "Hi {representative_name},\n\nThank you for reporting this. We are treating it as an "
        "**incident**: {hub} is significantly degraded. We think it is related to {context}.\n\n"
        "You can follow progress at {link}. Incidents come before all our other work, and we "
        "will send you an update at least every few working hours until it is resolved.\n\n"
        "{steward_name}",
    ),
    (
        "incident-update",
        "incident_update",
        "Incident update",
        "Hi {representative_name},\n\nAn update on the incident affecting {hub}.\n\n"
        "**Current state:** {context}\n\n**What we have tried:** \n\n**Next steps:** \n\n"
        "Follow progress at {link}.\n\n{steward_name}",
    ),
    (
        "not-an-outage",
        "not_an_outage",
        "Not an outage: entered work planning",
        "Hi {representative_name},\n\nThank you for your request ({reference}: {subject}). We "
        "looked into it: it is not an outage, and it needs more work than we can do right away, "
        "so it has entered our work planning. We track it at {link} and will keep you posted "
        "here.\n\n{steward_name}",
    ),
    (
        "resolution",
        "resolution",
        "Resolution confirmation",
        "Hi {representative_name},\n\nWe believe {reference} ({subject}) is now resolved. "
        "Could you confirm that it works for you? If we do not hear back within two working days "
        "we will close the request; replying here reopens it.\n\n{steward_name}",
    ),
    (
        "closing-notice",
        "closing",
        "Closing notice",
        "Hi {representative_name},\n\nWe have closed {reference} ({subject}). If anything is "
        "still not right, reply to this request or open a new one.\n\n{steward_name}",
    ),
    (
        "incident-resolved",
        "incident_resolved",
        "Incident resolved",
        "Hi {representative_name},\n\nService on {hub} is back. {context}\n\nWe will write an "
        "incident report and share it with you once it has been reviewed.\n\n{steward_name}",
    ),
]


def create(apps, schema_editor):
    CannedResponse = apps.get_model("tickets", "CannedResponse")
    for slug, purpose, title, body in DEFAULTS:
        CannedResponse.objects.get_or_create(
            slug=slug, defaults={"purpose": purpose, "title": title, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
