"""segments/writeback.py on the real server: the graph contract, run after run, failures and GDPR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph.connection import QueryRunner
from graph.schema import apply_schema
from segments.writeback import WRITTEN, write_run
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace
from tests.support.writeback_case import (
    NAMES,
    RUN_A,
    RUN_B,
    RUN_C,
    assert_shows_exactly,
    graph_view,
    make_graph,
    make_run,
)


def props(db: QueryRunner, query: str, **params: Any) -> list[dict[str, Any]]:
    return db.run_text(query, params)


def test_first_run_writes_the_graph_contract(db: QueryRunner, workspace: Workspace) -> None:
    make_graph(db, 30)
    # user 31 is not in the graph (forgotten, say); user 30 has events but no assignment
    run_a = make_run(workspace.home, RUN_A, [*range(1, 30), 31], seed=1)
    report = write_run(db, workspace, run_a)

    assert (report.users, report.matched, report.not_in_graph, report.missing_from_run) == (30, 29, 1, 1)
    assert report.previous_run_id is None and report.segments == 3 and not report.resumed
    assert_shows_exactly(db, run_a)
    user = props(
        db,
        "MATCH (u:User {user_id: 5}) RETURN u.segment AS s, valueType(u.segmented_at) AS at_type, "
        "valueType(u.segment_id) AS id_type, valueType(u.segment_low_confidence) AS low_type, "
        "toString(u.segmented_at) AS at",
    )[0]
    assert user == {
        "s": "Loyal big spenders",
        "at_type": "ZONED DATETIME NOT NULL",
        "id_type": "INTEGER NOT NULL",
        "low_type": "BOOLEAN NOT NULL",
        "at": "2026-12-01T10:00:00Z",
    }
    missing = props(
        db,
        "MATCH (u:User {user_id: 30}) RETURN u.segment AS s, u.segment_fr AS fr, "
        "u.segment_confidence AS c, u.segment_low_confidence AS low",
    )[0]
    assert missing == {"s": "Not enough activity yet", "fr": "Activité insuffisante", "c": 0.0, "low": True}

    segment = props(
        db,
        "MATCH (r:SegmentationRun {run_id: $r})-[:HAS_SEGMENT]->(s:Segment {segment_key: $k}) RETURN s AS s",
        r=RUN_A,
        k=f"{RUN_A}/2",
    )[0]["s"]
    assert segment["segment_id"] == 2 and segment["run_id"] == RUN_A and segment["current"] is True
    assert (segment["name"], segment["name_fr"]) == NAMES[2]
    assert segment["actions_fr"] == ["lettre", "promo"] and segment["traits"] == ["trait 2"]
    assert segment["size"] == 10 and segment["revenue_share"] == pytest.approx(0.2)
    assert json.loads(segment["profile_json"])["brands"][0]["brand"] == "xiaomi"
    # Browser's question from the issue
    assert props(db, "MATCH (u:User {segment: $name}) RETURN count(u) AS n", name="Loyal big spenders")[0]["n"] == 10

    prefers = props(
        db,
        "MATCH (s:Segment {segment_key: $k})-[p:PREFERS]->(x) "
        "RETURN labels(x)[0] AS label, coalesce(x.name, toString(x.category_id)) AS target, "
        "p.lift AS lift, p.share AS share ORDER BY label",
        k=f"{RUN_A}/2",
    )
    assert prefers == [
        {"label": "Brand", "target": "xiaomi", "lift": 4.0, "share": 0.3},
        {"label": "Category", "target": "103", "lift": 3.5, "share": 0.2},
    ]
    run = props(db, "MATCH (r:SegmentationRun {run_id: $r}) RETURN r AS r", r=RUN_A)[0]["r"]
    assert (run["k"], run["method"], run["threshold"], run["seed"], run["code_version"]) == (2, "kmeans", 3, 1, "test")
    assert json.loads(run["data_window"]) == {"from": "2019-10-01", "to": "2019-11-30"}
    assert json.loads(run["scores_json"])["stability_ari"] == 0.9 and run["current"] is True
    assert props(db, "MATCH ()-[f:FOLLOWS]->() RETURN count(f) AS n")[0]["n"] == 0


def test_second_run_replaces_the_first_whole_and_keeps_it_as_history(db: QueryRunner, workspace: Workspace) -> None:
    make_graph(db, 40)
    users = list(range(1, 41))
    write_run(db, workspace, make_run(workspace.home, RUN_A, users, seed=1))
    run_b = make_run(workspace.home, RUN_B, users, seed=2, previous=RUN_A, segment_ids=(0, 1, 2, 3))
    phases: list[str] = []
    retired: list[tuple[int, int]] = []

    def progress(phase: str, done: int, total: int) -> None:
        phases.append(phase)
        if phase == "retire":
            retired.append((done, total))

    report = write_run(db, workspace, run_b, progress=progress)

    assert report.previous_run_id == RUN_A and report.matched == 40 and report.missing_from_run == 0
    assert {"stage", "switch", "retire"} <= set(phases)
    assert retired == [(0, 40), (40, 40)]  # A's 40 memberships, left by the copy, deleted by the retire
    assert_shows_exactly(db, run_b)
    history = props(
        db,
        "MATCH (r:SegmentationRun {run_id: $r})-[:HAS_SEGMENT]->(s) "
        "RETURN r.state AS state, collect(s.current) AS current, "
        "count{ (s)<-[:IN_SEGMENT]-() } AS members",
        r=RUN_A,
    )[0]
    assert history == {"state": "retired", "current": [False, False, False], "members": 0}
    assert props(db, "MATCH (b:SegmentationRun)-[:FOLLOWS]->(a) RETURN b.run_id AS b, a.run_id AS a") == [
        {"b": RUN_B, "a": RUN_A}
    ]
    became = props(
        db,
        "MATCH (a:Segment)-[x:BECAME]->(b:Segment) "
        "RETURN a.segment_key AS a, b.segment_key AS b, x.users AS users ORDER BY a, b",
    )
    assert became == [
        {"a": f"{RUN_A}/0", "b": f"{RUN_B}/0", "users": 5},
        {"a": f"{RUN_A}/1", "b": f"{RUN_B}/2", "users": 4},
        {"a": f"{RUN_A}/2", "b": f"{RUN_B}/1", "users": 3},
    ]  # zero-user pairs are not links

    again = write_run(db, workspace, run_b)  # the current run once more: nothing changes
    assert again.already_current and again.matched == 40
    assert_shows_exactly(db, run_b)


def test_a_write_that_finds_the_run_current_reads_the_node_ids_only_to_write(
    db: QueryRunner, workspace: Workspace, monkeypatch
) -> None:
    """Writing the current run again sends nothing, so it reads no customer's node id (7 s at 14.1 M customers);
    a likely segment left to clear still reads them, once."""
    from graph.node_ids import NodeIds

    make_graph(db, 20)
    run_a = make_run(workspace.home, RUN_A, list(range(1, 21)), seed=1)
    write_run(db, workspace, run_a)
    reads: list[str] = []
    read = NodeIds.read

    def counted(runner, kind="user", *args, **kwargs):
        reads.append(kind)
        return read(runner, kind, *args, **kwargs)

    monkeypatch.setattr(NodeIds, "read", counted)
    assert write_run(db, workspace, run_a).already_current and reads == []
    db.run_text("MATCH (u:User {user_id: 3}) SET u.likely_segment_id = 1, u.likely_segment = 'stale'")
    again = write_run(db, workspace, run_a)  # the run gives no likely segment: user 3's is cleared
    assert again.already_current and again.matched == 20 and reads == ["user"]
    assert props(db, "MATCH (u:User) WHERE u.likely_segment_id IS NOT NULL RETURN u.user_id AS u") == []


def test_failure_inside_the_switch_leaves_the_previous_run_and_a_rerun_finishes(
    db: QueryRunner, workspace: Workspace
) -> None:
    make_graph(db, 60)
    users = list(range(1, 61))
    run_a = make_run(workspace.home, RUN_A, users, seed=1)
    write_run(db, workspace, run_a)
    before = graph_view(db)
    run_b = make_run(workspace.home, RUN_B, users, seed=2, previous=RUN_A, segment_ids=(0, 1, 2, 3))

    def fail_in_switch(phase: str, done: int, total: int) -> None:
        if phase == "switch" and done >= 1:  # the switch is sent, not committed
            raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError):
        write_run(db, workspace, run_b, progress=fail_in_switch, batch_size=10)
    assert graph_view(db) == before  # staged B is invisible: no user, link or flag changed
    assert props(db, "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.state AS s, r.staged_rows AS n", r=RUN_B) == [
        {"s": "staging", "n": 60}
    ]

    report = write_run(db, workspace, run_b, batch_size=10)
    assert report.resumed and report.previous_run_id == RUN_A
    assert_shows_exactly(db, run_b)


def _stage_stopped(db: QueryRunner, workspace: Workspace, run_id: str, seed: int, after_rows: int) -> Path:
    """30 users with run A written, then ``run_id``'s write stopped in its stage once ``after_rows`` rows are
    staged (batches of 5, one writer: the cursor exact); returns that run's folder."""
    make_graph(db, 30)
    users = list(range(1, 31))
    write_run(db, workspace, make_run(workspace.home, RUN_A, users, seed=1))

    def fail_in_stage(phase: str, done: int, total: int) -> None:
        if phase == "stage" and done >= after_rows:
            raise RuntimeError("killed")

    run_dir = make_run(workspace.home, run_id, users, seed=seed, previous=RUN_A)
    with pytest.raises(RuntimeError):
        write_run(db, workspace, run_dir, progress=fail_in_stage, batch_size=5, writers=1)
    return run_dir


