"""The Browser style file and `shopgraph browser`: what an analyst pastes must be right without a server."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from cli import app
from graph.browser import browser_guide, parse_grass, style_command, style_path, style_text
from shopgraph.settings import Settings

runner = CliRunner()


def test_style_file_is_shipped_and_has_only_what_browser_parses() -> None:
    text = style_text()
    assert style_path().is_file() and style_path().name == "browser-style.grass"
    # Browser's parser has no comments: a comment would become part of the next selector
    assert "/*" not in text and "//" not in text
    # every `{` that is not a rule's opening brace sits inside a quoted caption
    unquoted = re.sub(r"'[^']*'", "", text)
    rules = parse_grass(text)
    assert unquoted.count("{") == unquoted.count("}") == len(rules)
    # and Browser's parser keeps every property written (none lost to a stray ':' or ';')
    written = len(re.findall(r"^\s+[\w-]+:", text, flags=re.M))
    assert sum(len(props) for props in rules.values()) == written


def test_grass_parser_reads_like_browser() -> None:
    rules = parse_grass(
        "node {caption: {title};}\nnode.User { color : #4C8EDA ; caption: '{a} {b}'; }\n"
        "relationship {caption: '<type>'; bad: a:b;}"
    )
    assert rules == {
        "node": {"caption": "title"},
        "node.User": {"color": "#4C8EDA", "caption": "{a} {b}"},
        "relationship": {"caption": "<type>"},
    }


def test_style_captions_and_colours_follow_the_graph_contract() -> None:
    rules = parse_grass(style_text())
    captions = {selector: props.get("caption") for selector, props in rules.items()}
    assert captions["node.Segment"] == "{name}"
    assert captions["node.User"] == "{segment}"
    assert captions["node.Product"] == "{brand} {price}"
    assert captions["node.Category"] == "{code}"
    assert captions["node.Brand"] == "{name}"
    assert captions["node.SegmentationRun"] == "{run_id}"
    node_colours = [props["color"].upper() for selector, props in rules.items() if selector.startswith("node.")]
    assert len(node_colours) == len(set(node_colours)), "two labels share a colour"
    assert all(re.fullmatch(r"#[0-9A-F]{6}", colour) for colour in node_colours)


def test_style_command_is_the_file_behind_style() -> None:
    command = style_command()
    assert command.startswith(":style\n")
    assert command.removeprefix(":style\n").strip() == style_text().strip()


@pytest.fixture
def local_settings(monkeypatch, tmp_path) -> Settings:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:7698")
    monkeypatch.setenv("SHOPGRAPH_NEO4J_HTTP_PORT", "7485")
    monkeypatch.setenv("NEO4J_PASSWORD", "very-secret-password")
    monkeypatch.delenv("NEO4J_USER", raising=False)
    return Settings.from_env()


def test_guide_points_at_the_configured_server(local_settings: Settings) -> None:
    guide = browser_guide(local_settings)
    assert guide.browser_url == "http://127.0.0.1:7485/browser/"
    assert guide.prefilled_url == "http://127.0.0.1:7485/browser/?dbms=bolt://neo4j@127.0.0.1:7698"
    assert guide.connect_url == "bolt://127.0.0.1:7698"
    assert guide.user == "neo4j"
    assert guide.password == "ve********  (from NEO4J_PASSWORD)"


def test_guide_for_a_remote_server_uses_its_host(monkeypatch, local_settings: Settings) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j://graph.internal:7687")
    guide = browser_guide(Settings.from_env())
    assert guide.browser_url == "http://graph.internal:7485/browser/"
    assert guide.prefilled_url.endswith("?dbms=neo4j://neo4j@graph.internal:7687")


def test_guide_queries_are_the_contract_ones(local_settings: Settings) -> None:
    queries = {q.name: " ".join(q.text.split()) for q in browser_guide(local_settings).queries}
    pointer = "MATCH (pointer:CurrentSegmentation) MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->"
    assert queries["browser/current_segments"] == pointer + "(s:Segment) RETURN s"
    assert queries["browser/segment_size"] == (
        pointer + "(s:Segment {name: $name}) RETURN COUNT { (s)<-[:IN_SEGMENT]-(:User) } AS customers"
    )
    assert "[:IN_SEGMENT]" in queries["browser/segment_neighbourhood"]
    assert all("//" not in text for text in queries.values())


def test_browser_command_prints_url_connection_style_and_queries(local_settings: Settings) -> None:
    result = runner.invoke(app, ["browser"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for expected in (
        "http://127.0.0.1:7485/browser/",
        "bolt://127.0.0.1:7698",
        "neo4j",
        "ve********",
        str(style_path()),
        "--style-command",
        "MATCH (pointer:CurrentSegmentation)",
        "(s:Segment {name: $name})",
        ":param name => 'Window shoppers'",
    ):
        assert expected in result.output, expected
    assert "very-secret-password" not in result.output


def test_style_command_option_prints_only_the_command(local_settings: Settings) -> None:
    result = runner.invoke(app, ["browser", "--style-command"])
    assert result.exit_code == 0
    assert result.output == style_command()
