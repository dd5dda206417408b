"""Where the per-customer write-backs spend their time: batch sizes, parameter shapes, prefetching, the
vector index, each against the floor measured in the same run.

Usage::

    .venv/bin/python bench/write_shapes.py [--users 200000] [--home /tmp/sg-bench-shapes] [--bolt-port 7695]

Starts its own Neo4j unless one runs on the port (workspace ``--home``). On a graph of N User nodes
(bench/segment_writeback.py's ``make_graph``), with the users in random order and committed batches:

* ``floor``: ``UNWIND $rows AS r MATCH (u:User {user_id: r.user_id}) SET u.x = r.v`` at 5k, 20k, 50k rows;
* the features' 28 graph metrics: the old shape (one map per row, ``SET u += row.props``,
  bench/cypher/set_user_features_maps.cypher) at the first batch size, and the product's (aligned
  column lists, features/graph_write.py) per batch size with the next batch prefetched, and at the
  last size without; plus the client's own seconds (reading the table, building and packing the
  parameters, nothing sent);
* the vectors (32 dimensions): with the vector index dropped first and re-created after (its
  population included) at the first two sizes, and with the index in place at the second;
* ``PROFILE`` of one batch of each statement, rolled back: operators, rows, db hits.

Each figure is customers/s and the ratio to the floor at the same batch size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from run_child import own_server, use_bench_home  # bench/ is first on sys.path

REPO = Path(__file__).resolve().parents[1]
BENCH_CYPHER = Path(__file__).resolve().parent / "cypher"


def write_feature_table(path: Path, n: int, seed: int = 5) -> None:
    """A feature table of ``n`` users with the registry's on_graph metrics and last_seen (about 10 % nulls in the
    rates); another ``seed`` gives other values, so that a write changes every user."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from features.registry import KEY, graph_metrics

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {KEY: rng.permutation(np.arange(1, n + 1, dtype=np.int64))}
    for m in graph_metrics():
        if m.dtype == "VARCHAR":
            columns[m.name] = pa.array([f"value {i % 40}" for i in rng.integers(0, 1000, n)])
        elif m.dtype == "DOUBLE":
            values = rng.random(n)
            columns[m.name] = pa.array(values, mask=rng.random(n) < 0.1)
        else:
            columns[m.name] = pa.array(rng.integers(0, 100, n), type=pa.int64() if m.dtype == "BIGINT" else pa.int32())
    # the window's end is the latest last_seen (features/graph_write.py)
    columns["last_seen"] = np.datetime64("2020-01-31T23:59:59") - rng.integers(0, 86_400 * 120, n).astype("m8[s]")
    pq.write_table(pa.table(columns), path)


def floor(db, n: int, batch: int) -> float:
    """The bare one-property write over ``n`` users in random order: rows/s."""
    import numpy as np

    ids = np.random.default_rng(batch).permutation(np.arange(1, n + 1)).tolist()
    statement = "UNWIND $rows AS r MATCH (u:User {user_id: r.user_id}) SET u.x = r.v"
    t0 = time.perf_counter()
    with db.driver.session() as session:
        for start in range(0, n, batch):
            rows = [{"user_id": u, "v": 0.5} for u in ids[start : start + batch]]
            session.execute_write(lambda tx, rows=rows: tx.run(statement, {"rows": rows}).consume())
    return n / (time.perf_counter() - t0)


def maps_rows(path: Path, batch: int) -> Iterator[dict[str, Any]]:
    """The old shape, as features/graph_write.py built it before: one ``{user_id, props}`` map per user."""
    import math

    import pyarrow.parquet as pq

    from features.registry import KEY, graph_metrics

    names = [m.name for m in graph_metrics()]
    for record_batch in pq.ParquetFile(path).iter_batches(batch_size=batch, columns=[KEY, *names]):
        data = record_batch.to_pydict()
        ids = data.pop(KEY)
        values = [data[name] for name in names]
        for i, user_id in enumerate(ids):
            props = {}
            for name, column in zip(names, values, strict=True):
                v = column[i]
                props[name] = None if isinstance(v, float) and not math.isfinite(v) else v
            yield {"user_id": user_id, "props": props}


