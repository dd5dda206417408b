"""The per-customer write-backs (segments/writeback.py, features/graph_write.py, graph/vectors.py) against the
server's floor.

Usage::

    .venv/bin/python bench/segment_writeback.py [--users 100000 1000000] [--batch-size 20000] [--kill-test]
    .venv/bin/python bench/segment_writeback.py --users 1000000 --likely-only [--guessed 0.6]

Starts its own Neo4j (workspace ``--home /tmp/sg-bench-writeback``, Bolt 7695, HTTP 7482 unless
given; heap and page cache from ``SHOPGRAPH_NEO4J_HEAP``/``_PAGECACHE``). Per size N, on one graph:
N User nodes with load/feature-like properties (created server-side, ``CALL … IN TRANSACTIONS``),
100 categories, 50 brands, run folders A and B (10 segments each, B with a migration matrix) and
a 32-dimension vector file; then

* ``reference``: ``UNWIND $rows AS r MATCH (u:User {user_id: r.user_id}) SET u.x = r.v`` over the
  same users in the same batches, one committed transaction each: the server's floor;
* ``write_run(A)`` (first run), ``write_run(B)`` (replaces A), phase by phase; B's likely segments (its
  users of segment 0, a tenth, or ``--guessed`` of all users) written, then after two months that assign: every
  guess stamped as before and only what moved (the product's way, the graph's guesses read and compared first;
  ``--likely-only``: these alone on the graph of bare users),
  then B rewritten as `shopgraph assign` does (every confidence, a tenth of the users moved) and written in place,
  ``write_user_features`` (the feature table's 28 on_graph metrics, first onto bare users, then
  rewritten) and ``write_user_vectors`` (the vector index kept in place, then dropped and re-made),
  each as customers/s and as a ratio to it.

``--kill-test`` then, on the last graph, writes a run C over B while a reader runs the product's
queries the whole time: write_run(C) in a child process is killed (SIGKILL) half-way through the
stage, run again and killed half-way through the User copy after the switch, then run again to
the end. The reader must never see two runs mixed, nor a run incomplete; the final graph must
hold run C exactly. Figures and their reading: docs/BENCHMARKS.md, "Segment write-back".
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from run_child import own_server, use_bench_home  # bench/ is first on sys.path

REPO = Path(__file__).resolve().parents[1]
SEGMENTS = 10
DIMENSIONS = 32
RUN_IDS = {letter: f"2026120{i + 1}T200000Z-{letter.lower() * 6}" for i, letter in enumerate("ABCDEFGH")}


WRITE_OPTIONS: dict[str, int] = {}  # write_run's options from the command line (--writers)


def make_run(folder: Path, letter: str, users: int, seed: int, previous: str | None, guessed: float = 0.0) -> Path:
    """A run folder with the fields segments/writeback.py reads; every segment name starts with ``letter``. The
    users of segment 0 (a tenth) have a likely segment, or a share ``guessed`` of all users when given."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    run_dir = folder / RUN_IDS[letter]
    run_dir.mkdir(parents=True)
    segment_id = rng.integers(0, SEGMENTS, users, dtype=np.int32)
    confidence = rng.random(users)
    user_id = rng.permutation(np.arange(1, users + 1, dtype=np.int64))  # not in node order
    table = {"user_id": user_id, "segment_id": segment_id, "confidence": confidence, "low_confidence": confidence < 0.3}
    under = (rng.random(users) < guessed) if guessed else segment_id == 0  # under the threshold
    likely = np.where(under, rng.integers(1, SEGMENTS, users), 0).astype(np.int32)
    table |= {"likely_segment_id": likely, "likely_segment_confidence": np.where(likely > 0, rng.random(users), 0.0)}
    pq.write_table(pa.table(table), run_dir / "assignments.parquet")
    sizes = np.bincount(segment_id, minlength=SEGMENTS)
    segments = [
        {
            "segment_id": i,
            "name": {"en": f"{letter} segment {i}", "fr": f"{letter} segment {i} (fr)"},
            "description": {"en": "d", "fr": "d"},
            "size": int(sizes[i]),
            "share": float(sizes[i] / users),
            "categories": [{"category_id": 1 + (i * 7 + j) % 100, "lift": 2.0, "share": 0.1} for j in range(5)],
            "brands": [{"brand": f"brand{(i * 3 + j) % 50}", "lift": 1.5, "share": 0.1} for j in range(5)],
            "figures": {"customers": int(sizes[i])},  # what analyst/segment_sizes reads (segments/figures.py)
        }
        for i in range(SEGMENTS)
    ]
    (run_dir / "segments.json").write_text(json.dumps(segments))
    run = {"run_id": RUN_IDS[letter], "at": f"2026-12-0{seed % 10}T20:00:00Z", "method": "kmeans", "k": SEGMENTS - 1}
    run |= {"threshold": 5, "seed": seed, "code_version": "bench", "data_window": "2019-10..2019-11"}
    (run_dir / "run.json").write_text(json.dumps(run | {"previous_run_id": previous}))
    if previous:
        lines = ["previous_segment_id,segment_id,users"] + [f"{i},{j},1000" for i in range(10) for j in range(10)]
        (run_dir / "migration.csv").write_text("\n".join(lines) + "\n")
    return run_dir


