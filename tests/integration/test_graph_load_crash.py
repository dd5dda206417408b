"""Killing `shopgraph load` (kill -9) at any point and running it again gives the graph of one clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from cli import app
from graph.connection import QueryRunner
from graph.erasure import forget
from graph.load import load
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace
from tests.support.graph_dump import dump_graph
from tests.support.store_builder import store_from_csv

LOAD = [sys.executable, "-c", "from cli import app; app()", "load", "--batch-size", "100"]
STEPS = {"products": 2, "users": 3, "viewed": 4}


def _cursor(db: QueryRunner) -> tuple[int, int] | None:
    """Where the loading file is: its cursor, or in the relationship steps the cursor of the writer furthest on."""
    rows = db.run_text(
        "MATCH (f:IngestedFile {state: 'loading'}) OPTIONAL MATCH (c:LoadCursor {sha256: f.sha256}) "
        "RETURN f.step AS step, f.batch AS batch, max(c.step * 1000000 + c.batch) AS ahead"
    )
    if not rows:
        return None
    ahead = rows[0]["ahead"]
    return (rows[0]["step"], rows[0]["batch"]) if ahead is None else divmod(ahead, 1_000_000)


def _kill_load_during(db: QueryRunner, step: str) -> None:
    """Run `shopgraph load` in a subprocess and SIGKILL it once the cursor is inside ``step``."""
    proc = subprocess.Popen(LOAD, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed_at = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        cursor = _cursor(db)
        if cursor and (cursor[0] > STEPS[step] or (cursor[0] == STEPS[step] and cursor[1] >= 1)):
            proc.send_signal(signal.SIGKILL)
            killed_at = cursor
            break
        time.sleep(0.01)
    _, stderr = proc.communicate()
    assert killed_at is not None, f"load finished before it could be killed: {stderr!r}"
    assert _cursor(db) is not None  # the graph really is half-loaded


CLEAN_LOADS: dict[str, tuple[list, list]] = {}
"""The graph of one clean load of a sample file, made once: the kills in each step compare against the same one."""


def _clean_load(db: QueryRunner, workspace: Workspace, sample: str) -> tuple[list, list]:
    if sample not in CLEAN_LOADS:
        db.run("schema/reset")
        load(db, workspace)
        CLEAN_LOADS[sample] = dump_graph(db)
    return CLEAN_LOADS[sample]


@pytest.mark.parametrize("kill_in", list(STEPS))
def test_kill_9_then_rerun_equals_a_clean_load(db: QueryRunner, workspace: Workspace, shared_data, kill_in) -> None:
    sample = "rees46-2019-oct-first5019.csv"
    store_from_csv(workspace, shared_data / sample)  # the same store each time (the fixture's key)
    _kill_load_during(db, kill_in)

    load(db, workspace)  # the re-run finishes it
    assert dump_graph(db) == _clean_load(db, workspace, sample)


def test_kill_9_in_a_later_month_then_rerun_equals_a_clean_load(
    db: QueryRunner, workspace: Workspace, shared_data
) -> None:
    """A later month's pairs split into new (created) and known (added to): still exactly once."""
    store_from_csv(workspace, shared_data / "rees46-2019-oct-first5019.csv")
    load(db, workspace)
    store_from_csv(workspace, shared_data / "rees46-2019-nov-first683.csv")
    _kill_load_during(db, "viewed")

    load(db, workspace)
    after_crash = dump_graph(db)

    db.run("schema/reset")
    load(db, workspace)
    assert after_crash == dump_graph(db)


def test_resume_over_partitions_rewritten_by_forget_is_refused(
    db: QueryRunner, workspace: Workspace, shared_data
) -> None:
    store_from_csv(workspace, shared_data / "rees46-2019-oct-first5019.csv")
    _kill_load_during(db, "viewed")
    forget(workspace, [551377651], db)  # rewrites the partition the interrupted load was cutting batches from
    with pytest.raises(ShopgraphError, match="partly loaded before its events changed"):
        load(db, workspace)
    db.run("schema/reset")
    load(db, workspace)  # the way out the message gives
    assert _cursor(db) is None


def test_wrong_password_is_one_clear_line(db: QueryRunner, workspace: Workspace, monkeypatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "certainly-not-the-password")
    result = CliRunner().invoke(app, ["load"])
    assert result.exit_code == 1
    assert "refused user 'neo4j'" in result.output and "NEO4J_PASSWORD" in result.output
    assert "Traceback" not in result.output


def test_another_workspaces_server_on_the_port_is_named(
    db: QueryRunner, neo4j_settings, workspace: Workspace, monkeypatch
) -> None:
    """A second workspace whose own server is down meets the first one's on the same port: it used to say 'check
    NEO4J_USER / NEO4J_PASSWORD', which the user never set."""
    from graph.server import LocalServer
    from shopgraph.settings import Settings

    if LocalServer(neo4j_settings).pid() is None:
        pytest.skip("the tests' Neo4j is not a local server this suite started (NEO4J_URI given)")
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    result = CliRunner().invoke(app, ["load"], env={"COLUMNS": "400"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"it is another workspace's server ({neo4j_settings.workspace.neo4j_dir})" in result.output
    assert f"not this one's ({workspace.home})" in result.output
    with pytest.raises(ShopgraphError, match="already in use, maybe by another workspace's Neo4j") as refused:
        LocalServer(Settings.from_env()).start()
    assert f"({neo4j_settings.workspace.neo4j_dir}: `SHOPGRAPH_HOME={neo4j_settings.workspace.home} " in str(
        refused.value
    )
