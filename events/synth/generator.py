"""The entry point: :func:`generate` writes the month files and ``personas.csv``, chunk by chunk.

One random generator per job, seeded from ``seed`` (catalogue, users, then one per chunk of
:data:`USERS_PER_CHUNK` users), so the output depends on the seed and the constants only.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from events.synth.catalogue import TASTE_CATEGORIES, Catalogue, build_catalogue
from events.synth.chunk import chunk_events
from events.synth.clock import Clock, parse_months
from events.synth.personas import PERSONA_NAMES, PERSONAS, assign_users
from events.synth.writer import write_chunk_parts, write_months, write_personas
from shopgraph.errors import ShopgraphError

USERS_PER_CHUNK = 20_000


@dataclass
class SynthResult:
    """What :func:`generate` wrote."""

    out_dir: Path
    files: list[Path]
    personas_file: Path
    users: int
    events: int  # rows written, duplicates included
    duplicates: int  # extra copies of exact duplicate rows
    events_per_month: dict[str, int]
    events_per_type: dict[str, int]
    users_per_persona: dict[str, int]
    seed: int
    seconds: float = 0.0
    products: int = 0
    blended_users: int = 0  # users whose sessions blend two personas (secondary_persona in personas.csv)
    brand_families: dict[str, tuple[str, ...]] = field(default_factory=dict)  # family → brands, anchor first
    category_families: dict[str, tuple[str, ...]] = field(default_factory=dict)  # taste → category codes

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class SynthProgress:
    """Where :func:`generate` is: ``stage`` is ``users`` (generating) or ``months`` (writing files)."""

    stage: str
    done: int
    total: int
    events: int
    month: str | None = None


def generate(
    out_dir: str | Path,
    users: int,
    months: str | Sequence[str] = "2019-10..2020-04",
    seed: int = 0,
    progress: Callable[[SynthProgress], None] | None = None,
) -> SynthResult:
    """Write one REES46 ``.csv.gz`` per month and ``personas.csv`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        Created if missing. Existing month files of the same names are replaced.
    users
        Number of synthetic users (≈ 30 events each over seven months, fewer over fewer
        months, heavy-tailed; 340 000 users give about 10 M events for 2019-10..2020-04).
    months
        ``"2019-10..2020-04"``, ``"2019-11"``, ``"2019-10,2019-12"`` or a list of ``YYYY-MM``.
    seed
        Seed of the numpy Generator: the same seed and arguments give byte-identical files.
    progress
        Called after each chunk of users and each month file.
    """
    started = time.perf_counter()
    month_list, out = _checked_arguments(out_dir, users, months)
    clock = Clock.build(month_list)
    all_months = [dt.datetime.fromtimestamp(int(e), dt.UTC).strftime("%Y-%m") for e in clock.month_edges[:-1]]
    catalogue = build_catalogue(np.random.default_rng([seed, 0]), users, len(all_months))
    user_ids, persona, secondary = assign_users(np.random.default_rng([seed, 1]), users, clock)

    def on_month(done: int, month: str, written: int) -> None:
        if progress:
            progress(SynthProgress("months", done, len(month_list), written, month))

    tmp = out / ".synth-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        events, duplicates = _generate_chunks(
            tmp, seed, all_months, catalogue, clock, user_ids, persona, secondary, progress
        )
        files, per_month, per_type = write_months(out, tmp, catalogue, month_list, on_month)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_personas(out / "personas.csv", user_ids, persona, secondary)
    counts = np.bincount(persona, minlength=len(PERSONAS))
    return SynthResult(
        out_dir=out,
        files=files,
        personas_file=out / "personas.csv",
        users=users,
        events=events,
        duplicates=duplicates,
        events_per_month=per_month,
        events_per_type=per_type,
        users_per_persona={n: int(c) for n, c in zip(PERSONA_NAMES, counts, strict=True) if c},
        seed=seed,
        seconds=time.perf_counter() - started,
        products=catalogue.products,
        blended_users=int((secondary >= 0).sum()),
        brand_families=catalogue.brand_family_names(),
        category_families=dict(TASTE_CATEGORIES),
    )


def _checked_arguments(out_dir: str | Path, users: int, months: str | Sequence[str]) -> tuple[list[str], Path]:
    """The months to write and the output directory (created), or a :class:`ShopgraphError` saying what is wrong."""
    if users < 1:
        raise ShopgraphError(f"--users must be at least 1 (got {users})")
    month_list = parse_months(months) if isinstance(months, str) else parse_months(",".join(months))
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ShopgraphError(f"{out} exists and is not a directory: choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    return month_list, out


def _generate_chunks(
    tmp: Path,
    seed: int,
    all_months: list[str],
    catalogue: Catalogue,
    clock: Clock,
    user_ids: np.ndarray,
    persona: np.ndarray,
    secondary: np.ndarray,
    progress: Callable[[SynthProgress], None] | None,
) -> tuple[int, int]:
    """Every chunk's events into ``tmp`` (Parquet, by month); the events and the duplicate copies written.

    A ``seq`` column (chunk, then row) keeps the generation order of events with the same time.
    """
    users = len(user_ids)
    events = duplicates = 0
    for chunk, first in enumerate(range(0, users, USERS_PER_CHUNK)):
        last = min(first + USERS_PER_CHUNK, users)
        rng = np.random.default_rng([seed, 2, chunk])
        table = chunk_events(rng, catalogue, clock, user_ids[first:last], persona[first:last], secondary[first:last])
        table = table.append_column("seq", pa.array(np.arange(table.num_rows, dtype=np.int64) + (chunk << 36)))
        events += table.num_rows
        duplicates += int(pc.sum(table.column("duplicate")).as_py() or 0)
        write_chunk_parts(tmp, table, chunk, all_months)
        if progress:
            progress(SynthProgress("users", last, users, events))
    return events, duplicates
