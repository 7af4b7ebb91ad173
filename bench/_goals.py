"""Shared by the benchmarks: alternating rounds and one goal line per figure.

Each benchmark prints its goals as `GOAL<TAB>name<TAB>figure<TAB>goal<TAB>met`; run_all.py
gathers them into the closing table of `make bench`.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def alternating(rounds: int, **contenders: Callable[[], float]) -> dict[str, float]:
    """Median of each contender's figure over `rounds` rounds, run in turn within each
    round (the order flips every round), so a machine that slows down or speeds up
    weighs on all of them alike."""
    names = list(contenders)
    figures: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else reversed(names)):
            figures[name].append(contenders[name]())
    return {name: statistics.median(values) for name, values in figures.items()}


def goal(name: str, value: float, limit: float, *, unit: str = "x", at_most: bool = True) -> bool:
    met = value <= limit if at_most else value >= limit
    sign = "≤" if at_most else "≥"
    print(f"GOAL\t{name}\t{value:.2f}{unit}\t{sign} {limit:g}{unit}\t{'met' if met else 'NOT met'}", flush=True)
    return met
