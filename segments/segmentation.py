"""One segmentation run end to end (:func:`segment`), and the run's classifier on the customers who arrived or
changed since (:func:`classify_new_customers`).

Order of a run: read the feature table and the user vectors of the users with at least
``MIN_EVENTS_TO_CLUSTER`` events (a seeded sample of ``CLUSTER_USERS`` when there are more: the others are
assigned by the run's classifier, so the run's memory stops growing with the shop) → fit the input transform
on them → model selection on a sample → final fit of the chosen (method, k) on all of them → the taste
stage, when switched on (a segment split in two where its customers' graph vectors hold two stable tastes) →
assignment classifier → feature analysis → activity-threshold study → labels for every user with events
(segment 0 below the threshold) → lineage against the previous run → profiles and names → the run folder,
renamed when complete, ``segments/current`` switched last.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.inspection import permutation_importance
from sklearn.metrics import adjusted_rand_score, f1_score, silhouette_score
from threadpoolctl import threadpool_limits

from embeddings.store import embedding_id
from features import vocabulary
from features.calendar import load_calendar
from features.compute import FEATURES_FILE, read_sidecar
from segments import assign as assigner
from segments import (
    communities,
    coverage,
    lineage,
    merging,
    naming,
    population,
    profile,
    runs,
    selection,
    short_history,
    similar,
    taste_split,
    threshold,
)
from segments.inputs import InputTransform, with_derived
from segments.record import RunRecord
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress
from shopgraph.version import code_version
from shopgraph.words import NOT_ENOUGH_ACTIVITY, THEN
from shopgraph.workspace import Workspace

MIN_EVENTS_TO_CLUSTER = 5
# a cluster is published as a segment only with this many customers at or above the activity
# threshold (the larger of the two): a marketing team cannot act on a handful of customers, and a
# name drawn from six profiles ("DIY shoppers", 6 customers) says nothing; its members go to the
# nearest published segment in the clustering view (issue 21).
MIN_SEGMENT_CUSTOMERS = 20
MIN_SEGMENT_SHARE = 0.01
DEFAULT_SAMPLE = 20_000
GMM_FIT_CAP = 200_000
TRANSFORM_FIT_ROWS = 500_000  # the input transform learns its numbers on at most this many customers (memory)
# the run learns its segments on at most this many customers with MIN_EVENTS_TO_CLUSTER+ events (a seeded sample);
# the others get the run's classifier, read in chunks. Holding all of them was 11.5 GiB at 8.6 M customers
# (docs/BENCHMARKS.md, "Scale"), beside Neo4j's 9 GiB. What a run fits is smaller still (the resolution table on
# 10 000 of them, the classifier on 20 000); how far a capped run's segments agree with an uncapped one's is not
# measured yet
CLUSTER_USERS = 1_000_000
IMPORTANCE_ROWS = 2_000
FINGERPRINT = ("n_events", "n_sessions", "n_purchases", "total_spent")


@dataclass
class SegmentRun:
    """What :func:`segment` produced (the files are in ``run_dir``)."""

    run_id: str
    run_dir: Path
    method: str
    k: int
    reason: str
    threshold: dict
    segments: list[dict]
    selection: pd.DataFrame
    classifiers: pd.DataFrame
    importance: pd.DataFrame
    migration: pd.DataFrame | None
    previous_run_id: str | None
    users: int
    timings: dict[str, float] = field(default_factory=dict)
    record: dict = field(default_factory=dict)
    clusters: pd.DataFrame | None = None  # user_id, cluster: the clustered users' labels 1..k, before publishing


def read_features(workspace: Workspace, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The feature table (only those of ``columns`` it has, when given), sorted by user_id; a clear error
    when `shopgraph features` has not run."""
    sidecar = read_sidecar(workspace)
    path = workspace.features_dir / FEATURES_FILE
    if not path.is_file():
        raise ShopgraphError(f"no feature table in {workspace.features_dir}: run `shopgraph features` first")
    if columns is not None:
        columns = [c for c in columns if c in pq.read_schema(path).names]
    frame = pd.read_parquet(path, columns=columns)
    frame.attrs["sidecar"] = sidecar
    return frame.sort_values("user_id", kind="stable").reset_index(drop=True)


