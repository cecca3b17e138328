"""Thin tasks: ids as arguments, one service call each."""

from __future__ import annotations

from celery import shared_task

from integrations import github


@shared_task(name="integrations.github_issue_refresh", acks_late=True, time_limit=60)
def github_issue_refresh(issue_id: int) -> str:
    return github.github_issue_refresh(issue_id=issue_id)