def test_interrupted_write_of_another_run_is_removed_before_the_next(db: QueryRunner, workspace: Workspace) -> None:
    users = list(range(1, 31))
    _stage_stopped(db, workspace, RUN_C, seed=3, after_rows=10)
    assert props(db, "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.staged_rows AS n", r=RUN_C) == [{"n": 10}]

    report = write_run(db, workspace, make_run(workspace.home, RUN_B, users, seed=2, previous=RUN_A))
    assert report.cleaned_run_ids == (RUN_C,)
    assert (
        props(db, "MATCH (n) WHERE n.run_id = $r OR n.segment_key STARTS WITH $r RETURN count(n) AS n", r=RUN_C)[0]["n"]
        == 0
    )
    assert_shows_exactly(db, make_run(workspace.home / "copy", RUN_B, users, seed=2, previous=RUN_A))


def test_a_stage_resumed_behind_its_cursor_stages_no_user_twice(db: QueryRunner, workspace: Workspace) -> None:
    """Two writers' cursor lags the batches committed: a re-run sends them again and must skip their users."""
    run_b = _stage_stopped(db, workspace, RUN_B, seed=2, after_rows=20)
    db.run_text("MATCH (r:SegmentationRun {run_id: $r}) SET r.staged_rows = 10", {"r": RUN_B})  # 20 staged
    report = write_run(db, workspace, run_b, batch_size=5, writers=2)
    assert report.resumed
    assert_shows_exactly(db, run_b)
    query = "MATCH (u:User)-[m:IN_SEGMENT]->(:Segment {run_id: $r}) RETURN count(m) AS n, count(DISTINCT u) AS users"
    assert props(db, query, r=RUN_B) == [{"n": 30, "users": 30}]


