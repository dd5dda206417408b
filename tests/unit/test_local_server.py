"""The local server's checks that need no running Neo4j: Java, ports, configuration."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from cli import app
from graph.server import LocalServer, port_in_use
from shopgraph.settings import Settings
from shopgraph.workspace import Workspace

runner = CliRunner()


def test_start_with_java_home_pointing_nowhere_is_one_clear_line(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-such-jdk"))
    result = runner.invoke(app, ["neo4j", "start"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "JAVA_HOME" in lines[0] and "no-such-jdk" in lines[0]


def test_status_of_a_server_never_started(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    result = runner.invoke(app, ["neo4j", "status"])
    assert result.exit_code == 0
    assert "not running" in result.output
    assert "5.26" in result.output


def test_stale_pid_file_is_not_a_running_server(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    server = LocalServer(Settings.from_env())
    server.pid_file.parent.mkdir(parents=True)
    server.pid_file.write_text("1\n")  # pid 1 is not our Neo4j
    assert server.pid() is None
    assert not server.pid_file.exists()


def test_port_in_use_detects_a_listener() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert port_in_use(sock.getsockname()[1])


def test_config_file_listens_on_loopback_with_configured_ports(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:7999")
    monkeypatch.setenv("SHOPGRAPH_NEO4J_HTTP_PORT", "7998")
    monkeypatch.setenv("SHOPGRAPH_NEO4J_HEAP", "768m")
    server = LocalServer(Settings.from_env())
    server.write_config()
    conf = (Workspace(tmp_path).neo4j_dir / "conf" / "neo4j.conf").read_text()
    assert "server.bolt.listen_address=127.0.0.1:7999" in conf
    assert "server.http.listen_address=127.0.0.1:7998" in conf
    assert "server.https.enabled=false" in conf
    assert "server.memory.heap.max_size=768m" in conf
    assert "dbms.usage_report.enabled=false" in conf
    assert "db.checkpoint=VOLUME" in conf and "db.checkpoint.interval.volume=4g" in conf  # logs pruned by volume


def test_generated_local_password_is_owner_only_and_stable(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    first = Settings.from_env()
    second = Settings.from_env()
    assert first.password == second.password and len(first.password) >= 16
    mode = (tmp_path / "neo4j" / "password").stat().st_mode & 0o777
    assert mode == 0o600


def test_generated_local_password_never_starts_with_a_dash(monkeypatch, tmp_path) -> None:
    """neo4j-admin reads a leading '-' as an option: token_urlsafe gives one about 1 time in 32."""
    import secrets

    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: "-" + "x" * (n - 1))
    assert not Settings.from_env().password.startswith("-")


def test_a_server_still_starting_at_the_timeout_is_left_running_and_waited_for_again(monkeypatch, tmp_path) -> None:
    """After a stop during a vector index's population Neo4j merges the index before it answers: a kill at the
    timeout would only make the next start redo that merge."""
    import os

    import pytest

    from shopgraph.errors import ShopgraphError

    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    server = LocalServer(Settings.from_env())
    stopped: list[bool] = []
    monkeypatch.setattr(server, "pid", lambda: os.getpid())  # "running", as this process is
    monkeypatch.setattr(server, "stop", lambda *a, **k: stopped.append(True))
    monkeypatch.setattr(server, "_answers", lambda: False)
    with pytest.raises(ShopgraphError, match=r"did not answer within 0s and is left starting .*--timeout 3600"):
        server.start(timeout=0.0)
    assert stopped == []
    monkeypatch.setattr(server, "_answers", lambda: True)
    assert server.start(timeout=5.0) is False  # already running, and now answering
