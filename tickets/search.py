"""Search over requests: subject, description and the conversation.

PostgreSQL: full-text search. The request's subject (weight A) and description (weight B) are
in a stored generated `search_vector` column, each message's body in one too, both with a GIN
index (migrations 0014 and 0020, PostgreSQL only, so the model and SQLite know nothing of them).

A search takes the newest SEARCH_LIMIT requests (within the list's scope and filters) whose
text matches, or a message (public ones only for representatives: an internal note never
makes a request findable for them), or whose community or hub is named; the page then ranks
them with SearchRank on the stored vector and says when more matched (a product rule: the cost
of a search must not grow with the number of requests, README "Search"). Each kind of match is
read newest first with a LIMIT, so PostgreSQL walks the primary key backwards and stops early
for a common word, or reads the GIN index for a rare one. Snippets come from ts_headline for
the rows of one page only (one query), with private-use marks that are turned into <mark> after
the text is escaped, so user text is never marked safe as it is.

SQLite (embedded mode): the same scope with plain `icontains` matching."""

from __future__ import annotations

import html
import re

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from communities.models import Community, Hub
from tickets.models import Message, SupportRequest
from tickets.ordering import drive_from_requests, due_order

CONFIG = "english"
_START, _STOP = "\ue000", "\ue001"
REQUESTS, MESSAGES = SupportRequest._meta.db_table, Message._meta.db_table
# A search takes the newest this many matching requests (in the list's scope and filters) and
# ranks them; the page says so when more match (README, "Search").
SEARCH_LIMIT = 200
_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.DOTALL)


def full_text() -> bool:
    return connection.vendor == "postgresql"


def _matches(vector_sql: str, value: str) -> RawSQL:
    """`vector @@ websearch_to_tsquery(value)`. Column names are left unqualified so that the
    expression means the innermost table wherever Django aliases it; the search words are a
    bound parameter, only this module's constant SQL is inlined."""
    return RawSQL(  # noqa: S611
        f"({vector_sql}) @@ websearch_to_tsquery(%s::regconfig, %s)",
        (CONFIG, value),
        output_field=BooleanField(),
    )


class _AnyOf(Func):
    """`column = ANY(%s)` with the ids as one array parameter (PostgreSQL). The `__in` lookup
    prepares and binds each value on its own: for a search's 200 ids, compiled for the count
    and for the page, that was about a sixth of the search's extra Python time (issue 21)."""

    output_field = BooleanField()

    def __init__(self, column: str, ids: list[int]) -> None:
        super().__init__(F(column))
        self.ids = [int(pk) for pk in ids]

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s)", (*params, self.ids)


def _in(column: str, ids: list[int]) -> Q | _AnyOf:
    """`column` is one of `ids`: one array parameter on PostgreSQL, `__in` elsewhere."""
    return _AnyOf(column, ids) if full_text() else Q(**{f"{column}__in": ids})


# The communities and hubs named (as `name__icontains` does it), and whether the words leave
# anything to search for once stop words are dropped: one query, written as SQL (the ORM's union
# of two querysets, then a second query, cost a search about 0.5 ms of Python; issue 21).
_NAMED_SQL = f"""
SELECT ARRAY(SELECT id FROM {Community._meta.db_table} WHERE UPPER(name::text) LIKE UPPER(%s)),
    ARRAY(SELECT id FROM {Hub._meta.db_table} WHERE UPPER(name::text) LIKE UPPER(%s)),
    numnode(websearch_to_tsquery('{CONFIG}'::regconfig, %s)) > 0"""  # noqa: S608 - constants only


def _named(value: str) -> tuple[list[int], list[int], bool]:
    """The ids of the communities and of the hubs whose name contains `value`, and whether
    full-text search has words to search for (never on SQLite: it matches substrings)."""
    if not full_text():
        named = (
            Community.objects.filter(name__icontains=value)
            .order_by()
            .values_list(Value("community"), "pk")
            .union(
                Hub.objects.filter(name__icontains=value)
                .order_by()
                .values_list(Value("hub"), "pk"),
                all=True,
            )
        )
        communities = [pk for kind, pk in named if kind == "community"]
        return communities, [pk for kind, pk in named if kind == "hub"], False
    like = f"%{connection.ops.prep_for_like_query(value)}%"
    with connection.cursor() as cursor:
        cursor.execute(_NAMED_SQL, [like, like, value])
        communities, hubs, lexemes = cursor.fetchone()
    return communities, hubs, lexemes


def matching(
    queryset: QuerySet[SupportRequest], value: str, *, internal: bool
) -> tuple[QuerySet[SupportRequest], bool]:
    """`queryset` narrowed to the newest SEARCH_LIMIT requests whose text, conversation
    (internal notes only when `internal`), community or hub matches `value`, and whether more
    match than that (the product rule: a search ranks the newest SEARCH_LIMIT matches; older
    ones are reached with more words or filters). The candidates cost the same few queries
    whatever the number of requests: each kind of match is read newest first and stops at the
    limit."""
    ids = _newest_matches(queryset.select_related(None).order_by(), value, internal=internal)
    return queryset.filter(_in("pk", ids[:SEARCH_LIMIT])), len(ids) > SEARCH_LIMIT