def user_vectors(workspace: Workspace, user_ids: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """Vectors aligned with ``user_ids`` (NaN rows when missing), and where they came from; only the vectors of
    ``user_ids`` are read (:class:`segments.population.VectorFile`)."""
    file = population.VectorFile.open(workspace)
    if file is None:  # `shopgraph embed` has not run
        return None, _vector_info(None, 0)
    aligned = file.aligned(np.asarray(user_ids, np.int64))
    return aligned, _vector_info(file, int((~np.isfinite(aligned).all(axis=1)).sum()))


def _vector_info(file: population.VectorFile | None, missing: int) -> dict:
    """Where the vectors came from, for run.json."""
    if file is None:
        return {"vectors": "none (run `shopgraph embed` to add the graph vectors)"}
    return {
        "vectors": "embeddings/user_vectors.parquet",
        "dimensions": file.dimensions,
        "users_without_vector": missing,
    }


def fingerprints(features: pd.DataFrame) -> np.ndarray:
    """A hash per user of the activity columns; a user whose hash changes has new events. The spend is taken
    to the cent: DuckDB sums a customer's prices in an order its threads decide, so the same purchases can
    differ in the last bits from one feature table to the next (the demo counted 831 changed customers under
    one pseudonymisation key and 841 under another)."""
    cols = features[list(FINGERPRINT)].astype("float64").fillna(-1.0)
    cols["total_spent"] = cols["total_spent"].round(2)
    return pd.util.hash_pandas_object(cols, index=False).to_numpy().view(np.int64)


def _business(features: pd.DataFrame) -> np.ndarray:
    return features[["purchase_rate", "total_spent"]].apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(float)


def _final_fit(method: str, k: int, X: np.ndarray, seed: int):
    if method == "gmm" and len(X) > GMM_FIT_CAP:
        rows = np.random.default_rng(seed).choice(len(X), GMM_FIT_CAP, replace=False)
        return selection.fit_model(method, k, X[rows], seed)
    return selection.fit_model(method, k, X, seed)


def fit_labels(method: str, k: int, X: np.ndarray, seed: int) -> np.ndarray:
    """Labels 1..k (1 = largest) of the chosen method fitted on all of ``X``."""
    raw = _final_fit(method, k, X, seed).predict(X)
    raw = np.unique(raw, return_inverse=True)[1]
    labels, _ = selection.relabel_by_size(raw)
    return labels + 1


def likely_segments(
    predicted: np.ndarray, confidence: np.ndarray, below: np.ndarray, n_events: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The likely segment (0: none) and its confidence (NaN: none) of every user: the classifier's
    published segment for those below the activity threshold with ``MIN_EVENTS_TO_CLUSTER`` or more
    events, kept apart from ``segment`` so the reliable label is never mixed with the guess."""
    has = np.asarray(below, bool) & (np.asarray(n_events, float) >= MIN_EVENTS_TO_CLUSTER)
    likely = np.where(has, np.asarray(predicted, np.int64), 0)
    return likely, np.where(has, np.asarray(confidence, np.float64), np.nan)


def published_clusters(labels: np.ndarray, below: np.ndarray) -> np.ndarray:
    """The cluster labels the run publishes as segments: those keeping at least
    ``max(MIN_SEGMENT_CUSTOMERS, MIN_SEGMENT_SHARE × classified)`` members at or above the activity
    threshold (``below`` flags each clustered user under it)."""
    above = np.asarray(labels)[~np.asarray(below, dtype=bool)]
    values, counts = np.unique(above, return_counts=True)
    floor = max(MIN_SEGMENT_CUSTOMERS, MIN_SEGMENT_SHARE * len(above))
    big = values[counts >= floor]
    if len(big) or not len(values):
        return big
    return values[counts == counts.max()]  # never nothing: a tiny run publishes its largest cluster


def nearest_published(labels: np.ndarray, view: np.ndarray, published: np.ndarray) -> np.ndarray:
    """``labels`` with every member of an unpublished cluster moved to the published cluster whose centre
    (mean of its members in the clustering view ``view``) is nearest to it."""
    labels = np.asarray(labels).copy()
    published = np.asarray(published)
    moved = ~np.isin(labels, published)
    if not moved.any() or not len(published):
        return labels
    centres = np.stack([view[labels == c].mean(axis=0) for c in published])
    distance = ((view[moved, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels[moved] = published[distance.argmin(axis=1)]
    return labels


def confusion_table(
    model: assigner.AssignmentModel, label_to_segment: dict[int, int], published: np.ndarray | None = None
) -> tuple[pd.DataFrame, float]:
    """The kept classifier on its test split, assigning as the run does, and its macro-F1 there.

    Rows the true segment id, columns the predicted one (column ``segment_id`` first, as
    ``confusion.csv`` stores it), over the published clusters only: test users of an
    unpublished cluster (emptied by the threshold, or too small to publish) have no published
    segment to be right about and are left out, and predictions are made among the published
    clusters.
    """
    X_test, y_test = model.test_rows
    if published is not None:
        keep = np.isin(y_test, published)
        X_test, y_test = X_test[keep], y_test[keep]
    predicted, _ = model.predict(X_test, among=published)
    labels = model.model.classes_ if published is None else published
    ids = sorted({label_to_segment.get(int(c), int(c)) for c in labels})

    def segment_of(values) -> pd.Categorical:
        return pd.Categorical([label_to_segment.get(int(c), int(c)) for c in values], categories=ids)

    table = pd.crosstab(segment_of(y_test), segment_of(predicted), dropna=False)
    table.index.name, table.columns.name = "segment_id", None
    f1 = (
        float(f1_score(y_test, predicted, labels=labels, average="macro", zero_division=0))
        if len(y_test)
        else float("nan")
    )
    return table.reset_index(), f1


def _importance(
    model: assigner.AssignmentModel, transform: InputTransform, seed: int
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Permutation importance of every classifier input on (a sample of) the test split, and its sum per block."""
    X_test, y_test = model.test_rows
    if len(X_test) > IMPORTANCE_ROWS:
        rows = assigner.stratified_sample(y_test, IMPORTANCE_ROWS, seed)
        X_test, y_test = X_test[rows], y_test[rows]
    result = permutation_importance(
        model.model, X_test, y_test, scoring="f1_macro", n_repeats=3, random_state=seed, n_jobs=1
    )
    blocks = transform.blocks_
    rows = []
    for j, col in enumerate(transform.columns_):
        block = "metrics" if j < blocks["metrics"].stop else "vectors"
        rows.append(
            {
                "feature": col,
                "block": block,
                "importance": float(result.importances_mean[j]),
                "importance_sd": float(result.importances_std[j]),
            }
        )
    importance = pd.DataFrame(rows).sort_values(["importance", "feature"], ascending=[False, True])
    return importance, importance.groupby("block")["importance"].sum().to_dict()


def _quality_block_alone(
    transform: InputTransform, view: np.ndarray, labels: np.ndarray, k: int, seed: int
) -> dict[str, dict[str, float]]:
    """k-means on each block of the clustering view alone: its agreement with the run and its silhouette."""
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(view), min(3000, len(view)), replace=False)
    alone = {}
    for name, cols in transform.view_blocks_.items():
        if cols.stop - cols.start == 0:
            continue
        part = np.ascontiguousarray(view[:, cols])
        block_labels = selection.fit_model("kmeans", k, part, seed).predict(part)
        sil = (
            silhouette_score(part[sample], block_labels[sample])
            if len(np.unique(block_labels[sample])) > 1
            else float("nan")
        )
        alone[name] = {"ari_with_run": float(adjusted_rand_score(labels, block_labels)), "silhouette": float(sil)}
    return alone


def _component_sentence(kind: str, i: int, share: float, high: list[str], low: list[str], nothing: str) -> str:
    return (
        f"{kind} component {i + 1} ({share:.0%} of the {kind} variance): high for users with more "
        + (", ".join(high) or nothing)
        + "; low for users with more "
        + (", ".join(low) or nothing)
    )


def _components_in_words(transform: InputTransform, X: np.ndarray, features: pd.DataFrame) -> list[str]:
    """The metric components of the clustering view by their loadings, and the first vector components by
    the metrics their rank correlates with, in plain words."""
    words = []
    for i, (share, loadings) in enumerate(transform.view_components_in_words()):
        high = [f"{vocabulary.label(m, 'en')} ({w:+.2f})" for m, w in loadings if w > 0]
        low = [f"{vocabulary.label(m, 'en')} ({w:+.2f})" for m, w in loadings if w < 0]
        words.append(_component_sentence("metric", i, share, high, low, "nothing listed"))
    if not transform.vector_dims_:
        return words
    pcs = X[:, transform.blocks_["vectors"]]
    needed = set(transform.metrics_) | {"n_events", "n_sessions", "months_active", "distinct_products"}
    columns = [c for c in features.columns if c in needed]  # with_derived's inputs: no copy of the whole frame
    metric_values = with_derived(features[columns])[transform.metrics_].apply(pd.to_numeric, errors="coerce").fillna(0)
    ranks = metric_values.rank().to_numpy()
    for i in range(min(3, pcs.shape[1])):
        pc_rank = pd.Series(pcs[:, i]).rank().to_numpy()
        corr = [
            (float(np.corrcoef(pc_rank, ranks[:, j])[0, 1]) if np.ptp(ranks[:, j]) else 0.0, m)
            for j, m in enumerate(transform.metrics_)
        ]
        corr.sort(key=lambda t: (-t[0], t[1]))
        high = [f"{vocabulary.label(m, 'en')} ({c:+.2f})" for c, m in corr[:2] if c > 0.1]
        low = [f"{vocabulary.label(m, 'en')} ({c:+.2f})" for c, m in corr[::-1][:2] if c < -0.1]
        share = transform.pca_variance_ratio_[i]
        words.append(_component_sentence("vector", i, share, high, low, "nothing measured"))
    return words


def _analysis(
    model: assigner.AssignmentModel, inputs: _Inputs, labels: np.ndarray, k: int, seed: int, say: Progress
) -> tuple[pd.DataFrame, dict]:
    """Permutation importance, quality with each block alone (in the clustering view), metric and vector
    principal components in plain words."""
    say("feature analysis", 0, 1)
    importance, by_block = _importance(model, inputs.transform, seed)
    alone = _quality_block_alone(inputs.transform, inputs.view, labels, k, seed)
    words = _components_in_words(inputs.transform, inputs.X, inputs.f_clustered)
    analysis = {"importance_by_block": by_block, "quality_block_alone": alone, "components_in_words": words}
    return importance, analysis


def segment(
    workspace: Workspace,
    k: int | None = None,
    method: str | None = None,
    seed: int = 0,
    sample_size: int = DEFAULT_SAMPLE,
    progress: Progress | None = None,
    *,
    classifiers: tuple[str, ...] | None = None,
    chunk_rows: int = population.CHUNK_ROWS,
) -> SegmentRun:
    """Run the whole segmentation (see the module docstring) and return what it wrote.

    The users who are not clustered are read and written ``chunk_rows`` at a time (the result does not
    depend on it); a few columns of every user are held whole (``EVERYONE_COLUMNS``).

    BLAS and OpenMP run single-threaded: the matrices are small and thin, and multi-threaded BLAS on a
    busy 2-core machine was measured 7–30× slower (Gaussian mixture fits).
    """
    with threadpool_limits(limits=1):
        return _segment(workspace, k, method, seed, sample_size, progress, classifiers, chunk_rows)


def _cluster(
    inputs: _Inputs,
    seed: int,
    record: RunRecord,
    say: Progress,
    short: tuple[np.ndarray, np.ndarray] | None,
    watch: _Stopwatch,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The clustered users' labels 1..k: the chosen (method, k) fitted on all of them, or the merged
    communities of ``--method leiden``, then the taste stage (:func:`_taste_stage`, for the methods in
    ``TASTE_STAGE_METHODS``); and the selection table."""
    if record.given_method == communities.METHOD:
        selection_table, labels = _communities(inputs, seed, record, say, short)
    else:
        selection_table = _select(inputs, seed, record, say)
        watch.lap("selection")
        say("final fit", 0, 1)
        labels = fit_labels(record.method, record.k, inputs.view, seed)
    watch.lap("final fit")
    return selection_table, _taste_stage(inputs, labels, seed, record, say, short)


# the methods whose segments go through the taste stage: none by default. On five quality seeds it split the
# brand pair of Leiden's merged communities on two, but took the assignment macro-F1 under 0.9 on two others, and
# gave the k-means family nothing but a lower stability (docs/BENCHMARKS.md, "Issue 21 §1, third attempt");
# bench/quality.py --taste-stage leiden|all runs it
TASTE_STAGE_METHODS: tuple[str, ...] = ()


def _taste_stage(inputs: _Inputs, labels: np.ndarray, seed: int, record: RunRecord, say: Progress, short) -> np.ndarray:
    """Each segment cut in two by taste where the cut is real (``segments.taste_split``): the labels 1..m
    (a second half takes the next free label), and which segments were split and why into ``record``."""
    cols = inputs.transform.view_blocks_["vectors"]
    floor = max(MIN_SEGMENT_CUSTOMERS, MIN_SEGMENT_SHARE * len(labels))
    record.taste_split = {"rule": taste_split.RULE, "half_floor": floor, "segments": []}
    not_run = _taste_stage_skipped(record, cols.stop - cols.start)
    if not_run:
        record.taste_split["note"] = not_run
        return labels
    taste = np.ascontiguousarray(inputs.view[:, cols])
    first_k = record.k
    labels, examined = taste_split.split_by_taste(inputs.X, taste, labels, seed, short, floor, progress=say)
    record.k = int(labels.max())
    record.reason += f"{THEN['en']}{taste_split.RULE}: {taste_split.in_words(examined)}"
    record.reason_fr += f"{THEN['fr']}{taste_split.RULE_FR} : {taste_split.in_words(examined, 'fr')}"
    record.taste_split["segments"] = [v.as_dict() for v in examined]
    cuts = [(v.members, v.second) for v in examined if v.split]
    if cuts and record.method in selection.METHODS:  # the stability of the segments as published, cuts included
        record.scores["stability_before_taste_split"] = record.scores["stability"]
        record.scores["stability"] = _stability_with_cuts(inputs, record.method, first_k, taste, cuts, seed, record)
    return labels


def _taste_stage_skipped(record: RunRecord, taste_dimensions: int) -> str | None:
    """Why the taste stage does not run (None: it runs)."""
    if record.method not in TASTE_STAGE_METHODS:
        return f"not run for {record.method} (segmentation.TASTE_STAGE_METHODS: {list(TASTE_STAGE_METHODS)})"
    if record.given_k is not None:  # --k is the number of segments asked for
        return "--k given: not run"
    if not taste_dimensions:
        return "no graph vectors: not run"
    return None


def _stability_with_cuts(
    inputs: _Inputs, method: str, k: int, taste: np.ndarray, cuts: list, seed: int, record: RunRecord
) -> float:
    """``taste_split.replayed_stability`` of the chosen (method, k) and the run's cuts, on the selection's sample
    size of the clustered users."""
    n = len(inputs.view)
    rows = np.sort(np.random.default_rng(seed).choice(n, min(record.sample_size, n), replace=False))
    where = np.full(n, -1, np.int64)
    where[rows] = np.arange(len(rows))
    view = inputs.view[rows]
    local = [(where[m][where[m] >= 0], where[s][where[s] >= 0]) for m, s in cuts]

    def first_stage(resample: np.ndarray, fit_seed: int) -> np.ndarray:
        return selection.fit_model(method, k, view[resample], fit_seed).predict(view)

    return taste_split.replayed_stability(first_stage, taste[rows], local, seed)


class _Stopwatch:
    """Wall time of each stage, in seconds (rounded to the millisecond), in the order they ran."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        self.timings[name] = round(time.perf_counter() - self._clock, 3)
        self._clock = time.perf_counter()


def _segment(
    workspace: Workspace,
    k: int | None,
    method: str | None,
    seed: int,
    sample_size: int,
    progress: Progress | None,
    classifiers: tuple[str, ...] | None,
    chunk_rows: int = population.CHUNK_ROWS,
) -> SegmentRun:
    say = progress or (lambda _phase, _done, _total: None)
    watch = _Stopwatch()
    record = _new_record(k, method, seed, sample_size, watch.timings)
    runs.remove_leftovers(workspace)
    inputs = _read_inputs(workspace, seed, record, say, chunk_rows)
    watch.lap("inputs")
    copies, short, calendar = _short_histories(workspace, inputs, seed, say)
    watch.lap("short histories")
    selection_table, labels = _cluster(inputs, seed, record, say, short, watch)
    watch.lap("taste split")
    model = assigner.train(inputs.X, labels, seed, only=classifiers, progress=say, short=short)
    watch.lap("classifier")
    importance, record.analysis = _analysis(model, inputs, labels, record.k, seed, say)
    watch.lap("feature analysis")
    threshold_record = _threshold_study(workspace, calendar, inputs, labels, model, seed, say)
    record.threshold = int(threshold_record["threshold"])
    watch.lap("threshold")
    labelled = _label_every_user(inputs, model, labels, record.threshold, say)
    watch.lap("assignment")
    carried = _follow_lineage(workspace, inputs.user_ids, labelled, labels, record)
    watch.lap("lineage")
    segments = _profiles_and_names(workspace, inputs, labelled, carried, record.analysis, seed, say)
    watch.lap("profiles")
    tables = _RunTables(
        selection_table, threshold_record, pd.DataFrame(model.comparison), importance, carried.migration
    )
    run_dir = _write_run_folder(workspace, inputs, labelled, segments, tables, model, copies, carried, record, say)
    watch.lap("write")
    return SegmentRun(
        record.run_id,
        run_dir,
        record.method,
        record.k,
        record.reason,
        threshold_record,
        segments,
        selection_table,
        tables.classifiers,
        importance,
        carried.migration,
        carried.previous_id,
        len(inputs.user_ids),
        watch.timings,
        record.to_json(),
        pd.DataFrame({"user_id": inputs.user_ids[inputs.clustered], "cluster": labels}),
    )


DEFAULT_METHOD = communities.METHOD  # Leiden by default: why, docs/ARCHITECTURE.md "Segments", Communities
RULE_METHOD = "rule"  # the k-means / GMM / Ward family and k, chosen by selection's stated rule


def check_method(method: str | None) -> None:
    """A one-line error unless ``method`` is None (the default) or a method ``segment`` knows."""
    known = (communities.METHOD, *selection.METHODS, RULE_METHOD)
    if method is not None and method not in known:
        raise ShopgraphError(f"--method {method!r} is not one of {', '.join(known)}")


def resolve_method(method: str | None, k: int | None = None) -> str | None:
    """The method a run uses, as its record keeps it: ``method`` when given; none given, Leiden's communities
    (``DEFAULT_METHOD``), unless ``k`` is (a number of segments is the k-means family's option); ``rule``
    and ``--k`` alone: None, the family and k chosen by the stated rule."""
    check_method(method)
    if method == RULE_METHOD:
        return None
    return DEFAULT_METHOD if method is None and k is None else method


def _new_record(k: int | None, method: str | None, seed: int, sample_size: int, timings: dict[str, float]) -> RunRecord:
    """The record of a run with these options, once they are checked and the method resolved."""
    method = resolve_method(method, k)
    if method == communities.METHOD and k is not None:
        raise ShopgraphError(f"--k and --method {communities.METHOD} exclude each other: its resolution sets k")
    if k is not None and not 2 <= k <= 50:
        raise ShopgraphError(f"--k {k} is out of range: choose 2 to 50 segments")
    return RunRecord(
        seed=seed,
        given_k=k,
        given_method=method,
        sample_size=sample_size,
        min_events_to_cluster=MIN_EVENTS_TO_CLUSTER,
        bootstraps=selection.BOOTSTRAPS,
        timings=timings,
    )


# the columns of every user a run holds whole: the id, the activity fingerprint and what the profiles sum over
# every user (sizes, revenue, conversion, holiday ratio); the other columns only for the clustered users
EVERYONE_COLUMNS = ("user_id", *FINGERPRINT, "n_orders", "preferred_month")


@dataclass
class _Inputs:
    """What a run clusters: a few columns of every user with events (``everyone``, see ``EVERYONE_COLUMNS``),
    the whole feature rows and vectors of those with :data:`MIN_EVENTS_TO_CLUSTER` or more (``clustered``),
    and the input transform fitted on them. The other users' rows are read again, in chunks, when needed."""

    everyone: pd.DataFrame
    sidecar: dict
    user_ids: np.ndarray
    n_events: np.ndarray
    clustered: np.ndarray
    f_clustered: pd.DataFrame
    v_clustered: np.ndarray | None
    transform: InputTransform
    X: np.ndarray  # the clustered users as the classifier sees them
    view: np.ndarray  # the clustered users as the clusterings see them
    features_path: Path
    vector_file: population.VectorFile | None
    chunk_rows: int = population.CHUNK_ROWS
    seed: int = 0


def clustering_inputs(workspace: Workspace, seed: int = 0) -> _Inputs:
    """What ``segment`` would cluster in ``workspace`` (read and transformed as it does), with no run record and
    no progress: for the benches that time or compare the clustering steps on a workspace's inputs."""
    return _read_inputs(workspace, seed, SimpleNamespace(), lambda *_: None)  # what it records is dropped


def _read_inputs(
    workspace: Workspace, seed: int, record: RunRecord, say: Progress, chunk_rows: int = population.CHUNK_ROWS
) -> _Inputs:
    """Read a few columns of every user and the whole rows and vectors of the users with enough events, in
    chunks of ``chunk_rows``; fit the input transform on them."""
    say("reading features and vectors", 0, 1)
    sidecar = read_sidecar(workspace)
    path = workspace.features_dir / FEATURES_FILE
    if not path.is_file():
        raise ShopgraphError(f"no feature table in {workspace.features_dir}: run `shopgraph features` first")
    everyone = population.read_columns(path, list(dict.fromkeys(EVERYONE_COLUMNS)))
    user_ids = everyone["user_id"].to_numpy(np.int64)
    n_events = population.n_events_of(everyone["n_events"])
    eligible = np.flatnonzero(n_events >= MIN_EVENTS_TO_CLUSTER)
    if len(eligible) < 50:
        raise ShopgraphError(
            f"only {len(eligible)} user(s) have {MIN_EVENTS_TO_CLUSTER}+ events, 50 needed: too few to segment; "
            "add more months (`shopgraph run MONTH_FILES`, or `shopgraph ingest` then `shopgraph features`)"
        )
    clustered = eligible[cluster_rows(len(eligible), seed)]
    wanted = np.zeros(len(user_ids), bool)
    wanted[clustered] = True
    f_clustered = population.read_rows(
        path,
        lambda table: population.flagged(table, user_ids, wanted),
        chunk_rows,
        lambda read, kept: say("reading features and vectors", read, len(user_ids)),
    )
    vector_file = population.VectorFile.open(workspace)
    v_clustered = None if vector_file is None else vector_file.aligned(user_ids[clustered])
    missing = 0
    if vector_file is not None:  # users without a stored vector, and clustered ones with a non-finite one
        pos = np.clip(np.searchsorted(vector_file.ids, user_ids), 0, len(vector_file.ids) - 1)
        stored = vector_file.ids[pos] == user_ids
        missing = int((~stored).sum() + (stored[clustered] & ~np.isfinite(v_clustered).all(axis=1)).sum())
    fit_rows = transform_fit_rows(len(clustered), seed)
    sampled = len(fit_rows) < len(clustered)
    transform = InputTransform(seed=seed, use_vectors=vector_file is not None).fit(
        f_clustered.iloc[fit_rows].reset_index(drop=True) if sampled else f_clustered,
        v_clustered[fit_rows] if sampled and v_clustered is not None else v_clustered,
    )
    X = _model_rows(transform, f_clustered, v_clustered, chunk_rows)
    order = key_independent_order(X)  # the clustered customers from here on: every sample, fold and graph
    clustered, X = clustered[order], X[order]
    f_clustered = f_clustered.iloc[order].reset_index(drop=True)
    v_clustered = None if v_clustered is None else v_clustered[order]
    record.data_window = sidecar.get("data_window")
    record.features_computed_at = sidecar.get("computed_at")
    record.inputs = {
        **transform.report(),
        **_vector_info(vector_file, missing),
        **({"embedding_id": embedding_id(workspace)} if vector_file is not None else {}),
        "users": len(user_ids),
        "users_with_enough_events": len(eligible),
        "users_clustered": len(clustered),
        "users_fitting_the_transform": len(fit_rows),
    }
    return _Inputs(
        everyone,
        sidecar,
        user_ids,
        n_events,
        clustered,
        f_clustered,
        v_clustered,
        transform,
        X,
        transform.cluster_view(X),
        path,
        vector_file,
        chunk_rows,
        seed,
    )


def key_independent_order(X: np.ndarray) -> np.ndarray:
    """The rows of ``X`` (the clustered customers' model rows, pseudonym order) sorted by their values, so the
    samples, cross-validation folds and neighbour graph of a run draw the same customers under any
    pseudonymisation key (the ``user_id`` order is the key's); only customers whose rows are equal keep their
    pseudonym order among themselves. The vectors are key-independent already (``embeddings.graph``)."""
    if len(X) == 0:
        return np.arange(0)
    return np.lexsort(np.asarray(X, np.float64).T[::-1])


def cluster_rows(n: int, seed: int, cap: int | None = None) -> np.ndarray:
    """Which of the ``n`` users with enough events the run clusters: all of them up to ``cap``
    (``CLUSTER_USERS``), else a seeded sample of ``cap`` (in row order), drawn apart from the transform's."""
    cap = CLUSTER_USERS if cap is None else cap
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng([seed, 20]).choice(n, cap, replace=False))


def transform_fit_rows(n: int, seed: int, cap: int | None = None) -> np.ndarray:
    """The rows the input transform is fitted on: all of them up to ``cap``, else a seeded sample of ``cap``
    (in row order). Its numbers (quantiles, weights, view) settle long before millions of customers,
    and its whole-size intermediates were the segment step's peak at a REES46 month (issue 20)."""
    cap = TRANSFORM_FIT_ROWS if cap is None else cap
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def _model_rows(
    transform: InputTransform, features: pd.DataFrame, vectors: np.ndarray | None, chunk_rows: int
) -> np.ndarray:
    """``transform.transform(features, vectors)[0]``, ``chunk_rows`` rows at a time (its float64 intermediates
    are chunk-sized; the transform is row by row)."""
    rows = [slice(i, i + chunk_rows) for i in range(0, len(features), chunk_rows)]
    parts = [transform.transform(features.iloc[r], None if vectors is None else vectors[r])[0] for r in rows]
    return np.concatenate(parts) if parts else transform.transform(features, vectors)[0]


SELECTION_RULE = (
    "the most segments among fits with no segment under 1 % or 20 customers, stability ≥ min(0.8, best − 0.05) and "
    "silhouette within 0.05 of the best of those"
)
SELECTION_RULE_FR = (
    "le plus de segments parmi les ajustements sans segment sous 1 % ou 20 clients, de stabilité ≥ min(0,8, "
    "meilleure − 0,05) et de silhouette à 0,05 près de la meilleure d'entre eux"
)


def _select(inputs: _Inputs, seed: int, record: RunRecord, say: Progress) -> pd.DataFrame:
    """Model selection on a sample of the clustered users: the chosen (method, k), its scores and why, into
    ``record``; returns the table of every candidate."""
    k, method = record.given_k, record.given_method
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(inputs.X), min(record.sample_size, len(inputs.X)), replace=False))
    record.k_range = list((k,) if k else selection.K_RANGE)
    record.methods = list((method,) if method else selection.METHODS)
    candidates = selection.evaluate(
        inputs.view[sample],
        _business(inputs.f_clustered.iloc[sample]),
        methods=tuple(record.methods),
        ks=tuple(record.k_range),
        seed=seed,
        progress=say,
    )
    if not candidates:
        raise ShopgraphError(f"--k {k} needs more users with {MIN_EVENTS_TO_CLUSTER}+ events than {len(inputs.X)}")
    chosen = selection.choose(candidates, min_share=MIN_SEGMENT_CUSTOMERS / len(inputs.X))  # publishable segments
    record.method, record.k = chosen.method, int(chosen.k)
    record.reason, record.reason_fr = SELECTION_RULE, SELECTION_RULE_FR
    if k or method:
        given = f"{'--k ' + str(k) if k else ''}{' ' if k and method else ''}{'--method ' + method if method else ''}"
        record.reason = f"{given} given{THEN['en']}{SELECTION_RULE}"
        record.reason_fr = f"{given} demandé{THEN['fr']}{SELECTION_RULE_FR}"
    record.scores = {
        key: getattr(chosen, key)
        for key in ("silhouette", "calinski_harabasz", "davies_bouldin", "stability", "separation", "smallest_share")
    }
    record.inputs["selection_sample"] = len(sample)
    return pd.DataFrame([c.as_row() for c in candidates])


