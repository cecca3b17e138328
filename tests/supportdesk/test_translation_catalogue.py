"""Issue 19: every message a representative's page can show has a Spanish translation.

Each template below is read the way `makemessages` reads it (Django's templatize), and every
message it marks must have a non-empty Spanish translation in the catalogues Django uses (ours,
and allauth's for the sign-in pages it provides). A string marked but not translated, or one
added to these pages without a translation, fails here, naming the template."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.extract import extract_python
from django.conf import settings
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

# The pages, partials and error pages a representative (or anybody signed out) sees.
REPRESENTATIVE_TEMPLATES = [
    "templates/base.html",
    "templates/forms/field.html",
    "templates/includes/member_nav.html",
    "templates/error_base.html",
    "templates/403.html",
    "templates/404.html",
    "templates/500.html",
    "templates/503.html",
    "templates/account/login.html",
    "templates/account/email_change.html",
    "templates/registration/locked_out.html",
    "accounts/templates/accounts/account.html",
    "accounts/templates/accounts/invitation_accept.html",
    "accounts/templates/accounts/invitation_unusable.html",
    "tickets/templates/tickets/my_requests.html",
    "tickets/templates/tickets/request_form.html",
    "tickets/templates/tickets/request_received.html",
    "tickets/templates/tickets/request_detail.html",
    "tickets/templates/tickets/_conversation.html",
    "tickets/templates/tickets/_attachments.html",
    "tickets/templates/tickets/_status_badge.html",
    "tickets/templates/tickets/_category_badge.html",
    "tickets/templates/tickets/_pagination.html",
    "tickets/templates/tickets/_follow_up_links.html",
    "slo/templates/slo/_capacity_banner.html",
    "slo/templates/slo/calendar.html",
    "communities/templates/communities/includes/budget_notice.html",
    "incidents/templates/incidents/incident_list.html",
    "incidents/templates/incidents/incident_public.html",
    "incidents/templates/incidents/_timeline.html",
    "incidents/templates/incidents/report_archive.html",
    "incidents/templates/incidents/report_detail.html",
    "incidents/templates/incidents/_report_body.html",
    "communities/templates/communities/budget.html",
    "communities/templates/communities/includes/budget_bar.html",
    "communities/templates/communities/includes/budget_spent.html",
    "accounts/templates/accounts/api_tokens.html",
    "notifications/templates/notifications/my_nudges.html",
    "availability/templates/availability/status.html",
    "availability/templates/availability/_status_body.html",
    "availability/templates/availability/_hub_body.html",
    "availability/templates/availability/_hub_tile.html",
    "availability/templates/availability/_incident_card.html",
    "availability/templates/availability/_incident_body.html",
    "availability/templates/availability/_window_card.html",
    "availability/templates/availability/_strip.html",
    "integrations/templates/integrations/subscribe.html",
    "integrations/templates/integrations/subscribe_sent.html",
    "integrations/templates/integrations/subscription_confirm.html",
    "integrations/templates/integrations/subscription_confirmed.html",
    "integrations/templates/integrations/subscription_invalid.html",
    "integrations/templates/integrations/unsubscribe.html",
    "integrations/templates/integrations/unsubscribed.html",
]

KEYWORDS = ["gettext", "ngettext", "pgettext", "npgettext", "gettext_noop", "_"]


def _messages(path: Path) -> list[tuple[int, str, str | tuple]]:
    """(line, function, msgid) of every message the template marks, as makemessages would find
    them."""
    python = templatize(path.read_text(), origin=str(path))
    # templatize keeps the template's indentation, which means nothing to Python's tokenizer.
    python = "\n".join(line.lstrip() for line in python.splitlines())
    found = extract_python(io.BytesIO(python.encode()), KEYWORDS, [], {})
    return [(line, function, message) for line, function, message, _comments in found]


def _translated(catalog: dict, function: str, message) -> bool:
    if function == "pgettext":  # (context, msgid): Django keys it "context\x04msgid"
        return bool(catalog.get(f"{message[0]}\x04{message[1]}"))
    if function == "npgettext":  # (context, singular, plural)
        return bool(catalog.get((f"{message[0]}\x04{message[1]}", 0)))
    if isinstance(message, tuple):  # ngettext: (singular, plural)
        return bool(catalog.get((message[0], 0)))
    return bool(catalog.get(message))


@pytest.mark.parametrize("template", REPRESENTATIVE_TEMPLATES)
def test_every_message_of_a_representatives_page_is_translated_to_spanish(template):
    catalog = trans_real.translation("es")._catalog  # ours, merged with the apps' catalogues
    path = Path(settings.BASE_DIR) / template
    messages = _messages(path)
    missing = [
        f"{template}:{line}: {m!r}" for line, f, m in messages if not _translated(catalog, f, m)
    ]
    assert missing == [], "untranslated in locale/es/LC_MESSAGES/django.po:\n" + "\n".join(missing)


def test_the_list_is_complete_enough_to_mean_something():
    """Every listed template exists and marks its text (a renamed file would pass vacuously)."""
    for template in REPRESENTATIVE_TEMPLATES:
        path = Path(settings.BASE_DIR) / template
        assert path.exists(), template
    marked = sum(len(_messages(Path(settings.BASE_DIR) / t)) for t in REPRESENTATIVE_TEMPLATES)
    assert marked > 400
