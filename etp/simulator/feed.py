"""The rig on the air: a :class:`~etp.simulator.Rig` feeding an ETP store in real time.

::

    feed = RigFeed("ws://127.0.0.1:9002/", seed=7, rate_hz=100, reconnect=True)
    status = await feed.run(duration=60, on_status=print)   # or until feed.stop()

What :meth:`RigFeed.run` does, in order:

1. connects (with ``token``) and creates ``dataspace`` if the store lacks it;
2. puts the rig's Well, Wellbore, time Log, depth Log (with their channels) and Trajectory,
   those the store does not hold yet. When it holds the time Log already (the same seed ran
   before), the rig is built again with that Log's start time and resumes after the stored end
   index: a gap of up to :data:`MAX_BACKFILL` seconds is filled in, as a rig's recorder
   buffers; anything older is skipped (the crew drilled on while the recorder was off);
3. opens every channel of both Logs (ChannelDataLoad OpenChannels);
4. streams in real time: each tick (every sample up to 10 Hz, every :data:`TICK` seconds
   above) the rig's clock moves to the wall clock's and the new rows of both Logs go as
   ChannelData; survey stations go as GrowingObject PutParts of the Trajectory when they reach
   the surface (the whole Trajectory with Store PutDataObjects if the store lacks protocol 6);
5. every :data:`CONFIRM_EVERY` seconds it checks with the store that everything sent is stored
   (``loader.flush``); what the store refused is counted in ``status.refused`` and not resent;
6. on a lost connection with ``reconnect``: reconnects with backoff, opens the channels again
   and sends what the store had not stored (each channel's points after its end index), then
   catches up; without ``reconnect`` the :class:`~etp.errors.ConnectionClosed` propagates;
7. on :meth:`RigFeed.stop` (a signal) or after ``duration``: a last check, CloseChannels (the
   channels become inactive), CloseSession.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

import witsml
from etp.client import Client, connect
from etp.client_channels import ChannelLoader
from etp.errors import (
    ConnectionClosed,
    ErrorCode,
    ProtocolErrors,
    RequestTimeout,
    SessionError,
)
from etp.messages.data_items import DataItems
from etp.simulator.rig import Batch, Rig
from etp.uri import DataObjectUri, DataspaceUri
from witsml.objects import Log, TrajectoryStation

__all__ = ["CONFIRM_EVERY", "MAX_BACKFILL", "TICK", "FeedStatus", "RigFeed"]

log = logging.getLogger("etp.simulator")

TICK = 0.1
"""Seconds between two ChannelData of the time log when sampling faster than 10 Hz."""
MAX_BACKFILL = 600.0
"""Seconds of missed data the rig fills in when it resumes (older data is skipped)."""
CONFIRM_EVERY = 1.0
"""Seconds between two checks that the store holds everything sent."""
MAX_STEP = 10.0
"""Simulated seconds per step while catching up (bounds the memory of one batch)."""

_GROWING_OBJECT = 6
_LOST = (ConnectionClosed, SessionError, RequestTimeout)


@dataclasses.dataclass
class FeedStatus:
    """Where the rig and its feed are (``RigFeed.status``, updated as it runs)."""

    rig_time: datetime | None = None
    """The rig's clock (None before it starts)."""
    hole_depth: float = 0.0
    """Measured depth of the hole, m."""
    bit_depth: float | None = None
    """The last bit depth recorded, m."""
    points_sent: int = 0
    points_stored: int = 0
    """Points the store confirmed holding (those sent between two checks are counted only
    when the store refused none of them)."""
    refused: int = 0
    """ChannelData messages the store refused."""
    stations: int = 0
    """Survey stations put."""
    reconnects: int = 0
    resumed_from: datetime | None = None
    """The stored end of the time log the rig resumed after (None: a new rig)."""

    def line(self) -> str:
        """The status as one line of text."""
        when = "-" if self.rig_time is None else f"{self.rig_time:%Y-%m-%d %H:%M:%S}Z"
        bit = "-" if self.bit_depth is None else f"{self.bit_depth:.1f}"
        return (
            f"{when} hole {self.hole_depth:.1f} m, bit {bit} m; points sent {self.points_sent:,}"
            f", stored {self.points_stored:,}; refused messages {self.refused}; stations "
            f"{self.stations}; reconnections {self.reconnects}"
        )