def features_maps(db, path: Path, batch: int) -> float:
    """The old features write: lists of maps through QueryRunner.write_batches; seconds."""
    import cypher

    statement = cypher.split_statements((BENCH_CYPHER / "set_user_features_maps.cypher").read_text())[0]

    def write(tx, rows):
        tx.run(statement, {"rows": rows, "computed_at": "bench"}).consume()

    t0 = time.perf_counter()
    with db.driver.session() as session:
        rows: list[dict[str, Any]] = []
        for row in maps_rows(path, batch):
            rows.append(row)
            if len(rows) == batch:
                session.execute_write(write, rows)
                rows = []
        if rows:
            session.execute_write(write, rows)
    return time.perf_counter() - t0


def features_columns(db, path: Path, batch: int, prefetch: bool) -> float:
    """The product's features write (features/graph_write.py) at ``batch``; seconds."""
    from features.graph_write import SET_QUERY, user_columns

    t0 = time.perf_counter()
    nodes = db.user_nodes()  # as the product: each batch finds its users by node id
    batches = (b | {"node_ids": nodes.ids(b["user_ids"])} for b in user_columns(path, batch))
    for _ in db.write_columns(SET_QUERY, batches, prefetch=prefetch, computed_at="bench"):
        pass
    return time.perf_counter() - t0


def client_only(make: Callable[[], Iterator[Any]]) -> float:
    """Seconds to build every batch's parameters and pack them as the driver would, nothing sent."""
    from neo4j._codec.packstream.v1 import _rust_pack

    t0 = time.perf_counter()
    for item in make():
        if _rust_pack is not None:
            _rust_pack(item, {})
    return time.perf_counter() - t0


