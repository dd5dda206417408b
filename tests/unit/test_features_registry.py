"""The metric registry, the generated glossary (docs/METRICS.md) and the marketing calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import cypher
from features import docs
from features.calendar import load_calendar, parse_calendar
from features.registry import GROUPS, METRICS, graph_metrics
from shopgraph.errors import ShopgraphError

REPO = Path(__file__).resolve().parents[2]


def test_committed_metrics_glossary_matches_the_registry() -> None:
    committed = (REPO / "docs" / "METRICS.md").read_text(encoding="utf-8")
    assert committed == docs.render(), "docs/METRICS.md is stale: run `python -m features.docs`"


def test_docs_check_mode(tmp_path: Path) -> None:
    out = tmp_path / "METRICS.md"
    assert docs.main(["--check", "--output", str(out)]) == 1
    assert docs.main(["--output", str(out)]) == 0
    assert docs.main(["--check", "--output", str(out)]) == 0


def test_every_metric_is_fully_described() -> None:
    for m in METRICS:
        for field in ("definition", "unit", "range", "empty", "why"):
            assert getattr(m, field).strip(), f"{m.name}: empty {field}"
        assert m.group in GROUPS
        assert m.name in docs.render()


def test_every_group_has_metrics_and_names_are_unique() -> None:
    assert {m.group for m in METRICS} == set(GROUPS)
    assert len({m.name for m in METRICS}) == len(METRICS)


def test_graph_metrics_are_neo4j_storable_types() -> None:
    assert graph_metrics(), "some metrics must go onto User nodes"
    for m in graph_metrics():
        assert m.dtype in {"BIGINT", "INTEGER", "DOUBLE", "VARCHAR"}, f"{m.name}: {m.dtype} on the graph"
    assert "purchase_rate" in {m.name for m in graph_metrics()}


def test_feature_cypher_files_start_with_a_comment_naming_parameters() -> None:
    for name in ("features/set_user_features",):
        text = cypher.text(name)
        assert text.startswith("//") and "Parameters:" in text
        assert len(cypher.statements(name)) == 1


# --- calendar ---------------------------------------------------------------------------
def test_shipped_calendar_covers_the_data_years() -> None:
    cal = load_calendar()
    names = [p.name for p in cal.periods]
    assert any("Black Friday" in n for n in names) and any("Cyber Monday" in n for n in names)
    assert any("Christmas" in n for n in names) and any("January" in n for n in names)
    days = cal.promo_days()
    assert dt.date(2019, 11, 29) in days and dt.date(2019, 12, 2) in days and dt.date(2020, 1, 10) in days
    assert all(dt.date(2019, 10, 1) <= d <= dt.date(2020, 4, 30) for d in days)
    assert len(cal.sha256) == 64


def test_promo_days_merge_overlapping_periods() -> None:
    periods = parse_calendar(
        "name,start,end,kind\na,2019-11-01,2019-11-03,promotion\nb,2019-11-03,2019-11-04,newsletter\n"
    )
    from features.calendar import Calendar

    assert Calendar(periods, "x", "").promo_days() == [dt.date(2019, 11, d) for d in (1, 2, 3, 4)]


def test_extra_columns_and_blank_lines_are_fine() -> None:
    periods = parse_calendar("kind,name,end,start,notes\n\npromotion,x,2020-01-02,2020-01-01,hello\n")
    assert periods[0].start == dt.date(2020, 1, 1) and periods[0].end == dt.date(2020, 1, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("name,start,end\nx,2019-01-01,2019-01-02\n", "missing column(s) kind"),
        ("name,start,end,kind\n", "has no periods"),
        ("name,start,end,kind\nx,2019-13-01,2019-12-02,promo\n", "line 2: start '2019-13-01' is not a date"),
        ("name,start,end,kind\nx,2019-12-01,2019-11-02,promo\n", "line 2: end 2019-11-02 is before start"),
        ("name,start,end,kind\n,2019-12-01,2019-12-02,promo\n", "line 2: 'name' and 'kind' must not be empty"),
        ("name,start,end,kind\nx,2019-12-01\n", "line 2: 2 field(s)"),
    ],
)
def test_bad_calendar_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ShopgraphError) as err:
        parse_calendar(text, "cal.csv")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_or_binary_calendar_file(tmp_path: Path) -> None:
    with pytest.raises(ShopgraphError, match="not found"):
        load_calendar(tmp_path / "nope.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ShopgraphError, match="not UTF-8"):
        load_calendar(tmp_path / "bin.csv")
    with pytest.raises(ShopgraphError, match="is a directory"):
        load_calendar(tmp_path)
