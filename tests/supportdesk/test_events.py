"""Domain events (supportdesk/events.py) and incident_changed (incidents/signals.py) let the
apps below integrations and availability announce what happened without importing them; these
tests prove every announcement reaches its receiver."""

from __future__ import annotations

import inspect

import pytest

from incidents.signals import incident_changed
from integrations import events as integration_events
from supportdesk import events
from supportdesk.events import EVENTS, domain_event, emit


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_every_event_has_a_handler_in_integrations_taking_its_arguments(event):
    handler = getattr(integration_events, event)
    parameters = inspect.signature(handler).parameters
    assert set(parameters) == EVENTS[event]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())


def test_integrations_and_availability_receive_the_signals():
    assert domain_event.has_listeners()
    assert incident_changed.has_listeners()


def test_an_event_reaches_its_receiver_with_its_data(monkeypatch):
    seen = []
    monkeypatch.setattr(integration_events, "request_resolved", lambda **data: seen.append(data))
    emit("request_resolved", support_request="the request")
    assert seen == [{"support_request": "the request"}]


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("request_deleted", {"support_request": 1}),
        ("request_created", {"support_request": 1, "url": "x"}),
    ],
)
def test_an_unknown_event_or_wrong_arguments_raise(event, data):
    with pytest.raises(ValueError, match="Unknown domain event"):
        events.emit(event, **data)
