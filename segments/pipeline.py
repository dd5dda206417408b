"""One segmentation run end to end (:func:`segment`), and labelling new or changed users (:func:`assign_changed`).

Order of a run: read the feature table and the user vectors → fit the input transform on
the users with at least ``MIN_EVENTS_TO_CLUSTER`` events → model selection on a sample →
final fit of the chosen (method, k) on all of them → assignment classifier → feature
analysis → activity-threshold study → labels for every user with events (segment 0 below
the threshold) → lineage against the previous run → profiles and names → the run folder,
renamed when complete, ``segments/current`` switched last.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import adjusted_rand_score, f1_score, silhouette_score
from threadpoolctl import threadpool_limits

from features import vocabulary
from features.calendar import load_calendar
from features.compute import FEATURES_FILE, read_sidecar
from segments import assign as assigner
from segments import lineage, naming, profile, runs, selection, short_history, threshold
from segments.inputs import InputTransform, align_vectors, read_user_vectors, with_derived
from shopgraph.errors import ShopgraphError
from shopgraph.progress import Progress
from shopgraph.version import code_version
from shopgraph.words import NOT_ENOUGH_ACTIVITY
from shopgraph.workspace import Workspace

MIN_EVENTS_TO_CLUSTER = 5
# a cluster is published as a segment only with this many customers at or above the activity
# threshold (the larger of the two): a marketing team cannot act on two customers, and a name
# drawn from two profiles ("Oppo fans (2)") says nothing; its few customers go to the nearest
# published segment by the classifier. Five still keeps a handful of bots as their own segment.
MIN_SEGMENT_CUSTOMERS = 5
MIN_SEGMENT_SHARE = 0.001
DEFAULT_SAMPLE = 20_000
GMM_FIT_CAP = 200_000
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


def read_features(workspace: Workspace) -> pd.DataFrame:
    """The feature table, sorted by user_id; a clear error when `shopgraph features` has not run."""
    sidecar = read_sidecar(workspace)
    path = workspace.features_dir / FEATURES_FILE
    if not path.is_file():
        raise ShopgraphError(f"no feature table in {workspace.features_dir}: run `shopgraph features` first")
    frame = pd.read_parquet(path)
    frame.attrs["sidecar"] = sidecar
    return frame.sort_values("user_id", kind="stable").reset_index(drop=True)


def user_vectors(workspace: Workspace, user_ids: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """Vectors aligned with ``user_ids`` (NaN rows when missing), and where they came from."""
    try:
        from embeddings.store import read_user_vectors as embed_read  # the embeddings package, once landed

        ids, vectors = embed_read(workspace)
        found = (np.asarray(ids, np.int64), np.asarray(vectors, np.float32))
    except (ImportError, AttributeError):
        read = read_user_vectors(workspace)
        found = None if read is None else read[:2]
    except ShopgraphError:
        found = None
    if found is None or len(found[0]) == 0:
        return None, {"vectors": "none (run `shopgraph embed` to add the graph vectors)"}
    ids, vectors = found
    order = np.argsort(ids, kind="stable")
    aligned = align_vectors(user_ids, ids[order], vectors[order])
    missing = int((~np.isfinite(aligned).all(axis=1)).sum())
    return aligned, {
        "vectors": "embeddings/user_vectors.parquet",
        "dimensions": int(vectors.shape[1]),
        "users_without_vector": missing,
    }


def fingerprints(features: pd.DataFrame) -> np.ndarray:
    """A hash per user of the activity columns; a user whose hash changes has new events."""
    cols = features[list(FINGERPRINT)].astype("float64").fillna(-1.0)
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


def confusion_table(
    model: assigner.AssignmentModel, label_to_segment: dict[int, int], published: np.ndarray | None = None
) -> tuple[pd.DataFrame, float]:
    """The kept classifier on its test split as ``assign`` uses it, and its macro-F1 there.

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


