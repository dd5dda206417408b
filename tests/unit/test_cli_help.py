"""Every command and option of the CLI has help text, and the groups are listed."""

from __future__ import annotations

import typer.main
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def _walk(command, path: tuple[str, ...] = ()):
    yield path, command
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


def test_every_command_and_option_has_help() -> None:
    root = typer.main.get_command(app)
    missing = []
    for path, command in _walk(root):
        if not (command.help or command.short_help):
            missing.append(" ".join(path) or "shopgraph")
        for param in command.params:
            if param.param_type_name == "option" and not param.help and param.name != "help":
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert not missing, f"no help text: {missing}"


def test_root_help_lists_the_command_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ("neo4j", "db", "config", "demo"):
        assert group in result.output


def test_config_masks_the_password(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("NEO4J_PASSWORD", "very-secret-password")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "very-secret-password" not in result.output
    assert "ve********" in result.output


def test_db_reset_without_yes_is_one_line_and_exit_1(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOPGRAPH_HOME", str(tmp_path))
    result = runner.invoke(app, ["db", "reset"])
    assert result.exit_code == 1
    assert "add --yes" in result.output
    assert "Traceback" not in result.output
