"""Property test: random append/replace/truncate sequences on one channel (depth or time,
increasing or decreasing, nulls) agree with an in-memory model; every range read, paged
continuation, latest read and extent equal the model's, and the stored blocks never overlap
(SQLite backend). The blocks are those a store that remembers no channel tails writes, with
one writer or two taking turns on the same file (each remembering the tails it wrote)."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import tempfile
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etp.errors import ErrorCode, ProtocolError
from etp.store import Store
from etp.store.channels import IndexDirection, Points
from tests.etp.channel_store_helpers import DEPTH, DOWN, TIME, UP, channel_record, put_channel
from tests.etp.store_helpers import opened


@dataclass(frozen=True)
class Append:
    offset: int  # first new grid step after the end (<= 0: does not append)
    steps: tuple[int, ...]  # grid steps between the new points (0: a duplicate)


@dataclass(frozen=True)
class Replace:
    a: int
    b: int
    picks: tuple[int, ...]  # grid positions inside [a, b] to insert


@dataclass(frozen=True)
class Truncate:
    at: int


@dataclass(frozen=True)
class Read:
    a: int | None
    b: int | None
    limit: int | None


Op = Append | Replace | Truncate | Read
GRID = 60

ops = st.one_of(
    st.builds(
        Append,
        st.integers(-2, 4),
        st.lists(st.integers(0, 3), max_size=30).map(tuple),
    ),
    st.builds(
        Replace,
        st.integers(-5, GRID + 5),
        st.integers(-5, GRID + 5),
        st.lists(st.integers(0, 12), max_size=6).map(tuple),
    ),
    st.builds(Truncate, st.integers(-5, GRID + 5)),
    st.builds(
        Read,
        st.one_of(st.none(), st.integers(-5, GRID + 5)),
        st.one_of(st.none(), st.integers(-5, GRID + 5)),
        st.one_of(st.none(), st.integers(1, 7)),
    ),
)


class Model:
    """The channel as a dict from grid position to value (None: null)."""

    def __init__(self, time_index: bool, direction: IndexDirection) -> None:
        self.time_index = time_index
        self.sign = 1 if direction is UP else -1
        self.points: dict[int, float | None] = {}
        self.counter = 0

    def index(self, position: int) -> float | int:
        """The index value of a grid position (decreasing channels grow downwards)."""
        step = self.sign * position
        return 1_700_000_000_000_000 + step * 1_000 if self.time_index else 100.0 + step * 0.25

    def column(self, positions: list[int]) -> np.ndarray:
        dtype = np.int64 if self.time_index else np.float64
        return np.array([self.index(p) for p in positions], dtype=dtype)

    def new_values(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        values = np.arange(self.counter, self.counter + n, dtype=np.float64) * 1.5
        nulls = (np.arange(self.counter, self.counter + n) % 5) == 3
        self.counter += n
        return values, nulls

    def ordered(self) -> list[int]:
        return sorted(self.points)

    def expect(self, positions: list[int]) -> list[tuple[float | int, float | None]]:
        return [(self.index(p), self.points[p]) for p in positions]


def got(points: Points) -> list[tuple[float | int, float | None]]:
    return list(zip(points.indexes.tolist(), points.value_list(), strict=True))


async def apply(store: Store, key: int, model: Model, op: Op) -> None:
    if isinstance(op, Append):
        end = max(model.points, default=-1)
        positions = [end + op.offset]
        for step in op.steps:
            positions.append(positions[-1] + step)
        values, nulls = model.new_values(len(positions))
        valid = (op.offset > 0 or not model.points) and all(s > 0 for s in op.steps)
        call = store.channels.append({key: Points(model.column(positions), values, nulls)})
        if not valid:
            with pytest.raises(ProtocolError) as caught:
                await call
            assert caught.value.code == ErrorCode.EINVALID_APPEND
            return
        await call
        for p, v, null in zip(positions, values.tolist(), nulls.tolist(), strict=True):
            model.points[p] = None if null else v
    elif isinstance(op, Replace):
        low, high = min(op.a, op.b), max(op.a, op.b)
        positions = sorted({low + p for p in op.picks if low + p <= high})
        values, nulls = model.new_values(len(positions))
        await store.channels.replace_range(
            model.index(op.a),
            model.index(op.b),
            {key: Points(model.column(positions), values, nulls)},
        )
        for p in [p for p in model.points if low <= p <= high]:
            del model.points[p]
        for p, v, null in zip(positions, values.tolist(), nulls.tolist(), strict=True):
            model.points[p] = None if null else v
    elif isinstance(op, Truncate):
        await store.channels.truncate({key: model.index(op.at)})
        for p in [p for p in model.points if p > op.at]:
            del model.points[p]
    else:
        await check_read(store, key, model, op)


async def check_read(store: Store, key: int, model: Model, op: Read) -> None:
    start = None if op.a is None else model.index(op.a)
    end = None if op.b is None else model.index(op.b)
    if op.a is not None and op.b is not None:
        low, high = min(op.a, op.b), max(op.a, op.b)
    else:
        low = -(10**9) if op.a is None else op.a
        high = 10**9 if op.b is None else op.b
    wanted = [p for p in model.ordered() if low <= p <= high]
    collected: list[tuple[float | int, float | None]] = []
    after = None
    while True:
        page = await store.channels.read_range(key, start, end, limit=op.limit, after=after)
        collected += got(page.points)
        if not page.more:
            break
        assert op.limit is not None
        assert len(page.points) == op.limit
        after = page.points.indexes[-1].item()
    assert collected == model.expect(wanted)


def spans(path: str, key: int) -> list[tuple[int, int, int]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT lo_key, hi_key, point_count FROM channel_data WHERE channel_id = ? "
            "ORDER BY lo_key",
            (key,),
        ).fetchall()


def check_blocks(path: str, key: int, count: int) -> None:
    """The stored blocks of the channel never overlap and hold ``count`` points."""
    found = spans(path, key)
    assert sum(n for _, _, n in found) == count
    for (_, hi, _), (lo, _, _) in itertools.pairwise(found):
        assert hi < lo, found


async def check_state(store: Store, key: int, model: Model) -> None:
    positions = model.ordered()
    info = (await store.channels.info([key]))[key]
    assert info.count == len(positions)
    assert (info.start, info.end) == (
        (model.index(positions[0]), model.index(positions[-1])) if positions else (None, None)
    )
    everything = await store.channels.read_range(key)
    assert got(everything.points) == model.expect(positions)
    latest = await store.channels.read_latest(key, 3)
    assert got(latest.points) == model.expect(positions[-3:])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    time_index=st.booleans(),
    decreasing=st.booleans(),
    writers=st.integers(1, 2),
    sequence=st.lists(ops, min_size=1, max_size=14),
)
def test_random_operations_agree_with_the_model(
    time_index: bool, decreasing: bool, writers: int, sequence: list[Op]
) -> None:
    direction = DOWN if decreasing else UP

    async def main() -> None:
        with tempfile.TemporaryDirectory() as folder:
            path, plain = f"{folder}/store.db", f"{folder}/plain.db"
            async with (
                opened(f"sqlite:///{path}") as store,
                opened(f"sqlite:///{path}") as other,
                opened(f"sqlite:///{plain}") as reference,
            ):
                record = channel_record(TIME if time_index else DEPTH, direction)
                info = await put_channel(store, record)
                assert (await put_channel(reference, record)).key == info.key
                model, same = Model(time_index, direction), Model(time_index, direction)
                for turn, op in enumerate(sequence):
                    by = (store, other)[turn % writers]
                    await apply(by, info.key, model, op)
                    await check_state(by, info.key, model)
                    check_blocks(path, info.key, len(model.points))
                    reference.channels._tails.clear()  # type: ignore[attr-defined]
                    await apply(reference, info.key, same, op)
                    assert spans(path, info.key) == spans(plain, info.key)

    asyncio.run(main())
