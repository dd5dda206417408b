"""Writes one segmentation run folder into Neo4j so that no query ever sees two runs mixed.

:func:`write_run` reads only the run folder; it stages the run's membership invisibly, moves the
one current-run pointer in one small transaction, refreshes the User copy in batches, then
retires the previous run. What it reads, the graph it writes and the phases: docs/ARCHITECTURE.md,
"Segment write-back".
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import cypher
from events.store import bounded_connection
from graph.node_ids import NodeIds
from segments.figures import segment_properties
from segments.population import members
from shopgraph.errors import ShopgraphError
from shopgraph.files import file_sha256
from shopgraph.locks import exclusive_lock
from shopgraph.progress import Progress
from shopgraph.sqltext import literal
from shopgraph.words import NOT_ENOUGH_ACTIVITY
from shopgraph.workspace import Workspace

if TYPE_CHECKING:
    from graph.connection import QueryRunner

# progress(phase, rows_done, rows_total) after every batch; phases are "clean", "stage", "switch"
# (the one small transaction: 0, then 1 once sent, before its commit), "copy" (rows of the User
# copy committed after the switch), "retire", and "refresh" (the current run's assignments rewritten
# by `shopgraph assign`).

DEFAULT_BATCH_SIZE = 20_000
LIKELY_WRITERS = 2  # as graph.load.WRITERS: one writer leaves the server a core idle (BENCHMARKS, "Load")
MEMBERSHIP_WRITERS = 1
"""Sessions staging, copying or refreshing a run's membership at once. Two are supported (a lagging cursor and
a guarded re-run, below) but not the default: beside other work they gained nothing and met a deadlock between
the two on a segment's relationships (docs/BENCHMARKS.md, "Segment write-back"); measure before raising it."""
LOCK_FILE = ".writeback.lock"
WRITTEN = "assignments.written.parquet"
"""A copy of the assignments.parquet the graph holds, kept in the run folder once a write of it is complete (its
SHA-256 is then the run node's ``assignments_sha``): a refresh after `shopgraph assign` sends only the rows that
differ from it."""
CHANGED = ".refresh.parquet"  # the rows a refresh sends, beside the run's files while it runs
ASSIGNMENT_COLUMNS = ("user_id", "segment_id", "confidence", "low_confidence")
USER_COPY = (
    ("confidence", "segment_confidence", 0.0),
    ("low_confidence", "segment_low_confidence", True),
)
"""The columns of assignments.parquet copied onto every User, besides the segment itself (name,
French name, id: from its Segment node) and ``segment_run``/``segmented_at``: (column, User
property, value for a user the run has no row for; None removes it). The one place to add one;
a column the file lacks is left out."""
READERS_PATIENCE = 300.0
"""Seconds the write-back waits after the switch for queries begun before it (they may read the
previous run) before it deletes that run's IN_SEGMENT; then it goes on anyway."""
CURSORS = {"stage": "staged_rows", "copy": "users_copied"}  # the run's write cursor of each batched phase
THROUGH_THE_RUN = "through the run"  # WriteReport.switch of a new run: the pointer, then the User copy


@dataclass(frozen=True)
class WriteReport:
    """What :func:`write_run` did."""

    run_id: str
    users: int  # rows of assignments.parquet
    matched: int  # of those, users found in the graph (they carry the run's segment)
    not_in_graph: int  # assignments for users the graph does not hold (forgotten, not loaded): skipped
    missing_from_run: int  # users of the graph with no assignment: put in segment 0 with confidence 0
    segments: int
    previous_run_id: str | None  # the run that was current before (now retired), if any
    resumed: bool  # an interrupted write of this same run was finished
    already_current: bool  # the run was current already: nothing was rewritten
    cleaned_run_ids: tuple[str, ...] = ()  # interrupted writes of other runs, finished or removed
    switch: str = THROUGH_THE_RUN  # THROUGH_THE_RUN (a new run), "in place" (`assign` rewrote the current one)
    refreshed: int | None = None  # "in place": the assignment rows sent (those that differ from the graph's, or all)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase


