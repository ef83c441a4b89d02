"""Stores for the benchmarks: a temporary SQLite file, or a scratch PostgreSQL schema on the
server ``ETP_TEST_POSTGRES_URL`` names (made for the run, dropped after it)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

POSTGRES_ENV = "ETP_TEST_POSTGRES_URL"


@contextmanager
def store_url(backend: str, name: str) -> Iterator[str | None]:
    """The URL of an empty store of ``backend`` ("sqlite" or "postgres"; None when no
    PostgreSQL server is configured); ``name`` names the file or schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/{name}.db"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield None
        return
    import psycopg

    schema = f"bench_{name}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"'.encode())
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE'.encode())
