"""A whole segmentation run on a small synthetic store (no Neo4j): the run folder, thresholds, lineage,
`shopgraph assign`, GDPR erasure and the CLI's one-line errors."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from features.compute import FEATURES_FILE
from segments import runs, segmentation
from segments.assigning import classify_new_customers
from segments.segmentation import segment
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace
from tests.support.planted_shop import PlantedShop

runner = CliRunner()
QUICK = ("knn", "decision_tree")


@pytest.fixture(scope="module")
def segmented(planted_shop: PlantedShop, tmp_path_factory) -> tuple[Workspace, object]:
    workspace = planted_shop.copy(tmp_path_factory.mktemp("segments") / "home")
    return workspace, segment(workspace, method="rule", seed=0, classifiers=QUICK)  # the k-means family's contract


def test_the_run_folder_follows_the_contract(segmented) -> None:
    workspace, run = segmented
    assert runs.current_run_dir(workspace) == run.run_dir
    for name in (
        "run.json",
        "assignments.parquet",
        "segments.json",
        "selection.csv",
        "threshold.json",
        "classifiers.csv",
        "importance.csv",
        "classifier.joblib",
        "fingerprints.parquet",
    ):
        assert (run.run_dir / name).is_file(), name
    record = json.loads((run.run_dir / "run.json").read_text())
    assert record["k"] == run.k and record["method"] == run.method and record["threshold"] >= 1
    assert not list((workspace.segments_dir / "runs").glob(".tmp-*"))
    selection = pd.read_csv(run.run_dir / "selection.csv")
    assert selection["chosen"].sum() == 1 and set(selection["method"]) == {"kmeans", "gmm", "ward"}
    assert not (run.run_dir / "similar.parquet").exists()  # only a run of graph communities has the graph
    assert record["taste_split"]["note"].startswith(f"not run for {run.method}")  # the taste stage is off


def test_every_user_with_events_has_a_segment_never_null(segmented) -> None:
    workspace, run = segmented
    features = pd.read_parquet(workspace.features_dir / FEATURES_FILE)
    assignments = pd.read_parquet(run.run_dir / "assignments.parquet")
    assert sorted(assignments["user_id"]) == sorted(features["user_id"])
    assert assignments[["segment_id", "segment", "confidence", "assigned_by"]].notna().all().all()
    merged = assignments.merge(features[["user_id", "n_events"]], on="user_id")
    below = merged["n_events"] < run.threshold["threshold"]
    assert (merged.loc[below, "segment_id"] == 0).all()
    assert (merged.loc[below, "segment"] == "Not enough activity yet").all()
    assert (merged.loc[~below, "segment_id"] > 0).all()
    names = {s["segment_id"]: s["name"]["en"] for s in run.segments}
    assert (assignments["segment"] == assignments["segment_id"].map(names)).all()
    assert len(set(names.values())) == len(names)


def test_below_the_threshold_with_five_events_a_likely_segment_apart_from_the_segment(segmented) -> None:
    from segments.coverage import run_coverage

    workspace, run = segmented
    features = pd.read_parquet(workspace.features_dir / FEATURES_FILE)
    merged = pd.read_parquet(run.run_dir / "assignments.parquet").merge(features[["user_id", "n_events"]])
    below = merged["n_events"] < run.threshold["threshold"]
    guessed = below & (merged["n_events"] >= 5)
    assert guessed.any(), "the planted shop has customers below its threshold with 5+ events"
    names = {s["segment_id"]: s["name"]["en"] for s in run.segments if s["segment_id"]}
    likely = merged[guessed]
    assert likely["likely_segment_id"].isin(list(names)).all()
    assert (likely["likely_segment"] == likely["likely_segment_id"].map(names)).all()
    assert likely["likely_segment_confidence"].between(0, 1).all()
    assert (likely["segment"] == "Not enough activity yet").all()  # the guess never replaces the label
    rest = merged[~guessed]
    assert (rest["likely_segment_id"] == 0).all() and rest["likely_segment"].isna().all()
    assert rest["likely_segment_confidence"].isna().all()
    cover = run_coverage(workspace, run.run_dir)
    assert cover["segment"]["customers"] == int((~below).sum())
    assert cover["likely"]["customers"] == int(guessed.sum())
    assert cover["neither"]["customers"] == int((below & ~guessed).sum())
    assert sum(c["revenue_share"] for c in cover.values()) == pytest.approx(1.0)


def test_threshold_curve_covers_the_truncations(segmented) -> None:
    _, run = segmented
    curve = run.threshold["curve"]
    assert curve and [p["n"] for p in curve] == sorted(p["n"] for p in curve)
    assert all(0 <= p["agreement"] <= 1 for p in curve)
    reached = [p["n"] for p in curve if p["agreement"] >= run.threshold["level"]]
    assert run.threshold["threshold"] == (min(reached) if reached else max(p["n"] for p in curve))


def test_a_second_run_keeps_ids_and_names_and_stores_the_migration(segmented, tmp_path) -> None:
    workspace, first = segmented
    second = segment(workspace, k=first.k, method=first.method, seed=0, classifiers=QUICK)
    try:
        assert second.previous_run_id == first.run_id
        assert (second.run_dir / "migration.csv").is_file()
        old = {s["segment_id"]: s["name"]["en"] for s in first.segments}
        new = {s["segment_id"]: s["name"]["en"] for s in second.segments}
        assert old == new
        moved = second.migration
        stay = moved[moved["previous_segment_id"] == moved["segment_id"]]["users"].sum()
        assert stay / moved["users"].sum() > 0.95
    finally:  # the other tests read the first run
        runs.write_text(workspace.segments_dir / runs.CURRENT, first.run_id + "\n")


def test_assign_labels_only_new_and_changed_users(segmented) -> None:
    workspace, run = segmented
    path = run.run_dir / "assignments.parquet"
    before = pd.read_parquet(path)
    prints = pd.read_parquet(run.run_dir / "fingerprints.parquet")
    gone = before["user_id"].iloc[:5].tolist()  # pretend 5 users arrived after training
    before[~before["user_id"].isin(gone)].to_parquet(path, index=False)
    prints[~prints["user_id"].isin(gone)].to_parquet(run.run_dir / "fingerprints.parquet", index=False)
    report = classify_new_customers(workspace)
    assert report.new_users == 5 and report.changed_users == 0
    after = pd.read_parquet(path)
    assert after["user_id"].tolist() == sorted(before["user_id"])  # rewritten in user_id order
    assert after["segment_id"].notna().all()
    assert after.dtypes.to_dict() == before.dtypes.to_dict()
    untouched = ~before["user_id"].isin(gone)  # the others' rows are kept as they were, every column
    pd.testing.assert_frame_equal(
        after[after["user_id"].isin(before["user_id"][untouched])].reset_index(drop=True),
        before[untouched].sort_values("user_id").reset_index(drop=True),
    )
    assert json.loads((run.run_dir / "run.json").read_text())["assign_updates"][-1]["new_users"] == 5
    assert classify_new_customers(workspace).new_users == 0


def test_forget_removes_the_users_rows_from_the_run(segmented, monkeypatch) -> None:
    from graph.erasure import forget

    workspace, run = segmented
    monkeypatch.setenv("SHOPGRAPH_PSEUDONYM_KEY", "test-key-not-secret")
    victim = int(pd.read_parquet(run.run_dir / "assignments.parquet")["user_id"].iloc[-1])
    forget(workspace, [victim], None)
    for name in ("assignments.parquet", "fingerprints.parquet"):
        assert victim not in set(pd.read_parquet(run.run_dir / name)["user_id"]), name


def test_cli_segment_without_features_is_one_line(workspace: Workspace) -> None:
    result = runner.invoke(app, ["segment", "--no-graph"])
    assert result.exit_code == 1
    assert "run `shopgraph features` first" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_threshold_and_assign_without_a_run_are_one_line(workspace: Workspace) -> None:
    for command in (["threshold"], ["assign", "--no-graph"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, command
        assert "run `shopgraph segment` first" in result.output


def test_cli_threshold_prints_the_curve(segmented, monkeypatch) -> None:
    workspace, run = segmented
    monkeypatch.setenv("SHOPGRAPH_HOME", str(workspace.home))
    result = runner.invoke(app, ["threshold"])
    assert result.exit_code == 0, result.output
    assert "agreement" in result.output and f"threshold: {run.threshold['threshold']} events" in result.output
    assert "kappa" in result.output


def test_cli_bad_lang_is_one_line(workspace: Workspace) -> None:
    result = runner.invoke(app, ["segment", "--no-graph", "--lang", "de"])
    assert result.exit_code == 1 and "--lang 'de' is not en or fr" in result.output


def test_vectors_are_used_when_the_embeddings_file_exists(segmented, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    workspace, _ = segmented
    ids = np.sort(pd.read_parquet(workspace.features_dir / FEATURES_FILE)["user_id"].to_numpy())[:-3]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(ids), 8)).astype(np.float32)
    table = pa.table(
        {
            "user_id": pa.array(ids, pa.int64()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 8),
            "source": pa.array(["trained"] * len(ids)),
        }
    )
    workspace.embeddings_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, workspace.embeddings_dir / "user_vectors.parquet")
    try:
        from segments.segmentation import user_vectors

        aligned, info = user_vectors(
            workspace, np.sort(pd.read_parquet(workspace.features_dir / FEATURES_FILE)["user_id"].to_numpy())
        )
        assert info["users_without_vector"] == 3 and np.isnan(aligned[-3:]).all()
        assert np.allclose(aligned[:-3], vectors)
    finally:
        (workspace.embeddings_dir / "user_vectors.parquet").unlink()


def test_the_confusion_matrix_counts_the_test_split_by_segment(segmented) -> None:
    _workspace, run = segmented
    confusion = pd.read_csv(run.run_dir / "confusion.csv", index_col=0)
    record = json.loads((run.run_dir / "run.json").read_text())
    assert list(confusion.columns.astype(int)) == list(confusion.index)
    assert confusion.to_numpy().sum() > 0 and (confusion.to_numpy() >= 0).all()
    diagonal = np.trace(confusion.to_numpy()) / confusion.to_numpy().sum()
    assert diagonal > 0.5, record.get("classifier")


def test_every_taste_name_rests_on_one_of_its_segment_s_top_three_traits(segmented) -> None:
    from segments.naming import taste_traits

    _workspace, run = segmented
    for s in run.segments:
        if not s["segment_id"]:
            continue
        z = s["standardised_differences"]
        top = [m for m, v in sorted(z.items(), key=lambda t: (-abs(t[1]), t[0]))[:3] if abs(v) >= 0.2]
        profile = {"z": z}
        traits = taste_traits(s["naming_rule"], profile)
        assert not traits or set(traits) & set(top), (s["name"]["en"], top)
        assert s["size"] >= 20  # no micro-segment


def test_the_default_is_leiden_unless_k_or_the_rule_is_asked() -> None:
    assert segmentation.resolve_method(None) == "leiden" and segmentation.resolve_method(None, 4) is None
    assert segmentation.resolve_method("rule") is None and segmentation.resolve_method("ward", 4) == "ward"
    with pytest.raises(ShopgraphError, match="not one of"):
        segmentation.resolve_method("louvain")


def test_method_leiden_segments_by_graph_communities_and_keeps_the_graph(segmented, monkeypatch) -> None:
    workspace, first = segmented
    monkeypatch.setattr(segmentation, "TASTE_STAGE_METHODS", ("leiden",))  # the taste stage, switched on
    run = segment(workspace, seed=0, classifiers=QUICK)  # the default
    try:
        assert run.method == "leiden" and run.k >= 2 and "Leiden" in run.reason
        reason_fr = json.loads((run.run_dir / "run.json").read_text())["reason_fr"]  # the French dossier's "why"
        assert reason_fr.startswith("communautés Leiden") and " ; puis la paire que le classifieur" in reason_fr
        assert "then" not in reason_fr
        assert re.search(r"validation croisée \d,\d{3}", reason_fr), reason_fr  # French decimals
        selection = pd.read_csv(run.run_dir / "selection.csv")
        assert set(selection["method"]) == {"leiden"} and selection["chosen"].sum() == 1
        assert {"resolution", "modularity", "stability", "silhouette"} <= set(selection.columns)
        similar = pd.read_parquet(run.run_dir / "similar.parquet")  # the graph the segments are communities of
        assert list(similar.columns) == ["user_id", "other_user_id", "score"]
        assert (similar["user_id"] != similar["other_user_id"]).all() and similar["score"].between(0, 1).all()
        assert similar.groupby("user_id").size().max() == 15
        assert pd.read_parquet(run.run_dir / "assignments.parquet")["segment_id"].notna().all()
        taste = json.loads((run.run_dir / "run.json").read_text())["taste_split"]
        assert "gap statistic" in taste["rule"]  # the stage is reached, and this shop has no graph vectors
        assert taste["note"] == "no graph vectors: not run" and taste["segments"] == []
    finally:  # the other tests read the first run
        runs.write_text(workspace.segments_dir / runs.CURRENT, first.run_id + "\n")
    with pytest.raises(ShopgraphError, match="exclude each other"):
        segment(workspace, k=4, method="leiden", seed=0, classifiers=QUICK)


def test_new_customers_classified_in_chunks_get_what_they_get_in_one(segmented) -> None:
    from segments import assign as assigner
    from segments.assigning import _classify_in_chunks
    from segments.segmentation import _classify, read_features

    workspace, run = segmented
    bundle = assigner.load(run.run_dir / assigner.MODEL_FILE)
    features = read_features(workspace)
    todo = np.arange(0, len(features), 3)  # every third customer, as if new
    ids = features["user_id"].to_numpy(np.int64)[todo]
    say = lambda *_: None  # noqa: E731
    whole, below = _classify(workspace, run.run_dir, bundle, features.iloc[todo].reset_index(drop=True))
    chunked, below_chunked = _classify_in_chunks(workspace, run.run_dir, bundle, ids, say, chunk_rows=7)

    def nulls_alike(frame: pd.DataFrame) -> pd.DataFrame:  # a chunk with no likely segment holds None, not NaN
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(nulls_alike(whole), nulls_alike(chunked))
    assert np.array_equal(below, below_chunked) and len(whole) == len(todo)
    nobody, none_below = _classify_in_chunks(workspace, run.run_dir, bundle, ids[:0], say, chunk_rows=7)
    assert list(nobody.columns) == list(whole.columns) and len(nobody) == len(none_below) == 0
