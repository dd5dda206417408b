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


def test_a_file_the_system_will_not_write_is_one_line_naming_it(tmp_path) -> None:
    """`export-profiles --out /proc/x.csv` ended in a FileNotFoundError traceback naming the temporary file."""
    from shopgraph.files import atomic_write

    app = typer.Typer()
    target = tmp_path / "a-file" / "profiles.csv"
    target.parent.write_text("a file where a folder should be")

    @app.command()
    @user_errors
    def work() -> None:
        with atomic_write(target) as handle:
            handle.write("never")

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip() == f"error: {target}: cannot write there: a file stands where a folder is needed"
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]
