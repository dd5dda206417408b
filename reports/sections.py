"""The ten sections of the dossier, each built from what exists as blocks (paragraphs, tables, figures, notes)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from reports import charts
from reports.i18n import label, num, pct, t
from reports.inputs import Inputs, active_months
from segments.drift import retrain_causes

NOT_ENOUGH = {"en": "Not enough activity yet", "fr": "Activité insuffisante"}
MAP_POINTS = 20_000
PCA_SAMPLE = 50_000
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


# ---------------------------------------------------------------------------------------------
# reading helpers (tolerant of the contract's variations: {"en","fr"} dicts or key/key_fr pairs)
# ---------------------------------------------------------------------------------------------
def loc(record: dict[str, Any], key: str, lang: str, default: Any = None) -> Any:
    value = record.get(key)
    if isinstance(value, dict) and ("en" in value or "fr" in value):
        return value.get(lang) or value.get("en") or default
    if lang == "fr" and record.get(f"{key}_fr") not in (None, "", []):
        return record[f"{key}_fr"]
    return default if value in (None, "") else value


def first(record: dict[str, Any] | None, *keys: str, default: Any = None) -> Any:
    for key in keys:
        if record and record.get(key) is not None:
            return record[key]
    return default


def column(frame: pd.DataFrame, *names: str) -> str | None:
    lowered = {c.lower(): c for c in frame.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


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
        return pct(_float(value), self.lang, digits)

    def label(self, name: str) -> str:
        return label(self.lang, name)

    def score(self, value: Any) -> str:
        """A score with the digits it needs: 3 below 10, 1 below 1000, none above."""
        v = _float(value)
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

    @cached_property
    def segment_names(self) -> dict[int, str]:
        names: dict[int, str] = {}
        if self.inputs.assignments is not None and "segment" in self.inputs.assignments.columns:
            # the English names of assignments.parquet: only for ids segments.json does not name
            pairs = self.inputs.assignments[["segment_id", "segment"]].drop_duplicates("segment_id")
            names.update({int(i): str(n) for i, n in pairs.itertuples(index=False)})
        names[0] = NOT_ENOUGH[self.lang]
        for s in self.inputs.segments or []:
            sid = int(first(s, "segment_id", "id", default=0))
            name = loc(s, "name", self.lang)
            if name:
                names[sid] = str(name)
        return names

    @cached_property
    def threshold(self) -> float | None:
        """The activity threshold (minimum events) of the current run, if recorded."""
        run = self.inputs.run or {}
        value = first(self.inputs.threshold, "min_events", "threshold", "chosen", default=None)
        if value is None:
            value = run.get("threshold")
        if isinstance(value, dict):
            value = first(value, "min_events", "threshold")
        return _float(value)

    @cached_property
    def category_codes(self) -> dict[int, str]:
        """``category_id`` → ``category_code`` from the event store (empty without one)."""
        import duckdb

        from events.store import connect_events
        from shopgraph.errors import ShopgraphError

        con = duckdb.connect()
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

    def name(self, segment_id: Any) -> str:
        try:
            sid = int(segment_id)
        except (TypeError, ValueError):
            return str(segment_id)
        return self.segment_names.get(sid, f"#{sid}")

    @cached_property
    def pca(self) -> dict[str, Any] | None:
        """PCA of the standardised numeric metrics (fitted on a sample), or None without features."""
        path = self.inputs.features_path
        if path is None:
            return None
        import duckdb

        from features.registry import METRICS

        numeric = [m.name for m in METRICS if m.dtype in ("DOUBLE", "BIGINT", "INTEGER")]
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            available = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
            cols = [c for c in numeric if c in available]
            total = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
            select = ", ".join(f'"{c}"::DOUBLE AS "{c}"' for c in cols)
            sample = f"USING SAMPLE reservoir({PCA_SAMPLE} ROWS) REPEATABLE ({SEED})" if total > PCA_SAMPLE else ""
            frame = con.execute(f"SELECT {select} FROM read_parquet(?) {sample}", [str(path)]).df()
        finally:
            con.close()
        if len(frame) < 3 or not cols:
            return None
        values = frame.to_numpy(dtype=float)
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
        keep = np.isfinite(mean) & (std > 0)
        cols = [c for c, k in zip(cols, keep, strict=True) if k]
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

    def project(self, user_ids: np.ndarray) -> pd.DataFrame | None:
        """Users' first two principal components: ``user_id, x, y`` (users without features are left out)."""
        pca = self.pca
        if pca is None:
            return None
        import duckdb

        cols = pca["columns"]
        con = duckdb.connect()
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


