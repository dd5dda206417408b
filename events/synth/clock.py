"""The generated months and their hourly traffic: when sessions start, which day is on promotion.

The shop's calendar (daily and weekly rhythms, special days, promotion periods, the holiday
season) lives here as data; :class:`Clock` turns it into per-hour traffic profiles and samples
session start times from them.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from shopgraph.errors import ShopgraphError

# (start, end) both included — the same periods as features/resources/calendar.csv
PROMOTIONS: tuple[tuple[str, str], ...] = (
    ("2019-11-25", "2019-12-01"),  # Black Friday week
    ("2019-12-02", "2019-12-02"),  # Cyber Monday
    ("2019-12-09", "2019-12-24"),  # weeks before Christmas
    ("2020-01-02", "2020-01-19"),  # January sales
)
HOLIDAY_SEASON = ("2019-11-20", "2019-12-31")

# traffic multipliers per day (start, end, factor); later rows multiply earlier ones
SPECIAL_DAYS: tuple[tuple[str, str, float], ...] = (
    ("2019-11-01", "2019-11-30", 1.25),  # November is the busiest month
    ("2019-11-11", "2019-11-11", 1.4),  # Singles' Day
    ("2019-11-25", "2019-11-28", 1.3),
    ("2019-11-29", "2019-11-29", 2.8),  # Black Friday
    ("2019-11-30", "2019-12-01", 1.6),
    ("2019-12-02", "2019-12-02", 2.2),  # Cyber Monday
    ("2019-12-09", "2019-12-15", 1.25),
    ("2019-12-16", "2019-12-24", 1.6),  # before Christmas
    ("2019-12-31", "2019-12-31", 0.6),
    ("2020-01-01", "2020-01-01", 0.4),
    ("2020-03-05", "2020-03-07", 1.3),  # before 8 March
)
# share of traffic per hour of day (UTC; the shop's customers live around UTC+3), six hours a row
DAILY_RHYTHM = np.array(
    [
        *(0.25, 0.15, 0.12, 0.15, 0.30, 0.55),  # 00-05
        *(0.80, 0.95, 1.00, 1.00, 1.00, 1.00),  # 06-11
        *(1.05, 1.10, 1.15, 1.20, 1.20, 1.15),  # 12-17
        *(1.05, 0.90, 0.75, 0.60, 0.45, 0.35),  # 18-23
    ]
)
WEEKLY_RHYTHM = np.array([1.02, 1.00, 0.98, 0.97, 0.95, 0.93, 1.08])  # Monday … Sunday
PROMO_DAY_FACTOR = 6.0  # the "promo" profile's traffic on a promotion day, against other days


def parse_months(spec: str) -> list[str]:
    """``2019-10..2020-04`` (both included), ``2019-11`` or ``2019-10,2019-12`` → ``["2019-10", …]``."""
    months: list[dt.date] = []
    for part in spec.split(","):
        if ".." in part:
            first, last = (_month(x) for x in part.split("..", 1))
            if last < first:
                raise ShopgraphError(f"month range {part.strip()!r} ends before it starts")
            m = first
            while m <= last:
                months.append(m)
                m = _next_month(m)
        elif part.strip():
            months.append(_month(part))
    if not months:
        raise ShopgraphError("no months given: use e.g. --months 2019-10..2020-04")
    return sorted({m.strftime("%Y-%m") for m in months})


def month_file_name(month: str) -> str:
    """``2019-10`` → ``2019-Oct.csv.gz`` (the published files' names)."""
    year, mon = month.split("-")
    return f"{year}-{_calendar.month_abbr[int(mon)]}.csv.gz"


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ShopgraphError(f"month {text.strip()!r} is not YYYY-MM (e.g. 2019-10..2020-04)") from None


def _next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _epoch(day: str | dt.date) -> int:
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp())


@dataclass
class Clock:
    """Hourly traffic over the generated months and samplers of session start times."""

    months: list[str]
    hour0: int = 0  # epoch seconds of the first hour
    hours: int = 0
    in_window: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # per hour: month requested
    cdfs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    promo_period: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # per day, -1 = none
    month_edges: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def build(cls, months: list[str]) -> Clock:
        """The clock of ``months`` (sorted ``YYYY-MM``), every day from the first to the last one's end."""
        first = dt.date.fromisoformat(months[0] + "-01")
        end = _next_month(dt.date.fromisoformat(months[-1] + "-01"))
        days = (end - first).days
        day_dates = [first + dt.timedelta(days=i) for i in range(days)]
        requested = set(months)
        day_in = np.array([d.strftime("%Y-%m") in requested for d in day_dates])
        promo = _promo_periods(day_dates)
        clock = cls(months=months, hour0=_epoch(first), hours=days * 24)
        clock.in_window = np.repeat(day_in, 24)
        clock.promo_period = promo
        edges = sorted({_epoch(d.replace(day=1)) for d in day_dates} | {_epoch(end)})
        clock.month_edges = np.array(edges, np.int64)
        hourly = (_day_factors(day_dates) * day_in)[:, None] * DAILY_RHYTHM[None, :]
        holiday = np.array([HOLIDAY_SEASON[0] <= d.isoformat() <= HOLIDAY_SEASON[1] for d in day_dates])
        profiles = {
            "base": hourly,
            "promo": hourly * (1.0 + (PROMO_DAY_FACTOR - 1.0) * (promo >= 0))[:, None],
            "holiday": hourly * holiday[:, None],
        }
        for name, weights in profiles.items():
            w = weights.ravel()
            if w.sum() > 0:  # a profile without traffic in the window (holiday in spring) has no sampler
                cdf = np.cumsum(w) / w.sum()
                cdf[-1] = 1.0
                clock.cdfs[name] = (cdf, w / w.sum())
        return clock

    @property
    def end(self) -> int:
        return self.hour0 + self.hours * 3600

    def months_of_traffic(self, profile: str) -> float:
        """How many months' worth of days the profile's traffic is spread over."""
        _cdf, p = self.cdfs[profile]
        active_days = np.count_nonzero(p.reshape(-1, 24).sum(axis=1))
        return active_days / 30.4

    def sample(self, profile: str, u: np.ndarray) -> np.ndarray:
        """Epoch seconds for positions ``u`` in [0, 1) of the profile's cumulative traffic."""
        cdf, p = self.cdfs[profile]
        h = np.minimum(np.searchsorted(cdf, u, side="right"), self.hours - 1)
        before = np.where(h > 0, cdf[np.maximum(h - 1, 0)], 0.0)
        within = np.clip((u - before) / np.maximum(p[h], 1e-300), 0.0, 0.999999)
        return self.hour0 + h.astype(np.int64) * 3600 + (within * 3600).astype(np.int64)


def _day_factors(day_dates: list[dt.date]) -> np.ndarray:
    """Per day: the weekly rhythm times every special day's factor that covers it."""
    day_factor = np.array([WEEKLY_RHYTHM[d.weekday()] for d in day_dates])
    for start, stop, factor in SPECIAL_DAYS:
        for i, d in enumerate(day_dates):
            if start <= d.isoformat() <= stop:
                day_factor[i] *= factor
    return day_factor


def _promo_periods(day_dates: list[dt.date]) -> np.ndarray:
    """Per day: the index of its promotion period in :data:`PROMOTIONS`, -1 for none."""
    promo = np.full(len(day_dates), -1, np.int8)
    for k, (start, stop) in enumerate(PROMOTIONS):
        for i, d in enumerate(day_dates):
            if start <= d.isoformat() <= stop:
                promo[i] = k
    return promo
