"""Benchmark `shopgraph load`: Bolt interaction rows/s, bulk-import records/s, month N+1 vs an empty graph.

Usage::

    .venv/bin/python bench/load.py --users 170000            # ≈ 2 M events over 2019-10..2019-11
    .venv/bin/python bench/load.py --users 850000            # ≈ 10 M events
    .venv/bin/python bench/load.py --fraction 0.05 --later   # REES46 months at 1/20: Oct by bulk, Nov by Bolt

Runs in its own workspace and its own Neo4j (``--home /tmp/sg-bench``, Bolt 7690, HTTP 7476,
heap and page cache 2g), which it starts and stops, so it never touches the test server.
The synthetic months (``events.synth``) and their ingest are kept in ``--home`` and reused
by later runs with the same ``--users``/``--seed``.

Every timed load starts from a freshly imported empty store and with no interaction
aggregates on disk, so each includes its DuckDB work. Figures and their references:

* **Bolt interaction rows/s** — relationship rows (``VIEWED`` … ``PURCHASED``) per second of
  the four relationship steps, loading both months into an empty graph. Reference: the same
  batches (same DuckDB query, same packing as parallel lists) sent as ``UNWIND range(0,
  size($user_id) - 1) AS i RETURN count(i)``: the driver's transfer ceiling. Goal ≥ 50 k rows/s
  on 2 cores.
* **Bulk import records/s** — (nodes + relationships) / seconds of the ``neo4j-admin database
  import`` step of ``load --bulk`` for both months. Reference: the same records through the
  Bolt path (nodes + relationships / seconds of the whole Bolt load). Goal ≥ 200 k/s.
* **Month N+1 ratio** — seconds to load the last month into the graph holding the earlier
  months, over seconds to load that month alone into an empty graph. Goal ≤ 1.3.

``--fraction F`` takes REES46-proportioned months (``events.synth.rees46``: 42 M events in
2019-10, 60 M in each later month, 35 % of a later month's customers returning, all times F)
instead of the persona months. ``--later`` measures what a later month costs in production:
the earlier months go in by ``neo4j-admin`` import (the store is kept in ``--home`` and copied
back before every run), then the last month by Bolt, ``--runs`` times; its Bolt interaction
rows/s and the transfer ceiling of its batches are the figures (ratio and bulk are skipped).
The client's and the server's CPU seconds during the relationship steps are printed beside
them: on 2 shared cores they say which side the time goes to.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from run_child import process_cpu  # bench/ is first on sys.path

REPO = Path(__file__).resolve().parents[1]
BENCH_CYPHER = Path(__file__).resolve().parent / "cypher"  # statements only the benchmarks run, outside the package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=170_000, help="synthetic users (≈ 11.7 events each over Oct-Nov)")
    parser.add_argument("--months", default="2019-10..2019-11")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench"))
    parser.add_argument("--bolt-port", type=int, default=7690)
    parser.add_argument("--http-port", type=int, default=7476)
    parser.add_argument("--memory", default="2g", help="heap and page cache of the bench Neo4j")
    parser.add_argument("--skip", nargs="*", default=[], choices=["bolt", "ratio", "reference", "bulk"])
    parser.add_argument("--fraction", type=float, default=None, help="REES46-proportioned months at this size")
    parser.add_argument("--later", action="store_true", help="earlier months by bulk import, the last by Bolt")
    parser.add_argument("--runs", type=int, default=1, help="Bolt loads of the last month with --later")
    parser.add_argument(
        "--writers",
        type=int,
        nargs="*",
        default=[],
        help="writers of each run, in turn",
    )
    args = parser.parse_args()

    os.environ.update(
        {
            "SHOPGRAPH_HOME": str(args.home),
            "NEO4J_URI": f"bolt://127.0.0.1:{args.bolt_port}",
            "SHOPGRAPH_NEO4J_HTTP_PORT": str(args.http_port),
            "SHOPGRAPH_NEO4J_HEAP": args.memory,
            "SHOPGRAPH_NEO4J_PAGECACHE": args.memory,
            "SHOPGRAPH_PSEUDONYM_KEY": "bench-key-not-secret",
        }
    )
    for key in ("NEO4J_USER", "NEO4J_PASSWORD"):
        os.environ.pop(key, None)
    sys.path.insert(0, str(REPO))
    Bench(args).run()


class RetryCount(logging.Handler):
    """Counts the driver's "Transaction failed and will be retried" (deadlocks between concurrent writers)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retried" in record.getMessage():
            self.count += 1


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        from graph.server import LocalServer
        from shopgraph.settings import Settings
        from shopgraph.workspace import Workspace

        self.args = args
        self.settings = Settings.from_env()
        self.workspace = Workspace.from_env()
        self.server = LocalServer(self.settings)
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        print(text, flush=True)

    def out(self, text: str) -> None:
        self.lines.append(text)
        self.say(text)

    # -- data -------------------------------------------------------------------------------
    def prepare(self) -> None:
        from events.ingest import ingest_files
        from events.manifest import read_manifest

        stamp = self.workspace.home / "data.txt"
        source = f"fraction={self.args.fraction}" if self.args.fraction else f"users={self.args.users}"
        wanted = f"{source} months={self.args.months} seed={self.args.seed}\n"
        if stamp.exists() and stamp.read_text() == wanted and read_manifest(self.workspace):
            self.say(f"reusing the ingested synthetic months in {self.workspace.home} ({wanted.strip()})")
            return
        for sub in ("store", "graph", "synth"):
            shutil.rmtree(self.workspace.home / sub, ignore_errors=True)
        started = time.perf_counter()
        files, events = self.synth_months()
        self.say(f"synth: {events:,} events in {time.perf_counter() - started:.0f}s")
        started = time.perf_counter()
        ingest_files(self.workspace, files)  # in month order
        self.say(f"ingest: {time.perf_counter() - started:.0f}s")
        stamp.write_text(wanted)

    def synth_months(self) -> tuple[list[Path], int]:
        """The month files: persona months (``--users``) or REES46-proportioned ones (``--fraction``)."""
        out = self.workspace.home / "synth"
        if not self.args.fraction:
            from events.synth import generate

            synth = generate(out, users=self.args.users, months=self.args.months, seed=self.args.seed)
            return list(synth.files), synth.events
        from events.synth.rees46 import EVENTS_FIRST, EVENTS_LATER, generate_rees46
        from events.synth.rees46_shop import PRODUCTS

        fraction = self.args.fraction
        made = generate_rees46(
            out,
            self.args.months,
            EVENTS_FIRST * fraction,
            EVENTS_LATER * fraction,
            seed=self.args.seed,
            products=max(1_000, round(PRODUCTS * fraction)),
        )
        return list(made.files), sum(m["events"] for m in made.months.values())

    # -- server and a fresh store ---------------------------------------------------------------
    def fresh_store(self) -> None:
        """An empty store (imported, so no leftovers of earlier runs) and no interaction aggregates."""
        from graph.bulk import import_empty_store

        self.server.stop()
        import_empty_store(self.server, self.workspace.home / "graph" / "empty-store")
        self.server.start()
        shutil.rmtree(self.workspace.interactions_dir, ignore_errors=True)

    def bolt_load(self, db, writers: int | None = None) -> dict:
        """Load what the manifest lists with the Bolt path; seconds per file and per relationship step."""
        from graph.load import RELATIONSHIPS, load

        rel_steps = {step for step, _ in RELATIONSHIPS.values()}
        per_file: list[dict] = []
        clock: dict[str, list[float]] = {}
        cpu_at: list[tuple[float, float]] = []  # (client, server) CPU seconds when the first relationship step began

        def on_file(source) -> None:
            per_file.append({"name": source.name, "months": source.months, "started": time.perf_counter()})
            clock.clear()

        def progress(step: str, done: int, total: int) -> None:
            if step in rel_steps and not cpu_at:
                cpu_at.append(self.cpu_seconds())
            now = time.perf_counter()
            first, _ = clock.get(step, (now, now))
            clock[step] = [first, now]
            per_file[-1].setdefault("steps", {})[step] = (total, now - first)
            per_file[-1].setdefault("spans", {})[step] = (first, now)

        started = time.perf_counter()
        retries = RetryCount()
        logging.getLogger("neo4j").addHandler(retries)
        try:
            report = load(
                db,
                self.workspace,
                batch_size=self.args.batch_size,
                progress=progress,
                on_file=on_file,
                **({"writers": writers} if writers else {}),
            )
        finally:
            logging.getLogger("neo4j").removeHandler(retries)
        ended = time.perf_counter()
        cpu_end = self.cpu_seconds()
        for i, entry in enumerate(per_file):
            entry["seconds"] = (per_file[i + 1]["started"] if i + 1 < len(per_file) else ended) - entry["started"]
        rel_rows = sum(rows for f in per_file for step, (rows, _) in f["steps"].items() if step in rel_steps)
        # the wall time from the first relationship step's start to the last one's end (concurrent writers
        # overlap the steps; one writer runs them one after the other, and this is then their sum)
        rel_seconds = sum(
            max(end for step, (_, end) in f["spans"].items() if step in rel_steps)
            - min(begin for step, (begin, _) in f["spans"].items() if step in rel_steps)
            for f in per_file
        )
        counts = (
            db.run_text("MATCH (n) RETURN count(n) AS n")[0]["n"],
            db.run_text("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"],
        )
        return {
            "files": per_file,
            "seconds": ended - started,
            "rel_rows": rel_rows,
            "rel_seconds": rel_seconds,
            "nodes": counts[0],
            "relationships": counts[1],
            "rows": report.rows_written,
            "retries": retries.count,
            "cpu": tuple(end - begun for begun, end in zip(cpu_at[0], cpu_end, strict=True)) if cpu_at else (0.0, 0.0),
        }

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds so far of this process (the client: DuckDB, packing, the driver) and of the Neo4j server."""
        return time.process_time(), process_cpu(self.server.pid())

    def reference_round_trip(self, db, last_only: bool = False) -> tuple[int, float]:
        """The relationship batches of every file (or the last), packed like the load packs them, only counted."""
        import duckdb

        import cypher
        from events.interactions import write_interactions
        from graph.load import RELATIONSHIPS, _column_batches, column_lists, ingested_files, step_queries

        statement = cypher.split_statements((BENCH_CYPHER / "unwind_columns.cypher").read_text(encoding="utf-8"))[0]
        rel_steps = {step for step, _ in RELATIONSHIPS.values()}
        con = duckdb.connect()
        rows = 0
        seconds = 0.0
        with db.driver.session(database=db.database) as session:
            sources = ingested_files(self.workspace)
            for source in sources[-1:] if last_only else sources:
                interactions = write_interactions(self.workspace, source, con)
                events = [str(p) for p in source.event_files(self.workspace)]
                for step, _query, sql in step_queries(events, str(interactions)):
                    if step not in rel_steps:
                        continue
                    started = time.perf_counter()
                    ordered = f"SELECT * FROM ({sql}) ORDER BY user_id, product_id"  # as the writers send them
                    for batch in _column_batches(con, ordered, self.args.batch_size, 0):
                        params = column_lists(batch)
                        rows += session.execute_write(lambda tx, p=params: tx.run(statement, p).single()[0])
                    seconds += time.perf_counter() - started
        return rows, seconds

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> None:
        from events.manifest import read_manifest, write_manifest
        from graph.bulk import bulk_load
        from graph.connection import connect
        from graph.load import ingested_files

        self.prepare()
        files = read_manifest(self.workspace)
        events = sum(f.rows_kept for f in files)
        self.say(f"starting the bench Neo4j on {self.settings.uri} ({self.server.home})")
        self.server.start()
        load_avg = []
        try:
            with connect(self.settings) as db:
                if self.args.later:
                    self.run_later(db, load_avg)
                    return
                self.out(
                    f"data: {events:,} events kept in {len(files)} month file(s) "
                    f"({', '.join(f'{f.name} {f.rows_kept:,}' for f in files)}), batch size {self.args.batch_size:,}"
                )
                bolt = None
                if "bolt" not in self.args.skip:
                    self.fresh_store()
                    load_avg.append(os.getloadavg()[0])
                    bolt = self.bolt_load(db)
                    rate = bolt["rel_rows"] / bolt["rel_seconds"]
                    self.out(
                        f"bolt, all months into an empty graph: {bolt['seconds']:.1f}s, "
                        f"{bolt['nodes']:,} nodes + {bolt['relationships']:,} relationships"
                    )
                    for f in bolt["files"]:
                        steps = ", ".join(f"{s} {rows:,}/{sec:.1f}s" for s, (rows, sec) in f["steps"].items())
                        self.out(f"  {f['name']}: {f['seconds']:.1f}s ({steps})")
                    self.out(
                        f"  interaction rows/s through Bolt: {rate:,.0f} "
                        f"({bolt['rel_rows']:,} rows in {bolt['rel_seconds']:.1f}s)"
                    )
                if "reference" not in self.args.skip:
                    load_avg.append(os.getloadavg()[0])
                    rows, seconds = self.reference_round_trip(db)
                    self.out(
                        f"reference, UNWIND of the same batches, only counted: {rows / seconds:,.0f} rows/s "
                        f"({rows:,} rows in {seconds:.1f}s)"
                    )
                    if bolt:
                        self.out(
                            f"  => Bolt load / transfer ceiling: "
                            f"{bolt['rel_rows'] / bolt['rel_seconds'] / (rows / seconds):.2f}"
                        )
                if "ratio" not in self.args.skip and len(files) > 1 and bolt:
                    last = ingested_files(self.workspace)[-1]  # the load order: by month
                    write_manifest(self.workspace, [f for f in files if f.sha256 == last.sha256])
                    try:
                        self.fresh_store()
                        load_avg.append(os.getloadavg()[0])
                        alone = self.bolt_load(db)
                    finally:
                        write_manifest(self.workspace, files)
                    on_top = bolt["files"][-1]["seconds"]
                    self.out(
                        f"month N+1 ({last.name}): {on_top:.1f}s on top of the earlier month(s), "
                        f"{alone['seconds']:.1f}s into an empty graph => ratio {on_top / alone['seconds']:.2f}"
                    )
                if "bulk" not in self.args.skip:
                    self.fresh_store()
                    load_avg.append(os.getloadavg()[0])
                    report = bulk_load(db, self.settings, self.workspace, say=lambda m: self.say(f"  bulk: {m}"))
                    phases = ", ".join(f"{k} {v:.1f}s" for k, v in report.phases.items())
                    self.out(f"bulk, all months: {report.seconds:.1f}s ({phases})")
                    self.out(
                        f"  neo4j-admin import: {report.nodes:,} nodes + {report.relationships:,} relationships "
                        f"in {report.import_seconds:.1f}s => {report.records_per_second:,.0f} records/s"
                    )
                    if bolt:
                        bolt_records = (bolt["nodes"] + bolt["relationships"]) / bolt["seconds"]
                        self.out(
                            f"  reference, the same records through Bolt: {bolt_records:,.0f} records/s "
                            f"=> import / Bolt: {report.records_per_second / bolt_records:.1f}x; whole --bulk "
                            f"(CSV + stop + import + start + schema) / whole Bolt load: "
                            f"{bolt['seconds'] / report.seconds:.1f}x faster"
                        )
        finally:
            self.server.stop()
            self.finish(load_avg)

    def finish(self, load_avg: list[float]) -> None:
        self.out(
            f"load average (1 min) at the start of each run: {', '.join(f'{x:.1f}' for x in load_avg)}; "
            f"{os.cpu_count()} cores"
        )
        print("\n--- summary ---\n" + "\n".join(self.lines))

    # -- a later month on a bulk-loaded graph (--later) ----------------------------------------
    def run_later(self, db, load_avg: list[float]) -> None:
        """The earlier months by bulk import (a store kept in ``--home``), then the last by Bolt, ``--runs`` times."""
        from events.manifest import read_manifest
        from graph.load import ingested_files

        files = read_manifest(self.workspace)
        last = ingested_files(self.workspace)[-1]
        self.out(
            f"data: {', '.join(f'{f.name} {f.rows_kept:,}' for f in files)} events kept; the earlier month(s) "
            f"by bulk import, {last.name} by Bolt, batch size {self.args.batch_size:,}"
        )
        snapshot = self.earlier_months_store(db, files, last)
        for run in range(1, self.args.runs + 1):
            self.restore(snapshot, last)
            load_avg.append(os.getloadavg()[0])
            writers = self.args.writers[(run - 1) % len(self.args.writers)] if self.args.writers else None
            bolt = self.bolt_load(db, writers)
            (entry,) = bolt["files"]
            steps = ", ".join(f"{s} {rows:,}/{sec:.1f}s" for s, (rows, sec) in entry["steps"].items())
            client, server = bolt["cpu"]
            self.out(
                f"run {run} ({f'{writers} writer(s)' if writers else 'the default writers'}): {last.name} by Bolt "
                f"onto the earlier month(s): {entry['seconds']:.1f}s ({steps}); {bolt['retries']} retried"
            )
            self.out(
                f"  interaction rows/s through Bolt: {bolt['rel_rows'] / bolt['rel_seconds']:,.0f} "
                f"({bolt['rel_rows']:,} rows in {bolt['rel_seconds']:.1f}s; CPU seconds meanwhile: "
                f"client {client:.1f}, server {server:.1f}); graph {bolt['nodes']:,} nodes + "
                f"{bolt['relationships']:,} relationships"
            )
        if "reference" not in self.args.skip:
            load_avg.append(os.getloadavg()[0])
            rows, seconds = self.reference_round_trip(db, last_only=True)
            self.out(
                f"reference, UNWIND of the same batches, only counted: {rows / seconds:,.0f} rows/s "
                f"({rows:,} rows in {seconds:.1f}s)"
            )
            rate = bolt["rel_rows"] / bolt["rel_seconds"]
            self.out(f"  => Bolt load (last run) / transfer ceiling: {rate / (rows / seconds):.2f}")

    def earlier_months_store(self, db, files: list, last) -> Path:
        """A copy of the store holding the months before ``last``, imported by ``neo4j-admin`` (made once)."""
        from events.manifest import write_manifest
        from graph.bulk import bulk_load

        snapshot = self.workspace.home / "graph" / "earlier-months-store"
        done = snapshot.with_name(snapshot.name + ".complete")
        if done.exists():
            self.say(f"reusing the bulk-imported earlier month(s) in {snapshot}")
            return snapshot
        shutil.rmtree(snapshot, ignore_errors=True)
        write_manifest(self.workspace, [f for f in files if f.sha256 != last.sha256])
        try:
            self.fresh_store()
            report = bulk_load(db, self.settings, self.workspace, self.server, say=lambda m: self.say(f"  bulk: {m}"))
        finally:
            write_manifest(self.workspace, files)
        self.out(f"  earlier month(s) by bulk import: {report.nodes:,} nodes + {report.relationships:,} relationships")
        self.server.stop()
        shutil.copytree(self.server.home / "data", snapshot)
        done.touch()
        return snapshot

    def restore(self, snapshot: Path, last) -> None:
        """The server on a copy of ``snapshot``, and no aggregate of ``last`` (each run pays its DuckDB work)."""
        from events.interactions import interactions_path

        self.server.stop()
        shutil.rmtree(self.server.home / "data", ignore_errors=True)
        shutil.copytree(snapshot, self.server.home / "data")
        self.server.start()
        target = interactions_path(self.workspace, last)
        for path in (target, target.with_suffix(".key.json")):
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