def make_graph(db, n: int) -> float:
    """N users, 100 categories, 50 brands on an empty graph with the schema; returns seconds."""
    from graph.schema import apply_schema, reset_database

    reset_database(db)
    apply_schema(db)
    t0 = time.perf_counter()
    db.run_text(
        "UNWIND range(1, $n) AS i CALL (i) { CREATE (:User {user_id: i, n_events: 1 + i % 97, "
        "first_seen: datetime('2019-10-01T00:00:00Z'), last_seen: datetime('2019-11-30T00:00:00Z'), "
        "recency_days: i % 60, total_spent: toFloat(i % 1000), n_orders: i % 5, purchase_rate: 0.1, "
        "rfm_r: 1 + i % 5, rfm_f: 1 + i % 4, rfm_m: 1 + i % 3, promo_share: 0.2}) } IN TRANSACTIONS OF 50000 ROWS",
        {"n": n},
    )
    db.run_text("UNWIND range(1, 100) AS i CREATE (:Category {category_id: i})")
    db.run_text("UNWIND range(0, 49) AS i CREATE (:Brand {name: 'brand' + i})")
    return time.perf_counter() - t0


def reference(db, run_dir: Path, batch: int) -> float:
    """The bare property write over the run's users in its batches: rows/s."""
    from segments.writeback import read_run_folder

    folder = read_run_folder(run_dir)
    t0 = time.perf_counter()
    with db.driver.session() as session:
        for rows in folder.assignment_rows(0, batch):
            payload = [{"user_id": r["user_id"], "v": r["confidence"]} for r in rows]
            session.execute_write(
                lambda tx, payload=payload: tx.run(
                    "UNWIND $rows AS r MATCH (u:User {user_id: r.user_id}) SET u.x = r.v", {"rows": payload}
                ).consume()
            )
    return folder.users / (time.perf_counter() - t0)


