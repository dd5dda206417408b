"""The order in which the suite hands its modules to the xdist workers (tests/conftest.py)."""

from __future__ import annotations

LONGEST_FIRST = (
    "tests/integration/test_pipeline_run.py",
    "tests/integration/test_graph_bulk.py",
    "tests/integration/test_graph_load_crash.py",
    "tests/unit/test_communities.py",
    "tests/unit/test_report_dossier.py",
    "tests/integration/test_segments_writeback_pipeline.py",
    "tests/integration/test_segments_writeback_crash.py",
    "tests/integration/test_neo4j_foundation.py",
    "tests/unit/test_segments_drift.py",
    "tests/integration/test_segments_writeback.py",
)
"""The modules that take longest (40–120 s each; docs/BENCHMARKS.md, "The test suite's time"), run first. The
xdist workers take whole modules (``--dist loadscope``) in collection order (``--no-loadscope-reorder``; its
default puts the modules with the most tests first, which left these few-test modules for last, on one worker
while the other waited): longest first, the two workers end within seconds of each other."""


def longest_first(items: list) -> None:
    """Sort the collected ``items`` so that the modules of ``LONGEST_FIRST`` come first, in its order; a stable
    sort, so each module's tests keep their order (some build on the ones before)."""
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
