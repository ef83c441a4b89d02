"""Shared by the store-protocol tests: a store server in this process, identities, documents."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from etp.auth import Identity
from etp.errors import ErrorCode, ProtocolError
from etp.protocols.store_backend import StoreLimits
from etp.server import Server
from etp.store import Store, open_store
from etp.store_server import store_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
WELL_UUID = "6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a01"
WELL = f"eml:///witsml20.Well({WELL_UUID})"
WELLBORE = "eml:///witsml20.Wellbore(6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a02)"
TRAJECTORY = "eml:///witsml20.Trajectory(6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a03)"
LOG = "eml:///witsml20.Log(de30b8af-8b4d-5063-a529-5eaff8940bf3)"

WITSML = "http://www.energistics.org/energyml/data/witsmlv2"
EML = "http://www.energistics.org/energyml/data/commonv2"

#: Bearer tokens of the test server and the identities they stand for.
IDENTITIES: Mapping[str, Identity] = {
    "admin": Identity("admin", read=("*",), write=("*",)),
    "reader": Identity("reader", read=("eml:///",)),
    "rig": Identity("rig", write=("eml:///dataspace('rig')",)),
}


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def well_xml(uid: str | None = None, title: str = "Test well") -> bytes:
    uid = uid or str(uuid.uuid4())
    return (
        f'<?xml version="1.0" encoding="utf-8"?>'
        f'<Well xmlns="{WITSML}" xmlns:eml="{EML}" schemaVersion="2.0" uuid="{uid}">'
        f"<eml:Citation><eml:Title>{title}</eml:Title><eml:Originator>tests</eml:Originator>"
        f"<eml:Creation>2024-01-01T00:00:00Z</eml:Creation><eml:Format>tests</eml:Format>"
        f"</eml:Citation><TimeZone>+00:00</TimeZone></Well>"
    ).encode()


def wellbore_xml(well: str, uid: str | None = None, title: str = "Test wellbore") -> bytes:
    uid = uid or str(uuid.uuid4())
    return (
        f'<?xml version="1.0" encoding="utf-8"?>'
        f'<Wellbore xmlns="{WITSML}" xmlns:eml="{EML}" schemaVersion="2.0" uuid="{uid}">'
        f"<eml:Citation><eml:Title>{title}</eml:Title><eml:Originator>tests</eml:Originator>"
        f"<eml:Creation>2024-01-01T00:00:00Z</eml:Creation><eml:Format>tests</eml:Format>"
        f"</eml:Citation><Well><eml:ContentType>application/x-witsml+xml;version=2.0;type=Well"
        f"</eml:ContentType><eml:Title>w</eml:Title><eml:Uuid>{well}</eml:Uuid></Well></Wellbore>"
    ).encode()


def uri_of(xml: bytes, dataspace: str = "") -> str:
    import witsml
    from etp.uri import DataObjectUri

    obj: Any = witsml.parse(xml)
    return str(DataObjectUri.build(obj.qualified_type, obj.uuid, dataspace=dataspace))


def by_token(headers: Mapping[str, str]) -> Identity:
    """The test server's authenticate hook: ``Bearer <name>`` of :data:`IDENTITIES`."""
    token = headers.get("Authorization", "").removeprefix("Bearer ")
    if token not in IDENTITIES:
        raise ProtocolError(ErrorCode.EAUTHORIZATION_REQUIRED, "unknown test token")
    return IDENTITIES[token]


@asynccontextmanager
async def running(
    tmp_path: Path,
    *,
    limits: StoreLimits | None = None,
    authenticated: bool = False,
    load: tuple[str, ...] = (),
    **options: Any,
) -> AsyncIterator[tuple[Server, Store]]:
    """A store server on 127.0.0.1 (any free port) over a fresh SQLite store."""
    store = await open_store(f"sqlite:///{tmp_path / f'store-{uuid.uuid4().hex[:8]}.db'}")
    try:
        if load:
            from etp.store_server import load_files

            await load_files(store, [EXAMPLES / name for name in load])
        server = store_server(
            store, authenticate=by_token if authenticated else None, limits=limits, **options
        )
        async with server.serving("127.0.0.1", 0):
            yield server, store
    finally:
        await store.close()


@contextmanager
def running_in_thread(tmp_path: Path, load: tuple[str, ...] = ()) -> Iterator[str]:
    """:func:`running` on its own event loop in a thread (for the blocking client); its URL."""
    loop = asyncio.new_event_loop()
    url: concurrent.futures.Future[str] = concurrent.futures.Future()
    stop = asyncio.Event()

    async def serve() -> None:
        async with running(tmp_path, load=load) as (server, _):
            url.set_result(server.url)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield url.result(10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


ALL_EXAMPLES = ("well.xml", "wellbore.xml", "trajectory.xml", "log.xml")
