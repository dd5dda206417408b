"""The dossier's charts: matplotlib (Agg) figures returned as PNG data URIs, labelled in the report's language."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from reports.i18n import num, t

WIDTH = 6.8  # inches: the A4 text width of the print stylesheet (174 mm)
DPI = 150
EVENT_COLOURS = {"view": "#8db3d9", "cart": "#f2b36f", "remove_from_cart": "#c9a0dc", "purchase": "#5aa469"}
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#ad494a",
    "#637939",
)
NOT_ENOUGH_COLOUR = "#b0b0b0"

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 8.5,
        "axes.titlesize": 9.5,
        "axes.labelsize": 8.5,
        "legend.fontsize": 7.5,
        "xtick.labelsize": 7.5,
        "ytick.labelsize": 7.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "svg.fonttype": "none",
    }
)


def segment_colour(segment_id: int) -> str:
    """One colour per segment id, the same in every chart; grey for "not enough activity"."""
    return NOT_ENOUGH_COLOUR if int(segment_id) == 0 else PALETTE[(int(segment_id) - 1) % len(PALETTE)]


def to_uri(fig: Figure) -> str:
    """The figure as a ``data:image/png;base64,…`` URI (the HTML stays one self-contained file)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _axis_numbers(axis, lang: str, digits: int = 0, percent: bool = False) -> None:
    """Tick labels with the language's separators (``percent``: values 0..1 shown as 0..100)."""
    scale = 100.0 if percent else 1.0
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: num(v * scale, lang, digits)))


def _figure(height: float, ncols: int = 1, nrows: int = 1, **kwargs):
    return plt.subplots(nrows, ncols, figsize=(WIDTH, height), layout="constrained", **kwargs)


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def events_per_month(rows: Sequence[Mapping], lang: str) -> str:
    months = [r["month"] for r in rows]
    fig, ax = _figure(2.6)
    bottom = np.zeros(len(rows))
    for kind, colour in EVENT_COLOURS.items():
        values = np.array([float(r.get(kind, 0)) for r in rows])
        ax.bar(months, values, bottom=bottom, color=colour, label=t(lang, f"ev.{kind}"), width=0.7)
        bottom += values
    ax.set_xlabel(t(lang, "data.month"))
    ax.set_ylabel(t(lang, "axis.events"))
    _axis_numbers(ax.yaxis, lang)
    ax.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    ax.set_title(t(lang, "data.per_month"))
    return to_uri(fig)


def funnel(users: Mapping[str, int], lang: str) -> str:
    steps = ["view", "cart", "purchase"]
    values = [int(users.get(s, 0)) for s in steps]
    fig, ax = _figure(1.8)
    labels = [t(lang, f"funnel.{s}") for s in steps]
    bars = ax.barh(labels[::-1], values[::-1], color=[EVENT_COLOURS[s] for s in steps[::-1]])
    top = max(values) or 1
    for bar, value in zip(bars, values[::-1], strict=True):
        ax.text(
            bar.get_width() + top * 0.01,
            bar.get_y() + bar.get_height() / 2,
            f"{num(value, lang)} ({num(100 * value / top, lang, 1)} %)",
            va="center",
            fontsize=7.5,
        )
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel(t(lang, "axis.customers"))
    _axis_numbers(ax.xaxis, lang)
    ax.set_title(t(lang, "data.funnel"))
    ax.grid(axis="y", visible=False)
    return to_uri(fig)


def importance(names: Sequence[str], values: Sequence[float], lang: str) -> str:
    order = np.argsort(values)[::-1][:20][::-1]
    fig, ax = _figure(0.6 + 0.2 * len(order))
    ax.barh([names[i] for i in order], [values[i] for i in order], color="#4c78a8")
    ax.set_xlabel(t(lang, "metrics.importance.axis"))
    _axis_numbers(ax.xaxis, lang, 2)
    ax.set_title(t(lang, "metrics.importance"))
    ax.grid(axis="y", visible=False)
    return to_uri(fig)


