"""The web forms accept what the API accepts, no more: every text field of every form has a
length limit, and long text gets the form back with a message, nothing saved."""

from __future__ import annotations

import importlib
import inspect

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse

from supportdesk.limits import MAX_TEXT
from tickets.models import Message, SupportRequest


def project_forms():
    """Every form class of the project's own apps (those without a dot in INSTALLED_APPS)."""
    for app in settings.INSTALLED_APPS:
        if "." in app:
            continue
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_every_text_field_of_every_form_has_a_limit_no_larger_than_the_apis():
    unlimited = []
    checked = 0
    for form_class in project_forms():
        for name, field in form_class.base_fields.items():
            if type(field) is forms.CharField:
                checked += 1
                if field.max_length is None or field.max_length > MAX_TEXT:
                    unlimited.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert checked > 10
    assert unlimited == []


def test_a_million_character_description_is_refused_with_a_message(client, rep, hub, rotation):
    client.force_login(rep)
    response = client.post(
        reverse("tickets:new"),
        {"hub": hub.pk, "subject": "Long", "description": "x" * 1_000_000, "affected_users": 0},
    )
    assert response.status_code == 400
    assert f"at most {MAX_TEXT} characters" in response.content.decode()
    assert not SupportRequest.objects.exists()


@pytest.mark.parametrize("length", [MAX_TEXT, 2_000_000])
def test_a_reply_is_limited_as_in_the_api(client, rep, hub, rotation, length):
    from tickets import services

    support_request = services.request_submit(
        requester=rep, hub=hub, subject="s", description="d", affected_users=0
    )
    client.force_login(rep)
    response = client.post(
        reverse("tickets:reply", args=[support_request.pk]), {"reply-body": "y" * length}
    )
    saved = Message.objects.filter(request=support_request, author=rep).exists()
    if length <= MAX_TEXT:
        assert response.status_code == 302 and saved
    else:
        assert response.status_code == 400 and not saved
        assert "Your reply was not sent" in response.content.decode()
