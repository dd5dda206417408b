"""What a segment refresh's rows cost on a real workspace's graph: unchanged rows sent, and changed ones by statement.

    python bench/refresh_cost.py HOME [--bolt-port 7706] [--http-port 7493]            # the unchanged rows
    python bench/refresh_cost.py HOME --variants [--rows 10000] [--rounds 4]           # the changed rows
    python bench/refresh_cost.py HOME --staging                                        # customers without a row
    python bench/refresh_cost.py HOME --phases                                         # a write's fixed cost

HOME is a workspace after `shopgraph run` (bench/scale.py's, with its own local Neo4j on those ports, started here
when it is down and stopped at the end), whose current run the graph holds.

* Default: the write-back of the current run made to send every row of its assignments.parquet (the run node's
  ``assignments_sha`` set to another value, so the kept copy of segments/writeback.py is not trusted); every row is
  held already, so the server writes nothing: what a row the changed-rows refresh leaves out would have cost. It
  ends with the graph as it was and the SHA set back.
* ``--variants``: ``rounds × 3 × rows`` customers of segment 0 made new to the run again (membership and segment
  properties removed), then written back in batches of ``--rows`` by the shipped ``refresh_members`` and two leaner
  statements (a bare ``CREATE`` of the membership with the same ``SET``s; the same guarded by ``NOT EXISTS``), the
  three in alternating order each round. Every customer ends as it was but for its ``segmented_at``.
* ``--staging``: the two statements that give the run's segment 0 to customers the run has no row for, run on the
  graph as it is (every customer has a row after `run`: they find nothing), against the check that now decides
  whether a refresh runs them (``segments.writeback._anyone_unassigned``). Writes nothing.
* ``--phases``: where the time of a write that sends no row goes, phase by phase (the steps of segments/writeback.py
  and its statements, timed by wrapping them; a step inside another is indented under it, "itself" is its time
  outside the steps under it). Twice, as `shopgraph segment write` / `assign` call it (no node ids passed): the
  current run's file written again (nothing to do), then a refresh that finds no row changed (the kept copy
  ``assignments.written.parquet`` moved aside to HOME/tmp and replaced by the same rows in other bytes, the run
  node's ``assignments_sha`` set to that copy's, so the refresh trusts it and sends the rows it differs by: none).
  The refresh sets the SHA back and keeps the copy anew, byte for byte the one moved aside (checked: else it is put
  back), and ends with the graph as it was.

Figures and their reading: docs/BENCHMARKS.md, "Segment write-back" and "Scale", "Month 3 at today's code".
"""

from __future__ import annotations

import argparse
import functools
import inspect
import os
import time
from collections.abc import Callable
from pathlib import Path

from run_child import add_home_arguments, current_run, own_server  # bench/ is first on sys.path

REPO = Path(__file__).resolve().parents[1]
HEAD = """UNWIND $groups AS g
MATCH (s:Segment {segment_key: g.segment_key})
WITH g, s, s.name AS name, s.name_fr AS name_fr, s.segment_id AS segment_id
UNWIND range(0, size(g.user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = g.node_ids[i] AND u.user_id = g.user_ids[i]
"""
SETS = """SET u.segment = name, u.segment_fr = name_fr, u.segment_id = segment_id,
    u.segmented_at = datetime($at), u.segment_run = $run_id,
    u.segment_confidence = g.segment_confidence[i], u.segment_low_confidence = g.segment_low_confidence[i]
RETURN count(u) AS changed"""
MEMBERSHIP = "CREATE (u)-[:IN_SEGMENT {confidence: g.confidence[i], low_confidence: g.low_confidence[i]}]->(s)\n"
LEAN = HEAD + MEMBERSHIP + SETS
GUARDED = (
    HEAD
    + "WITH g, s, name, name_fr, segment_id, i, u\n"
    + "WHERE NOT EXISTS { (u)-[:IN_SEGMENT]->(:Segment {run_id: $run_id}) }\n"
    + MEMBERSHIP
    + SETS
)
FORGET_SEGMENT = """UNWIND $ids AS id MATCH (u:User {user_id: id})
OPTIONAL MATCH (u)-[m:IN_SEGMENT]->() DELETE m
REMOVE u.segment, u.segment_fr, u.segment_id, u.segmented_at, u.segment_run, u.segment_confidence,
       u.segment_low_confidence"""


def unchanged_rows(db, workspace, run_dir: Path) -> None:
    from segments.writeback import write_run

    started = time.perf_counter()
    assert write_run(db, workspace, run_dir).already_current, "the graph does not hold the current run's file"
    print(f"the same file written again: nothing sent, {time.perf_counter() - started:.1f} s", flush=True)
    db.run_text("MATCH (r:SegmentationRun {run_id: $r}) SET r.assignments_sha = 'not-the-file'", {"r": run_dir.name})
    report = write_run(db, workspace, run_dir)
    seconds = report.seconds["refresh"]
    print(
        f"every row sent, all held already: {report.refreshed:,} rows in {seconds:.1f} s "
        f"({report.refreshed / seconds:,.0f} rows/s)"
    )


