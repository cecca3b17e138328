"""Attachments in an S3-compatible bucket (django-storages), against a real S3 server that the
test starts (moto's): the settings that ATTACHMENTS_S3_* make, files landing in the private
bucket, and downloads streamed from it through the permission-checked view only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Attachment, SupportRequest

ROOT = Path(__file__).resolve().parents[2]
LOG = b"Traceback (most recent call last):\n  File 'spawn.py', line 3\nOSError: quota\n"


def test_env_settings_make_an_s3_storage_and_nothing_else_changes():
    env = {
        **os.environ,
        "ATTACHMENTS_S3_BUCKET": "support-files",
        "ATTACHMENTS_S3_ENDPOINT_URL": "https://s3.example.org",
        "ATTACHMENTS_S3_REGION": "eu-central-1",
        "ATTACHMENTS_S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "ATTACHMENTS_S3_SECRET_ACCESS_KEY": "not-a-real-secret",
        "ATTACHMENTS_S3_ADDRESSING_STYLE": "path",
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
        "DEBUG": "true",
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    default = json.loads(out.stdout.strip().splitlines()[-1])
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "support-files"
    assert options["endpoint_url"] == "https://s3.example.org"
    assert options["region_name"] == "eu-central-1"
    assert options["addressing_style"] == "path"
    assert options["location"] == "attachments"
    assert options["file_overwrite"] is False
    assert "default_acl" not in options  # the bucket's own (private), never public-read


@pytest.fixture
def s3_storage(settings, s3_server):
    client = boto3.client("s3", **s3_server.client_params)
    client.create_bucket(Bucket="support-files")
    params = s3_server.client_params
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "support-files",
                "location": "attachments",
                "endpoint_url": params["endpoint_url"],
                "region_name": params["region_name"],
                "access_key": params["aws_access_key_id"],
                "secret_key": params["aws_secret_access_key"],
                "addressing_style": "path",
                "signature_version": "s3v4",
                "file_overwrite": False,
                "querystring_auth": True,
            },
        },
    }
    return client


def test_files_go_to_the_bucket_and_are_streamed_only_to_who_may_read(
    client, s3_storage, rep, other_rep, steward, hub, rotation, clock
):
    client.force_login(rep)
    response = client.post(
        reverse("tickets:new"),
        {
            "hub": hub.pk,
            "subject": "Spawn fails",
            "description": "Log attached.",
            "affected_users": 0,
            "attachments": [SimpleUploadedFile("spawn.log", LOG, content_type="text/html")],
        },
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(request=SupportRequest.objects.get())
    assert attachment.content_type == "text/plain" and attachment.size == len(LOG)

    listed = s3_storage.list_objects_v2(Bucket="support-files")["Contents"]
    (stored,) = listed
    assert stored["Key"] == f"attachments/{attachment.file.name}"
    assert stored["Size"] == len(LOG)
    assert s3_storage.get_object(Bucket="support-files", Key=stored["Key"])["Body"].read() == LOG

    for user in (rep, steward):
        client.force_login(user)
        got = client.get(reverse("tickets:attachment_download", args=[attachment.pk]))
        assert got.status_code == 200 and got.streaming  # streamed from the bucket, no redirect
        assert b"".join(got.streaming_content) == LOG
        assert got["Content-Disposition"].startswith("attachment;")
        assert got["X-Content-Type-Options"] == "nosniff"
        assert "Location" not in got
    client.force_login(other_rep)
    assert (
        client.get(reverse("tickets:attachment_download", args=[attachment.pk])).status_code == 404
    )
    client.logout()
    anonymous = client.get(reverse("tickets:attachment_download", args=[attachment.pk]))
    assert anonymous.status_code in (302, 404) and "support-files" not in anonymous.get(
        "Location", ""
    )


def test_an_object_missing_from_the_bucket_is_404_not_500(
    client, s3_storage, rep, hub, rotation, clock
):
    client.force_login(rep)
    client.post(
        reverse("tickets:new"),
        {
            "hub": hub.pk,
            "subject": "Spawn fails",
            "description": "Log attached.",
            "affected_users": 0,
            "attachments": [SimpleUploadedFile("spawn.log", LOG)],
        },
    )
    attachment = Attachment.objects.get()
    s3_storage.delete_object(Bucket="support-files", Key=f"attachments/{attachment.file.name}")
    got = client.get(reverse("tickets:attachment_download", args=[attachment.pk]))
    assert got.status_code == 404
