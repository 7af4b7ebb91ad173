"""`make audit`: known vulnerabilities in the installed Python packages and the npm lock.

Runs pip-audit over the virtualenv and `npm audit` over package-lock.json. Exit
status 1 when either reports a vulnerability. When a vulnerability database cannot
be reached (no network, proxy, outage) it says so plainly and does not fail: CI
without network must not go red for that, and nobody should read "no output" as
"no vulnerabilities".
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = re.compile(
    r"ConnectionError|Max retries exceeded|NameResolutionError|Temporary failure in name resolution"
    r"|Failed to establish a new connection|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT"
    r"|network|getaddrinfo|timed out|Could not resolve",
    re.I,
)


def run(cmd: list[str], timeout: int = 300) -> tuple[int, str, str]:
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, "", "timed out"
    return done.returncode, done.stdout, done.stderr


def pip_audit() -> str:
    """'ok', 'vulnerable' or 'unreachable'."""
    exe = Path(sys.executable).with_name("pip-audit")
    if not exe.exists():
        print("pip-audit: not installed (make install-dev installs it)")
        return "unreachable"
    code, out, err = run([str(exe), "--progress-spinner", "off", "--skip-editable", "--format", "json"])
    try:
        deps = json.loads(out)["dependencies"]
    except (json.JSONDecodeError, KeyError, TypeError):
        if UNREACHABLE.search(err):
            print("pip-audit: the vulnerability database (PyPI / OSV) cannot be reached; NOT checked")
            return "unreachable"
        print(err.rstrip() or out.rstrip())
        return "vulnerable" if code else "unreachable"
    # Without network pip-audit "skips" every package it could not look up and exits 0:
    # that is not a clean bill of health, so it is reported as unchecked.
    skipped = [d["name"] for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep.get('version', '')}: {ids}")
    if vulnerable:
        return "vulnerable"
    checked = len(deps) - len(skipped)
    if checked == 0:
        print(f"pip-audit: the vulnerability database cannot be reached; NOT checked "
              f"({len(skipped)} packages could not be looked up)")
        return "unreachable"
    print(f"pip-audit: no known vulnerabilities in {checked} installed packages"
          + (f"; {len(skipped)} could not be looked up: {', '.join(skipped)}" if skipped else ""))
    return "unreachable" if skipped else "ok"


def npm_audit() -> str:
    npm = shutil.which("npm")
    if npm is None:
        print("npm audit: npm is not installed; NOT checked")
        return "unreachable"
    code, out, err = run([npm, "audit", "--package-lock-only", "--json"])
    try:
        report = json.loads(out or "{}")
    except json.JSONDecodeError:
        report = {}
    if "error" in report or (code != 0 and not report.get("vulnerabilities") and UNREACHABLE.search(out + err)):
        print("npm audit: the npm registry's advisory database cannot be reached; NOT checked")
        return "unreachable"
    found = report.get("metadata", {}).get("vulnerabilities", {})
    total = sum(v for k, v in found.items() if k != "total" and isinstance(v, int))
    if total == 0 and code == 0:
        print("npm audit: no known vulnerabilities in package-lock.json")
        return "ok"
    run_text = subprocess.run([npm, "audit", "--package-lock-only"], cwd=ROOT, capture_output=True,
                              text=True, timeout=300).stdout
    print(run_text.rstrip())
    return "vulnerable"


def main() -> int:
    results = [pip_audit(), npm_audit()]
    if "vulnerable" in results:
        return 1
    if "unreachable" in results:
        print("audit: incomplete, see above (not a failure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
