"""Run every benchmark in bench/ in turn (`make bench`), each in its own process."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"run_all.py", "bare_app.py"}


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in NOT_BENCHMARKS and not p.name.startswith("_"))
    failed = []
    goals: list[list[str]] = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(script)], cwd=HERE.parent, text=True,
                                stdout=subprocess.PIPE)
        for line in proc.stdout:  # echoed as it comes; "GOAL|" lines also go to the table
            print(line, end="", flush=True)
            if line.startswith("GOAL|"):
                goals.append(line.rstrip("\n").split("|")[1:])
        code = proc.wait()
        print(f"--- {script.name}: exit {code}, {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script.name)
    if goals:
        print(f"\n{'ratio (same run, median of rounds)':62} {'measured':>9} {'goal':>8}")
        for label, ratio, goal in goals:
            print(f"{label:62} {ratio:>9} {goal:>8}")
    if failed:
        print("\nfailed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
