"""etp.store durability: a batch killed mid-write leaves nothing; versioned schema migrations."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from etp.errors import StoreError
from etp.store import ResourceQuery, open_store
from etp.store.migrations import pending
from tests.etp.store_helpers import backend_url, opened, record

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# The child commits one batch, then starts a big one and parks inside its transaction as soon
# as the object rows are written (edges are next), telling the parent, who kills it (SIGKILL).
CHILD = textwrap.dedent(
    """
    import asyncio, sqlite3, sys, time
    import psycopg
    from etp.store import open_store
    from tests.etp.store_helpers import record

    armed = False

    def park(query):  # edges are written right after the objects: INSERT (SQLite), COPY (PG)
        text = str(query)
        if armed and "edges" in text and ("INSERT" in text or "COPY" in text):
            print("in the middle of the batch", flush=True)
            time.sleep(600)

    real_connect = sqlite3.connect
    def connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(park)
        return conn
    sqlite3.connect = connect

    real_copy = psycopg.Cursor.copy
    def copy(self, statement, *args, **kwargs):
        park(statement)
        return real_copy(self, statement, *args, **kwargs)
    psycopg.Cursor.copy = copy

    async def main(url):
        global armed
        store = await open_store(url)
        well = record("witsml20.Well", "committed")
        await store.put_objects([well])
        print(well.uri, flush=True)
        big = b"<Wellbore>" + b"x" * 4000 + b"</Wellbore>"  # spills uncommitted pages to the WAL
        batch = [record("witsml20.Wellbore", references=(well.uri,), xml=big) for _ in range(2000)]
        armed = True
        await store.put_objects(batch)
        print("the batch committed: the test did not kill in time", flush=True)

    asyncio.run(main(sys.argv[1]))
    """
)


def kill_midway(url: str) -> str:
    """Run the child against ``url`` and SIGKILL it mid-batch; the URI it committed first."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        committed = child.stdout.readline().strip()
        middle = child.stdout.readline().strip()
        assert middle == "in the middle of the batch", child.stderr.read() if child.stderr else ""
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    return committed


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_batch_killed_midway_leaves_nothing_behind(backend: str, tmp_path: Path) -> None:
    with backend_url(backend, tmp_path) as url:
        committed = await asyncio.to_thread(kill_midway, url)
        async with opened(url) as store:
            page = await store.get_resources(ResourceQuery("eml:///"))
            assert [r.uri for r in page.resources] == [committed]
            again = await store.put_objects([record("witsml20.Wellbore", references=(committed,))])
            assert again[0].created
        if backend == "sqlite":
            db = sqlite3.connect(url.removeprefix("sqlite:///"))
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT COUNT(*) FROM edges").fetchone() == (1,)
            db.close()


# -- migrations --------------------------------------------------------------------------------


def _schema_versions(url: str) -> list[int]:
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return [row[0] for row in db.execute("SELECT version FROM schema_version ORDER BY 1")]
        finally:
            db.close()
    import psycopg

    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY 1")]


def _set_version(url: str, version: int) -> None:
    sql = "INSERT INTO schema_version (version, applied_at) VALUES (999, 0)".replace(
        "999", str(version)
    )
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        with db:
            db.execute(sql)
        db.close()
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migrations_apply_once_and_a_newer_schema_is_refused(
    backend: str, tmp_path: Path
) -> None:
    latest = len(pending(backend, 0, where="test"))
    with backend_url(backend, tmp_path) as url:
        async with opened(url):
            pass
        async with opened(url):
            pass
        assert _schema_versions(url) == list(range(1, latest + 1))
        _set_version(url, latest + 1)
        with pytest.raises(StoreError, match=rf"schema version {latest + 1} is newer"):
            await open_store(url)


def test_pending_lists_what_a_database_lacks() -> None:
    steps = pending("sqlite", 0, where="x")
    assert [s.version for s in steps] == list(range(1, len(steps) + 1))
    assert steps[0].name == "0001_initial.sql"
    assert pending("sqlite", len(steps), where="x") == []
    with pytest.raises(StoreError, match="x: store schema version"):
        pending("sqlite", len(steps) + 1, where="x")


async def test_bad_urls_are_refused_clearly(tmp_path: Path) -> None:
    for url in ("mysql://x", "sqlite://relative.db", "sqlite:///:memory:", "sqlite:///"):
        with pytest.raises(StoreError, match="URL"):
            await open_store(url)
    with pytest.raises(StoreError, match="cannot open"):
        await open_store(f"sqlite:///{tmp_path}/no/such/dir/store.db")
    with pytest.raises(StoreError, match="cannot connect"):
        await open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
