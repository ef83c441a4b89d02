"""W2, storage part: the ETP store's put, Discovery and get, on SQLite and PostgreSQL.

10,000 Well/Wellbore/Trajectory objects (per Well: 3 Wellbores, 2 Trajectories each; the XML of
``examples/data``) are put in batches of 100, then everything is listed (Discovery of the
default dataspace), graphs are walked (a Well's sources, depth 2) and 1,000 random URIs are got,
in one request and one by one. Put throughput is also reported for the median batch of the
first and of the last 1,000 objects: it must not fall as the store grows (``growth`` near 1).

Floor: the same batches written as bare rows (URI and XML into a table with one unique index,
one transaction per batch) in the same database; ``ratio`` is the floor's rate over ours.
PostgreSQL runs when ``ETP_TEST_POSTGRES_URL`` names a server (a scratch schema is made and
dropped); otherwise its rows say it was skipped.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from benchmarks import stores
from etp.store import ContextScope, ObjectRecord, Reference, ResourceQuery, Store, open_store
from etp.uri import DataObjectUri

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
BATCH = 100


def _xml(name: str) -> bytes:
    path = EXAMPLES / name
    return path.read_bytes() if path.exists() else b"<x>" + b"." * 2000 + b"</x>"


def _record(qualified_type: str, xml: bytes, refs: tuple[str, ...] = ()) -> ObjectRecord:
    uid = str(uuid.uuid4())
    return ObjectRecord(
        uri=str(DataObjectUri.build(qualified_type, uid)),
        dataspace="eml:///",
        qualified_type=qualified_type,
        uuid=uid,
        name=f"{qualified_type.partition('.')[2]} {uid[:8]}",
        xml=xml,
        last_changed=1_700_000_000_000_000,
        references=tuple(Reference(r) for r in refs),
    )


def make_objects(count: int) -> list[ObjectRecord]:
    """Wells, their Wellbores and Trajectories, in groups of 10, ``count`` in all."""
    well_xml, wellbore_xml, trajectory_xml = (
        _xml("well.xml"),
        _xml("wellbore.xml"),
        _xml("trajectory.xml"),
    )
    objects: list[ObjectRecord] = []
    while len(objects) < count:
        well = _record("witsml20.Well", well_xml)
        objects.append(well)
        for _ in range(3):
            wellbore = _record("witsml20.Wellbore", wellbore_xml, (well.uri,))
            objects.append(wellbore)
            objects += [
                _record("witsml20.Trajectory", trajectory_xml, (wellbore.uri,)) for _ in range(2)
            ]
    return objects[:count]


async def _timed(step: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await step()
    return time.perf_counter() - start


def _floor_rate(url: str, objects: list[ObjectRecord]) -> float:
    """Objects/s writing the bare rows, one transaction per batch (blocking; run in a thread)."""
    rows = [(o.uri, o.xml) for o in objects]
    create = "CREATE TABLE bench_floor (uri TEXT PRIMARY KEY, xml {} NOT NULL)"
    insert = "INSERT INTO bench_floor (uri, xml) VALUES ({0}, {0})"
    if url.startswith("sqlite:///"):
        import sqlite3

        db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")  # as the store (the file is already in WAL mode)
        db.execute(create.format("BLOB"))
        start = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            db.execute("BEGIN IMMEDIATE")
            db.executemany(insert.format("?"), rows[i : i + BATCH])
            db.execute("COMMIT")
        elapsed = time.perf_counter() - start
        db.close()
        return len(rows) / elapsed
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(create.format("BYTEA").encode())
        start = time.perf_counter()
        for i in range(0, len(rows), BATCH):
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(insert.format("%s").encode(), rows[i : i + BATCH])
        return len(rows) / (time.perf_counter() - start)


async def _bench(url: str, count: int, gets: int) -> list[dict[str, object]]:
    objects = make_objects(count)
    rows: list[dict[str, object]] = []

    def row(step: str, n: int, seconds: float, **extra: object) -> None:
        rows.append(
            {
                "step": step,
                "objects": n,
                "seconds": round(seconds, 4),
                "objects_per_s": round(n / seconds),
                **extra,
            }
        )

    store: Store = await open_store(url)
    try:
        times = []
        for i in range(0, count, BATCH):
            batch = objects[i : i + BATCH]
            times.append(await _timed(lambda b=batch: store.put_objects(b)))  # type: ignore[misc]
        per_k = 1000 // BATCH
        floor = await asyncio.to_thread(_floor_rate, url, make_objects(count))
        total = sum(times)
        row("put_all", count, total, ratio=round(floor / (count / total), 2))
        # The median batch resists the noise of a shared machine better than the sum.
        first, last = statistics.median(times[:per_k]), statistics.median(times[-per_k:])
        row("put_first_1k_median_batch", BATCH, first)
        row("put_last_1k_median_batch", BATCH, last, growth=round(first / last, 2))
        rows.append({"step": "floor_bare_rows", "objects": count, "objects_per_s": round(floor)})

        everything = ResourceQuery("eml:///", scope=ContextScope.TARGETS_OR_SELF)
        page = await store.get_resources(everything)  # warm
        assert len(page.resources) == count, len(page.resources)
        row("discover_all", count, await _timed(lambda: store.get_resources(everything)))
        full = ResourceQuery(
            "eml:///", scope=ContextScope.TARGETS_OR_SELF, count_objects=True, include_edges=True
        )
        row("discover_all_counts_edges", count, await _timed(lambda: store.get_resources(full)))

        rng = random.Random(2)
        wells = [o.uri for o in objects if o.qualified_type == "witsml20.Well"]
        walks = [
            ResourceQuery(w, scope=ContextScope.SOURCES, depth=2) for w in rng.sample(wells, 100)
        ]
        found = 0

        async def walk_all() -> None:
            nonlocal found
            for query in walks:
                found += len((await store.get_resources(query)).resources)

        seconds = await _timed(walk_all)
        rows.append(
            {
                "step": "walk_well_sources_depth2",
                "queries": len(walks),
                "ms_per_query": round(seconds / len(walks) * 1000, 3),
                "objects_per_query": found / len(walks),
            }
        )

        picks = [o.uri for o in rng.sample(objects, gets)]
        got: dict[str, object] = {}

        async def get_batch() -> None:
            got.update(await store.get_objects(picks))

        row("get_random_batch", gets, await _timed(get_batch))
        assert len(got) == len(set(picks))

        async def get_one_by_one() -> None:
            for uri in picks:
                await store.get_objects([uri])

        row("get_random_one_by_one", gets, await _timed(get_one_by_one))
    finally:
        await store.close()
    return rows


def run(quick: bool) -> Iterable[dict[str, object]]:
    count, gets = (1_000, 200) if quick else (10_000, 1_000)
    for backend in ("sqlite", "postgres"):
        with stores.store_url(backend, "w2") as url:
            if url is None:
                yield {"backend": backend, "skipped": f"{stores.POSTGRES_ENV} is not set"}
                continue
            for result in asyncio.run(_bench(url, count, gets)):
                yield {"backend": backend, **result}
