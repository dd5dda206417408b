"""When the stored embedding no longer fits: outgrown by the shop (`run` trains it again), or trained again after
the current segmentation (its classifier read the earlier vectors, so it cannot assign with the new ones)."""

from __future__ import annotations

import json

import pytest

from embeddings.store import embedding_id, paths
from embeddings.training import OUTGROWN, outgrown
from segments import runs
from segments.assigning import classify_new_customers
from shopgraph.errors import ShopgraphError
from shopgraph.workspace import Workspace


def _embedding(workspace: Workspace, **meta) -> None:
    path = paths(workspace)["metadata"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(meta), encoding="utf-8")


def _current_run(workspace: Workspace, inputs: dict) -> str:
    run_id = runs.new_run_id()
    staging = runs.staging_dir(workspace, run_id)
    runs.write_json(staging / "run.json", {"run_id": run_id, "inputs": inputs})
    runs.publish(workspace, staging, run_id)
    return run_id


def test_a_shop_that_doubled_since_an_uncapped_training_outgrows_it(workspace: Workspace) -> None:
    _embedding(workspace, max_users=150_000, counts={"users_total": 233, "users_trained": 233})
    assert outgrown(workspace, 465) is None
    assert outgrown(workspace, 466) == "the shop has 2.0× the customers the embedding was trained on (233 → 466)"
    assert OUTGROWN == 2.0


def test_a_capped_training_is_never_outgrown(workspace: Workspace) -> None:
    """At REES46 size the training samples its 150 000 customers whatever the month: a later month folds in."""
    _embedding(workspace, max_users=150_000, counts={"users_total": 3_000_000, "users_trained": 150_000})
    assert outgrown(workspace, 15_000_000) is None
    _embedding(workspace, max_users=None, counts={"users_total": 1_000, "users_trained": 1_000})
    assert outgrown(workspace, 2_000) is not None  # no cap: every customer was trained


def test_assigning_with_an_embedding_trained_after_the_run_is_refused(workspace: Workspace) -> None:
    _embedding(workspace, embedding_id="aaaa", created_at="2026-12-06T10:00:00+00:00")
    assert embedding_id(workspace) == "aaaa"
    run_id = _current_run(workspace, {"embedding_id": "aaaa"})
    assert runs.embedding_changed(workspace, runs.current_run_dir(workspace)) is None
    _embedding(workspace, embedding_id="bbbb", created_at="2026-12-06T10:00:00+00:00")  # the same second
    said = runs.embedding_changed(workspace, runs.current_run_dir(workspace))
    assert said == f"the embedding was trained again after segmentation run {run_id}"
    with pytest.raises(ShopgraphError, match="its classifier reads the earlier vectors; run `shopgraph segment`"):
        classify_new_customers(workspace)


def test_a_run_made_before_the_record_or_without_vectors_is_left_to_the_drift_check(workspace: Workspace) -> None:
    _embedding(workspace, created_at="2026-12-06T10:00:00+00:00")  # an embedding from before embedding_id
    assert embedding_id(workspace) == "2026-12-06T10:00:00+00:00"
    _current_run(workspace, {})
    assert runs.embedding_changed(workspace, runs.current_run_dir(workspace)) is None