def _analysis(
    model: assigner.AssignmentModel,
    transform: InputTransform,
    X: np.ndarray,
    view: np.ndarray,
    labels: np.ndarray,
    features: pd.DataFrame,
    k: int,
    seed: int,
) -> tuple[pd.DataFrame, dict]:
    """Permutation importance, quality with each block alone (in the clustering view), metric and vector
    principal components in plain words."""
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
    by_block = importance.groupby("block")["importance"].sum().to_dict()
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
    words = []
    for i, (share, loadings) in enumerate(transform.view_components_in_words()):
        high = [f"{vocabulary.label(m, 'en')} ({w:+.2f})" for m, w in loadings if w > 0]
        low = [f"{vocabulary.label(m, 'en')} ({w:+.2f})" for m, w in loadings if w < 0]
        words.append(
            f"metric component {i + 1} ({share:.0%} of the metric variance): high for users with more "
            + (", ".join(high) or "nothing listed")
            + "; low for users with more "
            + (", ".join(low) or "nothing listed")
        )
    if transform.vector_dims_:
        pcs = X[:, blocks["vectors"]]
        metric_values = with_derived(features)[transform.metrics_].apply(pd.to_numeric, errors="coerce").fillna(0)
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
            words.append(
                f"vector component {i + 1} ({share:.0%} of the vector variance): high for users with more "
                + (", ".join(high) or "nothing measured")
                + "; low for users with more "
                + (", ".join(low) or "nothing measured")
            )
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
) -> SegmentRun:
    """Run the whole segmentation (see the module docstring) and return what it wrote.

    BLAS and OpenMP run single-threaded: the matrices are small and thin, and multi-threaded BLAS on a
    busy 2-core machine was measured 7–30× slower (Gaussian mixture fits).
    """
    with threadpool_limits(limits=1):
        return _segment(workspace, k, method, seed, sample_size, progress, classifiers)


