"""A real standalone cluster (a master and two workers on this machine) gives DuckDB's store and feature table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from events.ingest import ingest_files
from events.manifest import read_manifest
from events.spark_cluster import local_cluster
from events.synth import generate
from features.calendar import load_calendar
from features.compute import build_user_features
from tests.support.spark_case import comparable, duck_and_spark

REPO = Path(__file__).resolve().parents[2]


def test_ingest_and_features_on_a_standalone_cluster_of_two_workers(spark, engines_home: Path) -> None:
    month = generate(engines_home / "cluster-synth", users=200, months="2019-12", seed=3).files
    duck, on_cluster = duck_and_spark(engines_home, "cluster")
    ingest_files(duck, month)
    build_user_features(duck, load_calendar())
    with local_cluster(engines_home / "cluster-logs", workers=2, cores=1, memory="1g") as url:
        done = subprocess.run(
            [sys.executable, "-m", "tests.support.spark_cluster_driver", url, str(on_cluster.home), *map(str, month)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[:2] == [url, "2"]  # two executors of one core each
    assert " WARN " not in done.stderr and "Setting default log level" not in done.stderr  # log4j2: errors only
    assert [comparable(e) for e in read_manifest(on_cluster)] == [comparable(e) for e in read_manifest(duck)]
    tables = [duckdb.sql(f"SELECT * FROM '{ws.features_dir / 'user_features.parquet'}'") for ws in (duck, on_cluster)]
    assert tables[1].types == tables[0].types
    duck_rows, cluster_rows = (t.fetchall() for t in tables)
    assert len(cluster_rows) == len(duck_rows) > 100
    for d_row, c_row in zip(duck_rows, cluster_rows, strict=True):
        for d, c in zip(d_row, c_row, strict=True):
            assert c == pytest.approx(d, rel=1e-9, abs=1e-12) if isinstance(d, float) else c == d
