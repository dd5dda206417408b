"""The run's step bookkeeping (pipeline/state.py) and step meter (pipeline/meter.py)."""

from __future__ import annotations

import mmap
import time

from pipeline.meter import StepMeter
from pipeline.state import PipelineState, fingerprint


def test_a_finished_step_is_skipped_only_for_the_same_inputs(workspace) -> None:
    state = PipelineState.load(workspace)
    key = fingerprint("features", [["abc", 10]])
    assert not state.is_done("features", key)
    state.mark_done("features", key)
    again = PipelineState.load(workspace)  # persisted
    assert again.is_done("features", key)
    assert not again.is_done("features", fingerprint("features", [["abc", 9]]))  # forget changed the store
    again.forget("features")
    assert not again.is_done("features", key)


def test_an_unreadable_state_file_means_every_step_runs_again(workspace) -> None:
    path = workspace.home / "pipeline" / "state.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert PipelineState.load(workspace).steps == {}


def test_fingerprint_is_stable_and_order_of_keys_free() -> None:
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint("x", 1) != fingerprint("x", 2)


def test_step_meter_sees_memory_allocated_inside_the_step() -> None:
    with StepMeter(interval=0.01) as before:
        pass
    with StepMeter(interval=0.01) as meter:
        block = mmap.mmap(-1, 200 * 1024 * 1024)  # fresh pages, never memory the process already holds
        for offset in range(0, len(block), 4096):
            block[offset] = 1  # touch every page so it is resident
        time.sleep(0.5)  # the sampler sees what is held for longer than its interval
        block.close()
    assert meter.peak_mib >= before.peak_mib + 150
    assert meter.seconds > 0
