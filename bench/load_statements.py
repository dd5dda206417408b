"""Server-side cost of the relationship write, statement by statement, against the bare transfer.

Usage::

    .venv/bin/python bench/load_statements.py [--users 30000 --products 3000 --pairs 60000]

Starts its own Neo4j (workspace ``--home /tmp/sg-bench-statements``, Bolt 7692, HTTP 7478),
creates users and products, then sends the same batches of (user, product) rows with each
statement below, in explicit transactions that are rolled back (so every variant sees the
same graph), best of ``--repeat`` runs:

* ``transfer``: ``UNWIND $rows AS row RETURN count(row)``, the driver's ceiling (reference);
* ``lookups``: both ends found through the uniqueness indexes, nothing written;
* ``match+create``: lookups plus ``CREATE`` of the relationship with its properties;
* ``add_viewed``: the shipped ``cypher/load/add_viewed.cypher`` (``MERGE`` with additive
  ``ON MATCH``), first into a graph without the relationships (rolled back, then once
  committed for real, which is what ``shopgraph load`` pays), then with all of them present.
* ``--time-types``: the shipped ``create_viewed`` committed, against the same ``CREATE`` with
  ``first_at``/``last_at`` stored as dates, as epoch milliseconds and as epoch seconds (what a
  datetime costs the store: a property record holds four 8-byte blocks), each into a graph
  without the relationships, with the server's CPU µs a row.
* ``--lookup-index``: the shipped ``create_viewed`` committed with Neo4j's relationship-type lookup index
  and without it (dropped for the run, made again after), in turn.
* ``--node-ids``: the shipped ``create_viewed`` and ``add_viewed`` (each user and product found by its node id,
  graph/node_ids.py) against the same statements seeking the two key indexes instead (the shape before), in
  turn: the CREATE committed into a graph without the relationships, the MERGE with all of them present
  (rolled back), with the server's CPU µs a row.

Each figure is printed as rows/s and as a ratio to the transfer of the same batches; the two comparisons print
rows/s and the server's CPU µs a row instead (their variants share the server, so the ratio is between them).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

from run_child import own_server, process_cpu  # bench/ is first on sys.path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--products", type=int, default=3_000)
    parser.add_argument("--pairs", type=int, default=60_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--home", type=Path, default=Path("/tmp/sg-bench-statements"))
    parser.add_argument("--time-types", action="store_true", help="only the committed datetime/integer comparison")
    parser.add_argument("--node-ids", action="store_true", help="only the by-id against by-index comparison")
    parser.add_argument(
        "--lookup-index",
        action="store_true",
        help="only the committed CREATE with/without the relationship-type lookup index",
    )
    args = parser.parse_args()
    os.environ.update(
        {"SHOPGRAPH_HOME": str(args.home), "NEO4J_URI": "bolt://127.0.0.1:7692", "SHOPGRAPH_NEO4J_HTTP_PORT": "7478"}
    )
    os.environ.pop("NEO4J_PASSWORD", None)
    sys.path.insert(0, str(REPO))

    import cypher
    from graph.connection import connect
    from graph.node_ids import NodeIds
    from graph.schema import apply_schema, reset_database
    from shopgraph.settings import Settings

    settings = Settings.from_env()
    with own_server(settings) as server, connect(settings) as db:
        reset_database(db)
        apply_schema(db)
        db.run_text("UNWIND range(1, $n) AS i CREATE (:User {user_id: i})", {"n": args.users})
        db.run_text("UNWIND range(1, $n) AS i CREATE (:Product {product_id: i})", {"n": args.products})
        rng = random.Random(1)
        pairs = sorted({(rng.randint(1, args.users), rng.randint(1, args.products)) for _ in range(args.pairs)})
        rows = [
            {"user_id": u, "product_id": p, "count": 1, "first_at": 1_570_000_000_000, "last_at": 1_570_000_100_000}
            for u, p in pairs
        ]
        batches = [rows[i : i + args.batch_size] for i in range(0, len(rows), args.batch_size)]
        as_lists = [{key: [row[key] for row in batch] for key in batch[0]} for batch in batches]
        users, products = NodeIds.read(db, "user"), NodeIds.read(db, "product")
        for batch in as_lists:  # the shipped statements find both ends by node id
            batch |= {"user_node": users.ids(batch["user_id"]), "product_node": products.ids(batch["product_id"])}
        lookups = (
            "UNWIND $rows AS row MATCH (u:User {user_id: row.user_id}) "
            "MATCH (p:Product {product_id: row.product_id}) RETURN count(*)"
        )
        create = (
            "UNWIND $rows AS row MATCH (u:User {user_id: row.user_id}) "
            "MATCH (p:Product {product_id: row.product_id}) "
            "CREATE (u)-[r:VIEWED]->(p) SET r.count = row.count, "
            "r.first_at = datetime({epochMillis: row.first_at}), r.last_at = datetime({epochMillis: row.last_at})"
        )

        def params(statement: str) -> list[dict]:  # the shipped statements take parallel lists
            return as_lists if "$user_id[i]" in statement else [{"rows": batch} for batch in batches]

        def timed(statement: str) -> float:
            best = float("inf")
            for _ in range(args.repeat):
                with db.driver.session() as session:
                    started_at = time.perf_counter()
                    for batch in params(statement):
                        tx = session.begin_transaction()
                        tx.run(statement, batch).consume()
                        tx.rollback()
                    best = min(best, time.perf_counter() - started_at)
            return len(rows) / best

        if args.time_types or args.lookup_index or args.node_ids:
            compare = compare_time_types if args.time_types else compare_lookup_index
            compare = compare_node_ids if args.node_ids else compare
            compare(db, server, as_lists, len(rows), args.repeat)
            reset_database(db)
            return
        shipped = cypher.query("load/add_viewed")
        print(
            f"# bench/load_statements  {len(rows):,} (user, product) rows in batches of {args.batch_size:,}, "
            f"best of {args.repeat}, Neo4j {settings.neo4j_version}, heap {settings.heap}"
        )
        reference = timed("UNWIND $rows AS row RETURN count(row)")
        print(f"{'transfer (reference)':34} {reference:>10,.0f} rows/s")
        for label, statement in (
            ("lookups", lookups),
            ("match+create", create),
            ("add_viewed, new relationships", shipped),
        ):
            rate = timed(statement)
            print(f"{label:34} {rate:>10,.0f} rows/s  {rate / reference:5.2f} of transfer")
        started_at = time.perf_counter()  # committed for real: this also makes every relationship exist
        with db.driver.session() as session:
            for batch in as_lists:
                session.execute_write(lambda tx, b=batch: tx.run(shipped, b).consume())
        rate = len(rows) / (time.perf_counter() - started_at)
        print(f"{'add_viewed, new, committed':34} {rate:>10,.0f} rows/s  {rate / reference:5.2f} of transfer")
        rate = timed(shipped)
        print(f"{'add_viewed, all existing':34} {rate:>10,.0f} rows/s  {rate / reference:5.2f} of transfer")
        reset_database(db)


def committed_create(db, server, statement: str, batches: list[dict], rows: int) -> tuple[float, float]:
    """``statement`` committed batch by batch, then its relationships deleted: (rows/s, server CPU µs a row)."""
    cpu, started_at = process_cpu(server.pid()), time.perf_counter()
    with db.driver.session() as session:
        for batch in batches:
            session.execute_write(lambda tx, b=batch, q=statement: tx.run(q, b).consume())
    seconds, cpu = time.perf_counter() - started_at, process_cpu(server.pid()) - cpu
    db.run_text("MATCH ()-[r:VIEWED]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS")
    return rows / seconds, cpu / rows * 1e6


def compare_time_types(db, server, batches: list[dict], rows: int, repeat: int) -> None:
    """Committed CREATEs of the same rows with datetimes (shipped), dates and integer epochs, in turn,
    ``repeat`` times each. Rows/s and the server's CPU µs a row."""
    import cypher

    shipped = cypher.query("load/create_viewed")

    def stored_as(template: str) -> str:
        out = shipped
        for name in ("first_at", "last_at"):
            out = out.replace(f"datetime({{epochMillis: ${name}[i]}})", template.format(f"${name}[i]"))
        return out

    variants = (
        ("datetime (shipped)", shipped),
        ("date", stored_as("date(datetime({{epochMillis: {}}}))")),
        ("integer epoch ms", stored_as("{}")),
        ("integer epoch s", stored_as("{} / 1000")),
    )
    assert len({v for _, v in variants}) == len(variants), "create_viewed no longer builds datetimes: update this"
    print(f"# committed CREATE of {rows:,} relationships, {repeat} runs each, alternating")
    for run in range(repeat):
        for label, statement in variants:
            rate, micros = committed_create(db, server, statement, batches, rows)
            print(f"run {run + 1}  {label:28} {rate:>10,.0f} rows/s  server {micros:6.1f} µs a row")


