"""The pseudonymisation key does not decide the vectors: one shop under two keys, the same vectors (issue 21 §6)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from embeddings.graph import load_graph, users_in_order
from embeddings.store import read_item_vectors, read_user_table
from embeddings.training import embed
from events.ingest import ingest_files
from events.interactions import write_interactions
from events.pseudonym import KEY_ENV, pseudonym
from events.synth import generate
from graph.load import ingested_files
from shopgraph.workspace import Workspace
from tests.support.embed_support import SMALL

KEYS = ("first-key-not-secret", "second-key-not-secret")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """Two synthetic months of 300 users ingested under each key: ``{key: workspace}`` and the raw ids."""
    root = tmp_path_factory.mktemp("keys")
    made = generate(root / "synth", users=300, months="2019-11..2019-12", seed=4)
    workspaces = {}
    with pytest.MonkeyPatch.context() as patch:
        for key in KEYS:
            patch.setenv("SHOPGRAPH_HOME", str(root / key))
            patch.setenv(KEY_ENV, key)
            workspace = Workspace(root / key)
            ingest_files(workspace, list(made.files))
            con = duckdb.connect()
            for source in ingested_files(workspace):
                write_interactions(workspace, source, con)
            con.close()
            workspaces[key] = workspace
    raw = np.loadtxt(made.personas_file, delimiter=",", skiprows=1, usecols=0, dtype=np.int64)
    return workspaces, raw


def _by_raw_id(workspace: Workspace, key: str, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The user table's raw ids (sorted), vectors and sources."""
    table = read_user_table(workspace)
    to_raw = {pseudonym(int(r), key.encode("utf-8")): int(r) for r in raw}
    ids = np.array([to_raw[int(u)] for u in table.user_ids], np.int64)
    order = np.argsort(ids)
    return ids[order], table.vectors[order], table.sources[order]


def test_the_user_order_and_the_sample_do_not_follow_the_key(shop) -> None:
    workspaces, raw = shop
    orders, samples = [], []
    for key, workspace in workspaces.items():
        to_raw = {pseudonym(int(r), key.encode("utf-8")): int(r) for r in raw}
        con = duckdb.connect()
        files = sorted(str(p) for p in workspace.interactions_dir.glob("part-*.parquet"))
        orders.append([to_raw[int(u)] for u in users_in_order(con, files)])
        con.close()
        samples.append([to_raw[int(u)] for u in load_graph(workspace, max_users=120, seed=2).user_ids])
    assert orders[0] == orders[1] and len(orders[0]) > 200
    assert samples[0] == samples[1] and len(samples[0]) == 120


def _embedded_under_each_key(shop, monkeypatch):
    """Each key's workspace, its vectors trained (the same settings for both): yields (key, workspace)."""
    workspaces, _ = shop
    for key, workspace in workspaces.items():
        monkeypatch.setenv("SHOPGRAPH_HOME", str(workspace.home))
        monkeypatch.setenv(KEY_ENV, key)
        embed(workspace, seed=5, max_users=150, **SMALL)
        yield key, workspace


def test_two_keys_give_the_same_vectors(shop, monkeypatch) -> None:
    _, raw = shop
    found = []
    for key, workspace in _embedded_under_each_key(shop, monkeypatch):
        found.append((read_item_vectors(workspace), *_by_raw_id(workspace, key, raw)))
    (items_a, ids_a, users_a, sources_a), (items_b, ids_b, users_b, sources_b) = found
    assert np.array_equal(items_a.product_ids, items_b.product_ids)
    assert np.array_equal(items_a.product_vectors, items_b.product_vectors)
    assert np.array_equal(items_a.brand_vectors, items_b.brand_vectors)
    assert np.array_equal(ids_a, ids_b) and np.array_equal(sources_a, sources_b)
    assert set(sources_a) == {"trained", "folded"}
    assert np.allclose(users_a, users_b, atol=1e-6)


def test_two_keys_give_the_same_segments(shop, monkeypatch) -> None:
    """The segmentation's samples, folds and neighbour graph follow the customers' values, not their pseudonyms."""
    import pandas as pd

    from features.calendar import load_calendar
    from features.compute import build_user_features
    from segments.segmentation import segment

    _, raw = shop
    found = []
    for key, workspace in _embedded_under_each_key(shop, monkeypatch):
        build_user_features(workspace, load_calendar())
        run = segment(workspace, seed=0, classifiers=("knn", "decision_tree"))
        assigned = pd.read_parquet(run.run_dir / "assignments.parquet", columns=["user_id", "segment_id"])
        to_raw = {pseudonym(int(r), key.encode("utf-8")): int(r) for r in raw}
        found.append(dict(zip(assigned["user_id"].map(to_raw), assigned["segment_id"], strict=True)))
        found.append(run.k)
    first, k_first, second, k_second = found
    assert k_first == k_second >= 2 and first == second
