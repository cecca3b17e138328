"""The steward's request page (issue 19): placeholders must be filled before a reply goes out,
a likely incident puts "Declare incident" at the top, no internal version number is shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportdesk.errors import DomainError
from tickets import services
from tickets.canned import empty_sections, unfilled_placeholders
from tickets.models import CannedResponse, Message

pytestmark = pytest.mark.django_db


def test_unfilled_placeholders_are_named_once_each_in_order():
    text = "Hi {representative_name}, about {context} and {context}: see {link}. {not_ours}"
    assert unfilled_placeholders(text) == ["representative_name", "context", "link"]
    assert unfilled_placeholders(text, allowed=("representative_name",)) == ["context", "link"]


def test_empty_sections_are_the_headings_with_nothing_under_them():
    text = (
        "Hi,\n\n**Current state:** degraded\n\n**What we have tried:** \n\n"
        "**Next steps:**\n- watch the nodes\n\nFollow progress."
    )
    assert empty_sections(text) == ["What we have tried"]
    assert empty_sections("**Next steps:**   \n**Owner:** Ann") == ["Next steps"]
    assert empty_sections("No sections at all.") == []


def test_a_reply_with_an_unfilled_placeholder_is_refused_and_names_it(triaged, steward):
    with pytest.raises(DomainError) as refused:
        services.request_reply(
            support_request=triaged,
            by=steward,
            body="We think it is related to {context}. See {link}.",
        )
    assert "{context}" in refused.value.message and "{link}" in refused.value.message
    assert refused.value.field == "body"
    assert not Message.objects.filter(request=triaged, is_from_staff=True).exists()


def test_a_representative_may_write_braces(triaged, rep):
    services.request_reply(
        support_request=triaged, by=rep, body="The error says {context} literally."
    )
    assert Message.objects.filter(request=triaged, body__contains="{context}").exists()


def test_a_resolution_message_with_an_unfilled_placeholder_is_refused(answered, steward):
    with pytest.raises(DomainError, match=r"\{subject\}"):
        services.request_resolve(
            support_request=answered,
            by=steward,
            body="{subject} is fixed.",
            expected_version=answered.version,
        )
    answered.refresh_from_db()
    assert answered.status == "triaged"


def test_the_reply_form_comes_back_with_the_text_and_the_unfilled_names(triaged, steward, client):
    canned = CannedResponse.objects.get(purpose="incident_ack")
    client.force_login(steward)
    page = client.get(reverse("tickets:desk_request", args=[triaged.pk]), {"canned": canned.slug})
    body = page.context["forms"]["reply"]["body"].value()
    assert "{context}" in body  # left for the steward to fill in
    response = client.post(
        reverse("tickets:desk_reply", args=[triaged.pk]),
        {"reply-body": body, "reply-version": triaged.version},
    )
    assert response.status_code == 400
    errors = response.context["forms"]["reply"].errors["body"]
    assert errors == ["Not sent: fill in {context} first (replace the braces with the text)."]
    assert "Thank you for reporting this" in response.text  # the text is kept
    # Filled in, it goes out.
    response = client.post(
        reverse("tickets:desk_reply", args=[triaged.pk]),
        {
            "reply-body": body.replace("{context}", "a full disk"),
            "reply-version": triaged.version,
        },
    )
    assert response.status_code == 302


def test_the_details_show_no_internal_version_number(triaged, steward, client):
    client.force_login(steward)
    page = client.get(reverse("tickets:desk_request", args=[triaged.pk]))
    assert "<dt>Version</dt>" not in page.text


def test_declare_incident_is_at_the_top_for_a_likely_incident(submit, steward, client):
    likely = submit(cannot_start_servers=True, affected_users=12)
    plain = submit()
    client.force_login(steward)
    page = client.get(reverse("tickets:desk_request", args=[likely.pk])).text
    banner = page.index('id="likely-incident"')
    assert banner < page.index('id="h-request"')  # above the request itself
    assert page.count('id="declare-incident"') == 1
    assert page.index('id="declare-incident"') > banner
    other = client.get(reverse("tickets:desk_request", args=[plain.pk])).text
    assert 'id="likely-incident"' not in other
    assert other.index('id="declare-incident"') > other.index('id="h-finish"')
