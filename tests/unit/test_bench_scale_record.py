"""bench/scale.py's month record holds the largest size of Neo4j's transaction logs, read by bench/run_child.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _module(name: str):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "bench"))


def test_the_transaction_logs_are_the_files_under_neo4j_transactions(tmp_path: Path) -> None:
    run_child = _module("run_child")
    assert run_child.tx_log_bytes(tmp_path) == 0  # no Neo4j yet
    logs = tmp_path / "neo4j" / "data" / "transactions" / "neo4j"
    logs.mkdir(parents=True)
    (logs / "neostore.transaction.db.0").write_bytes(b"x" * 1000)
    (logs / "checkpoint.0").write_bytes(b"x" * 24)
    (tmp_path / "neo4j" / "data" / "databases").mkdir()
    (tmp_path / "neo4j" / "data" / "databases" / "store").write_bytes(b"x" * 5000)  # the store is not counted
    assert run_child.tx_log_bytes(tmp_path) == 1024


def test_a_month_detail_holds_the_largest_transaction_logs_of_its_steps() -> None:
    scale = _module("scale")
    result = {
        "cpu_seconds": 10.0,
        "decision": "assigned",
        "steps": [["load", "ran", "", 5.0, 0], ["features", "ran", "", 5.0, 0]],
        "cpu": {"load": 4.0, "features": 6.0},
        "peaks": {
            "load": {"shopgraph_gib": 1.0, "neo4j_gib": 2.0, "tx_logs_gib": 3.5},
            "features": {"shopgraph_gib": 1.5, "neo4j_gib": 2.0},  # a record from before the logs were sampled
        },
    }
    detail = scale.month_detail("2019-12", result, {"event store": 1 << 30}, 30.0)
    assert detail["tx_logs_peak_gib"] == 3.5
    assert detail["steps"]["load"]["peak_gib_tx_logs"] == 3.5 and detail["steps"]["features"]["peak_gib_tx_logs"] == 0


def test_the_steps_a_month_finished_are_handed_on_as_each_one_ends() -> None:
    """A month of the REES46-sized bench runs for hours: bench/scale.py saves each step as it ends."""
    import io
    import json

    run_child = _module("run_child")
    marks = [["ingest", "skipped", 2.04, 1.0, ""], ["segment", "ran", 808.0, 500.5, "assigned 5 new"]]
    child = type("Child", (), {})()
    child.stdout = io.StringIO(
        "".join(run_child.STEP_MARK + json.dumps(m) + "\n" for m in marks) + '{"seconds": 812}\n'
    )
    seen: list[tuple[dict, str]] = []
    out = run_child._read_steps(child, lambda finished, decision: seen.append((finished, decision)))
    assert out == ['{"seconds": 812}\n']
    assert [list(f) for f, _ in seen] == [["ingest"], ["ingest", "segment"]]
    assert seen[-1] == (
        {
            "ingest": {"status": "skipped", "seconds": 2.0, "cpu_seconds": 1.0},
            "segment": {"status": "ran", "seconds": 808.0, "cpu_seconds": 500.5},
        },
        "assigned 5 new",
    )


def test_a_resumed_month_keeps_the_earlier_runs_seconds_for_the_steps_it_skipped(tmp_path: Path) -> None:
    import json

    projection = _module("scale_projection")

    def record(name: str, steps: dict, statuses: dict, **detail) -> Path:
        path = tmp_path / name
        month = {"month": "2020-01", "events": 60, "seconds": sum(steps.values()), "steps": steps}
        path.write_text(json.dumps({"months": [month], "details": [{"steps": statuses, **detail}]}))
        return path

    first = record("a.json", {"load": 100.0, "vectors": 500.0}, {}, lower_bounds=["vectors"], decision="stopped")
    ran = {"status": "ran"}
    resumed = record(
        "b.json",
        {"load": 1.0, "vectors": 40.0, "segment": 300.0},
        {"load": {"status": "skipped"}, "vectors": ran, "segment": ran},
        decision="assigned 5 new",
        index_wait_seconds=20.0,
    )
    (month,) = projection.measured_months([first, resumed])
    assert month["steps"] == {"load": 100.0, "vectors": 60.0, "segment": 300.0}  # the index wait in vectors
    assert month["seconds"] == 460.0 and month["lower_bounds"] == [] and month["assigned"]
    later = record("c.json", {"vectors": 40.0}, {"vectors": ran}, decision="assigned", index_online_after_seconds=900.0)
    (month,) = projection.measured_months([later])
    assert month["steps"] == {"vectors": 40.0}  # `run` no longer waits: the population is not the month's


def test_a_month_stopped_midway_gives_the_steps_it_finished(tmp_path: Path) -> None:
    import json

    projection = _module("scale_projection")
    month = {"month": "2020-01", "events": 60, "seconds": 600.0, "steps": {"load": 100.0, "vectors": 500.0}}
    first = tmp_path / "a.json"
    first.write_text(json.dumps({"months": [month], "details": [{"lower_bounds": ["vectors"], "decision": "x"}]}))
    stopped = tmp_path / "b.json"
    finished = {
        "load": {"status": "skipped", "seconds": 1.0},
        "segment": {"status": "ran", "seconds": 300.0},
        "vectors": {"status": "ran", "seconds": 40.0},
    }
    progress = {"month": "2020-01", "steps_finished": finished, "decision": "assigned 5 new"}
    stopped.write_text(json.dumps({"months": [], "details": [], "in_progress": progress}))
    (composed,) = projection.measured_months([first, stopped])
    assert composed["steps"] == {"load": 100.0, "vectors": 40.0, "segment": 300.0}
    assert composed["events"] == 60 and composed["lower_bounds"] == [] and composed["assigned"]


def test_the_first_month_in_progress_has_no_ratios_yet() -> None:
    """The record saved after each step of the first month holds no finished month: no per-event figures, no error."""
    scale = _module("scale")
    assert scale.ratios({"months": [], "details": []}) == {}


def test_the_servers_cpu_of_each_step_counts_across_a_restart() -> None:
    """Neo4j's CPU per step from the sampled counter: the rise inside each step, from the last sample before it;
    a server restarted inside a step (a bulk import) counts from its new start, never negative."""
    run_child = _module("run_child")
    # (time, shopgraph bytes, Neo4j bytes, log bytes, Neo4j CPU seconds so far)
    samples = [(t, 0, 0, 0, cpu) for t, cpu in [(0.5, 10.0), (1.5, 14.0), (2.5, 20.0), (3.5, 2.0), (4.5, 5.0)]]
    by_step = run_child.neo4j_cpu_by_step(samples, {"ingest": 1.0, "load": 2.0}, 5.0)
    assert by_step == {"ingest": 4.0, "load": 6.0 + 2.0 + 3.0}


def test_the_memory_goal_reads_both_processes_at_the_same_instant_when_sampled() -> None:
    """shopgraph's peak in one phase and Neo4j's in another do not hold the machine at once: the goal reads the
    sum sampled at one instant, and still prints the two peaks summed."""
    scale = _module("scale")
    peaks = {
        "segment": {"shopgraph_gib": 7.0, "neo4j_gib": 9.5, "together_gib": 15.2, "neo4j_file_gib": 0.1},
        "vectors": {"shopgraph_gib": 3.9, "neo4j_gib": 10.6, "together_gib": 14.4, "neo4j_file_gib": 1.1},
    }
    result = {"seconds": 60.0, "steps": [["segment", "ran", "", 30.0, 0], ["vectors", "ran", "", 30.0, 0]]}
    entry = scale.month_entry("2020-01", {"events": 1, "customers": 1}, result | {"peaks": peaks}, {"store": 0})
    assert (entry["peak_gib_shopgraph"], entry["peak_gib_neo4j"], entry["peak_gib_together"]) == (7.0, 10.6, 15.2)
    detail = scale.month_detail(
        "2020-01", result | {"peaks": peaks, "cpu": {}, "cpu_seconds": 1.0, "decision": ""}, {"store": 0}, 30.0
    )
    assert detail["steps"]["vectors"]["peak_gib_neo4j_file"] == 1.1
    record = {"months": [entry], "reference": {"duckdb_scan_seconds": {"2020-01": 1.0}}}
    row = next(r for r in scale.goals(record, 1.0) if r[0].startswith("peak memory"))
    assert row[3] == "met" and "15.20 GiB at the same instant" in row[2] and "17.60" in row[2]
    del entry["peak_gib_together"]  # a record from before: the two peaks summed, as before
    row = next(r for r in scale.goals(record, 1.0) if r[0].startswith("peak memory"))
    assert row[3] == "**not met**" and "sum of the two peaks" in row[2]


def test_a_month_detail_says_what_the_current_segmentation_chose(tmp_path: Path) -> None:
    import json

    from segments import runs
    from shopgraph.workspace import Workspace

    scale = _module("scale")
    workspace = Workspace(tmp_path)
    assert scale.segmentation_summary(workspace) == {}  # no run yet
    run_id = "20261208T000000Z-abcdef"
    staging = runs.staging_dir(workspace, run_id)
    run = {"run_id": run_id, "method": "leiden", "k": 7, "threshold": 21, "classifier": {"kept": "knn", "split": {}}}
    (staging / "run.json").write_text(json.dumps(run | {"users_by": {"threshold": 9, "cluster": 3}}))
    runs.publish(workspace, staging, run_id)
    assert scale.segmentation_summary(workspace) == {
        "run_id": run_id,
        "method": "leiden",
        "k": 7,
        "threshold": 21,
        "classifier": "knn",
        "users_by": {"threshold": 9, "cluster": 3},
    }
