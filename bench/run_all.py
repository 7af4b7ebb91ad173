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
    goals: list[str] = []  # the GOAL lines the benchmarks print (bench/_goals.py)
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(script)], cwd=HERE.parent,
                                stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("GOAL\t"):
                goals.append(line.rstrip("\n"))
        code = proc.wait()
        print(f"--- {script.name}: exit {code}, {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script.name)
    if goals:
        print(f"\n{'goal':58s} {'measured':>10s} {'target':>10s}")
        for line in goals:
            _, name, value, target, met = line.split("\t")
            print(f"{name:58s} {value:>10s} {target:>10s}  {met}")
    if failed:
        print("\nfailed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