def _communities(
    inputs: _Inputs, seed: int, record: RunRecord, say: Progress, short: tuple[np.ndarray, np.ndarray] | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The customer graph's communities (``segments.communities``), merged until the assignment classifier
    tells them apart (``segments.merging``, learning the short-history copies ``short`` as it will): the
    resolution, its scores, the merges and why into ``record``; returns every resolution's row and the
    labels 1..k."""
    found = communities.segment_customers(
        inputs.view, inputs.n_events[inputs.clustered], _business(inputs.f_clustered), seed, record.sample_size, say
    )
    merged, steps = merging.merge_until_assignable(inputs.X, found.labels, seed, short, progress=say)
    labels, _ = selection.relabel_by_size(merged)
    labels = labels + 1
    record.methods, record.k_range = [communities.METHOD], []
    record.method, record.k = communities.METHOD, int(labels.max())
    long = found.long_history or MIN_EVENTS_TO_CLUSTER
    record.reason = f"{communities.RULE.format(long=long)}{THEN['en']}{merging.RULE}: {merging.in_words(steps)}"
    record.reason_fr = (
        f"{communities.RULE_FR.format(long=long)}{THEN['fr']}{merging.RULE_FR} : {merging.in_words(steps, 'fr')}"
    )
    record.scores = {
        **found.scores,
        **selection.score(labels - 1, inputs.view, _business(inputs.f_clustered), seed),
        "communities_before_merging": steps[0].segments,
        "classifier_cv_macro_f1": steps[-1].cv_macro_f1,
    }
    record.inputs["selection_sample"] = found.sample
    return pd.DataFrame(found.table), labels


def _short_histories(workspace: Workspace, inputs: _Inputs, seed: int, say: Progress):
    """Short-history copies of clustered users outside the threshold study's (they do not depend on the
    segments): the copies, their model rows with the row each was cut from (None: no copies), the calendar."""
    say("short histories", 0, 1)
    calendar = _calendar(inputs.sidecar)
    _, study_rows = threshold.study_sample(inputs.f_clustered["n_events"].to_numpy(), seed)
    copies = short_history.short_histories(
        workspace, calendar, inputs.f_clustered, inputs.v_clustered, study_rows, seed
    )
    short = None if copies is None else (inputs.transform.transform(copies.frame, copies.vectors)[0], copies.source)
    return copies, short, calendar


def _threshold_study(
    workspace: Workspace,
    calendar,
    inputs: _Inputs,
    labels: np.ndarray,
    model: assigner.AssignmentModel,
    seed: int,
    say: Progress,
) -> dict:
    """The activity-threshold study: from how many events the classifier agrees with the clustering."""

    def predict(frame: pd.DataFrame, vecs: np.ndarray | None) -> np.ndarray:
        rows, _ = inputs.transform.transform(frame, vecs)
        return model.predict(rows)[0]

    say("activity threshold", 0, 1)
    return threshold.run_study(workspace, calendar, inputs.f_clustered, labels, inputs.v_clustered, predict, seed)


ASSIGNED_BY = ("cluster", "classifier", "threshold", "nearest segment")
BY_CLUSTER, BY_CLASSIFIER, BY_THRESHOLD, BY_NEAREST = range(len(ASSIGNED_BY))


@dataclass
class _Labelled:
    """A cluster label (later a segment id) for every user with events, with how and how surely it was given."""

    segment_of: np.ndarray
    assigned_by: np.ndarray  # int8 codes into ASSIGNED_BY: "cluster", "classifier", "threshold", "nearest segment"
    confidence: np.ndarray
    published: np.ndarray  # the cluster labels published as segments
    likely: np.ndarray  # below the threshold with 5+ events: the classifier's segment (0: none)
    likely_confidence: np.ndarray  # its confidence (NaN: none)
    described: pd.DataFrame  # the whole feature rows of the users with a segment, in user order

    def users_by(self) -> dict[str, int]:
        """Users per way of assignment, most first (ties: first met first), as ``value_counts`` gives them."""
        codes, first, counts = np.unique(self.assigned_by, return_index=True, return_counts=True)
        order = sorted(range(len(codes)), key=lambda i: (-counts[i], first[i]))
        return {ASSIGNED_BY[int(codes[i])]: int(counts[i]) for i in order}


def _label_every_user(
    inputs: _Inputs, model: assigner.AssignmentModel, labels: np.ndarray, min_events: int, say: Progress
) -> _Labelled:
    """Every user with events gets a label: clustered ones their cluster, others the classifier or 0.

    A cluster with too few members at or above the threshold is not published, so the classifier never
    gives it and its members get the nearest published segment in the clustering view (:func:`nearest_published`,
    ``assigned_by`` "nearest segment") before the profiles and names are drawn. Users below the threshold
    get segment 0 without being read again; the unclustered ones at or above it (a threshold under
    ``MIN_EVENTS_TO_CLUSTER``) are read, transformed and classified ``inputs.chunk_rows`` at a time.
    """
    n = len(inputs.user_ids)
    say("assigning every user", 0, n)
    clustered = inputs.clustered
    below = threshold.below_threshold(inputs.n_events, min_events)
    published = published_clusters(labels, below[clustered])
    folded = ~np.isin(labels, published)
    labels = nearest_published(labels, inputs.view, published)
    segment_of = np.zeros(n, np.int64)
    assigned_by = np.full(n, BY_THRESHOLD, np.int8)
    confidence = np.ones(n, np.float64)
    likely = np.zeros(n, np.int64)
    likely_confidence = np.full(n, np.nan)
    # the clustered users: their cluster, its probability; the classifier's guess is their likely segment
    classes, proba = model.probabilities(inputs.X, among=published)
    best = proba.argmax(axis=1) if len(proba) else np.zeros(0, np.int64)
    col = {int(c): i for i, c in enumerate(classes)}
    own = np.array([col.get(int(c), -1) for c in labels])  # -1: none published at all (cannot happen)
    segment_of[clustered] = labels
    assigned_by[clustered] = np.where(folded, BY_NEAREST, BY_CLUSTER)
    confidence[clustered] = np.where(own >= 0, proba[np.arange(len(clustered)), np.maximum(own, 0)], 1.0)
    guess, guess_confidence = likely_segments(
        classes[best], proba[np.arange(len(clustered)), best], below[clustered], inputs.n_events[clustered]
    )
    likely[clustered], likely_confidence[clustered] = guess, guess_confidence
    say("assigning every user", len(clustered), n)
    labelled = _Labelled(
        segment_of, assigned_by, confidence, published, likely, likely_confidence, inputs.f_clustered[~below[clustered]]
    )
    more = _classify_the_rest(inputs, model, below, labelled, say)
    say("assigning every user", n, n)
    segment_of[below], assigned_by[below], confidence[below] = 0, BY_THRESHOLD, 1.0  # clustered ones too
    labelled.described = labelled.described.reset_index(drop=True)
    if more:
        labelled.described = (
            pd.concat([labelled.described, *more], ignore_index=True)
            .sort_values("user_id", kind="stable")
            .reset_index(drop=True)
        )
    return labelled


def _classify_the_rest(
    inputs: _Inputs, model: assigner.AssignmentModel, below: np.ndarray, labelled: _Labelled, say: Progress
) -> list[pd.DataFrame]:
    """The classifier on the users the run did not cluster that need it, read ``inputs.chunk_rows`` at a time:
    at or above the threshold their segment (``labelled``'s segment, confidence, assigned_by), below it with
    ``MIN_EVENTS_TO_CLUSTER``+ events their likely segment (and its confidence). Nothing unless the threshold is
    under ``MIN_EVENTS_TO_CLUSTER`` or the run clustered a sample (``CLUSTER_USERS``).

    Returns the feature rows of those given a segment, for the profiles, at the rate the clustered users were
    sampled: all of them when none was left out, so the profiles see a uniform sample of the segment."""
    described: list[pd.DataFrame] = []
    n = len(inputs.user_ids)
    rest = ~below | (inputs.n_events >= MIN_EVENTS_TO_CLUSTER)
    rest[inputs.clustered] = False
    if not rest.any():
        return described
    rate = len(inputs.clustered) / int((inputs.n_events >= MIN_EVENTS_TO_CLUSTER).sum())
    rng = np.random.default_rng([inputs.seed, 21])
    done = len(inputs.clustered)
    for table in population.chunks(inputs.features_path, inputs.chunk_rows):
        keep = population.flagged(table, inputs.user_ids, rest)
        if not keep.any():
            continue
        rows = table.filter(keep).to_pandas()
        X, _ = inputs.transform.transform(rows, _vectors(inputs, rows))
        classes, proba = model.probabilities(X, among=labelled.published)
        best = proba.argmax(axis=1)
        predicted, sure = classes[best], proba[np.arange(len(X)), best]
        at = np.searchsorted(inputs.user_ids, rows["user_id"].to_numpy(np.int64))
        low = below[at]
        given = at[~low]
        labelled.segment_of[given], labelled.confidence[given] = predicted[~low], sure[~low]
        labelled.assigned_by[given] = BY_CLASSIFIER
        labelled.likely[at], labelled.likely_confidence[at] = likely_segments(predicted, sure, low, inputs.n_events[at])
        rows = rows[~low]
        described.append(rows if rate >= 1 else rows[rng.random(len(rows)) < rate])
        done += len(low)
        say("assigning every user", done, n)
    return described


def _vectors(inputs: _Inputs, rows: pd.DataFrame) -> np.ndarray | None:
    if inputs.vector_file is None:
        return None
    return inputs.vector_file.aligned(rows["user_id"].to_numpy(np.int64))


@dataclass
class _Lineage:
    """How this run follows the current one: the ids it carries over, the names it may keep, who moved."""

    previous_id: str | None = None
    mapping: dict[int, int] | None = None  # cluster label -> segment id (None: no previous assignments)
    keep_names: dict[int, dict] = field(default_factory=dict)
    migration: pd.DataFrame | None = None

    def label_to_segment(self, classes: np.ndarray) -> dict[int, int]:
        if self.mapping is None:
            return {int(c): int(c) for c in classes}
        return {int(c): int(self.mapping[int(c)]) for c in classes}


def _follow_lineage(
    workspace: Workspace, user_ids: np.ndarray, labelled: _Labelled, labels: np.ndarray, record: RunRecord
) -> _Lineage:
    """Match the clusters with the current run's segments: a matched cluster takes its segment's id (and may
    keep its name), the others fresh ids; ``labelled.segment_of`` becomes segment ids."""
    previous_dir = runs.current_run_dir(workspace)
    record.previous_run_id = previous_dir.name if previous_dir else None
    carried = _Lineage(record.previous_run_id)
    if previous_dir is None or not (previous_dir / "assignments.parquet").is_file():
        return carried
    prev = pd.read_parquet(previous_dir / "assignments.parquet", columns=["user_id", "segment_id"])
    prev_users, prev_segments_of = prev["user_id"].to_numpy(), prev["segment_id"].to_numpy()
    mapping, jaccard = lineage.match(prev_users, prev_segments_of, user_ids, labelled.segment_of)
    mapping[0] = 0
    # a cluster whose users all fall below the threshold is not in segment_of: give it a fresh id too
    fresh = max([*mapping.values(), *(int(x) for x in prev["segment_id"])], default=0) + 1
    for label in sorted(set(int(x) for x in labels) - set(mapping)):
        mapping[label], fresh = fresh, fresh + 1
    labelled.segment_of = _mapped(mapping, labelled.segment_of)
    labelled.likely = _mapped(mapping, labelled.likely)
    prev_segments = {int(s["segment_id"]): s for s in runs.read_json(previous_dir / "segments.json")}
    carried_ids = [mapping[new] for new in mapping if new and mapping[new] in prev_segments]
    carried.mapping = mapping
    carried.keep_names = {sid: prev_segments[sid]["name"] for sid in carried_ids}
    carried.migration = lineage.migration(prev_users, prev_segments_of, user_ids, labelled.segment_of)
    record.analysis["lineage"] = {
        "carried_over": sorted(carried.keep_names),
        "jaccard": {str(mapping[n]): j for n, j in jaccard.items()},
    }
    return carried


def _mapped(mapping: dict[int, int], values: np.ndarray) -> np.ndarray:
    """``mapping`` applied to every value (int64), one look-up per distinct value."""
    distinct, where = np.unique(values, return_inverse=True)
    return np.array([mapping[int(v)] for v in distinct], np.int64)[where].reshape(np.shape(values))


def _profiles_and_names(
    workspace: Workspace,
    inputs: _Inputs,
    labelled: _Labelled,
    carried: _Lineage,
    analysis: dict,
    seed: int,
    say: Progress,
) -> list[dict]:
    """Profile every segment and name it; a carried-over segment keeps its name while it still describes it."""
    say("profiles and names", 0, 1)
    profiles = profile.segment_profiles(
        inputs.everyone,
        labelled.segment_of,
        inputs.transform.log_columns_,
        workspace,
        seed,
        described=labelled.described,
        features_file=workspace.features_dir / FEATURES_FILE,
    )
    keep_names = carried.keep_names
    if "lineage" in analysis:  # the ids carry over; a name only while it still describes its segment
        kept = naming.still_true(profiles, keep_names)
        analysis["lineage"]["carried_over"] = sorted(kept)
        analysis["lineage"]["renamed"] = {
            str(sid): keep_names[sid]["en"] for sid in sorted(set(keep_names) - set(kept))
        }
    names = naming.name_segments(profiles, keep_names)
    return [_segment_entry(p, names[p["segment_id"]]) for p in profiles]


def _segment_entry(p: dict, n: dict) -> dict:
    """One segment of ``segments.json``: its name, description and actions, then its profile."""
    return {
        "segment_id": p["segment_id"],
        "name": n["name"],
        "description": n["description"],
        "actions": n["actions"],
        "traits": p["traits"],
        "naming_rule": n["rule"],
        "size": p["size"],
        "share": p["share"],
        "revenue_share": p["revenue_share"],
        "conversion": p["conversion"],
        "standardised_differences": p["z"],
        "categories": p["categories"],
        "brands": p["brands"],
        "rules": p["rules"],
        "figures": p["figures"],  # what the per-segment analyst queries read (segments/figures.py)
    }


@dataclass
class _RunTables:
    """The run's tables written beside its assignments."""

    selection: pd.DataFrame
    threshold: dict
    classifiers: pd.DataFrame
    importance: pd.DataFrame
    migration: pd.DataFrame | None


def _write_run_folder(
    workspace: Workspace,
    inputs: _Inputs,
    labelled: _Labelled,
    segments: list[dict],
    tables: _RunTables,
    model: assigner.AssignmentModel,
    copies,
    carried: _Lineage,
    record: RunRecord,
    say: Progress | None = None,
) -> Path:
    """Write the run into its staging folder, run.json last, and publish it as the current run."""
    record.run_id = runs.new_run_id()
    staging = runs.staging_dir(workspace, record.run_id)
    _write_assignments(staging, inputs, labelled, segments, record.method, say)
    runs.write_json(staging / "segments.json", segments)
    runs.write_csv(staging / "selection.csv", tables.selection)
    runs.write_json(staging / "threshold.json", tables.threshold)
    runs.write_csv(staging / "classifiers.csv", tables.classifiers)
    runs.write_csv(staging / "importance.csv", tables.importance)
    if tables.migration is not None:
        runs.write_csv(staging / "migration.csv", tables.migration)
    label_to_segment = carried.label_to_segment(model.model.classes_)
    confusion, published_f1 = confusion_table(model, label_to_segment, labelled.published)
    runs.write_csv(staging / "confusion.csv", confusion)
    del model.test_rows
    assigner.save(
        {
            "classifier": model,
            "transform": inputs.transform,
            "label_to_segment": label_to_segment,
            "threshold": record.threshold,
            "min_events_to_cluster": MIN_EVENTS_TO_CLUSTER,
        },
        staging / assigner.MODEL_FILE,
    )
    record.classifier = _classifier_section(model, published_f1, copies, label_to_segment, labelled.published)
    record.users_by = labelled.users_by()
    record.at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record.code_version = code_version()
    runs.write_json(staging / "run.json", record.to_json())
    return runs.publish(workspace, staging, record.run_id)


ASSIGNMENTS_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("segment_id", pa.int32()),
        ("segment", pa.string()),
        ("confidence", pa.float64()),
        ("low_confidence", pa.bool_()),
        ("assigned_by", pa.string()),
        ("likely_segment_id", pa.int32()),  # coverage.LIKELY_COLUMNS
        ("likely_segment", pa.string()),
        ("likely_segment_confidence", pa.float64()),
    ]
)


