"""The modelling matrix: behavioural metrics and user vectors, transformed, pruned, reduced and weighted.

:class:`InputTransform` fits the rules on the clustered users (which metrics enter, neutral values,
quantile-normal scaling, correlation pruning, vector PCA, group and block weighting) and gives the
clustering view (metric components above the Marchenko–Pastur edge), so segments describe how a
customer shops rather than how much. Each rule and what it changed: docs/ARCHITECTURE.md,
"segments/inputs.py".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.registry import KEY, METRICS

EXCLUDED = {"first_seen", "last_seen", "preferred_month", "rfm_r", "rfm_f", "rfm_m", "rfm_code", "top_category"}
NOT_MODELLED = {"recency_days", "purchase_recency_days"}  # described in the profiles, not clustered on
NEUTRAL_ONE = {"price_index_viewed", "price_index_bought", "promo_lift"}
NEUTRAL_MAX = {"median_session_gap_hours", "purchase_recency_days"}
SKEW_LIMIT = 2.0
CLIP = 6.0
CORRELATION_LIMIT = 0.9
PCA_VARIANCE = 0.8
PCA_MIN, PCA_MAX = 2, 16
MP_MIN = 2  # the clustering view keeps at least this many metric components
SAMPLE = 20_000
VOLUME = {
    "n_events",
    "n_views",
    "n_carts",
    "n_removes",
    "n_sessions",
    "active_days",
    "months_active",
    "tenure_days",
    "n_purchases",
    "n_orders",
    "total_spent",
    "distinct_products",
    "distinct_categories",
    "distinct_brands",
}
DERIVED = {"activity_level": "activity", "sessions_per_active_month": "activity", "product_variety": "breadth"}


def model_metrics() -> list[str]:
    """The columns the model uses: the candidate metrics without ``VOLUME`` and ``NOT_MODELLED``, then ``DERIVED``."""
    return [m for m in candidate_metrics() if m not in VOLUME | NOT_MODELLED] + list(DERIVED)


def with_derived(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the ``DERIVED`` columns added (NaN where their inputs are missing)."""
    out = features.copy()
    events = pd.to_numeric(features["n_events"], errors="coerce").astype("float64")
    sessions = pd.to_numeric(features["n_sessions"], errors="coerce").astype("float64")
    months = pd.to_numeric(features["months_active"], errors="coerce").astype("float64").clip(lower=1)
    products = pd.to_numeric(features["distinct_products"], errors="coerce").astype("float64")
    out["activity_level"] = np.log1p(events.clip(lower=0))
    out["sessions_per_active_month"] = sessions / months
    out["product_variety"] = products / events.where(events > 0)
    return out


def _group(name: str) -> str:
    from features.registry import by_name

    return DERIVED[name] if name in DERIVED else by_name(name).group


def candidate_metrics() -> list[str]:
    """The registry's numeric metrics the profiles describe (and the model draws from), in registry order."""
    return [m.name for m in METRICS if m.name not in EXCLUDED and m.dtype in ("BIGINT", "DOUBLE", "INTEGER")]


