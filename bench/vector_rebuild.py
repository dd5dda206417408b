"""The vectors step's index choice (graph/vectors.py `rebuild_pays`): update the look-alike index in place, or
drop it, write and make it anew; each timed through `write_user_vectors` against the other, in the same run.

Usage::

    .venv/bin/python bench/vector_rebuild.py [--vectors HOME/embeddings/user_vectors.parquet] [--users 1000000]
        [--shares 0.2 0.5] [--home /tmp/sg-bench-vrebuild] [--bolt-port 7698]

Starts its own Neo4j unless one runs on the port (workspace ``--home``; heap and page cache from
``SHOPGRAPH_NEO4J_HEAP``/``_PAGECACHE``). ``--users`` vectors drawn (seeded) from the file (real node2vec output;
without one, a Gaussian mixture) go on as many User nodes, the index made after (a first write). Then for each
share s, twice: s of the customers get another customer's vector (a later month's changed customers), and the
write sends those only, once with the index kept in place (one HNSW insert each) and once with it dropped and
made anew over all of them. The reference is the rebuild of the same share (× ref: its seconds over the in-place
write's, above 1 where in place is faster). Figures: docs/BENCHMARKS.md,
"Vector index".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from run_child import own_server, use_bench_home  # bench/ is first on sys.path
from vector_index import sample_vectors

REPO = Path(__file__).resolve().parents[1]
BATCH = 10_000


def write_file(workspace, ids: np.ndarray, vectors: np.ndarray) -> None:
    """The vector file where `shopgraph embed` writes it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from graph.vectors import vectors_path

    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
    path = vectors_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"user_id": ids.astype(np.int64), "vector": column}), path)


def put_users(db, ids: np.ndarray) -> None:
    """An empty graph with the schema and one bare User per id."""
    from graph.schema import apply_schema, reset_database

    reset_database(db)
    apply_schema(db)
    db.run_text("DROP INDEX user_embedding IF EXISTS")
    for start in range(0, len(ids), BATCH):
        db.run_text("UNWIND $ids AS id CREATE (:User {user_id: id})", {"ids": ids[start : start + BATCH].tolist()})


def timed_write(db, workspace, rebuild: bool | None) -> tuple[float, object]:
    from graph.vectors import write_user_vectors

    started = time.perf_counter()
    written = write_user_vectors(db, workspace, rebuild_index=rebuild)
    return time.perf_counter() - started, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=Path, help="a user_vectors.parquet (default: 50 Gaussian clusters)")
    parser.add_argument("--users", type=int, default=1_000_000, help="vectors the graph holds")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.2, 0.5], help="shares of them changed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-vrebuild"))
    parser.add_argument("--bolt-port", type=int, default=7698)
    parser.add_argument("--http-port", type=int, default=7485)
    args = parser.parse_args()
    use_bench_home(args.home, args.bolt_port, args.http_port)
    sys.path.insert(0, str(REPO))

    from graph.connection import connect
    from graph.vectors import rebuild_pays
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace

    ids, vectors = sample_vectors(args.vectors, args.users, args.seed)
    held = len(ids)
    rng = np.random.default_rng(args.seed + 1)
    settings = Settings.from_env()
    workspace = Workspace.from_env()
    with own_server(settings), connect(settings) as db:
        print(
            f"# bench/vector_rebuild  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  Neo4j "
            f"{settings.neo4j_version}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.1f}"
        )
        put_users(db, ids)
        write_file(workspace, ids, vectors)
        took, first = timed_write(db, workspace, None)
        write_s = took - first.index_seconds
        print(
            f"{held:,} users, {vectors.shape[1]} dimensions, from {args.vectors or 'a Gaussian mixture'}: first write "
            f"{took:.1f}s (written without the index {write_s:.1f}s, {held / write_s:,.0f}/s; index made in "
            f"{first.index_seconds:.1f}s, {held / first.index_seconds:,.0f}/s)"
        )
        print(f"{'share':>6} {'sent':>10} {'in place s':>11} {'per s':>8} {'rebuild s':>10} {'× ref':>6}  rule")
        for share in args.shares:
            seconds, sent = {}, {}
            for rebuild in (False, True):
                changed = rng.choice(held, int(share * held), replace=False)
                vectors[changed] = vectors[rng.permutation(changed)]  # another customer's vector (or its own)
                write_file(workspace, ids, vectors)
                seconds[rebuild], written = timed_write(db, workspace, rebuild)
                sent[rebuild] = written.written
            choice = "rebuild" if rebuild_pays(sent[False]) else "in place"
            print(
                f"{share:6.2f} {sent[False]:10,} {seconds[False]:11.1f} {sent[False] / seconds[False]:8,.0f} "
                f"{seconds[True]:10.1f} {seconds[True] / seconds[False]:6.2f}  {choice}"
            )
        print(f"load avg at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
