"""PostgreSQL plans with a random page priced for SSDs (supportdesk/settings.py,
DATABASE_RANDOM_PAGE_COST): at the server's default (4) a search read every open request to
join a few thousand matches (tickets/search.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_each_connection_prices_a_random_page_read_for_ssds():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    assert "-c random_page_cost=1.1" in settings.DATABASES["default"]["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
