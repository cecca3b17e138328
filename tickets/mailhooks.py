"""Inbound e-mail from a provider's webhook (django-anymail): Mailgun, SendGrid, Postmark,
Amazon SES and SparkPost post each message they receive for the support address
to `/inbound-email/<provider>/`.

anymail's own inbound views authenticate and parse the post (HTTP basic auth with
ANYMAIL_WEBHOOK_SECRET for every provider, and Mailgun's HMAC signature on top); its `inbound`
signal hands us an AnymailInboundMessage, whose raw MIME goes to `tickets.inbound.receive_email`
unchanged. So a message that arrives by webhook is threaded, de-duplicated by Message-ID and
stored with its attachments exactly as one read over IMAP or from a mail server's pipe.

What this module adds around anymail's views:
- no secret configured: every post is refused (401), never accepted unauthenticated (anymail
  alone would accept it with a warning); Mailgun also needs its signing key;
- a wrong secret or signature is 401 (anymail says 400), a post that is not the provider's
  format is 400, never a 500;
- when the database is down the error propagates: a 503 that the provider retries.
"""

from __future__ import annotations

import io
import json
import logging
import warnings

from anymail.exceptions import (
    AnymailError,
    AnymailNotSupportedWarning,
    AnymailWebhookValidationFailure,
)
from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound
from anymail.utils import get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import path
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from tickets.inbound import receive_email

logger = logging.getLogger(__name__)

# URL slug (also the `source` recorded on each InboundEmail, webhook:<slug>): anymail's view.
PROVIDERS = {
    "mailgun": MailgunInboundWebhookView,
    "sendgrid": SendGridInboundWebhookView,
    "postmark": PostmarkInboundWebhookView,
    "amazon-ses": AmazonSESInboundWebhookView,
    "sparkpost": SparkPostInboundWebhookView,
}
_SLUG_BY_ESP = {view.esp_name: slug for slug, view in PROVIDERS.items()}


def raw_message(message: AnymailInboundMessage) -> bytes:
    """The message as RFC 5322 bytes: what the provider received when it posted the raw MIME,
    or the MIME anymail built from the provider's parsed fields."""
    return message.as_bytes()


def on_inbound(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """anymail's `inbound` signal: hand the raw message to the one inbound service."""
    slug = _SLUG_BY_ESP.get(esp_name, esp_name.lower().replace(" ", "-"))
    receive_email(raw_message(event.message), source=f"webhook:{slug}"[:40])


def connect() -> None:
    inbound.connect(on_inbound, dispatch_uid="tickets.mailhooks.on_inbound")


# --- views -----------------------------------------------------------------------------------


def _secrets() -> list[str]:
    value = getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET") or []
    if isinstance(value, str):
        value = [value]
    return [s for s in value if s]


def _refuse(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="supportdesk inbound e-mail"'
    return response


def _webhook(slug: str):
    view_class = PROVIDERS[slug]
    inner = view_class.as_view()

    @csrf_exempt
    def view(request, *args, **kwargs):
        secrets = _secrets()
        if not secrets:
            return _refuse(401, "Inbound e-mail webhooks are off: ANYMAIL_WEBHOOK_SECRET is unset.")
        if slug == "mailgun" and not settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
            return _refuse(401, "The Mailgun webhook is off: MAILGUN_WEBHOOK_SIGNING_KEY is unset.")
        # Checked before the body is read (anymail checks it again): a stranger's post costs
        # nothing. Amazon SNS sends credentials only after a 401 that asks for them.
        given = get_request_basic_auth(request)
        if given is None or not any(constant_time_compare(given, s) for s in secrets):
            return _refuse(401, "Missing or wrong credentials.")
        if not request.content_type.startswith("multipart/"):
            # A JSON post carries the whole message, base64-encoded attachments and all: read
            # it (authenticated by now) up to twice the message limit, not Django's 2.5 MB.
            limit = 2 * settings.INBOUND_EMAIL_MAX_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return _refuse(413, f"The post is over {limit} bytes.")
            request._body = request.read(limit + 1)
            request._stream = io.BytesIO(request._body)
        try:
            with warnings.catch_warnings():
                # anymail no longer tests SendGrid against a live account; its inbound parse
                # format has not changed, and our tests post it.
                warnings.simplefilter("ignore", AnymailNotSupportedWarning)
                return inner(request, *args, **kwargs)
        except AnymailWebhookValidationFailure as exc:
            logger.warning("inbound e-mail webhook %s refused: %s", slug, exc)
            return _refuse(401, "Wrong signature.")
        except (
            AnymailError,
            ImproperlyConfigured,
            SuspiciousOperation,
            MultiPartParserError,
            json.JSONDecodeError,
            AttributeError,
            KeyError,
            TypeError,
            ValueError,
            UnicodeError,
        ) as exc:
            # Not the provider's inbound format (or a tracking webhook pointed here).
            logger.warning("inbound e-mail webhook %s: unusable post: %s", slug, exc)
            return _refuse(400, f"Not a {view_class.esp_name} inbound message: {exc}"[:300])

    view.__name__ = f"inbound_{slug.replace('-', '_')}"
    return view


def urlpatterns_for_providers() -> list:
    patterns = [
        path(f"inbound-email/{slug}/", _webhook(slug), name=f"inbound_email_{slug}")
        for slug in PROVIDERS
    ]
    # Mailgun posts the raw MIME (body-mime) to a forward() URL that contains "mime".
    patterns.append(
        path("inbound-email/mailgun/mime/", _webhook("mailgun"), name="inbound_email_mailgun_mime")
    )
    return patterns
