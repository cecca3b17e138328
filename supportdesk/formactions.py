"""The one way a page runs a form action: POST → form → service → DomainError → re-display.

    result = form_submit(form, lambda data: services.thing_do(by=request.user, **data))
    if result.ok:
        messages.success(request, "Done.")
        return redirect(...)
    messages.error(request, result.message)
    return render(request, "page.html", {"form": form}, status=result.status)

`form_submit` validates the form and hands its cleaned data to one service call. A DomainError
the service raises lands on the form (on the field it names, else above the fields), so the page
comes back with what the person typed and why it was refused; `status` is 400 for an invalid
form, else the error's own (403, 409, ...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, gettext_noop

from supportdesk.errors import DomainError

INVALID = gettext_noop("Please correct the errors below.")


@dataclass
class Submitted:
    ok: bool
    value: Any = None  # what the service returned
    status: int = 200
    error: DomainError | None = None  # the service's refusal, if it refused

    @property
    def message(self) -> str:
        """What the page says on top: the refusal, or that the form has errors."""
        return self.error.message if self.error is not None else gettext(INVALID)


def service_arguments(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated input (a form's cleaned data, an API serializer's validated data) as the keyword
    arguments of a service: the `version` the person loaded is the service's `expected_version`,
    so that a change somebody made in between is refused (ConcurrentEdit) and not overwritten."""
    arguments = dict(data)
    if "version" in arguments:
        arguments["expected_version"] = arguments.pop("version")
    return arguments


def add_domain_error(form, exc: DomainError) -> None:
    """The service's refusal on the form: on the field it names when the form has that field."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def form_submit(form, action: Callable[[dict], Any]) -> Submitted:
    """Validate `form` (None: an action without fields) and call `action(cleaned_data)`."""
    if form is not None and not form.is_valid():
        return Submitted(ok=False, status=400)
    try:
        value = action(form.cleaned_data if form is not None else {})
    except DomainError as exc:
        if form is not None:
            add_domain_error(form, exc)
        return Submitted(ok=False, status=exc.status_code, error=exc)
    return Submitted(ok=True, value=value)
