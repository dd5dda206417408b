"""Run folders: ids, atomic files, the staging folder renamed when complete, the ``current`` pointer."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_path, write_text_atomic
from shopgraph.sqltext import literal
from shopgraph.workspace import Workspace

CURRENT = "current"


def runs_dir(workspace: Workspace) -> Path:
    return workspace.segments_dir / "runs"


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def staging_dir(workspace: Workspace, run_id: str) -> Path:
    """An empty folder the run is written into before :func:`publish` renames it."""
    path = runs_dir(workspace) / f".tmp-{run_id}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def remove_leftovers(workspace: Workspace) -> list[Path]:
    """Delete staging folders of runs that were interrupted."""
    root = runs_dir(workspace)
    gone = sorted(root.glob(".tmp-*")) if root.is_dir() else []
    for path in gone:
        shutil.rmtree(path, ignore_errors=True)
    return gone


def publish(workspace: Workspace, staging: Path, run_id: str) -> Path:
    """Rename the complete staging folder to its run id, then switch ``segments/current`` (last)."""
    final = runs_dir(workspace) / run_id
    os.replace(staging, final)
    write_text(workspace.segments_dir / CURRENT, run_id + "\n")
    return final


def current_run_id(workspace: Workspace) -> str | None:
    path = workspace.segments_dir / CURRENT
    if not path.is_file():
        return None
    run_id = path.read_text(encoding="utf-8").strip()
    return run_id if (runs_dir(workspace) / run_id).is_dir() else None


def current_run_dir(workspace: Workspace) -> Path | None:
    run_id = current_run_id(workspace)
    return runs_dir(workspace) / run_id if run_id else None


def require_current(workspace: Workspace) -> Path:
    path = current_run_dir(workspace)
    if path is None:
        raise ShopgraphError(f"no segmentation run in {workspace.segments_dir}: run `shopgraph segment` first")
    return path


def embedding_changed(workspace: Workspace, run_dir: Path) -> str | None:
    """Why the run's classifier cannot assign with the stored vectors: the embedding was trained again after the
    run (its vectors live in another space). None when it is the run's own, or the run predates the record."""
    from embeddings.store import embedding_id

    used = read_json(run_dir / "run.json").get("inputs", {}).get("embedding_id")
    now = embedding_id(workspace)
    if used is None or now is None or now == used:
        return None
    return f"the embedding was trained again after segmentation run {run_dir.name}"


def write_text(path: Path, text: str) -> None:
    write_text_atomic(path, text)


def write_json(path: Path, record: object) -> None:
    write_text(path, json.dumps(record, indent=2, ensure_ascii=False, default=_jsonable) + "\n")


def _jsonable(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def read_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")


def upsert_parquet(path: Path, update: pd.DataFrame, keep: pd.Series, con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite ``path`` (rows keyed by ``user_id``) with ``update``'s rows in place of its own or added, only the users
    in ``keep``, in ``user_id`` order; the old file's columns keep their types. DuckDB streams it, so the old table is
    never whole in this process (1.1 GiB of assignments at REES46 month 4, docs/BENCHMARKS.md, "Scale")."""
    con.register("upsert_update", update)
    con.register("upsert_keep", pd.DataFrame({"user_id": keep.to_numpy(np.int64)}))
    old = f"read_parquet({literal(str(path))})"
    merged = (
        f"SELECT * FROM {old} WHERE user_id IN (SELECT user_id FROM upsert_keep) "
        "AND user_id NOT IN (SELECT user_id FROM upsert_update) UNION ALL BY NAME SELECT * FROM upsert_update"
    )
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {old})").fetchall())
    names = [row[0] for row in con.execute(f"DESCRIBE {merged}").fetchall()]
    columns = ", ".join(
        f'CAST("{name}" AS {types[name]}) AS "{name}"' if name in types else f'"{name}"' for name in names
    )
    with atomic_path(path) as tmp:
        con.execute(
            f"COPY (SELECT {columns} FROM ({merged}) ORDER BY user_id) TO {literal(str(tmp))} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    con.unregister("upsert_update")
    con.unregister("upsert_keep")


def write_parquet_parts(path: Path, frames: Iterable[pd.DataFrame], schema: pa.Schema) -> None:
    """One parquet file from ``frames`` written one after the other (each with ``schema``'s columns and types),
    so a large table is never whole in memory; read back, it is their concatenation."""
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for frame in frames:
            writer.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