@dataclass(frozen=True)
class RunFolder:
    """The parts of a run folder the write-back uses, checked."""

    path: Path
    run_id: str
    at: str
    run_props: dict[str, Any]
    segments: list[dict[str, Any]]  # [{segment_key, props}] for merge_segments
    names: dict[int, tuple[str, str]]  # segment_id -> (English, French) name
    prefers_categories: list[dict[str, Any]]
    prefers_brands: list[dict[str, Any]]
    migration: list[dict[str, Any]]  # [{from_key, to_key, users}]
    users: int
    assignments_sha: str  # SHA-256 of assignments.parquet: tells a rewrite by `shopgraph assign`
    updated_at: str  # the last `assign_updates[].at` of run.json, else ``at``
    copied: tuple[tuple[str, str, Any], ...] = ()  # the USER_COPY entries whose column the file has

    def key(self, segment_id: int) -> str:
        return segment_key(self.run_id, segment_id)

    @property
    def columns(self) -> list[str]:
        """The assignment columns the write-back sends: ASSIGNMENT_COLUMNS and the USER_COPY ones the file has."""
        return list(dict.fromkeys([*ASSIGNMENT_COLUMNS, *(c for c, _, _ in self.copied)]))

    def assignment_rows(
        self, start: int = 0, batch_size: int = DEFAULT_BATCH_SIZE, source: Path | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Batches of assignment rows from row ``start`` on, in the file's order (``source``: a file of the same
        columns holding some of them, default assignments.parquet)."""
        parquet = pq.ParquetFile(source or self.path / "assignments.parquet")
        columns = self.columns
        seen = 0
        for record_batch in parquet.iter_batches(batch_size=batch_size, columns=columns):
            if seen + record_batch.num_rows <= start:
                seen += record_batch.num_rows
                continue
            rows = record_batch.to_pylist()[max(0, start - seen) :]
            seen += record_batch.num_rows
            for row in rows:
                row["segment"], row["segment_fr"] = self.names[row["segment_id"]]
                row["segment_key"] = self.key(row["segment_id"])
                row["low_confidence"] = bool(row["low_confidence"])
            yield rows

    def segment_batches(
        self,
        start: int = 0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        phase: str = "stage",
        nodes: NodeIds | None = None,
        source: Path | None = None,
    ) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """``(rows done after it, groups)`` per batch from row ``start`` on, one group per segment:
        ``{segment_key, user_ids, node_ids, …}`` (``node_ids`` from ``nodes``, when given) and aligned lists, for
        ``phase`` "stage" the IN_SEGMENT values (``confidence``, ``low_confidence``), "copy" one list per USER_COPY
        property (a column the file lacks: no list, so the property is removed), "refresh" both. Column lists, a few
        per batch: cheap to send, and one Segment lookup per group instead of one per row."""
        stage = [("confidence", "confidence"), ("low_confidence", "low_confidence")]
        copy = [(prop, column) for column, prop, _ in self.copied]
        fields = {"stage": stage, "copy": copy, "refresh": stage + copy}[phase]
        done = start
        for rows in self.assignment_rows(start, batch_size, source):
            done += len(rows)
            groups: dict[str, dict[str, Any]] = {}
            for row in rows:
                key = row["segment_key"]
                if key not in groups:
                    groups[key] = {"segment_key": key, "user_ids": [], **{name: [] for name, _ in fields}}
                group = groups[key]
                group["user_ids"].append(row["user_id"])
                for name, column in fields:
                    group[name].append(row[column])
            if nodes is not None:
                for group in groups.values():
                    group["node_ids"] = nodes.ids(group["user_ids"])
            yield done, list(groups.values())

    def missing_copy(self) -> dict[str, Any]:
        """The USER_COPY properties of a user the run has no row for (put in segment 0)."""
        return {prop: default for _, prop, default in self.copied}


@dataclass
class _Batches:
    """How the membership is sent: rows per transaction, sessions writing at once, the users' node ids (read
    from ``db`` the first time a batch needs them; a write-back with nothing left to write reads none)."""

    db: QueryRunner
    size: int = DEFAULT_BATCH_SIZE
    writers: int = MEMBERSHIP_WRITERS
    known: NodeIds | None = None  # read by the caller for this write and the ones after it

    @cached_property
    def nodes(self) -> NodeIds:
        return self.known if self.known is not None else self.db.user_nodes()


def segment_key(run_id: str, segment_id: int) -> str:
    """The graph key of a run's segment: ``"<run_id>/<segment_id>"``."""
    return f"{run_id}/{int(segment_id)}"


# -- reading the run folder -------------------------------------------------------------------
def _bad(run_dir: Path, what: str) -> ShopgraphError:
    return ShopgraphError(f"run folder {run_dir} {what}: run `shopgraph segment` again to rebuild it")


