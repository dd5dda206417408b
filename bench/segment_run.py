"""One segmentation run (``segments.segmentation.segment``) on a kept workspace: its peak memory, and where.

    python bench/segment_run.py --home WORKSPACE [--cluster-users N] [--log FILE] [--limit-gib 19]

The workspace is not touched: its inputs are linked (or copied) into a scratch workspace whose segments/
folder is a copy, and the run publishes there. A sampler thread reads the process's resident memory every
0.5 s and, at each new peak (+256 MiB) or every 30 s, logs it with the run's stage and the main thread's
stack (shopgraph's frames), so a run that grows with the shop shows where. ``--cluster-users`` overrides
``segmentation.CLUSTER_USERS`` (a huge value: every customer with enough events, the behaviour before the
cap). Over ``--limit-gib`` the run is stopped (exit 3) before the machine's OOM killer does it.
Prints the wall seconds, the peak and the run's stage timings, then the memory the process still holds once the
run is freed, before and after glibc's ``malloc_trim`` (what a later step in the same process starts from);
Neo4j is not needed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # last: bench/features.py must not hide the features package

from run_child import rss as resident

from segments import segmentation
from shopgraph.memory import release_freed_memory
from shopgraph.workspace import Workspace

LINKED = ("store", "features", "embeddings", "graph", "pipeline")  # read-only for a segmentation run
COPIED = ("segments",)


def scratch_workspace(home: Path, scratch: Path) -> Workspace:
    """``scratch`` holding ``home``'s inputs as hard links (copies across file systems) and a copy of its runs."""
    for name in LINKED:
        if (home / name).exists():
            shutil.copytree(home / name, scratch / name, copy_function=_link)
    for name in COPIED:
        if (home / name).exists():
            shutil.copytree(home / name, scratch / name, symlinks=True)
    return Workspace(scratch)


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class Sampler:
    """Resident memory of this process every ``every`` seconds; the stage and stack at each new peak."""

    def __init__(self, log, limit: int, every: float = 0.5) -> None:
        self.log, self.limit, self.every = log, limit, every
        self.peak, self.stage, self.started = 0, "-", time.perf_counter()
        self.main = threading.main_thread().ident
        threading.Thread(target=self._run, daemon=True).start()

    def progress(self, phase: str, done: int, total: int) -> None:
        self.stage = f"{phase} {done:,}/{total:,}"

    def _run(self) -> None:
        logged, me = -1e9, os.getpid()  # the first sample is logged
        while True:
            rss = resident(me)
            now = time.perf_counter() - self.started
            if rss > self.peak + 2**28 or now - logged > 30:
                frames = traceback.extract_stack(sys._current_frames().get(self.main))
                stack = " > ".join(
                    f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames if "site-packages" not in f.filename
                )
                print(f"{now:7.1f}s {rss / 2**30:6.2f} GiB [{self.stage}] {stack}", file=self.log, flush=True)
                logged = now
            self.peak = max(self.peak, rss)
            if rss > self.limit:
                print(f"over {self.limit / 2**30:.0f} GiB at [{self.stage}]: stopped", file=self.log, flush=True)
                os._exit(3)
            time.sleep(self.every)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="the workspace to segment (left as it is)")
    parser.add_argument("--cluster-users", type=int, default=None, help="segmentation.CLUSTER_USERS for this run")
    parser.add_argument("--scratch", type=Path, default=None, help="scratch workspace (default: a temporary one)")
    parser.add_argument("--log", type=Path, default=None, help="the sampler's lines (default: standard error)")
    parser.add_argument("--limit-gib", type=float, default=19.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (args.home / "features").is_dir():
        print(f"segment_run: no features in {args.home}: run `shopgraph run` there first", file=sys.stderr)
        return 2
    if args.cluster_users is not None:
        segmentation.CLUSTER_USERS = args.cluster_users
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="sg-segment-run-", dir=args.home.parent))
    with open(args.log, "w") if args.log else contextlib.nullcontext(sys.stderr) as log:
        return _run(args, scratch, log)


def _run(args: argparse.Namespace, scratch: Path, log) -> int:
    try:
        workspace = scratch_workspace(args.home.resolve(), scratch)
        sampler = Sampler(log, int(args.limit_gib * 2**30))
        run = segmentation.segment(workspace, seed=args.seed, progress=sampler.progress)
        seconds = time.perf_counter() - sampler.started
        print(
            f"segmentation of {run.users:,} customers ({run.record['inputs']['users_clustered']:,} clustered): "
            f"{seconds:.0f} s, peak {sampler.peak / 2**30:.2f} GiB; stages {json.dumps(run.timings)}"
        )
        del run
        gc.collect()
        held = resident(os.getpid())
        release_freed_memory()  # what `run` does between the segmentation and its write-back
        trimmed = resident(os.getpid())
        print(  # what a step after the segmentation in the same process starts from (`run`'s write-back)
            f"resident after the run: {held / 2**30:.2f} GiB; after malloc_trim: {trimmed / 2**30:.2f} GiB"
        )
    finally:
        if args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