@dataclasses.dataclass
class _Link:
    """One session with the store: the client and the loader of both Logs' channels."""

    client: Client
    loader: ChannelLoader
    ids: dict[str, dict[str, int]]
    """Per Log URI (as the rig names it): rig channel URI → the session's channel id."""
    ends: dict[int, int | float]
    """Channel id → its end index in the store when opened."""


class RigFeed:
    """A simulated rig feeding the store at ``url`` (see the module documentation).

    ``seed``, ``rate_hz`` and ``start_depth`` are the :class:`~etp.simulator.Rig`'s; the same
    seed finds and continues its objects in the store. ``connect_options`` go to
    :func:`etp.client.connect`. ``clock`` gives the wall-clock time (seconds since 1970).
    """

    def __init__(
        self,
        url: str,
        *,
        seed: int = 0,
        rate_hz: float = 1.0,
        start_depth: float = 1500.0,
        token: str | None = None,
        dataspace: str = "eml:///",
        reconnect: bool = False,
        connect_options: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.seed = seed
        self.rate_hz = rate_hz
        self.start_depth = start_depth
        self.dataspace = str(DataspaceUri.parse(dataspace))
        self.reconnect = reconnect
        self.status = FeedStatus()
        self._token = token
        self._options = connect_options or {}
        self._clock = clock
        self._tick = max(1.0 / rate_hz, TICK)
        self._stopping = asyncio.Event()
        self._rig: Rig | None = None
        self._uris: dict[str, str] = {}
        """The rig's object URIs → the same objects' URIs in the dataspace."""
        self._unconfirmed: list[tuple[Batch, int]] = []
        """Batches sent since the last check (with their point counts), sent again after a
        lost connection."""
        self._stations: list[TrajectoryStation] = []
        """Stations not yet put."""

    def stop(self) -> None:
        """Ask :meth:`run` to finish (last check, channels closed); safe from a signal handler."""
        self._stopping.set()

    async def run(
        self,
        *,
        duration: float | None = None,
        on_status: Callable[[FeedStatus], None] | None = None,
        status_every: float = 10.0,
    ) -> FeedStatus:
        """Feed the store until :meth:`stop` or for ``duration`` seconds (from when its channels
        are open); ``on_status`` gets the status every ``status_every`` seconds and at the end.
        Raises ConnectionClosed when the store cannot be reached (at once, or when lost without
        ``reconnect``) and ProtocolErrors when it refuses the objects."""
        loop = asyncio.get_running_loop()
        link = await self._first_link()
        deadline = None if duration is None else loop.time() + duration
        try:
            next_status = loop.time() + status_every
            next_check = loop.time() + CONFIRM_EVERY
            while not self._stopping.is_set():
                now = loop.time()
                if deadline is not None and now >= deadline:
                    break
                if on_status is not None and now >= next_status:
                    on_status(self.status)
                    next_status = now + status_every
                try:
                    if now >= next_check:
                        await self._confirm(link)
                        next_check = loop.time() + CONFIRM_EVERY
                    wait = await self._step(link)
                except _LOST as e:
                    if not self.reconnect:
                        raise ConnectionClosed(f"lost the store at {self.url}: {e}") from None
                    log.warning("lost the store at %s (%s): reconnecting", self.url, e)
                    relinked = await self._relink()
                    if relinked is None:  # stopped meanwhile
                        break
                    link = relinked
                    continue
                if wait > 0:
                    if deadline is not None:
                        wait = min(wait, deadline - loop.time())
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(max(wait, 0.0)):
                            await self._stopping.wait()
            await self._finish(link)
        finally:
            await link.client.close()
        if on_status is not None:
            on_status(self.status)
        return self.status

    # --- connecting ----------------------------------------------------------------------------

    async def _connect(self) -> Client:
        return await connect(self.url, token=self._token, **self._options)

    async def _first_link(self) -> _Link:
        delay = 0.5
        while True:
            try:
                client = await self._connect()
                break
            except ConnectionClosed as e:
                if not self.reconnect or self._stopping.is_set():
                    raise
                log.warning("cannot reach %s (%s): retrying in %g s", self.url, e, delay)
                await self._pause(delay)
                delay = min(2 * delay, 10.0)
        try:
            rig = self._rig = await self._find_rig(client)
            await self._put_missing(client, rig)
            link = await self._open(client)
            self._resume(rig, link)
            if self._stations:
                await self._put_stations(client)
        except BaseException:
            await client.close()
            raise
        return link

    async def _relink(self) -> _Link | None:
        """A new session after the last one was lost: the objects checked, the channels open
        again, and what the store did not store sent again (None: stopped meanwhile)."""
        assert self._rig is not None
        self.status.reconnects += 1
        delay = 0.5
        while not self._stopping.is_set():
            try:
                client = await self._connect()
            except ConnectionClosed as e:
                log.warning("cannot reach %s (%s): retrying in %g s", self.url, e, delay)
                await self._pause(delay)
                delay = min(2 * delay, 10.0)
                continue
            try:
                await self._put_missing(client, self._rig)
                link = await self._open(client)
                for batch, _ in self._unconfirmed:
                    await self._send(link, batch, after_ends=True)
                if self._stations:
                    await self._put_stations(client)
                log.info("reconnected to %s", self.url)
                return link
            except _LOST as e:
                await client.close()
                log.warning("lost %s again (%s): retrying in %g s", self.url, e, delay)
                await self._pause(delay)
                delay = min(2 * delay, 10.0)
        return None

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    # --- the objects ----------------------------------------------------------------------------

    def _in_dataspace(self, uri: str) -> str:
        parsed = DataObjectUri.parse(uri)
        path = DataspaceUri.parse(self.dataspace).path
        return str(DataObjectUri.build(parsed.qualified_type, parsed.uuid, dataspace=path))

    async def _find_rig(self, client: Client) -> Rig:
        """The rig: built again with its stored time Log's start time when the store has it."""
        if self.dataspace != "eml:///":
            known = {ds.uri for ds in await client.get_dataspaces()}
            if self.dataspace not in known:
                await client.put_dataspaces([self.dataspace])
        probe = Rig(seed=self.seed, rate_hz=self.rate_hz, start_depth=self.start_depth)
        self._uris = {o.uri: self._in_dataspace(o.uri) for o in probe.objects()}
        time_log = self._uris[probe.objects().time_log.uri]
        found = await _stored(client, [time_log])
        start = datetime.fromtimestamp(int(self._clock()), UTC)
        stored = found.get(time_log)
        if isinstance(stored, Log) and stored.citation.creation is not None:
            start = stored.citation.creation.astimezone(UTC)
        return Rig(
            seed=self.seed, rate_hz=self.rate_hz, start_time=start, start_depth=self.start_depth
        )

    async def _put_missing(self, client: Client, rig: Rig) -> None:
        objects = rig.objects()
        found = await _stored(client, [self._uris[o.uri] for o in objects])
        missing = [o for o in objects if self._uris[o.uri] not in found]
        if missing:
            await client.put_data_objects(
                [witsml.to_xml(o, pretty=False) for o in missing], dataspace=self.dataspace
            )
            log.info("put %s", ", ".join(type(o).__name__ for o in missing))

    async def _open(self, client: Client) -> _Link:
        assert self._rig is not None
        objects = self._rig.objects()
        logs = (objects.time_log, objects.depth_log)
        loader = await client.load([self._uris[x.uri] for x in logs])
        by_uuid = {DataObjectUri.parse(c.uri).uuid: c for c in loader.channels}
        ids: dict[str, dict[str, int]] = {}
        for each in logs:
            channels = each.channel_sets[0].channels
            ids[each.uri] = {c.uri: by_uuid[c.uuid].id for c in channels if c.uuid in by_uuid}
        ends = {c.id: c.end for c in loader.channels if c.end is not None}
        return _Link(client, loader, ids, ends)

    def _resume(self, rig: Rig, link: _Link) -> None:
        """Move the new rig's clock to where its data continues the stored data."""
        objects = rig.objects()
        time_ids = link.ids[objects.time_log.uri].values()
        ends = [link.ends[i] for i in time_ids if i in link.ends]
        start_us = int(rig.start_time.timestamp() * 1_000_000)
        now_us = int(self._clock() * 1_000_000)
        resume_us = start_us
        if ends:
            end = int(max(ends))
            self.status.resumed_from = datetime.fromtimestamp(end / 1e6, UTC)
            resume_us = end + 1
        resume_us = max(resume_us, now_us - round(MAX_BACKFILL * 1e6))
        if resume_us > start_us:
            self._stations += rig.skip((resume_us - start_us) / 1e6)
        if ends:
            log.info(
                "resuming the rig of seed %d after %s (stored end of its time log)",
                self.seed,
                self.status.resumed_from,
            )
        self._update_status(rig)

    # --- streaming ------------------------------------------------------------------------------

    async def _step(self, link: _Link) -> float:
        """Advance the rig to the wall clock and send its rows; seconds to wait until the
        next tick."""
        rig = self._rig
        assert rig is not None
        behind = self._clock() - rig.time.timestamp()
        if behind < self._tick:
            return self._tick - behind
        step = rig.advance(min(behind, MAX_STEP))
        self._update_status(rig)
        if len(step.time_log):
            self.status.bit_depth = float(step.time_log.values[0][-1])
        self._stations += step.stations
        # kept before sending: a lost connection sends them again on the next session
        batches = [b for b in step.batches if len(b)]
        self._unconfirmed += [(b, len(b) * len(link.ids[b.log.uri])) for b in batches]
        for batch in batches:
            await self._send(link, batch)
        if self._stations:
            await self._put_stations(link.client)
        return 0.0

    async def _send(self, link: _Link, batch: Batch, *, after_ends: bool = False) -> None:
        """Send a batch's rows (only the points after each channel's stored end with
        ``after_ends``)."""
        items = batch.data_items(link.ids[batch.log.uri])
        if after_ends and link.ends:
            ends = np.array([link.ends.get(i, -np.inf) for i in items.channel_ids.tolist()])
            keep = items.indexes > ends
            if not keep.all():
                nulls = None if items.nulls is None else items.nulls[keep]
                items = DataItems(
                    items.channel_ids[keep], items.indexes[keep], items.values[keep], nulls
                )
        if len(items):
            await link.loader.append(items)
        self.status.points_sent += len(items)

    async def _confirm(self, link: _Link) -> None:
        """Check that the store holds everything sent; count what it refused."""
        confirmed = sum(n for _, n in self._unconfirmed)
        try:
            await link.loader.flush()
        except ProtocolErrors as e:  # which points were refused is not known: none counted
            confirmed = 0
            self.status.refused += len(e.errors)
            for key, error in e.errors.items():
                log.warning("the store refused ChannelData (%s): %s", key, error)
        self.status.points_stored += confirmed
        self._unconfirmed.clear()

    async def _put_stations(self, client: Client) -> None:
        """Put the stations due: PutParts, or the whole Trajectory without protocol 6."""
        rig = self._rig
        assert rig is not None
        stations = list(self._stations)
        uri = self._uris[rig.objects().trajectory.uri]
        granted = {p.protocol for p in client.negotiated.protocols}
        try:
            if _GROWING_OBJECT in granted:
                await client.put_parts(uri, stations)
            else:
                trajectory = rig.objects().trajectory
                await client.put_data_objects(
                    [witsml.to_xml(trajectory, pretty=False)], dataspace=self.dataspace
                )
            self.status.stations += len(stations)
        except ProtocolErrors as e:
            log.error("the store refused survey stations of %s: %s", uri, e)
        del self._stations[: len(stations)]

    def _update_status(self, rig: Rig) -> None:
        self.status.rig_time = rig.time
        self.status.hole_depth = rig.hole_depth

    async def _finish(self, link: _Link) -> None:
        """The last check and CloseChannels, when the session is still there."""
        with contextlib.suppress(*_LOST):
            await self._confirm(link)
            await link.loader.close()


async def _stored(client: Client, uris: Sequence[str]) -> dict[str, Any]:
    """Those of ``uris`` the store holds, typed, by URI (absent: ENOT_FOUND)."""
    try:
        return dict(await client.get_data_objects(uris))
    except ProtocolErrors as e:
        others = {k: v for k, v in e.errors.items() if v.code is not ErrorCode.ENOT_FOUND}
        if others:
            raise
        return e.results if isinstance(e.results, dict) else {}