def write_vectors(workspace, n: int, seed: int = 7) -> None:
    """A vector file of the N users (float32, DIMENSIONS) where `shopgraph embed` writes it; another
    ``seed`` gives other vectors."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from graph.vectors import vectors_path

    rng = np.random.default_rng(seed)
    values = rng.standard_normal((n, DIMENSIONS), dtype=np.float32)
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), DIMENSIONS)
    path = vectors_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"user_id": np.arange(1, n + 1, dtype=np.int64), "vector": vectors}), path)


def measure(
    db,
    workspace,
    n: int,
    batch: int,
    tmp: Path,
    vectors: bool,
    profile: bool = False,
    likely_only: bool = False,
    guessed: float = 0.0,
) -> None:
    """One graph of ``n`` users: the reference, write_run A and B phase by phase, the vectors."""
    from write_shapes import write_feature_table

    from features.graph_write import write_user_features
    from features.registry import graph_metrics
    from graph.vectors import ensure_index, write_user_vectors
    from segments.writeback import write_run

    print(f"\n{n:,} users: created in {make_graph(db, n):.1f}s")
    runs = tmp / f"runs-{n}"
    run_a = make_run(runs, "A", n, 1, None)
    run_b = make_run(runs, "B", n, 2, RUN_IDS["A"], guessed)
    floor = reference(db, run_b, batch)
    print(f"reference (bare SET of one value, batches of {batch:,} committed): {floor:,.0f} rows/s")
    if likely_only:  # the likely segments' writes alone, on the graph of bare users
        likely_writes(db, run_b, batch, floor)
        return
    t0 = time.perf_counter()
    nodes = db.user_nodes()
    took = time.perf_counter() - t0
    print(f"the users' node ids read (graph/node_ids.py, once per write): {len(nodes):,} in {took:.1f}s")
    for name, run_dir in (("A (first run)", run_a), ("B (replaces A)", run_b)):
        t0 = time.perf_counter()
        report = write_run(db, workspace, run_dir, batch_size=batch, **WRITE_OPTIONS)
        total = time.perf_counter() - t0
        print(
            f"write_run {name}: {report.matched:,} users in {total:.1f}s: "
            f"{n / total:,.0f} customers/s, ratio {n / total / floor:.2f}"
        )
        for phase, took in report.seconds.items():
            if took >= 0.05:
                print(f"  {phase:<7} {took:7.1f}s  {n / took:>10,.0f} customers/s  ratio {n / took / floor:.2f}")
    likely_writes(db, run_b, batch, floor)
    assign_in_place(db, workspace, run_b, batch, floor)
    features = tmp / f"features-{n}.parquet"
    for seed, what in ((5, "first"), (6, "rewrite, other values")):
        write_feature_table(features, n, seed)
        t0 = time.perf_counter()
        written = write_user_features(db, features, batch_size=batch)
        took = time.perf_counter() - t0
        print(
            f"write_user_features ({len(graph_metrics())} metrics, {what}): {written.matched:,} users in {took:.1f}s: "
            f"{n / took:,.0f} customers/s, ratio {n / took / floor:.2f}"
        )
    if vectors:
        for seed, rebuild in ((7, False), (8, True)):
            write_vectors(workspace, n, seed)
            ensure_index(db, DIMENSIONS)
            t0 = time.perf_counter()
            written = write_user_vectors(db, workspace, batch_size=batch, rebuild_index=rebuild)
            took = time.perf_counter() - t0
            how = f"index dropped, re-made in {written.index_seconds:.1f}s" if rebuild else "index in place"
            print(
                f"write_user_vectors ({DIMENSIONS} dimensions, {how}): {written.matched:,} users in {took:.1f}s: "
                f"{n / took:,.0f} customers/s, ratio {n / took / floor:.2f}"
            )
    check(db, RUN_IDS["B"], n)
    if profile:
        profile_batches(db, run_b, batch)


def assign_in_place(db, workspace, run_dir: Path, batch: int, floor: float) -> None:
    """`shopgraph assign`'s write: the current run's assignments.parquet rewritten (every confidence, a tenth of
    the users moved to the next segment) and written again, in place (segments/writeback.py, "refresh")."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from segments.writeback import write_run

    path = run_dir / "assignments.parquet"
    table = pq.read_table(path)
    n = table.num_rows
    moved = np.random.default_rng(9).random(n) < 0.1
    segment_id = table["segment_id"].to_numpy()
    segment_id = np.where(moved, (segment_id + 1) % SEGMENTS, segment_id).astype(np.int32)
    confidence = table["confidence"].to_numpy() * 0.9
    for name, values in (("segment_id", segment_id), ("confidence", confidence), ("low_confidence", confidence < 0.3)):
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
    pq.write_table(table, path)
    t0 = time.perf_counter()
    report = write_run(db, workspace, run_dir, batch_size=batch, **WRITE_OPTIONS)
    took = time.perf_counter() - t0
    print(
        f"assign in place ({report.switch}; every confidence, {int(moved.sum()):,} moved): {n:,} users in "
        f"{took:.1f}s: {n / took:,.0f} customers/s, ratio {n / took / floor:.2f}"
    )


