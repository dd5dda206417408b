"""bench/run_all.py rewrites only the marked output blocks of docs/BENCHMARKS.md."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("run_all", REPO / "bench" / "run_all.py")
run_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_all)


def test_a_block_is_replaced_and_the_prose_around_it_kept() -> None:
    doc = "# B\n\nwhy we measure\n\n<!-- bench:embed -->\n```text\nold\n```\n<!-- /bench:embed -->\n\nafter\n"
    new = run_all.replace_block(doc, "embed", "new figures")
    assert "old" not in new and "new figures" in new
    assert new.startswith("# B\n\nwhy we measure\n") and new.endswith("after\n")
    assert run_all.replace_block(new, "embed", "new figures") == new  # idempotent


def test_a_missing_block_is_appended_under_its_own_heading() -> None:
    new = run_all.replace_block("# B\n", "quality", "ari 0.9")
    assert "<!-- bench:quality -->" in new and "ari 0.9" in new and "## quality" in new


def test_every_documented_block_names_a_known_benchmark() -> None:
    import re

    doc = (REPO / "docs" / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert set(re.findall(r"<!-- bench:(\w+) -->", doc)) <= set(run_all.RUNS)
