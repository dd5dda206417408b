"""Read the files the dossier is made from (only the published contracts), saying what is missing.

The dossier reads, all relative to the workspace:

* ``reports/describe.json`` (``shopgraph describe``, events/describe.py);
* ``store/manifest.json`` (the ingest manifest, events/manifest.py) and the rejects files it names;
* ``features/user_features.parquet`` and ``features/user_features.json`` (features/compute.py);
* ``embeddings/embedding.json`` (embeddings/__init__.py);
* the current run folder ``segments/runs/<id>/`` named by ``segments/current``
  (segments/__init__.py): run.json, assignments.parquet, segments.json, selection.csv,
  threshold.json, classifiers.csv, importance.csv, migration.csv, and when present
  confusion.csv and coordinates.parquet;
* optionally ``reports/recommend_eval.json``, the recommendation hold-out evaluation. Its
  minimal fields::

      {"k": 10,                                   # the length of the recommendation lists
       "holdout": "the last purchase of each buyer was held out.",   # the procedure, one sentence
       "holdout_fr": "…",                         # optional, the same in French
       "users": 1234,                             # customers evaluated
       "models": [{"name": "segment popularity", "hit_rate": 0.21, "ndcg": 0.11, …}, …],
       "chosen": "segment popularity"}            # optional

  every numeric field of a model other than ``name`` is a score in 0..1 shown as a column;
  optional ``name_fr`` per model, ``note`` / ``note_fr`` (shown under the figures) and, when the
  evaluation could not give a fair figure, ``reason`` / ``reason_fr`` with empty ``models``
  (shown instead of the figures). ``shopgraph run`` writes it (segments/recommend_eval.py).

Every reader returns None for a missing file and keeps a note of what went wrong for a file
that exists but cannot be read, so a section can say plainly what is missing; nothing here
raises for missing inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from events.store import bounded_connection
from shopgraph.workspace import Workspace

RUN_FILES = (
    "run.json",
    "assignments.parquet",
    "segments.json",
    "selection.csv",
    "threshold.json",
    "classifiers.csv",
    "importance.csv",
    "migration.csv",
)
RECOMMEND_EVAL = "recommend_eval.json"


@dataclass
class Inputs:
    """Everything found in the workspace for the dossier; None where a file is missing."""

    workspace: Workspace
    describe: dict[str, Any] | None = None
    manifest: list[dict[str, Any]] | None = None
    rejects: pd.DataFrame | None = None  # reason, rows
    features_meta: dict[str, Any] | None = None
    features_path: Path | None = None
    embedding: dict[str, Any] | None = None
    run_dir: Path | None = None
    run: dict[str, Any] | None = None
    assignments: pd.DataFrame | None = None
    segments: list[dict[str, Any]] | None = None
    selection: pd.DataFrame | None = None
    threshold: dict[str, Any] | None = None
    classifiers: pd.DataFrame | None = None
    importance: pd.DataFrame | None = None
    migration: pd.DataFrame | None = None
    confusion: pd.DataFrame | None = None
    coordinates: pd.DataFrame | None = None
    recommend: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)  # path → why it could not be read

    # paths, for the "missing" notes
    @property
    def describe_path(self) -> Path:
        return self.workspace.reports_dir / "describe.json"

    @property
    def manifest_path(self) -> Path:
        return self.workspace.store_dir / "manifest.json"

    @property
    def runs_dir(self) -> Path:
        return self.workspace.segments_dir / "runs"

    @property
    def recommend_path(self) -> Path:
        return self.workspace.reports_dir / RECOMMEND_EVAL

    @property
    def embedding_path(self) -> Path:
        return self.workspace.embeddings_dir / "embedding.json"

    @property
    def features_table(self) -> Path:
        return self.workspace.features_dir / "user_features.parquet"

    def error_for(self, path: Path) -> str | None:
        return self.errors.get(str(path))


def current_run_dir(workspace: Workspace) -> Path | None:
    """The folder of the current run (``segments/current`` names it), or None."""
    pointer = workspace.segments_dir / "current"
    try:
        run_id = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    folder = workspace.segments_dir / "runs" / run_id
    return folder if run_id and folder.is_dir() else None


def read_inputs(workspace: Workspace) -> Inputs:
    """Read every input that exists (see the module docstring)."""
    found = Inputs(workspace)
    found.describe = _json(found, found.describe_path)
    manifest = _json(found, found.manifest_path)
    if isinstance(manifest, dict) and isinstance(manifest.get("files"), list):
        found.manifest = [e for e in manifest["files"] if isinstance(e, dict)]
        found.rejects = _reject_reasons(found, workspace, found.manifest)
    found.features_meta = _json(found, workspace.features_dir / "user_features.json")
    if found.features_table.is_file():
        found.features_path = found.features_table
    found.embedding = _json(found, found.embedding_path)
    found.recommend = _json(found, found.recommend_path)

    run_dir = current_run_dir(workspace)
    if run_dir is None:
        return found
    found.run_dir = run_dir
    found.run = _json(found, run_dir / "run.json")
    found.assignments = _parquet(found, run_dir / "assignments.parquet")
    segments = _json(found, run_dir / "segments.json")
    if isinstance(segments, dict):
        segments = segments.get("segments")
    if isinstance(segments, list):
        found.segments = sorted(
            (s for s in segments if isinstance(s, dict)), key=lambda s: int(s.get("segment_id", s.get("id", 0)) or 0)
        )
    found.selection = _csv(found, run_dir / "selection.csv")
    found.threshold = _json(found, run_dir / "threshold.json")
    found.classifiers = _csv(found, run_dir / "classifiers.csv")
    found.importance = _csv(found, run_dir / "importance.csv")
    found.migration = _csv(found, run_dir / "migration.csv")
    found.confusion = _csv(found, run_dir / "confusion.csv", index_col=0)
    found.coordinates = _parquet(found, run_dir / "coordinates.parquet")
    return found


def _json(found: Inputs, path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        found.errors[str(path)] = str(exc).splitlines()[0][:200]
        return None


def _csv(found: Inputs, path: Path, **kwargs: Any) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path, **kwargs)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        found.errors[str(path)] = str(exc).splitlines()[0][:200]
        return None


def _parquet(found: Inputs, path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        found.errors[str(path)] = str(exc).splitlines()[0][:200]
        return None


def _reject_reasons(found: Inputs, workspace: Workspace, entries: list[dict[str, Any]]) -> pd.DataFrame | None:
    """Rejected rows per reason over the manifest's rejects files (``reason`` column), or None."""
    import duckdb

    from shopgraph.sqltext import literal_list

    files = [workspace.store_dir / e["rejects_file"] for e in entries if e.get("rejects_file")]
    files = [f for f in files if f.is_file()]
    if not files:
        return None
    con = bounded_connection(workspace)
    try:
        return con.execute(f"""SELECT reason, count(*) AS rows FROM read_csv({literal_list(files)}, header = true,
                               all_varchar = true) GROUP BY 1 ORDER BY rows DESC, reason LIMIT 12""").df()
    except duckdb.Error as exc:
        found.errors[str(files[0])] = str(exc).splitlines()[0][:200]
        return None
    finally:
        con.close()


def active_months(workspace: Workspace, user_ids: pd.DataFrame) -> pd.DataFrame | None:
    """Customers active per month and segment: ``month, segment_id, users`` (None without an event store).

    ``user_ids`` has ``user_id`` and ``segment_id`` (the current assignments).
    """

    from events.store import connect_events
    from shopgraph.errors import ShopgraphError

    con = bounded_connection(workspace)
    try:
        try:
            connect_events(workspace, None, con)
        except ShopgraphError:
            return None
        con.execute("SET enable_progress_bar = false")
        con.register("assigned", user_ids[["user_id", "segment_id"]])
        return con.execute("""
            SELECT e.month, a.segment_id, count(*) AS users
            FROM (SELECT DISTINCT month, user_id FROM events) e JOIN assigned a USING (user_id)
            GROUP BY ALL ORDER BY 1, 2""").df()
    finally:
        con.close()
