"""Inbound e-mail through providers' webhooks (django-anymail), posted to the live server in
each provider's documented format: Mailgun's forward() form (raw `body-mime`, and the parsed
fields with a file), SendGrid's Inbound Parse with "send raw" (`email`), Postmark's JSON
(`RawEmail`, and the structured fields without it), an Amazon SES receipt through SNS (content
in the notification, and the S3 action reading a real S3-compatible server), and SparkPost's
relay webhook. Right credentials: the request (or reply) exists once, however often the
provider posts; wrong ones: 401 and nothing stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from email.message import EmailMessage

import pytest
import requests
from django.urls import reverse

from supportdesk import mailthread
from tickets.models import Attachment, InboundEmail, Message, SupportRequest

SECRET = "anymail:s3cr3t-webhook-password"
MAILGUN_KEY = "key-mailgun-signing-0123456789"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    settings.DEFAULT_FROM_EMAIL = "supportdesk <support@example.org>"
    settings.ANYMAIL = {"WEBHOOK_SECRET": [SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}


def mime(sender: str, *, subject="Dask dashboard 502", to="support@example.org", **extra) -> str:
    msg = EmailMessage()
    msg["From"] = f"Rep <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Fri, 13 Mar 2026 19:00:00 +0000"
    msg["Message-ID"] = extra.pop("message_id", f"<{uuid.uuid4().hex}@mail.example.net>")
    for name, value in extra.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("The dashboard answers 502 since this morning.\n\nRep")
    return msg.as_string()


def url(live_server, slug: str) -> str:
    return live_server.url + reverse(f"tickets:inbound_email_{slug}")


def auth(secret: str | None = SECRET):
    return tuple(secret.split(":", 1)) if secret else None


# --- payloads, as each provider documents them ----------------------------------------------


def mailgun_signature(key: str = MAILGUN_KEY) -> dict[str, str]:
    timestamp, token = "1773428400", uuid.uuid4().hex
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {"timestamp": timestamp, "token": token, "signature": signature.hexdigest()}


def post_mailgun_mime(live_server, raw: str, *, secret=SECRET, key=MAILGUN_KEY):
    fields = {
        "recipient": "support@example.org",
        "sender": "rep@example.net",
        "from": "Rep <rep@example.net>",
        "subject": "Dask dashboard 502",
        "body-mime": raw,
        **mailgun_signature(key),
    }
    # Mailgun's forward() posts multipart/form-data.
    return requests.post(
        url(live_server, "mailgun_mime"),
        files={name: (None, value) for name, value in fields.items()},
        auth=auth(secret),
        timeout=30,
    )


def post_sendgrid_raw(live_server, raw: str, *, secret=SECRET):
    fields = {
        "email": raw,
        "to": "support@example.org",
        "from": "Rep <rep@example.net>",
        "subject": "Dask dashboard 502",
        "envelope": json.dumps({"to": ["support@example.org"], "from": "rep@example.net"}),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
        "sender_ip": "192.0.2.10",
        "spam_score": "0.1",
        "SPF": "pass",
        "dkim": "{@example.net : pass}",
    }
    return requests.post(
        url(live_server, "sendgrid"),
        files={name: (None, value) for name, value in fields.items()},
        auth=auth(secret),
        timeout=30,
    )


def post_json(live_server, slug: str, payload, *, secret=SECRET, headers=None):
    return requests.post(
        url(live_server, slug),
        data=json.dumps(payload),
        headers={"Content-Type": "application/json", **(headers or {})},
        auth=auth(secret),
        timeout=30,
    )


def postmark_raw(raw: str) -> dict:
    return {
        "FromName": "Rep",
        "From": "rep@example.net",
        "FromFull": {"Email": "rep@example.net", "Name": "Rep", "MailboxHash": ""},
        "To": "support@example.org",
        "ToFull": [{"Email": "support@example.org", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "support@example.org",
        "Subject": "Dask dashboard 502",
        "MessageID": str(uuid.uuid4()),
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Fri, 13 Mar 2026 19:00:00 +0000",
        "TextBody": "The dashboard answers 502 since this morning.",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [{"Name": "Return-Path", "Value": "<rep@example.net>"}],
        "Attachments": [],
        "RawEmail": raw,
        "MessageStream": "inbound",
    }


def sns_notification(content: bytes | None = None, *, s3: tuple[str, str] | None = None):
    """An Amazon SES receipt rule's notification, delivered by SNS to an HTTP endpoint."""
    if s3 is not None:
        action = {
            "type": "S3",
            "topicArn": "arn:aws:sns:eu-west-1:123456789012:ses-inbound",
            "bucketName": s3[0],
            "objectKeyPrefix": "",
            "objectKey": s3[1],
        }
    else:
        action = {
            "type": "SNS",
            "topicArn": "arn:aws:sns:eu-west-1:123456789012:ses-inbound",
            "encoding": "BASE64",
        }
    receipt = {
        "timestamp": "2026-03-13T19:00:01.000Z",
        "processingTimeMillis": 420,
        "recipients": ["support@example.org"],
        "spamVerdict": {"status": "PASS"},
        "virusVerdict": {"status": "PASS"},
        "spfVerdict": {"status": "PASS"},
        "dkimVerdict": {"status": "PASS"},
        "dmarcVerdict": {"status": "PASS"},
        "action": action,
    }
    ses = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-03-13T19:00:00.000Z",
            "source": "rep@example.net",
            "messageId": uuid.uuid4().hex,
            "destination": ["support@example.org"],
            "headersTruncated": False,
            "headers": [],
            "commonHeaders": {"from": ["Rep <rep@example.net>"], "to": ["support@example.org"]},
        },
        "receipt": receipt,
    }
    if content is not None:
        ses["content"] = base64.b64encode(content).decode("ascii")
    message_id = str(uuid.uuid4())
    body = {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(ses),
        "Timestamp": "2026-03-13T19:00:01.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    headers = {
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": message_id,
        "x-amz-sns-topic-arn": body["TopicArn"],
        "Content-Type": "text/plain; charset=UTF-8",
    }
    return body, headers


