"""The features' graph write on a real workspace's graph: only the customers whose values moved, against all of them.

    python bench/features_write.py HOME [--bolt-port 7706] [--http-port 7493]

HOME is a workspace after `shopgraph run` of two months or more (bench/scale.py's, with its own local Neo4j on those
ports, started here when it is down and stopped at the end). B is its feature table (every month); A is the table of
the same store without its last month, computed here into HOME/tmp/features-write (kept for the next run). Then four
writes of ``features.graph_write.write_user_features``, each timed, in this order:

1. A in full (the graph's copy not trusted: every customer sent), as a month's write did before;
2. B, only the customers whose values moved since A (what a later month's write now sends);
3. A, the same customers back;
4. B in full.

The full writes are the reference of the moved ones in the same run (customers/s and the ratio of seconds). The graph
ends holding B, as before the bench, less the ``recency_days`` the first write removes (it is read from
``last_seen`` now: docs/METRICS.md). Figures and their reading: docs/BENCHMARKS.md, "Features".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from run_child import REPO, add_home_arguments, own_server, use_bench_home


def table_before_last_month(workspace: object, out: Path) -> Path:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_home_arguments(parser)
    args = parser.parse_args()
    use_bench_home(args.home, args.bolt_port, args.http_port)
    sys.path.insert(0, str(REPO))
    from features.graph_write import write_user_features
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
    b = out / "b.parquet"  # beside A, so that both writes keep (and compare with) one copy of what the graph holds
    b.unlink(missing_ok=True)
    b.symlink_to(table)
    settings = Settings.from_env()
    print(f"# bench/features_write  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC  {args.home}", flush=True)
    results = []
    with own_server(settings), connect(settings) as db:
        for name, path, full in (
            ("A in full", a, True),
            ("B moved", b, False),
            ("A moved", a, False),
            ("B in full", b, True),
        ):
            if full:
                db.run_text("MATCH (f:FeaturesOnGraph) SET f.sha = null")  # the kept copy not trusted
            started = time.perf_counter()
            written = write_user_features(db, path, writers=WRITERS)
            seconds = time.perf_counter() - started
            sent = written.rows - written.unchanged
            results.append({"write": name, "rows": written.rows, "sent": sent, "seconds": round(seconds, 1)})
            print(
                f"{name}: {written.rows:,} customers, {sent:,} sent, {written.matched:,} matched in {seconds:.1f} s "
                f"= {written.rows / seconds:,.0f} customers/s",
                flush=True,
            )
    full = sum(r["seconds"] for r in results if "full" in r["write"]) / 2
    moved = sum(r["seconds"] for r in results if "moved" in r["write"]) / 2
    print(f"moved ÷ full: {moved:.1f} s ÷ {full:.1f} s = {moved / full:.2f}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
