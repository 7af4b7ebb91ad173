"""Fill msgstr entries of a .po file from a JSON object {msgid: translation}.

A message with a context is keyed "context|msgid"; a plural message is keyed by its
singular msgid and given a list of forms.

    python tools/fill_po.py app/<pkg>/translations/it/LC_MESSAGES/messages.po translations.json
"""
from __future__ import annotations

import json
import sys

from babel.messages.pofile import read_po, write_po


def fill(po_path: str, mapping: dict[str, str]) -> list[str]:
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        msgid = message.id if isinstance(message.id, str) else message.id[0] if message.id else ""
        key = f"{message.context}|{msgid}" if message.context else msgid
        if msgid and key in mapping:
            value = mapping[key]
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, width=0)
    return [m.id for m in catalog if m.id and not (
        all(m.string) if isinstance(m.string, tuple | list) else m.string)]


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as fh:
        missing = fill(sys.argv[1], json.load(fh))
    for msgid in missing:
        print("untranslated:", repr(msgid))