def by_index(statement: str) -> str:
    """A shipped relationship statement with both ends sought in the key indexes, as before graph/node_ids.py."""
    by_id = (
        "MATCH (u)\nWHERE id(u) = $user_node[i] AND u.user_id = $user_id[i]\n"
        "MATCH (p)\nWHERE id(p) = $product_node[i] AND p.product_id = $product_id[i]\n"
    )
    assert by_id in statement, "the load statements no longer find nodes by id: update this"
    return statement.replace(
        by_id, "MATCH (u:User {user_id: $user_id[i]})\nMATCH (p:Product {product_id: $product_id[i]})\n"
    )


def rolled_back(db, server, statement: str, batches: list[dict], rows: int) -> tuple[float, float]:
    """``statement`` batch by batch, each transaction rolled back: (rows/s, server CPU µs a row)."""
    cpu, started_at = process_cpu(server.pid()), time.perf_counter()
    with db.driver.session() as session:
        for batch in batches:
            tx = session.begin_transaction()
            tx.run(statement, batch).consume()
            tx.rollback()
    seconds, cpu = time.perf_counter() - started_at, process_cpu(server.pid()) - cpu
    return rows / seconds, cpu / rows * 1e6


def compare_node_ids(db, server, batches: list[dict], rows: int, repeat: int) -> None:
    """The shipped CREATE (committed, then deleted) and MERGE (every relationship present, rolled back) by node id
    against the same by index seeks, in turn, ``repeat`` times each. Rows/s and the server's CPU µs a row."""
    import cypher

    create, merge = cypher.query("load/create_viewed"), cypher.query("load/add_viewed")
    print(f"# {rows:,} (user, product) rows: each end found by node id (shipped) or by index seek, alternating")
    for run in range(repeat):
        for label, statement in (("CREATE by node id", create), ("CREATE by index", by_index(create))):
            rate, micros = committed_create(db, server, statement, batches, rows)
            print(f"run {run + 1}  {label:28} {rate:>10,.0f} rows/s  server {micros:6.1f} µs a row")
    with db.driver.session() as session:
        for batch in batches:
            session.execute_write(lambda tx, b=batch: tx.run(create, b).consume())
    for run in range(repeat):
        for label, statement in (("MERGE by node id", merge), ("MERGE by index", by_index(merge))):
            rate, micros = rolled_back(db, server, statement, batches, rows)
            print(f"run {run + 1}  {label:28} {rate:>10,.0f} rows/s  server {micros:6.1f} µs a row")


