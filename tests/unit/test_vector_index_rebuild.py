"""When the vectors step re-makes the look-alike index rather than updating it in place (graph/vectors.py)."""

import pyarrow as pa

from graph.vectors import REBUILD_INDEX_FROM, _Plan, rebuild_pays


def test_a_first_write_at_scale_rebuilds() -> None:
    assert rebuild_pays(3_000_000)


def test_a_small_write_keeps_the_index() -> None:
    assert not rebuild_pays(REBUILD_INDEX_FROM - 1)


def test_a_large_write_rebuilds_whatever_the_index_holds() -> None:
    """In place, a month's inserts into an index of millions wait on Lucene merges that rebuild its HNSW graphs
    (month 4 of the REES46-sized bench: 27 minutes behind one merge, ≈ 8 M vectors held): the rule no longer
    asks how many are held."""
    import inspect

    assert rebuild_pays(REBUILD_INDEX_FROM) and list(inspect.signature(rebuild_pays).parameters) == ["changed"]


def test_removals_count_as_changes() -> None:
    """The first month under the threshold's bound sends nothing new but removes most vectors held (6.5 M of
    8.5 M at month 4 of the REES46-sized bench): deleted from the index one by one, Lucene's merges pay for them."""
    target = pa.table({"user_id": pa.array([1, 2], pa.int64()), "digest": pa.array([7, 8], pa.uint64())})
    kept = _Plan(target, pa.array([], pa.int64()), pa.array([3, 4, 5], pa.int64()))
    assert kept.changes == 3 and kept.unchanged == 2
    assert _Plan(target, target.column("user_id").combine_chunks(), None).changes == 2