def _numeric(series: pd.Series) -> bool:
    """A numeric column that is not a yes/no flag."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _localised_text(c: Context, record: dict[str, Any] | None, *keys: str) -> str | None:
    """The first of ``keys`` in the report's language; None when French is asked and only English exists.

    A producer's sentence is shown only in its own language: a plain string counts as English.
    """
    for key in keys:
        if not record or record.get(key) in (None, "", []):
            continue
        value = record[key]
        if isinstance(value, dict) and ("en" in value or "fr" in value):
            text = value.get(c.lang)
        elif c.lang == "fr":
            text = record.get(f"{key}_fr")
        else:
            text = value
        if isinstance(text, list):
            text = " ".join(str(x) for x in text)
        if text:
            return str(text)
    return None


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], css: str = "") -> Block:
    """A table; one of up to 16 rows is kept on one page."""
    css = (css + " keep").strip() if len(rows) <= 16 else css
    return Block("table", header=[str(h) for h in header], rows=[[str(c) for c in r] for r in rows], css=css)


# ---------------------------------------------------------------------------------------------
# 1 the data
# ---------------------------------------------------------------------------------------------
def section_data(c: Context) -> list[Block]:
    d = c.inputs.describe
    blocks: list[Block] = []
    if d is None:
        error = c.inputs.error_for(c.inputs.describe_path)
        blocks.append(
            c.missing("need.unreadable", path=c.inputs.describe_path, error=error)
            if error
            else c.missing("need.describe", path=c.inputs.describe_path)
        )
    else:
        totals = d.get("totals", {})
        blocks.append(
            Block(
                "p",
                c.t(
                    "data.intro",
                    events=c.num(totals.get("events")),
                    users=c.num(totals.get("users")),
                    months=len(d.get("months", [])),
                    first=str(d.get("first_event", ""))[:10],
                    last=str(d.get("last_event", ""))[:10],
                ),
            )
        )
        rows = [
            [c.t(f"data.{k}"), c.num(totals.get(k))]
            for k in ("events", "users", "products", "sessions", "brands", "categories")
            if k in totals
        ]
        rows += [
            [c.t("data.first"), d.get("first_event", "")],
            [c.t("data.last"), d.get("last_event", "")],
            [c.t("data.months"), ", ".join(d.get("months", []))],
        ]
        blocks.append(Block("h3", c.t("data.volumes")))
        blocks.append(table(["", ""], rows, "pairs"))
        if d.get("events_per_month"):
            blocks.append(
                Block("figure", src=charts.events_per_month(d["events_per_month"], c.lang), text=c.t("data.per_month"))
            )
        funnel = d.get("funnel", {})
        if funnel.get("users"):
            blocks.append(Block("figure", src=charts.funnel(funnel["users"], c.lang), text=c.t("data.funnel")))
            rates = funnel.get("user_rates", {})
            blocks.append(
                Block(
                    "p",
                    c.t(
                        "data.funnel.note",
                        cart=c.pct(rates.get("cart_per_view")),
                        buy=c.pct(rates.get("purchase_per_cart")),
                    ),
                )
            )
        missing = d.get("missing_rates", {})
        if missing:
            blocks.append(Block("h3", c.t("data.missing")))
            blocks.append(
                table(
                    [c.t("data.column"), c.t("data.missing_share")],
                    [[k, c.pct(v, 2)] for k, v in missing.items()],
                    "numeric",
                )
            )
        price = d.get("price", {})
        if price.get("zero_prices") is not None:
            blocks.append(
                Block(
                    "p",
                    c.t(
                        "data.zero_prices", n=c.num(price["zero_prices"]), share=c.pct(price.get("zero_price_rate"), 2)
                    ),
                )
            )
    blocks.append(Block("h3", c.t("data.cleaning")))
    manifest = c.inputs.manifest
    if manifest is None:
        blocks.append(c.missing("need.manifest", path=c.inputs.manifest_path))
    else:
        keys = ("rows_read", "rows_kept", "rows_rejected", "rows_duplicate", "rows_erased")
        rows, totals_row = [], dict.fromkeys(keys, 0)
        for entry in manifest:
            values = [int(entry.get(k) or 0) for k in keys]
            for k, v in zip(keys, values, strict=True):
                totals_row[k] += v
            rows.append([entry.get("name", "?"), *(c.num(v) for v in values)])
        if len(rows) > 1:
            rows.append([c.t("data.total"), *(c.num(totals_row[k]) for k in keys)])
        blocks.append(
            table(
                [
                    c.t("data.file"),
                    c.t("data.read"),
                    c.t("data.kept"),
                    c.t("data.rejected"),
                    c.t("data.duplicates"),
                    c.t("data.erased"),
                ],
                rows,
                "numeric",
            )
        )
        if c.inputs.rejects is not None and len(c.inputs.rejects):
            blocks.append(Block("h4", c.t("data.reasons")))
            blocks.append(
                table(
                    [c.t("data.reason"), c.t("data.rows")],
                    [[r, c.num(int(n))] for r, n in c.inputs.rejects.itertuples(index=False)],
                    "numeric",
                )
            )
    bots = (d or {}).get("bots", {})
    per_day = bots.get("threshold_events_per_day")
    rule = c.t("data.bot_rule", n=c.num(per_day)) if per_day is not None else bots.get("rule", "–")
    blocks.append(
        Block(
            "list",
            items=c.t(
                "data.decisions", bots=c.num(bots.get("users")), bot_share=c.pct(bots.get("event_share"), 2), rule=rule
            ),
        )
    )
    return blocks


# ---------------------------------------------------------------------------------------------
# 2 the metrics, their importance and the PCA
# ---------------------------------------------------------------------------------------------
def section_metrics(c: Context) -> list[Block]:
    from features.registry import METRICS
    from reports import metrics_fr

    blocks = [Block("p", c.t("metrics.intro", n=len(METRICS)))]
    rows, last_group = [], None
    for m in METRICS:
        group = metrics_fr.group_title(m.group, c.lang) if m.group != last_group else ""
        last_group = m.group
        rows.append([group, m.name, metrics_fr.unit(m, c.lang), metrics_fr.why(m, c.lang)])
    blocks.append(
        table(
            [c.t("metrics.group"), c.t("metrics.metric"), c.t("metrics.unit"), c.t("metrics.why")],
            rows,
            "compact metrics",
        )
    )
    blocks.append(Block("h3", c.t("metrics.importance")))
    if c.inputs.run_dir is None:
        blocks.append(c.need_run())
    elif c.inputs.importance is None:
        blocks.append(c.need_file("importance.csv"))
    else:
        frame = c.inputs.importance
        name_col = column(frame, "metric", "feature", "name") or frame.columns[0]
        value_col = column(frame, "importance", "mean_importance", "value") or next(
            (col for col in frame.columns if col != name_col and pd.api.types.is_numeric_dtype(frame[col])), None
        )
        if value_col is None:
            blocks.append(c.need_file("importance.csv"))
        else:
            frame = frame.groupby(name_col, as_index=False)[value_col].mean()
            source = first(c.inputs.run, "importance_method", default=None)
            note = c.t("metrics.importance.note", source=source) if source else c.t("metrics.importance.plain")
            blocks.append(Block("p", note))
            blocks.append(
                Block(
                    "figure",
                    src=charts.importance(
                        frame[name_col].astype(str).tolist(), frame[value_col].astype(float).tolist(), c.lang
                    ),
                    text=c.t("metrics.importance"),
                )
            )
    blocks.append(Block("h3", c.t("metrics.pca")))
    inputs = first(c.inputs.run, "inputs", default={})
    view = inputs.get("cluster_view") if isinstance(inputs, dict) else None
    if isinstance(view, dict) and view.get("metric_components"):
        used = inputs.get("metrics_used") or []
        blocks.append(
            Block(
                "p",
                c.t(
                    "metrics.view",
                    n=len(used),
                    m=int(view["metric_components"]),
                    edge=c.num(float(view["marchenko_pastur_edge"]), 2),
                    share=c.pct(float(view.get("metric_variance_explained", 0.0))),
                ),
            )
        )
    pca = c.pca
    if pca is None:
        blocks.append(c.missing("need.features", path=c.inputs.features_table))
        return blocks
    ratios = pca["ratios"]
    sampled = c.t("metrics.pca.sampled") if pca["rows"] < pca["total"] else ""
    blocks.append(
        Block(
            "p",
            c.t(
                "metrics.pca.note",
                n=len(pca["columns"]),
                users=c.num(pca["rows"]),
                sampled=sampled,
                two=c.pct(float(ratios[:2].sum())),
            ),
        )
    )
    blocks.append(Block("figure", src=charts.pca_scree(list(ratios), c.lang), text=c.t("metrics.pca")))
    loadings = pca["components"][:2]
    rows = []
    for k in range(min(2, len(loadings))):
        top = np.argsort(np.abs(loadings[k]))[::-1][:6]
        rows += [[f"{c.t('metrics.pca.component')} {k + 1}", pca["columns"][i], c.num(loadings[k][i], 2)] for i in top]
    blocks.append(Block("h4", c.t("metrics.pca.loadings")))
    blocks.append(
        table([c.t("metrics.pca.component"), c.t("metrics.metric"), c.t("metrics.pca.loading")], rows, "numeric-last")
    )
    return blocks


# ---------------------------------------------------------------------------------------------
# 3 the activity threshold
# ---------------------------------------------------------------------------------------------
QUALITY_CURVES = ("agreement", "kappa", "stability", "ari", "stability_ari", "silhouette", "accuracy", "macro_f1")


def section_threshold(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    doc = c.inputs.threshold
    run = c.inputs.run or {}
    chosen = c.threshold
    blocks: list[Block] = []
    assignments = c.inputs.assignments
    if assignments is not None and chosen is not None:
        below = int((assignments["segment_id"] == 0).sum())
        blocks.append(
            Block(
                "p",
                c.t(
                    "threshold.intro",
                    t=c.num(chosen),
                    name=c.name(0),
                    below=c.num(below),
                    share=c.pct(below / max(len(assignments), 1)),
                ),
            )
        )
    if doc is None:
        blocks.append(c.need_file("threshold.json"))
        return blocks
    curve = first(doc, "curve", "points", default=[])
    if isinstance(curve, dict):  # {"n": [...], "agreement": [...]} column form
        curve = pd.DataFrame(curve).to_dict("records")
    frame = pd.DataFrame(curve)
    x_col = column(frame, "n", "min_events", "threshold", "events") if len(frame) else None
    if x_col is None:
        note = loc(doc, "note", c.lang)
        blocks.append(Block("note", str(note)) if note else c.need_file("threshold.json"))
        return blocks
    frame = frame.sort_values(x_col)
    xs = frame[x_col].astype(float).tolist()
    series: dict[str, list[float]] = {}
    users_col = column(frame, "user_share", "users_share", "share_users", "users_kept_share", "kept_user_share")
    events_col = column(frame, "event_share", "events_share", "share_events", "events_kept_share", "kept_event_share")
    kept = c.kept_shares(xs) if users_col is None else None  # from the feature table: the truth, not the study
    if users_col:
        series[c.t("threshold.users")] = frame[users_col].astype(float).tolist()
    elif kept is not None:
        series[c.t("threshold.users")] = kept[0]
    if events_col:
        series[c.t("threshold.events")] = frame[events_col].astype(float).tolist()
    elif kept is not None and users_col is None:
        series[c.t("threshold.events")] = kept[1]
    for col in frame.columns:  # the study's quality curves (agreement, stability …) under their own names
        if col in (x_col, users_col, events_col) or col not in QUALITY_CURVES or not _numeric(frame[col]):
            continue
        values = frame[col].astype(float)
        if values.notna().all() and values.between(0, 1).all():
            series[c.label(col)] = values.tolist()
    blocks.append(Block("figure", src=charts.threshold_curve(xs, series, chosen, c.lang), text=c.t("threshold.curve")))
    level = _float(doc.get("level"))
    if level is not None and "agreement" in frame.columns:
        key = "threshold.met" if doc.get("met", True) else "threshold.not_met"
        blocks.append(Block("p", c.t(key, level=c.pct(level, 0), t=c.num(chosen))))
    if "kappa" in frame.columns and chosen is not None:
        at = frame.loc[frame[x_col].astype(float) == float(chosen), "kappa"]
        value = _float(at.iloc[0]) if len(at) else None
        if value is not None:
            blocks.append(Block("p", c.t("threshold.kappa", t=c.num(chosen), kappa=c.score(value))))
    why = _localised_text(c, doc, "why", "reason") or _localised_text(c, run, "threshold_why")
    if not why and level is not None and doc.get("study_users") and doc.get("long_history_events"):
        why = c.t(
            "threshold.rule",
            users=c.num(doc["study_users"]),
            long=c.num(doc["long_history_events"]),
            level=c.pct(level, 0),
        )  # segments/threshold.py's study, in the report's language
    why = why or _localised_text(c, doc, "rule")
    if why:
        blocks.append(Block("h3", c.t("threshold.why")))
        blocks.append(Block("p", str(why)))
    return blocks


# ---------------------------------------------------------------------------------------------
# 4 model selection
# ---------------------------------------------------------------------------------------------
BETTER = {
    "silhouette": "high",
    "calinski_harabasz": "high",
    "davies_bouldin": "low",
    "stability": "high",
    "ari": "high",
    "stability_ari": "high",
    "bic": "low",
    "aic": "low",
    "inertia": "low",
    "persona_ari": "high",
    "nmi": "high",
}


def section_selection(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    run = c.inputs.run or {}
    frame = c.inputs.selection
    method = first(run, "method", "chosen_method")
    k = first(run, "k", "chosen_k")
    blocks: list[Block] = []
    if frame is not None and method is None and "chosen" in frame.columns:
        hit = frame[frame["chosen"].astype(bool)]
        if len(hit):
            method, k = hit.iloc[0]["method"], hit.iloc[0]["k"]
    if method is not None:
        blocks.append(Block("p", c.t("selection.intro", method=method, k=k)))
    if frame is None or "k" not in frame.columns:
        blocks.append(c.need_file("selection.csv"))
    else:
        if "method" not in frame.columns:
            frame = frame.assign(method=str(method or "-"))
        skip = {"k", "chosen", "eligible", "seconds", "fit_seconds", "n", "sample", "seed"}
        scores = [
            col
            for col in frame.columns
            if col not in skip and col != "method" and _numeric(frame[col]) and frame[col].notna().any()
        ]
        better = {
            s: c.t("selection.better_high" if BETTER.get(s.lower()) == "high" else "selection.better_low")
            for s in scores
            if s.lower() in BETTER
        }
        chosen = (str(method), int(k)) if method is not None and k is not None else None
        if scores:
            blocks.append(
                Block(
                    "figure",
                    src=charts.selection_scores(frame, scores, better, chosen, c.lang, {s: c.label(s) for s in scores}),
                    text=c.t("selection.scores"),
                )
            )
        if any("stab" in s.lower() for s in scores):
            blocks.append(Block("p", c.t("selection.stability.note")))
        if chosen:
            at_k = frame[frame["k"] == chosen[1]]
            rows = [
                [m + (f" ({c.t('selection.chosen')})" if m == chosen[0] else ""), *(c.score(v) for v in r)]
                for m, *r in at_k[["method", *scores]].itertuples(index=False)
            ]
            blocks.append(Block("h4", c.t("selection.table")))
            blocks.append(table([c.t("selection.method"), *(c.label(s) for s in scores)], rows, "numeric"))
    why = _localised_text(c, run, "why", "choice", "reason")
    if why is None and method is not None and frame is not None and "k" in frame.columns:
        why = _chosen_facts(c, frame, str(method), k)
    if why:
        blocks.append(Block("h3", c.t("selection.why")))
        blocks.append(Block("p", str(why)))
    return blocks


def _chosen_facts(c: Context, frame: pd.DataFrame, method: str, k: Any) -> str | None:
    """The chosen candidate's scores in a sentence (when the run gives its reason in another language only)."""
    if "method" not in frame.columns:
        return None
    row = frame[(frame["method"].astype(str) == method) & (frame["k"] == int(k))]
    if not len(row):
        return None
    facts = [
        f"{c.label(col)} {c.score(row.iloc[0][col])}"
        for col in frame.columns
        if col not in ("method", "k", "chosen", "eligible") and _numeric(frame[col])
    ]
    return c.t("selection.facts", method=method, k=k, facts=", ".join(facts))


