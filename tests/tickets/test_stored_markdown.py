"""Descriptions and messages are stored rendered (supportdesk.markdown.StoredMarkdown): the HTML
is rendered and sanitised when the text is saved through the services, kept in step when the
text changes, filled in for rows written without save(), and the pages show it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps
from django.core.management import call_command
from django.urls import reverse

from supportdesk.markdown import backfill_stored_markdown, render_markdown
from tickets import services
from tickets.models import Message, SupportRequest

pytestmark = pytest.mark.django_db

HOSTILE = '**Bold** <script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:y)'


def _assert_clean(html: str) -> None:
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_a_submission_stores_its_description_rendered_and_sanitised(submit):
    r = submit(description=HOSTILE)
    stored = SupportRequest.objects.values_list("description_html", flat=True).get(pk=r.pk)
    _assert_clean(stored)
    assert stored == str(render_markdown(HOSTILE))


def test_replies_and_notes_store_their_bodies_rendered(submit, steward, rep):
    r = submit()
    services.request_add_note(support_request=r, by=steward, body=HOSTILE)
    services.request_reply(support_request=r, by=rep, body="A *reply*")
    htmls = dict(Message.objects.filter(request=r).values_list("body", "body_html"))
    _assert_clean(htmls[HOSTILE])
    assert "<em>reply</em>" in htmls["A *reply*"]


def test_editing_the_text_renders_it_again_and_other_saves_do_not(submit, steward):
    r = submit()
    note = services.request_add_note(support_request=r, by=steward, body="first")
    note = Message.objects.get(pk=note.pk)
    note.body = "**second**"
    note.save(update_fields=["body"])
    assert "<strong>second</strong>" in Message.objects.get(pk=note.pk).body_html

    r = SupportRequest.objects.get(pk=r.pk)
    before = r.description_html
    r.subject = "Only the subject"
    r.save(update_fields=["subject"])
    assert SupportRequest.objects.get(pk=r.pk).description_html == before


def test_rows_written_without_save_are_rendered_on_view_and_by_the_backfill(submit, steward):
    r = submit()
    services.request_add_note(support_request=r, by=steward, body="**bulk**")
    Message.objects.filter(request=r).update(body_html="")
    message = Message.objects.get(request=r)
    assert "<strong>bulk</strong>" in message.body_rendered  # rendered on the fly

    assert backfill_stored_markdown(Message, "body", "body_html") == 1
    assert "<strong>bulk</strong>" in Message.objects.get(pk=message.pk).body_html
    assert backfill_stored_markdown(Message, "body", "body_html") == 0


def test_the_command_renders_every_row_again_with_all(submit, capsys):
    r = submit(description="*old*")
    SupportRequest.objects.filter(pk=r.pk).update(description_html="<p>stale</p>")
    call_command("render_markdown")
    assert SupportRequest.objects.get(pk=r.pk).description_html == "<p>stale</p>"
    call_command("render_markdown", "--all")
    assert "<em>old</em>" in SupportRequest.objects.get(pk=r.pk).description_html


def test_the_data_migration_fills_in_existing_rows(submit, steward):
    r = submit(description="**existing**")
    services.request_add_note(support_request=r, by=steward, body="`code`")
    SupportRequest.objects.update(description_html="")
    Message.objects.update(body_html="")
    migration = importlib.import_module("tickets.migrations.0017_render_stored_markdown")
    migration.render_existing(global_apps, None)
    assert "<strong>existing</strong>" in SupportRequest.objects.get(pk=r.pk).description_html
    assert "<code>code</code>" in Message.objects.get(request=r).body_html


def test_both_request_pages_show_the_stored_html(submit, steward, rep, client):
    r = submit(description="**shown**")
    services.request_reply(support_request=r, by=rep, body="*also shown*")
    # What the pages print is the stored column, not a fresh rendering of the text.
    SupportRequest.objects.filter(pk=r.pk).update(description_html="<p>from the column</p>")
    Message.objects.filter(request=r).update(body_html="<p>message column</p>")
    for user, url in (
        (steward, reverse("tickets:desk_request", args=[r.pk])),
        (rep, reverse("tickets:detail", args=[r.pk])),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "<p>from the column</p>" in page and "<p>message column</p>" in page
