"""bench/segment_run.py: one segmentation run on a kept workspace, which it leaves as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.planted_shop import PlantedShop

REPO = Path(__file__).resolve().parents[2]


def test_segment_run_measures_a_run_and_leaves_the_workspace_alone(planted_shop: PlantedShop, tmp_path: Path) -> None:
    home = planted_shop.copy(tmp_path / "home").home
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    log = tmp_path / "sampler.log"
    args = ["--home", str(home), "--cluster-users", "300", "--log", str(log)]
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "segment_run.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "clustered" in done.stdout and "peak" in done.stdout and "(300 clustered)" in done.stdout
    assert "after malloc_trim" in done.stdout
    assert "GiB [" in log.read_text()  # the sampler's lines: resident memory and the run's stage
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before
    assert not list(tmp_path.glob("sg-segment-run-*")), "the scratch workspace is removed"


def test_segment_run_without_features_says_so_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "segment_run.py"), "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "no features" in done.stderr