def test_bad_run_folder_is_one_clear_error_and_writes_nothing(db: QueryRunner, workspace: Workspace) -> None:
    make_graph(db, 10)
    run_dir = make_run(workspace.home, RUN_A, list(range(1, 11)), seed=1)
    table = pq.read_table(run_dir / "assignments.parquet")
    pq.write_table(pa.concat_tables([table, table.slice(0, 2)]), run_dir / "assignments.parquet")
    with pytest.raises(ShopgraphError, match="assigns 2 users twice"):
        write_run(db, workspace, run_dir)
    assert props(db, "MATCH (n) WHERE n:Segment OR n:SegmentationRun RETURN count(n) AS n")[0]["n"] == 0


def test_schema_has_the_segment_key_and_the_analysts_indexes(db: QueryRunner) -> None:
    db.run_text("DROP CONSTRAINT segment_key_unique IF EXISTS")
    db.run_text("CREATE CONSTRAINT segment_id_unique IF NOT EXISTS FOR (s:Segment) REQUIRE s.segment_id IS UNIQUE")
    apply_schema(db)
    apply_schema(db)  # idempotent
    constraints = {r["name"] for r in db.run_text("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert "segment_key_unique" in constraints and "segment_id_unique" not in constraints
    indexes = {
        (r["label"], r["prop"])
        for r in db.run_text(
            "SHOW INDEXES YIELD labelsOrTypes, properties, type WHERE type = 'RANGE' "
            "RETURN labelsOrTypes[0] AS label, properties[0] AS prop"
        )
    }
    assert {
        ("User", "segment"),
        ("Segment", "current"),
        ("SegmentationRun", "current"),
    } <= indexes
    composite = db.run_text("SHOW INDEXES YIELD name, properties WHERE name = 'user_segment_spent' RETURN properties")
    assert composite == [{"properties": ["segment_run", "segment_id", "total_spent"]}]  # segment_customers' order
    plan = db.run_text("EXPLAIN MATCH (u:User {segment: 'x'}) RETURN count(u)")
    assert plan == []  # EXPLAIN runs; the index use is checked below through the plan text
    with db.driver.session() as session:
        summary = session.run("EXPLAIN MATCH (u:User {segment: $s}) RETURN count(u)", s="x").consume()
    assert "NodeIndexSeek" in str(summary.plan)


def test_a_forgotten_user_leaves_no_segment_link_and_no_segments_row(
    db: QueryRunner, workspace: Workspace, shared_data
) -> None:
    from events.ingest import ingest_files
    from graph.erasure import forget, stored_ids
    from graph.load import load

    ingest_files(workspace, [shared_data / "rees46-2019-oct-first5019.csv"])
    load(db, workspace)
    user_ids = sorted(r["id"] for r in db.run_text("MATCH (u:User) RETURN u.user_id AS id"))
    run_dir = make_run(workspace.home, RUN_A, user_ids, seed=1)
    write_run(db, workspace, run_dir)
    raw = 551377651  # a user of the October sample
    (stored,), _ = stored_ids(workspace, [raw])
    linked = "MATCH (:User {user_id: $u})-[m:IN_SEGMENT]->() RETURN count(m) AS n"
    assert db.run_text(linked, {"u": stored})[0]["n"] == 1
    size = db.run_text("MATCH (s:Segment {segment_key: $k}) RETURN s.size AS n", {"k": f"{RUN_A}/{stored % 3}"})[0][
        "n"
    ]  # make_run, seed 1: segment = id % 3
    assert (run_dir / WRITTEN).is_file()  # the copy of what the graph holds, for the next refresh

    report = forget(workspace, [raw], db)

    assert report.graph_users_deleted == 1 and report.rows_removed.get("segments") == 1
    assert not (run_dir / WRITTEN).exists()  # held the user: removed (the next refresh sends every row)
    assert db.run_text("MATCH (u:User {user_id: $u}) RETURN count(u) AS n", {"u": stored})[0]["n"] == 0
    assert db.run_text("MATCH ()-[m:IN_SEGMENT]->() RETURN count(m) AS n")[0]["n"] == len(user_ids) - 1
    left = pq.read_table(run_dir / "assignments.parquet")
    assert stored not in left.column("user_id").to_pylist() and left.num_rows == len(user_ids) - 1
    # Segment.size stays as of the run (docs/ARCHITECTURE.md): the profile describes the run, not today
    assert (
        db.run_text("MATCH (s:Segment {segment_key: $k}) RETURN s.size AS n", {"k": f"{RUN_A}/{stored % 3}"})[0]["n"]
        == size
    )


def test_a_write_stopped_in_the_user_copy_shows_the_new_run_through_the_pointer_then_finishes(
    db: QueryRunner, workspace: Workspace
) -> None:
    make_graph(db, 41)  # user 41 has events but no assignment in either run
    users = list(range(1, 41))
    run_a = make_run(workspace.home, RUN_A, users, seed=1)
    write_run(db, workspace, run_a)
    run_b = make_run(workspace.home, RUN_B, users, seed=2, previous=RUN_A, segment_ids=(0, 1, 2, 3))

    def fail_in_copy(phase: str, done: int, total: int) -> None:
        if phase == "copy" and done >= 20:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_run(db, workspace, run_b, progress=fail_in_copy, batch_size=10, writers=1)  # the cursor exact
    # the run switched as a whole: every query through Segment.current / IN_SEGMENT sees B only …
    view = graph_view(db)
    assert view["runs"] == [RUN_B] and all(s["key"].startswith(RUN_B) for s in view["current"])
    assert [link["id"] for link in view["links"]] == [*users, 41]
    assert {link["key"].split("/")[0] for link in view["links"]} == {RUN_B}
    # … while the User copy is half refreshed, each user saying which run its copy is from
    copied = [u["id"] for u in view["users"] if u["run"] == RUN_B]
    assert copied == users[:20] and {u["run"] for u in view["users"]} == {RUN_A, RUN_B}
    assert props(
        db, "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.user_copy AS copy, r.users_copied AS n", r=RUN_B
    ) == [{"copy": "refreshing", "n": 20}]

    report = write_run(db, workspace, run_b, batch_size=10)  # finishes the copy, then retires A
    assert report.resumed and report.switch == "through the run" and report.missing_from_run == 1
    assert_shows_exactly(db, run_b)
    assert props(db, "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.user_copy AS copy", r=RUN_B) == [{"copy": "done"}]


def test_assignments_rewritten_by_assign_are_applied_to_the_current_run_in_place(
    db: QueryRunner, workspace: Workspace
) -> None:
    make_graph(db, 30)  # user 30 arrives after the run: no assignment at first
    run_a = make_run(workspace.home, RUN_A, list(range(1, 30)), seed=1)
    write_run(db, workspace, run_a)
    # `shopgraph assign`: user 30 labelled, users 1 and 2 changed segment; run.json records the update
    table = pq.read_table(run_a / "assignments.parquet").to_pylist()
    for row in table[:2]:
        row["segment_id"] = 2 if row["segment_id"] != 2 else 1
        row["segment"] = NAMES[row["segment_id"]][0]
    table.append(
        {
            "user_id": 30,
            "segment_id": 1,
            "segment": NAMES[1][0],
            "confidence": 0.9,
            "low_confidence": False,
            "assigned_by": "classifier",
        }
    )
    pq.write_table(pa.Table.from_pylist(table), run_a / "assignments.parquet")
    record = json.loads((run_a / "run.json").read_text())
    record["assign_updates"] = [{"at": "2026-12-05T09:00:00+00:00", "new_users": 1, "changed_users": 2}]
    (run_a / "run.json").write_text(json.dumps(record))

    report = write_run(db, workspace, run_a)

    assert report.switch == "in place" and report.missing_from_run == 0 and report.matched == 30
    assert report.refreshed == 3  # only the rows that differ from the graph's copy were sent
    assert_shows_exactly(db, run_a)
    stamps = {
        r["id"]: r["at"] for r in db.run_text("MATCH (u:User) RETURN u.user_id AS id, toString(u.segmented_at) AS at")
    }
    assert stamps[1] == stamps[2] == stamps[30] == "2026-12-05T09:00:00Z"
    assert stamps[3] == "2026-12-01T10:00:00Z"  # unchanged users keep when they were segmented
    assert write_run(db, workspace, run_a).already_current  # nothing new: nothing written


def test_a_refresh_stages_a_customer_loaded_since_and_only_then_reads_every_user(
    db: QueryRunner, workspace: Workspace, monkeypatch
) -> None:
    """The statements that stage users without a row read every User: a refresh runs them only when the graph holds
    a customer the run's assignments lack (one loaded after the run), and that customer gets the run's segment 0."""
    make_graph(db, 30)
    run_a = make_run(workspace.home, RUN_A, list(range(1, 31)), seed=1)
    write_run(db, workspace, run_a)
    rows = pq.read_table(run_a / "assignments.parquet").to_pylist()
    rows[0]["segment_id"] = 2 if rows[0]["segment_id"] != 2 else 1
    rows[0]["segment"] = NAMES[rows[0]["segment_id"]][0]
    _assign(run_a, rows, "2026-12-05T09:00:00+00:00")
    ran: list[str] = []
    real_run = QueryRunner.run
    monkeypatch.setattr(QueryRunner, "run", lambda self, name, /, **p: ran.append(name) or real_run(self, name, **p))

    assert write_run(db, workspace, run_a).refreshed == 1
    assert "segments/stage_missing" not in ran  # every customer of the graph has a row: nothing to stage
    assert_shows_exactly(db, run_a)

    db.run_text("CREATE (:User {user_id: 31, n_events: 2})")  # loaded after the run
    rows[1]["segment_id"] = 2 if rows[1]["segment_id"] != 2 else 1
    rows[1]["segment"] = NAMES[rows[1]["segment_id"]][0]
    _assign(run_a, rows, "2026-12-05T10:00:00+00:00")
    assert write_run(db, workspace, run_a).refreshed == 1
    assert "segments/stage_missing" in ran
    assert_shows_exactly(db, run_a)  # user 31 in the run's segment 0


def test_a_refresh_killed_half_way_is_done_again_in_full_after_another_assign(
    db: QueryRunner, workspace: Workspace
) -> None:
    make_graph(db, 30)
    run_a = make_run(workspace.home, RUN_A, list(range(1, 31)), seed=1)
    write_run(db, workspace, run_a)
    original = pq.read_table(run_a / "assignments.parquet").to_pylist()
    moved = [dict(row) for row in original]
    for row in moved[:10]:  # `assign` moves ten users …
        row["segment_id"] = 2 if row["segment_id"] != 2 else 1
        row["segment"] = NAMES[row["segment_id"]][0]
    _assign(run_a, moved, "2026-12-05T09:00:00+00:00")
    db.run_text(  # … and the refresh is killed once it sent them: the run node's SHA cleared, as its first step does
        "MATCH (r:SegmentationRun {run_id: $run}) SET r.assignments_sha = null", {"run": RUN_A}
    )
    segment_of = {row["user_id"]: row["segment_id"] for row in moved}
    db.run_text(
        "UNWIND $rows AS row MATCH (u:User {user_id: row[0]}) SET u.segment_id = row[1]",
        {"rows": [[uid, segment_of[uid]] for uid in segment_of if uid <= 10]},
    )
    _assign(run_a, original, "2026-12-05T10:00:00+00:00")  # the next `assign` moves them back: the file as written

    report = write_run(db, workspace, run_a)

    assert report.refreshed == 30  # not a diff against the kept file, which would find nothing to send
    assert_shows_exactly(db, run_a)
    assert write_run(db, workspace, run_a).already_current


def _assign(run_dir: Path, rows: list[dict[str, Any]], at: str) -> None:
    """What `shopgraph assign` leaves: a new assignments.parquet (replaced whole) and the update in run.json."""
    staged = run_dir / "assignments.parquet.tmp"
    pq.write_table(pa.Table.from_pylist(rows), staged)
    staged.replace(run_dir / "assignments.parquet")
    record = json.loads((run_dir / "run.json").read_text())
    record.setdefault("assign_updates", []).append({"at": at, "new_users": 0, "changed_users": len(rows)})
    (run_dir / "run.json").write_text(json.dumps(record))


def test_an_earlier_run_written_again_becomes_current_again(db: QueryRunner, workspace: Workspace) -> None:
    make_graph(db, 30)
    users = list(range(1, 31))
    run_a = make_run(workspace.home, RUN_A, users, seed=1)
    write_run(db, workspace, run_a)
    write_run(db, workspace, make_run(workspace.home, RUN_B, users, seed=2, previous=RUN_A))

    report = write_run(db, workspace, run_a)  # back to A (a rollback)

    assert report.previous_run_id == RUN_B and not report.resumed
    assert_shows_exactly(db, run_a)
    states = {
        r["run"]: r["state"] for r in db.run_text("MATCH (r:SegmentationRun) RETURN r.run_id AS run, r.state AS state")
    }
    assert states == {RUN_A: "current", RUN_B: "retired"}
    assert db.run_text("MATCH (s:Segment) RETURN count(s) AS n")[0]["n"] == 6  # both runs' segments kept
