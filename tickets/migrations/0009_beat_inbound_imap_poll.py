"""Poll the support mailbox every minute (a no-op until INBOUND_IMAP_URL is set). Editable in
admin like every beat task; expires after 50 s so a backlog runs once, not once per minute."""

from django.db import migrations

NAME = "Inbound e-mail: poll the support mailbox (IMAP)"
TASK = "tickets.inbound_imap_poll"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(task=TASK).exists():
        return
    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.create(
        name=NAME, task=TASK, interval=schedule, enabled=True, expire_seconds=50
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_closing_notice_says_reply_opens_follow_up"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
