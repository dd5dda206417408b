"""What every command module shares: the consoles, the user-error wrapper, settings and small tables."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shopgraph.errors import ShopgraphError

console = Console()
err_console = Console(stderr=True)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a ShopgraphError into one red line on stderr and exit code 1 (DuckDB out of memory too, with what to
    set); Ctrl-C into exit 130."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ShopgraphError as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/yellow]: nothing half-written was kept")
            raise typer.Exit(130) from None
        except OSError as exc:  # the system refused (a path, a permission, a full disk): its words, no traceback
            err_console.print(f"[red]error:[/red] {escape(os_error_message(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except Exception as exc:
            if not _out_of_memory(exc):
                raise
            err_console.print(
                f"[red]error:[/red] {escape(out_of_memory_message(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(1) from None

    return wrapper


def os_error_message(exc: OSError) -> str:
    """One line for an error of the system: what it says and the file it names (writes through
    :func:`shopgraph.files.atomic_path` name their target, not the temporary file)."""
    what = exc.strerror or str(exc) or type(exc).__name__
    return f"{exc.filename}: {what}" if exc.filename else what


def _out_of_memory(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryException" and type(exc).__module__.endswith("duckdb")


def out_of_memory_message(exc: BaseException) -> str:
    """One line for DuckDB's out-of-memory error: its figure and what to give it (nothing finished is lost: the
    writes are atomic, `run` keeps its finished steps)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else "out of memory"
    return (
        f"DuckDB ran out of memory ({first}); give it more and run the command again (what finished is kept): "
        "SHOPGRAPH_DUCKDB_READ_MEMORY for the store's reads (default 2GB), SHOPGRAPH_DUCKDB_MEMORY for the features "
        "step (4GB)"
    )


def print_pairs(title: str, rows: list[tuple[str, str]]) -> None:
    """A two-column table (label, value) under a title."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def settings():
    """The effective settings (environment, .env, defaults)."""
    from shopgraph.settings import Settings

    return Settings.from_env()


def optional_db(s, graph: bool):
    """A Neo4j connection when ``graph`` is asked for, else a no-op context giving None."""
    from contextlib import nullcontext

    from graph.connection import connect

    return connect(s) if graph else nullcontext(None)


ENGINES = ("duckdb", "spark")
ENGINE_OPTION = typer.Option(
    help="duckdb (one machine, the default) or spark (needs shopgraph's spark extra, with pyspark)."
)
NO_PSEUDONYMISE_OPTION = typer.Option(
    "--no-pseudonymise", help="Store user ids as they are (only for data already anonymised upstream)."
)
SPARK_MASTER_OPTION = typer.Option(
    help="With --engine spark: the master URL (spark://host:7077, yarn, local[4]; default "
    "SHOPGRAPH_SPARK_MASTER, else local[2]).",
)


def check_engine(engine: str) -> None:
    """A clear error for an engine other than duckdb or spark."""
    if engine not in ENGINES:
        raise ShopgraphError(f"--engine {engine}: choose duckdb or spark")
