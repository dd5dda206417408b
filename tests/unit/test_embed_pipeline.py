"""`embed` on a workspace: the three files, id alignment, the user cap, --assign-only, Ctrl-C, erasure, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cli import app
from embeddings.store import paths, read_item_vectors, read_user_table, read_user_vectors
from embeddings.training import embed, fold_in_new_users
from graph.erasure import forget
from shopgraph.errors import ShopgraphError
from tests.support.embed_support import SMALL, add_month, stored, taste_rows

APPLE = list(range(1001, 1031))
XIAOMI = list(range(2001, 2031))


@pytest.fixture
def loaded(workspace, tmp_path):
    add_month(workspace, tmp_path, taste_rows({"apple": APPLE, "xiaomi": XIAOMI}), "2019-Oct.csv")
    return workspace


def test_embed_writes_aligned_vectors_for_every_user_and_item(loaded) -> None:
    report = embed(loaded, seed=3, **SMALL)
    users = read_user_table(loaded)
    expected = np.sort(stored(loaded, APPLE + XIAOMI))
    assert np.array_equal(users.user_ids, expected)
    assert users.vectors.shape == (60, SMALL["dimensions"]) and users.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(users.vectors, axis=1), 1.0, atol=1e-5)
    assert set(users.sources) == {"trained"}
    items = read_item_vectors(loaded)
    assert len(items.product_ids) == 40 and list(items.brands) == ["apple", "xiaomi"] and len(items.category_ids) == 2
    assert items.product_vectors.shape == (40, SMALL["dimensions"])
    table = pq.read_table(paths(loaded)["users"])
    assert table.schema.field("user_id").type == "int64" and table.schema.field("vector").type.list_size == 16
    meta = json.loads(paths(loaded)["metadata"].read_text())
    assert meta["seed"] == 3 and meta["parameters"]["walk_length"] == SMALL["walk_length"]
    assert [f["name"] for f in meta["data_window"]["files"]] == ["2019-Oct.csv"]
    assert len(meta["data_window"]["files"][0]["sha256"]) == 64 and meta["code_version"].startswith("shopgraph")
    assert set(meta["timings"]) >= {"graph", "walks", "training", "fold_in"}
    assert meta["token_budget"]["budget"] == (60 + 40 + 2 + 2) * SMALL["walks_per_node"] * SMALL["walk_length"]
    assert meta["fold_in"]["check"]["users"] == 60
    assert report.counts["users_trained"] == 60 and report.counts["users_folded"] == 0
    # taste: an Apple buyer is closer to the other Apple buyers than to the Xiaomi ones
    ids, vectors = read_user_vectors(loaded)
    apple = np.isin(ids, stored(loaded, APPLE))
    sim = vectors @ vectors.T
    assert sim[np.ix_(apple, apple)].mean() > sim[np.ix_(apple, ~apple)].mean() + 0.1


def test_same_seed_same_vectors(loaded) -> None:
    embed(loaded, seed=8, **SMALL)
    first = read_user_vectors(loaded)[1]
    embed(loaded, seed=8, **SMALL)
    assert np.array_equal(first, read_user_vectors(loaded)[1])


def test_users_beyond_the_cap_are_folded_in(loaded) -> None:
    report = embed(loaded, seed=1, max_users=20, **SMALL)
    users = read_user_table(loaded)
    assert len(users.user_ids) == 60
    assert (users.sources == "trained").sum() == 20 and (users.sources == "folded").sum() == 40
    assert report.counts["users_folded"] == 40 and report.counts["users_total"] == 60
    apple = np.isin(users.user_ids, stored(loaded, APPLE))
    folded = users.sources == "folded"
    sim = users.vectors @ users.vectors.T
    assert sim[np.ix_(folded & apple, apple)].mean() > sim[np.ix_(folded & apple, ~apple)].mean() + 0.1


def test_assign_only_gives_vectors_to_users_loaded_later(loaded, tmp_path) -> None:
    embed(loaded, seed=1, **SMALL)
    before = read_user_table(loaded)
    report = fold_in_new_users(loaded)
    assert report.counts["users_folded_now"] == 0
    add_month(
        loaded, tmp_path, taste_rows({"apple": [1101, 1102], "xiaomi": [2101]}, month="2019-11", seed=5), "2019-Nov.csv"
    )
    report = fold_in_new_users(loaded)
    after = read_user_table(loaded)
    new = stored(loaded, [1101, 1102, 2101])
    assert report.counts["users_folded_now"] == 3 and len(after.user_ids) == 63
    assert set(after.sources[np.isin(after.user_ids, new)]) == {"folded"}
    old = np.isin(after.user_ids, before.user_ids)
    assert np.array_equal(after.vectors[old], before.vectors)  # no retraining
    apple = np.isin(after.user_ids, stored(loaded, APPLE))
    first = after.vectors[np.searchsorted(after.user_ids, new[0])]
    assert (after.vectors[apple] @ first).mean() > (after.vectors[~apple & old] @ first).mean() + 0.1
    meta = json.loads(paths(loaded)["metadata"].read_text())
    assert meta["assign_only_runs"][-1]["users_folded"] == 3


def test_assign_only_before_embed_says_what_to_run(loaded) -> None:
    with pytest.raises(ShopgraphError, match="shopgraph embed"):
        fold_in_new_users(loaded)


def test_ctrl_c_leaves_the_previous_vectors_intact(loaded) -> None:
    embed(loaded, seed=1, **SMALL)
    snapshot = {name: path.read_bytes() for name, path in paths(loaded).items()}

    def interrupt(phase, done, total):
        if phase == "epochs":  # after the first skip-gram epoch, like Ctrl-C in the middle of training
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed(loaded, seed=2, progress=interrupt, **SMALL)
    assert {name: path.read_bytes() for name, path in paths(loaded).items()} == snapshot
    assert not list(loaded.embeddings_dir.glob(".*tmp*"))


def test_forget_removes_the_vector_and_a_retrain_does_not_bring_it_back(loaded) -> None:
    embed(loaded, seed=1, **SMALL)
    gone = stored(loaded, [APPLE[0]])[0]
    assert gone in read_user_vectors(loaded)[0]
    report = forget(loaded, [APPLE[0]], None)
    assert report.rows_removed.get("embeddings") == 1
    assert gone not in read_user_vectors(loaded)[0]
    assert len(read_user_vectors(loaded)[0]) == 59
    embed(loaded, seed=1, **SMALL)
    assert gone not in read_user_vectors(loaded)[0] and len(read_user_vectors(loaded)[0]) == 59
    fold_in_new_users(loaded)
    assert gone not in read_user_vectors(loaded)[0]


def test_assign_only_after_forget_merges_the_rewritten_table(loaded, tmp_path) -> None:
    embed(loaded, seed=1, **SMALL)
    forget(loaded, [XIAOMI[0]], None)  # DuckDB rewrites user_vectors.parquet (vector as a plain list)
    add_month(loaded, tmp_path, taste_rows({"xiaomi": [2201]}, month="2019-11"), "2019-Nov.csv")
    assert fold_in_new_users(loaded).counts["users_folded_now"] == 1
    users = read_user_table(loaded)
    assert len(users.user_ids) == 60 and np.all(np.diff(users.user_ids) > 0)
    assert stored(loaded, [XIAOMI[0]])[0] not in users.user_ids
    assert pq.read_table(paths(loaded)["users"]).schema.field("vector").type.list_size == SMALL["dimensions"]


def test_forget_also_erases_a_leftover_temporary_table(loaded) -> None:
    embed(loaded, seed=1, **SMALL)
    leftover = loaded.embeddings_dir / ".user_vectors.tmp-99999.parquet"
    leftover.write_bytes(paths(loaded)["users"].read_bytes())
    forget(loaded, [APPLE[1]], None)
    assert stored(loaded, [APPLE[1]])[0] not in pq.read_table(leftover).column("user_id").to_pylist()


runner = CliRunner()


def one_line_error(result) -> str:
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1, result.output
    return lines[0]


def test_cli_without_events_says_run_ingest_first(workspace) -> None:
    assert "run `shopgraph ingest FILE` first" in one_line_error(runner.invoke(app, ["embed"]))
    assert "run `shopgraph ingest FILE` first" in one_line_error(runner.invoke(app, ["embed", "--fold-in"]))


def test_cli_bad_options_are_one_line(loaded) -> None:
    assert "unknown method" in one_line_error(runner.invoke(app, ["embed", "--method", "word2vec"]))
    assert "--p and --q" in one_line_error(runner.invoke(app, ["embed", "--q", "0"]))
    result = runner.invoke(app, ["embed", "--dimensions", "1"])
    assert result.exit_code == 2


def test_cli_embed_then_fold_in(loaded) -> None:
    result = runner.invoke(
        app, ["embed", "--dimensions", "8", "--walk-length", "8", "--walks-per-node", "2", "--max-users", "40"]
    )
    assert result.exit_code == 0, result.output
    assert "users trained" in result.output and "40" in result.output
    result = runner.invoke(app, ["embed", "--fold-in"])
    assert result.exit_code == 0, result.output
    assert "users folded in now" in result.output
    assert "deprecated" not in result.output


def test_cli_assign_only_is_a_hidden_deprecated_alias_of_fold_in(loaded) -> None:
    assert "--assign-only" not in runner.invoke(app, ["embed", "--help"]).output
    runner.invoke(
        app, ["embed", "--dimensions", "8", "--walk-length", "8", "--walks-per-node", "2", "--max-users", "40"]
    )
    result = runner.invoke(app, ["embed", "--assign-only"])
    assert result.exit_code == 0, result.output
    assert "--assign-only is deprecated, use --fold-in" in result.output
    assert "users folded in now" in result.output


def test_cli_defaults_are_the_library_defaults() -> None:
    """`shopgraph embed` and `shopgraph run` (which calls ``embed`` without options) train with the same settings."""
    import inspect

    from commands.embed import embed_cmd
    from embeddings.graph import DEFAULT_MAX_USERS
    from embeddings.node2vec import Node2Vec

    cli = {name: value.default for name, value in inspect.signature(embed_cmd).parameters.items()}
    library = {name: value.default for name, value in inspect.signature(Node2Vec).parameters.items()}
    for name in ("dimensions", "walk_length", "walks_per_node", "p", "q", "window", "negative", "epochs", "workers"):
        assert cli[name] == library[name], name
    assert cli["max_users"] == DEFAULT_MAX_USERS
