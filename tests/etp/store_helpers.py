"""Shared by the tests of etp.store: backend URLs (SQLite file, PostgreSQL schema) and records."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from etp.store import ActiveStatus, ObjectRecord, Reference, RelationshipKind, Store, open_store
from etp.uri import DataObjectUri, DataspaceUri

POSTGRES_ENV = "ETP_TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    """The test server's URL, or skip the calling test saying why."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    return url


def with_search_path(url: str, schema: str) -> str:
    """``url`` whose connections use ``schema`` (libpq ``options=-csearch_path=...``)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test server, dropped afterwards; yields a store URL using it."""
    import psycopg

    base = postgres_base_url()
    schema = f"etp_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextlib.contextmanager
def backend_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A store URL of an empty store of ``backend`` ("sqlite" or "postgres")."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with postgres_schema() as url:
            yield url


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Store]:
    store = await open_store(url)
    try:
        yield store
    finally:
        await store.close()


def dataspace_uri(path: str = "") -> str:
    return str(DataspaceUri(path))


def record(
    qualified_type: str,
    name: str = "",
    *,
    references: tuple[str, ...] = (),
    secondary: tuple[str, ...] = (),
    contained: tuple[ObjectRecord, ...] = (),
    dataspace: str = "",
    uid: str | None = None,
    active: bool = False,
    version: str = "",
    last_changed: int = 1_600_000_000_000_000,
    xml: bytes | None = None,
) -> ObjectRecord:
    """An object record as describe() would make it (the store never reads the XML)."""
    uid = uid or str(uuid.uuid4())
    uri = str(DataObjectUri.build(qualified_type, uid, dataspace=dataspace))
    refs = tuple(Reference(t) for t in references) + tuple(
        Reference(t, RelationshipKind.SECONDARY) for t in secondary
    )
    return ObjectRecord(
        uri=uri,
        dataspace=dataspace_uri(dataspace),
        qualified_type=qualified_type,
        uuid=uid,
        name=name or f"{qualified_type} {uid[:8]}",
        xml=xml if xml is not None else f"<{qualified_type} uuid='{uid}'/>".encode(),
        last_changed=last_changed,
        object_version=version,
        active_status=ActiveStatus.ACTIVE if active else ActiveStatus.INACTIVE,
        references=refs,
        contained=contained,
    )