def pca_scree(ratios: Sequence[float], lang: str) -> str:
    ratios = np.asarray(ratios[:12], dtype=float)
    x = np.arange(1, len(ratios) + 1)
    fig, ax = _figure(2.3)
    ax.bar(x, ratios, color="#4c78a8", label=t(lang, "metrics.pca.each"))
    ax.plot(x, np.cumsum(ratios), color="#e45756", marker="o", markersize=3, label=t(lang, "metrics.pca.cumulative"))
    ax.set_xticks(x)
    ax.set_xlabel(t(lang, "metrics.pca.component"))
    ax.set_ylabel(t(lang, "metrics.pca.explained"))
    ax.set_ylim(0, 1.05)
    _axis_numbers(ax.yaxis, lang, 0, percent=True)
    ax.legend(frameon=False, loc="center right")
    ax.set_title(t(lang, "metrics.pca"))
    return to_uri(fig)


def threshold_curve(x: Sequence[float], series: Mapping[str, Sequence[float]], chosen: float | None, lang: str) -> str:
    fig, ax = _figure(2.6)
    for i, (label, values) in enumerate(series.items()):
        ax.plot(x, values, marker="o", markersize=3, label=label, color=PALETTE[i])
    if chosen is not None:
        ax.axvline(chosen, color="#444", linestyle="--", linewidth=1)
        right_half = len(x) and chosen > (min(x) + max(x)) / 2
        ax.annotate(
            t(lang, "threshold.chosen", t=num(chosen, lang)),
            (chosen, 0.05),
            xytext=(-4 if right_half else 4, 0),
            textcoords="offset points",
            fontsize=7.5,
            ha="right" if right_half else "left",
        )
    ax.set_xlabel(t(lang, "threshold.axis.x"))
    ax.set_ylabel(t(lang, "threshold.axis.y"))
    ax.set_ylim(0, 1.05)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _axis_numbers(ax.yaxis, lang, 0, percent=True)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3)
    ax.set_title(t(lang, "threshold.curve"))
    return to_uri(fig)


def selection_scores(
    frame,
    scores: Sequence[str],
    better: Mapping[str, str],
    chosen: tuple[str, int] | None,
    lang: str,
    titles: Mapping[str, str] | None = None,
) -> str:
    """One panel per score, a line per method over k; the chosen (method, k) ringed."""
    ncols = 2 if len(scores) > 1 else 1
    nrows = (len(scores) + ncols - 1) // ncols
    fig, axes = _figure(2.1 * nrows + 0.3, ncols=ncols, nrows=nrows, squeeze=False)
    methods = list(dict.fromkeys(frame["method"]))
    for ax, score in zip(axes.flat, scores, strict=False):
        for i, method in enumerate(methods):
            part = frame[frame["method"] == method].sort_values("k")
            ax.plot(part["k"], part[score], marker="o", markersize=3, label=method, color=PALETTE[i])
            if chosen and chosen[0] == method:
                hit = part[part["k"] == chosen[1]]
                ax.scatter(hit["k"], hit[score], s=80, facecolors="none", edgecolors="black", zorder=5)
        hint = better.get(score)
        ax.set_title((titles or {}).get(score, score.replace("_", " ")) + (f" ({hint})" if hint else ""))
        ax.set_xlabel(t(lang, "selection.k"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _axis_numbers(ax.yaxis, lang, 2)
    for ax in list(axes.flat)[len(scores) :]:
        ax.set_visible(False)
    axes.flat[0].legend(frameon=False, title=t(lang, "selection.method"))
    return to_uri(fig)


def profile(labels: Sequence[str], values: Sequence[float], lang: str) -> str:
    order = np.argsort(np.abs(values))[::-1][:12][::-1]
    vals = np.array([values[i] for i in order])
    fig, ax = _figure(0.55 + 0.19 * len(order))
    ax.barh([_short(labels[i]) for i in order], vals, color=np.where(vals >= 0, "#2f7ebc", "#d6604d"))
    ax.axvline(0, color="#333", linewidth=0.8)
    lim = max(0.5, float(np.abs(vals).max()) * 1.1) if len(vals) else 1
    ax.set_xlim(-lim, lim)
    ax.set_xlabel(t(lang, "segments.profile.axis"))
    _axis_numbers(ax.xaxis, lang, 1)
    ax.grid(axis="y", visible=False)
    return to_uri(fig)


def segment_sizes(
    names: Sequence[str], ids: Sequence[int], shares: Sequence[float], revenue: Sequence[float | None], lang: str
) -> str:
    y = np.arange(len(names))
    fig, ax = _figure(0.8 + 0.34 * len(names))
    ax.barh(y + 0.18, shares, height=0.36, color=[segment_colour(i) for i in ids], label=t(lang, "segments.share"))
    ax.barh(
        y - 0.18,
        [r or 0 for r in revenue],
        height=0.36,
        color=[segment_colour(i) for i in ids],
        alpha=0.45,
        hatch="///",
        edgecolor="white",
        label=t(lang, "segments.revenue"),
    )
    ax.set_yticks(y, [_short(n, 34) for n in names])
    ax.invert_yaxis()
    ax.set_xlabel(t(lang, "segments.axis.share"))
    _axis_numbers(ax.xaxis, lang, 0, percent=True)
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(facecolor="#666", label=t(lang, "segments.share")),
            Patch(facecolor="#666", alpha=0.45, hatch="///", edgecolor="white", label=t(lang, "segments.revenue")),
        ],
        frameon=False,
        loc="lower right",
    )
    ax.grid(axis="y", visible=False)
    ax.set_title(t(lang, "segments.sizes"))
    return to_uri(fig)


