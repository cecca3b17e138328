"""Demo requests and incidents, created through the services (filled in as features land)."""

from __future__ import annotations


def seed_history(*, stdout=None) -> str:
    return ""
