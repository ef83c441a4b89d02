"""GrowingObject (6) on Trajectory stations: what a part write and a range read cost.

For trajectories of 100 and 1,000 stations to begin with (``--quick``: 100 only; the puts add
250 more), on an in-process store server over a SQLite file: the latency of one PutParts of one
station (median of 50, one session; each rewrites the Trajectory in one transaction), the same
with 4 sessions putting to the same Trajectory at once (stations/s: the store serializes them),
a GetPartsByRange of a 100 m window (median of 50), and the in-process share of a put spent on
the XML (read the part, open the stored document, insert, sort, write back and describe it:
``edit_ms``, at the end size).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import witsml
from etp.client import Client, connect
from etp.protocols.trajectory_parts import TrajectoryDocument, read_part
from etp.store import open_store
from etp.store_server import load_files, store_server
from witsml import Trajectory, TrajectoryStation
from witsml.objects import DepthCoord, TrajStationType

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
TRAJECTORY = "eml:///witsml20.Trajectory(6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a03)"
REPEAT = 50
SESSIONS = 4


def _station(uid: str, md: float) -> TrajectoryStation:
    example = witsml.parse(EXAMPLES / "trajectory.xml")
    assert isinstance(example, Trajectory)
    template = example.stations[5]
    return template.model_copy(
        update={"uid": uid, "md": DepthCoord(value=md, uom="m", datum="RKB")}
    )


def _trajectory(stations: int) -> bytes:
    example = witsml.parse(EXAMPLES / "trajectory.xml")
    assert isinstance(example, Trajectory)
    template = example.stations[5]
    example.stations = [
        template.model_copy(
            update={
                "uid": f"s{i:05}",
                "md": DepthCoord(value=10.0 * i, uom="m", datum="RKB"),
                "type_traj_station": TrajStationType.MD_INCL_AND_AZI,
            }
        )
        for i in range(stations)
    ]
    return witsml.to_xml(example)


async def _median_ms(calls: Iterable[object]) -> float:
    times = []
    for call in calls:
        began = time.perf_counter()
        await call  # type: ignore[misc]
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 2)


async def _case(stations: int, folder: Path) -> dict[str, object]:
    path = folder / f"trajectory-{stations}.xml"
    path.write_bytes(_trajectory(stations))
    store = await open_store(f"sqlite:///{folder / f'store-{stations}.db'}")
    try:
        await load_files(store, [EXAMPLES / "well.xml", EXAMPLES / "wellbore.xml", path])
        server = store_server(store, authenticate=None)
        async with server.serving("127.0.0.1", 0):
            clients: list[Client] = [await connect(server.url) for _ in range(SESSIONS)]
            try:
                client = clients[0]
                deep = 10.0 * stations
                put_ms = await _median_ms(
                    client.put_parts(TRAJECTORY, [_station(f"p{i}", deep + i)])
                    for i in range(REPEAT)
                )
                began = time.perf_counter()
                await asyncio.gather(
                    *(
                        c.put_parts(TRAJECTORY, [_station(f"c{n}-{i}", deep + 100 + i + n / 10)])
                        for i in range(REPEAT)
                        for n, c in enumerate(clients)
                    )
                )
                concurrent = SESSIONS * REPEAT / (time.perf_counter() - began)
                mid = deep / 2
                range_ms = await _median_ms(
                    client.get_parts_by_range(TRAJECTORY, mid, mid + 100.0) for _ in range(REPEAT)
                )
                xml = (await client.get_data_objects_xml([TRAJECTORY]))[TRAJECTORY]
            finally:
                for c in clients:
                    await c.close()
    finally:
        await store.close()
    part = witsml.to_xml(_station("edit", 5.0))
    began = time.perf_counter()
    for _ in range(10):
        doc = TrajectoryDocument(xml, TRAJECTORY)
        doc.put(read_part("edit", part, max_size=1 << 30))
        doc.record("eml:///", active=True)
    edit_ms = (time.perf_counter() - began) * 100
    return {
        "case": f"{stations}_stations",
        "stations_at_end": len(TrajectoryDocument(xml, TRAJECTORY)),
        "trajectory_kb_at_end": round(len(xml) / 1024),
        "put_one_station_ms": put_ms,
        "concurrent_stations_per_s": round(concurrent),
        "get_range_100m_ms": range_ms,
        "edit_ms": round(edit_ms, 2),
    }


def run(quick: bool) -> Iterable[dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        for stations in (100,) if quick else (100, 1000):
            yield asyncio.run(_case(stations, Path(folder)))
