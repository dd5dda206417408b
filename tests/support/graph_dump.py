"""A canonical, comparable dump of the whole graph (nodes, relationships, properties)."""

from __future__ import annotations

from graph.connection import QueryRunner

VOLATILE = {"loaded_at"}  # wall-clock time of the load: differs between two otherwise equal loads


def _clean(props: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in props.items() if k not in VOLATILE))


def dump_graph(db: QueryRunner) -> tuple[list, list]:
    nodes = db.run_text("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
    rels = db.run_text(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, properties(r) AS props, "
        "labels(a) AS la, properties(a) AS pa, labels(b) AS lb, properties(b) AS pb"
    )
    node_rows = sorted((tuple(sorted(n["labels"])), _clean(n["props"])) for n in nodes)
    rel_rows = sorted(
        (r["type"], _clean(r["props"]), tuple(r["la"]), _clean(r["pa"]), tuple(r["lb"]), _clean(r["pb"])) for r in rels
    )
    return node_rows, rel_rows