# ---------------------------------------------------------------------------------------------
# 5 a card per segment
# ---------------------------------------------------------------------------------------------
def _profile_pairs(s: dict[str, Any]) -> list[tuple[str, float]]:
    raw = first(s, "standardised_differences", "profile", "differences", "std_diff", "z", default=None)
    if isinstance(raw, dict) and isinstance(raw.get("metrics"), list | dict):
        raw = raw["metrics"]
    pairs: list[tuple[str, float]] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            v = (
                _float(first(value, "std_diff", "difference", "effect", "d", "z"))
                if isinstance(value, dict)
                else _float(value)
            )
            if v is not None:
                pairs.append((str(key), v))
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                v = _float(first(item, "std_diff", "difference", "effect", "d", "z", "value"))
                if v is not None:
                    pairs.append((str(first(item, "metric", "feature", "name", default="?")), v))
    return pairs


def _preferred(s: dict[str, Any], kind: str, c: Context) -> Block | None:
    names = {
        "categories": ("categories", "top_categories", "preferred_categories"),
        "brands": ("brands", "top_brands", "preferred_brands"),
    }[kind]
    items = first(s, *names, default=None)
    if not isinstance(items, list) or not items:
        return None
    rows = []
    for item in items[:6]:
        if isinstance(item, dict):
            label = first(item, "name", "category", "category_code", "brand", "code", "key", default=None)
            if str(label).strip().lower() in ("", "nan", "none", "null"):
                label = None
            if label is None and item.get("category_id") is not None:
                label = c.category_code(item["category_id"])
            if label is None:
                label = c.t("segments.nocode")
            rows.append([str(label), c.num(_float(item.get("lift")), 2), c.pct(item.get("share"))])
        else:
            rows.append([str(item), "–", "–"])
    return table([c.t("segments.item"), c.t("segments.lift"), c.t("segments.item_share")], rows, "numeric small")


