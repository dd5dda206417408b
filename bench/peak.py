"""The peak memory of one command: its process tree's summed resident memory, sampled every 0.5 s.

    python bench/peak.py shopgraph segment

What bench/scale.py measures per step, for a single command (a step run again on a kept workspace, for
example). Neo4j is not counted when it was started apart (`shopgraph neo4j start`). Prints the exit code,
the wall seconds and the peak in GiB; exits with the command's code.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_child import tree_rss  # bench/ is on sys.path


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    started = time.perf_counter()
    proc = subprocess.Popen(sys.argv[1:])
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    print(f"exit {proc.returncode}, {seconds:.0f} s, peak {peak / 2**30:.2f} GiB (the command's process tree)")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
