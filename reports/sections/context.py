"""The sections' context: the inputs, the language's words and numbers, and what several sections compute once
(segment names, the activity threshold, the category codes, the PCA of the metrics)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from events.store import bounded_connection
from reports.i18n import label, num, pct, t
from reports.inputs import Inputs
from reports.sections.common import SEED, Block, as_float, first, loc
from shopgraph.words import NOT_ENOUGH_ACTIVITY

PCA_SAMPLE = 50_000


class Context:
    """The inputs plus what several sections share (segment names, the PCA of the metrics)."""

    def __init__(self, inputs: Inputs, lang: str):
        self.inputs = inputs
        self.lang = lang

    def t(self, key: str, **values: Any):
        return t(self.lang, key, **values)

    def num(self, value: Any, digits: int = 0) -> str:
        return num(value, self.lang, digits)

    def pct(self, value: Any, digits: int = 1) -> str:
        return pct(as_float(value), self.lang, digits)

    def label(self, name: str) -> str:
        return label(self.lang, name)

    def score(self, value: Any) -> str:
        """A score with the digits it needs: 3 below 10, 1 below 1000, none above."""
        v = as_float(value)
        if v is None:
            return "–"
        return self.num(v, 3 if abs(v) < 10 else 1 if abs(v) < 1000 else 0)

    def missing(self, key: str, **values: Any) -> Block:
        return Block("missing", self.t(key, **values))

    def need_run(self) -> Block:
        return self.missing("need.run", path=self.inputs.runs_dir)

    def need_file(self, name: str) -> Block:
        path = self.inputs.run_dir / name if self.inputs.run_dir else None
        error = self.inputs.error_for(path) if path else None
        if error:
            return self.missing("need.unreadable", path=path, error=error)
        return self.missing("need.file", name=name)

    def need_readable(self, path: Any, need_key: str) -> Block:
        """The note for a workspace file that is missing (``need_key``) or cannot be read."""
        error = self.inputs.error_for(path)
        return self.missing("need.unreadable", path=path, error=error) if error else self.missing(need_key, path=path)

    @cached_property
    def segment_names(self) -> dict[int, str]:
        names: dict[int, str] = {}
        if self.inputs.assignments is not None and "segment" in self.inputs.assignments.columns:
            # the English names of assignments.parquet: only for ids segments.json does not name
            pairs = self.inputs.assignments[["segment_id", "segment"]].drop_duplicates("segment_id")
            names.update({int(i): str(n) for i, n in pairs.itertuples(index=False)})
        names[0] = NOT_ENOUGH_ACTIVITY[self.lang]
        for s in self.inputs.segments or []:
            sid = int(first(s, "segment_id", "id", default=0))
            name = loc(s, "name", self.lang)
            if name:
                names[sid] = str(name)
        return names

    def name(self, segment_id: Any) -> str:
        try:
            sid = int(segment_id)
        except (TypeError, ValueError):
            return str(segment_id)
        return self.segment_names.get(sid, f"#{sid}")

    @cached_property
    def threshold(self) -> float | None:
        """The activity threshold (minimum events) of the current run, if recorded."""
        run = self.inputs.run or {}
        value = first(self.inputs.threshold, "min_events", "threshold", "chosen", default=None)
        if value is None:
            value = run.get("threshold")
        if isinstance(value, dict):
            value = first(value, "min_events", "threshold")
        return as_float(value)

    @cached_property
    def category_codes(self) -> dict[int, str]:
        """``category_id`` → ``category_code`` from the event store (empty without one)."""

        from events.store import connect_events
        from shopgraph.errors import ShopgraphError

        con = bounded_connection(self.inputs.workspace)
        try:
            try:
                connect_events(self.inputs.workspace, None, con)
            except ShopgraphError:
                return {}
            con.execute("SET enable_progress_bar = false")
            rows = con.execute("SELECT category_id, max(category_code) FROM events GROUP BY 1").fetchall()
        finally:
            con.close()
        return {int(i): code for i, code in rows if code}

    def category_code(self, category_id: Any) -> str:
        code = self.category_codes.get(int(category_id))
        return code if code else f"{self.t('segments.nocode')} (category_id {category_id})"

    @cached_property
    def n_events(self) -> np.ndarray | None:
        """Events per customer from the feature table (None without it)."""
        if self.inputs.features_path is None:
            return None
        frame = pd.read_parquet(self.inputs.features_path, columns=["n_events"])
        return frame["n_events"].to_numpy(dtype=float)

    def kept_shares(self, thresholds: Sequence[float]) -> tuple[list[float], list[float]] | None:
        """For each minimum number of events: the share of customers and of events at or above it."""
        n = self.n_events
        if n is None or not len(n):
            return None
        total = float(n.sum()) or 1.0
        return ([float((n >= x).mean()) for x in thresholds], [float(n[n >= x].sum() / total) for x in thresholds])

    @cached_property
    def pca(self) -> dict[str, Any] | None:
        """PCA of the standardised numeric metrics (fitted on a sample), or None without features."""
        if self.inputs.features_path is None:
            return None
        frame, total = self._metrics_sample()
        if len(frame) < 3 or not len(frame.columns):
            return None
        return _fit_pca(frame, total)

    def _metrics_sample(self) -> tuple[pd.DataFrame, int]:
        """The registry's numeric metrics of at most ``PCA_SAMPLE`` customers, and the number of customers."""

        from features.registry import METRICS

        path = str(self.inputs.features_path)
        numeric = [m.name for m in METRICS if m.dtype in ("DOUBLE", "BIGINT", "INTEGER")]
        con = bounded_connection(self.inputs.workspace)
        try:
            con.execute("SET enable_progress_bar = false")
            available = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()}
            cols = [c for c in numeric if c in available]
            total = con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone()[0]
            select = ", ".join(f'"{c}"::DOUBLE AS "{c}"' for c in cols)
            sample = f"USING SAMPLE reservoir({PCA_SAMPLE} ROWS) REPEATABLE ({SEED})" if total > PCA_SAMPLE else ""
            frame = con.execute(f"SELECT {select} FROM read_parquet(?) {sample}", [path]).df()
        finally:
            con.close()
        return frame, total

    def project(self, user_ids: np.ndarray) -> pd.DataFrame | None:
        """Users' first two principal components: ``user_id, x, y`` (users without features are left out)."""
        pca = self.pca
        if pca is None:
            return None

        cols = pca["columns"]
        con = bounded_connection(self.inputs.workspace)
        try:
            con.register("wanted", pd.DataFrame({"user_id": user_ids}))
            select = ", ".join(f'f."{c}"::DOUBLE AS "{c}"' for c in cols)
            frame = con.execute(
                f"SELECT f.user_id, {select} FROM read_parquet(?) f JOIN wanted USING (user_id)",
                [str(self.inputs.features_path)],
            ).df()
        finally:
            con.close()
        z = np.nan_to_num((frame[cols].to_numpy(dtype=float) - pca["mean"]) / pca["std"])
        xy = (z - pca["centre"]) @ pca["components"][:2].T
        return pd.DataFrame({"user_id": frame["user_id"], "x": xy[:, 0], "y": xy[:, 1]})


def _fit_pca(frame: pd.DataFrame, total: int) -> dict[str, Any]:
    """The PCA of ``frame``'s standardised columns (constant or empty columns left out), deterministic signs."""
    values = frame.to_numpy(dtype=float)
    with warnings.catch_warnings():  # an all-empty column has no mean: it is left out below, no need to warn
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
    keep = np.isfinite(mean) & (std > 0)
    cols = [c for c, k in zip(frame.columns, keep, strict=True) if k]
    mean, std = mean[keep], std[keep]
    z = np.nan_to_num((values[:, keep] - mean) / std)  # missing → the mean
    _, singular, components = np.linalg.svd(z - z.mean(axis=0), full_matrices=False)
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    components = components * signs[:, None]  # deterministic orientation: largest loading positive
    ratios = singular**2 / max(float((singular**2).sum()), 1e-12)
    return {
        "columns": cols,
        "mean": mean,
        "std": std,
        "centre": z.mean(axis=0),
        "components": components[:12],
        "ratios": ratios[:12],
        "rows": len(frame),
        "total": total,
    }
