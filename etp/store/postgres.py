"""The production store: PostgreSQL through psycopg 3, shared by any number of server processes.

Work runs on a small pool of threads, one connection each (psycopg releases the GIL while it
waits on the server); the event loop only awaits. A write batch is one transaction; writers of
the same object URIs are serialized by transaction-scoped advisory locks, taken in a fixed order,
and a transaction the server aborts as a deadlock victim is retried.

Change feed: each write transaction logs its changes in ``change_log`` under one batch number and
``NOTIFY``s that number on a channel named after the schema (a NOTIFY is delivered on commit, in
commit order, to every listening connection of the database). Every store keeps one LISTEN
connection on its own thread, reads each batch and fans it out to its subscribers: a change made
through any process reaches the subscribers of all of them. If that connection is lost, the
subscribers are cut off with a StoreError (changes may have been missed) and it reconnects.

Channel data (:mod:`etp.store.channel_sql`) rides the same LISTEN connection on a second
channel: each group commit NOTIFYs small payloads (channel key, change kind, sequence number,
index interval; chunked under the payload limit); the other processes read the points of the
channels their subscribers watch, in one snapshot per payload, and publish them in order.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from etp.errors import StoreError
from etp.store.channel_feed import threadsafe_channel_publisher
from etp.store.migrations import pending
from etp.store.records import ActiveStatus, Change, ChangeKind, Resource
from etp.store.threaded import ThreadedStore
from etp.store.tx import Row, Tx

__all__ = ["PostgresStore"]

R = TypeVar("R")
Connection = psycopg.Connection[tuple[Any, ...]]

_POOL_SIZE = 4
_ATTEMPTS = 5  # per write transaction, when the server aborts it as a deadlock victim
_CHANGE_LOG_KEEP_US = 600_000_000  # change_log rows are read within moments; keep 10 minutes
_LISTEN_POLL_S = 0.1
_RECONNECT_S = 1.0

_LOG_COLUMNS = (
    "kind, uri, dataspace, qualified_type, change_time, uuid, object_version, name, "
    "last_changed, store_created, store_last_write, active"
)


@lru_cache(maxsize=256)
def _pg(query: str) -> str:
    return query.replace("?", "%s")


class _PgTx(Tx):
    IN = "= ANY(?::text[])"
    IN_IDS = "= ANY(?::bigint[])"
    FOR_UPDATE = " FOR UPDATE"

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def array(self, values: Iterable[str] | Iterable[int]) -> object:
        return list(values)

    def rows(self, query: str, params: Sequence[object] = ()) -> list[Row]:
        # binary results: bytea arrives as it is stored (text would be hex: 3x slower reads)
        return self._conn.execute(_pg(query), params, binary=True).fetchall()

    def run(self, query: str, params: Sequence[object] = ()) -> None:
        self._conn.execute(_pg(query), params)

    def run_many(self, query: str, rows: Sequence[Sequence[object]]) -> None:
        if rows:
            with self._conn.cursor() as cursor:
                cursor.executemany(_pg(query), rows)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with self._conn.cursor() as cursor, cursor.copy(copy) as stream:
            for row in rows:
                stream.write_row(row)

    def lock(self, uris: Collection[str]) -> None:
        if uris:
            self._conn.execute(
                "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(u, 0) AS k"
                " FROM unnest(%s::text[]) AS u ORDER BY k) AS keys",
                (list(uris),),
            )


def _redacted(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _change(row: Row) -> Change:
    kind, uri, dataspace, qualified_type, time, *rest = row
    resource = None
    if rest[0] is not None:
        uuid, version, name, last_changed, created, written, active = rest
        resource = Resource(
            uri,
            dataspace,
            qualified_type,
            uuid,
            version,
            name,
            last_changed,
            created,
            written,
            ActiveStatus.ACTIVE if active else ActiveStatus.INACTIVE,
        )
    return Change(ChangeKind(kind), uri, qualified_type, dataspace, time, resource)


def _log_row(batch: int, seq: int, change: Change) -> tuple[object, ...]:
    r = change.resource
    resource: tuple[object, ...] = (None,) * 7
    if r is not None:
        resource = (
            r.uuid,
            r.object_version,
            r.name,
            r.last_changed,
            r.store_created,
            r.store_last_write,
            int(r.active_status is ActiveStatus.ACTIVE),
        )
    return (
        batch,
        seq,
        change.kind.value,
        change.uri,
        change.dataspace,
        change.qualified_type,
        change.time,
        *resource,
    )


class PostgresStore(ThreadedStore[Connection]):
    """The PostgreSQL backend; open it with :func:`etp.store.open_store`."""

    def __init__(
        self, url: str, *, change_retention: float, max_pending: int, active_timeout: float
    ) -> None:
        pool = ThreadPoolExecutor(_POOL_SIZE, thread_name_prefix="etp-store-pg")
        super().__init__(
            where=f"PostgreSQL store {_redacted(url)}",
            change_retention=change_retention,
            max_pending=max_pending,
            active_timeout=active_timeout,
            writer=pool,
            readers=pool,
        )
        self._url = url
        self._channel = ""
        self._channel_data = ""
        self._publish_channels = threadsafe_channel_publisher(self._loop, self.channels.hub)
        self.channels.notify = self._notify_channels
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._listen_error: BaseException | None = None
        self._listener: threading.Thread | None = None

    @classmethod
    async def open(
        cls, url: str, *, change_retention: float, max_pending: int, active_timeout: float
    ) -> PostgresStore:
        """Connect, migrate the schema (the first schema of ``search_path``), start listening."""
        store = cls(
            url,
            change_retention=change_retention,
            max_pending=max_pending,
            active_timeout=active_timeout,
        )
        try:
            schema = await store._call(store._writer, store._migrate)
            digest = hashlib.sha1(schema.encode(), usedforsecurity=False).hexdigest()[:20]
            store._channel = f"etp_store_changes_{digest}"
            store._channel_data = f"etp_store_channels_{digest}"
            store._listener = threading.Thread(
                target=store._listen, name="etp-store-pg-listen", daemon=True
            )
            store._listener.start()
            await asyncio.to_thread(store._listening.wait)
            if store._listen_error is not None:
                raise StoreError(
                    f"{store._where}: cannot listen for changes: {store._listen_error}"
                ) from store._listen_error
        except BaseException:
            await store.close()
            raise
        store.channels.start()
        return store

    def _shutdown(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.join()
        super()._shutdown()

    # -- threads and transactions ----------------------------------------------------------------

    def _connect(self) -> Connection:
        try:
            return psycopg.connect(self._url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(f"{self._where}: cannot connect: {error}") from error

    def _usable(self, conn: Connection) -> bool:
        return not (conn.closed or conn.broken)

    def _write_now(self, op: Callable[[Tx, int], tuple[R, list[Change]]]) -> R:
        for attempt in range(1, _ATTEMPTS + 1):
            conn = self._conn()
            try:
                with conn.transaction():
                    tx = _PgTx(conn)
                    now = self._clock.now()
                    self._housekeep(tx, now)
                    result, changes = op(tx, now)
                    self._log_changes(tx, changes)
                return result
            except pg_errors.DeadlockDetected as error:
                if attempt == _ATTEMPTS:
                    raise StoreError(f"{self._where}: gave up after {attempt} deadlocks") from error
            except psycopg.Error as error:
                raise StoreError(f"{self._where}: {error}") from error
        raise AssertionError("unreachable")

    def _read_now(self, op: Callable[[Tx], R]) -> R:
        conn = self._conn()
        try:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                return op(_PgTx(conn))
        except psycopg.Error as error:
            raise StoreError(f"{self._where}: {error}") from error

    def _housekeep(self, tx: Tx, now: int) -> None:
        if now >= self._next_housekeeping:
            tx.run("DELETE FROM change_log WHERE change_time < ?", (now - _CHANGE_LOG_KEEP_US,))
        super()._housekeep(tx, now)

    def _migrate(self) -> str:
        """Apply pending migrations under a per-schema lock; returns the schema's name."""
        conn = self._conn()
        try:
            with conn.transaction():
                schema = conn.execute("SELECT current_schema()").fetchone()
                if schema is None or schema[0] is None:
                    raise StoreError(f"{self._where}: search_path names no existing schema")
                conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (f"etp_store_migrations:{schema[0]}",),
                )
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version "
                    "(version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"
                )
                row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                current = row.fetchone()
                for step in pending("postgres", current[0] if current else 0, where=self._where):
                    conn.execute(step.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)",
                        (step.version, self._clock.now()),
                    )
        except psycopg.Error as error:
            raise StoreError(f"{self._where}: cannot prepare the schema: {error}") from error
        return str(schema[0])

    # -- change feed -----------------------------------------------------------------------------

    def _log_changes(self, tx: Tx, changes: list[Change]) -> None:
        if not changes:
            return
        batch = tx.rows("SELECT nextval('change_batches')")[0][0]
        tx.insert(
            "change_log",
            ("batch", "seq", *_LOG_COLUMNS.split(", ")),
            [_log_row(batch, seq, change) for seq, change in enumerate(changes)],
        )
        tx.run("SELECT pg_notify(?, ?)", (self._channel, str(batch)))

    def _listen(self) -> None:
        """The LISTEN thread: deliver each notified batch; on a lost connection, cut the
        subscribers off and reconnect. Batches are read on a second connection: the listening
        one is busy (and locked) while its notification generator runs."""
        listen = sql.SQL("LISTEN {}; LISTEN {}").format(
            sql.Identifier(self._channel), sql.Identifier(self._channel_data)
        )
        while not self._stopping.is_set():
            try:
                with (
                    psycopg.connect(self._url, autocommit=True) as conn,
                    psycopg.connect(self._url, autocommit=True) as reader,
                ):
                    conn.execute(listen)
                    self._listening.set()
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=_LISTEN_POLL_S):
                            if note.channel == self._channel:
                                self._deliver(reader, int(note.payload))
                            else:
                                self._deliver_channel_data(reader, note.payload)
            except psycopg.Error as error:
                if not self._listening.is_set():  # opening: report it and stop
                    self._listen_error = error
                    self._listening.set()
                    return
                if not self._loop.is_closed():
                    reason = (
                        f"{self._where}: lost the change feed connection ({error}); "
                        "changes may have been missed"
                    )
                    self._loop.call_soon_threadsafe(self._hub.fail_all, reason)
                    self._loop.call_soon_threadsafe(self.channels.hub.fail_all, reason)
                self._stopping.wait(_RECONNECT_S)

    def _notify_channels(self, tx: Tx, payloads: list[str]) -> None:
        for payload in payloads:
            tx.run("SELECT pg_notify(?, ?)", (self._channel_data, payload))

    def _deliver_channel_data(self, reader: Connection, payload: str) -> None:
        """Publish the channel data another process committed (read in one snapshot)."""
        changes = self.channels.remote_changes(payload)
        if changes is None:
            return
        with reader.transaction():
            reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            events = self.channels.remote_events(_PgTx(reader), changes)
        self._publish_channels(events)

    def _deliver(self, reader: Connection, batch: int) -> None:
        if not self._hub.has_subscribers:
            return
        rows = reader.execute(
            f"SELECT {_LOG_COLUMNS} FROM change_log WHERE batch = %s ORDER BY seq", (batch,)
        ).fetchall()
        self._publish([_change(row) for row in rows])
