"""The embedded store: one SQLite file in WAL mode, worked on dedicated threads.

One writer thread owns the only writing connection: write transactions (``BEGIN IMMEDIATE``,
``synchronous=FULL``) run one at a time, so a batch commits whole or, after a crash, not at all.
A few reader threads, one connection each, read concurrently from WAL snapshots. The event loop
only awaits. Changes fan out to this process's subscribers right after each commit; other
processes opening the same file share the data but not the change feed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from etp.errors import StoreError
from etp.store.migrations import pending
from etp.store.records import Change
from etp.store.threaded import ThreadedStore
from etp.store.tx import Row, Tx

__all__ = ["SqliteStore"]

R = TypeVar("R")

_READERS = 2
_BUSY_TIMEOUT_S = 30.0


class _SqliteTx(Tx):
    IN = "IN (SELECT value FROM json_each(?))"
    IN_IDS = IN
    FOR_UPDATE = ""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def array(self, values: Iterable[str] | Iterable[int]) -> object:
        return json.dumps(list(values))

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[object] = ()) -> None:
        self._conn.execute(sql, params)

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if rows:
            self._conn.executemany(sql, rows)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        marks = ", ".join("?" * len(columns))
        self.run_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def lock(self, uris: Collection[str]) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` on the one writer already excludes writers."""


def _path(url: str) -> str:
    path = url.removeprefix("sqlite:///")
    if path == url or not path or path == ":memory:" or path.startswith("file:"):
        raise StoreError(
            f"bad SQLite store URL {url!r}: expected sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db (a file: the store uses several connections)"
        )
    return path


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one at a time (to run inside our transaction)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""
    if any(line.strip() and not line.strip().startswith("--") for line in statement.splitlines()):
        raise StoreError(f"unterminated statement at the end of a migration: {statement!r}")


class SqliteStore(ThreadedStore[sqlite3.Connection]):
    """The SQLite backend; open it with :func:`etp.store.open_store`."""

    def __init__(
        self, path: str, *, change_retention: float, max_pending: int, active_timeout: float
    ) -> None:
        super().__init__(
            where=f"SQLite store {path}",
            change_retention=change_retention,
            max_pending=max_pending,
            active_timeout=active_timeout,
            writer=ThreadPoolExecutor(1, thread_name_prefix="etp-store-sqlite-write"),
            readers=ThreadPoolExecutor(_READERS, thread_name_prefix="etp-store-sqlite-read"),
        )
        self._path = path

    @classmethod
    async def open(
        cls, url: str, *, change_retention: float, max_pending: int, active_timeout: float
    ) -> SqliteStore:
        """Open the file named by ``url``, creating it and migrating its schema as needed."""
        store = cls(
            _path(url),
            change_retention=change_retention,
            max_pending=max_pending,
            active_timeout=active_timeout,
        )
        try:
            await store._call(store._writer, store._migrate)
        except BaseException:
            await store.close()
            raise
        store.channels.start()
        return store

    # -- threads and transactions ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path,
                isolation_level=None,
                check_same_thread=False,
                timeout=_BUSY_TIMEOUT_S,
            )
            # A new file gets 16 KiB pages (before WAL mode fixes its size): channel data
            # blocks span fewer overflow pages (measured: benchmarks/bench_channel_store.py).
            conn.execute("PRAGMA page_size=16384")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # 64 MiB of page cache keeps a large store's index pages in memory, so puts do
            # not slow down as it grows (measured: benchmarks/bench_w2_store.py).
            conn.execute("PRAGMA cache_size=-65536")
        except sqlite3.Error as error:
            raise StoreError(f"{self._where}: cannot open: {error}") from error
        if mode != "wal":
            conn.close()
            raise StoreError(f"{self._where}: cannot use WAL mode (journal mode is {mode})")
        return conn

    def _write_now(self, op: Callable[[Tx, int], tuple[R, list[Change]]]) -> R:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                tx = _SqliteTx(conn)
                now = self._clock.now()
                self._housekeep(tx, now)
                result, changes = op(tx, now)
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise StoreError(f"{self._where}: {error}") from error
        self._publish(changes)
        return result

    def _read_now(self, op: Callable[[Tx], R]) -> R:
        conn = self._conn()
        try:
            conn.execute("BEGIN")  # one snapshot for every statement of the read
            try:
                return op(_SqliteTx(conn))
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as error:
            raise StoreError(f"{self._where}: {error}") from error

    def _migrate(self) -> None:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version "
                    "(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
                )
                current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                for step in pending("sqlite", current.fetchone()[0], where=self._where):
                    for statement in _statements(step.sql):
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                        (step.version, self._clock.now()),
                    )
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise StoreError(f"{self._where}: cannot prepare the schema: {error}") from error
