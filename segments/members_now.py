"""After a month that assigned: each segment's figures recomputed over the members it holds now.

A run's segments.json carries each segment's size, shares, conversion, description and the figures the
per-segment analyst queries read (``segments/figures.py``), and the write-back stores them on the run's
Segment nodes. They were those of the customers the run was trained on; a month that assigns puts new
customers into the same segments, so ``segment_sizes`` and the other stored figures would fall behind a
count of the members month after month. :func:`refresh_segment_figures` recomputes them from the run's
assignments as they are now, the feature table and the event store; the write-back then updates the
Segment nodes. The names, traits, rules and actions stay the trained run's: they describe the model,
which did not change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.compute import FEATURES_FILE
from segments import coverage, naming, profile, runs
from shopgraph.words import LANGS
from shopgraph.workspace import Workspace


def refresh_segment_figures(workspace: Workspace, run_dir: Path) -> None:
    """Rewrite ``segments.json`` of ``run_dir`` with each segment's figures over its members now (a
    description that states the training figures is stated again with the new ones)."""
    assignments = pd.read_parquet(run_dir / "assignments.parquet", columns=["user_id", "segment_id"])
    features_file = workspace.features_dir / FEATURES_FILE
    user_ids = assignments["user_id"].to_numpy(np.int64)
    labels = assignments["segment_id"].to_numpy(np.int64)
    figures = profile.analyst_figures(workspace, user_ids, labels, features_file=features_file)
    headline = coverage.figures_now(assignments, coverage.read_figure_columns(features_file))
    segments = runs.read_json(run_dir / "segments.json")
    for entry in segments:
        sid = int(entry["segment_id"])
        before = dict(entry)
        entry.update(headline.get(sid, coverage.NO_MEMBERS))
        if sid in figures:
            entry["figures"] = figures[sid]
        description = entry.get("description")
        if isinstance(description, dict):
            for lang in LANGS:
                if description.get(lang) == naming.describe(before, lang):  # the generated sentence: restated
                    description[lang] = naming.describe(entry, lang)
    runs.write_json(run_dir / "segments.json", segments)