def post_ses(live_server, body, headers, *, secret=SECRET):
    return requests.post(
        url(live_server, "amazon-ses"),
        data=json.dumps(body),
        headers=headers,
        auth=auth(secret),
        timeout=30,
    )


def sparkpost_relay(raw: str) -> list:
    return [
        {
            "msys": {
                "relay_message": {
                    "content": {
                        "email_rfc822": raw,
                        "email_rfc822_is_base64": False,
                        "headers": [],
                        "html": "",
                        "subject": "Dask dashboard 502",
                        "text": "The dashboard answers 502 since this morning.",
                        "to": ["support@example.org"],
                    },
                    "customer_id": "1337",
                    "friendly_from": "rep@example.net",
                    "msg_from": "rep@example.net",
                    "protocol": "smtp",
                    "rcpt_to": "support@example.org",
                    "webhook_id": "4839201967643219",
                }
            }
        }
    ]


# --- right credentials: stored once ---------------------------------------------------------

PROVIDERS = ["mailgun", "sendgrid", "postmark", "amazon-ses", "sparkpost"]


def post_raw(live_server, slug: str, raw: str, *, secret=SECRET):
    if slug == "mailgun":
        return post_mailgun_mime(live_server, raw, secret=secret)
    if slug == "sendgrid":
        return post_sendgrid_raw(live_server, raw, secret=secret)
    if slug == "postmark":
        return post_json(live_server, "postmark", postmark_raw(raw), secret=secret)
    if slug == "amazon-ses":
        return post_ses(live_server, *sns_notification(raw.encode()), secret=secret)
    if slug == "sparkpost":
        return post_json(live_server, "sparkpost", sparkpost_relay(raw), secret=secret)
    raise AssertionError(slug)