def likely_writes(db, run_dir: Path, batch: int, floor: float) -> None:
    """The likely segments of the run's users under the threshold (segments/writeback.py): the first write, the
    same again (nothing moved: the graph's guesses read and compared, none written), then two months that assign,
    each moving a third of the guesses (another confidence; a tenth of them another segment), taking a twentieth
    away and giving as many new: the first written as before the write compared (every guess stamped, the stale
    stamps cleared: bench/cypher/*_stamped.cypher, the stamp index in place), the second the product's way."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from segments.writeback import LIKELY_WRITERS, read_run_folder, write_likely_segments

    def timed(what: str, write) -> None:
        guesses = int((pq.read_table(run_dir / "assignments.parquet")["likely_segment_id"].to_numpy() > 0).sum())
        t0 = time.perf_counter()
        written = write()
        took = time.perf_counter() - t0
        print(
            f"likely segments, {what}: {written:,} of {guesses:,} guesses written in {took:.1f}s: "
            f"{written / took if written else 0:,.0f} customers/s, ratio {written / took / floor:.2f}"
        )

    every_user("REMOVE u.likely_segment, u.likely_segment_fr, u.likely_segment_id, u.likely_segment_confidence", db)
    timed("first write", lambda: write_likely_segments(db, read_run_folder(run_dir), batch))
    timed("again, nothing moved", lambda: write_likely_segments(db, read_run_folder(run_dir), batch))
    path = run_dir / "assignments.parquet"
    for seed, how in ((11, "every guess stamped (before)"), (12, "only what moved")):
        if seed == 11:  # the state the stamped write left: every guess stamped with the file's SHA-256
            db.run_text("CREATE INDEX user_likely_segment_stamp IF NOT EXISTS FOR (u:User) ON (u.likely_segment_stamp)")
            db.run_text("CALL db.awaitIndexes(300)")
            stamped(db, read_run_folder(run_dir), batch, LIKELY_WRITERS)
        table = pq.read_table(path)
        likely = table["likely_segment_id"].to_numpy().copy()
        confidence = table["likely_segment_confidence"].to_numpy().copy()
        rng = np.random.default_rng(seed)
        guessed = likely > 0
        moved = guessed & (rng.random(len(likely)) < 1 / 3)
        confidence[moved] = rng.random(int(moved.sum()))
        other = moved & (rng.random(len(likely)) < 0.1)
        likely[other] = likely[other] % (SEGMENTS - 1) + 1
        gone = guessed & ~moved & (rng.random(len(likely)) < 0.05)
        new = ~guessed & (rng.random(len(likely)) < 0.05 * guessed.sum() / max(1, (~guessed).sum()))
        likely[gone], confidence[gone] = 0, 0.0
        likely[new], confidence[new] = rng.integers(1, SEGMENTS, int(new.sum())), rng.random(int(new.sum()))
        for name, values in (("likely_segment_id", likely), ("likely_segment_confidence", confidence)):
            table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
        pq.write_table(table, path)
        folder = read_run_folder(run_dir)
        counts = f"{int(moved.sum()):,} moved, {int(gone.sum()):,} gone, {int(new.sum()):,} new"
        what = f"a month that assigns ({counts}), {how}"
        if seed == 11:
            timed(what, lambda folder=folder: stamped(db, folder, batch, LIKELY_WRITERS))
            db.run_text("DROP INDEX user_likely_segment_stamp IF EXISTS")  # as the schema now does
            every_user("REMOVE u.likely_segment_stamp", db)
        else:
            timed(what, lambda folder=folder: write_likely_segments(db, folder, batch))


def every_user(change: str, db) -> None:
    """``change`` (a REMOVE of ``u``'s properties) on every User, committed 10,000 at a time."""
    db.run_text(f"MATCH (u:User) CALL (u) {{ {change} }} IN TRANSACTIONS OF 10000 ROWS")


def stamped(db, folder, batch: int, writers: int) -> int:
    """The write before it compared with the graph (1cfe680): every guess of ``folder`` stamped with the file's
    SHA-256 on ``writers`` sessions, then the other stamps cleared by the stamp index until none is left."""
    import pyarrow.parquet as pq

    from segments.writeback import likely_batches

    here = Path(__file__).resolve().parent / "cypher"
    write_statement = (here / "set_likely_stamped.cypher").read_text()
    clear_statement = (here / "clear_likely_stamped.cypher").read_text()
    frame = pq.read_table(folder.path / "assignments.parquet").to_pandas()
    guessed = frame[frame["likely_segment_id"] > 0]
    names = {str(sid): list(pair) for sid, pair in folder.names.items()}
    batches = (
        {**lists, "names": names, "stamp": folder.assignments_sha}
        for lists in likely_batches(guessed, db.user_nodes(), batch)
    )

    def write(tx, params):
        return tx.run(write_statement, params).data()

    written = sum(records[0]["written"] for _batch, records in db._write_concurrently(write, batches, writers))
    while db.run_text(clear_statement, {"stamp": folder.assignments_sha, "limit": batch})[0]["cleared"]:
        pass
    return written


def profile_batches(db, run_dir: Path, batch: int) -> None:
    """PROFILE the first batch of the stage and of the User copy of the current run (rolled back)."""
    from write_shapes import profile

    import cypher
    from segments.writeback import read_run_folder

    folder = read_run_folder(run_dir)
    params = {"run_id": folder.run_id, "at": folder.at, "guard": False}
    nodes = db.user_nodes()
    for name, phase in (("stage_members", "stage"), ("copy_users", "copy")):
        upto, groups = next(folder.segment_batches(0, batch, phase, nodes))
        print(f"PROFILE segments/{name}, one batch of {upto:,} (rolled back):")
        print(profile(db, cypher.query(f"segments/{name}"), {**params, "groups": groups, "upto": upto}))


def check(db, run_id: str, n: int) -> None:
    """Every user carries ``run_id`` in its copy and exactly one IN_SEGMENT, of that run."""
    users = db.run_text(
        "MATCH (u:User) RETURN count(u) AS users, count(CASE WHEN u.segment_run = $r THEN 1 END) AS copied",
        {"r": run_id},
    )[0]
    links = db.run_text("MATCH (:User)-[m:IN_SEGMENT]->(s:Segment) RETURN s.run_id AS run, count(m) AS n")
    ok = users["copied"] == users["users"] == n and links == [{"run": run_id, "n": n}]
    print(f"check: {users['copied']:,} of {users['users']:,} users carry {run_id}; IN_SEGMENT {links}: {ok and 'OK'}")
    if not ok:
        raise SystemExit("check failed")


class Reader(threading.Thread):
    """Runs the product's queries in a loop; records every run it saw and every mixed or partial answer."""

    def __init__(self, db, n: int) -> None:
        super().__init__(daemon=True)
        self.db, self.n, self.stop = db, n, threading.Event()
        self.queries, self.seen, self.bad = 0, [], []

    def one_run(self, what: str, names: list) -> None:
        letters = {name.split()[0] for name in names if name}
        if len(letters) > 1:
            self.bad.append(f"{what}: {sorted(letters)}")
        if letters and (not self.seen or self.seen[-1] != min(letters)):
            self.seen.append(min(letters))

    def run(self) -> None:
        import random

        sample = random.Random(3)
        while not self.stop.is_set():
            sizes = self.db.run("analyst/segment_sizes")
            self.one_run("segment_sizes", [r["segment"] for r in sizes])
            if sizes and sum(r["customers"] for r in sizes) != self.n:
                self.bad.append(f"segment_sizes: {sum(r['customers'] for r in sizes):,} customers, not {self.n:,}")
            ids = [sample.randint(1, self.n) for _ in range(200)]
            self.one_run("user_context", [r["segment"] for r in self.db.run("recommend/user_context", user_ids=ids)])
            self.one_run("current_segments", [r["name"] for r in self.db.run("recommend/current_segments")])
            self.one_run("segment_profiles", [r["name"] for r in self.db.run("export/segment_profiles", top=3)])
            self.queries += 4


def run_child(run_dir: Path, batch: int, kill_phase: str | None, kill_at: int) -> float:
    """write_run in a child process; SIGKILL once ``kill_phase`` has committed ``kill_at`` rows. Seconds."""
    code = (
        "import sys; from pathlib import Path; from graph.connection import connect; "
        "from segments.writeback import write_run; from shopgraph.workspace import Workspace\n"
        "with connect() as db:\n"
        "    write_run(db, Workspace.from_env(), Path(sys.argv[1]), batch_size=int(sys.argv[2]),\n"
        "              progress=lambda phase, done, total: print(phase, done, flush=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(run_dir), str(batch)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    for line in child.stdout:
        phase, done = line.rsplit(maxsplit=1)  # a phase may be words ("likely segments")
        if phase == kill_phase and int(done) >= kill_at:
            child.send_signal(signal.SIGKILL)
            print(f"  killed (SIGKILL) after {phase} {int(done):,} rows, {time.perf_counter() - t0:.1f}s")
            break
    if child.wait() != (-signal.SIGKILL if kill_phase else 0):
        raise SystemExit(f"write_run child ended with {child.returncode}")
    return time.perf_counter() - t0


def kill_test(db, batch: int, tmp: Path) -> None:
    """A new run over the current one (B after the measurements) with kill -9 mid-stage and mid-copy, a reader
    running the product's queries throughout."""
    n = db.run_text("MATCH (u:User) RETURN count(u) AS n")[0]["n"]
    current = db.run_text("MATCH (p:CurrentSegmentation) RETURN p.run_id AS run")[0]["run"]
    old = next(letter for letter, run_id in RUN_IDS.items() if run_id == current)
    new = chr(ord(old) + 1)
    run_c = make_run(tmp / "kill", new, n, ord(new) - ord("A") + 1, current)
    print(f"\nkill test, {n:,} users: run {new} over {old}, reader running the product's queries")
    reader = Reader(db, n)
    reader.start()
    run_child(run_c, batch, "stage", n // 2)
    state = db.run_text(
        "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.state AS s, r.staged_rows AS rows", {"r": run_c.name}
    )
    print(f"  after the kill: run {new} {state}")
    run_child(run_c, batch, "copy", n // 2)
    copied = db.run_text(
        "MATCH (r:SegmentationRun {run_id: $r}) RETURN r.user_copy AS copy, r.users_copied AS n", {"r": run_c.name}
    )
    print(f"  after the kill: run {new} {copied}")
    took = run_child(run_c, batch, None, 0)
    print(f"  rerun finished in {took:.1f}s")
    reader.stop.set()
    reader.join()
    print(f"reader: {reader.queries:,} queries, runs seen in order {reader.seen}, mixed or partial: {len(reader.bad)}")
    for bad in reader.bad[:5]:
        print("  " + bad)
    check(db, run_c.name, n)
    if reader.bad or reader.seen[-1] != new:
        raise SystemExit("kill test failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--users", type=int, nargs="*", default=[100_000, 1_000_000], help="none: --kill-test on the graph as it is"
    )
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument(
        "--writers", type=int, default=None, help="sessions for the membership writes (default: MEMBERSHIP_WRITERS)"
    )
    parser.add_argument("--vectors-up-to", type=int, default=1_000_000, help="write the vectors at sizes up to this")
    parser.add_argument("--profile", action="store_true", help="PROFILE one batch of the stage and the copy")
    parser.add_argument("--likely-only", action="store_true", help="only the likely segments' writes, per size")
    parser.add_argument("--guessed", type=float, default=0.0, help="share of users with a likely segment (0: a tenth)")
    parser.add_argument("--kill-test", action="store_true", help="then kill -9 a write-back of the last size")
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-writeback"))
    parser.add_argument("--bolt-port", type=int, default=7695)
    parser.add_argument("--http-port", type=int, default=7482)
    args = parser.parse_args()
    use_bench_home(args.home, args.bolt_port, args.http_port)
    sys.path[:0] = [str(REPO), str(REPO / "bench")]  # the repo first: bench/features.py is no package

    from graph.connection import connect
    from segments.writeback import MEMBERSHIP_WRITERS
    from shopgraph.settings import Settings
    from shopgraph.workspace import Workspace

    if args.writers:
        WRITE_OPTIONS["writers"] = args.writers
    settings = Settings.from_env()
    with own_server(settings), connect(settings) as db, tempfile.TemporaryDirectory() as tmp:
        memory = db.run_text(
            "SHOW SETTINGS YIELD name, value WHERE name IN "
            "['server.memory.heap.max_size', 'server.memory.pagecache.size'] RETURN name, value ORDER BY name"
        )
        print(
            f"# bench/segment_writeback  {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC  "
            f"Neo4j {settings.neo4j_version}  {os.cpu_count()} CPUs  load avg {os.getloadavg()[0]:.1f}  "
            f"batch {args.batch_size:,}  membership writers {WRITE_OPTIONS.get('writers', MEMBERSHIP_WRITERS)}"
        )
        print("server: " + ", ".join(f"{m['name']}={m['value']}" for m in memory))
        for n in args.users:
            vectors = n <= args.vectors_up_to
            measure(
                db, Workspace.from_env(), n, args.batch_size, Path(tmp), vectors, args.profile, args.likely_only,
                args.guessed,
            )  # fmt: skip
        if args.kill_test:
            kill_test(db, args.batch_size, Path(tmp))
        print(f"load avg at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
