"""SQL text shopgraph builds: quoted literals for DuckDB statements that cannot take parameters (COPY
targets, file lists), and sums that do not depend on the order rows arrive in (DuckDB and Spark alike)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def literal(value: str | Path) -> str:
    """``value`` as a single-quoted SQL string literal (quotes doubled): ``o'brien`` → ``'o''brien'``."""
    return "'" + str(value).replace("'", "''") + "'"


def literal_list(values: Iterable[str | Path]) -> str:
    """A DuckDB list literal of quoted strings, e.g. for ``read_parquet([...])``."""
    return "[" + ", ".join(literal(v) for v in values) + "]"


#: Fixed-point type of the exact sums: 26 digits before the point, 12 after.
EXACT_DECIMAL = "DECIMAL(38, 12)"


def exact_sum(expr: str, where: str | None = None) -> str:
    """``sum(expr)`` as a DOUBLE that is the same whatever order the rows are added in.

    A floating-point sum depends on the order of its terms (0.1 + 0.2 + 0.7 is 1.0 one way and
    0.9999999999999999 the other), and parallel engines add in thread order, so two runs over the
    same events differed in the last digits. Each term is rounded to 12 decimals and added exactly.
    ``where`` becomes the aggregate's ``FILTER (WHERE …)``.
    """
    return f"CAST(sum(CAST({expr} AS {EXACT_DECIMAL})){_filter(where)} AS DOUBLE)"


def exact_avg(expr: str, where: str | None = None) -> str:
    """``avg(expr)`` as a DOUBLE, from an exact sum (see :func:`exact_sum`); NULL over no rows."""
    return f"CAST(avg(CAST({expr} AS {EXACT_DECIMAL})){_filter(where)} AS DOUBLE)"


def _filter(where: str | None) -> str:
    return f" FILTER (WHERE {where})" if where else ""
