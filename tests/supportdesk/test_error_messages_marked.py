"""Issue 19: a DomainError's message is meant for the user (supportdesk/errors.py), so it is
marked for translation where it is raised, and reaches the user in their language.

The source of every app is read (not imported): each `raise SomeDomainError(...)`, for
DomainError and every subclass the apps declare, must not pass a plain sentence: a string
literal with a space in it, an f-string, or a sum made of them. `gettext("... %(x)s") % {...}`
passes; a short code without spaces (InvitationUnusable("expired", ...)) and a name or a call
(a message built elsewhere) are not judged here."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

APPS = [
    "accounts",
    "availability",
    "communities",
    "desk",
    "incidents",
    "integrations",
    "notifications",
    "rotation",
    "slo",
    "supportdesk",
    "tickets",
]
MARKERS = {"gettext", "ngettext", "pgettext", "npgettext", "gettext_lazy", "_"}


def _sources() -> list[tuple[str, ast.Module]]:
    base = Path(settings.BASE_DIR)
    found = []
    for app in APPS:
        for path in sorted((base / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found.append((str(path.relative_to(base)), ast.parse(path.read_text())))
    return found


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _domain_errors(sources) -> set[str]:
    """DomainError and the names of every class that derives from it, however deeply."""
    names = {"DomainError"}
    classes = [
        node for _, tree in sources for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    ]
    while True:
        more = {c.name for c in classes if any(_name(b) in names for b in c.bases)} - names
        if not more:
            return names
        names |= more


def _marked(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) in MARKERS


def _plain_text(node: ast.expr) -> bool:
    """Whether `node` puts unmarked prose into the message."""
    if _marked(node):
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and " " in node.value
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Mod) and _marked(node.left):
            return False  # gettext("... %(x)s") % {...}
        return _plain_text(node.left) or _plain_text(node.right)
    if isinstance(node, ast.IfExp):
        return _plain_text(node.body) or _plain_text(node.orelse)
    return False


def _raise_sites(sources, errors: set[str]):
    for path, tree in sources:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            if _name(node.exc.func) in errors:
                yield path, node


def test_every_domain_error_message_is_marked_for_translation():
    sources = _sources()
    errors = _domain_errors(sources)
    unmarked = [
        f"{path}:{node.lineno}: {ast.unparse(node.exc)[:100]}"
        for path, node in _raise_sites(sources, errors)
        if any(_plain_text(arg) for arg in node.exc.args)
    ]
    assert unmarked == [], "wrap these messages in gettext():\n" + "\n".join(unmarked)


def test_the_scan_sees_the_raise_sites():
    """The scan finds the subclasses and the raise sites (a broken walk would pass vacuously),
    and it does flag an unmarked message."""
    sources = _sources()
    errors = _domain_errors(sources)
    assert {"InvalidTransition", "PermissionDenied", "NewMessageSince", "SlackRefusal"} <= errors
    assert len(list(_raise_sites(sources, errors))) > 150
    flagged = ast.parse('raise DomainError(f"{r.reference} is closed.")\n').body[0]
    assert _plain_text(flagged.exc.args[0])
    flagged = ast.parse('raise DomainError("Usage: " + HELP)\n').body[0]
    assert _plain_text(flagged.exc.args[0])
    fine = ast.parse('raise DomainError(gettext("%(r)s is closed.") % {"r": ", ".join(x)})\n')
    assert not _plain_text(fine.body[0].exc.args[0])
