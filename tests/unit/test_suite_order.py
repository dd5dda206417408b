"""The suite's schedule (tests/support/schedule.py): the modules it runs first exist (a rename drops none)."""

from __future__ import annotations

from pathlib import Path

from tests.support.schedule import LONGEST_FIRST

REPO = Path(__file__).resolve().parents[2]


def test_the_longest_modules_named_first_exist_once_each() -> None:
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
    assert [m for m in LONGEST_FIRST if not (REPO / m).is_file()] == []
