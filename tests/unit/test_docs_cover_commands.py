"""Every top-level command is documented in the README (sqlite-utils' habit: docs cannot drift)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from cli import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_named_in_the_readme() -> None:
    root = typer.main.get_command(app)
    missing = [name for name in root.commands if f"shopgraph {name}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"
