"""Before `run` does any work: the disk and memory it expects to need, and a refusal when they do not fit.

A REES46 month is tens of millions of events: a run that fills the disk or the memory an hour in
leaves the user nothing but a broken afternoon. From the new files (events counted on a sample of
each file's first megabytes) and the events already in the store, the figures of :data:`RATIOS`
give the new bytes of the event store, of Neo4j's data and of the workspace's other files, and the
peak memory of shopgraph; Neo4j's heap and page cache come from its memory plan (graph/memory.py).
shopgraph's steps take one month file at a time and read the history in buckets and chunks, so its
peak follows the largest new file, plus a smaller term for what it holds per customer of the history.
When the free disk or the available memory cannot hold them, :func:`check` raises one line;
``shopgraph run --no-resource-check`` skips the refusal (the forecast is still printed).
"""

from __future__ import annotations

import os
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace

GIB = 1 << 30
SAMPLE_BYTES = 8 << 20  # bytes of a month file read to learn its bytes per event (gzip: compressed bytes)


@dataclass(frozen=True)
class Ratios:
    """Per-event costs: ``base + per_event × events`` for each figure (bytes)."""

    gz_bytes_per_event: float  # compressed month files (the synthetic ones are the denser: fewer bytes)
    csv_bytes_per_event: float
    store_per_event: float  # event store (Parquet), per event ingested
    neo4j_per_event: float  # Neo4j's data directory, per event loaded into an empty graph (the bulk import)
    neo4j_per_event_later: float  # ... per event of a later month (loaded through Bolt beside the history)
    neo4j_base: float
    files_per_event: float  # features, vectors, runs and reports, per event in the store
    files_base: float
    peak_per_file_event: float  # shopgraph's peak resident memory, per event of the largest new file
    peak_per_event: float  # ... and per event in the store after the run (the history's customers)
    peak_base: float


# Intercepts from `python bench/scale.py --fraction 0.02` (fixed costs of an almost empty workspace);
# disk slopes from the first full-size month, `python bench/scale.py --months 1 --data DIR` (41.97 M events,
# 3.0 M customers): event store 0.918 GiB, Neo4j's data 10.78 GiB, the other files 1.59 GiB, each less its
# intercept, per event. shopgraph's peak from months 1 and 2 at full size (2026-12-03, docs/bench/scale.json):
# 5.66 GiB for 41.97 M events, 7.51 GiB (the assign step, by chunks) for 59.99 M more: the least-squares
# fit of bench/scale.py gives the history term 0 and 128.3 B per event of the largest new file. A history term
# of 0 holds since a retrain clusters at most segmentation.CLUSTER_USERS customers and DuckDB's reads of the
# store are bounded (events.store.READ_MEMORY_LIMIT): month 3's retrain over 8.6 M customers held every one of
# them before and went over 14.8 GB; with the cap its segment step peaked at 7.45 GiB (docs/BENCHMARKS.md,
# "Scale"). Bytes per event of a .gz (used only when a file's sample cannot be read): the real 2019-Oct.csv.gz's.
# A later month's Neo4j growth, through Bolt: 10.28 GiB for month 2's 59.99 M events (184 B each) and 7.45 GiB for
# month 3's 59.97 M (133 B; docs/bench/scale-months12-1207.json, scale-month3-1207.json): 190 B, the larger rounded
# up, instead of the first month's 250 B (a month 4 forecast at 28.1 GiB with it, 24.3 with this, where month 3 had
# written 10.5 GiB and held 4.8 GiB of transaction logs at their peak: docs/BENCHMARKS.md, "Month 3 at today's code").
RATIOS = Ratios(
    gz_bytes_per_event=38.0,
    csv_bytes_per_event=139.5,
    store_per_event=23.5,
    neo4j_per_event=250.0,
    neo4j_per_event_later=190.0,
    neo4j_base=1.05e9,
    files_per_event=38.9,
    files_base=11.8e6,
    peak_per_file_event=128.3,
    peak_per_event=0.0,
    peak_base=0.5e9,
)


