"""A later month's features graph write on a real workspace's graph: the customers whose values moved, against the
write as it was (every customer, recency among the values, so every customer moved).

    python bench/features_write.py HOME [--bolt-port 7706] [--http-port 7493]

HOME is a workspace after `shopgraph run` of two months or more (bench/scale.py's, with its own local Neo4j on those
ports, started here when it is down and stopped at the end). B is its feature table (every month); A is the table of
the same store without its last month, computed here into HOME/tmp/features-write (kept for the next run). Each of the
two ways is timed from the graph a month's write meets: A's values on A's customers, B's new customers bare (their
properties removed, as the load leaves a new customer), in this order:

1. the reference, the write before (shopgraph aaebc1a; bench/cypher/set_user_features_with_recency.cypher): A written
   the same way, then B's 29 metrics sent for every customer on two writers, recency_days among them;
2. the product (``features.graph_write.write_user_features``): A written in full, then B, which sends the customers
   whose metrics differ from A's (the plan, a DuckDB comparison of the two tables, is in its time).

``--plan`` (no server): what moves from A to B, customer by customer and per graph metric (an exact comparison,
among the customers without an event in B's last month), and the seconds of the write's plan (the digest comparison
of B with A's kept copy, twice).

Seconds, customers/s and the ratio product ÷ reference (``--product-only``: the product alone, for a change of
it). The graph ends holding B, less ``recency_days`` (read from ``last_seen`` now: docs/METRICS.md). Figures and
their reading: docs/BENCHMARKS.md, "Features".
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from run_child import REPO, add_home_arguments, own_server, use_bench_home

BENCH_CYPHER = Path(__file__).resolve().parent / "cypher"
REFERENCE = "bench/set_user_features_with_recency"
BATCH = 5_000


def table_before_last_month(workspace: Any, out: Path) -> Path:
    """The feature table of the store without its last month (computed once, then reused)."""
    import duckdb

    from events.store import connect_events, month_dirs
    from features.calendar import load_calendar
    from features.compute import compute_features, configure
    from shopgraph.sqltext import literal

    path = out / "a.parquet"
    if path.is_file():
        return path
    months = sorted(month_dirs(workspace))
    if len(months) < 2:
        sys.exit(f"{workspace.home} holds {len(months)} month(s): the bench needs two or more")
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        configure(con, out / "duckdb")
        connect_events(workspace, months[:-1], con=con)
        compute_features(con, load_calendar())
        con.execute(f"COPY (SELECT * FROM user_features) TO {literal(str(path))} (FORMAT parquet, COMPRESSION zstd)")
    finally:
        con.close()
    print(f"A: the table of {months[0]} .. {months[-2]} computed in {time.perf_counter() - started:.0f} s", flush=True)
    return path


@contextmanager
def reference_statement() -> Iterator[None]:
    """``cypher.query`` also knows the reference's statement while inside (QueryRunner.write_columns reads it)."""
    import cypher

    real = cypher.query
    text = cypher.split_statements((BENCH_CYPHER / "set_user_features_with_recency.cypher").read_text())[0]
    cypher.query = lambda name: text if name == REFERENCE else real(name)  # type: ignore[assignment]
    try:
        yield
    finally:
        cypher.query = real  # type: ignore[assignment]


def reference_write(db: Any, path: Path) -> int:
    """Every row of ``path`` sent the way before: the graph metrics and recency_days; rows matched."""
    import pyarrow.parquet as pq

    from features.graph_write import _storable_column
    from features.registry import KEY, graph_metrics
    from graph.load import WRITERS

    names = [m.name for m in graph_metrics()] + ["recency_days"]
    nodes = db.user_nodes()

    def batches() -> Iterator[dict[str, list[Any]]]:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=[KEY, *names]):
            ids = batch.column(KEY).to_pylist()
            yield {"user_ids": ids, "node_ids": nodes.ids(ids)} | {n: _storable_column(batch.column(n)) for n in names}

    with reference_statement():
        written = db.write_columns(REFERENCE, batches(), writers=WRITERS, computed_at="bench reference")
        return sum(records[0]["matched"] for _, records in written if records)


