"""Each translation object remembers what it has translated.

Django looks every message up through a chain of catalogs: the merged catalog of the active
language, then one fallback per English catalog that a third-party app ships next to its en_GB
one (six for en-gb here), each a dictionary lookup plus a plural-forms call. A message missing
from them all, which is every English source string on an en-gb page, walks the whole chain:
about 60 function calls per `{% translate %}`, and a page writes 100 to 450 of them.

A catalog never changes once its DjangoTranslation is built (Django builds a new object when the
language settings change), so the answer for a message is the same for the object's life:
`install()` (SupportdeskConfig.ready) makes DjangoTranslation.gettext keep its answers in a
dictionary on the object. The answer is kept as a plain str, so a message passed in as safe
HTML and a plain one with the same text still get what Django gives each (trans_real.gettext
marks the answer safe only when the message was). At most MAX_MESSAGES are kept per language,
so messages built at run time cannot grow it without bound."""

from __future__ import annotations

import gettext as gettext_module

from django.utils.translation import trans_real

MAX_MESSAGES = 20_000
_lookup = gettext_module.GNUTranslations.gettext


def _remembering_gettext(self, message):
    memo = self.__dict__.get("_supportdesk_memo")
    if memo is None:
        memo = self.__dict__["_supportdesk_memo"] = {}
    try:
        return memo[message]
    except KeyError:
        pass
    result = _lookup(self, message)
    if type(result) is not str:
        result = str.__str__(result)  # the text, without the SafeString of the message passed
    if len(memo) < MAX_MESSAGES:
        memo[message] = result
    return result


def install() -> None:
    trans_real.DjangoTranslation.gettext = _remembering_gettext