def _read_json(run_dir: Path, name: str) -> Any:
    path = run_dir / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad(run_dir, f"has no {name}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _bad(run_dir, f"has an unreadable {name} ({exc})") from None


def _bilingual(obj: Mapping[str, Any], name: str, default: Any = None) -> tuple[Any, Any]:
    """``(en, fr)`` from ``{"name": {"en", "fr"}}`` or ``{"name": en, "name_fr": fr}``."""
    value = obj.get(name, default)
    if isinstance(value, Mapping):
        en = value.get("en", default)
        return en, value.get("fr", en)
    return value, obj.get(f"{name}_fr", value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _segment_list(raw: Any, run_dir: Path) -> list[dict[str, Any]]:
    if isinstance(raw, Mapping):
        raw = raw.get("segments")
    if not isinstance(raw, list) or not all(isinstance(s, Mapping) and "segment_id" in s for s in raw):
        raise _bad(run_dir, "has a segments.json that is not a list of segments with a segment_id")
    return list(raw)


def _preferences(segment: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    found = segment.get(kind)
    if found is None and isinstance(segment.get("prefers"), Mapping):
        found = segment["prefers"].get(kind)
    return list(found or [])


def read_run_folder(run_dir: Path, workspace: Workspace | None = None) -> RunFolder:
    """Read and check what the write-back needs from ``run_dir`` (see the module docstring); with the
    ``workspace``, the assignments are checked by a DuckDB held to the event store's read bound."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ShopgraphError(f"no run folder at {run_dir}: run `shopgraph segment` first")
    run = _read_json(run_dir, "run.json")
    run_id = str(run.get("run_id") or run_dir.name)
    if run.get("at") is None:
        raise _bad(run_dir, "has a run.json without `at` (when the run was made)")
    with bounded_connection(workspace) if workspace else duckdb.connect() as con:
        counts = _check_assignments(run_dir, con)
    users, present = counts["users"], counts["by_segment"]
    sha = file_sha256(run_dir / "assignments.parquet")
    profiles = _profiles(run_dir, run, users, present)
    segments: list[dict[str, Any]] = []
    names: dict[int, tuple[str, str]] = {}
    categories: list[dict[str, Any]] = []
    brands: list[dict[str, Any]] = []
    for sid, profile in sorted(profiles.items()):
        key = segment_key(run_id, sid)
        props = _segment_props(run_dir, sid, profile, present)
        names[sid] = (props["name"], props["name_fr"])
        segments.append({"segment_key": key, "props": props})
        categories.extend(_category_rows(key, profile))
        brands.extend(_brand_rows(key, profile))
    mismatched = [sid for sid, name in counts["names"].items() if sid in names and name != names[sid][0]]
    if mismatched:
        raise _bad(run_dir, f"names segments {mismatched[:5]} differently in assignments.parquet and segments.json")
    updates = [u for u in run.get("assign_updates") or [] if isinstance(u, Mapping) and u.get("at")]
    return RunFolder(
        run_dir,
        run_id,
        str(run["at"]),
        _run_props(run_dir, run, users, sha),
        segments,
        names,
        categories,
        brands,
        _migration(run_dir, run.get("previous_run_id"), run_id),
        users,
        sha,
        str(updates[-1]["at"]) if updates else str(run["at"]),
        tuple(entry for entry in USER_COPY if entry[0] in counts["columns"]),
    )


def _profiles(run_dir: Path, run: Mapping[str, Any], users: int, present: dict[int, int]) -> dict[int, Any]:
    """segments.json by segment id, with segment 0 added when it does not list it; every assigned id profiled."""
    profiles = {int(s["segment_id"]): s for s in _segment_list(_read_json(run_dir, "segments.json"), run_dir)}
    if 0 not in profiles:
        profiles[0] = {
            "segment_id": 0,
            "name": dict(NOT_ENOUGH_ACTIVITY),
            "size": present.get(0, 0),
            "share": present.get(0, 0) / users if users else 0.0,
            "description": {
                "en": f"Fewer than {run.get('threshold')} events: too little activity to tell how they shop.",
                "fr": f"Moins de {run.get('threshold')} événements : trop peu d'activité pour savoir "
                "comment ils achètent.",
            },
        }
    unknown = sorted(set(present) - set(profiles))
    if unknown:
        raise _bad(run_dir, f"assigns segment ids {unknown[:5]} that segments.json does not profile")
    return profiles


def _segment_props(run_dir: Path, sid: int, profile: Mapping[str, Any], present: dict[int, int]) -> dict[str, Any]:
    """The properties of one ``(:Segment)`` node from its profile in segments.json."""
    name, name_fr = _bilingual(profile, "name")
    if not name:
        raise _bad(run_dir, f"has segment {sid} without a name in segments.json")
    description, description_fr = _bilingual(profile, "description", "")
    actions, actions_fr = _bilingual(profile, "actions", [])
    traits, traits_fr = _bilingual(profile, "traits", [])
    return {
        "segment_id": sid,
        "name": str(name),
        "name_fr": str(name_fr or name),
        "description": str(description or ""),
        "description_fr": str(description_fr or description or ""),
        "actions": _strings(actions),
        "actions_fr": _strings(actions_fr),
        "traits": _strings(traits),
        "traits_fr": _strings(traits_fr),
        "size": int(profile.get("size", present.get(sid, 0))),
        "share": _number(profile.get("share")),
        "revenue_share": _number(profile.get("revenue_share")),
        "conversion": _number(profile.get("conversion")),
        "profile_json": json.dumps(profile, sort_keys=True, default=str),
        **segment_properties(profile),  # the figures the per-segment analyst queries read
    }


def _category_rows(key: str, profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The segment's ``PREFERS`` rows to categories."""
    return [
        {
            "segment_key": key,
            "category_id": int(pref["category_id"]),
            "lift": _number(pref.get("lift")),
            "share": _number(pref.get("share")),
        }
        for pref in _preferences(profile, "categories")
    ]


def _brand_rows(key: str, profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The segment's ``PREFERS`` rows to brands."""
    return [
        {
            "segment_key": key,
            "brand": str(pref.get("brand", pref.get("name"))),
            "lift": _number(pref.get("lift")),
            "share": _number(pref.get("share")),
        }
        for pref in _preferences(profile, "brands")
    ]


def _migration(run_dir: Path, previous: str | None, run_id: str) -> list[dict[str, Any]]:
    """migration.csv as ``BECAME`` rows from the previous run's segments (none without a previous run)."""
    migration = []
    migration_path = run_dir / "migration.csv"
    if previous and migration_path.is_file():
        for row in duckdb.sql(f"SELECT * FROM read_csv({literal(str(migration_path))}, header = true)").fetchall():
            old, new, moved = row[:3]
            if moved:
                migration.append(
                    {"from_key": segment_key(previous, old), "to_key": segment_key(run_id, new), "users": int(moved)}
                )
    return migration


def _run_props(run_dir: Path, run: Mapping[str, Any], users: int, sha: str) -> dict[str, Any]:
    """The properties of the ``(:SegmentationRun)`` node from run.json."""
    chosen = run.get("chosen") if isinstance(run.get("chosen"), Mapping) else {}
    return {
        "k": run.get("k", chosen.get("k")),
        "method": run.get("method", chosen.get("method")),
        "threshold": run.get("threshold"),
        "seed": run.get("seed"),
        "code_version": run.get("code_version"),
        "data_window": _json_text(run.get("data_window")),
        "scores_json": _json_text(run.get("scores")),
        "parameters_json": _json_text(run.get("parameters")),
        "previous_run_id": run.get("previous_run_id"),
        "users": users,
        "run_dir": str(run_dir),
        "assignments_sha": sha,
    }


def _check_assignments(run_dir: Path, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Count the assignments per segment and refuse a file a write-back would get wrong."""
    path = run_dir / "assignments.parquet"
    if not path.is_file():
        raise _bad(run_dir, "has no assignments.parquet")
    columns = pq.ParquetFile(path).schema_arrow.names
    absent = [c for c in ASSIGNMENT_COLUMNS if c not in columns]
    if absent:
        raise _bad(run_dir, f"has an assignments.parquet without {', '.join(absent)}")
    source = f"read_parquet({literal(str(path))})"
    total, nulls, out_of_range = con.execute(
        f"SELECT count(*), "
        f"count(*) FILTER (WHERE user_id IS NULL OR segment_id IS NULL OR confidence IS NULL "
        f"  OR low_confidence IS NULL), "
        f"count(*) FILTER (WHERE confidence < 0 OR confidence > 1 OR isnan(confidence)) FROM {source}"
    ).fetchone()
    twice = total - _distinct_users(path)
    if twice:
        raise _bad(run_dir, f"assigns {twice} users twice in assignments.parquet")
    if nulls:
        raise _bad(run_dir, f"has {nulls} assignments with an empty user_id, segment_id, confidence or flag")
    if out_of_range:
        raise _bad(run_dir, f"has {out_of_range} assignments with a confidence outside 0..1")
    by_segment = dict(con.execute(f"SELECT segment_id, count(*) FROM {source} GROUP BY 1").fetchall())
    named: dict[int, str] = {}
    if "segment" in columns:
        pairs = con.execute(f"SELECT DISTINCT segment_id, segment FROM {source}").fetchall()
        for sid, name in pairs:
            if sid in named:
                raise _bad(run_dir, f"gives segment {sid} two names in assignments.parquet")
            named[sid] = name
    by_segment = {int(k): int(v) for k, v in by_segment.items()}
    return {"users": int(total), "by_segment": by_segment, "names": named, "columns": columns}


def _distinct_users(path: Path) -> int:
    """The distinct user ids of assignments.parquet (a null not counted, as SQL's ``count(DISTINCT user_id)``): the
    file is in user order, so checking that is a pass over one column (0.2-1.1 s at 14.1 M rows, where DuckDB's
    ``count(DISTINCT)`` hashed them in 1.7-3 s); a file out of order is sorted first."""
    ids = pq.read_table(path, columns=["user_id"]).column("user_id").drop_null().to_numpy(zero_copy_only=False)
    if not (ids[1:] >= ids[:-1]).all():
        ids = np.sort(ids)
    return int(len(ids) and 1 + np.count_nonzero(ids[1:] != ids[:-1]))


# -- writing ------------------------------------------------------------------------------------
def writeback_lock(workspace: Workspace):
    """One write-back at a time per workspace; a second one fails at once."""
    return exclusive_lock(
        workspace.segments_dir / LOCK_FILE, "another segment write-back is running: wait for it to finish"
    )


def write_run(
    db: QueryRunner,
    workspace: Workspace,
    run_dir: Path,
    progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    writers: int = MEMBERSHIP_WRITERS,
    nodes: NodeIds | None = None,
) -> WriteReport:
    """Write the run in ``run_dir`` to Neo4j and make it the current segmentation.

    No query sees two runs mixed, whatever the number of users: the run's Segment nodes and
    IN_SEGMENT relationships are staged invisibly in committed batches (a cursor on the run
    node), then ONE small transaction moves the pointer ``(:CurrentSegmentation {run_id})``
    (with the ``current`` flags and BECAME/FOLLOWS); the product's queries read the current
    run through that pointer. Then the User copy (``User.segment*``, ``segment_run`` saying
    which run it is from) is refreshed in batches and the previous run's IN_SEGMENT retired.
    Killed at any point, a re-run finishes without redoing committed batches (or, for a
    different run, first removes what the interrupted write staged). Writing the current run
    again only finishes leftovers (``already_current``) — unless ``shopgraph assign`` rewrote
    its assignments.parquet (its SHA-256 differs): then the users whose assignment changed are
    updated in place, batch by batch (same run, so no two runs mix). ``nodes``: the customers' node ids when the
    caller has read them (graph/node_ids.py), otherwise read here.

    Raises ``ShopgraphError`` (one line) for a run folder that is incomplete or inconsistent
    (a user assigned twice, a segment id without a profile, a confidence outside 0..1 …).
    """
    folder = read_run_folder(run_dir, workspace)
    report = progress or (lambda phase, done, total: None)
    seconds: dict[str, float] = {}
    with writeback_lock(workspace):
        started = time.perf_counter()
        states = {row["run_id"]: row for row in db.run("segments/run_states")}
        cleaned = tuple(_clean_leftovers(db, states, folder.run_id, report))
        seconds["clean"] = time.perf_counter() - started
        this = states.get(folder.run_id)
        same_file = this is not None and this["assignments_sha"] == folder.assignments_sha
        batches = _Batches(db, batch_size, writers, nodes)
        if this and this["current"]:
            written = _finish_current(db, workspace, folder, this, same_file, batches, report, cleaned, seconds)
        else:
            written = _write_new_run(db, folder, this, same_file, batches, report, cleaned, seconds)
        write_likely_segments(db, folder, batch_size, report, nodes=lambda: batches.nodes)
        return written


def _write_new_run(
    db: QueryRunner,
    folder: RunFolder,
    this: Mapping[str, Any] | None,
    same_file: bool,
    batches: _Batches,
    report: Progress,
    cleaned: tuple[str, ...],
    seconds: dict[str, float],
) -> WriteReport:
    """Stage the run, switch the pointer to it, copy it onto its users, retire the previous run."""
    started = time.perf_counter()
    resumed = _stage_run(db, folder, this, same_file, batches, report)
    seconds["stage"] = time.perf_counter() - started
    started = time.perf_counter()
    previous = _switch(db, folder, report)
    if previous:  # queries that read the previous run finish it whole before the copy deletes it
        _wait_for_readers(db, db.run("segments/server_time")[0]["now"])
    seconds["switch"] = time.perf_counter() - started
    started = time.perf_counter()
    _copy_users(db, folder, 0, batches, report)
    seconds["copy"] = time.perf_counter() - started
    started = time.perf_counter()
    if previous:
        _retire(db, previous, report)
    seconds["retire"] = time.perf_counter() - started
    return _report(db, folder, previous, resumed, False, cleaned, seconds, THROUGH_THE_RUN)


def _finish_current(
    db: QueryRunner,
    workspace: Workspace,
    folder: RunFolder,
    this: Mapping[str, Any],
    same_file: bool,
    batches: _Batches,
    report: Progress,
    cleaned: tuple[str, ...],
    seconds: dict[str, float],
) -> WriteReport:
    """The run is current already: apply a rewrite by `shopgraph assign`, or finish an interrupted User copy."""
    started = time.perf_counter()
    if not same_file:  # `shopgraph assign` rewrote the current run's assignments: apply the changes
        sent = _refresh_current(db, folder, _changed_rows(workspace, folder, this), batches, report)
        seconds["refresh"] = time.perf_counter() - started
        return replace(_report(db, folder, None, False, False, cleaned, seconds, "in place"), refreshed=sent)
    copied = this["user_copy"] == "done"
    if not copied:  # killed while copying the run onto the users: finish the copy
        _copy_users(db, folder, this["users_copied"], batches, report, resumed=True)
        seconds["copy"] = time.perf_counter() - started
    return _report(db, folder, None, not copied, copied, cleaned, seconds, THROUGH_THE_RUN)


def _stage_run(
    db: QueryRunner,
    folder: RunFolder,
    this: Mapping[str, Any] | None,
    same_file: bool,
    batches: _Batches,
    report: Progress,
) -> bool:
    """Stage the run invisibly (resuming an interrupted staging of the same file); returns whether it resumed."""
    restart = this is not None and this["state"] == "staging" and not same_file
    if restart:  # the folder changed since the interrupted write: what it staged is stale
        db.run("segments/retire_memberships", run_id=folder.run_id)
    begun = db.run("segments/begin_run", run_id=folder.run_id, at=folder.at, props=folder.run_props, restart=restart)[0]
    resumed = this is not None and this["state"] == "staging"
    db.run("segments/merge_segments", run_id=folder.run_id, segments=folder.segments)
    db.run("segments/merge_prefers_categories", rows=folder.prefers_categories)
    db.run("segments/merge_prefers_brands", rows=folder.prefers_brands)
    _write_batches(db, "segments/stage_members", "stage", folder, begun["staged_rows"], batches, report, resumed)
    db.run("segments/stage_missing", run_id=folder.run_id, zero_key=folder.key(0))
    return resumed


def write_likely_segments(
    db: QueryRunner,
    folder: RunFolder,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    writers: int = LIKELY_WRITERS,
    nodes: NodeIds | Callable[[], NodeIds] | None = None,
) -> int:
    """``User.likely_segment*`` from the run's likely-segment columns (segments/coverage.py), after the switch;
    returns the users written. Only the users whose guess differs from the graph's are written (the graph's read
    first, page by page): a month that assigns changes the guess of its new and changed customers, not of the
    millions under the threshold who did not come back. Users holding one the run no longer gives (a run without
    the columns: all) lose it. Sent as aligned column lists by ``writers`` sessions at once (each batch its own
    users, found by node id: ``nodes``, or a function that gives them, called only when a user is written or cleared;
    read when not given), the names once per batch as a map by segment id. The graph's guesses are read by
    LIKELY_READERS sessions at once."""
    path = folder.path / "assignments.parquet"
    wanted = pd.DataFrame(
        {
            "user_id": np.array([], np.int64),
            "likely_segment_id": np.array([], np.int64),
            "likely_segment_confidence": np.array([], np.float64),
        }
    )
    if "likely_segment_id" in pq.ParquetFile(path).schema_arrow.names:
        columns = ["user_id", "likely_segment_id", "likely_segment_confidence"]
        wanted = pq.read_table(path, columns=columns).to_pandas()
        wanted = wanted[wanted["likely_segment_id"] > 0]
    names = {str(sid): list(pair) for sid, pair in folder.names.items()}
    held = db.read_pages("segments/likely_held", LIKELY_HELD, LIKELY_PAGE, LIKELY_READERS, names=names)
    write, clear = likely_changes(wanted, held)
    say = progress or (lambda _p, _d, _t: None)
    say("likely segments", 0, len(write))
    if not len(write) and not len(clear):
        return 0
    found = nodes if isinstance(nodes, NodeIds) else nodes() if nodes is not None else db.user_nodes()
    written = 0
    batches = likely_batches(write, found, batch_size)
    for _batch, records in db.write_columns("segments/set_likely", batches, writers=writers, names=names):
        written += records[0]["written"]
        say("likely segments", written, len(write))
    for start in range(0, len(clear), batch_size):
        part = clear[start : start + batch_size]
        db.run("segments/clear_likely", user_ids=part.tolist(), node_ids=found.ids(part))
    return written


def likely_batches(guesses: pd.DataFrame, nodes: NodeIds, batch_size: int) -> Iterator[dict[str, list]]:
    """set_likely.cypher's aligned lists for the rows of ``guesses`` (``user_id``, ``likely_segment_id``,
    ``likely_segment_confidence``), ``batch_size`` users a batch, each found by its node id."""
    for start in range(0, len(guesses), batch_size):
        part = guesses.iloc[start : start + batch_size]
        yield {
            "user_ids": part["user_id"].tolist(),
            "node_ids": nodes.ids(part["user_id"].to_numpy()),
            "segment_ids": part["likely_segment_id"].astype("int64").tolist(),
            "confidences": part["likely_segment_confidence"].astype("float64").tolist(),
        }


LIKELY_PAGE = 500_000  # users per page of the graph's likely segments (one record of four lists)
LIKELY_READERS = 2
"""Sessions reading the graph's likely segments at once, each half of the user_id range (graph/node_ids.py,
key_ranges): on REES46 month 5's 14.1 M customers (8.1 M guesses) 19-42 s instead of 56-64 s, each page reading
every customer's properties from a store 7 times the page cache (docs/BENCHMARKS.md, "Segment write-back")."""
LIKELY_HELD = {"keys": np.int64, "segment_ids": np.int64, "confidences": np.float64, "named": bool}


def likely_changes(wanted: pd.DataFrame, held: Mapping[str, np.ndarray]) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``wanted`` (``user_id``, ``likely_segment_id``, ``likely_segment_confidence``) the graph does
    not hold as they are (``held``: likely_held.cypher's columns), and the user ids holding a likely segment
    that ``wanted`` does not give."""
    graph = pd.DataFrame(
        {
            "user_id": held["keys"],
            "held_id": held["segment_ids"],
            "held_confidence": held["confidences"],
            "named": held["named"],
        }
    )
    merged = wanted.merge(graph, on="user_id", how="left")
    same = (
        (merged["held_id"] == merged["likely_segment_id"])
        & (merged["held_confidence"] == merged["likely_segment_confidence"])
        & merged["named"].fillna(False).astype(bool)
    ).to_numpy()
    gone = np.setdiff1d(held["keys"], wanted["user_id"].to_numpy(np.int64), assume_unique=True)
    return wanted[~same].reset_index(drop=True), gone


def _write_batches(
    db: QueryRunner,
    name: str,
    phase: str,
    folder: RunFolder,
    start: int,
    batches: _Batches,
    report: Progress,
    resumed: bool = False,
) -> None:  # phase "stage" sends the IN_SEGMENT values, "copy" the USER_COPY ones
    """Send the run's assignments from row ``start`` to ``name`` in batches on ``batches.writers`` sessions at once,
    each batch committed with the run's cursor for ``phase`` (``$upto``), so that a re-run goes on from there.

    With several writers a batch may commit before the one ahead of it, so the cursor a batch sets is the rows
    done before the batches that may still be open beside it (the server keeps the largest): a re-run may start a
    few batches early (as many as the interrupted write had writers), so when ``resumed`` every batch carries
    ``$guard`` (the stage skips a user who holds the run's membership; the copy's SETs are the same twice)."""
    writers = batches.writers
    ends = deque([start] * writers, maxlen=writers)  # rows done after each of the last `writers` batches sent

    def sent():
        for done, groups in folder.segment_batches(start, batches.size, phase, batches.nodes):
            safe = done if writers == 1 else ends[0]  # every batch up to here has committed once this one does
            ends.append(done)
            yield {"groups": groups, "upto": safe, "guard": resumed, "done": done}

    report(phase, start, folder.users)
    written = db.write_columns(name, sent(), writers=writers, run_id=folder.run_id, at=folder.at)
    done = start
    for batch, _records in written:
        done = batch["done"]
        report(phase, done, folder.users)
    if writers > 1:  # every batch has committed: the cursor says so
        db.run("segments/set_cursor", run_id=folder.run_id, cursor={CURSORS[phase]: done})


def _switch(db: QueryRunner, folder: RunFolder, report: Progress) -> str | None:
    """The one small transaction that makes the run current, whatever its size: the pointer, the
    ``current`` flags, BECAME and FOLLOWS. Returns the run that was current before."""
    report("switch", 0, 1)
    with db.driver.session(database=db.database) as session, session.begin_transaction() as tx:
        tx.run(cypher.query("segments/merge_migration"), {"rows": folder.migration}).consume()
        previous = tx.run(cypher.query("segments/switch_current"), {"run_id": folder.run_id}).data()
        report("switch", 1, 1)  # sent, not yet committed
        tx.commit()
    return previous[0]["previous_run_id"] if previous else None


def _wait_for_readers(db: QueryRunner, since: str, patience: float = READERS_PATIENCE) -> None:
    """Wait (at most ``patience`` seconds) until no transaction that started before ``since`` is open."""
    deadline = time.monotonic() + patience
    while db.run("segments/readers_before", since=since)[0]["open"] and time.monotonic() < deadline:
        time.sleep(0.2)


def _copy_users(
    db: QueryRunner, folder: RunFolder, start: int, batches: _Batches, report: Progress, resumed: bool = False
) -> None:
    """Copy the current run onto its users (USER_COPY) in batches from row ``start``, each with its cursor;
    then the users the run has no row for."""
    _write_batches(db, "segments/copy_users", "copy", folder, start, batches, report, resumed)
    params = {"run_id": folder.run_id, "at": folder.at, "zero_key": folder.key(0), "copy": folder.missing_copy()}
    db.run("segments/copy_missing_users", **params)
    db.run("segments/finish_user_copy", run_id=folder.run_id)
    keep_written(folder.path, folder.assignments_sha)


def _refresh_current(
    db: QueryRunner, folder: RunFolder, changed: tuple[Path, int] | None, batches: _Batches, report: Progress
) -> int:
    """Apply a rewritten assignments.parquet of the current run: only the users that changed are written, on
    ``batches.writers`` sessions at once (each batch its own users; a batch written twice gives the same).
    ``changed``: the file of the rows that differ from what the graph holds and their number (:func:`_changed_rows`);
    None sends every row and the server skips the users that hold them already. Returns the rows sent.

    Same run before and after, so no two runs mix; while it runs, some users carry their
    updated assignment and others their earlier one of the same run. The run node's ``assignments_sha`` is cleared
    first and set last, so a refresh killed half-way is done again in full, whatever `assign` wrote since.
    """
    source, total = changed if changed else (None, folder.users)
    report("refresh", 0, total)
    db.run("segments/set_assignments_sha", run_id=folder.run_id, sha=None)
    db.run("segments/merge_segments", run_id=folder.run_id, segments=folder.segments)
    refreshed = folder.segment_batches(0, batches.size, "refresh", batches.nodes if total else None, source)
    sent = ({"groups": groups, "done": done} for done, groups in refreshed)
    written = db.write_columns(
        "segments/refresh_members", sent, writers=batches.writers, run_id=folder.run_id, at=folder.updated_at
    )
    for batch, _records in written:
        report("refresh", batch["done"], total)
    if _anyone_unassigned(folder, batches.nodes):
        params = {"run_id": folder.run_id, "at": folder.updated_at, "zero_key": folder.key(0)}
        db.run("segments/stage_missing", **params)
        db.run("segments/copy_missing_users", **params, copy=folder.missing_copy())
    db.run("segments/finish_user_copy", run_id=folder.run_id)
    db.run("segments/set_assignments_sha", run_id=folder.run_id, sha=folder.assignments_sha)
    if source:
        source.unlink(missing_ok=True)
    keep_written(folder.path, folder.assignments_sha)
    return total


def _anyone_unassigned(folder: RunFolder, nodes: NodeIds) -> bool:
    """Whether the graph holds a customer the run's assignments lack (``nodes``: every User's key, read for this
    write). Only then must a refresh stage the users without a row: those statements read every User and every
    membership of segment 0 (47 s with nothing to stage on REES46 month 5's 14.1 M customers, docs/BENCHMARKS.md)."""
    column = pq.read_table(folder.path / "assignments.parquet", columns=["user_id"]).column("user_id")
    assigned = np.sort(column.to_numpy().astype(np.int64))  # in user order already: the sort only checks it
    return not bool(members(nodes.keys, assigned).all())


def _changed_rows(workspace: Workspace, folder: RunFolder, this: Mapping[str, Any]) -> tuple[Path, int] | None:
    """The rows of assignments.parquet that differ from what the graph holds, written to CHANGED in user order,
    and their number; None when the graph's copy is not known for certain (no complete write of a kept file, a
    refresh killed half-way, a kept file of other columns): then every row is sent."""
    kept = folder.path / WRITTEN
    if this.get("user_copy") != "done" or not kept.is_file() or file_sha256(kept) != this.get("assignments_sha"):
        return None
    columns = ", ".join(f'"{c}"' for c in folder.columns)
    out = folder.path / CHANGED
    query = (
        f"COPY (SELECT {columns} FROM read_parquet({literal(str(folder.path / 'assignments.parquet'))}) "
        f"EXCEPT SELECT {columns} FROM read_parquet({literal(str(kept))}) ORDER BY user_id) "
        f"TO {literal(str(out))} (FORMAT parquet, COMPRESSION zstd)"
    )
    try:
        with bounded_connection(workspace) as con:
            con.execute(query)
            return out, int(con.execute(f"SELECT count(*) FROM read_parquet({literal(str(out))})").fetchone()[0])
    except duckdb.Error:
        out.unlink(missing_ok=True)
        return None


def keep_written_before_assign(workspace: Workspace) -> None:
    """Before `assign` rewrites the current run's assignments: keep a copy of them when the run has none (a run
    written before copies were kept); the write-back uses it only if its SHA-256 is the one the graph holds. Called
    by `assign` and `run`, not by the segmentation, whose source changed would retrain (pipeline/run.py)."""
    from segments.runs import current_run_dir

    run_dir = current_run_dir(workspace)
    if run_dir is not None and (run_dir / "assignments.parquet").is_file() and not (run_dir / WRITTEN).exists():
        keep_written(run_dir)


def keep_written(run_dir: Path, sha: str | None = None) -> None:
    """Copy the run's assignments.parquet to WRITTEN (atomically); with ``sha``, only while the file still has that
    SHA-256 (`assign` may have rewritten it meanwhile: then no copy is kept and the next refresh sends every row)."""
    kept, staged = run_dir / WRITTEN, run_dir / (WRITTEN + ".tmp")
    shutil.copyfile(run_dir / "assignments.parquet", staged)
    if sha is None or file_sha256(staged) == sha:
        os.replace(staged, kept)
    else:
        staged.unlink()
        kept.unlink(missing_ok=True)


def _clean_leftovers(
    db: QueryRunner, states: Mapping[str, Mapping[str, Any]], run_id: str, report: Progress
) -> Iterator[str]:
    """Finish retiring runs a killed write left ``retiring``; remove other runs left ``staging``."""
    for other, state in states.items():
        if state["current"]:
            continue
        if state["state"] == "retiring":  # killed after a switch: queries begun before may still read it
            _wait_for_readers(db, db.run("segments/server_time")[0]["now"])
            _retire(db, other, report)
            yield other
        elif state["state"] == "staging" and other != run_id:
            report("clean", 0, 1)
            db.run("segments/retire_memberships", run_id=other)
            db.run("segments/drop_staged_run", run_id=other)  # a run that was never current goes …
            db.run("segments/finish_retire", run_id=other)  # … one that was current once stays as history
            report("clean", 1, 1)
            yield other


def _retire(db: QueryRunner, run_id: str, report: Progress) -> None:
    """Delete the previous run's memberships (the copy leaves them: no query reads them through the pointer), then
    mark it retired. One statement committing 10,000 a transaction: a loop of LIMIT batches, which could show its
    progress row by row, took 1.4x as long at 1 M customers (docs/BENCHMARKS.md, "Segment write-back")."""
    total = db.run("segments/count_members", run_id=run_id)[0]["members"]
    report("retire", 0, total)
    db.run("segments/retire_memberships", run_id=run_id)
    db.run("segments/finish_retire", run_id=run_id)
    report("retire", total, total)


def _report(
    db: QueryRunner,
    folder: RunFolder,
    previous: str | None,
    resumed: bool,
    already: bool,
    cleaned: tuple[str, ...],
    seconds: dict[str, float],
    mode: str,
) -> WriteReport:
    counts = db.run("segments/count_members", run_id=folder.run_id)[0]
    matched = counts["members"] - counts["missing"]
    return WriteReport(
        run_id=folder.run_id,
        users=folder.users,
        matched=matched,
        not_in_graph=folder.users - matched,
        missing_from_run=counts["missing"],
        segments=len(folder.segments),
        previous_run_id=previous,
        resumed=resumed,
        already_current=already,
        cleaned_run_ids=cleaned,
        switch=mode,
        seconds=seconds,
    )
