"""Tidy a catalogue after `makemessages`: Babel's layout (width 100, no locations), and none
of msgmerge's by-products: its fuzzy guesses (a new message gets an empty translation, not
a neighbour's), the "#|" previous texts and the obsolete entries."""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def tidy(path: str) -> None:
    with open(path, "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        # Babel reads msgmerge's "#| msgid ..." lines as comments starting with "|".
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
        message.auto_comments = [c for c in message.auto_comments if not c.startswith("|")]
        if message.id and message.fuzzy:
            message.flags.discard("fuzzy")
            empty = ("",) * len(message.string) if isinstance(message.string, tuple) else ""
            message.string = empty
            message.previous_id = []
    with open(path, "wb") as f:
        write_po(f, catalog, width=100, no_location=True, ignore_obsolete=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        tidy(name)
