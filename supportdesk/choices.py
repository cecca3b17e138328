"""`get_<field>_display()` without rebuilding the field's choices on every call.

Django's generated `get_status_display()` flattens the field's choices and turns them into a
hashable dict each time it is called: on a list of 25 requests showing a state and a category,
that was 50 rebuilds and a tenth of the page's time. The choices of a model field are fixed
when the class is built, so the dict is built once per field; the labels stay lazy, so each
call still answers in the active language."""

from __future__ import annotations

import functools

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


@functools.cache
def _labels(field) -> dict:
    return dict(make_hashable(field.flatchoices))


class ChoiceLabels:
    """Mixin for a model (before models.Model in the bases): the same answers as Django's
    `get_<field>_display()`, from a dict built once per field."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)
