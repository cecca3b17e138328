"""Issue 19: the staff e-mails of incidents (escalation, role hand-offs) are written in each
recipient's language, not in the language of whoever's action sent them. The stewards' texts
are not translated to Spanish yet, so the test watches the language active while each text is
written (incidents/messages.py) rather than the words."""

from __future__ import annotations

import pytest
from django.utils import translation

from incidents import messages
from incidents.models import RoleAssignment
from incidents.services import assignments, lifecycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def written_in(monkeypatch):
    """{message function name: [language active when it wrote, ...]}"""
    seen: dict[str, list[str]] = {}

    def watch(name):
        real = getattr(messages, name)

        def wrapper(*args, **kwargs):
            seen.setdefault(name, []).append(translation.get_language())
            return real(*args, **kwargs)

        monkeypatch.setattr(messages, name, wrapper)

    for name in ("role_given", "role_given_body", "sme_given", "escalation_subject"):
        watch(name)
    return seen


def _spanish(user):
    user.language = "es"
    user.save(update_fields=["language"])
    return user


def test_a_role_hand_off_is_written_in_the_new_holders_language(
    incident, steward, engineer, rotation, written_in
):
    _spanish(engineer)
    with translation.override("en-gb"):  # the steward's own request
        assignments.incident_handoff(
            incident=incident,
            role=RoleAssignment.Role.COMMANDER,
            to_user=engineer,
            by=steward,
            reason="Going off shift",
        )
        assignments.incident_add_sme(incident=incident, user=rotation[3].user, by=steward)
    assert written_in["role_given"] == ["es"]
    assert written_in["role_given_body"] == ["es"]
    assert written_in["sme_given"] == ["en-gb"]  # no choice on the account: the site's


def test_the_escalation_is_written_in_each_engineers_language(
    incident, steward, engineer, rotation, written_in
):
    _spanish(engineer)
    with translation.override("es"):  # whoever escalates reads Spanish: not the point
        lifecycle.incident_escalate(incident=incident, by=steward)
    languages = written_in["escalation_subject"]
    assert len(languages) == len(rotation)
    assert sorted(languages) == sorted(["es"] + ["en-gb"] * (len(rotation) - 1))
