"""Catalog of the project's Cypher: every statement lives in a ``.cypher`` file, loaded by name.

``query("load/merge_users")`` returns the text of ``cypher/load/merge_users.cypher``;
``statements("schema/constraints")`` splits a multi-statement file on the ``;`` that end
statements (never on a ``;`` or ``//`` inside a string, an identifier in backticks, or a
comment). The text is returned as ``LiteralString`` so that the driver's typing discourages
building queries from strings: values always travel as parameters.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import LiteralString, cast


def names() -> list[str]:
    """Every catalog name (``folder/file`` without ``.cypher``), sorted."""
    root = resources.files(__package__)
    found: list[str] = []

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".cypher"):
                found.append(prefix + child.name.removesuffix(".cypher"))

    walk(root, "")
    return sorted(found)


@cache
def text(name: str) -> str:
    """The raw text of ``cypher/<name>.cypher``; ``KeyError`` names the missing file."""
    path = resources.files(__package__).joinpath(*f"{name}.cypher".split("/"))
    if not path.is_file():
        raise KeyError(f"no Cypher file named {name!r} (known: {', '.join(names())})")
    return path.read_text(encoding="utf-8")


def query(name: str) -> LiteralString:
    """The single statement in ``cypher/<name>.cypher`` (comments kept, trailing ``;`` dropped)."""
    parts = statements(name)
    if len(parts) != 1:
        raise ValueError(f"{name}.cypher holds {len(parts)} statements; use statements()")
    return parts[0]


def statements(name: str) -> list[LiteralString]:
    """The statements of a multi-statement file, in order, without empty ones."""
    return [cast(LiteralString, s) for s in split_statements(text(name))]


def split_statements(source: str) -> list[str]:
    """Split Cypher source on statement-ending ``;``.

    Strings ('…' and "…", with backslash escapes), backtick identifiers, ``//`` line
    comments and ``/* */`` block comments are skipped over, so a ``;`` or ``//`` inside
    them never splits. Statements that hold only comments and whitespace are dropped.
    """
    out: list[str] = []
    buf: list[str] = []
    has_code = False
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in "'\"`":
            j = i + 1
            while j < n and source[j] != ch:
                j += 2 if source[j] == "\\" and ch != "`" else 1
            buf.append(source[i : j + 1])
            has_code = True
            i = j + 1
        elif source.startswith("//", i):
            j = source.find("\n", i)
            j = n if j < 0 else j
            buf.append(source[i:j])
            i = j
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            j = n if j < 0 else j + 2
            buf.append(source[i:j])
            i = j
        elif ch == ";":
            if has_code:
                out.append("".join(buf).strip())
            buf, has_code = [], False
            i += 1
        else:
            buf.append(ch)
            has_code = has_code or not ch.isspace()
            i += 1
    if has_code:
        out.append("".join(buf).strip())
    return out