def _write_assignments(
    staging: Path,
    inputs: _Inputs,
    labelled: _Labelled,
    segments: list[dict],
    record_method: str = "",
    say: Progress | None = None,
) -> None:
    """``assignments.parquet`` (every user's segment, named; written ``inputs.chunk_rows`` users at a time),
    ``fingerprints.parquet`` and, for a run of graph communities, ``similar.parquet`` (segments.similar)."""
    name_of = {s["segment_id"]: s["name"]["en"] for s in segments}
    by_name = np.array(ASSIGNED_BY, dtype=object)

    def parts():
        for start in range(0, max(len(inputs.user_ids), 1), inputs.chunk_rows):
            rows = slice(start, start + inputs.chunk_rows)
            segment_of, by = labelled.segment_of[rows], labelled.assigned_by[rows]
            confidence = labelled.confidence[rows]
            part = pd.DataFrame(
                {
                    "user_id": inputs.user_ids[rows],
                    "segment_id": segment_of.astype(np.int32),
                    "segment": [name_of[int(s)] for s in segment_of],
                    "confidence": confidence.astype(np.float64),
                    "low_confidence": (confidence < assigner.LOW_CONFIDENCE) & (by != BY_THRESHOLD),
                    "assigned_by": by_name[by],
                }
            )
            yield coverage.with_likely(part, labelled.likely[rows], labelled.likely_confidence[rows], name_of)

    runs.write_parquet_parts(staging / "assignments.parquet", parts(), ASSIGNMENTS_SCHEMA)
    if record_method == communities.METHOD:  # the graph the segments are communities of, for look-alikes
        length, rows = communities.long_histories(inputs.n_events[inputs.clustered])
        if say is not None:
            say("look-alike graph", 0, 1)
        left_out = _left_out_long_histories(inputs, length or MIN_EVENTS_TO_CLUSTER, say)
        pairs = similar.similar_pairs(inputs.user_ids[inputs.clustered][rows], inputs.view[rows], others=left_out)
        runs.write_parquet(staging / similar.SIMILAR_FILE, pairs)
    runs.write_parquet(
        staging / "fingerprints.parquet",
        pd.DataFrame({"user_id": inputs.user_ids, "fingerprint": fingerprints(inputs.everyone)}),
    )


