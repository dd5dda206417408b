"""Benchmark of `shopgraph features`: events/s, users/s and peak memory at two sizes, extrapolated to 411 M events.

    .venv/bin/python bench/features.py                 # 2 M and 10 M events, 2 threads, 6GB
    .venv/bin/python bench/features.py --sizes 2e6 1e7 --data-dir /tmp/featbench --spill-check
    .venv/bin/python bench/features.py --store HOME/store/events --limits 6GB 4GB   # a real store, read only

Synthetic events are written straight into the event-store layout
(``store/events/month=YYYY-MM/part-0.parquet``, the exact columns and types of events/store.py,
each file sorted by user_id as events/ingest.py writes it) with DuckDB, so the benchmark
measures the feature step alone (not the CSV generator or the ingest). The shape follows the
real shop: ≈ 27 events per user and ≈ 5 per session over seven months (2019-10 … 2020-04),
skewed activity (a few heavy users), 200 k products with skewed popularity in 1 000
categories (20 % without a code) and ≈ 9 % without a brand, and the event mix view 94 % ·
cart 3.6 % · remove 0.5 % · purchase 2.4 %. Everything is a hash of the row number, so the
same size gives the same data.

Each size runs in a fresh child process (``ru_maxrss`` of the child is its peak memory,
``ru_utime + ru_stime`` its CPU seconds); the timed part is
:func:`features.compute.build_user_features` (SQL + Parquet), with the DuckDB memory limit
and threads given. ``--spill-check`` runs every size again with the memory limit scaled down
by (largest size / 411 M): at that fixed limit the peak memory should stay flat as the size
grows (more user buckets, not more memory), and the largest size then has the full
history's events per byte of memory, so it passing is the scaled-down proof of the 411 M
run. The Neo4j write is not part of this benchmark (its rate is shown by
``shopgraph features`` itself). ``--store`` times the build on an existing event store instead (a
workspace's ``store/events``, only read) at each of ``--limits``, the first being the reference.
``--same-twice`` builds each size's table a second time and names the columns that differ (none since
the sums became exact: ``shopgraph.sqltext.exact_sum``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# run as a script, this file's folder comes first on sys.path and "features" would be this
# very file: put the repository (the real `features` package) first instead
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.modules.pop("features", None)
FULL_HISTORY = 411_000_000
EVENTS_PER_USER = 27
EVENTS_PER_SESSION = 5
GOAL_SECONDS = 15 * 60
GOAL_BYTES = 8 * 1024**3


def synthesize(events_dir: Path, n_events: int) -> dict[str, int]:
    """Write ``n_events`` synthetic events in the store layout under ``events_dir``."""
    import duckdb

    n_users = max(1, n_events // EVENTS_PER_USER)
    events_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    # u(i, salt): a deterministic uniform number in [0, 1) from the row number
    con.execute("CREATE MACRO u(i, salt) AS (hash(i, salt) % 1000000007)::DOUBLE / 1000000007")
    window_s = 213 * 86400  # 2019-10-01 .. 2020-04-30
    con.execute(f"""
        CREATE TEMP TABLE synth AS (
            WITH ev AS (
                SELECT i, i // {EVENTS_PER_SESSION} AS s, i % {EVENTS_PER_SESSION} AS k FROM range({n_events}) t(i)
            ), sess AS (
                SELECT *, least({n_users} - 1, floor({n_users} * pow(u(s, 1), 1.6)))::BIGINT AS user_no,
                       floor(pow(u(i, 2), 2.2) * 200000)::BIGINT AS product_no,
                       u(i, 3) AS kind
                FROM ev
            ), rows AS (
                SELECT TIMESTAMP '2019-10-01' + to_seconds(floor(u(s, 4) * {window_s})::BIGINT + k * 45) AS event_time,
                       CASE WHEN kind < 0.94 THEN 'view' WHEN kind < 0.976 THEN 'cart'
                            WHEN kind < 0.981 THEN 'remove_from_cart' ELSE 'purchase' END AS event_type,
                       1000000 + product_no AS product_id,
                       2053013550000000000 + product_no % 1000 AS category_id,
                       CASE WHEN product_no % 1000 < 200 THEN NULL
                            ELSE (['electronics', 'appliances', 'computers', 'apparel', 'furniture', 'kids', 'sport',
                                   'construction', 'auto', 'accessories', 'country_yard', 'medicine',
                                   'stationery'])[1 + (product_no % 1000) % 13]
                                 || '.sub' || ((product_no % 1000) // 13)::VARCHAR
                       END AS category_code,
                       CASE WHEN u(product_no, 5) < 0.09 THEN NULL
                            ELSE 'brand' || (floor(pow(u(product_no, 6), 2) * 5000))::VARCHAR END AS brand,
                       CASE WHEN u(product_no, 7) < 0.002 THEN 0.0
                            ELSE round(exp(1 + 6 * u(product_no, 8)) * (0.9 + 0.2 * u(i, 9)), 2) END AS price,
                       (hash(user_no, 10) // 2)::BIGINT AS user_id,
                       md5(s::VARCHAR) AS user_session
                FROM sess
            )
            SELECT *, strftime(event_time, '%Y-%m') AS month FROM rows
        )
    """)
    # one file per month sorted by user_id, as events/ingest.py writes them: row-group
    # statistics on user_id are what lets a user bucket skip the other buckets' rows
    for (month,) in con.execute("SELECT DISTINCT month FROM synth ORDER BY 1").fetchall():
        (events_dir / f"month={month}").mkdir(parents=True, exist_ok=True)
        con.execute(f"""
            COPY (SELECT * EXCLUDE (month) FROM synth WHERE month = '{month}'
                  ORDER BY user_id, event_time, event_type, product_id)
            TO '{events_dir}/month={month}/part-0.parquet' (FORMAT parquet, COMPRESSION zstd)
        """)
    users = con.execute(f"SELECT count(DISTINCT user_id) FROM read_parquet('{events_dir}/*/*.parquet')").fetchone()[0]
    con.close()
    return {"events": n_events, "users": users}


def build_once(home: Path, threads: int, memory_limit: str, buckets: int | None = None) -> dict[str, object]:
    """In this (child) process: time the feature build over the store in ``home``."""
    from features.calendar import load_calendar
    from features.compute import build_user_features
    from shopgraph.workspace import Workspace

    t0 = time.perf_counter()
    table = build_user_features(
        Workspace(home), load_calendar(), memory_limit=memory_limit, threads=threads, buckets=buckets
    )
    return {"rows": table.rows, "seconds": time.perf_counter() - t0, "phases": table.phases, "buckets": table.buckets}


def _columns_that_differ_in_a_second_build(home: Path, threads: int, limit: str) -> list[str]:
    """Build the table of ``home`` once more (after the measured build) and compare it column by column."""
    import pyarrow.parquet as pq

    from features.compute import FEATURES_FILE

    table = home / "features" / FEATURES_FILE
    first = pq.read_table(table)
    _child("--build", "--home", str(home), "--threads", str(threads), "--memory-limit", limit)
    second = pq.read_table(table)
    return [name for name in first.column_names if not first[name].equals(second[name])]


def _child(*args: str) -> tuple[dict[str, object], int]:
    """Run this script with ``args`` in a child process; its JSON answer and its peak RSS in bytes."""
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed ({' '.join(args)}):\n{err}")
    return json.loads(out.strip().splitlines()[-1]), 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[2e6, 10e6], help="event counts to run")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (the goal is for 2 cores)")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit")
    parser.add_argument(
        "--spill-check",
        action="store_true",
        help="also run every size at the memory limit scaled down by largest size / 411 M: "
        "peak memory at a fixed limit as size grows, and the full history's events per "
        "byte of memory at the largest size",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the synthetic stores here (DIR/events-<size>) and reuse them on the next run",
    )
    parser.add_argument("--store", type=Path, help="an existing event store (HOME/store/events) to build on, read only")
    parser.add_argument("--limits", nargs="+", default=["6GB", "4GB"], help="with --store: memory limits to compare")
    parser.add_argument(
        "--same-twice",
        action="store_true",
        help="build each size's table once more and name the columns that differ from the first build "
        "(none: the table is the same bit for bit, whatever order DuckDB's threads add rows in)",
    )
    parser.add_argument("--generate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--buckets", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate:
        print(json.dumps(synthesize(args.home / "store" / "events", int(args.generate))))
        return 0
    if args.build:
        print(json.dumps(build_once(args.home, args.threads, args.memory_limit, args.buckets)))
        return 0

    if args.store:
        return on_store(args.store, args.limits, args.threads)
    runs = [(int(size), args.memory_limit) for size in args.sizes]
    spill_limit = None
    if args.spill_check:
        biggest = max(int(s) for s in args.sizes)
        spill_limit = f"{max(64, int(_parse_bytes(args.memory_limit) * biggest / FULL_HISTORY / 1e6))}MB"
        runs += [(int(size), spill_limit) for size in args.sizes]
    results = []
    for size, limit in runs:
        with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
            home = (args.data_dir / f"events-{size}") if args.data_dir else Path(tmp)
            done = home / "synth.json"
            if done.is_file():
                counts = json.loads(done.read_text())
            else:
                counts, _ = _child("--generate", str(size), "--home", str(home))
                done.write_text(json.dumps(counts))
            try:
                result, peak = _measured_child(
                    "--build", "--home", str(home), "--threads", str(args.threads), "--memory-limit", limit
                )
            except RuntimeError as exc:
                print(f"{size:,} events with memory limit {limit}: FAILED: {exc}", file=sys.stderr)
                continue
            if args.same_twice and limit == args.memory_limit:
                result["differ"] = _columns_that_differ_in_a_second_build(home, args.threads, limit)
        results.append({**counts, **result, "peak_bytes": peak, "memory_limit": limit})

    print(
        f"shopgraph features benchmark: threads={args.threads}, synthetic store-layout events "
        f"(bench/features.py), peak RSS of the process computing the features"
    )
    print(
        f"{'events':>12} {'users':>10} {'mem limit':>9} {'buckets':>7} {'wall s':>7} {'CPU s':>7} "
        f"{'events/s':>11} {'users/s':>9} {'peak RSS':>10}"
    )
    for r in results:
        print(
            f"{r['events']:>12,} {r['users']:>10,} {r['memory_limit']:>9} {r['buckets']:>7} {r['seconds']:>7.1f} "
            f"{r['cpu_seconds']:>7.1f} {r['events'] / r['seconds']:>11,.0f} {r['users'] / r['seconds']:>9,.0f} "
            f"{r['peak_bytes'] / 1024**3:>6.2f} GiB"
        )
    print(
        f"(machine load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        "wall times include other processes' contention, CPU seconds do not)"
    )
    for r in results:
        print(
            f"phases at {r['events'] / 1e6:g}M/{r['memory_limit']} (s): "
            + ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
        )
    for r in results:
        if "differ" in r:
            print(
                f"built twice at {r['events'] / 1e6:g}M: "
                + (f"columns that differ: {', '.join(r['differ'])}" if r["differ"] else "the same table, bit for bit")
            )
    main_runs = [r for r in results if r["memory_limit"] == args.memory_limit]
    if len(main_runs) >= 2:
        a, b = main_runs[0], main_runs[-1]
        slope = (b["seconds"] - a["seconds"]) / (b["events"] - a["events"])
        full_s = b["seconds"] + slope * (FULL_HISTORY - b["events"])
        per_event = b["seconds"] / b["events"]
        ratio = (b["seconds"] / a["seconds"]) / (b["events"] / a["events"])
        cpu_ratio = (b["cpu_seconds"] / a["cpu_seconds"]) / (b["events"] / a["events"])
        cpu_full = b["cpu_seconds"] / b["events"] * FULL_HISTORY / args.threads
        print(
            f"from CPU time: {cpu_full / 60:.1f} min on {args.threads} cores if both are ours alone "
            f"({b['cpu_seconds'] / b['events'] * 1e6:.2f} CPU s per million events)"
        )
        print(
            f"growth: {b['events'] / a['events']:.1f}x events -> {b['seconds'] / a['seconds']:.2f}x time "
            f"(time ratio / size ratio = {ratio:.2f}; CPU time ratio / size ratio = {cpu_ratio:.2f}; "
            "1.00 = linear)"
        )
        print(
            f"extrapolated to {FULL_HISTORY / 1e6:.0f} M events (~{FULL_HISTORY // EVENTS_PER_USER / 1e6:.1f} M "
            f"users): {full_s / 60:.1f} min by the two-point line, {per_event * FULL_HISTORY / 60:.1f} min at "
            f"the {b['events'] / 1e6:g}M rate (goal <= {GOAL_SECONDS / 60:.0f} min)"
        )
    spill_runs = [r for r in results if spill_limit and r["memory_limit"] == spill_limit]
    from features.compute import BUCKET_BYTES_PER_EVENT, bucket_count

    limit_bytes = _parse_bytes(args.memory_limit)
    full_buckets = bucket_count(FULL_HISTORY, int(limit_bytes))
    print(
        f"memory: each user bucket holds <= {limit_bytes / BUCKET_BYTES_PER_EVENT / 1e6:.0f} M events at "
        f"{args.memory_limit} ({BUCKET_BYTES_PER_EVENT} bytes per event), so {FULL_HISTORY / 1e6:.0f} M events "
        f"run in {full_buckets} buckets of ~{FULL_HISTORY / full_buckets / 1e6:.0f} M events"
    )
    if len(spill_runs) >= 2:
        a, b = spill_runs[0], spill_runs[-1]
        print(
            f"bounded: at a fixed limit of {spill_limit}, {b['events'] / a['events']:.1f}x events -> "
            f"{b['peak_bytes'] / a['peak_bytes']:.2f}x peak RSS ({a['buckets']} -> {b['buckets']} buckets; "
            f"CPU time ratio / size ratio = "
            f"{(b['cpu_seconds'] / a['cpu_seconds']) / (b['events'] / a['events']):.2f})"
        )
    if spill_runs:
        b = spill_runs[-1]
        overhead = b["peak_bytes"] - _parse_bytes(spill_limit)
        print(
            f"spill check: {b['events'] / 1e6:g} M events at {spill_limit} (= {args.memory_limit} x "
            f"{b['events'] / 1e6:g} M / {FULL_HISTORY / 1e6:.0f} M, the full history's events per byte) "
            f"finished in {b['buckets']} buckets, peak RSS {b['peak_bytes'] / 1024**3:.2f} GiB; at full scale "
            f"that is {args.memory_limit} + ~{max(overhead, 0) / 1024**3:.2f} GiB of process overhead "
            f"(goal <= {GOAL_BYTES / 1024**3:.0f} GiB)"
        )
    elif spill_limit:
        print(f"spill check at {spill_limit}: FAILED (see above)")
    return 0


def on_store(events: Path, limits: list[str], threads: int) -> int:
    """The feature build over ``events`` (a store's ``store/events``, linked into a scratch workspace so the
    table is written there) at each memory limit: seconds, CPU seconds, buckets and peak RSS."""
    import pyarrow.parquet as pq

    if not events.is_dir():
        raise SystemExit(f"no event store at {events}")
    n_events = sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(events.glob("month=*/*.parquet")))
    print(
        f"shopgraph features on {events}: {n_events:,} events, threads={threads}, "
        f"load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'mem limit':>9} {'buckets':>7} {'users':>10} {'wall s':>7} {'CPU s':>7} {'× ref':>6} {'peak RSS':>10}")
    reference = None
    for limit in limits:
        with tempfile.TemporaryDirectory(prefix="bench-features-store-") as tmp:
            (Path(tmp) / "store").mkdir()
            (Path(tmp) / "store" / "events").symlink_to(events.resolve())
            result, peak = _measured_child("--build", "--home", tmp, "--threads", str(threads), "--memory-limit", limit)
        reference = reference or result["seconds"]
        print(
            f"{limit:>9} {result['buckets']:>7} {result['rows']:>10,} {result['seconds']:>7.1f} "
            f"{result['cpu_seconds']:>7.1f} {result['seconds'] / reference:>6.2f} {peak / 1024**3:>6.2f} GiB"
        )
    print(f"load avg at the end {os.getloadavg()[0]:.1f}")
    return 0


def _parse_bytes(limit: str) -> float:
    """A DuckDB size (``6GB`` = 6·10⁹ bytes, ``6GiB`` = 6·2³⁰) in bytes."""
    text = limit.strip().upper().removesuffix("B")
    binary = text.endswith("I")
    text = text.removesuffix("I")
    base = 1024 if binary else 1000
    units = {"K": base, "M": base**2, "G": base**3, "T": base**4}
    return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)


def _measured_child(*args: str) -> tuple[dict[str, object], int]:
    """Like :func:`_child`, returning the child's own peak RSS (``wait4``), not the maximum over all children."""
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(err.strip().splitlines()[-1] if err.strip() else f"exit code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result, usage.ru_maxrss * 1024


if __name__ == "__main__":
    raise SystemExit(main())
