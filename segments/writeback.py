"""Writes one segmentation run folder into Neo4j so that analysts only ever see one whole run.

Call :func:`write_run` after the run folder is complete (it reads nothing else). What it
reads from ``run_dir`` (the minimal fields; anything else is ignored):

* ``run.json`` — ``run_id`` (str), ``at`` (ISO-8601 datetime of the run, with zone),
  ``method`` (str), ``k`` (int), ``threshold`` (int, minimum events), ``seed`` (int),
  ``code_version`` (str), ``data_window`` (str, or a mapping/list written as JSON text),
  optional ``scores`` (any JSON: kept as ``scores_json``), ``parameters`` (any JSON: kept
  as ``parameters_json``), ``previous_run_id`` (str or null).
* ``assignments.parquet`` — ``user_id`` (BIGINT, unique), ``segment_id`` (INTEGER, 0 = not
  enough activity), ``confidence`` (DOUBLE 0..1), ``low_confidence`` (BOOLEAN). The names
  come from ``segments.json`` (a ``segment`` column, when present, must agree).
* ``segments.json`` — a list (or ``{"segments": [...]}``) of objects with ``segment_id``;
  ``name``, ``description`` as ``{"en": str, "fr": str}``; ``actions``, ``traits`` as
  ``{"en": [str], "fr": [str]}``; ``size`` (int), ``share``, ``revenue_share``,
  ``conversion`` (floats); ``categories`` = ``[{"category_id": int, "lift": float,
  "share": float}]``, ``brands`` = ``[{"brand": str, "lift": float, "share": float}]``.
  The whole object is also kept as ``Segment.profile_json``. Segment 0 ("Not enough
  activity yet" / "Activité insuffisante") is added when the file does not list it.
* ``migration.csv`` (optional) — ``previous_segment_id,segment_id,users``: becomes
  ``(:Segment)-[:BECAME {users}]->(:Segment)`` from the previous run's segments.

What it writes is ``/work/briefs/graph-contract.md`` (docs/ARCHITECTURE.md, "Segment
write-back"): ``User.segment`` …, ``(:Segment {segment_key})``, ``IN_SEGMENT``,
``PREFERS``, ``(:SegmentationRun)``, ``HAS_SEGMENT``, ``FOLLOWS``, ``BECAME``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from events.workspace import Workspace

if TYPE_CHECKING:
    from graph.connection import QueryRunner

Progress = Callable[[str, int, int], None]
"""``progress(phase, rows_done, rows_total)`` after every committed batch; phases are
``"clean"``, ``"stage"``, ``"switch"``, ``"retire"``."""


@dataclass(frozen=True)
class WriteReport:
    """What :func:`write_run` did."""

    run_id: str
    users: int  # rows of assignments.parquet
    matched: int  # of those, users found in the graph (received the run's segment)
    not_in_graph: int  # assignments for users the graph does not hold (forgotten, not loaded): skipped
    missing_from_run: int  # users with events in the graph but no assignment: put in segment 0, confidence 0
    segments: int
    previous_run_id: str | None  # the run that was current before (now retired), if any
    resumed: bool  # an interrupted write of this same run was finished
    cleaned_run_ids: tuple[str, ...]  # interrupted writes of other runs that were removed
    seconds: dict[str, float]  # wall time per phase


def write_run(db: QueryRunner, workspace: Workspace, run_dir: Path,
              progress: Progress | None = None) -> WriteReport:
    """Write the run in ``run_dir`` to Neo4j and make it the current segmentation.

    Analysts never see a mix of two runs: the new run's nodes and relationships are staged
    invisibly (``current = false``) in batches, the switch (every ``User.segment*`` property
    and the ``current`` flags) commits as one transaction, and the previous run's
    ``IN_SEGMENT`` relationships are removed afterwards. Killed at any point, the graph shows
    the previous run whole; calling ``write_run`` again finishes the job (or, for a different
    run, first removes what the interrupted write staged). Re-running a run that is already
    current is a no-op that returns its report.

    Raises ``ShopgraphError`` (one line) for a run folder that is incomplete or inconsistent
    (a duplicated user, a segment id without a profile, a user with events missing…).
    """
    raise NotImplementedError("segments.writeback.write_run: being implemented on branch segments")
