from django.db import migrations


def render_existing(apps, schema_editor):
    """Render the Markdown of every existing request and message once (rows written later are
    rendered when saved; see supportdesk.markdown.StoredMarkdown). Only rows still without HTML:
    an interrupted run carries on where it stopped."""
    from supportdesk.markdown import backfill_stored_markdown

    backfill_stored_markdown(apps.get_model("tickets", "SupportRequest"), "description", "description_html")
    backfill_stored_markdown(apps.get_model("tickets", "Message"), "body", "body_html")


class Migration(migrations.Migration):
    # In committed batches, not one transaction over every row of the conversation table.
    atomic = False

    dependencies = [
        ("tickets", "0016_stored_markdown_html"),
    ]

    operations = [
        migrations.RunPython(render_existing, migrations.RunPython.noop, elidable=True),
    ]
