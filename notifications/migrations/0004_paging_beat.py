"""Add the every-minute incident paging sweep (notifications/beat.py) to the beat schedule;
entries an admin already has are left alone."""

from django.db import migrations


def seed(apps, schema_editor):
    from notifications.beat import install_default_schedule

    install_default_schedule(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_beat_schedule"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