def section_segments(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    segments = c.inputs.segments
    if not segments:
        return [c.need_file("segments.json")]
    assignments = c.inputs.assignments
    if assignments is not None and not any(int(first(s, "segment_id", "id", default=-1)) == 0 for s in segments):
        below = int((assignments["segment_id"] == 0).sum())
        if below:  # the run lists only its clusters: the customers below the threshold are a segment too
            segments = [{"segment_id": 0, "size": below}, *segments]
    total = sum(int(first(s, "size", default=0) or 0) for s in segments) or 1
    rows, ids, shares, revenue = [], [], [], []
    for s in segments:
        sid = int(first(s, "segment_id", "id", default=0))
        share = _float(first(s, "share", default=None))
        share = share if share is not None else int(first(s, "size", default=0) or 0) / total
        ids.append(sid)
        shares.append(share)
        revenue.append(_float(s.get("revenue_share")))
        rows.append(
            [
                c.name(sid),
                c.num(first(s, "size")),
                c.pct(share),
                c.pct(s.get("revenue_share")),
                c.pct(s.get("conversion")),
            ]
        )
    blocks = [
        Block("p", c.t("segments.intro", n=sum(1 for i in ids if i != 0))),
        Block("h3", c.t("segments.overview")),
        table(
            [
                c.t("segments.name"),
                c.t("segments.size"),
                c.t("segments.share"),
                c.t("segments.revenue"),
                c.t("segments.conversion"),
            ],
            rows,
            "numeric",
        ),
        Block(
            "figure",
            src=charts.segment_sizes([c.name(i) for i in ids], ids, shares, revenue, c.lang),
            text=c.t("segments.sizes"),
        ),
    ]
    for s, share in zip(segments, shares, strict=True):
        blocks.append(_card(c, s, share))
    return blocks


def _card(c: Context, s: dict[str, Any], share: float) -> Block:
    sid = int(first(s, "segment_id", "id", default=0))
    children = [
        Block(
            "pairs",
            rows=[
                [c.t("segments.size"), c.num(first(s, "size"))],
                [c.t("segments.share"), c.pct(share)],
                [c.t("segments.revenue"), c.pct(s.get("revenue_share"))],
                [c.t("segments.conversion"), c.pct(s.get("conversion"))],
            ],
        )
    ]
    description = loc(s, "description", c.lang)
    if description:
        children.append(Block("p", str(description)))
    naming = _localised_text(c, s, "naming_rule")
    if naming:
        children.append(Block("note", c.t("segments.naming", rule=naming)))
    pairs = _profile_pairs(s)
    if pairs:
        children.append(Block("h4", c.t("segments.profile")))
        children.append(
            Block(
                "figure",
                src=charts.profile([p[0] for p in pairs], [p[1] for p in pairs], c.lang),
                text=c.t("segments.profile"),
            )
        )
    for kind in ("categories", "brands"):
        block = _preferred(s, kind, c)
        if block is not None:
            children += [Block("h4", c.t(f"segments.{kind}")), block]
    for key, title in (("rules", "segments.rules"), ("actions", "segments.actions")):
        items = loc(s, key, c.lang) or (loc(s, "traits", c.lang) if key == "rules" else None)
        if isinstance(items, str):
            items = [items]
        if not items and sid == 0:
            if key == "actions":
                continue
            items = [c.t("segments.rule0", t=c.num(c.threshold))] if c.threshold is not None else None
        children.append(Block("h4", c.t(title)))
        children.append(Block("list", items=[str(i) for i in items]) if items else Block("note", c.t("segments.none")))
    return Block(
        "card", text=c.name(sid), children=children, src=charts.segment_colour(sid), css="small" if sid == 0 else ""
    )


# ---------------------------------------------------------------------------------------------
# 6 the map
# ---------------------------------------------------------------------------------------------
def section_map(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    assignments = c.inputs.assignments
    if assignments is None:
        return [c.need_file("assignments.parquet")]
    frame = assignments
    if len(frame) > MAP_POINTS:
        frame = frame.sample(MAP_POINTS, random_state=SEED)
    coords, source = None, "run"
    for xs, ys in (("x", "y"), ("map_x", "map_y"), ("pc1", "pc2")):
        if c.inputs.coordinates is not None and {xs, ys} <= set(c.inputs.coordinates.columns):
            coords = frame[["user_id", "segment_id"]].merge(
                c.inputs.coordinates[["user_id", xs, ys]].rename(columns={xs: "x", ys: "y"}), on="user_id"
            )
            break
        if {xs, ys} <= set(frame.columns):
            coords = frame[["user_id", "segment_id", xs, ys]].rename(columns={xs: "x", ys: "y"})
            break
    if coords is None:
        projected = c.project(frame["user_id"].to_numpy())
        if projected is None:
            return [c.missing("need.features", path=c.inputs.features_table)]
        coords, source = frame[["user_id", "segment_id"]].merge(projected, on="user_id"), "pca"
    if not len(coords):
        return [c.missing("need.features", path=c.inputs.features_table)]
    sampled = c.t("map.sampled", total=c.num(len(assignments))) if len(assignments) > MAP_POINTS else ""
    labels = (c.t(f"map.x.{source}"), c.t(f"map.y.{source}"))
    return [
        Block("p", c.t("map.intro", coords=c.t(f"map.coords.{source}"), n=c.num(len(coords)), sampled=sampled)),
        Block(
            "figure",
            src=charts.customer_map(
                coords["x"].to_numpy(float),
                coords["y"].to_numpy(float),
                coords["segment_id"].to_numpy(int),
                c.segment_names,
                labels,
                c.lang,
            ),
            text=c.t("map.title"),
            css="map",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# 7 assigning new customers
# ---------------------------------------------------------------------------------------------
def _classifier_record(run: dict[str, Any]) -> dict[str, Any]:
    record = first(run, "classifier", "assigner", "assignment", default={})
    return record if isinstance(record, dict) else {"name": str(record)}


def section_assign(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    run = c.inputs.run or {}
    record = _classifier_record(run)
    blocks = [Block("p", c.t("assign.intro")), Block("h3", c.t("assign.comparison"))]
    frame = c.inputs.classifiers
    chosen = first(record, "kept", "name", "chosen", "classifier")
    if frame is None:
        blocks.append(c.need_file("classifiers.csv"))
    else:
        name_col = column(frame, "classifier", "model", "name", "method") or frame.columns[0]
        flag = column(frame, "kept", "chosen")
        if chosen is None and flag is not None:
            hit = frame[frame[flag].astype(bool)]
            chosen = hit.iloc[0][name_col] if len(hit) else None
        scores = [
            col
            for col in frame.columns
            if col not in (name_col, flag) and _numeric(frame[col]) and frame[col].between(0, 1).all()
        ]
        others = [col for col in frame.columns if col not in (name_col, flag, *scores)]
        rows = [
            [
                str(r[name_col]) + (f" ({c.t('selection.chosen')})" if str(r[name_col]) == str(chosen) else ""),
                *(c.score(r[s]) for s in scores),
                *((c.score(r[o]) if isinstance(r[o], int | float) else str(r[o])) for o in others),
            ]
            for _, r in frame.iterrows()
        ]
        blocks.append(table([c.t("assign.classifier"), *(c.label(s) for s in scores + others)], rows, "numeric"))
        if scores:
            blocks.append(
                Block(
                    "figure",
                    src=charts.grouped_scores(
                        frame[name_col].astype(str).str.replace("_", " ").tolist(),
                        {c.label(s): frame[s].astype(float).tolist() for s in scores},
                        c.t("assign.comparison"),
                        c.t("assign.score"),
                        c.lang,
                    ),
                    text=c.t("assign.comparison"),
                )
            )
    if chosen is not None:
        blocks.append(Block("p", c.t("assign.chosen", name=chosen)))
    blocks.append(Block("h3", c.t("assign.confusion")))
    matrix, labels_true, labels_pred = _confusion(c, record)
    if matrix is None:
        blocks.append(Block("missing", c.t("assign.no_confusion")))
    else:
        blocks.append(
            Block(
                "figure",
                src=charts.heatmap(
                    matrix,
                    labels_true,
                    labels_pred,
                    title=c.t("assign.confusion"),
                    xlabel=c.t("assign.pred"),
                    ylabel=c.t("assign.true"),
                    cell=c.t("assign.cell"),
                    lang=c.lang,
                    normalise_rows=True,
                ),
                text=c.t("assign.confusion"),
            )
        )
    blocks.append(Block("h3", c.t("assign.validation")))
    validation = _localised_text(c, record, "validation", "procedure") or _localised_text(c, run, "validation")
    split = record.get("split") if isinstance(record.get("split"), dict) else None
    facts = []
    if split:
        facts.append(c.t("assign.split", parts=", ".join(f"{c.label(k)} {c.num(v)}" for k, v in split.items())))
    if _float(record.get("test_macro_f1")) is not None:
        facts.append(c.t("assign.test_f1", f1=c.score(record["test_macro_f1"])))
    short = record.get("short_histories") if isinstance(record.get("short_histories"), dict) else {}
    if _float(record.get("short_history_test_macro_f1")) is not None and short.get("truncations"):
        cuts = "/".join(str(n) for n in short["truncations"])
        facts.append(c.t("assign.short_f1", cuts=cuts, f1=c.score(record["short_history_test_macro_f1"])))
    if _float(record.get("low_confidence_below")) is not None:
        facts.append(c.t("assign.low_below", value=c.score(record["low_confidence_below"])))
    if validation:
        blocks.append(Block("p", validation))
    if facts:
        blocks.append(Block("list", items=facts))
    if not validation and not facts:
        blocks.append(Block("missing", c.t("assign.no_validation")))
    assignments = c.inputs.assignments
    if assignments is not None and len(assignments):
        blocks.append(Block("h3", c.t("assign.by")))
        if "assigned_by" in assignments.columns:
            counts = assignments["assigned_by"].value_counts()
            blocks.append(
                table(
                    ["", c.t("segments.size"), c.t("segments.share")],
                    [
                        [
                            c.t(f"assign.by.{k}") if f"assign.by.{k}" in _KNOWN else k,
                            c.num(int(n)),
                            c.pct(n / len(assignments)),
                        ]
                        for k, n in counts.items()
                    ],
                    "numeric",
                )
            )
        if "low_confidence" in assignments.columns:
            low = int(assignments["low_confidence"].fillna(False).astype(bool).sum())
            blocks.append(Block("p", c.t("assign.low", n=c.num(low), share=c.pct(low / len(assignments)))))
        if "confidence" in assignments.columns:
            values = assignments.loc[assignments["segment_id"] != 0, "confidence"].dropna().to_numpy(float)
            if len(values):
                blocks.append(
                    Block(
                        "figure",
                        src=charts.histogram(values, c.t("assign.confidence.axis"), c.t("assign.confidence"), c.lang),
                        text=c.t("assign.confidence"),
                    )
                )
    return blocks


_KNOWN = {"assign.by.cluster", "assign.by.classifier", "assign.by.threshold"}


def _confusion(c: Context, record: dict[str, Any]):
    frame = c.inputs.confusion
    published = {int(first(s, "segment_id", "id", default=0)) for s in c.inputs.segments or []}
    if frame is not None and published:  # an older run's file may hold a cluster it did not publish
        frame = frame.loc[
            [i for i in frame.index if _is_int(i) and int(i) in published],
            [j for j in frame.columns if _is_int(j) and int(j) in published],
        ]
    if frame is not None and frame.shape[0] and frame.shape[1]:
        return frame.to_numpy(float), [c.name(i) for i in frame.index], [c.name(j) for j in frame.columns]
    raw = first(record, "confusion", "confusion_matrix", default=None)
    if isinstance(raw, dict) and isinstance(raw.get("matrix"), list):
        labels = raw.get("labels") or list(range(1, len(raw["matrix"]) + 1))
        return np.asarray(raw["matrix"], dtype=float), [c.name(i) for i in labels], [c.name(i) for i in labels]
    if isinstance(raw, list) and raw and isinstance(raw[0], list):
        labels = list(range(1, len(raw) + 1))
        return np.asarray(raw, dtype=float), [c.name(i) for i in labels], [c.name(i) for i in labels]
    return None, [], []


# ---------------------------------------------------------------------------------------------
# 8 recommendations
# ---------------------------------------------------------------------------------------------
def section_recommend(c: Context) -> list[Block]:
    doc = c.inputs.recommend
    if doc is None:
        error = c.inputs.error_for(c.inputs.recommend_path)
        return [
            c.missing("need.unreadable", path=c.inputs.recommend_path, error=error)
            if error
            else c.missing("need.recommend", path=c.inputs.recommend_path)
        ]
    models = [m for m in first(doc, "models", "results", default=[]) if isinstance(m, dict)]
    reason = loc(doc, "reason", c.lang)
    if not models and reason:  # the evaluation ran but could not give a fair figure: say why
        return [Block("note", c.t("recommend.none", reason=reason))]
    holdout = loc(doc, "holdout", c.lang, default="")
    blocks = [
        Block(
            "p",
            c.t(
                "recommend.intro",
                holdout=holdout,
                k=first(doc, "k", default="?"),
                users=c.num(first(doc, "users", "n_users")),
            ),
        )
    ]
    if not models:
        return [*blocks, c.missing("need.recommend", path=c.inputs.recommend_path)]
    names = [str(loc(m, "name", c.lang) or first(m, "model", default="?")) for m in models]
    scores = [
        key
        for key in models[0]
        if key not in ("name", "model") and all(isinstance(m.get(key), int | float) for m in models)
    ]
    chosen = doc.get("chosen")
    rows = [
        [
            n + (f" ({c.t('selection.chosen')})" if chosen in (n, m.get("name")) else ""),
            *(c.score(m[s]) for s in scores),
        ]
        for n, m in zip(names, models, strict=True)
    ]
    blocks.append(table([c.t("recommend.model"), *(c.label(s) for s in scores)], rows, "numeric"))
    in_range = [s for s in scores if all(0 <= m[s] <= 1 for m in models)]
    if in_range:
        blocks.append(
            Block(
                "figure",
                src=charts.grouped_scores(
                    names,
                    {c.label(s): [m[s] for m in models] for s in in_range},
                    c.t("recommend.chart"),
                    c.t("recommend.axis"),
                    c.lang,
                ),
                text=c.t("recommend.chart"),
            )
        )
    note = loc(doc, "note", c.lang)
    if note:
        blocks.append(Block("note", str(note)))
    return blocks


# ---------------------------------------------------------------------------------------------
# 9 over time
# ---------------------------------------------------------------------------------------------
def section_time(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    blocks: list[Block] = [Block("h3", c.t("time.shares"))]
    assignments = c.inputs.assignments
    if assignments is None:
        blocks.append(c.need_file("assignments.parquet"))
    else:
        per_month = active_months(c.inputs.workspace, assignments)
        if per_month is None or not len(per_month):
            blocks.append(c.missing("need.store"))
        else:
            pivot = per_month.pivot_table(index="month", columns="segment_id", values="users", fill_value=0)
            shares = pivot.div(pivot.sum(axis=1), axis=0)
            blocks.append(Block("p", c.t("time.shares.note")))
            blocks.append(
                Block(
                    "figure",
                    src=charts.shares_per_month(
                        [str(m) for m in shares.index],
                        {int(s): shares[s].tolist() for s in shares.columns},
                        c.segment_names,
                        c.lang,
                    ),
                    text=c.t("time.shares"),
                )
            )
    blocks.append(Block("h3", c.t("time.migration")))
    run = c.inputs.run or {}
    previous = first(run, "previous_run", "previous_run_id", "previous")
    frame = c.inputs.migration
    if not previous and (frame is None or not len(frame)):
        blocks.append(Block("note", c.t("need.previous")))
    elif frame is None:
        blocks.append(c.need_file("migration.csv"))
    else:
        blocks += _migration(c, frame, previous)
    blocks.append(Block("h3", c.t("time.drift")))
    blocks += _drift(c, run)
    return blocks


def _migration(c: Context, frame: pd.DataFrame, previous: str | None) -> list[Block]:
    src = column(frame, "from_segment_id", "previous_segment_id", "from_segment", "from")
    dst = column(frame, "to_segment_id", "segment_id", "to_segment", "to")
    count = column(frame, "users", "count", "n", "customers")
    if not (src and dst and count):
        return [c.need_file("migration.csv")]
    pivot = frame.pivot_table(index=src, columns=dst, values=count, aggfunc="sum", fill_value=0)
    old_names = _previous_names(c, previous)
    rows = [old_names.get(int(i), f"#{i}") if _is_int(i) else str(i) for i in pivot.index]
    cols = [c.name(j) for j in pivot.columns]
    return [
        Block("p", c.t("time.migration.note", prev=previous or "?")),
        Block(
            "figure",
            src=charts.heatmap(
                pivot.to_numpy(float),
                rows,
                cols,
                title=c.t("time.migration"),
                xlabel=c.t("time.to"),
                ylabel=c.t("time.from"),
                cell=c.t("time.cell"),
                lang=c.lang,
                normalise_rows=False,
            ),
            text=c.t("time.migration"),
        ),
    ]


def _is_int(value: Any) -> bool:
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return True


def _previous_names(c: Context, previous: str | None) -> dict[int, str]:
    import json

    names = {0: NOT_ENOUGH[c.lang]}
    if not previous:
        return names
    path = c.inputs.runs_dir / str(previous) / "segments.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return names
    for s in doc.get("segments", []) if isinstance(doc, dict) else doc:
        if isinstance(s, dict):
            names[int(first(s, "segment_id", "id", default=0))] = str(loc(s, "name", c.lang, default="?"))
    return names


def _drift(c: Context, run: dict[str, Any]) -> list[Block]:
    drift = first(run, "drift", default=None)
    if not isinstance(drift, dict) or not drift:
        return [Block("note", c.t("need.drift"))]
    blocks: list[Block] = []
    psi = first(drift, "psi", "population_stability", default={})
    rows = []
    if not isinstance(psi, dict):
        raise ValueError(f"drift psi is not a mapping: {psi!r}")
    values = {k: _float(v) for k, v in psi.items() if v is not None}  # None: a metric with no values
    if any(v is None for v in values.values()):
        raise ValueError(f"drift psi holds a value that is not a number: {psi!r}")
    if values:
        blocks.append(
            Block("figure", src=charts.psi(list(values), list(values.values()), c.lang), text=c.t("time.psi"))
        )
        worst = max(values, key=values.get)
        rows.append([f"PSI max ({worst})", c.num(values[worst], 3), c.num(_float(drift.get("psi_threshold")), 2)])
    if drift.get("low_confidence_share") is not None:
        rows.append(
            [c.t("time.low_share"), c.pct(drift["low_confidence_share"]), c.pct(drift.get("low_confidence_threshold"))]
        )
    change = first(drift, "segment_share_change", "share_change", "max_share_change")
    if change is not None:
        # a PSI over the segment shares (segments/drift.py), not a percentage
        rows.append(
            [c.t("time.shares_change"), c.num(_float(change), 3), c.num(_float(drift.get("share_change_threshold")), 2)]
        )
    if rows:
        blocks.append(table([c.t("time.figure"), c.t("time.value"), c.t("time.threshold")], rows, "numeric"))
    decision = first(drift, "decision", "action")
    reason = _drift_reason(c, drift)
    if decision or reason:
        label = {
            "retrained": c.t("time.retrained"),
            "retrain": c.t("time.retrained"),
            "assigned": c.t("time.assigned"),
            "assign": c.t("time.assigned"),
        }.get(str(decision), decision)
        blocks.append(
            Block(
                "p",
                f"{c.t('time.decision')} : {label}. {reason or ''}"
                if c.lang == "fr"
                else f"{c.t('time.decision')}: {label}. {reason or ''}",
            )
        )
    return blocks


def _drift_reason(c: Context, drift: dict[str, Any]) -> str | None:
    """Why the run assigned or retrained, in the dossier's language, from the decision's codes and figures
    (segments/drift.py); older run.json files hold only the English sentence but the same figures, so the
    codes are rebuilt from them; a sentence given per language is used as it is."""
    given = drift.get("reason") if isinstance(drift.get("reason"), dict) else None
    if given or drift.get("reason_fr") or "median_psi" not in drift:
        if c.lang == "fr":  # never the English sentence in the French dossier
            return (given or {}).get("fr") or drift.get("reason_fr") or drift.get("why_fr") or None
        return loc(drift, "reason", c.lang) or loc(drift, "why", c.lang)
    if not drift.get("new_customers"):
        return c.t("time.reason.none")
    causes = drift.get("causes")
    if not isinstance(causes, list):
        causes = retrain_causes(
            first(drift, "psi", default={}) or {},
            _float(drift.get("segment_share_change")),
            _float(drift.get("low_confidence_share")),
            _float(drift.get("training_low_confidence_share")),
        )

    def figure(code: str, value: Any, digits: int = 3) -> str:
        return c.pct(_float(value)) if code.startswith("low_confidence") else c.num(_float(value), digits)

    if causes:
        return "; ".join(
            c.t(
                f"time.reason.{k['code']}",
                value=figure(k["code"], k.get("value")),
                limit=figure(k["code"], k.get("limit"), 2),
                worst=k.get("worst", "?"),
            )
            for k in causes
            if f"time.reason.{k.get('code')}" in _REASONS
        )
    median = _float(drift.get("median_psi"))
    parts = [
        c.t(
            "time.reason.median_psi_ok", value=figure("psi", median), limit=figure("psi", drift.get("psi_threshold"), 2)
        )
        if median is not None
        else c.t("time.reason.no_metric")
    ]
    if _float(drift.get("segment_share_change")) is not None:
        parts.append(
            c.t(
                "time.reason.segment_share_psi_ok",
                value=figure("psi", drift["segment_share_change"]),
                limit=figure("psi", drift.get("share_change_threshold"), 2),
            )
        )
    if _float(drift.get("low_confidence_share")) is not None:
        parts.append(
            c.t("time.reason.low_confidence_share_ok", value=figure("low_confidence", drift["low_confidence_share"]))
        )
    return ", ".join(parts)


_REASONS = {"time.reason.median_psi", "time.reason.segment_share_psi", "time.reason.low_confidence_share"}


# ---------------------------------------------------------------------------------------------
# 10 the infrastructure
# ---------------------------------------------------------------------------------------------
def _timings(record: dict[str, Any] | None) -> dict[str, float]:
    raw = first(record, "timings", "seconds_by_step", "phases", default=None)
    if isinstance(raw, dict):
        return {str(k): v for k, v in ((k, _float(v)) for k, v in raw.items()) if v is not None}
    return {}


def section_infra(c: Context) -> list[Block]:
    blocks = [
        Block("p", c.t("infra.intro")),
        Block("figure", src=charts.flow_diagram(c.lang), text=c.t("infra.flow"), css="flow"),
    ]
    rows = []
    if c.inputs.manifest:
        read = sum(int(e.get("rows_read") or 0) for e in c.inputs.manifest)
        rows.append([c.t("step.ingest"), "–", c.t("infra.ingest", files=len(c.inputs.manifest), rows=c.num(read))])
    if c.inputs.features_meta:
        meta = c.inputs.features_meta
        rows.append(
            [
                c.t("step.features"),
                c.num(_float(meta.get("seconds")), 1),
                f"{c.num(meta.get('rows'))} {c.t('data.users')}",
            ]
        )
    for step, record in (("step.embed", c.inputs.embedding), ("step.segment", c.inputs.run)):
        if not record:
            continue
        timings = _timings(record)
        total = (
            _float(first(record, "seconds", "total_seconds"))
            or timings.pop("total", None)
            or (sum(timings.values()) if timings else None)
        )
        timings.pop("total", None)
        detail = ", ".join(f"{k.replace('_', ' ')} {c.num(v, 1)} s" for k, v in list(timings.items())[:8])
        counts = record.get("counts")
        if isinstance(counts, dict):
            detail += "; " + ", ".join(
                f"{c.label(k)} {c.num(v)}" for k, v in list(counts.items())[:4] if isinstance(v, int | float)
            )
        rows.append([c.t(step), c.num(total, 1), detail or "–"])
    blocks.append(Block("h3", c.t("infra.measured")))
    blocks.append(
        table([c.t("infra.step"), c.t("infra.seconds"), c.t("infra.detail")], rows, "timings")
        if rows
        else Block("note", c.t("infra.none"))
    )
    blocks.append(Block("h3", c.t("infra.bench")))
    blocks.append(table([c.t("infra.step"), c.t("infra.detail")], [list(r) for r in c.t("infra.bench.rows")]))
    return blocks


BUILDERS: dict[str, Callable[[Context], list[Block]]] = {
    "data": section_data,
    "metrics": section_metrics,
    "threshold": section_threshold,
    "selection": section_selection,
    "segments": section_segments,
    "map": section_map,
    "assign": section_assign,
    "recommend": section_recommend,
    "time": section_time,
    "infra": section_infra,
}
