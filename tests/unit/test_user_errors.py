"""Errors a user can act on end a command with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import duckdb
import typer
from typer.testing import CliRunner

from commands.common import user_errors


def _app(error: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @user_errors
    def work() -> None:
        raise error

    return app


def test_duckdb_out_of_memory_is_one_line_with_what_to_set() -> None:
    """Month 4 of the REES46-sized bench: the report's describe ran DuckDB out of its 2 GB (since fixed there)."""
    error = duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block (1.8 GiB/1.8 GiB used)\n\nhints")
    result = CliRunner().invoke(_app(error), [])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: DuckDB ran out of memory (Out of Memory Error: failed to pin")
    assert "SHOPGRAPH_DUCKDB_READ_MEMORY" in result.output


def test_other_errors_are_not_hidden() -> None:
    result = CliRunner().invoke(_app(RuntimeError("a bug")), [])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)


def test_a_shopgraph_error_is_one_line() -> None:
    from shopgraph.errors import ShopgraphError

    result = CliRunner().invoke(_app(ShopgraphError("no such file: x.csv")), [])
    assert result.exit_code == 1 and result.output.strip() == "error: no such file: x.csv"
