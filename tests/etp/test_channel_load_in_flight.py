"""ChannelDataLoad store side: ChannelData messages wait for their commits several at a time,
and what that must not change (per-message refusals, ordering, nothing lost at the end)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import etp
from etp.errors import ProtocolErrors
from etp.messages import channel_data_load as load_msg
from etp.messages.data_items import DataItems
from etp.protocols.channel_data_load import IN_FLIGHT

from .channel_protocols_helpers import T0, TIME, eventually, put_log, serving

ROWS = 500


def rows(ids: list[int], first: int, count: int = ROWS) -> DataItems:
    """``count`` rows of every channel in ``ids``, time index from row ``first``."""
    index = T0 + np.arange(first, first + count, dtype=np.int64) * 1000
    k = len(ids)
    return DataItems(
        np.tile(np.array(ids, np.int64), count), np.repeat(index, k), np.repeat(index * 1.0, k)
    )


async def test_a_refusal_among_messages_in_flight_answers_that_message(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store), etp.connect(server.url) as client:
        log = await put_log(store, ["A", "B", "C"], TIME)
        loader = await client.load(log.uri)
        ids = list(loader.ids.values())
        firsts = [0, ROWS, ROWS // 2, 2 * ROWS, 3 * ROWS, 4 * ROWS]  # the third goes back
        sent = [await client.send(load_msg.ChannelData(data=rows(ids, f))) for f in firsts]
        assert len(sent) > IN_FLIGHT
        try:
            await loader.flush()
        except ProtocolErrors as e:
            refused = e.errors
        assert list(refused) == [f"message {sent[2]}"]
        assert "EINVALID_APPEND" in str(refused[f"message {sent[2]}"])
        stored = await client.get_range(log.uri)
        for channel in stored.by_channel().values():
            expected = np.concatenate([rows(ids[:1], f).indexes for f in firsts if f != ROWS // 2])
            assert np.array_equal(channel.index, expected)
        await loader.close()


async def test_what_was_sent_before_the_session_closed_is_stored(tmp_path: Path) -> None:
    async with serving(tmp_path) as (server, store):
        log = await put_log(store, ["A", "B"], TIME)
        client = await etp.connect(server.url)
        loader = await client.load(log.uri)
        ids = list(loader.ids.values())
        for n in range(3 * IN_FLIGHT):
            await client.send(load_msg.ChannelData(data=rows(ids, n * ROWS)))
        await client.close()  # no flush: CloseSession right after the data

        async def all_stored() -> bool:
            infos = await store.channels.info(log.keys)
            return all(info.count == 3 * IN_FLIGHT * ROWS for info in infos.values())

        await eventually(all_stored)
