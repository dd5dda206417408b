"""Progress: the one callback every layer reports long work to, and the rich bars that show it.

A function doing long work takes ``progress: Progress | None`` (or :func:`no_progress` as
default) and calls ``progress(step, done, total)``: ``step`` names the work in hand,
``done`` of ``total`` units are finished, and ``total`` is 0 while the size is unknown.
A command shows it with :func:`progress_bars`: one bar per step name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich import filesize
from rich.console import Console
from rich.progress import BarColumn, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.text import Text

#: ``progress(step, done, total)``: ``done`` of ``total`` units of ``step`` finished (``total`` 0: unknown)
Progress = Callable[[str, int, int], None]

#: the unit whose counts and rates are shown as sizes (kB, MB, ...)
BYTES = "bytes"


def no_progress(step: str, done: int, total: int) -> None:
    """The :data:`Progress` that reports nothing."""


def _amount(value: float, unit: str) -> str:
    return filesize.decimal(int(value)) if unit == BYTES else f"{value:,.0f}"


class _Counts(ProgressColumn):
    """``done/total`` (``done`` alone while the total is unknown), in sizes for bytes."""

    def render(self, task: Task) -> Text:
        unit = task.fields["unit"]
        done = _amount(task.completed, unit)
        return Text(done if task.total is None else f"{done}/{_amount(task.total, unit)}", style="progress.download")


class _Rate(ProgressColumn):
    """The step's note when it has one, else units per second since the step started."""

    def render(self, task: Task) -> Text:
        if task.fields["note"]:
            return Text(task.fields["note"], style="progress.data.speed")
        if not task.fields["rate"]:
            return Text("")
        elapsed = task.finished_time if task.finished else task.elapsed
        if not elapsed or not task.completed:
            return Text("")
        unit = task.fields["unit"]
        rate = _amount(task.completed / elapsed, unit)
        per_second = f"{rate}/s" if unit in ("", BYTES) else f"{rate} {unit}/s"
        return Text(per_second, style="progress.data.speed")


class ProgressBars:
    """A :data:`Progress` drawn by rich: one bar per step name with its counts, rate and elapsed time.

    Besides being called, it can relabel a bar (:meth:`describe`), put a note in place of its
    rate (:meth:`note`), print above the bars (:meth:`print`), hand out a :data:`Progress`
    whose step names carry a prefix (:meth:`scoped`) or that draws every step on one bar
    (:meth:`one_bar`), drop a bar (:meth:`remove`) or start fresh bars for the next steps
    while keeping the old ones on screen (:meth:`restart`).
    """

    def __init__(
        self,
        bars: RichProgress,
        labels: Mapping[str, str],
        units: Mapping[str, str],
        unit: str,
        rates: bool,
        width: int,
    ) -> None:
        self._bars = bars
        self._labels = labels
        self._units = units
        self._unit = unit
        self._rates = rates
        self.width = width
        self._tasks: dict[str, Any] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        self._update(step, step, done, total)

    def scoped(self, prefix: str) -> Progress:
        """A :data:`Progress` whose bars are labelled ``"<prefix> <step>"`` (units still by ``step``)."""
        return lambda step, done, total: self._update(f"{prefix} {step}", step, done, total)

    def one_bar(self, step: str, prefix: str = "", restart: bool = True) -> Progress:
        """A :data:`Progress` shown on ``step``'s bar alone, labelled ``prefix`` + the step name reported
        (cut to the label column); with ``restart`` a new name starts the bar afresh (count, total, time)."""
        shown: list[str] = []

        def progress(name: str, done: int, total: int) -> None:
            if restart and shown != [name]:
                self.remove(step)
                shown[:] = [name]
            self(step, done, total)
            self.describe(step, f"{prefix}{name}"[: self.width])

        return progress

    def describe(self, step: str, text: str) -> None:
        """Show ``text`` as the label of ``step``'s bar (created, with an unknown total, if need be)."""
        self._task(step, step)
        self._bars.update(self._tasks[step], description=text)

    def note(self, step: str, text: str) -> None:
        """Show ``text`` in place of ``step``'s rate."""
        if step in self._tasks:
            self._bars.update(self._tasks[step], note=text)

    def remove(self, step: str) -> None:
        """Take ``step``'s bar off the screen; a later report of ``step`` starts a new one."""
        if step in self._tasks:
            self._bars.remove_task(self._tasks.pop(step))

    def restart(self) -> None:
        """Close the bars shown so far; later reports start new bars below them."""
        self._finish_unknown()
        self._tasks.clear()

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print above the bars."""
        self._bars.console.print(*objects, **kwargs)

    def _task(self, key: str, step: str) -> Any:
        if key not in self._tasks:
            self._finish_unknown()  # a step of unknown size is over when the next one starts
            self._tasks[key] = self._bars.add_task(
                self._labels.get(step, key),
                total=None,
                unit=self._units.get(step, self._unit),
                note="",
                rate=self._rates,
            )
        return self._tasks[key]

    def _update(self, key: str, step: str, done: int, total: int) -> None:
        self._bars.update(self._task(key, step), completed=done, total=total or None)

    def _finish_unknown(self) -> None:
        for task in self._bars.tasks:
            if task.total is None:
                self._bars.update(task.id, total=max(task.completed, 1), completed=max(task.completed, 1))


@contextmanager
def progress_bars(
    console: Console | None = None,
    *,
    unit: str = "",
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    width: int = 28,
    rates: bool = True,
) -> Iterator[ProgressBars]:
    """Rich progress bars for the ``with`` block, as a :class:`ProgressBars` (a :data:`Progress`).

    ``unit`` names what is counted (``"rows"``; :data:`BYTES` shows sizes), ``units`` overrides
    it per step name, ``labels`` gives a step's bar a label other than its name, and ``width``
    is the label column's width; ``rates=False`` leaves the rate column empty (steps of a run).
    """
    bars = RichProgress(
        TextColumn(f"{{task.description:<{width}}}"),
        BarColumn(),
        _Counts(),
        _Rate(),
        TimeElapsedColumn(),
        console=console,
    )
    shown = ProgressBars(bars, labels or {}, units or {}, unit, rates, width)
    with bars:
        yield shown
        shown._finish_unknown()
