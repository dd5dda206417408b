"""`shopgraph queries` / `query`: the library headers, and parameter errors as one clear line (no server needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from cli import app
from graph.queries import bind, find, library, parse_header, parse_pairs
from shopgraph.errors import ShopgraphError

runner = CliRunner()


def one_error_line(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_library_has_the_questions_the_issue_asks_for() -> None:
    queries = library()
    assert len(queries) >= 15
    for name in (
        "segment_sizes",
        "segment_profile",
        "customer_segment",
        "segment_customers",
        "segment_top_products",
        "segment_top_categories",
        "segment_top_brands",
        "segment_bought_together",
        "segment_migration",
        "cart_abandoners",
        "price_sensitive",
        "holiday_shoppers",
        "lapsing_high_value",
        "similar_customers",
    ):
        assert name in queries and queries[name].question.endswith("?"), name
    assert "indexes" not in queries


def test_queries_lists_every_name() -> None:
    result = runner.invoke(app, ["queries"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in library():
        assert name in result.output


def test_missing_parameter() -> None:
    assert "needs --param segment=<string>" in one_error_line(["query", "segment_profile"])


def test_unknown_parameter() -> None:
    line = one_error_line(["query", "segment_profile", "--param", "segment=X", "--param", "colour=red"])
    assert "no parameter colour" in line and "segment" in line


@pytest.mark.parametrize(("param", "kind"), [("limit=ten", "int"), ("max_recency_days=soon", "float")])
def test_malformed_parameter(param: str, kind: str) -> None:
    line = one_error_line(["query", "segment_customers", "--param", "segment=X", "--param", param])
    assert f"is not a valid {kind}" in line


def test_malformed_date_and_pair() -> None:
    assert "YYYY-MM-DD" in one_error_line(["query", "cart_abandoners", "--param", "since=01/11/2019"])
    assert "is not key=value" in one_error_line(["query", "cart_abandoners", "--param", "since"])


def test_unknown_query_names_close_ones() -> None:
    line = one_error_line(["query", "segment_profil"])
    assert "no analyst query named 'segment_profil'" in line and "segment_profile" in line


def test_bind_types_and_defaults() -> None:
    values = bind(find("cart_abandoners"), parse_pairs(["since=2019-12-01", "limit=5"]))
    assert values == {"since": dt.date(2019, 12, 1), "segment": "", "limit": 5}
    values = bind(find("segment_customers"), {"segment": "Loyal buyers", "min_spent": "12.5"})
    assert values["min_spent"] == 12.5 and values["max_recency_days"] == 30.0


def test_header_parsing_refuses_unknown_types() -> None:
    with pytest.raises(ValueError, match="malformed parameter"):
        parse_header("x", "// @question: q?\n// @param a: colour\n// @returns: r\n// @cost: global\nRETURN 1")
    with pytest.raises(ValueError, match="@cost"):
        parse_header("x", "// @question: q?\n// @returns: r\nRETURN 1")
    with pytest.raises(ShopgraphError, match="given twice"):
        parse_pairs(["a=1", "a=2"])


def test_recommend_needs_a_user_or_a_segment() -> None:
    assert "give a USER_ID or --segment NAME" in one_error_line(["recommend"])


class IndexState:
    """A QueryRunner stand-in: ``schema/index_state`` answers ``rows``; any other query is recorded."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows, self.ran = rows, []

    def run(self, name: str, /, **params: object) -> list[dict]:
        if name == "schema/index_state":
            assert params == {"name": "user_embedding"}
            return self.rows
        self.ran.append(name)
        return [{"user_id": 2, "segment": "Window shoppers", "score": 0.9}]


def test_similar_customers_needs_the_look_alike_index() -> None:
    assert find("similar_customers").index == "user_embedding"
    assert find("segment_sizes").index is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "which the graph does not have yet: `shopgraph run`"),
        ([{"state": "POPULATING", "populationPercent": 35.4}], r"Neo4j is still building \(35 % of its scan\)"),
        ([{"state": "FAILED", "populationPercent": 10.0}], "Neo4j could not build the index user_embedding"),
    ],
)
def test_a_query_whose_index_is_not_online_is_one_line(rows: list[dict], message: str) -> None:
    """`run` returns while Neo4j builds the look-alike index: the query says so instead of a procedure error."""
    from graph.queries import run_query

    db = IndexState(rows)
    with pytest.raises(ShopgraphError, match=message):
        run_query(db, "similar_customers", {"user_id": "1"})
    assert db.ran == []  # the Cypher was never sent


def test_a_query_runs_once_its_index_is_online() -> None:
    from graph.queries import run_query

    db = IndexState([{"state": "ONLINE", "populationPercent": 100.0}])
    _, rows = run_query(db, "similar_customers", {"user_id": "1"})
    assert db.ran == ["analyst/similar_customers"] and rows[0]["user_id"] == 2
