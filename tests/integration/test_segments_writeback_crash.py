"""Killing the segment write-back (kill -9) while it stages leaves the previous run whole, killed after the switch
the new run whole; a reader of the product's queries never sees two runs mixed; running it again gives exactly
the new run, as a write that was never interrupted does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from graph.connection import QueryRunner
from segments.writeback import write_run
from shopgraph.workspace import Workspace
from tests.support.graph_dump import dump_graph
from tests.support.writeback_case import (
    RUN_A,
    RUN_B,
    TWO_RUNS,
    TwoRuns,
    assert_shows_exactly,
    clean_write,
    graph_view,
    without_switch_time,
    write_run_a_then_ready_b,
)

USERS = 2000
BATCH = 50
WRITE = """
import sys
from pathlib import Path
from shopgraph.workspace import Workspace
from graph.connection import connect
from segments.writeback import write_run

def say(phase, done, total):
    print(phase, done, flush=True)

with connect() as db:
    write_run(
        db, Workspace.from_env(), Path(sys.argv[1]), progress=say, batch_size=int(sys.argv[2]), writers=int(sys.argv[3])
    )
"""


@pytest.fixture
def runs(db: QueryRunner, workspace: Workspace) -> TwoRuns:
    """USERS customers with run A written; run B's folder ready."""
    return write_run_a_then_ready_b(db, workspace, USERS)


def _kill_write_during(run_dir: Path, phase: str, after_rows: int, writers: int = 1) -> None:
    """Run write_run (on ``writers`` sessions) in a subprocess and SIGKILL it once ``phase`` has done ``after_rows``
    rows."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITE, str(run_dir), str(BATCH), str(writers)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = False
    deadline = time.monotonic() + 180
    assert proc.stdout is not None
    for line in proc.stdout:
        name, done = line.rsplit(maxsplit=1)  # a phase may be words ("likely segments")
        if name == phase and int(done) >= after_rows:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        if time.monotonic() > deadline:
            break
    _, stderr = proc.communicate()
    assert killed, f"write_run ended before it could be killed: {stderr!r}"


def test_kill_9_in_the_stage_leaves_the_previous_run_then_rerun_equals_a_clean_write(
    db: QueryRunner, workspace: Workspace, runs: TwoRuns
) -> None:
    before = graph_view(db)

    _kill_write_during(runs.run_b, "stage", after_rows=USERS // 2, writers=2)  # the cursor lags: a guarded re-run
    staged = db.run_text(
        "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.state AS state, r.staged_rows AS rows", {"r": RUN_B}
    )
    assert staged and staged[0]["state"] == "staging" and 0 < staged[0]["rows"] < USERS  # killed half-way
    assert graph_view(db) == before
    assert_shows_exactly(db, runs.run_a, finished=False)  # B's staged IN_SEGMENT exist, to segments not current

    report = write_run(db, workspace, runs.run_b)
    assert report.resumed and report.previous_run_id == RUN_A
    assert_shows_exactly(db, runs.run_b)
    after_crash = without_switch_time(dump_graph(db))
    assert clean_write(db, workspace, runs) == after_crash  # the same two runs, never interrupted


def test_kill_9_during_the_user_copy_of_a_big_run_then_rerun_finishes(
    db: QueryRunner, workspace: Workspace, runs: TwoRuns
) -> None:
    """Killed after the switch: the pointer names run B, the User copy lags and says so."""
    _kill_write_during(runs.run_b, "copy", after_rows=USERS // 2)
    view = graph_view(db)  # through Segment.current and IN_SEGMENT: run B only, one segment per user
    assert view["runs"] == [RUN_B] and all(s["key"].startswith(RUN_B + "/") for s in view["current"])
    assert [link["id"] for link in view["links"]] == runs.users
    assert {link["key"].split("/")[0] for link in view["links"]} == {RUN_B}
    copied = db.run_text(
        "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.user_copy AS copy, r.users_copied AS n", {"r": RUN_B}
    )[0]
    assert copied["copy"] == "refreshing" and USERS // 2 <= copied["n"] < USERS
    assert {u["run"] for u in view["users"]} == {RUN_A, RUN_B}  # the User copy is what lags, and says so

    report = write_run(db, workspace, runs.run_b)
    assert report.resumed and report.switch == "through the run"
    assert_shows_exactly(db, runs.run_b)
    after_crash = without_switch_time(dump_graph(db))
    assert clean_write(db, workspace, runs) == after_crash  # the same two runs, never interrupted


class _Reader(threading.Thread):
    """Runs the product's queries in a loop while the write-back is killed and re-run; keeps every answer
    that mixes two runs or shows a run incomplete. User i is in segment (i * seed) % k of a run."""

    def __init__(self, db: QueryRunner, users: list[int]) -> None:
        super().__init__(daemon=True)
        self.db, self.users, self.stop = db, users, threading.Event()
        self.bad: list[str] = []
        self.seen: list[str] = []
        self.RUNS = TWO_RUNS  # run id -> (seed, segment ids)

    def expected(self, run_id: str, user_id: int) -> int:
        seed, ids = self.RUNS[run_id]
        return ids[(user_id * seed) % len(ids)]

    def saw(self, query: str, runs: set[str]) -> None:
        if len(runs) != 1:
            self.bad.append(f"{query}: answers fit runs {sorted(runs)}")
        elif not self.seen or self.seen[-1] != next(iter(runs)):
            self.seen.append(next(iter(runs)))

    def run(self) -> None:
        sample = self.users[::7]
        while not self.stop.is_set():
            rows = self.db.run("recommend/user_context", user_ids=sample)
            got = {r["user_id"]: r["segment_id"] for r in rows}
            self.saw("user_context", {run for run in self.RUNS if all(self.expected(run, u) == got[u] for u in sample)})
            sizes = {r["segment_id"]: r["customers"] for r in self.db.run("analyst/segment_sizes") if r["customers"]}
            whole = {run: dict(Counter(self.expected(run, u) for u in self.users)) for run in self.RUNS}
            self.saw("segment_sizes", {run for run, counts in whole.items() if counts == sizes})
            names = {r["segment_id"] for r in self.db.run("recommend/current_segments")}
            self.saw("current_segments", {run for run, (_, ids) in self.RUNS.items() if set(ids) == names})


def test_kill_9_mid_stage_and_mid_copy_a_reader_never_sees_two_runs_and_a_rerun_equals_a_clean_write(
    db: QueryRunner, workspace: Workspace, runs: TwoRuns
) -> None:
    """The 1 M case of bench/segment_writeback.py --kill-test, at a few thousand users in small batches."""
    reader = _Reader(db, runs.users)
    reader.start()
    try:
        _kill_write_during(runs.run_b, "stage", after_rows=USERS // 2, writers=2)  # the cursor lags: a guarded re-run
        _kill_write_during(runs.run_b, "copy", after_rows=USERS // 2)
        mixed_copy = {u["run"] for u in graph_view(db)["users"]}
        write_run(db, workspace, runs.run_b)
        time.sleep(0.5)  # a few more reads of the finished run
    finally:
        reader.stop.set()
        reader.join()
    assert mixed_copy == {RUN_A, RUN_B}  # the User copy was caught half-way: the product's queries were not
    assert reader.bad == []
    assert reader.seen == [RUN_A, RUN_B]
    assert_shows_exactly(db, runs.run_b)
    after_crash = without_switch_time(dump_graph(db))
    assert clean_write(db, workspace, runs) == after_crash  # the same two runs, never interrupted
