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
