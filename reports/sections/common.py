"""What several sections share: the blocks a section is made of, and tolerant readers of the producers' files.

The readers accept the contract's variations: ``{"en", "fr"}`` dicts or ``key``/``key_fr`` pairs, and a
field under any of its known names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SEED = 7


@dataclass
class Block:
    """One piece of a section: ``kind`` is p, note, missing, h3, list, table, figure, pre or card."""

    kind: str
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    src: str = ""
    children: list[Block] = field(default_factory=list)
    css: str = ""  # extra class (e.g. "numeric" tables, "compact")


@dataclass
class Section:
    number: int
    key: str
    title: str
    blocks: list[Block]


def loc(record: dict[str, Any], key: str, lang: str, default: Any = None) -> Any:
    """``record[key]`` in ``lang`` (a ``{"en","fr"}`` dict or a ``key_fr`` field), else as written."""
    value = record.get(key)
    if isinstance(value, dict) and ("en" in value or "fr" in value):
        return value.get(lang) or value.get("en") or default
    if lang == "fr" and record.get(f"{key}_fr") not in (None, "", []):
        return record[f"{key}_fr"]
    return default if value in (None, "") else value


def first(record: dict[str, Any] | None, *keys: str, default: Any = None) -> Any:
    """The value of the first of ``keys`` that ``record`` holds (not None)."""
    for key in keys:
        if record and record.get(key) is not None:
            return record[key]
    return default


def column(frame: pd.DataFrame, *names: str) -> str | None:
    """The first of ``names`` that is a column of ``frame`` (case-insensitive)."""
    lowered = {c.lower(): c for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def as_float(value: Any) -> float | None:
    """``value`` as a float; None when it is not a number or is NaN."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def is_int(value: Any) -> bool:
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return True


def is_numeric(series: pd.Series) -> bool:
    """A numeric column that is not a yes/no flag."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def localised_text(lang: str, record: dict[str, Any] | None, *keys: str) -> str | None:
    """The first of ``keys`` in the report's language; None when French is asked and only English exists.

    A producer's sentence is shown only in its own language: a plain string counts as English.
    """
    for key in keys:
        if not record or record.get(key) in (None, "", []):
            continue
        value = record[key]
        if isinstance(value, dict) and ("en" in value or "fr" in value):
            text = value.get(lang)
        elif lang == "fr":
            text = record.get(f"{key}_fr")
        else:
            text = value
        if isinstance(text, list):
            text = " ".join(str(x) for x in text)
        if text:
            return str(text)
    return None


#: From this many columns a table is set in the compact style (smaller type and padding), so that
#: it stays within the page's text width (tests/unit/test_report_dossier.py checks every table).
WIDE_TABLE_COLUMNS = 8


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], css: str = "") -> Block:
    """A table; one of up to 16 rows is kept on one page, one of many columns is compact."""
    css = (css + " keep").strip() if len(rows) <= 16 else css
    css = (css + " compact").strip() if len(header) >= WIDE_TABLE_COLUMNS and "compact" not in css else css
    return Block("table", header=[str(h) for h in header], rows=[[str(c) for c in r] for r in rows], css=css)
