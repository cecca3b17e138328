"""Ship the objectives of DOMAIN.md as editable rows."""

from django.db import migrations

DEFAULTS = [
    ("triage", 8 * 60, "Read, understand, categorise."),
    ("first_response", 24 * 60, "First response to the representative, any category."),
    ("incident_update", 3 * 60, "Status update to the community while an incident is open."),
    ("auto_close", 48 * 60, "A resolved request closes after this long with no reply."),
    ("timebox", 30, "Minutes of trying to fix before escalating."),
]


def create(apps, schema_editor):
    SLOPolicy = apps.get_model("slo", "SLOPolicy")
    for clock, minutes, description in DEFAULTS:
        SLOPolicy.objects.get_or_create(
            clock=clock, defaults={"target_minutes": minutes, "description": description}
        )
    apps.get_model("slo", "CalendarSettings").objects.get_or_create(singleton_id=1)


class Migration(migrations.Migration):
    dependencies = [("slo", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
