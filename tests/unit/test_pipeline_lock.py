"""One `shopgraph run` at a time per workspace: a second one stops at once, naming the first."""

from __future__ import annotations

import os

import pytest

from pipeline.run import run_lock, run_pipeline
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace


def test_a_second_run_on_the_workspace_stops_at_once_naming_the_first(workspace: Workspace, tmp_path) -> None:
    """Two runs at once (a scheduler starting next month's file early) both ran every step, racing on
    pipeline/state.json and the step files."""
    month = tmp_path / "2019-Oct.csv"
    month.write_text("not read: the lock comes first\n", encoding="utf-8")
    with run_lock(workspace):
        with pytest.raises(ShopgraphError, match=rf"another `shopgraph run` \(pid {os.getpid()}, started ") as busy:
            run_pipeline(workspace, db=None, paths=[month])
        assert str(busy.value).endswith(f"is working on {workspace.home}: wait for it")
        assert not workspace.store_dir.exists()  # nothing read, nothing written
    with run_lock(workspace):  # released when the first one ends
        pass
