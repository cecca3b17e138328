"""Content-Security-Policy (django-csp): every URL the project names, fetched by every role,
answers with the policy, and the policy allows no inline script. The HTML pages also carry no
inline script, event handler or style attribute, which the policy would block in a browser
(the browser journeys in tests/e2e fail on any violation the console reports)."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from incidents.models import Incident
from incidents.services import lifecycle
from tests.factories import SupportBudgetFactory
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def named_patterns(resolver=None, namespace: str = "", prefix: str = "", groups=()):
    """(route, name, argument names) for every named URL outside Django admin."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            outer = (*groups, *entry.pattern.regex.groupindex)
            yield from named_patterns(entry, inner, prefix + str(entry.pattern), outer)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield prefix + str(entry.pattern), name, [*groups, *entry.pattern.regex.groupindex]


@pytest.fixture
def world(rep, other_rep, steward, engineer, project_manager, admin_user, hub, community):
    support_request = ticket_services.request_submit(
        requester=rep, hub=hub, subject="Kernel dies", description="On *import* xarray."
    )
    ticket_services.request_reply(
        support_request=support_request, by=steward, body="Looking at it."
    )
    ticket_services.request_add_note(
        support_request=support_request, by=steward, body="Probably the image."
    )
    SupportBudgetFactory(community=community)  # its admin list draws a meter per row
    incident = lifecycle.incident_declare(
        by=steward,
        hubs=[hub],
        title="Servers do not start",
        symptom=Incident.Symptom.START_SERVERS,
        affected_users=5,
        detected_by=Incident.Detection.COMMUNITY,
        summary="a failing node pool",
    )
    return {
        "roles": {
            "anonymous": None,
            "representative": rep,
            "steward": steward,
            "engineer": engineer,
            "project_manager": project_manager,
            "admin": admin_user,
        },
        "request": support_request,
        "incident": incident,
        "community": community,
        "hub": hub,
    }


# Generating the OpenAPI schema takes seconds: checked once, with the docs page, below.
SLOW_ONCE = {"api-schema"}


def url_for(route: str, name: str, converters: list[str], world) -> str:
    kwargs = {}
    for key in converters:
        if key == "slug":
            kwargs[key] = world["hub"].slug if "hubs/" in route else world["community"].slug
        elif key in ("pk", "engineer_id", "item_pk"):
            obj = world["incident"] if "incident" in route else world["request"]
            kwargs[key] = obj.pk
        else:
            kwargs[key] = "not-a-real-token"
    return reverse(name, kwargs=kwargs)


def check_response(response, where: str) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{where}: no Content-Security-Policy header"
    policy = directives(header)
    script_src = policy.get("script-src") or policy.get("default-src") or []
    assert "'unsafe-inline'" not in script_src, f"{where}: script-src allows inline: {header}"
    assert "'unsafe-eval'" not in script_src, f"{where}: {header}"
    assert "'unsafe-inline'" not in policy.get("style-src", []), f"{where}: {header}"
    if response.status_code == 200 and "text/html" in response.headers.get("Content-Type", ""):
        html = response.content.decode()
        for pattern, what in [
            (INLINE_SCRIPT, "inline <script>"),
            (EVENT_HANDLER, "inline event handler"),
            (STYLE_ATTRIBUTE, "style attribute"),
            (STYLE_ELEMENT, "inline <style>"),
        ]:
            found = pattern.search(html)
            assert not found, f"{where}: {what}: {found.group(0)[:120]}"


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere(client, db):
    response = client.get(reverse("login"))
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    # allauth's two-factor set-up shows its QR code as a data: image.
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


# Engineers and the project manager see the steward's pages; the walk costs ~15 s per role.
@pytest.mark.parametrize("role", ["anonymous", "representative", "steward", "admin"])
def test_every_named_url_carries_the_policy_for_every_role(client, world, role):
    user = world["roles"][role]
    if user is not None:
        client.force_login(user)
    patterns = list(named_patterns())
    assert len(patterns) > 100  # the walk really covers the project
    pages = 0
    for route, name, converters in patterns:
        if name in SLOW_ONCE:
            continue
        url = url_for(route, name, converters, world)
        response = client.get(url)
        check_response(response, f"{role} GET {url} ({name}) -> {response.status_code}")
        pages += response.status_code == 200
    assert pages > 5


def test_every_admin_page_carries_the_policy(client, world):
    """Django admin runs under the same policy: its index, and each registered model's list and
    add form (their scripts are static files; their data travels in data- attributes)."""
    client.force_login(world["roles"]["admin"])
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    urls.append(reverse("admin:tickets_supportrequest_change", args=[world["request"].pk]))
    urls.append(reverse("admin:incidents_incident_change", args=[world["incident"].pk]))
    for url in urls:
        response = client.get(url)
        check_response(response, f"admin GET {url} -> {response.status_code}")


def test_the_api_docs_load_their_start_up_script_from_a_url(client, world):
    client.force_login(world["roles"]["steward"])
    page = client.get(reverse("api-docs"))
    check_response(page, "api docs")
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html  # no CDN
    check_response(client.get(reverse("api-schema")), "api schema")
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