def staging(db, workspace, run_dir: Path) -> None:
    """The two statements that stage customers without a row, on a graph where every customer has one (what a
    refresh ran every time before it checked), against the check that now decides whether they run."""
    from segments.writeback import _anyone_unassigned, read_run_folder

    folder = read_run_folder(run_dir, workspace)
    started = time.perf_counter()
    nodes = db.user_nodes()
    read = time.perf_counter() - started
    started = time.perf_counter()
    anyone = _anyone_unassigned(folder, nodes)
    check = time.perf_counter() - started
    print(f"{len(nodes.keys):,} customers' node ids read in {read:.1f} s (the pipeline has them already)")
    print(f"the check: {'someone' if anyone else 'no one'} without a row, {check:.1f} s")
    params = {"run_id": folder.run_id, "at": folder.updated_at, "zero_key": folder.key(0)}
    for name, extra in (("stage_missing", {}), ("copy_missing_users", {"copy": folder.missing_copy()})):
        started = time.perf_counter()
        db.run(f"segments/{name}", **params, **extra)
        print(f"segments/{name} with nothing to stage: {time.perf_counter() - started:.1f} s", flush=True)


PHASES = (  # segments.writeback's steps a write that sends no row may go through; one a version lacks is left out
    "read_run_folder",
    "_check_assignments",
    "_distinct_users",
    "_profiles",
    "_migration",
    "file_sha256",
    "writeback_lock",
    "_clean_leftovers",
    "_finish_current",
    "_changed_rows",
    "_refresh_current",
    "_anyone_unassigned",
    "keep_written",
    "_report",
    "write_likely_segments",
    "likely_changes",
)


