"""`shopgraph load` without a reachable server: one line, exit 1, nothing written."""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from cli import app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_load_with_neo4j_down_is_one_clear_line(monkeypatch, workspace) -> None:
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("NEO4J_PASSWORD", "whatever-password")
    result = CliRunner().invoke(app, ["load"])
    assert result.exit_code == 1
    assert "cannot reach Neo4j" in result.output and "shopgraph neo4j start" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("localhost:7687", "is not an address the driver takes: URI scheme 'localhost' is not supported"),
        ("nonsense://x", "is not an address the driver takes: URI scheme 'nonsense' is not supported"),
        ("bolt://localhost:notaport", "cannot reach Neo4j at bolt://localhost:notaport"),
    ],
)
def test_a_mistyped_neo4j_uri_is_one_clear_line(monkeypatch, workspace, uri: str, said: str) -> None:
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_PASSWORD", "whatever-password")
    result = CliRunner().invoke(app, ["query", "segment_sizes"], env={"COLUMNS": "400"})
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert said in result.output and len(result.output.strip().splitlines()) == 1


def test_connection_lost_inside_a_command_is_one_clear_error(monkeypatch, workspace) -> None:
    import pytest
    from neo4j.exceptions import SessionExpired

    import graph.connection as connection
    from shopgraph.errors import ShopgraphError
    from shopgraph.settings import Settings

    class Driver:
        def close(self) -> None:
            pass

    monkeypatch.setenv("NEO4J_PASSWORD", "whatever-password")
    monkeypatch.setattr(connection, "open_driver", lambda settings: Driver())
    with (
        pytest.raises(ShopgraphError, match=r"lost the connection to Neo4j .*run the command again"),
        connection.connect(Settings.from_env()),
    ):
        raise SessionExpired("server went away")


def test_writers_option_reaches_the_load(monkeypatch, workspace) -> None:
    import graph.connection as connection
    import graph.load
    from graph.load import LoadReport

    class Driver:
        def close(self) -> None:
            pass

    seen: list[dict] = []

    def fake_load(db, workspace, **options) -> LoadReport:
        seen.append(options)
        return LoadReport()

    monkeypatch.setenv("NEO4J_PASSWORD", "whatever-password")
    monkeypatch.setattr(connection, "open_driver", lambda settings: Driver())
    monkeypatch.setattr(graph.load, "load", fake_load)
    for argv, writers in ((["load", "--writers", "1"], 1), (["load"], None)):
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 0, result.output
        assert seen.pop().get("writers") == writers
    assert CliRunner().invoke(app, ["load", "--writers", "0"]).exit_code != 0
