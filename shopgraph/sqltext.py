"""SQL text for DuckDB statements that cannot take parameters (COPY targets, file lists): quoted safely."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def literal(value: str | Path) -> str:
    """``value`` as a single-quoted SQL string literal (quotes doubled): ``o'brien`` → ``'o''brien'``."""
    return "'" + str(value).replace("'", "''") + "'"


def literal_list(values: Iterable[str | Path]) -> str:
    """A DuckDB list literal of quoted strings, e.g. for ``read_parquet([...])``."""
    return "[" + ", ".join(literal(v) for v in values) + "]"
