"""Every string a visitor can see has its Italian text."""
from __future__ import annotations

import pytest

from tools.messages import missing, packages


@pytest.mark.parametrize("pkg", packages())
def test_catalogue_is_complete(pkg):
    untranslated = missing(pkg)
    assert untranslated == [], (
        f"strings of {pkg} with no Italian text (run tools/messages.py {pkg}): {untranslated}"
    )


def test_a_string_has_one_italian_text_across_catalogues():
    # The catalogues are merged when the app runs, so two texts for one string would
    # show whichever catalogue loads last: wrong gender or number on some pages.
    # Strings that need different Italian in different places use pgettext contexts.
    from tools.messages import translations_by_catalogue

    clashes = {
        f"{ctx}|{msgid}" if ctx else msgid: texts
        for (ctx, msgid), texts in translations_by_catalogue().items()
        if len(set(texts.values())) > 1
    }
    assert clashes == {}
