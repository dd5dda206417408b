"""The marketing calendar: promotion periods read from a CSV (``name,start,end,kind``) and validated.

The default, ``features/resources/calendar.csv``, covers the data's own years
(2019-10 … 2020-04): Black Friday week 2019, Cyber Monday 2019, the weeks before Christmas
2019 and the January sales 2020. A shop passes its own history of promotions and
newsletters with ``shopgraph features --calendar PATH``: every row counts as a promotion
period, whatever its ``kind`` (the kind is kept for the record).

Format: UTF-8 CSV with a header holding at least ``name,start,end,kind`` (extra columns
are ignored); ``start`` and ``end`` are ISO dates (``YYYY-MM-DD``), both days included,
``start <= end``; ``name`` and ``kind`` are not empty. Periods may overlap.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shopgraph.errors import ShopgraphError

REQUIRED_COLUMNS = ("name", "start", "end", "kind")


@dataclass(frozen=True)
class Period:
    """One promotion period, both ends included."""

    name: str
    start: dt.date
    end: dt.date
    kind: str


@dataclass(frozen=True)
class Calendar:
    """The promotion periods and where they came from (path and SHA-256, for the run record)."""

    periods: tuple[Period, ...]
    source: str
    sha256: str

    def promo_days(self) -> list[dt.date]:
        """Every day that lies in at least one period, sorted, without repeats."""
        days: set[dt.date] = set()
        for p in self.periods:
            days.update(p.start + dt.timedelta(days=i) for i in range((p.end - p.start).days + 1))
        return sorted(days)

    def as_record(self) -> dict[str, object]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "periods": [
                {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat(), "kind": p.kind}
                for p in self.periods
            ],
        }


def default_calendar_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("resources", "calendar.csv")))


def load_calendar(path: Path | str | None = None) -> Calendar:
    """Read and validate a calendar CSV (the shipped default when ``path`` is None).

    Any problem is a :class:`ShopgraphError` with one line naming the file, the line and
    what to fix.
    """
    source = Path(path) if path is not None else default_calendar_path()
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ShopgraphError(f"calendar file {source} not found: pass an existing CSV to --calendar") from None
    except IsADirectoryError:
        raise ShopgraphError(f"calendar {source} is a directory: pass a CSV file to --calendar") from None
    except OSError as exc:
        raise ShopgraphError(f"cannot read calendar file {source}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ShopgraphError(f"calendar {source} is not UTF-8 text: save it as a UTF-8 CSV") from None
    return Calendar(parse_calendar(text, str(source)), str(source), hashlib.sha256(raw).hexdigest())


def parse_calendar(text: str, source: str = "<calendar>") -> tuple[Period, ...]:
    """The periods of a calendar CSV given as text; see the module docstring for the format."""
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise ShopgraphError(f"calendar {source} is empty: it needs a header line name,start,end,kind")
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ShopgraphError(
            f"calendar {source} line 1: missing column(s) {', '.join(missing)}; "
            f"the header must name {','.join(REQUIRED_COLUMNS)}"
        )
    at = {c: columns.index(c) for c in REQUIRED_COLUMNS}
    periods: list[Period] = []
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < len(columns):
            raise ShopgraphError(
                f"calendar {source} line {line_no}: {len(row)} field(s), the header has {len(columns)}"
            )
        name, kind = row[at["name"]].strip(), row[at["kind"]].strip()
        if not name or not kind:
            raise ShopgraphError(f"calendar {source} line {line_no}: 'name' and 'kind' must not be empty")
        start = _date(row[at["start"]], "start", source, line_no)
        end = _date(row[at["end"]], "end", source, line_no)
        if end < start:
            raise ShopgraphError(
                f"calendar {source} line {line_no}: end {end} is before start {start} (both days are included)"
            )
        periods.append(Period(name, start, end, kind))
    if not periods:
        raise ShopgraphError(f"calendar {source} has no periods: add rows name,start,end,kind")
    return tuple(periods)


def _date(value: str, column: str, source: str, line_no: int) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ShopgraphError(
            f"calendar {source} line {line_no}: {column} {value.strip()!r} is not a date (use YYYY-MM-DD)"
        ) from None