def customer_map(
    x: np.ndarray,
    y: np.ndarray,
    segment_ids: np.ndarray,
    names: Mapping[int, str],
    axis_labels: tuple[str, str],
    lang: str,
) -> str:
    fig, ax = _figure(5.8)
    for sid in sorted(set(int(s) for s in segment_ids)):
        mask = segment_ids == sid
        ax.scatter(
            x[mask],
            y[mask],
            s=3 if len(x) > 5000 else 6,
            alpha=0.5,
            linewidths=0,
            color=segment_colour(sid),
            label=f"{_short(names.get(sid, str(sid)), 42)} ({num(int(mask.sum()), lang)})",
        )
    lo_x, hi_x = np.percentile(x, [0.5, 99.5])
    lo_y, hi_y = np.percentile(y, [0.5, 99.5])
    pad_x, pad_y = (hi_x - lo_x) * 0.05 or 1, (hi_y - lo_y) * 0.05 or 1
    ax.set_xlim(lo_x - pad_x, hi_x + pad_x)
    ax.set_ylim(lo_y - pad_y, hi_y + pad_y)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    _axis_numbers(ax.xaxis, lang, 1)
    _axis_numbers(ax.yaxis, lang, 1)
    ax.legend(markerscale=3, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2)
    ax.set_title(t(lang, "map.title"))
    return to_uri(fig)


