"""The bench dataset (issue "Scale and speed"): 100,000 requests over 500 communities and 30
engineers, 3 messages each, 60% open, spread over 180 days, fixed random seed.

Fast: the few hundred people, communities, hubs and budgets go through bulk_create, but the
requests, messages and time entries (about 430,000 rows) are written with COPY on PostgreSQL
and executemany on SQLite, with ids assigned here; Django's per-value preparation in
bulk_create made that part take minutes. Deadlines still come from the real engine
(slo.services.refresh_request_deadlines), one calendar per time zone. Above 100,000 requests,
100,000 are generated so and the rest are copies of them made by the database (INSERT ...
SELECT with shifted ids), which keeps 1,000,000 requests to minutes.

It lives in its own database (bench.database), never the development one, and is seeded once:
a later run finds it and reuses it after removing what earlier runs added (submissions of the
pages bench and the load test, notifications of the sweep bench). BENCH_REQUESTS=10000 seeds a
smaller one (the database is recreated when the size differs)."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import time
from decimal import Decimal
from types import SimpleNamespace

SEED = 20261121
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100000"))
COMMUNITIES = 500
ENGINEERS = 30
MESSAGES_PER_REQUEST = 3
DAYS = 180
OPEN_SHARE = 0.6
BATCH = 10_000
REPLICATE_ABOVE = 100_000
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]
# Words the requests and messages are written from (a second random stream, so the rest of
# the dataset is the same as without them): full-text search needs text that differs per row.
_TOPIC_WORDS = """
xarray dask kernel notebook conda environment package image timeout quota storage gpu
login spawner profile memory cluster scheduler worker extension jupyterlab voila
dashboard token s3 bucket netcdf zarr pangeo numpy pandas matplotlib cartopy rstudio
julia terminal git ssh proxy certificate dns upgrade version permissions home directory
disk cpu slow crash error restart binder repo2docker helm kubernetes node autoscaler
preemptible cost
"""
TOPICS = tuple(_TOPIC_WORDS.split())
VERBS = ("fails", "hangs", "crashes", "is slow", "is missing", "times out", "breaks", "errors")
# What the pages bench and the load test submit; removed before the dataset is reused.
EXTRA_SUBJECT_PREFIXES = ("Bench submission", "Load submission")


def seed(*, requests: int = REQUESTS, communities: int = COMMUNITIES) -> dict:
    from bench import database
    from communities.models import Community
    from communities.services import budgets_changed
    from supportdesk import refdata
    from tickets import pagecache
    from tickets.models import SupportRequest

    removed = remove_extras()
    # Other sections add communities of their own ("bench-inbound"): not the dataset's.
    have = (
        SupportRequest.objects.count(),
        Community.objects.exclude(slug__startswith="bench-").count(),
    )
    if have == (requests, communities):
        print(f"dataset: reusing {requests:,} requests / {communities} communities")
        return {"reused": True, "requests": requests, "removed_extras": removed}
    if have == (REPLICATE_ABOVE, communities) and requests > REPLICATE_ABOVE:
        # A copy of the 100,000-request database (bench.database): add the copies only.
        began = time.perf_counter()
        counts = _extend(requests)
        elapsed = time.perf_counter() - began
        refdata.invalidate()
        pagecache.invalidate_all()  # requests written in bulk: no signals
        budgets_changed()
        print(
            f"dataset: {REPLICATE_ABOVE:,} requests copied from the {REPLICATE_ABOVE:,} "
            f"database and extended to {requests:,} in {elapsed:.1f} s"
        )
        return {"reused": False, "extended": True, "seconds": round(elapsed, 1), **counts}
    if have != (0, 0):
        print(f"dataset: found {have[0]:,} requests / {have[1]} communities; recreating")
        database.recreate()
    began = time.perf_counter()
    counts = _seed(requests=requests, communities=communities)
    elapsed = time.perf_counter() - began
    # Engineers and users were bulk-inserted (no signals): drop cached rosters and calendars,
    # and the request pages' parts (SQLite hands the primary keys out again).
    refdata.invalidate()
    pagecache.invalidate_all()
    budgets_changed()  # and the budgets' time entries
    print(
        f"dataset: seeded {counts['requests']:,} requests, {counts['messages']:,} messages, "
        f"{counts['time_entries']:,} time entries in {elapsed:.1f} s"
    )
    return {"reused": False, "seconds": round(elapsed, 1), **counts}


def remove_extras() -> int:
    """Delete what bench runs added to the dataset: submitted requests (with their events and
    notifications) and every notification (the dataset itself has none)."""
    from django.db.models import Q

    from notifications.models import Notification
    from tickets.models import SupportRequest

    added = Q()
    for prefix in EXTRA_SUBJECT_PREFIXES:
        added |= Q(subject__startswith=prefix)
    removed, _ = SupportRequest.objects.filter(added).delete()
    removed += Notification.objects.all().delete()[0]
    if removed:
        _vacuum(
            [
                "tickets_supportrequest",
                "tickets_message",
                "tickets_requestevent",
                "notifications_notification",
            ]
        )
    return removed


def _vacuum(tables: list[str]) -> None:
    """PostgreSQL: VACUUM the tables bench runs wrote to, so the next run starts from the state
    the seed left (every page all-visible again, no dead row versions), as autovacuum keeps a
    long-lived database. Without it each run inherited the dead versions of the last: on a
    server with autovacuum off, the index-only counts (the queue's, the submission's open load
    per steward) read more heap pages after every run."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def _seed(*, requests: int, communities: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from communities.models import Community, Hub, Membership, SupportBudget
    from rotation.models import Engineer, RotationSettings
    from slo.models import CalendarSettings
    from slo.services import calendar_for, load_policies, refresh_request_deadlines
    from supportdesk.markdown import render_markdown
    from tickets.models import Message, SupportRequest, TimeEntry

    rng = random.Random(SEED)
    words = random.Random(SEED + 1)
    now = timezone.now().replace(microsecond=0)
    password = make_password("bench")

    with transaction.atomic():
        # Reduced-capacity pausing would make every deadline depend on holidays; the bench
        # measures the plain weekday clock, which is the common case.
        config = CalendarSettings.load()
        config.pause_during_reduced_capacity = False
        config.save()
        RotationSettings.load()
        staff = User.objects.bulk_create(
            [
                User(
                    username=f"eng{i:02d}",
                    first_name=f"Engineer{i:02d}",
                    last_name="Bench",
                    email=f"eng{i:02d}@example.org",
                    is_staff=True,
                    password=password,
                )
                for i in range(ENGINEERS)
            ]
        )
        Engineer.objects.bulk_create(
            [Engineer(user=u, country=rng.choice(["US", "DE", "GB", "BR", "NG"])) for u in staff]
        )
        User.objects.create(
            username="bench-admin", is_staff=True, is_superuser=True, password=password
        )
        comms = Community.objects.bulk_create(
            [
                Community(
                    slug=f"c{i:03d}",
                    name=f"Community {i:03d}",
                    timezone=ZONES[i % len(ZONES)],
                    kind=["research", "education", "dedicated"][i % 3],
                )
                for i in range(communities)
            ]
        )
        hubs = Hub.objects.bulk_create(
            [
                Hub(
                    community=c,
                    slug=f"hub-{c.slug}",
                    name=f"Hub {c.slug}",
                    url=f"https://{c.slug}.example.org",
                    cluster=f"cluster-{i % 12}",
                )
                for i, c in enumerate(comms)
            ]
        )
        reps = User.objects.bulk_create(
            [
                User(username=f"rep-{c.slug}", email=f"rep-{c.slug}@example.org", password=password)
                for c in comms
            ]
        )
        Membership.objects.bulk_create(
            [Membership(user=u, community=c) for u, c in zip(reps, comms, strict=True)]
        )
        month = now.date().replace(day=1)
        SupportBudget.objects.bulk_create(
            [SupportBudget(community=c, month=month, hours=Decimal("3.00")) for c in comms]
        )

    policies = load_policies()
    calendars = {zone: calendar_for(timezone_name=zone) for zone in ZONES}
    # Columns the database computes (GeneratedField) are left to it.
    request_fields = [f for f in SupportRequest._meta.concrete_fields if not f.generated]
    # A plain object with the model's defaults: refresh_request_deadlines reads and sets
    # attributes only, and building 100,000 model instances costs more than the inserts.
    defaults = {f.attname: f.get_default() for f in request_fields}
    message_columns = [
        "id",
        "request_id",
        "author_id",
        "visibility",
        "body",
        "body_html",
        "link_url",
        "canned_response_id",
        "is_from_staff",
        "created_at",
    ]
    entry_columns = [
        "id",
        "request_id",
        "incident_id",
        "community_id",
        "engineer_id",
        "minutes",
        "note",
        "worked_at",
        "budget_month",
        "counts_against_budget",
        "created_at",
    ]
    # Stored HTML, as StoredMarkdown renders it on save: a few distinct texts, rendered once.
    rendered: dict[str, str] = {}

    def html(text: str) -> str:
        if text not in rendered:
            rendered[text] = str(render_markdown(text))
        return rendered[text]

    next_request = _next_id(SupportRequest)
    next_message = _next_id(Message)
    next_entry = _next_id(TimeEntry)
    span = DAYS * 24 * 3600
    made = messages_made = entries_made = 0
    # Above REPLICATE_ABOVE requests, that many are generated (deadlines computed by the real
    # engine, about 1 ms each) and the rest are copies of them made by the database itself
    # (INSERT ... SELECT with shifted ids): 1,000,000 requests in minutes, not an hour.
    generated = requests if requests <= REPLICATE_ABOVE else REPLICATE_ABOVE
    while made < generated:
        size = min(BATCH, generated - made)
        request_rows, message_rows, entry_rows = [], [], []
        for _ in range(size):
            i = rng.randrange(communities)
            community, hub, rep = comms[i], hubs[i], reps[i]
            assignee = rng.choice(staff)
            received = now - dt.timedelta(seconds=rng.randrange(span))
            category = rng.choice(["change", "guidance", "guidance", "incident"])
            r = SimpleNamespace(**defaults)
            r.id = next_request
            r.community_id, r.hub_id, r.requester_id = community.pk, hub.pk, rep.pk
            r.assignee_id = assignee.pk
            a, b, c = words.sample(TOPICS, 3)
            r.subject = f"{a.capitalize()} {words.choice(VERBS)} on {hub.name} #{made}"
            r.description = (
                f"Users report that {b} {words.choice(VERBS)} when they use {c} with {a}."
            )
            r.description_html = html(r.description)
            r.received_at = r.created_at = r.updated_at = received
            r.priority_rank = rng.randrange(1, 9)
            next_request += 1
            if rng.random() < OPEN_SHARE:
                state = rng.random()
                if state >= 0.3:
                    r.status = "triaged" if state < 0.8 else "planned"
                    r.category = category
                    r.triaged_at = received + dt.timedelta(hours=rng.randrange(1, 12))
                    if rng.random() < 0.7:
                        r.first_responded_at = r.triaged_at + dt.timedelta(hours=1)
                        r.last_staff_reply_at = r.first_responded_at
            else:
                r.category = category
                r.triaged_at = received + dt.timedelta(hours=2)
                r.first_responded_at = r.last_staff_reply_at = received + dt.timedelta(hours=3)
                r.resolved_at = received + dt.timedelta(days=2)
                closed = rng.random() < 0.85
                r.status = "closed" if closed else "resolved"
                if closed:
                    r.closed_at = received + dt.timedelta(days=4)
            if r.category == "incident":
                r.priority_rank = 0
            refresh_request_deadlines(r, calendar=calendars[community.timezone], policies=policies)
            request_rows.append(tuple(getattr(r, f.attname) for f in request_fields))
            for k in range(MESSAGES_PER_REQUEST):
                from_staff = k % 2 == 1 or k == 2
                message_rows.append(
                    (
                        next_message,
                        r.id,
                        assignee.pk if from_staff else rep.pk,
                        "public" if k < 2 or rng.random() < 0.5 else "internal",
                        (
                            text := f"Message {k}: the {words.choice(TOPICS)} "
                            f"{words.choice(VERBS)} after the {words.choice(TOPICS)} change."
                        ),
                        html(text),
                        "",
                        None,
                        from_staff,
                        received + dt.timedelta(hours=k),
                    )
                )
                next_message += 1
            if r.category in ("change", "guidance") and rng.random() < 0.3:
                worked = received + dt.timedelta(hours=4)
                entry_rows.append(
                    (
                        next_entry,
                        r.id,
                        None,
                        community.pk,
                        assignee.pk,
                        rng.choice([15, 30, 45, 60]),
                        "",
                        worked,
                        worked.date().replace(day=1),
                        True,
                        worked,
                    )
                )
                next_entry += 1
        with transaction.atomic():
            _insert(SupportRequest, [f.column for f in request_fields], request_rows)
            _insert(Message, message_columns, message_rows)
            _insert(TimeEntry, entry_columns, entry_rows)
        made += size
        messages_made += len(message_rows)
        entries_made += len(entry_rows)
        print(f"dataset: {made:,}/{requests:,} requests", end="\r", flush=True)
    if made < requests:
        copies = _replicate(requests=requests)
        made += copies[0]
        messages_made += copies[1]
        entries_made += copies[2]
    _finish()
    print()
    return {"requests": made, "messages": messages_made, "time_entries": entries_made}


