"""A small synthetic shop loaded into the test Neo4j with features, fixture segments and fake user vectors.

Built once per test module (the ``segmented`` fixture of tests/integration/conftest.py): `synth` →
ingest → load → features, then the TEST FIXTURE segments (tests/support/segment_fixture.py) and a
fake ``embeddings/user_vectors.parquet`` written to the graph by graph/vectors.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from events.ingest import ingest_files
from events.store import connect_events
from events.synth import generate
from features.calendar import load_calendar
from features.compute import build_user_features
from features.graph_write import write_user_features
from graph.connection import QueryRunner
from graph.load import load
from graph.schema import apply_schema, reset_database
from graph.vectors import write_user_vectors
from shopgraph.workspace import Workspace
from tests.support.segment_fixture import Assignment, previous_assignments, rule_assignments, write_segments

USERS = 400
DIMENSIONS = 8
PSEUDONYM_KEY = "analyst-test-key"


@dataclass
class World:
    workspace: Workspace
    db: QueryRunner
    features: Path
    current: dict[int, Assignment]
    previous: dict[int, Assignment]
    vectors: dict[int, np.ndarray]
    synth_dir: Path

    def duck(self) -> duckdb.DuckDBPyConnection:
        """DuckDB over the event store (view ``events``), the assignments (``seg``, ``prev``) and features."""
        con = connect_events(self.workspace)
        con.execute("CREATE TEMP TABLE seg (user_id BIGINT, segment_id INT, segment VARCHAR, confidence DOUBLE)")
        con.executemany(
            "INSERT INTO seg VALUES (?, ?, ?, ?)",
            [(u, a.segment_id, a.name, a.confidence) for u, a in self.current.items()],
        )
        con.execute("CREATE TEMP TABLE prev (user_id BIGINT, segment_id INT, segment VARCHAR)")
        con.executemany(
            "INSERT INTO prev VALUES (?, ?, ?)", [(u, a.segment_id, a.name) for u, a in self.previous.items()]
        )
        con.execute(f"CREATE TEMP VIEW feat AS SELECT * FROM read_parquet('{self.features}')")
        return con


def write_fake_vectors(
    workspace: Workspace, user_ids: list[int], dims: int = DIMENSIONS, seed: int = 5
) -> dict[int, np.ndarray]:
    """Random vectors for ``user_ids`` (the first ones the same for a seed, whatever the count), written."""
    rng = np.random.default_rng(seed)
    ids = sorted(user_ids)
    vectors = dict(zip(ids, rng.normal(size=(len(ids), dims)).astype(np.float32), strict=True))
    write_vectors(workspace, vectors)
    return vectors


def write_vectors(workspace: Workspace, vectors: dict[int, np.ndarray]) -> None:
    """A user_vectors.parquet as embeddings/__init__.py specifies it (FLOAT[d], sorted by user_id)."""
    ids = sorted(vectors)
    dims = len(vectors[ids[0]])
    flat = np.concatenate([np.asarray(vectors[u], np.float32) for u in ids])
    table = pa.table(
        {
            "user_id": pa.array(ids, pa.int64()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), dims),
            "source": pa.array(["trained"] * len(ids)),
        }
    )
    workspace.embeddings_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, workspace.embeddings_dir / "user_vectors.parquet")


def build_world(db: QueryRunner, home: Path) -> World:
    """`synth` → ingest → load → features, the fixture segments and fake vectors, in ``home`` and ``db``
    (the caller points ``SHOPGRAPH_HOME``, the pseudonym key and the Neo4j variables at them)."""
    workspace = Workspace(home)
    reset_database(db)
    db.run_text("DROP INDEX user_embedding IF EXISTS")
    apply_schema(db)
    synth_dir = home.parent / "synth"
    result = generate(synth_dir, users=USERS, months="2019-10..2019-12", seed=11)
    ingest_files(workspace, list(result.files))
    load(db, workspace, batch_size=2_000)
    table = build_user_features(workspace, load_calendar())
    write_user_features(db, table.path)
    current, previous = rule_assignments(table.path), previous_assignments(table.path)
    write_segments(db, current, previous)
    vectors = write_fake_vectors(workspace, list(current))
    write_user_vectors(db, workspace, batch_size=150)
    return World(workspace, db, table.path, current, previous, vectors, synth_dir)


def clear_world(db: QueryRunner) -> None:
    """Leave the shared test database as the other modules expect it: no fixture constraint or vector index."""
    reset_database(db)
    db.run_text("DROP INDEX user_embedding IF EXISTS")
    db.run_text("DROP CONSTRAINT segment_key_unique IF EXISTS")
    apply_schema(db)
