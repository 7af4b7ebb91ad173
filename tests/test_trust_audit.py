"""`make audit` says plainly when it could not check, and fails only on a real finding."""
from __future__ import annotations

import json

import pytest

from tools import audit

OFFLINE_PIP = json.dumps({"dependencies": [
    {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1)"},
], "fixes": []})
VULNERABLE_PIP = json.dumps({"dependencies": [
    {"name": "flask", "version": "0.1", "vulns": [{"id": "PYSEC-0000-1"}]},
    {"name": "jinja2", "version": "3.1", "vulns": []},
], "fixes": []})
CLEAN_PIP = json.dumps({"dependencies": [{"name": "jinja2", "version": "3.1", "vulns": []}], "fixes": []})
OFFLINE_NPM = json.dumps({"error": {"code": "ENOTFOUND", "summary": "request to registry failed"}})
CLEAN_NPM = json.dumps({"metadata": {"vulnerabilities": {"low": 0, "high": 0, "total": 0}}})


@pytest.fixture
def answers(monkeypatch):
    replies = {}

    def fake_run(cmd, timeout=300):
        tool = "pip" if "pip-audit" in cmd[0] else "npm"
        return replies[tool]

    monkeypatch.setattr(audit, "run", fake_run)
    monkeypatch.setattr(audit.Path, "exists", lambda self: True)
    monkeypatch.setattr(audit.shutil, "which", lambda name: "/usr/bin/npm")
    return replies


def test_without_network_it_says_nothing_was_checked_and_does_not_fail(answers, capsys):
    answers.update(pip=(0, OFFLINE_PIP, ""), npm=(1, OFFLINE_NPM, ""))
    assert audit.main() == 0
    out = capsys.readouterr().out
    assert "pip-audit: the vulnerability database cannot be reached; NOT checked" in out
    assert "npm audit: the npm registry's advisory database cannot be reached; NOT checked" in out
    assert "no known vulnerabilities" not in out


def test_a_known_vulnerability_fails(answers, capsys):
    answers.update(pip=(1, VULNERABLE_PIP, ""), npm=(0, CLEAN_NPM, ""))
    assert audit.main() == 1
    assert "flask 0.1: PYSEC-0000-1" in capsys.readouterr().out


def test_a_clean_report_passes(answers, capsys):
    answers.update(pip=(0, CLEAN_PIP, ""), npm=(0, CLEAN_NPM, ""))
    assert audit.main() == 0
    assert "no known vulnerabilities in 1 installed packages" in capsys.readouterr().out