def _newest_matches(queryset: QuerySet[SupportRequest], value: str, *, internal: bool) -> list:
    """The ids of the newest SEARCH_LIMIT + 1 matches in `queryset`, newest first."""
    wanted = SEARCH_LIMIT + 1
    messages = Message.objects.all()
    if not internal:
        messages = messages.filter(visibility=Message.Visibility.PUBLIC)
    # The communities and hubs named, as ids (one query): with subqueries, and no community
    # named, the planner would walk every request looking for one.
    communities, hubs, lexemes = _named(value)
    names = Q(community_id__in=communities) | Q(hub_id__in=hubs)
    if not lexemes:
        # SQLite; or words full-text search drops altogether ("theirs", "the"): plain matching.
        in_messages = messages.filter(request=OuterRef("pk"), body__icontains=value)
        text = Q(subject__icontains=value) | Q(description__icontains=value)
        found = queryset.filter(text | names | Exists(in_messages))
        return list(found.order_by("-pk").values_list("pk", flat=True)[:wanted])
    # Each kind newest first with a LIMIT: the planner walks the primary key (or the message's
    # request index) backwards and stops after `wanted` matches when a word is common, or reads
    # the GIN index when it is rare; either way the cost does not grow with the table. The
    # request text first: when it alone fills the limit, the newest `wanted` of all kinds are
    # no older than its oldest, so the others are read from there on only (for a word common
    # in requests but rarer in messages, a walk over the last few thousand requests' messages
    # rather than over all of them).
    by_text = queryset.filter(_matches(f"{REQUESTS}.search_vector", value))
    found = list(by_text.order_by("-pk").values_list("pk", flat=True)[:wanted])
    floor = Q(pk__gte=found[-1]) if len(found) == wanted else Q()
    by_message = messages.filter(
        _matches(f"{MESSAGES}.search_vector", value),
        request__in=queryset.filter(floor).values("pk"),
    )
    if len(found) == wanted:
        by_message = by_message.filter(request_id__gte=found[-1])
    parts = [
        by_message.order_by("-request_id").values_list("request_id", flat=True).distinct()[:wanted]
    ]
    if communities or hubs:
        by_name = queryset.filter(floor, names)
        parts.append(by_name.order_by("-pk").values_list("pk", flat=True)[:wanted])
    first, *rest = parts
    found += first.union(*rest, all=True) if rest else first
    return sorted(set(found), reverse=True)


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
    escaped = html.escape(text or "")  # django.utils.html.escape without its lazy wrapper
    marked = _MARKED.sub(r"<mark>\1</mark>", escaped)
    # Every character came from html.escape() above; only <mark> tags were added.
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


# The page's snippets in one query: the subject's and the description's headlines and the first
# matching message's (public ones only for a representative) of each row. Written as SQL: built
# with the ORM (two querysets with SearchHeadline), compiling them was about a third of the
# search's extra Python time (issue 21). The words and the rows are bound parameters; only this
# module's constants are inlined. The options are written as SearchHeadline writes them.
_HEADLINES_SQL = f"""
SELECT r.id,
    ts_headline('{CONFIG}'::regconfig, r.subject, q.query, %s),
    ts_headline('{CONFIG}'::regconfig, r.description, q.query, %s),
    (SELECT ts_headline('{CONFIG}'::regconfig, m.body, q.query, %s)
       FROM {MESSAGES} m
      WHERE m.request_id = r.id AND m.search_vector @@ q.query AND (%s OR m.visibility = %s)
      ORDER BY m.created_at, m.id LIMIT 1)
  FROM {REQUESTS} r, websearch_to_tsquery('{CONFIG}'::regconfig, %s) AS q(query)
 WHERE r.id = ANY(%s)"""  # noqa: S608 - only constants inlined; the values are parameters
_MARKS = f"StartSel='{_START}', StopSel='{_STOP}'"
_HEADLINE_OPTIONS = (
    f"{_MARKS}, HighlightAll=true",
    f"{_MARKS}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=' … '",
    f"{_MARKS}, MaxWords=30, MinWords=12, MaxFragments=1",
)


def annotate_snippets(rows: list[SupportRequest], value: str, *, internal: bool) -> None:
    """Set `search_subject` and `search_snippet` (safe HTML with <mark>) on the page's rows: one
    query whatever the page size (PostgreSQL: the request's text and the first matching message
    of each; SQLite: the matching messages)."""
    if not rows or not value.strip():
        return
    pks = [r.pk for r in rows]
    if not full_text():
        messages = Message.objects.filter(request_id__in=pks)
        if not internal:
            messages = messages.filter(visibility=Message.Visibility.PUBLIC)
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
    heads, in_messages = {}, {}
    params = [*_HEADLINE_OPTIONS, internal, Message.Visibility.PUBLIC.value, value, pks]
    with connection.cursor() as cursor:
        cursor.execute(_HEADLINES_SQL, params)
        for pk, subject, description, message in cursor.fetchall():
            heads[pk] = (subject, description)
            if message is not None:
                in_messages[pk] = message
    for r in rows:
        subject, description = heads.get(r.pk, (r.subject, ""))
        r.search_subject = _marked(subject)
        if description and _START in description:
            r.search_snippet = _marked(description)
        elif r.pk in in_messages:
            r.search_snippet = _marked(in_messages[r.pk])
        else:
            r.search_snippet = SafeString("")
