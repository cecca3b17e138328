"""The compiled translations (.mo) are generated from the committed .po files: `make install`
compiles them, and so does the test session when one is missing or older than its source, so
that a plain `pytest` never runs against stale translations. Babel's compiler: no GNU gettext
needed."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_stale(locale_dir: Path) -> list[Path]:
    """Compile every locale/*/LC_MESSAGES/*.po whose .mo is missing or older; returns them."""
    compiled = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog)
        tmp.replace(mo)  # atomic: parallel test workers never read half a file
        compiled.append(mo)
    return compiled