@pytest.mark.parametrize("slug", PROVIDERS)
def test_a_representatives_mail_opens_one_request_however_often_it_is_posted(
    live_server, community, rep, hub, rotation, slug
):
    raw = mime(rep.email)
    first = post_raw(live_server, slug, raw)
    assert first.status_code == 200, first.text
    # The provider retries (its own timeout, a lost answer): the same message changes nothing.
    assert post_raw(live_server, slug, raw).status_code == 200
    (inbound,) = InboundEmail.objects.all()
    assert inbound.source == f"webhook:{slug}"
    assert inbound.status == InboundEmail.Status.NEW_REQUEST
    (support_request,) = SupportRequest.objects.all()
    assert inbound.request == support_request
    assert support_request.channel == "email" and support_request.community == community
    assert support_request.requester == rep and support_request.subject == "Dask dashboard 502"
    assert "answers 502" in support_request.description


@pytest.mark.parametrize("slug", PROVIDERS)
def test_wrong_or_missing_credentials_are_refused_and_store_nothing(
    live_server, rep, rotation, slug
):
    raw = mime(rep.email)
    for secret in (None, "anymail:wrong", "someone:s3cr3t-webhook-password"):
        answer = post_raw(live_server, slug, raw, secret=secret)
        assert answer.status_code == 401, (secret, answer.text)
        assert "Basic" in answer.headers["WWW-Authenticate"]
    assert not InboundEmail.objects.exists() and not SupportRequest.objects.exists()


def test_a_reply_by_webhook_threads_like_one_read_over_imap(live_server, submit, rep, mail):
    support_request = submit()
    reply_to = mailthread.request_reply_address(support_request.pk)
    raw = mime(
        rep.email,
        subject=f"Re: [{support_request.reference}] {support_request.subject}",
        to=reply_to,
    )
    for _ in range(2):
        assert post_raw(live_server, "postmark", raw).status_code == 200
    (message,) = Message.objects.filter(request=support_request)
    assert message.author == rep and "answers 502" in message.body
    assert InboundEmail.objects.get().status == InboundEmail.Status.REPLY
    assert SupportRequest.objects.count() == 1


def test_mailgun_needs_its_signature_as_well_as_the_secret(live_server, rep, rotation):
    raw = mime(rep.email)
    answer = post_mailgun_mime(live_server, raw, key="key-somebody-else")
    assert answer.status_code == 401
    assert not InboundEmail.objects.exists()
    assert post_mailgun_mime(live_server, raw).status_code == 200
    assert SupportRequest.objects.count() == 1


def test_mailgun_parsed_fields_keep_the_attachment(live_server, rep, hub, rotation):
    """Mailgun's forward() to a URL without "mime": the parsed fields and the files."""
    fields = {
        "recipient": "support@example.org",
        "sender": rep.email,
        "from": f"Rep <{rep.email}>",
        "subject": "Traceback attached",
        "body-plain": "See the attached log.",
        "stripped-text": "See the attached log.",
        "message-headers": json.dumps(
            [
                ["From", f"Rep <{rep.email}>"],
                ["To", "support@example.org"],
                ["Subject", "Traceback attached"],
                ["Message-Id", "<parsed.1@mail.example.net>"],
                ["Date", "Fri, 13 Mar 2026 19:00:00 +0000"],
            ]
        ),
        "attachment-count": "1",
        **mailgun_signature(),
    }
    files = {name: (None, value) for name, value in fields.items()}
    files["attachment-1"] = ("kernel.log", b"Traceback (most recent call last):\n", "text/plain")
    answer = requests.post(url(live_server, "mailgun"), files=files, auth=auth(), timeout=30)
    assert answer.status_code == 200, answer.text
    support_request = SupportRequest.objects.get()
    assert support_request.subject == "Traceback attached"
    (attachment,) = Attachment.objects.filter(request=support_request)
    assert attachment.filename == "kernel.log" and attachment.content_type == "text/plain"
    assert InboundEmail.objects.get().message_id == "<parsed.1@mail.example.net>"


