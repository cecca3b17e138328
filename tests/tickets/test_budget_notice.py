"""The request form tells a representative when their community's budget is exhausted."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from tests.factories import SupportBudgetFactory


def test_request_form_warns_when_the_budget_is_exhausted(client, rep, hub, community):
    from communities.services import current_month

    SupportBudgetFactory(
        community=community, month=current_month(community=community), hours=Decimal("0")
    )
    client.force_login(rep)
    response = client.get(reverse("tickets:new"))
    assert response.status_code == 200
    assert 'id="budget-notice"' in response.content.decode()


def test_request_form_has_no_budget_warning_with_budget_left(client, rep, hub, community):
    from communities.services import current_month

    SupportBudgetFactory(
        community=community, month=current_month(community=community), hours=Decimal("10")
    )
    client.force_login(rep)
    response = client.get(reverse("tickets:new"))
    assert 'id="budget-notice"' not in response.content.decode()
