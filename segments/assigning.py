"""Assigning a later month's customers with the current run's classifier, without re-clustering.

The customers new to the run or whose activity changed since (their fingerprint) are classified among the run's
published segments, in chunks of the feature table; the drift check decides whether the update is kept; kept, it
is saved into the run folder. Neither part makes the model (``segments.segmentation`` does): an upgrade that
changes only this module runs the step again and assigns (``pipeline.run.NOT_THE_MODEL``) instead of retraining.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from events.store import bounded_connection
from features.compute import FEATURES_FILE
from segments import assign as assigner
from segments import drift, population, runs
from segments.members_now import refresh_segment_figures
from segments.segmentation import FINGERPRINT, _classify, fingerprints, read_features
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress
from shopgraph.workspace import Workspace


@dataclass
class NewCustomersReport:
    """What :func:`classify_new_customers` did."""

    run_id: str
    new_users: int
    changed_users: int
    below_threshold: int
    low_confidence: int
    by_segment: dict[str, int]
    applied: bool = True


Decide = Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame], bool]
"""``decide(features, assignments, update)``: the :data:`DECIDE_COLUMNS` of the feature table (sorted by
user_id, its sidecar in ``attrs``), the :data:`DRIFT_COLUMNS` of the run's assignments before the update and
the update itself (one row per new or changed user); False keeps the run unchanged."""

DRIFT_COLUMNS = ("user_id", "segment_id", "low_confidence")
"""The assignment columns the drift check reads (segments/drift.py): the rest stay on disk while it runs."""

DECIDE_COLUMNS = tuple(dict.fromkeys(("user_id", *FINGERPRINT, *drift.KEY_METRICS)))
"""The feature columns :func:`classify_new_customers` holds for every user: the fingerprint and what the
drift figures compare. The other columns are read only for the users it classifies, in chunks."""


def classify_new_customers(
    workspace: Workspace, progress: Progress | None = None, decide: Decide | None = None
) -> NewCustomersReport:
    """Label the users who arrived or whose activity changed since the current run, without re-clustering.

    New users: in the feature table without an assignment. Changed users: their activity
    fingerprint (events, sessions, purchases, spend) differs from the one at training. Both get
    the run's classifier among the run's published segments (segment 0 below the run's
    threshold); the run's assignments and
    fingerprints are rewritten atomically and the update is recorded in run.json.
    """
    say = progress or (lambda _p, _d, _t: None)
    run_dir = runs.require_current(workspace)
    if (changed := runs.embedding_changed(workspace, run_dir)) is not None:
        raise ShopgraphError(f"{changed}: its classifier reads the earlier vectors; run `shopgraph segment`")
    bundle = assigner.load(run_dir / assigner.MODEL_FILE)
    features = read_features(workspace, DECIDE_COLUMNS)
    assignments = pd.read_parquet(run_dir / "assignments.parquet", columns=list(DRIFT_COLUMNS))
    now, new, changed = _new_and_changed(run_dir, features)
    todo = features["user_id"].to_numpy(np.int64)[new | changed]
    say("assigning", 0, len(todo))
    update, below = _classify_in_chunks(workspace, run_dir, bundle, todo, say)
    report = NewCustomersReport(
        run_dir.name,
        int(new.sum()),
        int(changed.sum()),
        int(below.sum()),
        int(update["low_confidence"].sum()),
        {k: int(v) for k, v in update["segment"].value_counts().items()},
    )
    if decide is not None and not decide(features, assignments, update):
        report.applied = False
        return report
    say("saving the assignments", 0, 0)
    _apply_update(workspace, run_dir, update, now, report)
    say("assigning", len(todo), len(todo))
    return report


def _new_and_changed(run_dir: Path, features: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every user's fingerprint now, and which rows of ``features`` are new or changed since the run."""
    prints = pd.read_parquet(run_dir / "fingerprints.parquet")
    now = pd.DataFrame({"user_id": features["user_id"].to_numpy(np.int64), "now": fingerprints(features)})
    prints["fingerprint"] = prints["fingerprint"].astype("Int64")  # nullable: no float round trip
    merged = now.merge(prints, on="user_id", how="left")
    new = merged["fingerprint"].isna().to_numpy()
    changed = (~new) & (merged["fingerprint"].fillna(0).to_numpy(np.int64) != merged["now"].to_numpy())
    return now, new, changed


def _classify_in_chunks(
    workspace: Workspace,
    run_dir: Path,
    bundle: dict,
    todo: np.ndarray,
    say: Progress,
    chunk_rows: int = population.CHUNK_ROWS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`_classify` on the users ``todo`` (sorted ids), their feature rows read ``chunk_rows`` at a time;
    the update in ``user_id`` order. A later month brings millions of new and changed customers: their
    rows, vectors and model inputs held whole took the process past 14 GB, and the feature table of every
    customer read whole held 7.5 GiB (docs/BENCHMARKS.md, "Scale")."""
    parts, done = [], 0
    for table in population.chunks(workspace.features_dir / FEATURES_FILE, chunk_rows):
        ids = table.column("user_id").to_numpy().astype(np.int64)
        mine = population.members(ids, todo)
        if mine.any():
            parts.append(_classify(workspace, run_dir, bundle, table.filter(pa.array(mine)).to_pandas()))
            done += int(mine.sum())
            say("assigning", done, len(todo))
    if not parts:
        empty = pq.read_schema(workspace.features_dir / FEATURES_FILE).empty_table().to_pandas()
        return _classify(workspace, run_dir, bundle, empty)
    update = pd.concat([p[0] for p in parts], ignore_index=True)
    below = np.concatenate([p[1] for p in parts])
    order = np.argsort(update["user_id"].to_numpy(np.int64), kind="stable")
    return update.iloc[order].reset_index(drop=True), below[order]


def _apply_update(
    workspace: Workspace, run_dir: Path, update: pd.DataFrame, now: pd.DataFrame, report: NewCustomersReport
) -> None:
    """Rewrite the run's assignments (the users of ``now``, ``update``'s rows in place of their old ones), its
    segments' figures (``segments.members_now``) and fingerprints, and record the update in run.json."""
    with bounded_connection(workspace) as con:
        runs.upsert_parquet(run_dir / "assignments.parquet", update, now["user_id"], con)
    # before the fingerprints: killed in between, the next run finds the same customers changed and does it again
    refresh_segment_figures(workspace, run_dir)
    runs.write_parquet(run_dir / "fingerprints.parquet", now.rename(columns={"now": "fingerprint"}))
    record = runs.read_json(run_dir / "run.json")
    record.setdefault("assign_updates", []).append(
        {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "new_users": report.new_users,
            "changed_users": report.changed_users,
            "below_threshold": report.below_threshold,
        }
    )
    runs.write_json(run_dir / "run.json", record)
