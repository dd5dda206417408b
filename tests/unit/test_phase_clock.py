"""pipeline/meter.py's PhaseClock: each phase a step's progress names, timed until the next one begins."""

from __future__ import annotations

import time

from pipeline.meter import PhaseClock


def test_each_phase_runs_until_the_next_one_begins(monkeypatch) -> None:
    now = iter([0.0, 4.0, 5.0, 9.5, 12.0])
    monkeypatch.setattr(time, "perf_counter", lambda: next(now))
    seen = []
    clock = PhaseClock(lambda phase, done, total: seen.append((phase, done, total)))
    clock("assigning", 0, 10)  # 0.0
    clock("assigning", 10, 10)  # 4.0: the same phase goes on
    clock("stage", 0, 5)  # 5.0
    clock("likely segments", 0, 0)  # 9.5: a phase reported once still counts
    assert clock.seconds() == {"assigning": 5.0, "stage": 4.5, "likely segments": 2.5}  # ends at 12.0
    assert seen[1] == ("assigning", 10, 10)  # every report passed on


def test_a_step_that_names_no_phase_has_none() -> None:
    assert PhaseClock(lambda *_: None).seconds() == {}
