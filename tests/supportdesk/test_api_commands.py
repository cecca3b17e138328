"""supportdesk.api.CommandView, the base of every POST /<objects>/{id}/<command>/ endpoint
(tickets and incidents): the order of its checks, what it hands the service, how it answers,
and the OpenAPI operation it documents, on a small command of its own."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.http import Http404
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.test import APIRequestFactory, force_authenticate

from supportdesk.api import CommandView, version_field
from supportdesk.errors import ConcurrentEdit

STAFF = SimpleNamespace(is_authenticated=True, is_staff=True, pk=1)
MEMBER = SimpleNamespace(is_authenticated=True, is_staff=False, pk=2)


@dataclass
class Thing:
    pk: int
    name: str
    version: int = 1


class ThingSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.IntegerField()


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    version = version_field()


calls: list[dict] = []


def thing_rename(*, thing: Thing, by, name: str, expected_version: int | None) -> Thing:
    calls.append({"thing": thing, "by": by, "name": name, "expected_version": expected_version})
    if expected_version is not None and expected_version != thing.version:
        raise ConcurrentEdit("Somebody renamed it first.")
    thing.name, thing.version = name, thing.version + 1
    return thing


def thing_wave(*, thing: Thing, by) -> Thing:
    calls.append({"thing": thing, "by": by})
    return thing


THINGS: dict[int, Thing] = {}


class ThingCommand(CommandView):
    throttle_classes: list = []
    output_serializer = ThingSerializer
    tags = ["things"]
    forbidden = "Only staff touch things."
    target = "thing"

    def find(self, request, pk: int) -> Thing:
        if pk not in THINGS:
            raise Http404("No such thing.")
        return THINGS[pk]

    def is_staff(self, request) -> bool:
        return request.user.is_staff


class ThingRenameView(ThingCommand):
    operation_id = "things_rename"
    summary = "Rename a thing (staff)"
    input_serializer = RenameSerializer
    service = thing_rename


class ThingWaveView(ThingCommand):
    operation_id = "things_wave"
    summary = "Wave at a thing (anybody)"
    staff_only = False
    service = thing_wave


@pytest.fixture(autouse=True)
def things():
    calls.clear()
    THINGS.clear()
    THINGS[7] = Thing(pk=7, name="old")
    yield THINGS


def post(view, user, pk: int, data=None):
    request = APIRequestFactory().post(f"/things/{pk}/", data or {}, format="json")
    force_authenticate(request, user=user)
    return view.as_view()(request, pk=pk)


def test_the_service_gets_the_object_the_user_and_the_body_with_the_version_as_expected():
    response = post(ThingRenameView, STAFF, 7, {"name": "new", "version": 1})
    assert response.status_code == 200
    assert response.data == {"name": "new", "version": 2}
    assert calls == [{"thing": THINGS[7], "by": STAFF, "name": "new", "expected_version": 1}]


def test_a_stale_version_is_a_409_from_the_service():
    response = post(ThingRenameView, STAFF, 7, {"name": "new", "version": 5})
    assert response.status_code == 409
    assert response.data["code"] == "concurrent_edit"
    assert THINGS[7].name == "old"


def test_outside_the_scope_is_404_before_the_role_is_checked():
    assert post(ThingRenameView, MEMBER, 8, {"name": "new"}).status_code == 404
    assert calls == []


def test_the_role_is_checked_before_the_body_and_the_service_is_not_called():
    response = post(ThingRenameView, MEMBER, 7, {"name": "far too long a name"})
    assert response.status_code == 403
    assert response.data["detail"] == "Only staff touch things."
    assert calls == []


def test_an_invalid_body_is_a_400_with_the_field_errors():
    response = post(ThingRenameView, STAFF, 7, {"name": "far too long a name"})
    assert response.status_code == 400
    assert set(response.data["errors"]) == {"name"}
    assert calls == []


def test_a_command_open_to_everybody_leaves_the_role_to_the_service():
    response = post(ThingWaveView, MEMBER, 7)
    assert response.status_code == 200
    assert calls == [{"thing": THINGS[7], "by": MEMBER}]


def test_the_schema_documents_each_command_from_its_attributes():
    patterns = [
        path("things/<int:pk>/rename/", ThingRenameView.as_view()),
        path("things/<int:pk>/wave/", ThingWaveView.as_view()),
    ]
    paths = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)["paths"]
    rename = paths["/things/{id}/rename/"]["post"]
    wave = paths["/things/{id}/wave/"]["post"]
    assert (rename["operationId"], rename["summary"], rename["tags"]) == (
        "things_rename",
        "Rename a thing (staff)",
        ["things"],
    )
    assert rename["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RenameRequest"
    }
    assert rename["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Thing"
    }
    assert set(rename["responses"]) == {"200", "400", "401", "403", "404", "409", "429"}
    # Without a body there is nothing to refuse with a 400; the operations stay apart.
    assert "requestBody" not in wave
    assert set(wave["responses"]) == {"200", "401", "403", "404", "409", "429"}
    assert wave["operationId"] == "things_wave"