TX_LOG_PER_EVENT = 550.0
"""Bytes of transaction log per new event: month 3 of bench/scale.py logged ≈ 32 GB (118 files of ≈ 271 MB since
the last checkpoint) for its load and features, 59.97 M events, before the disk filled (2026-12-04)."""


@dataclass(frozen=True)
class Forecast:
    """What the run expects to need (bytes) and what the machine has."""

    new_events: int  # estimated, in the files not yet in the store
    history_events: int  # already in the store
    disk: dict[str, int]  # event store, Neo4j data, workspace files: new bytes
    memory: dict[str, int]  # shopgraph peak, Neo4j heap + page cache
    free_disk: int
    free_memory: int  # available memory, plus what our running Neo4j already holds (its need is counted whole)

    def lines(self) -> list[str]:
        """The forecast as the user reads it before the run starts."""
        if not self.new_events:
            return [f"forecast: no new files; {self.history_events:,} events in the store"]
        disk = ", ".join(f"{name} {_gib(size)}" for name, size in self.disk.items())
        memory = ", ".join(f"{name} {_gib(size)}" for name, size in self.memory.items())
        return [
            f"forecast for ≈ {self.new_events:,} new events ({self.history_events:,} in the store):",
            f"  disk {_gib(sum(self.disk.values()))} ({disk}); {_gib(self.free_disk)} free",
            f"  memory {_gib(sum(self.memory.values()))} at the peak ({memory}); {_gib(self.free_memory)} available",
        ]


def forecast(
    workspace: Workspace,
    paths: list[Path],
    neo4j_memory: int,
    neo4j_local: bool,
    free_disk: int | None = None,
    free_memory: int | None = None,
    ratios: Ratios = RATIOS,
) -> Forecast:
    """The forecast for ``paths``; ``free_disk``/``free_memory`` default to the machine's (tests pass small ones)."""
    from events.manifest import read_manifest

    known = read_manifest(workspace)
    seen = {(f.name, f.size_bytes) for f in known}
    history = sum(f.rows_kept for f in known)
    sizes = {p: _events_in(p, ratios) for p in paths if (p.name, p.stat().st_size) not in seen}
    new = sum(sizes.values())
    total = history + new
    disk = {"event store": int(new * ratios.store_per_event)}
    if neo4j_local:
        per_event = ratios.neo4j_per_event_later if history else ratios.neo4j_per_event
        disk["Neo4j data"] = int(new * per_event + (0 if history else ratios.neo4j_base))
        disk["Neo4j transaction logs until a checkpoint"] = tx_logs_peak(new)
    disk["workspace files"] = int(new * ratios.files_per_event + (0 if history else ratios.files_base))
    largest = max(sizes.values(), default=0)
    memory = {"shopgraph": int(ratios.peak_base + largest * ratios.peak_per_file_event + total * ratios.peak_per_event)}
    if neo4j_local:
        memory["Neo4j heap + page cache"] = neo4j_memory
    return Forecast(
        new_events=new,
        history_events=history,
        disk=disk if new else dict.fromkeys(disk, 0),
        memory=memory,
        free_disk=_free_disk(workspace.home) if free_disk is None else free_disk,
        free_memory=available_memory() if free_memory is None else free_memory,
    )


def check(plan: Forecast) -> None:
    """Raise a one-line :class:`ShopgraphError` when the disk or the memory cannot hold the forecast."""
    if not plan.new_events:
        return
    disk, memory = sum(plan.disk.values()), sum(plan.memory.values())
    override = "free some, or pass --no-resource-check to run anyway"
    if disk > plan.free_disk:
        raise ShopgraphError(
            f"not enough disk: the run expects to write ≈ {_gib(disk)} for ≈ {plan.new_events:,} new events and "
            f"{_gib(plan.free_disk)} are free; {override}"
        )
    if memory > plan.free_memory:
        raise ShopgraphError(
            f"not enough memory: the run expects ≈ {_gib(memory)} at its peak (shopgraph and Neo4j) for "
            f"{plan.new_events + plan.history_events:,} events and {_gib(plan.free_memory)} are available; {override}"
        )


