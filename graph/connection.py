"""One seam for running Cypher: a driver opened from settings, with user-facing errors."""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, LiteralString

import numpy as np
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, ConfigurationError, DatabaseUnavailable, ServiceUnavailable, SessionExpired

import cypher
from graph.node_ids import key_ranges
from shopgraph.errors import ShopgraphError
from shopgraph.settings import Settings

if TYPE_CHECKING:
    from graph.node_ids import NodeIds


class RetriedTransactions(logging.Filter):
    """Counts the driver's "… will be retried" warnings and keeps them off the user's terminal.

    Two writers on one graph deadlock now and then (docs/BENCHMARKS.md, "Load"); the driver retries the
    transaction, as designed, and would print the server's lock dump for each. What the user needs is the
    count, which the load reports; any other warning of the driver still shows.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "will be retried" in record.getMessage():
            self.count += 1
            return False
        return True


RETRIED = RetriedTransactions()
logging.getLogger("neo4j.session").addFilter(RETRIED)  # the logger of the driver's retry loop


def open_driver(settings: Settings) -> Driver:
    """A verified driver; a server that is down or a wrong password is one clear error."""
    try:
        driver = GraphDatabase.driver(
            settings.uri, auth=(settings.user, settings.password), notifications_min_severity="OFF"
        )
    except (ConfigurationError, ValueError) as exc:  # NEO4J_URI mistyped: the driver's own words say what it takes
        raise ShopgraphError(f"NEO4J_URI {settings.uri!r} is not an address the driver takes: {exc}") from None
    try:
        driver.verify_connectivity()
    except AuthError:
        driver.close()
        raise ShopgraphError(_refused(settings)) from None
    except (ServiceUnavailable, OSError, ValueError) as exc:  # ValueError: an address that does not resolve
        driver.close()
        hint = "start it with `shopgraph neo4j start`" if settings.is_local else "is it running?"
        raise ShopgraphError(f"cannot reach Neo4j at {settings.uri} ({type(exc).__name__}): {hint}") from None
    return driver


def _refused(settings: Settings) -> str:
    """Why the server refused the user: a wrong NEO4J_USER / NEO4J_PASSWORD, or, for a local URI while this
    workspace's own server is down, another workspace's server holding the port (it has its own password)."""
    from graph.server import LocalServer, other_servers

    said = f"Neo4j at {settings.uri} refused user {settings.user!r}"
    if settings.is_local and settings.password_source != "NEO4J_PASSWORD":
        server = LocalServer(settings)
        others = other_servers(server.home, settings.bolt_port) if server.pid() is None else []
        if others:
            return (
                f"{said}: it is another workspace's server ({', '.join(map(str, others))}), not this one's "
                f"({settings.workspace.home}); stop that one (`SHOPGRAPH_HOME={others[0].parent} shopgraph neo4j "
                "stop`) and start this one (`shopgraph neo4j start`), or give this one other ports (NEO4J_URI, "
                "SHOPGRAPH_NEO4J_HTTP_PORT)"
            )
    return f"{said}: check NEO4J_USER / NEO4J_PASSWORD"


@contextmanager
def connect(settings: Settings | None = None) -> Iterator[QueryRunner]:
    """``with connect() as db: db.run("schema/constraints")``.

    A connection lost inside the block (server stopped or crashed, after the driver's own
    retries) ends as one clear error; what was committed stays, and every writer of this
    project can be re-run to finish its work.
    """
    settings = settings or Settings.from_env()
    driver = open_driver(settings)
    try:
        yield QueryRunner(driver)
    except (ServiceUnavailable, SessionExpired, DatabaseUnavailable) as exc:
        raise ShopgraphError(
            f"lost the connection to Neo4j at {settings.uri} ({type(exc).__name__}): check it runs "
            "(`shopgraph neo4j status`), then run the command again; committed work is kept"
        ) from None
    finally:
        driver.close()


class QueryRunner:
    """Runs catalog queries by name, always with parameters; the seam tests can record."""

    def __init__(self, driver: Driver, database: str | None = None) -> None:
        self.driver = driver
        self.database = database

    def run(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        """Run every statement of ``cypher/<name>.cypher`` in its own auto-commit transaction;
        return the records of the last one."""
        records: list[dict[str, Any]] = []
        for statement in cypher.statements(name):
            records = self.run_text(statement, params)
        return records

    def run_text(self, statement: LiteralString, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.driver.session(database=self.database) as session:
            result = session.run(statement, dict(params or {}))
            return [record.data() for record in result]

    def read_pages(
        self, name: str, columns: Mapping[str, Any], page: int, readers: int = 1, **params: Any
    ) -> dict[str, np.ndarray]:
        """Every page of the single-statement file ``name``, in key order, as one array per column
        (``columns``: name → dtype). The statement takes ``$from`` and ``$upto`` (inclusive bounds of the keys)
        and ``$page`` and returns one record of aligned lists whose ``keys`` (signed 64-bit, ascending) say where
        the next page starts. With ``readers`` > 1 that many sessions read at once, each an equal share of the
        64-bit key range (graph/node_ids.py, ``key_ranges``): an even split for pseudonymised keys only."""
        statement = cypher.query(name)

        def read(start: int, upto: int) -> dict[str, list[np.ndarray]]:
            parts: dict[str, list[np.ndarray]] = {column: [] for column in columns}
            with self.driver.session(database=self.database) as session:
                while True:  # the record's lists as they come: Record.data() would copy each value again (5 s a page)
                    bounds = {"from": start, "upto": upto, "page": page}
                    found = session.run(statement, {**params, **bounds}).single(strict=True)
                    for column, dtype in columns.items():
                        parts[column].append(np.asarray(found[column], dtype=dtype))
                    keys = parts["keys"][-1]
                    if len(keys) < page or keys[-1] == upto:
                        return parts
                    start = int(keys[-1]) + 1

        ranges = key_ranges(readers)
        if len(ranges) == 1:
            shares = [read(*ranges[0])]
        else:
            with ThreadPoolExecutor(len(ranges), thread_name_prefix="neo4j-reader") as pool:
                shares = list(pool.map(lambda bounds: read(*bounds), ranges))
        return {column: np.concatenate([a for share in shares for a in share[column]]) for column in columns}

    def user_nodes(self) -> NodeIds:
        """Every User node's id by user_id (graph/node_ids.py): read once before a per-customer write whose
        batches then find each customer by node id instead of an index seek (graph/node_ids.py)."""
        from graph.node_ids import NodeIds

        return NodeIds.read(self, "user")

    def write_batches(
        self, name: str, rows: Iterable[Mapping[str, Any]], batch_size: int = 10_000, **params: Any
    ) -> Iterator[int]:
        """Send ``rows`` to the single-statement file ``name`` as ``$rows`` in managed write
        transactions of ``batch_size``; yields the size of each batch once it committed."""
        statement = cypher.query(name)

        def write(tx, batch):
            tx.run(statement, {**params, "rows": batch}).consume()

        with self.driver.session(database=self.database) as session:
            batch: list[Mapping[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= batch_size:
                    session.execute_write(write, batch)
                    yield len(batch)
                    batch = []
            if batch:
                session.execute_write(write, batch)
                yield len(batch)

    def write_columns(
        self,
        name: str,
        batches: Iterable[Mapping[str, Any]],
        *,
        prefetch: bool = True,
        writers: int = 1,
        **params: Any,
    ) -> Iterator[tuple[Mapping[str, Any], list[dict[str, Any]]]]:
        """Run the single-statement file ``name`` once per batch of parameters (aligned column lists,
        plus ``params``), each in its own managed write transaction; yields ``(batch, records)`` once
        committed, in order. With ``prefetch`` the next batch is built in a thread while the server runs
        this one; with ``writers`` > 1 that many batches are written at once (on 2 cores one writer
        leaves the server a core idle: docs/BENCHMARKS.md, "Load")."""
        statement = cypher.query(name)

        def write(tx, batch):
            return tx.run(statement, {**params, **batch}).data()

        source = prefetched(batches) if prefetch else batches
        if writers > 1:
            yield from self._write_concurrently(write, source, writers)
            return
        with self.driver.session(database=self.database) as session:
            for batch in source:
                yield batch, session.execute_write(write, batch)

    def _write_concurrently(
        self, write: Callable[..., Any], batches: Iterable[Mapping[str, Any]], writers: int
    ) -> Iterator[tuple[Mapping[str, Any], Any]]:
        """``write`` each batch in its own transaction on ``writers`` sessions at once; results in the
        batches' order. The batches must touch disjoint nodes (else the writers wait on each other's locks,
        and a deadlock costs a retry)."""
        local = threading.local()
        sessions: list[Any] = []
        lock = threading.Lock()

        def run(batch: Mapping[str, Any]) -> Any:
            if not hasattr(local, "session"):
                local.session = self.driver.session(database=self.database)
                with lock:
                    sessions.append(local.session)
            return local.session.execute_write(write, batch)

        pending: deque[tuple[Mapping[str, Any], Future[Any]]] = deque()
        try:
            with ThreadPoolExecutor(writers, thread_name_prefix="neo4j-writer") as pool:
                for batch in batches:
                    if len(pending) >= writers:
                        done, future = pending.popleft()
                        yield done, future.result()
                    pending.append((batch, pool.submit(run, batch)))
                while pending:
                    done, future = pending.popleft()
                    yield done, future.result()
        finally:
            for future in (f for _, f in pending):
                future.cancel()
            for session in sessions:
                session.close()


_END = object()


def prefetched(items: Iterable[Any]) -> Iterator[Any]:
    """``items``, the next one built in a thread while the caller works on the current one; an
    exception of the producer is raised here, and a caller that stops early stops the thread."""
    ready: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: Any, error: BaseException | None = None) -> bool:
        while not stop.is_set():
            try:
                ready.put((item, error), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            offer(_END, exc)

    threading.Thread(target=produce, daemon=True, name="prefetch").start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
