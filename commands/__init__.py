"""The command groups of the `shopgraph` CLI, one typer sub-app per module; `cli.py` assembles them.

Each module defines ``app = typer.Typer()`` whose commands appear at the top level of
``shopgraph`` (``cli.py`` adds them with ``app.add_typer(module.app)``). A command parses its
options, shows progress, and calls one library function; no package imports this one.
"""
