#!/usr/bin/env python3
"""Fill the @NAME@ placeholders of a file in deploy/ and print the result.

    python deploy/render.py deploy/nginx/eventi.conf SERVER_NAME=eventi.example.org \
        APP_SERVERS="server 10.0.0.11:8000 max_fails=3 fail_timeout=10s;" ... > eventi

Every placeholder must be given (as NAME=value or in the environment as NAME); a
missing one is an error, so a file is never installed half-filled. The cluster test
renders the same files with this script.
"""
from __future__ import annotations

import os
import re
import sys

PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


def render(text: str, values: dict[str, str]) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise KeyError("no value for " + ", ".join(missing))
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    path, pairs = argv[0], argv[1:]
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    values = {name: os.environ[name] for name in PLACEHOLDER.findall(text) if name in os.environ}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            print(f"expected NAME=value, got {pair!r}", file=sys.stderr)
            return 2
        values[name] = value
    try:
        sys.stdout.write(render(text, values))
    except KeyError as exc:
        print(f"{path}: {exc.args[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
