"""REES46-sized synthetic months, fast: ≈ 42 M events for the first month, ≈ 60 M for each later one.

The persona generator (:func:`events.synth.generate`) plants a truth to score segmentations
against and sorts every month through DuckDB; this path only has to look like the real files at
their real size, quickly and in bounded memory, for the scale benchmark (``bench/scale.py``) and
for trying the product at size. Per month: ≈ 14 events and 3.06 sessions per customer (heavy
tailed), 35 % of a later month's customers back from earlier months, ≈ 170 k products with
per-month prices, ≈ 700 category codes (≈ 20 % of events without one), ≈ 3.5 k brands (≈ 9 %
without), repeated cart rows, a few bots (:mod:`events.synth.rees46_events`,
:mod:`events.synth.rees46_shop`).

Events are made session block by session block (sessions sorted by start), so each block's
events up to the next block's first start are final: they are sorted and written, the rest
carried over. The file is written by pyarrow's CSV writer into a gzip stream (ISA-L, level 1,
compressing in a second thread) with the real header, timestamps ``2019-10-01 00:00:00 UTC``,
prices with two decimals and empty fields for missing codes and brands. The same seed and
sizes give the same bytes; months can be written one at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from isal import igzip_threaded

from events.synth.clock import month_file_name, parse_months
from events.synth.funnel import EVENT_TYPES
from events.synth.generator import SynthProgress
from events.synth.rees46_events import Events, Sessions, block_events, draw_sessions, month_bounds
from events.synth.rees46_shop import EVENTS_PER_CUSTOMER, FIRST_USER_ID, PRODUCTS, Shop, build_shop, month_customers
from events.synth.writer import HEADER
from shopgraph.errors import ShopgraphError

EVENTS_FIRST = 42_000_000
EVENTS_LATER = 60_000_000
SERIES_START = "2019-10"  # the first month of the series: the one whose customers are all new
SESSIONS_PER_BLOCK = 200_000
GZIP_LEVEL = 1
UUID_CHUNK = 1 << 20
SIDECAR = "synth-rees46.json"


@dataclass
class ScaleResult:
    """What :func:`generate_rees46` wrote: per month its file, events, customers and sessions."""

    out_dir: Path
    files: list[Path]
    months: dict[str, dict[str, int]]
    products: int
    seconds: float
    events_per_type: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(m["events"] for m in self.months.values())


def generate_rees46(
    out_dir: str | Path,
    months: str | Sequence[str] = SERIES_START,
    events_first: float = EVENTS_FIRST,
    events_later: float = EVENTS_LATER,
    seed: int = 0,
    progress: Callable[[SynthProgress], None] | None = None,
    products: int = PRODUCTS,
) -> ScaleResult:
    """Write one REES46-sized ``.csv.gz`` per month into ``out_dir`` and ``synth-rees46.json`` (the counts).

    A month's place in the series from :data:`SERIES_START` sets its size (``events_first``
    for 2019-10, ``events_later`` after) and which customers come back. ``products`` is for
    scaled-down trials (the catalogue in proportion to the events).
    """
    started = time.perf_counter()
    month_list = parse_months(months) if isinstance(months, str) else list(months)
    index = {m: _series_index(m) for m in month_list}
    if events_first < 1_000 or events_later < 1_000:
        raise ShopgraphError("--events must be at least 1000 events a month")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shop = build_shop(seed, products)
    last = max(index.values())
    sizes = [round(events_first if k == 0 else events_later) for k in range(last + 1)]
    customers = [max(1, round(e / EVENTS_PER_CUSTOMER)) for e in sizes]
    result = ScaleResult(out, [], {}, shop.products, 0.0, dict.fromkeys(EVENT_TYPES, 0))
    for month in month_list:
        k = index[month]
        chosen, activity = month_customers(seed, k, customers)
        counts = write_month(out / month_file_name(month), shop, month, k, seed, sizes[k], chosen, activity, progress)
        for name in EVENT_TYPES:
            result.events_per_type[name] += counts.pop(name, 0)
        result.files.append(out / month_file_name(month))
        result.months[month] = counts
    result.seconds = time.perf_counter() - started
    _write_sidecar(
        out, result, {"seed": seed, "events_first": events_first, "events_later": events_later, "products": products}
    )
    return result


def _series_index(month: str) -> int:
    year, mon = (int(x) for x in month.split("-"))
    first_year, first_mon = (int(x) for x in SERIES_START.split("-"))
    k = (year - first_year) * 12 + mon - first_mon
    if k < 0:
        raise ShopgraphError(f"--scale rees46 starts at {SERIES_START}: {month} is before it")
    return k


def write_month(
    target: Path,
    shop: Shop,
    month: str,
    k: int,
    seed: int,
    events: int,
    customers: np.ndarray,
    activity: np.ndarray,
    progress: Callable[[SynthProgress], None] | None,
) -> dict[str, int]:
    """One month file (written to ``.partial``, then renamed); its events, customers, sessions and types."""
    rng = np.random.default_rng([seed, 40, k])
    sessions = draw_sessions(rng, month, FIRST_USER_ID + customers, activity, events, first_key=k << 40)
    first, end = month_bounds(month)
    texts = MonthText(shop, month, k, seed, sessions)
    cdf = np.cumsum(shop.popularity)
    partial = target.with_name(target.name + ".partial")
    written = np.zeros(len(EVENT_TYPES), np.int64)
    with igzip_threaded.open(partial, "wb", compresslevel=GZIP_LEVEL, threads=1) as sink:
        sink.write((HEADER + "\n").encode())
        with pacsv.CSVWriter(sink, texts.schema, write_options=_WRITE_OPTIONS) as writer:
            carry = Events.empty()
            for lo in range(0, len(sessions), SESSIONS_PER_BLOCK):
                block = _slice(sessions, lo, lo + SESSIONS_PER_BLOCK)
                made = Events.concat([carry, block_events(rng, shop, cdf, block)])
                made = made.take(np.flatnonzero(made.time < end))
                cut = int(sessions.start[lo + SESSIONS_PER_BLOCK]) if lo + SESSIONS_PER_BLOCK < len(sessions) else end
                ready = made.time < cut
                out = made.take(np.flatnonzero(ready))
                out = out.take(np.argsort(out.time, kind="stable"))
                carry = made.take(np.flatnonzero(~ready))
                writer.write_table(texts.table(out, first))
                written += np.bincount(out.type, minlength=len(EVENT_TYPES))
                if progress:
                    progress(SynthProgress("events", int(written.sum()), events, int(written.sum()), month))
    partial.replace(target)
    counts = {
        "events": int(written.sum()),
        "customers": len(customers) + int(np.unique(sessions.user_id[sessions.bot]).size),
    }
    counts["sessions"] = len(sessions)
    return counts | {name: int(n) for name, n in zip(EVENT_TYPES, written, strict=True) if n}


_WRITE_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)


def _slice(s: Sessions, lo: int, hi: int) -> Sessions:
    return Sessions(s.user_id[lo:hi], s.start[lo:hi], s.views[lo:hi], s.bot[lo:hi], s.key[lo:hi])


class MonthText:
    """What the month file prints: each second of the month as text, each product's fields, the UUIDs."""

    def __init__(self, shop: Shop, month: str, k: int, seed: int, sessions: Sessions) -> None:
        self.seconds = second_texts(*month_bounds(month))
        self.shop, self.prices = shop, shop.prices(k, seed)
        salt = np.uint64(seed * 0x9E3779B97F4A7C15 % 2**64)
        self.first_key = int(sessions.key[0]) if len(sessions) else 0
        keys = sessions.key.astype(np.uint64) ^ salt
        self.uuids = np.concatenate([session_uuids(keys[i : i + UUID_CHUNK]) for i in range(0, len(keys), UUID_CHUNK)])
        self.schema = pa.schema(
            [
                ("event_time", pa.string()),
                ("event_type", pa.dictionary(pa.int8(), pa.string())),
                ("product_id", pa.int64()),
                ("category_id", pa.int64()),
                ("category_code", pa.string()),
                ("brand", pa.string()),
                ("price", pa.string()),
                ("user_id", pa.int64()),
                ("user_session", pa.string()),
            ]
        )

    def table(self, e: Events, first: int) -> pa.Table:
        product = pa.array(e.product)
        shop = self.shop
        return pa.Table.from_arrays(
            [
                fixed_width_strings(self.seconds[e.time - first]),
                pa.DictionaryArray.from_arrays(pa.array(e.type), pa.array(EVENT_TYPES)),
                pa.array(shop.product_id[e.product]),
                pa.array(shop.category_id[e.product]),
                shop.category_code.take(product),
                shop.brand.take(product),
                self.prices.take(product),
                pa.array(e.user_id.astype(np.int64)),
                fixed_width_strings(self.uuids[e.session - self.first_key]),
            ],
            schema=self.schema,
        )


