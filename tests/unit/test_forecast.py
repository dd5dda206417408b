"""`run` forecasts the disk and memory it needs from its input files and refuses to start when they do not fit."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from events.synth.rees46 import generate_rees46
from pipeline.forecast import (
    RATIOS,
    TX_LOG_PER_EVENT,
    Ratios,
    _events_in,
    check,
    forecast,
    neo4j_bytes,
    tx_logs_peak,
)
from pipeline.run import RunHooks, RunOptions, run_pipeline
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace

PLENTY = 1 << 50


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_rees46(tmp_path_factory.mktemp("month"), "2019-10", 20_000, 20_000, seed=1).files[0]


def _rows(path: Path) -> int:
    with gzip.open(path, "rb") as handle:
        return sum(1 for _ in handle) - 1  # less the header


def test_the_forecast_grows_with_the_files_and_counts_neo4j_only_when_local(workspace: Workspace, month: Path) -> None:
    plan = forecast(workspace, [month], 3 << 30, True, free_disk=PLENTY, free_memory=PLENTY)
    assert plan.new_events == _rows(month)  # a file smaller than the sample is counted whole
    assert set(plan.disk) == {
        "event store",
        "Neo4j data",
        "Neo4j transaction logs until a checkpoint",
        "workspace files",
    }
    assert plan.disk["Neo4j transaction logs until a checkpoint"] == int(plan.new_events * TX_LOG_PER_EVENT)
    assert tx_logs_peak(60_000_000) == 8 << 30  # a REES46 month: twice graph.server.CHECKPOINT_VOLUME
    assert plan.memory["Neo4j heap + page cache"] == 3 << 30
    assert plan.disk["event store"] == int(plan.new_events * RATIOS.store_per_event)
    remote = forecast(workspace, [month], 3 << 30, False, free_disk=PLENTY, free_memory=PLENTY)
    assert "Neo4j data" not in remote.disk and "Neo4j heap + page cache" not in remote.memory
    assert "Neo4j transaction logs until a checkpoint" not in remote.disk
    check(plan)  # fits: no error
    assert "forecast for ≈" in plan.lines()[0] and "free" in plan.lines()[1] and "available" in plan.lines()[2]


def test_a_large_file_is_counted_from_its_first_bytes(month: Path, tmp_path: Path) -> None:
    rows = _rows(month)
    estimate = _events_in(month, RATIOS, sample_bytes=64 << 10)  # a sample of a fraction of the file
    assert month.stat().st_size > 64 << 10 and estimate == pytest.approx(rows, rel=0.05)
    plain = tmp_path / "2019-10.csv"
    with gzip.open(month, "rb") as source:
        plain.write_bytes(source.read())
    assert _events_in(plain, RATIOS, sample_bytes=64 << 10) == pytest.approx(rows, rel=0.05)
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(b"not a gzip file" * 1000)  # unreadable: the ratio, and ingest will say what is wrong
    assert _events_in(broken, RATIOS) == int(broken.stat().st_size / RATIOS.gz_bytes_per_event)


def test_shopgraphs_peak_follows_the_largest_new_file_and_the_history(workspace: Workspace, month: Path) -> None:
    ratios = Ratios(**{**RATIOS.__dict__, "peak_base": 0.0, "peak_per_file_event": 100.0, "peak_per_event": 10.0})
    copy = workspace.home / "2019-11.csv.gz"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(month.read_bytes())
    one = forecast(workspace, [month], 0, False, PLENTY, PLENTY, ratios)
    two = forecast(workspace, [month, copy], 0, False, PLENTY, PLENTY, ratios)
    events = one.new_events
    assert one.memory["shopgraph"] == 100 * events + 10 * events
    assert two.memory["shopgraph"] == 100 * events + 10 * 2 * events  # one file at a time; the history adds


def test_a_small_disk_or_memory_is_one_line_that_says_how_to_override(workspace: Workspace, month: Path) -> None:
    small_disk = forecast(workspace, [month], 1 << 30, True, free_disk=10_000, free_memory=PLENTY)
    with pytest.raises(ShopgraphError, match="not enough disk") as err:
        check(small_disk)
    assert "\n" not in str(err.value) and "--no-resource-check" in str(err.value)
    small_memory = forecast(workspace, [month], 1 << 30, True, free_disk=PLENTY, free_memory=1 << 30)
    with pytest.raises(ShopgraphError, match="not enough memory"):
        check(small_memory)


def test_files_already_in_the_store_need_nothing_new(workspace: Workspace, month: Path) -> None:
    from events.ingest import ingest_files

    (result,), _ = ingest_files(workspace, [month])
    plan = forecast(workspace, [month], 1 << 30, True, free_disk=0, free_memory=PLENTY)
    assert plan.new_events == 0 and plan.history_events == result.entry.rows_kept
    check(plan)  # nothing new to write: a full disk does not stop a re-run


def test_a_later_month_grows_neo4j_by_the_bolt_loads_ratio(workspace: Workspace, month: Path) -> None:
    from events.ingest import ingest_files

    first = forecast(workspace, [month], 1 << 30, True, free_disk=PLENTY, free_memory=PLENTY)
    assert first.disk["Neo4j data"] == int(first.new_events * RATIOS.neo4j_per_event + RATIOS.neo4j_base)
    ingest_files(workspace, [month])
    later_file = workspace.home / "2019-11.csv.gz"
    later_file.write_bytes(month.read_bytes())
    later = forecast(workspace, [later_file], 1 << 30, True, free_disk=PLENTY, free_memory=PLENTY)
    assert later.disk["Neo4j data"] == int(later.new_events * RATIOS.neo4j_per_event_later)
    assert later.disk["Neo4j data"] < first.disk["Neo4j data"]


def test_run_refuses_before_writing_anything_unless_told_not_to_check(
    workspace: Workspace, month: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.forecast

    monkeypatch.setattr(pipeline.forecast, "_free_disk", lambda home: 1_000)
    said: list[str] = []
    with pytest.raises(ShopgraphError, match="not enough disk"):
        run_pipeline(workspace, None, [month], RunOptions(), RunHooks(say=said.append))
    assert said and said[0].startswith("forecast for ≈")
    assert not workspace.store_dir.exists() and not (workspace.home / "pipeline").exists()  # nothing of the run

    class Started(Exception):
        pass

    def start(*args: object) -> None:
        raise Started

    monkeypatch.setattr("pipeline.run._Runner.__init__", start)
    with pytest.raises(Started):  # --no-resource-check: past the forecast, the run starts
        run_pipeline(workspace, None, [month], RunOptions(check_resources=False))


def test_neo4j_sizes_read_as_bytes() -> None:
    assert neo4j_bytes("4g") == 4 << 30 and neo4j_bytes("640m") == 640 << 20 and neo4j_bytes("1024") == 1024