def test_postmark_structured_fields_without_raw_email(live_server, rep, hub, rotation):
    payload = postmark_raw("")
    del payload["RawEmail"]
    payload["FromFull"] = {"Email": rep.email, "Name": "Rep", "MailboxHash": ""}
    payload["From"] = rep.email
    payload["Headers"] = [
        {"Name": "Return-Path", "Value": f"<{rep.email}>"},
        {"Name": "Message-ID", "Value": "<structured.1@mail.example.net>"},
        {"Name": "MIME-Version", "Value": "1.0"},
    ]
    payload["Attachments"] = [
        {
            "Name": "config.yaml",
            "Content": base64.b64encode(b"singleuser:\n  memory: 4G\n").decode(),
            "ContentType": "application/x-yaml",
            "ContentLength": 24,
        }
    ]
    for _ in range(2):
        answer = post_json(live_server, "postmark", payload)
        assert answer.status_code == 200, answer.text
    support_request = SupportRequest.objects.get()
    assert "answers 502" in support_request.description
    assert InboundEmail.objects.get().message_id == "<structured.1@mail.example.net>"
    assert Attachment.objects.get(request=support_request).filename == "config.yaml"


def test_ses_receipt_stored_in_s3_is_read_from_the_bucket(
    live_server, settings, s3_server, rep, hub, rotation
):
    """The SES receipt rule's S3 action: the notification names the object; anymail reads it
    with boto3 from a real S3-compatible server."""
    import boto3

    raw = mime(rep.email).encode()
    client = boto3.client("s3", **s3_server.client_params)
    client.create_bucket(Bucket="ses-inbound")
    client.put_object(Bucket="ses-inbound", Key="mail/abc123", Body=raw)
    settings.ANYMAIL = {**settings.ANYMAIL, "AMAZON_SES_CLIENT_PARAMS": s3_server.client_params}
    body, headers = sns_notification(s3=("ses-inbound", "mail/abc123"))
    answer = post_ses(live_server, body, headers)
    assert answer.status_code == 200, answer.text
    assert SupportRequest.objects.get().requester == rep
    assert InboundEmail.objects.get().source == "webhook:amazon-ses"


# --- refusals that are not about credentials ------------------------------------------------


def test_without_a_configured_secret_every_post_is_refused(live_server, settings, rep, rotation):
    settings.ANYMAIL = {"WEBHOOK_SECRET": [], "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    answer = post_raw(live_server, "postmark", mime(rep.email), secret=None)
    assert answer.status_code == 401 and "ANYMAIL_WEBHOOK_SECRET" in answer.text
    settings.ANYMAIL = {"WEBHOOK_SECRET": [SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    assert post_raw(live_server, "mailgun", mime(rep.email)).status_code == 401
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("slug", "body", "content_type"),
    [
        ("postmark", b"{not json", "application/json"),
        ("postmark", b'{"RecordType": "Bounce", "Email": "x@example.net"}', "application/json"),
        ("sparkpost", b'[{"msys": {"message_event": {"type": "delivery"}}}]', "application/json"),
        ("sendgrid", b"to=support%40example.org", "application/x-www-form-urlencoded"),
        ("amazon-ses", b"[]", "text/plain"),
    ],
)
def test_posts_in_the_wrong_format_are_400_not_500(live_server, slug, body, content_type):
    answer = requests.post(
        url(live_server, slug),
        data=body,
        headers={"Content-Type": content_type},
        auth=auth(),
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert not InboundEmail.objects.exists()


def test_get_is_not_allowed(live_server):
    assert requests.get(url(live_server, "postmark"), auth=auth(), timeout=30).status_code == 405
