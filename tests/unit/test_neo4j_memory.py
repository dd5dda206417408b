"""The local Neo4j's memory: sized from the machine and the store unless set, never beyond the budget."""

from __future__ import annotations

import pytest

from graph.memory import GIB, MIB, plan_memory
from graph.server import LocalServer
from shopgraph.errors import ShopgraphError
from shopgraph.settings import Settings


def _gib(size: str) -> float:
    return int(size[:-1]) * (GIB if size.endswith("g") else MIB) / GIB


def test_an_empty_store_on_24_gib_gets_the_smallest_page_cache_and_a_large_heap() -> None:
    plan = plan_memory("auto", "auto", 24 * GIB, 0)
    assert plan.pagecache == "512m" and plan.heap == "8g"
    assert "heap auto" in plan.reason and "24.0 GiB" in plan.reason


def test_a_big_store_gets_a_page_cache_that_holds_it_within_40_percent_of_the_machine() -> None:
    plan = plan_memory("auto", "auto", 24 * GIB, 5 * GIB)
    assert _gib(plan.pagecache) == pytest.approx(6.0, abs=0.01)  # the store and a fifth to grow
    assert _gib(plan.heap) + _gib(plan.pagecache) <= 9.6
    huge = plan_memory("auto", "auto", 24 * GIB, 30 * GIB)  # cannot hold it: the budget, 30 % for the heap
    assert _gib(huge.heap) == pytest.approx(2.88, abs=0.01) and _gib(huge.pagecache) == pytest.approx(6.72, abs=0.01)
    assert _gib(huge.heap) + _gib(huge.pagecache) <= 9.6  # with shopgraph's ≤ 6 GiB: within 16 GiB of 24


def test_settings_win_over_auto_and_a_small_machine_keeps_the_floors() -> None:
    assert plan_memory("2g", "auto", 24 * GIB, 0).heap == "2g"
    assert plan_memory("auto", "3g", 24 * GIB, 0) == plan_memory("auto", "3g", 24 * GIB, 0)
    assert plan_memory("auto", "3g", 24 * GIB, 0).pagecache == "3g"
    small = plan_memory("auto", "auto", 4 * GIB, 10 * GIB)
    assert small.heap == "1g" and small.pagecache == "512m"


def test_a_size_neo4j_would_not_read_is_one_clear_error() -> None:
    with pytest.raises(ShopgraphError, match="not a memory size"):
        plan_memory("lots", "auto", 24 * GIB, 0)


def test_the_config_gets_the_plan(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    monkeypatch.delenv("SHOPGRAPH_NEO4J_HEAP", raising=False)
    monkeypatch.setenv("SHOPGRAPH_NEO4J_PAGECACHE", "640m")
    server = LocalServer(Settings.from_env())
    memory = server.write_config()
    conf = (server.conf_dir / "neo4j.conf").read_text()
    assert f"server.memory.heap.max_size={memory.heap}" in conf and memory.heap != "auto"
    assert "server.memory.pagecache.size=640m" in conf
    assert server.configured_memory() == {"heap": memory.heap, "pagecache": "640m"}  # what bench/scale.py records


def test_no_config_yet_is_no_memory(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    assert LocalServer(Settings.from_env()).configured_memory() == {}


def test_the_workspace_sizes_count_every_file_and_the_graph_only_when_it_is_here(tmp_path) -> None:
    from shopgraph.workspace import Workspace

    workspace = Workspace(tmp_path)
    (workspace.events_dir / "month=2019-10").mkdir(parents=True)
    (workspace.events_dir / "month=2019-10" / "part.parquet").write_bytes(b"x" * 1000)
    workspace.features_dir.mkdir()
    (workspace.features_dir / "user_features.parquet").write_bytes(b"x" * 10)
    assert workspace.sizes() == {"event store": 1000, "features, vectors, runs, reports": 10}
    (workspace.neo4j_dir / "data" / "databases").mkdir(parents=True)
    (workspace.neo4j_dir / "data" / "databases" / "store").write_bytes(b"x" * 7)
    assert workspace.sizes()["Neo4j data"] == 7