def _left_out_long_histories(
    inputs: _Inputs, length: int, say: Progress | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The ids and clustering view of the users with ``length``+ events a sampled run did not cluster
    (``CLUSTER_USERS``), read ``inputs.chunk_rows`` at a time: their look-alikes are found among the clustered."""
    left = inputs.n_events >= length
    left[inputs.clustered] = False
    total, done = int(left.sum()), 0
    if not total:
        return
    for table in population.chunks(inputs.features_path, inputs.chunk_rows):
        keep = population.flagged(table, inputs.user_ids, left)
        if keep.any():
            rows = table.filter(keep).to_pandas()
            X, _ = inputs.transform.transform(rows, _vectors(inputs, rows))
            yield rows["user_id"].to_numpy(np.int64), inputs.transform.cluster_view(X)
            done += len(rows)
            if say is not None:
                say("look-alikes of the customers not clustered", done, total)


CLASSIFIER_PROCEDURE = (
    "60/20/20 stratified; each user's short-history copies in its user's part; "
    "3-fold CV on train, copies learnt with their user's folds, macro-F1 on whole "
    "histories; sigmoid calibration on validation; macro-F1 on test (published "
    "segments, as assigned)"
)


def _classifier_section(
    model: assigner.AssignmentModel,
    published_f1: float,
    copies,
    label_to_segment: dict[int, int],
    published: np.ndarray,
) -> dict:
    """The ``classifier`` section of run.json: the kept model, how it was tested, its scores."""
    return {
        "kept": model.name,
        "test_macro_f1": published_f1,
        "split": model.split,
        "procedure": CLASSIFIER_PROCEDURE,
        "test_macro_f1_all_clusters": model.test_macro_f1,
        "short_history_test_macro_f1": (None if np.isnan(model.short_test_macro_f1) else model.short_test_macro_f1),
        "short_histories": {
            "users": 0 if copies is None else len(np.unique(copies.source)),
            "copies": 0 if copies is None else len(copies),
            "truncations": list(short_history.SHORT_TRUNCATIONS),
            "rule": "first n events of clustered users outside the threshold study, labelled with their cluster",
        },
        "unpublished_clusters": sorted(
            label_to_segment[int(c)] for c in model.model.classes_ if int(c) not in set(published.tolist())
        ),
        "low_confidence_below": assigner.LOW_CONFIDENCE,
        "versions": model.versions,
    }


def _calendar(sidecar: dict):
    source = (sidecar.get("calendar") or {}).get("source")
    if source and Path(source).is_file():
        return load_calendar(source)
    return load_calendar(None)


def _classify(workspace: Workspace, run_dir: Path, bundle: dict, rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The run's classifier on ``rows`` among the run's published segments (0 below its threshold): the
    assignment rows, and which users were below the threshold."""
    segments = {int(s["segment_id"]): s["name"]["en"] for s in runs.read_json(run_dir / "segments.json")}
    segments.setdefault(0, NOT_ENOUGH_ACTIVITY["en"])  # no training user was under the threshold: not profiled
    vectors, _ = user_vectors(workspace, rows["user_id"].to_numpy(np.int64))
    transform: InputTransform = bundle["transform"]
    X, _ = transform.transform(rows, vectors)
    to_segment = bundle.get("label_to_segment", {})
    model: assigner.AssignmentModel = bundle["classifier"]
    # only the segments the run published (segments.json): a cluster emptied by the threshold has no name
    published = np.array(
        [
            c
            for c in model.model.classes_
            if to_segment.get(int(c), int(c)) in segments and to_segment.get(int(c), int(c)) != 0
        ],
        dtype=model.model.classes_.dtype,
    )
    labels, confidence = model.predict(X, among=published)
    seg = np.array([to_segment.get(int(c), int(c)) for c in labels], np.int64)
    n_events = pd.to_numeric(rows["n_events"], errors="coerce").to_numpy()
    below = threshold.below_threshold(n_events, bundle["threshold"])
    likely, likely_confidence = likely_segments(seg, confidence, below, np.nan_to_num(n_events))
    seg[below] = 0
    confidence = np.where(below, 1.0, confidence)
    update = pd.DataFrame(
        {
            "user_id": rows["user_id"].to_numpy(np.int64),
            "segment_id": seg.astype(np.int32),
            "segment": [segments.get(int(s), f"segment {s}") for s in seg],
            "confidence": confidence.astype(np.float64),
            "low_confidence": (confidence < assigner.LOW_CONFIDENCE) & ~below,
            "assigned_by": np.where(below, "threshold", "classifier"),
        }
    )
    return coverage.with_likely(update, likely, likely_confidence, segments), below
