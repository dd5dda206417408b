"""When the vectors step re-makes the look-alike index rather than updating it in place (graph/vectors.py)."""

from graph.vectors import REBUILD_INDEX_FROM, REBUILD_SHARE, rebuild_pays


def test_a_first_write_at_scale_rebuilds() -> None:
    assert rebuild_pays(3_000_000, 3_000_000)


def test_a_small_write_keeps_the_index_whatever_its_share() -> None:
    assert not rebuild_pays(REBUILD_INDEX_FROM - 1, REBUILD_INDEX_FROM - 1)


def test_the_rule_weighs_the_vectors_sent_against_those_held() -> None:
    held = 6_500_000  # month 3 of the REES46-sized bench
    assert rebuild_pays(int(REBUILD_SHARE * held) + 1, held)
    assert not rebuild_pays(int(REBUILD_SHARE * held) - 1, held)
    # a later month changes about as many vectors as the one before; the history grows under it
    assert rebuild_pays(2_300_000, 4_570_000) and not rebuild_pays(2_300_000, 14_000_000)
