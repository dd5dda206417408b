"""Benchmark `shopgraph ingest` against a bare DuckDB scan of the same `.csv.gz`, with peak memory.

Usage::

    # make synthetic month files first (events/synth/), e.g. ~2 M and ~10 M events in one month:
    .venv/bin/shopgraph synth --users 560000 --months 2019-11 --seed 1 --out /tmp/bench-2m
    .venv/bin/python bench/ingest.py /tmp/bench-2m/2019-Nov.csv.gz [more files…] [--repeat 2]

    # or let the bench generate one month itself:
    .venv/bin/python bench/ingest.py --synth-users 560000 --month 2019-11 --out /tmp/bench-2m

Every measurement runs in its own child process; its peak resident memory comes from
``os.wait4`` (the kernel's ``ru_maxrss`` for that child alone). The two runs per file
alternate and the best time of ``--repeat`` runs is kept, since the machine may be shared.

* ``bare``: ``SELECT count(*) FROM read_csv(FILE)`` with DuckDB's defaults (what a user
  would type; it parses and counts, writes nothing).
* ``ingest``: :func:`events.ingest.ingest_files` into a fresh workspace: SHA-256 of the
  file, read + validate every line, rejects, pseudonyms, dedupe, sorted zstd Parquet per
  month, manifest.

Goals (issue 3): ingest rows/s ≥ 0.5 × bare rows/s; peak memory ≤ 2 GiB and flat in the
file size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child(kind: str, path: Path, workdir: Path, memory_limit: str, buckets: int = 0, split_from: int = 0) -> None:
    """Run one measurement and print ``{"seconds": …, "rows": …}`` as JSON."""
    if kind == "bare":
        import duckdb

        con = duckdb.connect()
        started = time.perf_counter()
        (rows,) = con.execute("SELECT count(*) FROM read_csv(?)", [str(path)]).fetchone()
        seconds = time.perf_counter() - started
    else:
        os.environ.setdefault("SHOPGRAPH_PSEUDONYM_KEY", "bench-key")
        import events.ingest as ingest_module
        from events.ingest import ingest_files

        if buckets:  # a study of the bucket count, not what `shopgraph ingest` does
            ingest_module.bucket_count = lambda rows, limit: buckets
        if split_from:
            ingest_module.SPLIT_MIN_BUCKETS = split_from
        from shopgraph.workspace import Workspace

        workspace = Workspace(workdir / "home")
        phases: dict[str, tuple[float, float]] = {}  # phase -> (wall, CPU) at its start

        def progress(source: Path):
            def note(phase: str, done: int, total: int) -> None:
                if phase not in phases:
                    phases[phase] = (time.perf_counter() - started, _cpu() - cpu_started)

            return note

        started, cpu_started = time.perf_counter(), _cpu()
        [result], _ = ingest_files(workspace, [path], memory_limit=memory_limit, progress=progress)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu_started
        rows = result.entry.rows_read
        assert result.status == "ingested" and result.entry.balanced
        starts = [("hash", (0.0, 0.0)), *phases.items(), ("commit", (seconds, cpu))]
        durations = {name: round(starts[i + 1][1][0] - at[0], 2) for i, (name, at) in enumerate(starts[:-1])}
        cpus = {name: round(starts[i + 1][1][1] - at[1], 2) for i, (name, at) in enumerate(starts[:-1])}
        print(json.dumps({"seconds": seconds, "rows": rows, "phases": durations, "phase_cpu": cpus}))
        return
    print(json.dumps({"seconds": seconds, "rows": rows}))


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(kind: str, path: Path, memory_limit: str, study: list[str]) -> dict:
    """Run :func:`child` in a new process; add its peak RSS in MiB."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        command = [sys.executable, __file__, "--child", kind, str(path), "--workdir", work]
        proc = subprocess.Popen(
            [*command, "--memory-limit", memory_limit, *study],
            stdout=subprocess.PIPE,
            cwd=REPO,
        )
        out = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"{kind} run on {path} failed with exit code {proc.returncode}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024  # Linux: KiB
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result


def synthesise(users: int, month: str, out: Path, seed: int) -> Path:
    from events.synth import generate

    result = generate(out, users=users, months=month, seed=seed)
    [path] = [p for p in result.files if str(p).endswith(".csv.gz")]
    return Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help=".csv.gz files to measure")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each kind per file; the best is kept")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory limit for ingest")
    parser.add_argument("--synth-users", type=int, help="generate one synthetic month with this many users")
    parser.add_argument("--month", default="2019-11", help="month for --synth-users")
    parser.add_argument("--out", type=Path, help="directory for --synth-users")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--buckets", type=int, default=0, help="force this many user buckets (a study)")
    parser.add_argument("--split-from", type=int, default=0, help="split the rows from this many buckets on")
    parser.add_argument("--child", choices=["bare", "ingest"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.files[0], args.workdir, args.memory_limit, args.buckets, args.split_from)
        return
    files = list(args.files)
    if args.synth_users:
        out = args.out or Path(tempfile.mkdtemp(prefix="bench-synth-"))
        files.append(synthesise(args.synth_users, args.month, out, args.seed))
    if not files:
        parser.error("give .csv.gz files or --synth-users")

    import duckdb

    print(
        f"# bench/ingest  {time.strftime('%Y-%m-%d %H:%M')}  python {platform.python_version()}  "
        f"duckdb {duckdb.__version__}  {os.cpu_count()} CPUs  memory_limit {args.memory_limit}  "
        f"best of {args.repeat}  load avg {os.getloadavg()[0]:.1f}"
    )
    header = (
        f"{'file':<28} {'MiB':>6} {'events':>11} {'bare rows/s':>12} {'ingest rows/s':>14} {'ratio':>6} "
        f"{'bare s':>7} {'ingest s':>9} {'bare cpu':>9} {'ingest cpu':>11} {'bare peak':>10} {'ingest peak':>12}"
    )
    print(header)
    print("-" * len(header))
    for path in files:
        best: dict[str, dict] = {}
        for _ in range(args.repeat):
            for kind in ("bare", "ingest"):
                study = ["--buckets", str(args.buckets), "--split-from", str(args.split_from)]
                run = measure(kind, path, args.memory_limit, study)
                if kind not in best or run["seconds"] < best[kind]["seconds"]:
                    best[kind] = run
        bare, ingest = best["bare"], best["ingest"]
        bare_rate, ingest_rate = bare["rows"] / bare["seconds"], ingest["rows"] / ingest["seconds"]
        print(
            f"{path.name[:28]:<28} {path.stat().st_size / 2**20:>6.0f} {int(ingest['rows']):>11,} "
            f"{bare_rate:>12,.0f} {ingest_rate:>14,.0f} {ingest_rate / bare_rate:>6.2f} "
            f"{bare['seconds']:>7.1f} {ingest['seconds']:>9.1f} {bare['cpu']:>9.1f} {ingest['cpu']:>11.1f} "
            f"{bare['peak_mib']:>6.0f} MiB "
            f"{ingest['peak_mib']:>8.0f} MiB",
            flush=True,
        )
        print(
            f"{'':<28} ingest phases (s): "
            + ", ".join(f"{name} {secs:.1f}" for name, secs in ingest["phases"].items()),
            flush=True,
        )
        print(
            f"{'':<28} ingest phases (CPU s): "
            + ", ".join(f"{name} {secs:.1f}" for name, secs in ingest["phase_cpu"].items()),
            flush=True,
        )


if __name__ == "__main__":
    main()