def _segment(
    workspace: Workspace,
    k: int | None,
    method: str | None,
    seed: int,
    sample_size: int,
    progress: Progress | None,
    classifiers: tuple[str, ...] | None,
) -> SegmentRun:
    say = progress or (lambda _phase, _done, _total: None)
    if method is not None and method not in selection.METHODS:
        raise ShopgraphError(f"--method {method!r} is not one of {', '.join(selection.METHODS)}")
    if k is not None and not 2 <= k <= 50:
        raise ShopgraphError(f"--k {k} is out of range: choose 2 to 50 segments")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    runs.remove_leftovers(workspace)
    say("reading features and vectors", 0, 1)
    features = read_features(workspace)
    sidecar = features.attrs.get("sidecar", {})
    user_ids = features["user_id"].to_numpy(np.int64)
    vectors, vector_info = user_vectors(workspace, user_ids)
    n_events = pd.to_numeric(features["n_events"], errors="coerce").fillna(0).to_numpy()
    clustered = np.flatnonzero(n_events >= MIN_EVENTS_TO_CLUSTER)
    if len(clustered) < 50:
        raise ShopgraphError(
            f"only {len(clustered)} user(s) have {MIN_EVENTS_TO_CLUSTER}+ events: too few to "
            "segment; ingest more months and run `shopgraph features` again"
        )
    f_clustered = features.iloc[clustered].reset_index(drop=True)
    v_clustered = None if vectors is None else vectors[clustered]
    transform = InputTransform(seed=seed, use_vectors=vectors is not None).fit(f_clustered, v_clustered)
    X, _ = transform.transform(f_clustered, v_clustered)
    view = transform.cluster_view(X)  # what the clusterings see; X feeds the classifier
    lap("inputs")

    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(X), min(sample_size, len(X)), replace=False))
    ks = (k,) if k else selection.K_RANGE
    methods = (method,) if method else selection.METHODS
    candidates = selection.evaluate(
        view[sample], _business(f_clustered.iloc[sample]), methods=methods, ks=ks, seed=seed, progress=say
    )
    if not candidates:
        raise ShopgraphError(f"--k {k} needs more users with {MIN_EVENTS_TO_CLUSTER}+ events than {len(X)}")
    chosen = selection.choose(candidates)
    reason = (
        "the most segments among fits with no segment under 1 %, stability ≥ min(0.8, best − 0.05) and "
        "silhouette within 0.05 of the best of those"
    )
    if k or method:
        reason = (
            f"{'--k ' + str(k) if k else ''}{' ' if k and method else ''}{'--method ' + method if method else ''}"
            f" given; then {reason}"
        )
    selection_table = pd.DataFrame([c.as_row() for c in candidates])
    lap("selection")

    say("final fit", 0, 1)
    labels = fit_labels(chosen.method, chosen.k, view, seed)
    lap("final fit")
    say("short histories", 0, 1)
    calendar = _calendar(sidecar)
    _, study_rows = threshold.study_sample(f_clustered["n_events"].to_numpy(), seed)
    copies = short_history.short_histories(workspace, calendar, f_clustered, v_clustered, study_rows, seed)
    short = None if copies is None else (transform.transform(copies.frame, copies.vectors)[0], copies.source)
    lap("short histories")
    model = assigner.train(X, labels, seed, only=classifiers, progress=say, short=short)
    lap("classifier")
    say("feature analysis", 0, 1)
    importance, analysis = _analysis(model, transform, X, view, labels, f_clustered, chosen.k, seed)
    lap("feature analysis")

    def predict(frame: pd.DataFrame, vecs: np.ndarray | None) -> np.ndarray:
        rows, _ = transform.transform(frame, vecs)
        return model.predict(rows)[0]

    say("activity threshold", 0, 1)
    threshold_record = threshold.run_study(workspace, calendar, f_clustered, labels, v_clustered, predict, seed)
    min_events = int(threshold_record["threshold"])
    lap("threshold")

    # every user with events gets a label: clustered ones their cluster, others the classifier or 0;
    # a cluster with too few members at or above the threshold is not published, so the classifier never
    # gives it and its few members above the threshold get the nearest published segment
    say("assigning every user", 0, 1)
    below = threshold.below_threshold(n_events, min_events)
    published = published_clusters(labels, below[clustered])
    all_rows, _ = transform.transform(features, vectors)
    predicted, confidence = model.predict(all_rows, among=published)
    segment_of = predicted.astype(np.int64)
    assigned_by = np.full(len(features), "classifier", dtype=object)
    segment_of[clustered] = labels
    assigned_by[clustered] = "cluster"
    classes, proba = model.probabilities(all_rows[clustered], among=published)
    col = {int(c): i for i, c in enumerate(classes)}
    confidence = confidence.copy()
    own = np.array([col.get(int(c), -1) for c in labels])  # -1: an unpublished cluster (below the threshold)
    confidence[clustered] = np.where(own >= 0, proba[np.arange(len(clustered)), np.maximum(own, 0)], 1.0)
    orphans = clustered[own < 0]  # members of an unpublished cluster: the classifier's published segment
    segment_of[orphans] = predicted[orphans]
    assigned_by[orphans] = "classifier"
    confidence[orphans] = proba[own < 0].max(axis=1, initial=0.0)
    segment_of[below] = 0
    assigned_by[below] = "threshold"
    confidence[below] = 1.0
    lap("assignment")

    previous_dir = runs.current_run_dir(workspace)
    previous_id = previous_dir.name if previous_dir else None
    keep_names: dict[int, dict] = {}
    migration = None
    if previous_dir is not None and (previous_dir / "assignments.parquet").is_file():
        prev = pd.read_parquet(previous_dir / "assignments.parquet", columns=["user_id", "segment_id"])
        mapping, jaccard = lineage.match(
            prev["user_id"].to_numpy(), prev["segment_id"].to_numpy(), user_ids, segment_of
        )
        mapping[0] = 0
        # a cluster whose users all fall below the threshold is not in segment_of: give it a fresh id too
        fresh = max([*mapping.values(), *(int(x) for x in prev["segment_id"])], default=0) + 1
        for label in sorted(set(int(x) for x in labels) - set(mapping)):
            mapping[label], fresh = fresh, fresh + 1
        segment_of = np.array([mapping[int(s)] for s in segment_of], np.int64)
        labels = np.array([mapping[int(s)] for s in labels], np.int64)
        prev_segments = {int(s["segment_id"]): s for s in runs.read_json(previous_dir / "segments.json")}
        carried = {mapping[new]: prev_id for new, prev_id in mapping.items() if new and mapping[new] in prev_segments}
        keep_names = {sid: prev_segments[sid]["name"] for sid in carried}
        migration = lineage.migration(prev["user_id"].to_numpy(), prev["segment_id"].to_numpy(), user_ids, segment_of)
        analysis["lineage"] = {
            "carried_over": sorted(keep_names),
            "jaccard": {str(mapping[n]): j for n, j in jaccard.items()},
        }
    lap("lineage")

    say("profiles and names", 0, 1)
    profiles = profile.segment_profiles(features, segment_of, transform.log_columns_, workspace, seed)
    if "lineage" in analysis:  # the ids carry over; a name only while it still describes its segment
        kept = naming.still_true(profiles, keep_names)
        analysis["lineage"]["carried_over"] = sorted(kept)
        analysis["lineage"]["renamed"] = {
            str(sid): keep_names[sid]["en"] for sid in sorted(set(keep_names) - set(kept))
        }
    names = naming.name_segments(profiles, keep_names)
    segments = []
    for p in profiles:
        n = names[p["segment_id"]]
        segments.append(
            {
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
            }
        )
    name_of = {s["segment_id"]: s["name"]["en"] for s in segments}
    lap("profiles")

    run_id = runs.new_run_id()
    staging = runs.staging_dir(workspace, run_id)
    low = confidence < assigner.LOW_CONFIDENCE
    assignments = pd.DataFrame(
        {
            "user_id": user_ids,
            "segment_id": segment_of.astype(np.int32),
            "segment": [name_of[int(s)] for s in segment_of],
            "confidence": confidence.astype(np.float64),
            "low_confidence": low & (assigned_by != "threshold"),
            "assigned_by": assigned_by.astype(str),
        }
    )
    runs.write_parquet(staging / "assignments.parquet", assignments)
    runs.write_parquet(
        staging / "fingerprints.parquet", pd.DataFrame({"user_id": user_ids, "fingerprint": fingerprints(features)})
    )
    runs.write_json(staging / "segments.json", segments)
    runs.write_csv(staging / "selection.csv", selection_table)
    runs.write_json(staging / "threshold.json", threshold_record)
    runs.write_csv(staging / "classifiers.csv", pd.DataFrame(model.comparison))
    runs.write_csv(staging / "importance.csv", importance)
    if migration is not None:
        runs.write_csv(staging / "migration.csv", migration)
    mapping_back = {int(c): int(c) for c in model.model.classes_}
    if previous_dir is not None and migration is not None:
        mapping_back = {int(c): int(mapping[int(c)]) for c in model.model.classes_}
    confusion, published_f1 = confusion_table(model, mapping_back, published)
    runs.write_csv(staging / "confusion.csv", confusion)
    del model.test_rows
    assigner.save(
        {
            "classifier": model,
            "transform": transform,
            "label_to_segment": mapping_back,
            "threshold": min_events,
            "min_events_to_cluster": MIN_EVENTS_TO_CLUSTER,
        },
        staging / assigner.MODEL_FILE,
    )
    record = {
        "run_id": run_id,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "method": chosen.method,
        "k": int(chosen.k),
        "reason": reason,
        "threshold": min_events,
        "seed": seed,
        "code_version": code_version(),
        "data_window": sidecar.get("data_window"),
        "features_computed_at": sidecar.get("computed_at"),
        "previous_run_id": previous_id,
        "parameters": {
            "k": k,
            "method": method,
            "sample_size": sample_size,
            "k_range": list(ks),
            "methods": list(methods),
            "min_events_to_cluster": MIN_EVENTS_TO_CLUSTER,
            "bootstraps": selection.BOOTSTRAPS,
        },
        "scores": {
            key: getattr(chosen, key)
            for key in (
                "silhouette",
                "calinski_harabasz",
                "davies_bouldin",
                "stability",
                "separation",
                "smallest_share",
            )
        },
        "inputs": {
            **transform.report(),
            **vector_info,
            "users": len(features),
            "users_clustered": len(clustered),
            "selection_sample": len(sample),
        },
        "classifier": {
            "kept": model.name,
            "test_macro_f1": published_f1,
            "split": model.split,
            "procedure": "60/20/20 stratified; each user's short-history copies in its user's part; "
            "3-fold CV on train, copies learnt with their user's folds, macro-F1 on whole "
            "histories; sigmoid calibration on validation; macro-F1 on test (published "
            "segments, as assigned)",
            "test_macro_f1_all_clusters": model.test_macro_f1,
            "short_history_test_macro_f1": (None if np.isnan(model.short_test_macro_f1) else model.short_test_macro_f1),
            "short_histories": {
                "users": 0 if copies is None else len(np.unique(copies.source)),
                "copies": 0 if copies is None else len(copies),
                "truncations": list(short_history.SHORT_TRUNCATIONS),
                "rule": "first n events of clustered users outside the threshold study, labelled with their cluster",
            },
            "unpublished_clusters": sorted(
                mapping_back[int(c)] for c in model.model.classes_ if int(c) not in set(published.tolist())
            ),
            "low_confidence_below": assigner.LOW_CONFIDENCE,
            "versions": model.versions,
        },
        "analysis": analysis,
        "users_by": {str(k_): int(v) for k_, v in pd.Series(assigned_by).value_counts().items()},
        "timings": timings,
    }
    runs.write_json(staging / "run.json", record)
    run_dir = runs.publish(workspace, staging, run_id)
    timings["write"] = round(time.perf_counter() - clock, 3)
    return SegmentRun(
        run_id,
        run_dir,
        chosen.method,
        int(chosen.k),
        reason,
        threshold_record,
        segments,
        selection_table,
        pd.DataFrame(model.comparison),
        importance,
        migration,
        previous_id,
        len(features),
        timings,
        record,
    )


