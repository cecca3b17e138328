from django.apps import AppConfig
from django.db.models.signals import post_migrate

from supportdesk import dbstats, i18nmemo, refdata


class SupportdeskConfig(AppConfig):
    name = "supportdesk"
    verbose_name = "supportdesk"

    def ready(self) -> None:
        # Translations looked up once per language and message (supportdesk/i18nmemo.py).
        i18nmemo.install()
        # Cache invalidation only (derived data, never business rules): see supportdesk.refdata.
        refdata.connect()
        # SQLite's planner statistics after every migrate (supportdesk/dbstats.py).
        post_migrate.connect(dbstats.after_migrate, dispatch_uid="supportdesk-dbstats")
