from django.apps import AppConfig
from django.db.models.signals import post_migrate

from supportdesk import dbstats, refdata


class SupportdeskConfig(AppConfig):
    name = "supportdesk"
    verbose_name = "supportdesk"

    def ready(self) -> None:
        # Cache invalidation only (derived data, never business rules): see supportdesk.refdata.
        refdata.connect()
        # SQLite's planner statistics after every migrate (supportdesk/dbstats.py).
        post_migrate.connect(dbstats.after_migrate, dispatch_uid="supportdesk-dbstats")
