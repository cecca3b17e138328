"""supportdesk.choices.ChoiceLabels answers get_<field>_display() as Django does, in the
active language, for every choice and for a value outside the choices."""

from __future__ import annotations

import pytest
from django.db import models
from django.utils.translation import override

from tickets.models import Message, RequestEvent, SupportRequest


def _django_display(instance, field):
    return models.Model._get_FIELD_display(instance, field)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    ("model", "name"),
    [
        (SupportRequest, "status"),
        (SupportRequest, "category"),
        (SupportRequest, "channel"),
        (RequestEvent, "kind"),
        (Message, "visibility"),
    ],
)
def test_labels_are_djangos_in_the_active_language(model, name, language):
    field = model._meta.get_field(name)
    with override(language):
        for value in [*(key for key, _ in field.flatchoices), "not-a-choice", None]:
            instance = model(**{field.attname: value})
            ours = getattr(instance, f"get_{name}_display")()
            assert ours == _django_display(instance, field)
            assert type(ours) is type(_django_display(instance, field))


def test_a_label_follows_the_language_of_each_call():
    r = SupportRequest(status=SupportRequest.Status.CLOSED)
    with override("en"):
        english = r.get_status_display()
    with override("es"):
        spanish = r.get_status_display()
    assert english == "Closed"
    assert spanish != english
