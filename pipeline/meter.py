"""Wall time and peak resident memory of one step of a run (this process; Neo4j is measured apart)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

_STATUS = Path("/proc/self/status")


def rss_mib() -> float:
    """Resident memory of this process now, MiB (0 where /proc is not available)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class StepMeter:
    """Context manager sampling RSS every ``interval`` seconds: ``seconds`` and ``peak_mib`` after exit.

    The process-wide ``ru_maxrss`` only grows, so it cannot give one step's peak; a sampler
    thread can (it misses spikes shorter than the interval, which bounds its error).
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.seconds = 0.0
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mib = max(self.peak_mib, rss_mib())

    def __enter__(self) -> StepMeter:
        self._started = time.perf_counter()
        self.peak_mib = rss_mib()
        self._thread = threading.Thread(target=self._sample, name="step-meter", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mib = max(self.peak_mib, rss_mib())
        self.seconds = time.perf_counter() - self._started


class PhaseClock:
    """A progress callback that passes each report on and times the phases it names ("assigning", "stage",
    "likely segments" …): a phase runs from its first report until the next phase's first report, the last one
    until the step ends. Work that reports nothing counts in the phase before it. Read by the benches, so that a
    step's time at scale breaks down without a profiler (docs/BENCHMARKS.md, "Scale")."""

    def __init__(self, progress: Callable[[str, int, int], None]) -> None:
        self.progress = progress
        self._began: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        self._began.setdefault(phase, time.perf_counter())
        self.progress(phase, done, total)

    def seconds(self, at_least: float = 0.05) -> dict[str, float]:
        """Each phase's seconds until now, in the order the phases began; phases under ``at_least`` left out."""
        if not self._began:
            return {}
        ends = [*list(self._began.values())[1:], time.perf_counter()]
        spans = ((phase, end - began) for (phase, began), end in zip(self._began.items(), ends, strict=True))
        return {phase: took for phase, took in spans if took >= at_least}
