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
#: Terms at least this large (in absolute value) are added as floats: no real price or price ratio comes near
#: it, and 10^11 terms under it cannot overflow the decimal sum, so a store's absurd values never stop a step.
EXACT_BOUND = "1e15"
_ZERO = "CAST(0 AS DOUBLE)"


def exact_sum(expr: str, where: str | None = None) -> str:
    """``sum(expr)`` over the rows where ``where`` holds, as a DOUBLE that is the same whatever order the rows
    are added in. SQL that DuckDB and Spark both read.

    A floating-point sum depends on the order of its terms (0.1 + 0.2 + 0.7 is 1.0 one way and
    0.9999999999999999 the other), and parallel engines add in thread order, so two runs over the
    same events differed in the last digits. Each term under ``EXACT_BOUND`` is rounded to 12 decimals
    and added exactly; larger ones, and infinities, are added as floats. NULL over no rows, as ``sum``.
    The condition goes inside the terms rather than in a ``FILTER``: the three aggregates then share one
    expression (docs/BENCHMARKS.md, "Features", "Exact sums").
    """
    term = _term(expr, where)
    small = f"abs({term}) < {EXACT_BOUND}"
    exact = f"sum(CASE WHEN {small} THEN CAST({term} AS {EXACT_DECIMAL}) END)"  # in a CASE: no large one is cast
    rest = f"sum(CASE WHEN {small} THEN NULL ELSE {term} END)"
    return (
        f"(CASE WHEN count({term}) = 0 THEN NULL "
        f"ELSE coalesce(CAST({exact} AS DOUBLE), {_ZERO}) + coalesce({rest}, {_ZERO}) END)"
    )


def exact_avg(expr: str, where: str | None = None) -> str:
    """``avg(expr)`` over the rows where ``where`` holds, as a DOUBLE, from :func:`exact_sum`; NULL over no rows."""
    return f"({exact_sum(expr, where)} / count({_term(expr, where)}))"


def _term(expr: str, where: str | None) -> str:
    return f"(CASE WHEN {where} THEN {expr} END)" if where else expr
