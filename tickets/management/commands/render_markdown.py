"""Fill in the stored HTML of requests and messages written without save() (bulk inserts, raw
SQL). With --all, render every row again: after a change to supportdesk.markdown's allow-list."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from supportdesk.markdown import backfill_stored_markdown
from tickets import pagecache
from tickets.models import Message, SupportRequest


class Command(BaseCommand):
    help = "Render the stored HTML of request descriptions and messages that have none."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Render every row again, not only the empty ones."
        )

    def handle(self, *args, **options):
        for model, source, target in (
            (SupportRequest, "description", "description_html"),
            (Message, "body", "body_html"),
        ):
            if options["all"]:
                model.objects.update(**{target: ""})
            done = backfill_stored_markdown(model, source, target)
            self.stdout.write(f"{model._meta.verbose_name_plural}: {done} rendered")
        # Written in bulk (no signals): the request pages' cached threads show the new HTML.
        pagecache.invalidate_all()
