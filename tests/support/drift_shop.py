"""TEST SUPPORT: a synthetic shop segmented on three months, then a fourth month arriving as it was drawn
(the same shop) or changed (new customers abandon twice as many carts and shop one new taste)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from events.ingest import ingest_files
from events.synth import generate
from features.calendar import load_calendar
from features.compute import build_user_features
from segments.assigning import classify_new_customers
from segments.drift import DriftReport
from segments.drift_reference import decide as decide_drift
from segments.segmentation import segment
from shopgraph.workspace import Workspace

USERS = 8_000
MONTHS = "2019-10..2020-01"
SEED = 7
QUICK = ("knn", "decision_tree")


def segmented_shop(root: Path) -> tuple[list[Path], Path]:
    """The month files and a workspace (under ``root``) segmented on all months but the last."""
    data = generate(root / "data", users=USERS, months=MONTHS, seed=SEED)
    files = sorted(data.files)
    workspace = Workspace(root / "home")
    ingest_files(workspace, files[:-1], pseudonymise=False)
    build_user_features(workspace, load_calendar())
    segment(workspace, seed=0, classifiers=QUICK)
    return files, workspace.home


def changed_month(month: Path, known: set[int], out: Path) -> Path:
    """``month`` with its new customers (not in ``known``) changed: every other view of theirs becomes a view
    then a cart never bought (cart abandonment doubled and more), all of it in one category they share."""
    frame = pd.read_csv(month, dtype=str, keep_default_na=False)
    new = ~frame["user_id"].astype(np.int64).isin(known)
    taste = frame.loc[new & (frame["category_code"] != ""), ["category_id", "category_code"]].iloc[0]
    frame.loc[new, "category_id"], frame.loc[new, "category_code"] = taste["category_id"], taste["category_code"]
    views = frame[new & (frame["event_type"] == "view")].iloc[::2].copy()
    views["event_type"] = "cart"
    views["event_time"] = (
        pd.to_datetime(views["event_time"].str.replace(" UTC", "")) + pd.Timedelta(seconds=20)
    ).dt.strftime("%Y-%m-%d %H:%M:%S UTC")
    frame = pd.concat([frame, views]).sort_values("event_time", kind="stable")
    with gzip.open(out, "wt", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=False)
    return out


def with_fourth_month(files: list[Path], home: Path, root: Path, change: bool) -> Workspace:
    """A copy of the segmented shop under ``root`` with its last month (changed or not) ingested and its
    features built, not yet assigned."""
    workspace = Workspace(shutil.copytree(home, root / "home"))
    month = files[-1]
    if change:
        from events.store import connect_events

        known = {int(u) for (u,) in connect_events(workspace).execute("SELECT DISTINCT user_id FROM events").fetchall()}
        month = changed_month(files[-1], known, root / files[-1].name)
    ingest_files(workspace, [month], pseudonymise=False)
    build_user_features(workspace, load_calendar())
    return workspace


def fourth_month(files: list[Path], home: Path, root: Path, change: bool) -> DriftReport:
    """:func:`with_fourth_month`, then the drift figures of the assignment that follows (the run is left as
    it was)."""
    workspace = with_fourth_month(files, home, root, change)
    found: list[DriftReport] = []

    def decide(features, assignments, update) -> bool:
        from segments.runs import current_run_dir

        found.append(decide_drift(workspace, current_run_dir(workspace), features, assignments, update, 1))
        return False

    classify_new_customers(workspace, decide=decide)
    return found[0]