def _events_in(path: Path, ratios: Ratios, sample_bytes: int = SAMPLE_BYTES) -> int:
    """Events of a month file: its rows when the sample reads it whole, else its size over the sample's bytes
    per row; the ratio of :data:`RATIOS` when the sample cannot be read (ingest then says what is wrong)."""
    size = path.stat().st_size
    try:
        read, lines, whole = _sample_lines(path, sample_bytes)
    except (OSError, zlib.error):
        read, lines, whole = 0, 0, False
    if whole:
        return max(0, lines - 1)  # less the header
    if lines > 1:
        return int(size * (lines - 1) / read)
    per_event = ratios.gz_bytes_per_event if path.name.endswith(".gz") else ratios.csv_bytes_per_event
    return int(size / per_event)


def _sample_lines(path: Path, sample_bytes: int) -> tuple[int, int, bool]:
    """(bytes of the file read, line ends in them once decompressed, whether that was the whole file)."""
    read = lines = 0
    packed = path.name.endswith(".gz")
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
    with path.open("rb") as handle:
        while read < sample_bytes:
            chunk = handle.read(1 << 20)
            if not chunk:
                return read, lines, True
            read += len(chunk)
            while packed and chunk:  # members of a multi-member gzip follow each other
                lines += inflate.decompress(chunk).count(b"\n")
                chunk = inflate.unused_data if inflate.eof else b""
                if inflate.eof:
                    inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
            if not packed:
                lines += chunk.count(b"\n")
        whole = not handle.read(1)
    return read, lines, whole


def _free_disk(home: Path) -> int:
    """Free bytes on the file system that holds (or will hold) the workspace."""
    path = home
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def available_memory() -> int:
    """The kernel's estimate of memory available without swapping (``MemAvailable``), bytes."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 1 << 62  # unknown: never refuse on memory


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def before_run(workspace: Workspace, paths: list[Path], enforce: bool, say: Callable[[str], None]) -> Forecast:
    """The forecast for a run on ``paths`` said through ``say`` (one call per line), then :func:`check` if ``enforce``.

    Neo4j counts when its server is the local one of this workspace: its planned heap and page
    cache in memory (what it holds already counted as available to it), its data on this disk.
    """
    from graph.server import LocalServer
    from shopgraph.settings import Settings

    settings = Settings.from_env()
    local = settings.is_local and settings.workspace.home.resolve() == workspace.home.resolve()
    neo4j_memory = held = 0
    if local:
        server = LocalServer(settings)
        plan = server.memory_plan()
        neo4j_memory = neo4j_bytes(plan.heap) + neo4j_bytes(plan.pagecache)
        held = _resident(server.pid())
    plan = forecast(workspace, paths, neo4j_memory, local, free_memory=available_memory() + held)
    for line in plan.lines():
        say(line)
    if enforce:
        check(plan)
    return plan


def tx_logs_peak(new_events: int) -> int:
    """Transaction logs a run can leave on disk before a checkpoint prunes them: what its writes log
    (:data:`TX_LOG_PER_EVENT`), at most graph.server.CHECKPOINT_VOLUME twice (those written while the checkpoint
    flushes). Gone once it ends, so not in the ratios."""
    from graph.server import CHECKPOINT_VOLUME

    return min(int(new_events * TX_LOG_PER_EVENT), 2 * neo4j_bytes(CHECKPOINT_VOLUME))


def neo4j_bytes(size: str) -> int:
    """A size in Neo4j's syntax (``4g``, ``640m``, ``512k`` or bytes) as bytes."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    text = size.strip().lower()
    return int(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)


def _resident(pid: int | None) -> int:
    """Resident bytes of a process (0 when there is none)."""
    if pid is None:
        return 0
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0
