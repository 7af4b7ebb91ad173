"""Extract translatable strings per catalogue and update its Italian .po file.

Each capability owns app/<pkg>/translations, fed by app/<pkg>, templates/<pkg> and
templates/email/<pkg> and templates/pdf/<pkg>; the core catalogue app/translations is
fed by the top-level modules, app/main and the shared templates. Usage:

    python tools/messages.py [PKG ...]     # update, then list untranslated strings
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PYBABEL = str(Path(sys.executable).with_name("pybabel"))
CORE = "core"


def packages() -> list[str]:
    return [CORE] + sorted(
        p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").exists() and p.name != "main"
    )


def catalogue_dir(pkg: str) -> Path:
    return ROOT / "app" / "translations" if pkg == CORE else ROOT / "app" / pkg / "translations"


def sources(pkg: str) -> list[Path]:
    if pkg == CORE:
        top = [p for p in (ROOT / "app").glob("*.py")]
        return top + [
            ROOT / "app" / "main",
            ROOT / "templates" / "base.html",
            ROOT / "templates" / "_macros",
            ROOT / "templates" / "errors",
            ROOT / "templates" / "main",
        ]
    candidates = [
        ROOT / "app" / pkg,
        ROOT / "templates" / pkg,
        ROOT / "templates" / "email" / pkg,
        ROOT / "templates" / "pdf" / pkg,
    ]
    return [p for p in candidates if p.exists()]


def extract(pkg: str, pot: Path) -> None:
    srcs = [str(p.relative_to(ROOT)) for p in sources(pkg)]
    subprocess.run(
        [PYBABEL, "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "_lp:1c,2", "-k", "_ln:1,2", "--no-location",
         "--omit-header", "-o", str(pot), *srcs],
        cwd=ROOT, check=True,
    )


def missing(pkg: str) -> list[str]:
    """Strings used in the sources with no Italian text in the catalogue (writes nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract(pkg, pot)
        with pot.open("rb") as fh:
            wanted = [(m.context, m.id) for m in read_po(fh) if m.id]
    po = catalogue_dir(pkg) / "it" / "LC_MESSAGES" / "messages.po"
    translated: set = set()
    if po.exists():
        with po.open("rb") as fh:
            translated = {
                (m.context, m.id) for m in read_po(fh) if m.id and has_text(m) and not m.fuzzy
            }
    return [label(c, m) for c, m in wanted if (c, m) not in translated]


def has_text(message) -> bool:
    """A plural message needs every form filled in, not just a tuple of empty strings."""
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def label(context: str | None, msgid) -> str:
    text = msgid if isinstance(msgid, str) else msgid[0]
    return f"{context}|{text}" if context else text


def translations_by_catalogue() -> dict[tuple, dict[str, str]]:
    """{(context, msgid): {catalogue: italian}} over every catalogue (they are merged at run time)."""
    found: dict[tuple, dict[str, str]] = {}
    for pkg in packages():
        po = catalogue_dir(pkg) / "it" / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            for m in read_po(fh):
                if m.id and has_text(m):
                    key = (m.context, m.id if isinstance(m.id, str) else m.id[0])
                    found.setdefault(key, {})[pkg] = str(m.string)
    return found


def update(pkg: str) -> list[str]:
    directory = catalogue_dir(pkg)
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract(pkg, pot)
        with pot.open("rb") as fh:
            if not len(read_po(fh)):
                return []
        po = directory / "it" / "LC_MESSAGES" / "messages.po"
        cmd = "update" if po.exists() else "init"
        args = [PYBABEL, "-q", cmd, "-i", str(pot), "-d", str(directory), "-l", "it"]
        if cmd == "update":
            args += ["--no-fuzzy-matching", "--ignore-obsolete"]
        subprocess.run(args, cwd=ROOT, check=True)
    with po.open("rb") as fh:
        catalog = read_po(fh)
    return [label(m.context, m.id) for m in catalog if m.id and not has_text(m)]


if __name__ == "__main__":
    for pkg in sys.argv[1:] or packages():
        missing = update(pkg)
        for msgid in missing:
            print(f"{pkg}: untranslated: {msgid!r}")
