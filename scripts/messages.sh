#!/usr/bin/env bash
# Update the Spanish catalogue after marking new strings: Django's makemessages (needs GNU
# gettext: xgettext, msgmerge), then the tidy-up this repository keeps (scripts/po_tidy.py:
# Babel's layout, no fuzzy guesses, no obsolete entries). Translate the new, empty entries,
# then `make messages` compiles the .mo.
set -euo pipefail
cd "$(dirname "$0")/.."
DEBUG=1 DATABASE_URL=sqlite:///:memory: .venv/bin/python manage.py makemessages -l es \
  --no-location --ignore=.venv --ignore=node_modules --ignore=tests
.venv/bin/python scripts/po_tidy.py locale/es/LC_MESSAGES/django.po
