"""Input limits, one set for every channel: a web form accepts what the API accepts, and every
JSON body (the API, the monitoring webhooks, any future webhook) is parsed by `json_loads`,
which refuses a body too large or nested too deep with a clear message instead of exhausting
memory or the interpreter's recursion limit."""

from __future__ import annotations

import json
from typing import Any

# Markdown text a person writes: descriptions, replies, notes, updates, reports.
MAX_TEXT = 50_000
# A JSON body. Alertmanager batches alerts (about 1 KB each); 2 MiB is a thousand or more.
MAX_JSON_BYTES = 2 * 1024 * 1024
# Nesting of a JSON body. The deepest legitimate payload (Alertmanager) is 4 levels.
MAX_JSON_DEPTH = 32


class JsonLimitExceeded(ValueError):
    """The body is valid JSON or not, but larger or deeper than we read."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


def json_loads(
    data: bytes | str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """json.loads, refusing (JsonLimitExceeded) a body over `max_bytes` or nested deeper than
    `max_depth`, and NaN/Infinity (ValueError), as strict JSON does."""
    if len(data) > max_bytes:
        raise JsonLimitExceeded(
            f"The JSON body is larger than {max_bytes} bytes.", code="too_large"
        )
    too_deep = JsonLimitExceeded(
        f"The JSON body is nested deeper than {max_depth} levels.", code="too_deep"
    )
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:  # the C parser recurses once per level: thousands deep ends here
        raise too_deep from None
    # Then the real limit, without recursion: (value, depth) pairs still to look into.
    todo = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            raise too_deep
        todo.extend((child, depth + 1) for child in children)
    return value
