"""Running pieces of a test at the same time, as concurrent requests or workers would."""
from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(*targets: Callable[[], object], timeout: float = 60) -> None:
    """Start each target in its own thread, all at once, and wait up to `timeout` s for each."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