def fill_empty(
    features: pd.DataFrame, columns: list[str], fill_max: dict[str, float] | None = None
) -> tuple[np.ndarray, dict[str, float]]:
    """The metric columns as float64 with NULLs replaced by their neutral values (see the module docstring)."""
    fill_max = dict(fill_max or {})
    out = np.empty((len(features), len(columns)), np.float64)
    for j, name in enumerate(columns):
        values = pd.to_numeric(features[name], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        if name in NEUTRAL_ONE:
            fill = 1.0
        elif name in NEUTRAL_MAX:
            if name not in fill_max:
                fill_max[name] = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
            fill = fill_max[name]
        else:
            fill = 0.0
        out[:, j] = np.where(np.isfinite(values), values, fill)
    return out, fill_max


def _skewness(x: np.ndarray) -> float:
    sd = x.std()
    return 0.0 if sd == 0 else float(((x - x.mean()) ** 3).mean() / sd**3)


@dataclass
class InputTransform:
    """Turns feature rows and user vectors into model rows; ``fit`` learns the rules' numbers.

    Parameters
    ----------
    seed : int
        Seed of the samples used for the Spearman pruning and the skewness.
    use_vectors : bool
        Include the vector block (False when no vectors exist).
    """

    seed: int = 0
    use_vectors: bool = True
    metrics_: list[str] = field(default_factory=list)
    log_columns_: list[str] = field(default_factory=list)
    pruned_: dict[str, str] = field(default_factory=dict)  # dropped metric -> the kept one it follows
    dropped_constant_: list[str] = field(default_factory=list)
    fill_max_: dict[str, float] = field(default_factory=dict)
    quantiles_: object = None
    quantile_columns_: list[int] = field(default_factory=list)
    kept_columns_: list[int] = field(default_factory=list)
    all_columns_: list[str] = field(default_factory=list)
    metric_weight_: float = 1.0
    group_weights_: np.ndarray | None = None
    vector_mean_: np.ndarray | None = None
    pca_components_: np.ndarray | None = None
    pca_variance_ratio_: list[float] = field(default_factory=list)
    vector_weight_: float = 1.0
    vector_dims_: int = 0
    view_mean_: np.ndarray | None = None
    view_scale_: np.ndarray | None = None
    view_components_: np.ndarray | None = None
    view_eigenvalues_: list[float] = field(default_factory=list)
    view_edge_: float = 0.0
    view_weight_: float = 1.0

    # -- fitting --------------------------------------------------------------------------
    def fit(self, features: pd.DataFrame, vectors: np.ndarray | None) -> InputTransform:
        rng = np.random.default_rng(self.seed)
        features = with_derived(features)
        columns = model_metrics()
        raw, self.fill_max_ = fill_empty(features, columns)
        sample = rng.choice(len(raw), min(SAMPLE, len(raw)), replace=False) if len(raw) > SAMPLE else slice(None)
        full, _ = fill_empty(features, candidate_metrics(), self.fill_max_)
        del features  # each whole-size intermediate is dropped once used: fit holds few at once (issue 20)
        self.log_columns_ = [
            name
            for j, name in enumerate(candidate_metrics())
            if full[:, j].min() >= 0 and _skewness(full[sample, j]) > SKEW_LIMIT
        ]
        del full
        from sklearn.preprocessing import QuantileTransformer

        quantiles = QuantileTransformer(
            n_quantiles=max(10, min(1000, len(raw))),
            output_distribution="normal",
            subsample=SAMPLE,
            random_state=self.seed,
        ).fit(raw)
        values = quantiles.transform(raw)
        del raw
        sd = values.std(axis=0)
        keep = sd > 1e-9
        self.dropped_constant_ = [c for c, k in zip(columns, keep, strict=True) if not k]
        columns = [c for c, k in zip(columns, keep, strict=True) if k]
        scaled = values[:, keep]
        del values
        self.quantiles_ = quantiles
        self.quantile_columns_ = list(np.flatnonzero(keep))
        self.all_columns_ = model_metrics()
        # correlated-metric pruning, registry order
        ranks = pd.DataFrame(scaled[sample]).rank().to_numpy()
        rho = np.nan_to_num(np.corrcoef(ranks, rowvar=False)) if ranks.shape[1] > 1 else np.ones((1, 1))
        kept: list[int] = []
        self.pruned_ = {}
        for j, name in enumerate(columns):
            twin = next((i for i in kept if abs(rho[i, j]) > CORRELATION_LIMIT), None)
            if twin is None:
                kept.append(j)
            else:
                self.pruned_[name] = columns[twin]
        self.metrics_ = [columns[j] for j in kept]
        self.kept_columns_ = [self.quantile_columns_[j] for j in kept]
        block = scaled[:, kept]
        del scaled
        groups = [_group(c) for c in self.metrics_]
        self.group_weights_ = np.ones(len(kept))
        for g in set(groups):
            js = [j for j, name in enumerate(groups) if name == g]
            self.group_weights_[js] = 1.0 / np.sqrt(max(block[:, js].var(axis=0).sum(), 1e-12))
        self._fit_view(np.clip(block, -CLIP, CLIP))
        block = block * self.group_weights_
        self.metric_weight_ = 1.0 / float(np.sqrt(max(block.var(axis=0).sum(), 1e-12)))
        self.vector_dims_ = 0
        if self.use_vectors and vectors is not None and np.isfinite(vectors).all(axis=1).any():
            present = np.isfinite(vectors).all(axis=1)
            v = vectors[present].astype(np.float64)
            self.vector_mean_ = v.mean(axis=0)
            centred = v - self.vector_mean_
            vs = centred[rng.choice(len(centred), min(SAMPLE * 5, len(centred)), replace=False)]
            _, s, vt = np.linalg.svd(vs, full_matrices=False)
            ratio = s**2 / max((s**2).sum(), 1e-12)
            m = int(np.searchsorted(np.cumsum(ratio), PCA_VARIANCE) + 1)
            m = max(PCA_MIN, min(PCA_MAX, m, len(ratio)))
            self.pca_components_ = vt[:m]
            self.pca_variance_ratio_ = [float(r) for r in ratio[:m]]
            pcs = centred @ vt[:m].T
            self.vector_weight_ = 1.0 / float(np.sqrt(max(pcs.var(axis=0).sum(), 1e-12)))
            self.vector_dims_ = m
        return self

    def _fit_view(self, block: np.ndarray) -> None:
        """The Marchenko–Pastur principal components of the standardised metric block (module docstring)."""
        n, p = block.shape
        self.view_mean_ = block.mean(axis=0)
        sd = block.std(axis=0)
        self.view_scale_ = np.where(sd > 1e-12, sd, 1.0)
        z = (block - self.view_mean_) / self.view_scale_
        eigenvalues, vectors = np.linalg.eigh(np.cov(z, rowvar=False) if p > 1 else np.ones((1, 1)))
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues, vectors = eigenvalues[order], vectors[:, order]
        self.view_edge_ = float((1.0 + np.sqrt(p / max(n, 1))) ** 2)
        m = min(p, max(MP_MIN, int((eigenvalues > self.view_edge_).sum())))
        # the sign of each component is fixed (largest loading positive) so the view is reproducible
        vectors = vectors[:, :m] * np.sign(vectors[np.abs(vectors[:, :m]).argmax(axis=0), np.arange(m)])
        self.view_components_ = vectors
        self.view_eigenvalues_ = [float(e) for e in eigenvalues[:m]]
        self.view_weight_ = 1.0 / float(np.sqrt(max(float(np.sum(eigenvalues[:m])), 1e-12)))

    def cluster_view(self, rows: np.ndarray) -> np.ndarray:
        """The clustering view (module docstring) of model rows from :meth:`transform` (default weights)."""
        m = len(self.metrics_)
        metrics = np.asarray(rows[:, :m], np.float64) / (self.metric_weight_ * self.group_weights_)
        pcs = ((metrics - self.view_mean_) / self.view_scale_) @ self.view_components_ * self.view_weight_
        return np.hstack([pcs, np.asarray(rows[:, m:], np.float64)]).astype(np.float32)

    @property
    def view_blocks_(self) -> dict[str, slice]:
        m = 0 if self.view_components_ is None else self.view_components_.shape[1]
        return {"metrics": slice(0, m), "vectors": slice(m, m + self.vector_dims_)}

    def view_components_in_words(self, top: int = 3) -> list[tuple[float, list[tuple[str, float]]]]:
        """Each metric component's share of the metric variance and its ``top`` largest loadings."""
        if self.view_components_ is None:
            return []
        total = float(len(self.metrics_))
        out = []
        for i, e in enumerate(self.view_eigenvalues_):
            loadings = self.view_components_[:, i]
            order = np.argsort(-np.abs(loadings), kind="stable")[:top]
            out.append((e / total, [(self.metrics_[j], float(loadings[j])) for j in order]))
        return out

    def _log(self, raw: np.ndarray, columns: list[str]) -> np.ndarray:
        out = raw.copy()
        for j, name in enumerate(columns):
            if name in self.log_columns_:
                out[:, j] = np.log1p(np.maximum(out[:, j], 0))
        return out

    # -- transforming -----------------------------------------------------------------------
    def metric_block(self, features: pd.DataFrame) -> np.ndarray:
        """The scaled metric columns (before block weighting)."""
        if len(features) == 0:
            return np.zeros((0, len(self.metrics_)))
        raw, _ = fill_empty(with_derived(features), self.all_columns_, self.fill_max_)
        values = self.quantiles_.transform(raw)[:, self.kept_columns_]
        return np.clip(values, -CLIP, CLIP) * self.group_weights_

    def vector_block(self, vectors: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The principal components of the vectors (before weighting) and the vector_missing flags."""
        if not self.vector_dims_:
            return np.zeros((n, 0)), np.ones(n, bool)
        if vectors is None:
            return np.zeros((n, self.vector_dims_)), np.ones(n, bool)
        missing = ~np.isfinite(vectors).all(axis=1)
        v = np.where(missing[:, None], self.vector_mean_, vectors).astype(np.float64)
        return (v - self.vector_mean_) @ self.pca_components_.T, missing

    def transform(
        self, features: pd.DataFrame, vectors: np.ndarray | None, weights: tuple[float, float] = (1.0, 1.0)
    ) -> tuple[np.ndarray, np.ndarray]:
        """Model rows (float32) for ``features`` rows and their ``vectors`` rows; and the vector_missing flags."""
        metrics = self.metric_block(features) * (self.metric_weight_ * weights[0])
        pcs, missing = self.vector_block(vectors, len(features))
        pcs = pcs * (self.vector_weight_ * weights[1])
        return np.hstack([metrics, pcs]).astype(np.float32), missing

    @property
    def columns_(self) -> list[str]:
        return self.metrics_ + [f"vector_pc{i + 1}" for i in range(self.vector_dims_)]

    @property
    def blocks_(self) -> dict[str, slice]:
        m = len(self.metrics_)
        return {"metrics": slice(0, m), "vectors": slice(m, m + self.vector_dims_)}

    def report(self) -> dict[str, object]:
        """What the rules decided, for run.json."""
        return {
            "metrics_used": self.metrics_,
            "log1p": self.log_columns_,
            "pruned_as_correlated": self.pruned_,
            "dropped_constant": self.dropped_constant_,
            "vector_components": self.vector_dims_,
            "vector_variance_explained": [round(r, 4) for r in self.pca_variance_ratio_],
            "vector_variance_explained_total": round(float(sum(self.pca_variance_ratio_)), 4),
            "block_weights": {"metrics": self.metric_weight_, "vectors": self.vector_weight_},
            "cluster_view": {
                "metric_components": len(self.view_eigenvalues_),
                "marchenko_pastur_edge": round(self.view_edge_, 4),
                "eigenvalues": [round(e, 4) for e in self.view_eigenvalues_],
                "metric_variance_explained": round(sum(self.view_eigenvalues_) / max(len(self.metrics_), 1), 4),
                "loadings": {
                    f"metric_pc{i + 1}": {m: round(w, 3) for m, w in words}
                    for i, (_, words) in enumerate(self.view_components_in_words())
                },
            },
            "group_weights": {c: round(float(w), 4) for c, w in zip(self.metrics_, self.group_weights_, strict=True)},
            "rules": {
                "skew_limit": SKEW_LIMIT,
                "clip": CLIP,
                "correlation_limit": CORRELATION_LIMIT,
                "pca_variance": PCA_VARIANCE,
                "block_rule": "each registry group, then each block, scaled to total variance 1",
                "scaling": "quantile-normal",
                "volume_left_out": sorted(VOLUME),
                "derived": sorted(DERIVED),
            },
        }


def align_vectors(user_ids: np.ndarray, vector_ids: np.ndarray | None, vectors: np.ndarray | None) -> np.ndarray | None:
    """Rows of ``vectors`` in the order of ``user_ids`` (NaN rows for users without a vector)."""
    if vectors is None or vector_ids is None:
        return None
    out = np.full((len(user_ids), vectors.shape[1]), np.nan, np.float32)
    pos = np.searchsorted(vector_ids, user_ids)
    pos = np.clip(pos, 0, max(len(vector_ids) - 1, 0))
    hit = (len(vector_ids) > 0) & (vector_ids[pos] == user_ids) if len(vector_ids) else np.zeros(len(user_ids), bool)
    out[hit] = vectors[pos[hit]]
    return out


__all__ = ["KEY", "InputTransform", "align_vectors", "candidate_metrics", "fill_empty", "model_metrics", "with_derived"]
