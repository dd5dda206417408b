"""The test JVMs compile with C1 only: on the tests' small graphs and tables C2's compiler threads cost more
CPU than they win back (README, "Set up and run"; docs/BENCHMARKS.md, "The test suite's time")."""

from __future__ import annotations

import os

TEST_JVM = "-XX:TieredStopAtLevel=1"


def quick_jvm() -> None:
    """Add ``TEST_JVM`` to ``JDK_JAVA_OPTIONS``, which every ``java`` this process starts from now on reads:
    the test Neo4j, its restarts and neo4j-admin, Spark's driver and a local cluster's master, workers and
    executors (they inherit the environment)."""
    given = os.environ.get("JDK_JAVA_OPTIONS", "")
    if TEST_JVM not in given.split():
        os.environ["JDK_JAVA_OPTIONS"] = f"{given} {TEST_JVM}".strip()
