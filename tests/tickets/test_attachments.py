"""Attachments on every channel: the web form, replies on both sides, the API and e-mail.
Stored in Django storage, typed by their bytes, limited per file and per message, and served
only as downloads to whoever may read the request (404 for another community)."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets import services
from tickets.attachments import IncomingFile
from tickets.inbound import receive_email
from tickets.models import Attachment, SupportRequest

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
HTML = b"<html><script>alert(document.cookie)</script></html>"


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="text/html")


def download(client, attachment):
    return client.get(reverse("tickets:attachment_download", args=[attachment.pk]))


def test_web_form_files_are_stored_typed_by_their_bytes_and_downloadable_by_who_may_read(
    client, rep, other_rep, steward, hub, rotation, clock
):
    client.force_login(rep)
    response = client.post(
        reverse("tickets:new"),
        {
            "hub": hub.pk,
            "subject": "Plot is broken",
            "description": "See the screenshot.",
            "affected_users": 0,
            "attachments": [upload("screenshot.txt", PNG), upload("page.html", HTML)],
        },
    )
    assert response.status_code == 302
    r = SupportRequest.objects.get()
    png, html = r.attachments.order_by("pk")
    assert (png.filename, png.content_type, png.size) == ("screenshot.txt", "image/png", len(PNG))
    assert html.content_type == "text/plain"  # never served as HTML, whatever it claims
    page = client.get(reverse("tickets:detail", args=[r.pk]))
    assert "screenshot.txt" in page.text

    for user in (rep, steward):
        client.force_login(user)
        got = download(client, html)
        assert got.status_code == 200
        assert got["Content-Disposition"].startswith("attachment;")
        assert 'filename="page.html"' in got["Content-Disposition"]
        assert got["Content-Type"] == "text/plain"
        assert got["X-Content-Type-Options"] == "nosniff"
        assert b"".join(got.streaming_content) == HTML
    client.force_login(other_rep)
    assert download(client, png).status_code == 404
    client.logout()
    assert download(client, png).status_code == 302  # to the login page


def test_files_over_the_limits_are_refused_with_the_reason_and_nothing_is_stored(
    client, settings, rep, hub, rotation, clock
):
    settings.ATTACHMENT_MAX_FILE_BYTES = 1000
    settings.ATTACHMENT_MAX_MESSAGE_BYTES = 1500
    client.force_login(rep)
    data = {"hub": hub.pk, "subject": "Logs", "description": "Attached.", "affected_users": 0}
    big = client.post(
        reverse("tickets:new"), {**data, "attachments": [upload("a.log", b"x" * 1001)]}
    )
    assert big.status_code == 400 and "each file may be at most" in big.text
    both = client.post(
        reverse("tickets:new"),
        {**data, "attachments": [upload("a.log", b"x" * 900), upload("b.log", b"y" * 900)]},
    )
    assert both.status_code == 400 and "can be sent at once" in both.text
    assert SupportRequest.objects.count() == 0 and Attachment.objects.count() == 0


def test_replies_on_both_sides_carry_files_and_the_email_names_them(
    client, answered, rep, steward, mail
):
    client.force_login(steward)
    with mail.capture():
        response = client.post(
            reverse("tickets:desk_reply", args=[answered.pk]),
            {
                "reply-body": "Here is the patched config.",
                "reply-version": answered.version,
                "reply-attachments": [upload("config.yaml", b"singleuser:\n  cpu: 2\n")],
            },
        )
    assert response.status_code == 302
    staff_file = Attachment.objects.get()
    assert staff_file.message.is_from_staff and staff_file.uploaded_by == steward
    e_mail = mail.outbox[-1]
    assert "config.yaml" in e_mail.body
    assert reverse("tickets:attachment_download", args=[staff_file.pk]) in e_mail.body

    client.force_login(rep)
    response = client.post(
        reverse("tickets:reply", args=[answered.pk]),
        {"reply-body": "Log attached.", "reply-attachments": [upload("spawn.log", b"err")]},
    )
    assert response.status_code == 302
    rep_file = Attachment.objects.exclude(pk=staff_file.pk).get()
    assert rep_file.message.author == rep and rep_file.content_type == "text/plain"
    page = client.get(reverse("tickets:detail", args=[answered.pk]))
    assert "spawn.log" in page.text and "config.yaml" in page.text


def test_api_upload_list_and_scope(client, answered, rep, other_rep, settings):
    url = reverse("api-request-attachments", args=[answered.pk])
    client.force_login(rep)
    created = client.post(url, {"file": [upload("a.png", PNG), upload("b.txt", b"hello")]})
    assert created.status_code == 201, created.content
    assert [a["content_type"] for a in created.json()["attachments"]] == [
        "image/png",
        "text/plain",
    ]
    listed = client.get(url).json()
    assert listed["count"] == 2
    assert client.get(listed["results"][0]["url"]).status_code == 200
    assert answered.events.filter(kind="attached").exists()

    empty = client.post(url, {})
    assert empty.status_code == 400 and "at least one file" in empty.json()["detail"].lower()
    settings.ATTACHMENT_MAX_FILE_BYTES = 10
    too_big = client.post(url, {"file": [upload("c.txt", b"z" * 11)]})
    assert too_big.status_code == 400 and "at most" in too_big.json()["detail"]

    client.force_login(other_rep)
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": [upload("d.txt", b"x")]}).status_code == 404


def test_mail_attachments_and_inline_images_are_kept(settings, rep, hub, rotation, clock):
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    from .mailcorpus import FIVE_MB, load

    big = receive_email(load("attachment-5mb.eml"), source="test").inbound.request
    (log,) = big.attachments.all()
    assert (log.filename, log.size, log.content_type) == (
        "server-log.gz",
        FIVE_MB,
        "application/gzip",
    )
    inline = receive_email(load("inline-image.eml"), source="test").inbound.request
    (image,) = inline.attachments.all()
    assert (image.filename, image.content_type, image.inline) == ("image001.png", "image/png", True)


def test_a_mail_attachment_over_the_limit_is_left_out_and_said_so(
    settings, rep, hub, rotation, clock
):
    settings.INBOUND_EMAIL_ADDRESS = "support@example.org"
    settings.ATTACHMENT_MAX_FILE_BYTES = 1024 * 1024
    from .mailcorpus import load

    r = receive_email(load("attachment-5mb.eml"), source="test").inbound.request
    assert r.attachments.count() == 0
    assert "Not attached: server-log.gz (5 MB) is over the per-file limit" in r.description
    assert "The original e-mail is kept" in r.description


@pytest.mark.parametrize("name", ["../../etc/passwd", "C:\\\\evil\\\\x.exe", "\x00\x1f", ""])
def test_stored_names_are_never_paths(name, answered, rep):
    (a,) = services.request_add_attachments(
        support_request=answered, by=rep, files=[IncomingFile(filename=name, data=b"x")]
    )
    assert "/" not in a.filename and "\\" not in a.filename and a.filename
    assert a.file.name.startswith(f"attachments/{answered.pk}/")
