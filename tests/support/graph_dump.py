"""A canonical, comparable dump of the whole graph (nodes, relationships, properties).

The server writes every property value as text with its type (element by element for lists), so the driver
does not build a Python object per value: with a datetime on each relationship, hydrating them was most of a
dump's time (≈ 21 s a dump in tests/integration/test_graph_bulk.py on a slow 2-core box). The text keeps what
an equality needs: ``1`` and ``1.0`` differ, a datetime keeps its zone and nanoseconds.
"""

from __future__ import annotations

from graph.connection import QueryRunner

VOLATILE = {"loaded_at"}  # wall-clock time of the load: differs between two otherwise equal loads


def _as_text(entity: str) -> str:
    """Cypher: the properties of ``entity`` as a list of [key, text] pairs."""
    value = f"{entity}[k]"
    return (
        f"[k IN keys({entity}) | [k, CASE WHEN valueType({value}) STARTS WITH 'LIST' "
        f"THEN '[' + reduce(s = '', x IN {value} | s + valueType(x) + ':' + toString(x) + ',') + ']' "
        f"ELSE valueType({value}) + ':' + toString({value}) END]]"
    )


NODES = f"MATCH (n) RETURN labels(n) AS labels, {_as_text('n')} AS props"
RELATIONSHIPS = (
    f"MATCH (a)-[r]->(b) RETURN type(r) AS type, {_as_text('r')} AS props, "
    f"labels(a) AS la, {_as_text('a')} AS pa, labels(b) AS lb, {_as_text('b')} AS pb"
)


def dump_graph(db: QueryRunner) -> tuple[list, list]:
    nodes = db.run_text(NODES)
    rels = db.run_text(RELATIONSHIPS)
    node_rows = sorted((tuple(sorted(n["labels"])), _clean(n["props"])) for n in nodes)
    rel_rows = sorted(
        (r["type"], _clean(r["props"]), tuple(r["la"]), _clean(r["pa"]), tuple(r["lb"]), _clean(r["pb"])) for r in rels
    )
    return node_rows, rel_rows


def _clean(pairs: list[list[str]]) -> tuple:
    return tuple(sorted((k, v) for k, v in pairs if k not in VOLATILE))