class PhaseClock:
    """Wall seconds spent in wrapped callables, each under the chain of wrapped callers it ran in."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, ...], list[float]] = {}  # chain -> [calls, seconds]
        self.chain: list[str] = []

    def wrap(self, label: str | Callable[..., str], function: Callable) -> Callable:
        """``function`` timed under ``label`` (or ``label(*args)``: a statement's name); a generator while consumed."""

        def enter(args) -> tuple[list[float], float]:
            self.chain.append(label if isinstance(label, str) else label(*args))
            return self.seconds.setdefault(tuple(self.chain), [0, 0.0]), time.perf_counter()  # callers first

        def leave(entry: list[float], started: float) -> None:
            entry[0] += 1
            entry[1] += time.perf_counter() - started
            self.chain.pop()

        if inspect.isgeneratorfunction(function):

            @functools.wraps(function)
            def timed_generator(*args, **kwargs):
                entry, started = enter(args)
                try:
                    yield from function(*args, **kwargs)
                finally:
                    leave(entry, started)

            return timed_generator

        @functools.wraps(function)
        def timed(*args, **kwargs):
            entry, started = enter(args)
            try:
                return function(*args, **kwargs)
            finally:
                leave(entry, started)

        return timed

    def table(self) -> str:
        """One row a chain, in the order they began (a caller above the steps inside it, indented)."""
        lines = ["| phase | calls | seconds | itself |", "|---|---|---|---|"]
        for chain, (calls, seconds) in self.seconds.items():
            inner = sum(s for c, (_, s) in self.seconds.items() if len(c) == len(chain) + 1 and c[:-1] == chain)
            itself = f"{seconds - inner:.1f}" if inner else ""
            lines.append(f"| {'  ' * (len(chain) - 1)}{chain[-1]} | {calls} | {seconds:.1f} | {itself} |")
        return "\n".join(lines)


def timed_write(db, workspace, run_dir: Path, what: str) -> object:
    """write_run of ``run_dir`` with its steps and its statements timed; prints the table."""
    import segments.writeback as writeback

    clock = PhaseClock()
    saved = {name: getattr(writeback, name) for name in PHASES if hasattr(writeback, name)}
    methods = ("run", "read_pages", "user_nodes")
    for name, function in saved.items():
        setattr(writeback, name, clock.wrap(name, function))
    db.run = clock.wrap(lambda statement, *_: f"db {statement}", db.run)
    db.read_pages = clock.wrap(lambda statement, *_: f"db {statement} (pages)", db.read_pages)
    db.user_nodes = clock.wrap("db.user_nodes", db.user_nodes)
    try:
        report = clock.wrap("write_run", writeback.write_run)(db, workspace, run_dir)
    finally:
        for name, function in saved.items():
            setattr(writeback, name, function)
        for name in methods:
            delattr(db, name)  # the class's methods again
    print(f"\n{what}: {clock.seconds[('write_run',)][1]:.1f} s", flush=True)
    print(clock.table(), flush=True)
    return report


def phases(db, workspace, run_dir: Path) -> None:
    """A write that finds the run current, then a refresh that finds no row changed, each phase by phase."""
    import duckdb

    from segments.writeback import WRITTEN
    from shopgraph.files import file_sha256
    from shopgraph.sqltext import literal

    sha = file_sha256(run_dir / "assignments.parquet")
    kept = run_dir / WRITTEN
    held = db.run_text("MATCH (r:SegmentationRun {run_id: $r}) RETURN r.assignments_sha AS sha", {"r": run_dir.name})
    if held[0]["sha"] != sha or not kept.is_file() or file_sha256(kept) != sha:
        raise SystemExit("the graph does not hold the current run's file, or its kept copy is not that file")
    report = timed_write(db, workspace, run_dir, "the same file written again (nothing to do)")
    assert report.already_current, report
    aside = workspace.home / "tmp" / "refresh-cost-kept.parquet"
    aside.parent.mkdir(parents=True, exist_ok=True)
    os.replace(kept, aside)  # a rename on the same disk: the 200 MB are not copied
    try:
        duckdb.sql(
            f"COPY (SELECT * FROM read_parquet({literal(str(aside))})) TO {literal(str(kept))} "
            "(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 100000)"
        )
        other = file_sha256(kept)
        assert other != sha, "the rewritten copy has the same bytes"
        set_sha = "MATCH (r:SegmentationRun {run_id: $r}) SET r.assignments_sha = $sha"
        db.run_text(set_sha, {"r": run_dir.name, "sha": other})
        try:
            report = timed_write(db, workspace, run_dir, "a refresh that finds no row changed")
        finally:
            db.run_text(set_sha, {"r": run_dir.name, "sha": sha})
        assert report.refreshed == 0, report
    finally:
        if kept.is_file() and file_sha256(kept) == sha:
            aside.unlink()
        else:
            os.replace(aside, kept)
            print("the kept copy was not made anew: the one moved aside is back")


def variants(db, workspace, run_dir: Path, rows: int, rounds: int) -> None:
    import duckdb

    import cypher
    from segments.writeback import read_run_folder

    picked = workspace.home / "tmp" / "refresh-cost-rows.parquet"
    picked.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        f"COPY (SELECT user_id, segment_id, confidence, low_confidence FROM '{run_dir}/assignments.parquet' "
        f"WHERE segment_id = 0 ORDER BY hash(user_id + 7) LIMIT {3 * rounds * rows}) TO '{picked}' (FORMAT parquet)"
    )
    folder = read_run_folder(run_dir, workspace)
    batches = [groups for _, groups in folder.segment_batches(0, rows, "refresh", db.user_nodes(), picked)]
    db.run_text(FORGET_SEGMENT, {"ids": [uid for groups in batches for g in groups for uid in g["user_ids"]]})
    statements = {"shipped": cypher.query("segments/refresh_members"), "lean": LEAN, "guarded": GUARDED}
    params = {"run_id": folder.run_id, "at": folder.updated_at}
    times: dict[str, list[float]] = {name: [] for name in statements}
    with db.driver.session(database=db.database) as session:
        batch = 0
        for r in range(rounds):
            for name in statements if r % 2 == 0 else reversed(list(statements)):
                params["groups"] = batches[batch]
                started = time.perf_counter()
                out = session.execute_write(_write, statements[name], params)
                times[name].append(time.perf_counter() - started)
                assert out["changed"] == rows, out
                batch += 1
            print(r, {name: round(t[-1], 2) for name, t in times.items()}, flush=True)
    picked.unlink()
    for name, t in times.items():
        median = sorted(t)[len(t) // 2]
        rate = rows / median
        print(f"{name}: {[round(x, 2) for x in t]}, median {median:.2f} s a batch of {rows:,} ({rate:,.0f} rows/s)")


def _write(tx, statement: str, params: dict):
    return tx.run(statement, params).single()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_home_arguments(parser)
    parser.add_argument("--variants", action="store_true", help="time the changed rows by statement instead")
    parser.add_argument("--staging", action="store_true", help="time the staging of customers without a row instead")
    parser.add_argument("--phases", action="store_true", help="time a write that sends no row, phase by phase, instead")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    workspace, run_dir = current_run(args)
    from graph.connection import connect
    from shopgraph.settings import Settings

    settings = Settings.from_env()
    with own_server(settings), connect(settings) as db:
        if args.phases:
            phases(db, workspace, run_dir)
        elif args.staging:
            staging(db, workspace, run_dir)
        elif args.variants:
            variants(db, workspace, run_dir, args.rows, args.rounds)
        else:
            unchanged_rows(db, workspace, run_dir)


if __name__ == "__main__":
    main()
