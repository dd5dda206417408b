"""Test helper: run folders with the fields segments/writeback.py reads, a small graph to write them to,
what an analyst sees of the result (the write-back tests, with and without a server), and the crash tests'
two runs with the clean write a re-run must equal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from graph.connection import QueryRunner
from graph.schema import reset_database
from segments.writeback import write_run
from shopgraph.workspace import Workspace
from tests.support.graph_dump import dump_graph

RUN_A = "20261201T100000Z-aaaaaa"
RUN_B = "20261202T100000Z-bbbbbb"
RUN_C = "20261203T100000Z-cccccc"
NAMES = {
    0: ("Not enough activity yet", "Activité insuffisante"),
    1: ("Window shoppers", "Lèche-vitrines"),
    2: ("Loyal big spenders", "Gros clients fidèles"),
    3: ("Apple fans", "Fans d'Apple"),
}


def make_graph(db: QueryRunner, users: int) -> None:
    """``users`` User nodes (ids 1..users) with events, 5 categories and 3 brands."""
    db.run_text("UNWIND range(1, $n) AS i CREATE (:User {user_id: i, n_events: i % 7 + 1})", {"n": users})
    db.run_text("UNWIND range(1, 5) AS i CREATE (:Category {category_id: 100 + i, code: 'c' + i})")
    db.run_text("UNWIND ['apple', 'samsung', 'xiaomi'] AS b CREATE (:Brand {name: b})")


def make_run(
    root: Path,
    run_id: str,
    user_ids: list[int],
    *,
    seed: int,
    previous: str | None = None,
    segment_ids: tuple[int, ...] = (0, 1, 2),
    at: str | None = None,
) -> Path:
    """A run folder with the fields write_run reads; user i goes to segment (i * seed) % len."""
    run_dir = root / "segments" / "runs" / run_id
    run_dir.mkdir(parents=True)
    assigned = [segment_ids[(u * seed) % len(segment_ids)] for u in user_ids]
    confidence = [((u * 37 + seed) % 100) / 100 for u in user_ids]
    pq.write_table(
        pa.table(
            {
                "user_id": pa.array(user_ids, pa.int64()),
                "segment_id": pa.array(assigned, pa.int32()),
                "segment": [NAMES[s][0] for s in assigned],
                "confidence": confidence,
                "low_confidence": [c < 0.3 for c in confidence],
                "assigned_by": ["classifier"] * len(user_ids),
            }
        ),
        run_dir / "assignments.parquet",
    )
    segments = [
        {
            "segment_id": s,
            "name": {"en": NAMES[s][0], "fr": NAMES[s][1]},
            "description": {"en": f"about {NAMES[s][0]}", "fr": f"à propos de {NAMES[s][1]}"},
            "actions": {"en": ["newsletter", "promo"], "fr": ["lettre", "promo"]},
            "traits": {"en": [f"trait {s}"], "fr": [f"trait {s} fr"]},
            "size": assigned.count(s),
            "share": assigned.count(s) / len(user_ids),
            "revenue_share": 0.1 * s,
            "conversion": 0.05 * s,
            "categories": [
                {"category_id": 100 + s + 1, "lift": 1.5 + s, "share": 0.2},
                {"category_id": 999, "lift": 9.0, "share": 0.1},
            ],  # not in the graph: skipped
            "brands": [{"brand": ["apple", "samsung", "xiaomi"][s % 3], "lift": 2.0 + s, "share": 0.3}],
            "figures": {"customers": assigned.count(s)},  # what analyst/segment_sizes reads (segments/figures.py)
        }
        for s in segment_ids
    ]
    (run_dir / "segments.json").write_text(json.dumps(segments), encoding="utf-8")
    (run_dir / "run.json").write_text(
        json.dumps(
            {
                "run_id": run_id,
                "at": at or f"2026-12-0{seed}T10:00:00Z",
                "method": "kmeans",
                "k": len(segment_ids) - 1,
                "threshold": 3,
                "seed": seed,
                "code_version": "test",
                "data_window": {"from": "2019-10-01", "to": "2019-11-30"},
                "scores": {"silhouette": 0.4, "stability_ari": 0.9},
                "parameters": {"k_range": [3, 15]},
                "previous_run_id": previous,
            }
        ),
        encoding="utf-8",
    )
    if previous:
        lines = ["previous_segment_id,segment_id,users", "1,2,4", "2,1,3", "0,0,5", "1,1,0"]
        (run_dir / "migration.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_dir


def graph_view(db: QueryRunner) -> dict[str, Any]:
    """What an analyst can see of the segmentation (the current run), in comparable form."""
    users = db.run_text(
        "MATCH (u:User) RETURN u.user_id AS id, u.segment AS segment, u.segment_fr AS fr, u.segment_id AS sid, "
        "u.segment_confidence AS c, u.segment_low_confidence AS low, toString(u.segmented_at) AS at, "
        "u.segment_run AS run ORDER BY id"
    )
    links = db.run_text(
        "MATCH (u:User)-[m:IN_SEGMENT]->(s:Segment {current: true}) "
        "RETURN u.user_id AS id, s.segment_key AS key, m.confidence AS c ORDER BY id, key"
    )
    current = db.run_text(
        "MATCH (s:Segment {current: true}) RETURN s.segment_key AS key, s.name AS name, s.size AS size ORDER BY key"
    )
    runs = db.run_text("MATCH (r:SegmentationRun {current: true}) RETURN r.run_id AS run ORDER BY run")
    return {"users": users, "links": links, "current": current, "runs": [r["run"] for r in runs]}


def assert_shows_exactly(db: QueryRunner, run_dir: Path, *, finished: bool = True) -> None:
    """Every user of the graph carries this run (or its segment 0) and nothing of another run is visible.

    ``finished``: nothing of any other run is left either (no staged, no retiring IN_SEGMENT)."""
    run_id = run_dir.name
    expected = {r["user_id"]: r for r in pq.read_table(run_dir / "assignments.parquet").to_pylist()}
    view = graph_view(db)
    for user in view["users"]:
        row = expected.get(user["id"], {"segment_id": 0, "confidence": 0.0})
        assert (user["run"], user["sid"], user["c"]) == (run_id, row["segment_id"], row["confidence"]), user
        assert (user["segment"], user["fr"]) == NAMES[row["segment_id"]]
    assert {link["key"].split("/")[0] for link in view["links"]} == {run_id}
    assert [link["id"] for link in view["links"]] == [user["id"] for user in view["users"]]  # one each
    assert view["current"] and all(s["key"].startswith(run_id + "/") for s in view["current"])
    assert view["runs"] == [run_id]
    others = db.run_text(
        "MATCH (:User)-[m:IN_SEGMENT]->(s:Segment) WHERE s.run_id <> $r "
        "MATCH (r:SegmentationRun {run_id: s.run_id}) "
        "RETURN r.state AS state, s.current AS current, count(m) AS n",
        {"r": run_id},
    )
    assert all(not row["current"] for row in others)
    if finished:
        assert others == []


#: the two runs of the crash tests: run id -> (seed, segment ids), as make_run gets them (user i is in segment
#: ids[(i * seed) % len(ids)]); B follows A and adds a segment
TWO_RUNS = {RUN_A: (1, (0, 1, 2)), RUN_B: (2, (0, 1, 2, 3))}


@dataclass(frozen=True)
class TwoRuns:
    """A graph of ``users`` with run A written and the folder of run B, ready to be written over it."""

    users: list[int]
    run_a: Path
    run_b: Path


def write_run_a_then_ready_b(db: QueryRunner, workspace: Workspace, users: int) -> TwoRuns:
    """``make_graph`` of ``users``, the folders of runs A and B (:data:`TWO_RUNS`), run A written."""
    make_graph(db, users)
    ids = list(range(1, users + 1))
    (seed_a, segments_a), (seed_b, segments_b) = TWO_RUNS[RUN_A], TWO_RUNS[RUN_B]
    run_a = make_run(workspace.home, RUN_A, ids, seed=seed_a, segment_ids=segments_a)
    run_b = make_run(workspace.home, RUN_B, ids, seed=seed_b, previous=RUN_A, segment_ids=segments_b)
    write_run(db, workspace, run_a)
    return TwoRuns(ids, run_a, run_b)


def without_switch_time(dump: tuple[list, list]) -> tuple[list, list]:
    """A ``dump_graph`` without ``switched_at`` (the wall-clock time of the switch)."""

    def clean(props: tuple) -> tuple:
        return tuple(p for p in props if p[0] != "switched_at")

    nodes, rels = dump
    return (
        sorted((labels, clean(p)) for labels, p in nodes),
        sorted((t, clean(p), la, clean(pa), lb, clean(pb)) for t, p, la, pa, lb, pb in rels),
    )


def clean_write(db: QueryRunner, workspace: Workspace, runs: TwoRuns) -> tuple[list, list]:
    """The graph (without switch time) of the same two runs written on a fresh graph, never interrupted:
    what a write-back that was killed and run again must give."""
    reset_database(db)
    make_graph(db, len(runs.users))
    write_run(db, workspace, runs.run_a)
    write_run(db, workspace, runs.run_b)
    return without_switch_time(dump_graph(db))