def strip_new_customers(db: Any, a: Path, b: Path) -> int:
    """Remove every feature property from B's customers that A lacks, as the load leaves a new customer."""
    import duckdb

    from features.registry import KEY, graph_metrics

    ids = [
        r[0]
        for r in duckdb.connect()
        .execute(f"SELECT {KEY} FROM read_parquet($1) EXCEPT SELECT {KEY} FROM read_parquet($2)", [str(b), str(a)])
        .fetchall()
    ]
    props = ", ".join(f"u.{m.name}" for m in graph_metrics())
    statement = f"UNWIND $ids AS id MATCH (u:User {{user_id: id}}) REMOVE {props}, u.recency_days, u.features_at"
    for start in range(0, len(ids), 20_000):
        db.run_text(statement, {"ids": ids[start : start + 20_000]})
    return len(ids)


def timed(label: str, rows: int, write: Any) -> float:
    started = time.perf_counter()
    sent = write()
    seconds = time.perf_counter() - started
    print(f"{label}: {sent:,} customers sent in {seconds:.1f} s = {rows / seconds:,.0f} customers/s", flush=True)
    return seconds


def plan_only(a: Path, b: Path, out: Path) -> None:
    """What moves from A to B, and the write's plan timed (``--plan``)."""
    import os
    import shutil

    import duckdb

    from features.graph_write import WRITTEN, _plan
    from features.registry import KEY, graph_metrics
    from shopgraph.files import file_sha256

    con = duckdb.connect()
    new, old = f"read_parquet('{b}')", f"read_parquet('{a}')"
    last_month = con.execute(f"SELECT date_trunc('month', max(last_seen)) FROM {new}").fetchone()[0]
    quiet = f"n.last_seen < TIMESTAMP '{last_month}'"
    for m in graph_metrics():
        moved = con.execute(
            f"SELECT count(*) FROM {new} n JOIN {old} o USING ({KEY}) "
            f"WHERE {quiet} AND n.{m.name} IS DISTINCT FROM o.{m.name}"
        ).fetchone()[0]
        if moved:
            print(f"customers without an event in the last month whose {m.name} moved: {moved:,}", flush=True)
    scratch = out / "plan"
    for round_ in (1, 2):
        shutil.rmtree(scratch, ignore_errors=True)
        (scratch / "a").mkdir(parents=True)
        (scratch / "b").mkdir()
        os.replace(_plan(a, None, scratch / "a").staged, b.parent / WRITTEN)  # A's digests, as a write of A keeps
        started = time.perf_counter()
        plan = _plan(b, file_sha256(b.parent / WRITTEN), scratch / "b")
        print(
            f"plan, round {round_}: {plan.to_send:,} of {plan.rows:,} customers to send, "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_home_arguments(parser)
    parser.add_argument(
        "--product-only", action="store_true", help="leave the reference out (its figure from a run before)"
    )
    parser.add_argument("--plan", action="store_true", help="what moves and the plan's seconds only; no server")
    args = parser.parse_args()
    use_bench_home(args.home, args.bolt_port, args.http_port)
    sys.path.insert(0, str(REPO))
    from features.graph_write import count_rows, write_user_features
    from graph.connection import connect
    from graph.load import WRITERS
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace

    workspace = Workspace.from_env()
    table = workspace.features_dir / "user_features.parquet"
    if not table.is_file():
        sys.exit(f"{table} is missing: run `shopgraph run` on {args.home} first")
    out = workspace.home / "tmp" / "features-write"
    out.mkdir(parents=True, exist_ok=True)
    a = table_before_last_month(workspace, out)
    b = out / "b.parquet"  # beside A: both product writes keep (and compare with) one copy of what the graph holds
    b.unlink(missing_ok=True)
    b.symlink_to(table)
    rows = count_rows(b)
    settings = Settings.from_env()
    print(f"# bench/features_write  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  {args.home}", flush=True)
    print(f"A {count_rows(a):,} customers, B {rows:,}", flush=True)
    if args.plan:
        plan_only(a, b, out)
        return

    def product(path: Path) -> int:
        written = write_user_features(db, path, writers=WRITERS)
        return written.sent

    with own_server(settings), connect(settings) as db:
        before = None
        if not args.product_only:
            reference_write(db, a)
            print(f"before: A written the way before; {strip_new_customers(db, a, b):,} new customers bare", flush=True)
            before = timed("reference, B the way before", rows, lambda: reference_write(db, b))
        db.run_text("MATCH (f:FeaturesOnGraph) SET f.sha = null")  # A in full: the graph's copy not trusted
        product(a)
        print(f"after: A written in full; {strip_new_customers(db, a, b):,} new customers bare", flush=True)
        after = timed("product, B's moved customers", rows, lambda: product(b))
    if before is not None:
        print(f"product ÷ reference: {after:.1f} s ÷ {before:.1f} s = {after / before:.2f}", flush=True)


if __name__ == "__main__":
    main()
