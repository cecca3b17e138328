"""Domain errors. Services raise them; the edges (forms, API, admin) turn them into messages."""

from __future__ import annotations

from collections.abc import Callable


class DomainError(Exception):
    """A rule of the domain refused the action. The message is meant for the user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action."""

    status_code = 409


class ConcurrentEdit(DomainError):
    """Somebody else changed the object since it was loaded."""

    status_code = 409


class PermissionDenied(DomainError):
    status_code = 403


class NewMessageSince(ConcurrentEdit):
    """A message arrived after the page the reply was written on was loaded: the reply is
    held until the author has seen it (and confirms "send anyway")."""


def refusal(check: Callable[..., object], /, **kwargs) -> str | None:
    """Why `check` (a `check_*` rule function) refuses, or None when it allows. Services call
    the rule and let its DomainError go to the edge; a page calls it through `refusal` to decide
    what to offer, so that the page and the service cannot disagree."""
    try:
        check(**kwargs)
    except DomainError as exc:
        return exc.message
    return None