def second_texts(first: int, end: int) -> np.ndarray:
    """Each second from ``first`` to ``end`` (epoch s, whole days) as ``2019-10-01 00:00:00 UTC``, ``(n, 23)`` ASCII."""
    days = [dt.datetime.fromtimestamp(d, dt.UTC).strftime("%Y-%m-%d ").encode() for d in range(first, end, 86_400)]
    of_day = np.arange(86_400)
    hours, minutes, seconds = of_day // 3600, of_day % 3600 // 60, of_day % 60
    parts = (hours // 10, hours % 10, minutes // 10, minutes % 10, seconds // 10, seconds % 10)
    digits = np.stack(parts, axis=1).astype(np.uint8) + ord("0")
    clock = np.full((86_400, 12), ord(" "), np.uint8)
    clock[:, [0, 1, 3, 4, 6, 7]] = digits
    clock[:, [2, 5]] = ord(":")
    clock[:, 8:] = np.frombuffer(b" UTC", np.uint8)
    text = np.empty((len(days), 86_400, 23), np.uint8)
    text[:, :, :11] = np.frombuffer(b"".join(days), np.uint8).reshape(-1, 1, 11)
    text[:, :, 11:] = clock
    return text.reshape(-1, 23)


def fixed_width_strings(chars: np.ndarray) -> pa.Array:
    """An ``(n, width)`` uint8 array of ASCII as an Arrow string array, without a Python loop."""
    n, width = chars.shape
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars).tobytes()))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: 64 well-mixed bits from a counter."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def session_uuids(keys: np.ndarray) -> np.ndarray:
    """A version-4-shaped UUID (``(n, 36)`` ASCII) per session key: the same key, the same UUID."""
    with np.errstate(over="ignore"):
        hi = _mix(keys * np.uint64(2) + np.uint64(0x632BE59BD9B4E019))
        lo = _mix(keys * np.uint64(2) + np.uint64(0x8CB92BA72F3D8DD7))
    raw = np.stack([hi, lo], axis=1).astype(">u8").view(np.uint8).reshape(-1, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", np.uint8)
    nibbles = np.empty((len(raw), 32), np.uint8)
    nibbles[:, 0::2] = hexdigits[raw >> 4]
    nibbles[:, 1::2] = hexdigits[raw & 0x0F]
    text = np.full((len(raw), 36), ord("-"), np.uint8)
    text[:, 0:8], text[:, 9:13], text[:, 14:18] = nibbles[:, 0:8], nibbles[:, 8:12], nibbles[:, 12:16]
    text[:, 19:23], text[:, 24:36] = nibbles[:, 16:20], nibbles[:, 20:32]
    return text


def _write_sidecar(out: Path, result: ScaleResult, sizes: dict) -> None:
    """``synth-rees46.json``: the seed and sizes asked for and the counts per month (merged with earlier writes)."""
    path = out / SIDECAR
    known = json.loads(path.read_text()) if path.exists() else {}
    same = all(known.get(key) == value for key, value in sizes.items())
    months = (known.get("months", {}) if same else {}) | result.months
    path.write_text(json.dumps({**sizes, "months": months}, indent=2, sort_keys=True) + "\n")
