"""Run every benchmark of bench/ and rewrite its output block in docs/BENCHMARKS.md.

Usage::

    scripts/bench                       # every benchmark, its default sizes (long: see RUNS)
    scripts/bench --only embed quality  # some of them
    scripts/bench --list                # what would run, with the arguments

Each benchmark's output block in ``docs/BENCHMARKS.md`` sits between two markers::

    <!-- bench:NAME -->
    ```text
    … the last run's output …
    ```
    <!-- /bench:NAME -->

The text around the markers (what is measured, why, the decisions) is written by hand and
kept; only the block is replaced, headed by the command, the machine (CPUs, memory, load
average), the date and the wall time of the run. A benchmark that fails keeps its previous
block and makes this script exit non-zero. Every script prints its own ratios against a
reference run in the same script, and its medians or best-of over repeats (see each
script's docstring), so the figures hold on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "BENCHMARKS.md"

#: name → arguments after ``python bench/NAME.py`` (the sizes the documented figures use).
RUNS: dict[str, list[str]] = {
    "ingest": ["--synth-users", "560000", "--month", "2019-11", "--out", "/tmp/sg-bench-ingest-2m"],
    "load": ["--users", "170000"],
    "load_statements": [],
    "features": [],
    "embed": [],
    "foldin": [],
    "segment": [],
    "segment_writeback": ["--kill-test", "--vectors-up-to", "100000"],
    "quality": [],
    "quality_seeds": [],
    "reproducibility": [],
    "recommend": [],
    "queries": [],
    "vector_index": ["--users", "100000"],
    "pipeline": [],
}


def machine_line() -> str:
    """CPUs, memory, Python and load average: what the figures were measured on."""
    try:
        mem = (
            int(
                next(
                    line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
                ).split()[1]
            )
            / 2**20
        )
    except (OSError, StopIteration):
        mem = 0.0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (
        f"{os.cpu_count()} CPUs, {mem:.0f} GiB, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, load average {load:.1f} at start"
    )


def replace_block(doc: str, name: str, body: str) -> str:
    """``doc`` with the block of ``name`` replaced by ``body``; the block is appended when missing."""
    block = f"<!-- bench:{name} -->\n```text\n{body.rstrip()}\n```\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    if pattern.search(doc):
        return pattern.sub(lambda _: block, doc, count=1)
    return doc.rstrip() + f"\n\n## {name} (added by bench/run_all.py: describe it)\n\n{block}\n"


def run_one(name: str, args: list[str], python: str) -> tuple[int, str]:
    """Run one benchmark, streaming its output; return its exit code and the block text."""
    command = [python, f"bench/{name}.py", *args]
    started_at = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = f"$ {' '.join(['python', *command[1:]])}\n# {started_at}, {machine_line()}"
    print(header, flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    code = proc.wait()
    footer = f"# wall time {time.perf_counter() - started:.0f}s, exit code {code}"
    print(footer, flush=True)
    return code, "\n".join([header, "".join(lines).rstrip(), footer])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUNS), help="run only these benchmarks")
    parser.add_argument("--list", action="store_true", help="print what would run and stop")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/BENCHMARKS.md")
    args = parser.parse_args()
    names = [n for n in RUNS if not args.only or n in args.only]
    missing = [n for n in names if not (REPO / "bench" / f"{n}.py").is_file()]
    if missing:
        print(f"error: no bench script for {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.list:
        for name in names:
            print(f"python bench/{name}.py {' '.join(RUNS[name])}".rstrip())
        return 0
    failed = []
    for name in names:
        code, body = run_one(name, RUNS[name], sys.executable)
        if code != 0:
            failed.append(name)
            continue
        if not args.no_write:
            DOC.write_text(replace_block(DOC.read_text(encoding="utf-8"), name, body), encoding="utf-8")
    if failed:
        print(f"failed (their previous output is kept): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