def batched(rows: Iterator[dict[str, Any]], batch: int) -> Iterator[dict[str, Any]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == batch:
            yield {"rows": chunk}
            chunk = []
    if chunk:
        yield {"rows": chunk}


def vectors(db, workspace, n: int, batch: int, rebuild: bool) -> tuple[float, float]:
    """write_user_vectors with the index in place (``rebuild`` False) or dropped first and re-created
    after; (seconds in all, seconds of the index population)."""
    from graph.vectors import ensure_index, write_user_vectors

    ensure_index(db, 32)
    t0 = time.perf_counter()
    written = write_user_vectors(db, workspace, batch_size=batch, rebuild_index=rebuild)
    took = time.perf_counter() - t0
    assert written.matched == n, written
    return took, written.index_seconds


def profile(db, statement: str, params: dict[str, Any]) -> str:
    """``PROFILE`` of one statement in a transaction rolled back: one line per operator."""
    with db.driver.session() as session, session.begin_transaction() as tx:
        t0 = time.perf_counter()
        summary = tx.run("PROFILE " + statement, params).consume()
        took = time.perf_counter() - t0
        tx.rollback()
    lines: list[str] = []

    def walk(op: dict[str, Any], depth: int) -> None:
        name = op.get("operatorType", "?").split("@")[0]
        lines.append(f"    {'  ' * depth}{name:<28} rows {op.get('rows', 0):>9,}  db hits {op.get('dbHits', 0):>10,}")
        for child in op.get("children", []):
            walk(child, depth + 1)

    walk(summary.profile, 0)
    return f"  {took:.2f}s for the batch\n" + "\n".join(lines)


def profiles(db, features: Path, workspace, batch: int) -> None:
    """PROFILE one batch of the floor, both features shapes and the vectors (rolled back)."""
    import cypher
    from features.graph_write import SET_QUERY, user_columns
    from graph.vectors import _rows

    columns = next(user_columns(features, batch))
    rows = next(batched(maps_rows(features, batch), batch))["rows"]
    maps = cypher.split_statements((BENCH_CYPHER / "set_user_features_maps.cypher").read_text())[0]
    floor_rows = [{"user_id": r["user_id"], "v": 0.5} for r in rows]
    ids, vecs = next(_rows(workspace.embeddings_dir / "user_vectors.parquet", batch))
    shown = {
        "floor": ("UNWIND $rows AS r MATCH (u:User {user_id: r.user_id}) SET u.x = r.v", {"rows": floor_rows}),
        "features, maps": (maps, {"rows": rows, "computed_at": "bench"}),
        "features, columns": (cypher.query(SET_QUERY), {**columns, "computed_at": "bench"}),
        "vectors": (cypher.query("vectors/set_user_embeddings"), {"user_ids": ids, "vectors": vecs, "stamp": "b"}),
    }
    for name, (statement, params) in shown.items():
        print(f"PROFILE {name}, one batch of {batch:,} (rolled back):")
        print(profile(db, statement, params))


def measure(db, workspace, n: int, tmp: Path, batches: list[int], parts: list[str]) -> None:
    sys.path.append(str(Path(__file__).resolve().parent))  # after the repo: bench/features.py is no package
    from segment_writeback import make_graph, write_vectors

    from features.graph_write import user_columns

    print(f"\n{n:,} users: created in {make_graph(db, n):.1f}s")
    features = tmp / "features.parquet"
    write_feature_table(features, n)
    write_vectors(workspace, n)
    if "vectors" in parts:
        vectors(db, workspace, n, batches[-1], rebuild=True)  # every user has a vector, as after a first run
    floors = {b: floor(db, n, b) for b in batches}
    for b, rate in floors.items():
        print(f"floor, batches of {b:>6,}: {rate:>9,.0f} rows/s")
    show = lambda what, b, took: print(  # noqa: E731
        f"{what:<44} batches of {b:>6,}: {took:6.1f}s {n / took:>9,.0f} customers/s  ratio {n / took / floors[b]:.2f}"
    )
    seeds = iter(range(100, 200))  # every timed write below changes every user's values
    if "features" in parts:
        for b in batches:
            maps_client = client_only(lambda b=b: batched(maps_rows(features, b), b))
            cols_client = client_only(lambda b=b: user_columns(features, b))
            print(
                f"client only (read, build, pack), batches of {b:,}: "
                f"maps {maps_client:.1f}s, columns {cols_client:.1f}s"
            )
        show("features, columns, first onto bare users", batches[0], features_columns(db, features, batches[0], True))
        write_feature_table(features, n, next(seeds))
        show("features, maps (before)", batches[0], features_maps(db, features, batches[0]))
        for b in batches:
            write_feature_table(features, n, next(seeds))
            show("features, columns, prefetch", b, features_columns(db, features, b, True))
        write_feature_table(features, n, next(seeds))
        show("features, columns, no prefetch", batches[-1], features_columns(db, features, batches[-1], False))
    if "vectors" in parts:
        for b, rebuild in ((batches[0], True), (batches[1], True), (batches[1], False)):
            write_vectors(workspace, n, next(seeds))
            took, index = vectors(db, workspace, n, b, rebuild=rebuild)
            show(f"vectors, index dropped, re-made ({index:.1f}s)" if rebuild else "vectors, index in place", b, took)
    if "features" in parts and "vectors" in parts:
        profiles(db, features, workspace, batches[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[5_000, 20_000, 50_000])
    parser.add_argument("--parts", nargs="+", choices=["features", "vectors"], default=["features", "vectors"])
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-shapes"))
    parser.add_argument("--bolt-port", type=int, default=7695)
    parser.add_argument("--http-port", type=int, default=7482)
    args = parser.parse_args()
    use_bench_home(args.home, args.bolt_port, args.http_port)
    sys.path.insert(0, str(REPO))

    from graph.connection import connect
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace

    settings = Settings.from_env()
    with own_server(settings), connect(settings) as db, tempfile.TemporaryDirectory() as tmp:
        print(
            f"# bench/write_shapes  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  "
            f"Neo4j {settings.neo4j_version}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.1f}"
        )
        measure(db, Workspace.from_env(), args.users, Path(tmp), args.batch_sizes, args.parts)
        print(f"load avg at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
