"""TEST FIXTURE (not product code): writes the segment part of docs' graph contract from a simple rule.

The real write-back is segments/writeback.py (another branch). Tests and the benches write
the same nodes, properties and relationships the contract fixes (`/work/briefs/graph-contract.md`),
so the analyst queries, recommendations and exports can be checked before it is merged:
User.segment …, (:Segment {segment_key}), IN_SEGMENT, PREFERS, (:SegmentationRun) with
HAS_SEGMENT and FOLLOWS, and BECAME between the previous and the current run's segments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from graph.connection import QueryRunner
from segments.figures import MEAN_METRICS, purchase_figures, segment_figures, segment_properties

NOT_ENOUGH = (0, "Not enough activity yet", "Activité insuffisante")
RULE_SEGMENTS = {
    1: ("Loyal buyers", "Acheteurs fidèles"),
    2: ("One-time buyers", "Acheteurs d'une fois"),
    3: ("Window shoppers", "Lèche-vitrines"),
}
PREVIOUS_SEGMENTS = {1: ("Buyers", "Acheteurs"), 2: ("Browsers", "Visiteurs")}
MIN_EVENTS = 3


@dataclass(frozen=True)
class Assignment:
    segment_id: int
    name: str
    name_fr: str
    confidence: float


def rule_assignments(features: Path) -> dict[int, Assignment]:
    """Current run: < 3 events → 0; ≥ 2 orders → 1; 1 order → 2; else 3 (from the feature Parquet)."""
    rows = (
        duckdb.connect()
        .execute("SELECT user_id, n_events, n_orders FROM read_parquet(?) ORDER BY user_id", [str(features)])
        .fetchall()
    )
    out = {}
    for user_id, n_events, n_orders in rows:
        if n_events < MIN_EVENTS:
            sid, name, name_fr = NOT_ENOUGH
        else:
            sid = 1 if n_orders >= 2 else 2 if n_orders == 1 else 3
            name, name_fr = RULE_SEGMENTS[sid]
        out[int(user_id)] = Assignment(sid, name, name_fr, 0.5 + (abs(int(user_id)) % 50) / 100)
    return out


def previous_assignments(features: Path) -> dict[int, Assignment]:
    """Previous run: buyers (1) and browsers (2), everyone with ≥ 1 event."""
    rows = duckdb.connect().execute("SELECT user_id, n_orders FROM read_parquet(?)", [str(features)]).fetchall()
    return {int(u): Assignment(1 if o >= 1 else 2, *PREVIOUS_SEGMENTS[1 if o >= 1 else 2], 0.8) for u, o in rows}


def _figures(db: QueryRunner, assignments: Mapping[int, Assignment]) -> dict[int, dict]:
    """The stored figures of each segment (segments/figures.py), from the Users' properties in the graph."""
    columns = ["rfm_code", "top_category", *MEAN_METRICS]
    rows = db.run_text("MATCH (u:User) RETURN u.user_id AS user_id, " + ", ".join(f"u.{c} AS {c}" for c in columns))
    users = pd.DataFrame(rows, columns=["user_id", *columns])
    users = users[users["user_id"].isin(list(assignments))].reset_index(drop=True)
    labels = np.array([assignments[int(u)].segment_id for u in users["user_id"]], dtype=np.int64)
    figures = segment_figures(users, labels)

    def frame(query: str, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(db.run_text(query), columns=columns)

    bought = purchase_figures(
        frame("MATCH (u:User)-[:PURCHASED]->(p:Product) RETURN u.user_id AS u, p.product_id AS p", ["u", "p"]).rename(
            columns={"u": "user_id", "p": "product_id"}
        ),
        frame(
            "MATCH (p:Product)-[:IN_CATEGORY]->(c:Category) RETURN p.product_id AS product_id, "
            "c.category_id AS category_id",
            ["product_id", "category_id"],
        ),
        frame(
            "MATCH (p:Product)-[:OF_BRAND]->(b:Brand) RETURN p.product_id AS product_id, b.name AS brand",
            ["product_id", "brand"],
        ),
        pd.DataFrame({"user_id": users["user_id"].astype("int64"), "segment_id": labels}),
    )
    for sid, extra in bought.items():
        figures[sid].update(extra)
    return figures


def _segments(
    run_id: str, current: bool, assignments: Mapping[int, Assignment], figures: Mapping[int, dict]
) -> list[dict]:
    sizes = Counter(a.segment_id for a in assignments.values())
    names = {a.segment_id: (a.name, a.name_fr) for a in assignments.values()}
    total = sum(sizes.values())
    return [
        {
            "segment_key": f"{run_id}/{sid}",
            "segment_id": sid,
            "run_id": run_id,
            "current": current,
            "name": names[sid][0],
            "name_fr": names[sid][1],
            "description": f"fixture segment {names[sid][0]}",
            "description_fr": f"segment de test {names[sid][1]}",
            "actions": ["send a test e-mail"],
            "actions_fr": ["envoyer un e-mail de test"],
            "size": n,
            "share": n / total,
            "revenue_share": 0.0,
            "conversion": 0.0,
            "traits": [f"rule segment {sid}"],
            "traits_fr": [f"segment {sid}"],
            "profile_json": "{}",
            **segment_properties({"figures": figures.get(sid)}),
        }
        for sid, n in sorted(sizes.items())
    ]


def write_segments(
    db: QueryRunner,
    current: Mapping[int, Assignment],
    previous: Mapping[int, Assignment] | None = None,
    run_id: str = "20261201T120000Z-cur001",
    previous_run_id: str = "20261101T120000Z-prv001",
) -> None:
    """Write the contract's segment part for ``current`` (and a previous run with BECAME counts)."""
    db.run_text("DROP CONSTRAINT segment_id_unique IF EXISTS")
    db.run_text("CREATE CONSTRAINT segment_key_unique IF NOT EXISTS FOR (s:Segment) REQUIRE s.segment_key IS UNIQUE")
    runs = [(run_id, True, current)] + ([(previous_run_id, False, previous)] if previous is not None else [])
    for rid, is_current, assignments in runs:
        db.run_text(
            "CREATE (r:SegmentationRun {run_id: $rid, at: datetime(), k: $k, method: 'fixture rule', threshold: $t, "
            "seed: 0, code_version: 'test', data_window: 'fixture', scores_json: '{}', current: $cur, "
            "user_copy: CASE WHEN $cur THEN 'done' END}) "  # the current run's User copy is written below
            "WITH r UNWIND $segments AS s CREATE (r)-[:HAS_SEGMENT]->(seg:Segment) SET seg = s",
            {
                "rid": rid,
                "k": len(set(a.segment_id for a in assignments.values())),
                "t": MIN_EVENTS,
                "cur": is_current,
                "segments": _segments(rid, is_current, assignments, _figures(db, assignments)),
            },
        )
    db.run_text("MERGE (p:CurrentSegmentation) SET p.run_id = $rid", {"rid": run_id})  # the current-run pointer
    rows = [
        {
            "user_id": u,
            "sid": a.segment_id,
            "name": a.name,
            "name_fr": a.name_fr,
            "confidence": a.confidence,
            "key": f"{run_id}/{a.segment_id}",
        }
        for u, a in current.items()
    ]
    for start in range(0, len(rows), 10_000):
        db.run_text(
            "UNWIND $rows AS row MATCH (u:User {user_id: row.user_id}) MATCH (s:Segment {segment_key: row.key}) "
            "SET u.segment = row.name, u.segment_fr = row.name_fr, u.segment_id = row.sid, "
            "u.segment_confidence = row.confidence, u.segment_low_confidence = row.confidence < 0.6, "
            "u.segmented_at = datetime(), u.segment_run = $rid "
            "CREATE (u)-[:IN_SEGMENT {confidence: row.confidence}]->(s)",
            {"rows": rows[start : start + 10_000], "rid": run_id},
        )
    # PREFERS: each segment prefers the categories and brands its customers bought (lift from purchase pairs)
    for label, rel in (("Category", "IN_CATEGORY"), ("Brand", "OF_BRAND")):
        db.run_text(
            "MATCH (s:Segment {current: true})<-[:IN_SEGMENT]-(:User)-[:PURCHASED]->(:Product)"
            f"-[:{rel}]->(x:{label}) "
            "WITH s, x, count(*) AS n WITH s, collect({x: x, n: n}) AS rows, sum(n) AS total "
            "UNWIND rows AS row WITH s, row.x AS x, toFloat(row.n) / total AS share "
            "CREATE (s)-[:PREFERS {lift: share * 10.0, share: share}]->(x)"
        )
    if previous is not None:
        db.run_text(
            "MATCH (c:SegmentationRun {run_id: $a}), (p:SegmentationRun {run_id: $b}) CREATE (c)-[:FOLLOWS]->(p)",
            {"a": run_id, "b": previous_run_id},
        )
        flows = Counter((previous[u].segment_id, a.segment_id) for u, a in current.items() if u in previous)
        db.run_text(
            "UNWIND $flows AS f MATCH (a:Segment {segment_key: f.a}), (b:Segment {segment_key: f.b}) "
            "CREATE (a)-[:BECAME {users: f.n}]->(b)",
            {"flows": [{"a": f"{previous_run_id}/{p}", "b": f"{run_id}/{c}", "n": n} for (p, c), n in flows.items()]},
        )
