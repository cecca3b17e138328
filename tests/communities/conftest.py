"""Budget fixtures; the helpers that build requests and time are in tests/communities/helpers.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from communities.models import BudgetSettings
from tests.factories import StaffFactory


@pytest.fixture
def worker(db):
    return StaffFactory(username="worker", first_name="Wes", last_name="Worker")


@pytest.fixture
def ten_hour_default(db):
    """A round default budget: 100 h x 10% / 1 community = 10 h."""
    config = BudgetSettings.load()
    config.hours_per_engineer_month = Decimal("100")
    config.support_share_percent = 10
    config.communities_per_engineer = 1
    config.save()
    return Decimal("10.00")
