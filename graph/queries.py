"""The analyst query library: the `cypher/analyst/*.cypher` files, their declared parameters, and typed runs.

Every library file opens with a header comment the CLI reads::

    // @question: How big is each segment, with its revenue and conversion?
    // @param segment: string e.g. "Window shoppers"  (no default: required; an example)
    // @param limit: int = 100                        (a default makes it optional)
    // @returns: segment, customers, buyers, conversion, revenue, revenue_share
    // @cost: per-segment                             (per-customer | per-segment | global)
    // @index: user_embedding                         (optional: an index the query cannot run without)

Types: ``string``, ``int``, ``float``, ``bool``, ``date`` (``YYYY-MM-DD``, sent as a Neo4j
date). Values always travel as query parameters, never inside the Cypher text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cypher
from graph.connection import QueryRunner
from graph.schema import index_state
from shopgraph.errors import ShopgraphError

FOLDER = "analyst"
NOT_QUERIES = frozenset({"indexes"})
"""Files of the folder that are not analyst questions (index statements)."""
TYPES = ("string", "int", "float", "bool", "date")
COSTS = ("per-customer", "per-segment", "global")

_PARAM = re.compile(r"^//\s*@param\s+(\w+)\s*:\s*(\w+)\s*(?:=\s*(.+?))?\s*(?:e\.g\.\s*(.+?))?\s*$")
_TAG = re.compile(r"^//\s*@(question|returns|cost|index)\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class Param:
    """One declared parameter: name, type, and default (``required`` when it has none)."""

    name: str
    type: str
    default: Any = None
    required: bool = True
    example: str | None = None

    def describe(self) -> str:
        """``segment: string (e.g. "Window shoppers")`` or ``limit: int = 100``."""
        text = f"{self.name}: {self.type}"
        if not self.required:
            text += f" = {json.dumps(self.default) if isinstance(self.default, str) else self.default}"
        if self.example is not None:
            text += f" (e.g. {json.dumps(self.example) if self.type == 'string' else self.example})"
        return text

    def convert(self, raw: str) -> Any:
        """The typed value of ``raw`` (text from the command line); ShopgraphError when malformed."""
        try:
            return convert(self.type, raw)
        except ValueError:
            raise ShopgraphError(
                f"--param {self.name}={raw!r} is not a valid {self.type}"
                + (" (YYYY-MM-DD)" if self.type == "date" else "")
            ) from None


@dataclass(frozen=True)
class Query:
    """One library query: its catalog name, question, parameters, returned columns and cost class."""

    name: str
    question: str
    params: tuple[Param, ...]
    returns: str
    cost: str
    index: str | None = None  # an index the query needs ONLINE (Neo4j may still be building it after `run`)

    @property
    def catalog_name(self) -> str:
        return f"{FOLDER}/{self.name}"


def convert(kind: str, raw: str) -> Any:
    """Parse ``raw`` as ``kind``; ValueError when it does not parse."""
    text = raw.strip()
    if kind == "string":
        return raw
    if kind == "int":
        return int(text)
    if kind == "float":
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(raw)
        return value
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ValueError(raw)
    if kind == "date":
        return dt.date.fromisoformat(text)
    raise ValueError(f"unknown type {kind}")


def parse_header(name: str, source: str) -> Query:
    """Read the ``@`` tags of a library file's leading comment; ValueError when one is malformed."""
    params: list[Param] = []
    tags: dict[str, str] = {}
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("//"):
            break
        if "@param" in stripped:
            match = _PARAM.match(stripped)
            if not match or match.group(2) not in TYPES:
                raise ValueError(f"{name}.cypher: malformed parameter line {stripped!r} (types: {', '.join(TYPES)})")
            pname, ptype, default, example = match.groups()
            example = json.loads(example) if example and example.startswith('"') else example
            if default is None:
                params.append(Param(pname, ptype, example=example))
            else:
                text = json.loads(default) if default.startswith('"') else default
                value = text if ptype == "string" else convert(ptype, text)
                params.append(Param(pname, ptype, value, required=False, example=example))
        elif tag := _TAG.match(stripped):
            tags[tag.group(1)] = tag.group(2)
    for needed in ("question", "returns", "cost"):
        if needed not in tags:
            raise ValueError(f"{name}.cypher: the header has no // @{needed}: line")
    if tags["cost"] not in COSTS:
        raise ValueError(f"{name}.cypher: @cost must be one of {', '.join(COSTS)}")
    return Query(name, tags["question"], tuple(params), tags["returns"], tags["cost"], tags.get("index"))


def library() -> dict[str, Query]:
    """Every analyst query by short name, sorted."""
    out = {}
    for catalog_name in cypher.names():
        folder, _, short = catalog_name.partition("/")
        if folder == FOLDER and short not in NOT_QUERIES:
            out[short] = parse_header(short, cypher.text(catalog_name))
    return out


def find(name: str) -> Query:
    """The query called ``name``; one line with the closest names when there is none."""
    queries = library()
    if name in queries:
        return queries[name]
    close = difflib.get_close_matches(name, list(queries), n=4, cutoff=0.4)
    close = close or [q for q in queries if name.lower() in q]
    hint = f"did you mean {', '.join(close)}?" if close else "`shopgraph queries` lists them"
    raise ShopgraphError(f"no analyst query named {name!r}: {hint}")


def bind(query: Query, raw: Mapping[str, str]) -> dict[str, Any]:
    """Typed parameters from ``key=value`` text: defaults filled; unknown, missing or malformed is one error."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise ShopgraphError(f"query {query.name} has no parameter {', '.join(unknown)} (its parameters: {known})")
    values: dict[str, Any] = {}
    for param in query.params:
        if param.name in raw:
            values[param.name] = param.convert(raw[param.name])
        elif param.required:
            raise ShopgraphError(f"query {query.name} needs --param {param.name}=<{param.type}>")
        else:
            values[param.name] = param.default
    return values


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "b=x y"]`` → ``{"a": "1", "b": "x y"}``; a pair without ``=`` is one error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ShopgraphError(f'--param {pair!r} is not key=value (e.g. --param segment="Window shoppers")')
        if key.strip() in out:
            raise ShopgraphError(f"--param {key.strip()} is given twice")
        out[key.strip()] = value
    return out


def run_query(db: QueryRunner, name: str, raw_params: Mapping[str, str]) -> tuple[Query, list[dict[str, Any]]]:
    """Run library query ``name`` with ``key=value`` parameters checked against its header."""
    query = find(name)
    values = bind(query, raw_params)
    if query.index is not None:
        require_index(db, query)
    return query, db.run(query.catalog_name, **values)


def require_index(db: QueryRunner, query: Query) -> None:
    """One line instead of Neo4j's procedure error when ``query.index`` is missing or not ONLINE yet: `run`
    returns while Neo4j builds the look-alike index on one thread (minutes for millions of customers)."""
    found = index_state(db, query.index)
    if found is None:
        raise ShopgraphError(
            f"query {query.name} needs the index {query.index}, which the graph does not have yet: "
            "`shopgraph run` (its vectors step) makes it"
        )
    state, percent = found
    if state == "FAILED":
        raise ShopgraphError(
            f"Neo4j could not build the index {query.index} that query {query.name} needs: see "
            "`shopgraph neo4j logs`, then run `shopgraph run` again (its vectors step makes the index anew)"
        )
    if state != "ONLINE":
        raise ShopgraphError(
            f"query {query.name} needs the index {query.index}, which Neo4j is still building "
            f"({percent:.0f} % of its scan): try again once it is online (`shopgraph neo4j status` says)"
        )