def _calendar(sidecar: dict):
    source = (sidecar.get("calendar") or {}).get("source")
    if source and Path(source).is_file():
        return load_calendar(source)
    return load_calendar(None)


@dataclass
class AssignReport:
    """What :func:`assign_changed` did."""

    run_id: str
    new_users: int
    changed_users: int
    below_threshold: int
    low_confidence: int
    by_segment: dict[str, int]
    applied: bool = True


Decide = Callable[[pd.DataFrame, pd.DataFrame, pd.DataFrame], bool]
"""``decide(features, assignments, update)``: the feature table, the run's assignments before the
update and the update itself (one row per new or changed user); False keeps the run unchanged."""


def assign_changed(
    workspace: Workspace, progress: Progress | None = None, decide: Decide | None = None
) -> AssignReport:
    """Label the users who arrived or whose activity changed since the current run, without re-clustering.

    New users: in the feature table without an assignment. Changed users: their activity
    fingerprint (events, sessions, purchases, spend) differs from the one at training. Both get
    the run's classifier among the run's published segments (segment 0 below the run's
    threshold); the run's assignments and
    fingerprints are rewritten atomically and the update is recorded in run.json.
    """
    say = progress or (lambda _p, _d, _t: None)
    run_dir = runs.require_current(workspace)
    bundle = assigner.load(run_dir / assigner.MODEL_FILE)
    features = read_features(workspace)
    assignments = pd.read_parquet(run_dir / "assignments.parquet")
    prints = pd.read_parquet(run_dir / "fingerprints.parquet")
    now = pd.DataFrame({"user_id": features["user_id"].to_numpy(np.int64), "now": fingerprints(features)})
    prints["fingerprint"] = prints["fingerprint"].astype("Int64")  # nullable: no float round trip
    merged = now.merge(prints, on="user_id", how="left")
    new = merged["fingerprint"].isna().to_numpy()
    changed = (~new) & (merged["fingerprint"].fillna(0).to_numpy(np.int64) != merged["now"].to_numpy())
    todo = np.flatnonzero(new | changed)
    segments = {int(s["segment_id"]): s["name"]["en"] for s in runs.read_json(run_dir / "segments.json")}
    segments.setdefault(0, NOT_ENOUGH_ACTIVITY["en"])  # no training user was under the threshold: not profiled
    say("assigning", 0, len(todo))
    rows = features.iloc[todo].reset_index(drop=True)
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
    below = threshold.below_threshold(pd.to_numeric(rows["n_events"], errors="coerce").to_numpy(), bundle["threshold"])
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
    if decide is not None and not decide(features, assignments, update):
        return AssignReport(
            run_dir.name,
            int(new.sum()),
            int(changed.sum()),
            int(below.sum()),
            int(update["low_confidence"].sum()),
            {k: int(v) for k, v in update["segment"].value_counts().items()},
            applied=False,
        )
    kept = assignments[~assignments["user_id"].isin(update["user_id"]) & assignments["user_id"].isin(now["user_id"])]
    result = pd.concat([kept, update], ignore_index=True).sort_values("user_id", kind="stable")
    runs.write_parquet(run_dir / "assignments.parquet", result.reset_index(drop=True))
    runs.write_parquet(run_dir / "fingerprints.parquet", now.rename(columns={"now": "fingerprint"}))
    record = runs.read_json(run_dir / "run.json")
    report = AssignReport(
        run_dir.name,
        int(new.sum()),
        int(changed.sum()),
        int(below.sum()),
        int(update["low_confidence"].sum()),
        {k: int(v) for k, v in update["segment"].value_counts().items()},
    )
    record.setdefault("assign_updates", []).append(
        {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "new_users": report.new_users,
            "changed_users": report.changed_users,
            "below_threshold": report.below_threshold,
        }
    )
    runs.write_json(run_dir / "run.json", record)
    say("assigning", len(todo), len(todo))
    return report
