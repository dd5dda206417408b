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