def _extend(requests: int) -> dict:
    from tickets.models import Message, SupportRequest, TimeEntry

    copies = _replicate(requests=requests)
    _finish()
    print()
    return {
        "requests": SupportRequest.objects.count(),
        "messages": Message.objects.count(),
        "time_entries": TimeEntry.objects.count(),
        "copied": copies,
    }


def _finish() -> None:
    """Sequences past the inserted ids, statistics for the planner."""
    from django.db import connection

    from tickets.models import Message, SupportRequest, TimeEntry

    if connection.vendor == "postgresql":
        _reset_sequences([SupportRequest, Message, TimeEntry])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Statistics for the planner and the visibility map (index-only scans skip the
            # table for pages marked all-visible): the state of a long-lived database, which
            # autovacuum reaches on its own.
            cursor.execute("VACUUM ANALYZE")
    else:
        # What embedded mode does after migrate and daily (supportdesk/dbstats.py).
        from supportdesk.dbstats import database_optimize

        print(f"dataset: {database_optimize(full=True)}")


def _replicate(*, requests: int) -> tuple[int, int, int]:
    """Copy the requests there are (with their messages and time entries) until there are
    `requests`, each copy with ids shifted past the span of the originals: INSERT ... SELECT in
    the database, one copy per transaction. Returns the rows added per table."""
    from django.db import connection, transaction
    from django.db.models import Max, Min

    from tickets.models import Message, SupportRequest, TimeEntry

    spans = []
    for model in (SupportRequest, Message, TimeEntry):
        ids = model.objects.aggregate(low=Min("pk"), high=Max("pk"))
        spans.append((ids["high"] or 0) - (ids["low"] or 0) + 1)
    first_request = SupportRequest.objects.aggregate(low=Min("pk"))["low"]
    base_requests = SupportRequest.objects.count()
    added = [0, 0, 0]
    copy = 0
    began = time.perf_counter()
    while base_requests * (copy + 1) < requests:
        copy += 1
        wanted = min(base_requests, requests - base_requests * copy)
        shift = tuple(span * copy for span in spans)
        last_request = (
            SupportRequest.objects.filter(pk__gte=first_request)
            .order_by("pk")
            .values_list("pk", flat=True)[wanted - 1]
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _copy_sql(SupportRequest, {"id": f"id + {shift[0]}"}, "id BETWEEN %s AND %s"),
                [first_request, last_request],
            )
            added[0] += cursor.rowcount
            cursor.execute(
                _copy_sql(
                    Message,
                    {"id": f"id + {shift[1]}", "request_id": f"request_id + {shift[0]}"},
                    "request_id BETWEEN %s AND %s",
                ),
                [first_request, last_request],
            )
            added[1] += cursor.rowcount
            cursor.execute(
                _copy_sql(
                    TimeEntry,
                    {"id": f"id + {shift[2]}", "request_id": f"request_id + {shift[0]}"},
                    "request_id BETWEEN %s AND %s",
                ),
                [first_request, last_request],
            )
            added[2] += cursor.rowcount
        print(
            f"dataset: {base_requests + added[0]:,}/{requests:,} requests "
            f"(copies: {time.perf_counter() - began:.0f} s)",
            end="\r",
            flush=True,
        )
    return tuple(added)


def _copy_sql(model, expressions: dict[str, str], where: str) -> str:
    """INSERT INTO <table> (<every column>) SELECT <the column or its expression> FROM <table>
    WHERE <where>. Names come from the model, never from input."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    # Generated columns (queue_pin) are computed by the database: never inserted.
    columns = [f.column for f in model._meta.concrete_fields if not f.generated]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    selected = ", ".join(expressions.get(c, connection.ops.quote_name(c)) for c in columns)
    return f"INSERT INTO {table} ({quoted}) SELECT {selected} FROM {table} WHERE {where}"  # noqa: S608


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _reset_sequences(models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Insert plain rows (Python values in `columns` order) without the ORM's per-value work:
    COPY on PostgreSQL, executemany on SQLite. Only the columns that need it are converted."""
    if not rows:
        return
    from django.db import connection

    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            formats = [_copy_format(_column_kind(model, c)) for i, c in enumerate(columns)]
            buffer = io.StringIO()
            write = buffer.write
            for row in rows:
                write("\t".join([f(v) for f, v in zip(formats, row, strict=True)]))
                write("\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buffer)
        else:
            converters = [
                (i, _SQLITE[kind])
                for i, c in enumerate(columns)
                if (kind := _column_kind(model, c)) in _SQLITE
            ]
            if converters:
                converted = []
                for row in rows:
                    row = list(row)
                    for i, convert in converters:
                        if row[i] is not None:
                            row[i] = convert(row[i])
                    converted.append(row)
                rows = converted
            marks = ", ".join(["%s"] * len(columns))
            # Table and column names come from the models, never from input.
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", rows)  # noqa: S608


def _column_kind(model, column: str) -> str:
    from django.db import models

    field = next(f for f in model._meta.concrete_fields if f.column == column)
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.DecimalField):
        return "decimal"
    if isinstance(field, models.IntegerField | models.ForeignKey | models.AutoField):
        return "int"
    return "text"


_SQLITE = {
    # What Django's SQLite backend stores: naive UTC datetimes as text, decimals as text.
    "datetime": lambda v: str(v.astimezone(dt.UTC).replace(tzinfo=None)),
    "date": lambda v: v.isoformat(),
    "decimal": str,
}


def _copy_format(kind: str):
    """A formatter of one column's values in PostgreSQL's COPY text format."""

    def nullable(format_value):
        return lambda v: "\\N" if v is None else format_value(v)

    if kind in ("datetime", "date"):
        return nullable(lambda v: v.isoformat())  # datetimes keep their offset
    if kind == "bool":
        return nullable(lambda v: "t" if v else "f")
    if kind in ("int", "decimal"):
        return nullable(str)
    return nullable(_copy_escape)


def _copy_escape(value) -> str:
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text
