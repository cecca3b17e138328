"""Search over requests: subject, description and the conversation.

PostgreSQL: full-text search. The request's subject (weight A) and description (weight B) are
in a stored generated `search_vector` column and each message's body in an expression index,
both GIN (migration 0014, PostgreSQL only, so the model and SQLite know nothing of them). A
search is the ids whose request text matches, UNION those with a matching message (public ones
only for representatives: an internal note never makes a request findable for them), UNION
those whose community or hub is named: each part reads its own index, and the page ranks the
matches with SearchRank on the stored vector. Snippets come from SearchHeadline for the rows of
one page only (one query), with private-use marks that are turned into <mark> after the text
is escaped, so user text is never marked safe as it is.

SQLite (embedded mode): the same scope with plain `icontains` matching."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connection
from django.db.models import BooleanField, Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from communities.models import Community, Hub
from tickets.models import Message, SupportRequest
from tickets.ordering import drive_from_requests, due_order

CONFIG = "english"
# What the stored column and the message index hold (migration 0014 uses these exact words:
# the planner only uses an expression index for the very same expression).
REQUEST_VECTOR_SQL = (
    f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(subject, '')), 'A') || "
    f"setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(description, '')), 'B')"
)
MESSAGE_VECTOR_SQL = f"to_tsvector('{CONFIG}'::regconfig, coalesce(body, ''))"
_START, _STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.DOTALL)


def full_text() -> bool:
    return connection.vendor == "postgresql"


def _query(value: str) -> SearchQuery:
    return SearchQuery(value, config=CONFIG, search_type="websearch")


def _matches(vector_sql: str, value: str) -> RawSQL:
    """`vector @@ websearch_to_tsquery(value)`. Column names are left unqualified so that the
    expression means the innermost table wherever Django aliases it; the search words are a
    bound parameter, only this module's constant SQL is inlined."""
    return RawSQL(  # noqa: S611
        f"({vector_sql}) @@ websearch_to_tsquery(%s::regconfig, %s)",
        (CONFIG, value),
        output_field=BooleanField(),
    )


def _has_lexemes(value: str) -> bool:
    """Whether the words leave anything to search for once stop words are dropped."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT numnode(websearch_to_tsquery(%s::regconfig, %s))", [CONFIG, value])
        return cursor.fetchone()[0] > 0


def matching(queryset: QuerySet[SupportRequest], value: str, *, internal: bool):
    """`queryset` narrowed to the requests whose text, conversation (internal notes only when
    `internal`), community or hub matches `value`."""
    names = Q(community__name__icontains=value) | Q(hub__name__icontains=value)
    messages = Message.objects.all()
    if not internal:
        messages = messages.filter(visibility=Message.Visibility.PUBLIC)
    if not full_text() or not _has_lexemes(value):
        # SQLite; or words full-text search drops altogether ("theirs", "the"): plain matching.
        in_messages = messages.filter(request=OuterRef("pk"), body__icontains=value)
        text = Q(subject__icontains=value) | Q(description__icontains=value)
        return queryset.filter(text | names | Exists(in_messages))
    by_text = SupportRequest.objects.filter(_matches("search_vector", value)).values("pk")
    by_message = (
        messages.filter(_matches(MESSAGE_VECTOR_SQL, value)).values("request_id").order_by()
    )
    # Names through their own small tables, then the requests' foreign-key indexes (a join
    # with the names would read every request).
    by_community = (
        SupportRequest.objects.filter(
            community_id__in=Community.objects.filter(name__icontains=value).values("pk")
        )
        .values("pk")
        .order_by()
    )
    by_hub = (
        SupportRequest.objects.filter(
            hub_id__in=Hub.objects.filter(name__icontains=value).values("pk")
        )
        .values("pk")
        .order_by()
    )
    ids = by_text.order_by().union(by_message, by_community, by_hub)
    return queryset.filter(pk__in=ids)


def order_by_relevance(queryset: QuerySet[SupportRequest], value: str):
    """Best match first (PostgreSQL: ts_rank of the request's own text; a match in the
    conversation only ranks 0), then nearest deadline. SQLite: the deadline order."""
    due = due_order(using=queryset.db)
    if not full_text():
        return drive_from_requests(queryset).order_by("queue_pin", *due, "received_at", "pk")
    rank = RawSQL(
        "ts_rank(search_vector, websearch_to_tsquery(%s::regconfig, %s))",
        (CONFIG, value),
        output_field=FloatField(),
    )
    return queryset.annotate(search_rank=rank).order_by(
        F("search_rank").desc(), *due, "received_at", "pk"
    )


def _marked(text: str | None) -> SafeString:
    """Escape the headline, then turn the private-use marks into <mark> (stray marks from the
    user's own text are dropped)."""
    escaped = str(escape(text or ""))
    marked = _MARKED.sub(r"<mark>\1</mark>", escaped)
    # Every character came from escape() above; only <mark> tags were added.
    return mark_safe(marked.replace(_START, "").replace(_STOP, ""))  # noqa: S308


def _plain_snippet(text: str, value: str, width: int = 160) -> SafeString:
    """SQLite: the first match in `text` with some context, escaped, the words marked."""
    lower = text.lower()
    at = lower.find(value.lower())
    if at < 0:
        return SafeString("")
    start = max(0, at - width // 3)
    piece = text[start : start + width]
    pattern = re.compile(re.escape(value), re.IGNORECASE)
    marked = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", piece)
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(text) else ""
    return _marked(f"{prefix}{marked}{suffix}")


def annotate_snippets(rows: list[SupportRequest], value: str, *, internal: bool) -> None:
    """Set `search_subject` and `search_snippet` (safe HTML with <mark>) on the page's rows: two
    queries whatever the page size (request text, then the first matching message of each)."""
    if not rows or not value.strip():
        return
    pks = [r.pk for r in rows]
    messages = Message.objects.filter(request_id__in=pks)
    if not internal:
        messages = messages.filter(visibility=Message.Visibility.PUBLIC)
    if not full_text():
        found = {}
        for request_id, body in messages.filter(body__icontains=value).values_list(
            "request_id", "body"
        ):
            found.setdefault(request_id, body)
        for r in rows:
            r.search_subject = _plain_snippet(r.subject, value, width=200) or escape(r.subject)
            r.search_snippet = _plain_snippet(r.description, value) or _plain_snippet(
                found.get(r.pk, ""), value
            )
        return
    query = _query(value)
    options = {"start_sel": _START, "stop_sel": _STOP, "config": CONFIG}
    heads = {
        pk: (subject, description)
        for pk, subject, description in SupportRequest.objects.filter(pk__in=pks)
        .annotate(
            hl_subject=SearchHeadline("subject", query, highlight_all=True, **options),
            hl_description=SearchHeadline(
                "description",
                query,
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
                **options,
            ),
        )
        .values_list("pk", "hl_subject", "hl_description")
    }
    in_messages = {}
    for request_id, body in (
        messages.filter(_matches(MESSAGE_VECTOR_SQL, value))
        .annotate(
            hl=SearchHeadline("body", query, max_words=30, min_words=12, max_fragments=1, **options)
        )
        .order_by("request_id", "created_at", "pk")
        .distinct("request_id")
        .values_list("request_id", "hl")
    ):
        in_messages[request_id] = body
    for r in rows:
        subject, description = heads.get(r.pk, (r.subject, ""))
        r.search_subject = _marked(subject)
        if description and _START in description:
            r.search_snippet = _marked(description)
        elif r.pk in in_messages:
            r.search_snippet = _marked(in_messages[r.pk])
        else:
            r.search_snippet = SafeString("")
