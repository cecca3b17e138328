"""Beat tasks of support requests. Thin: one service call each; idempotent."""

from __future__ import annotations

from celery import shared_task

from tickets import priority, services
from tickets.imap import inbound_imap_poll as poll


@shared_task(name="tickets.auto_close_due", acks_late=True, time_limit=300, soft_time_limit=240)
def auto_close_due() -> int:
    """Close resolved requests with no reply for 48 working hours; the representative is told."""
    return services.request_auto_close_due()


@shared_task(name="tickets.priority_recompute", acks_late=True, time_limit=300, soft_time_limit=240)
def priority_recompute() -> int:
    """Ranks follow each community's budget month, which starts at its own local midnight."""
    return priority.priority_recompute_for_month()


@shared_task(name="tickets.inbound_imap_poll", acks_late=True, time_limit=300, soft_time_limit=240)
def inbound_imap_poll() -> int:
    """Read the support mailbox (INBOUND_IMAP_URL; nothing to do when unset). Each message is
    stored exactly once by its Message-ID, so a second poller or a retry files nothing twice."""
    return poll().stored
