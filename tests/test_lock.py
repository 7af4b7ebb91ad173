"""The hashed locks (requirements.lock, requirements-dev.lock) pin every dependency that
pyproject.toml names, at a version inside its range: `make lock` rewrites them."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    found = {}
    for match in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
                             text, re.M):
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return [Requirement(r) for r in names]


@pytest.mark.parametrize(("lock", "extra"), [("requirements.lock", None),
                                             ("requirements-dev.lock", "dev")])
def test_every_dependency_is_pinned_with_hashes_inside_its_range(lock, extra):
    pinned = pins(lock)
    assert pinned, f"{lock} pins nothing"
    for req in requirements(extra):
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req.name} is missing from {lock}: run `make lock`"
        assert req.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {req.name}=={pinned[name]}, outside {req.specifier}: run `make lock`")
    text = (ROOT / lock).read_text()
    assert "--index-url" not in text and "--find-links" not in text