RELATIONSHIP_LOOKUP = "CREATE LOOKUP INDEX bench_relationship_types IF NOT EXISTS FOR ()-[r]-() ON EACH type(r)"


def compare_lookup_index(db, server, batches: list[dict], rows: int, repeat: int) -> None:
    """The shipped ``create_viewed`` committed with Neo4j's relationship-type lookup index and without it, in
    turn, ``repeat`` times each (every relationship written also goes into that index)."""
    import cypher

    shipped = cypher.query("load/create_viewed")
    print(f"# committed CREATE of {rows:,} relationships, with and without the relationship-type index, alternating")
    for run in range(repeat):
        for label in ("with the index", "without it"):
            held = db.run_text(
                "SHOW INDEXES YIELD name, type, entityType WHERE type = 'LOOKUP' AND entityType = 'RELATIONSHIP' "
                "RETURN name"
            )
            if label == "without it":
                for row in held:
                    db.run_text(f"DROP INDEX `{row['name']}`")
                assert held, "no relationship-type lookup index to drop"
            elif not held:
                db.run_text(RELATIONSHIP_LOOKUP)
                db.run_text("CALL db.awaitIndexes(600)")
            rate, micros = committed_create(db, server, shipped, batches, rows)
            print(f"run {run + 1}  {label:28} {rate:>10,.0f} rows/s  server {micros:6.1f} µs a row")
    db.run_text(RELATIONSHIP_LOOKUP)


if __name__ == "__main__":
    main()