def grouped_scores(
    names: Sequence[str], scores: Mapping[str, Sequence[float]], title: str, axis: str, lang: str
) -> str:
    """Horizontal bars: one group per name (classifier, model), one bar per score."""
    y = np.arange(len(names))
    n = max(len(scores), 1)
    height = 0.8 / n
    fig, ax = _figure(0.8 + 0.22 * len(names) * n)
    for i, (score, values) in enumerate(scores.items()):
        ax.barh(
            y + (i - (n - 1) / 2) * height,
            values,
            height=height,
            label=score.replace("_", " "),
            color=PALETTE[i % len(PALETTE)],
        )
    ax.set_yticks(y, [_short(n_, 30) for n_ in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    _axis_numbers(ax.xaxis, lang, 1)
    if n == 1:  # one score: its name is the axis
        ax.set_xlabel(f"{next(iter(scores)).replace('_', ' ')} (0–1)")
    else:
        ax.set_xlabel(axis)
        fig.legend(frameon=False, loc="outside lower center", ncols=min(n, 4))
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    return to_uri(fig)


def heatmap(
    matrix: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    cell: str,
    lang: str,
    normalise_rows: bool,
) -> str:
    """A matrix with each cell written in it (row percentages when ``normalise_rows``, else counts)."""
    matrix = np.asarray(matrix, dtype=float)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalise_rows else matrix
    size = 1.2 + 0.42 * max(len(rows), len(cols))
    fig, ax = plt.subplots(figsize=(WIDTH, min(size, 6.5)), layout="constrained")
    image = ax.imshow(shown, cmap="Blues", aspect="auto", vmin=0)
    ax.grid(False)
    ax.set_xticks(range(len(cols)), [_short(c, 28) for c in cols], rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), [_short(r, 32) for r in rows])
    high = shown.max() if shown.size else 1
    for i in range(shown.shape[0]):
        for j in range(shown.shape[1]):
            text = num(100 * shown[i, j], lang, 0) if normalise_rows else num(int(matrix[i, j]), lang)
            ax.text(
                j, i, text, ha="center", va="center", fontsize=7, color="white" if shown[i, j] > 0.6 * high else "black"
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(cell)
    _axis_numbers(bar.ax.yaxis, lang, 0, percent=normalise_rows)
    ax.set_title(title)
    return to_uri(fig)


def histogram(values: np.ndarray, xlabel: str, title: str, lang: str, bins: int = 20) -> str:
    fig, ax = _figure(2.0)
    ax.hist(values, bins=bins, range=(0, 1), color="#4c78a8")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(t(lang, "axis.customers"))
    _axis_numbers(ax.xaxis, lang, 1)
    _axis_numbers(ax.yaxis, lang)
    ax.set_title(title)
    return to_uri(fig)


def shares_per_month(
    months: Sequence[str], shares: Mapping[int, Sequence[float]], names: Mapping[int, str], lang: str
) -> str:
    fig, ax = _figure(3.2)
    bottom = np.zeros(len(months))
    for sid, values in shares.items():
        values = np.asarray(values, dtype=float)
        ax.bar(
            months,
            values,
            bottom=bottom,
            color=segment_colour(sid),
            width=0.75,
            label=_short(names.get(sid, str(sid)), 42),
        )
        bottom += values
    ax.set_ylim(0, 1)
    ax.set_xlabel(t(lang, "data.month"))
    ax.set_ylabel(t(lang, "time.axis.share"))
    _axis_numbers(ax.yaxis, lang, 0, percent=True)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=3)
    ax.grid(axis="x", visible=False)
    ax.set_title(t(lang, "time.shares"))
    return to_uri(fig)


def psi(metrics: Sequence[str], values: Sequence[float], lang: str) -> str:
    order = np.argsort(values)
    fig, ax = _figure(0.7 + 0.2 * len(metrics))
    vals = np.array([values[i] for i in order])
    colours = np.where(vals >= 0.25, "#d6604d", np.where(vals >= 0.1, "#f2b36f", "#5aa469"))
    ax.barh([metrics[i] for i in order], vals, color=colours)
    for x in (0.1, 0.25):
        ax.axvline(x, color="#555", linestyle="--", linewidth=0.8)
    ax.set_xlabel(t(lang, "time.psi.axis"))
    _axis_numbers(ax.xaxis, lang, 2)
    ax.grid(axis="y", visible=False)
    ax.set_title(t(lang, "time.psi"))
    return to_uri(fig)


def flow_diagram(lang: str) -> str:
    """The data flow of the system (docs/ARCHITECTURE.md) as boxes and arrows."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    boxes = {  # key: (x, y) centres on a 10 × 10 canvas
        "files": (2.5, 9.2),
        "ingest": (2.5, 7.8),
        "store": (2.5, 6.4),
        "features": (2.5, 4.9),
        "graph": (7.5, 4.9),
        "embed": (7.5, 3.4),
        "segments": (5.0, 2.0),
        "writeback": (7.5, 0.6),
        "reports": (2.5, 0.6),
    }
    edges = [
        ("files", "ingest"),
        ("ingest", "store"),
        ("store", "features"),
        ("store", "graph"),
        ("features", "graph"),
        ("graph", "embed"),
        ("features", "segments"),
        ("embed", "segments"),
        ("segments", "writeback"),
        ("segments", "reports"),
        ("writeback", "graph"),
    ]
    fig, ax = plt.subplots(figsize=(WIDTH, 4.6), layout="constrained")
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.2, 10)
    ax.axis("off")
    w, h = 4.2, 0.95
    for key, (x, y) in boxes.items():
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", facecolor="#eef3fa", edgecolor="#4c78a8"
            )
        )
        ax.text(x, y, t(lang, f"flow.{key}"), ha="center", va="center", fontsize=7.5)
    for a, b in edges:
        (x1, y1), (x2, y2) = boxes[a], boxes[b]
        if abs(y1 - y2) < 0.01:  # same row: side to side
            start, end = (x1 + np.sign(x2 - x1) * w / 2, y1), (x2 - np.sign(x2 - x1) * w / 2, y2)
        else:
            start = (x1 + (x2 - x1) * 0.25, y1 - np.sign(y1 - y2) * h / 2)
            end = (x2 - (x2 - x1) * 0.25, y2 + np.sign(y1 - y2) * h / 2)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color="#555", linewidth=0.9))
    return to_uri(fig)
