"""Add the daily "database statistics" beat task (supportdesk.dbstats) to existing schedules.
install_default_schedule only adds what is missing, so entries admins changed stay as they are."""

from django.db import migrations

NAME = "Database statistics for the planner (SQLite; nothing to do on PostgreSQL)"


def seed(apps, schema_editor):
    from notifications.beat import install_default_schedule

    install_default_schedule(apps)


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_notification_message_id")]

    operations = [migrations.RunPython(seed, unseed)]
