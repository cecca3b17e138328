"""The request page's "close as duplicate of SD-n" (issue 19): the queue's bulk action for one
request, through the same service, with a clear error for every reference it cannot use."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import SupportRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def original(submit, steward):
    r = submit(subject="Kernel dies when importing xarray")
    return services.request_triage(
        support_request=r, by=steward, category="change", expected_version=r.version
    )


def _post(client, r, reference, *, version=None):
    return client.post(
        reverse("tickets:desk_close_as_duplicate", args=[r.pk]),
        {"duplicate-duplicate_of": reference, "duplicate-version": version or r.version},
    )


def test_a_steward_closes_a_request_as_a_duplicate_and_the_rep_is_told(
    triaged, original, steward, client
):
    client.force_login(steward)
    response = _post(client, triaged, original.reference.lower())  # "sd-12" is fine too
    assert response.status_code == 302
    triaged.refresh_from_db()
    assert triaged.status == SupportRequest.Status.CLOSED
    assert triaged.duplicate_of == original
    last = triaged.messages.order_by("pk").last()
    assert last.visibility == "public" and original.reference in last.body
    page = client.get(response["Location"]).content.decode()
    assert f"Closed as a duplicate of {original.reference}" in page


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("SD-999999", "There is no request SD-999999."),
        ("not a reference", "Give the reference of a request, e.g. SD-123."),
        ("", "This field is required."),
        ("self", "cannot be a duplicate of itself"),
        ("other", "belongs to another community"),
    ],
)
def test_a_reference_it_cannot_use_is_refused_with_a_clear_error(
    reference, error, triaged, steward, other_rep, other_hub, client
):
    if reference == "self":
        reference = triaged.reference
    elif reference == "other":
        reference = services.request_submit(
            requester=other_rep, hub=other_hub, subject="Elsewhere", description="x"
        ).reference
    client.force_login(steward)
    response = _post(client, triaged, reference)
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert 'id="duplicate-form"' in page  # the form is back, open, with the error
    triaged.refresh_from_db()
    assert triaged.status != SupportRequest.Status.CLOSED and triaged.duplicate_of is None


def test_a_closed_original_is_refused(triaged, original, steward, client):
    services.request_reply(support_request=original, by=steward, body="Answered.")
    original.refresh_from_db()
    services.request_close(support_request=original, by=steward, expected_version=original.version)
    client.force_login(steward)
    response = _post(client, triaged, original.reference)
    assert response.status_code == 400
    assert "is closed: choose an open request" in response.content.decode()


def test_a_stale_page_is_refused_not_applied(triaged, original, steward, client):
    client.force_login(steward)
    response = _post(client, triaged, original.reference, version=triaged.version + 5)
    assert response.status_code == 409
    triaged.refresh_from_db()
    assert triaged.duplicate_of is None


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("steward", True), ("engineer", True), ("rep", False), ("other_rep", False)],
)
def test_only_the_team_closes_as_duplicate(who, allowed, triaged, original, client, request):
    client.force_login(request.getfixturevalue(who))
    response = _post(client, triaged, original.reference)
    triaged.refresh_from_db()
    assert (triaged.duplicate_of == original) is allowed
    if not allowed:
        assert response.status_code in (403, 404)
