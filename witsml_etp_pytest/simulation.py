"""A drilling rig feeding an :class:`~witsml_etp_pytest.server.EtpServer` over ETP:
:class:`Simulation` (the ``etp_simulator`` fixture).

::

    simulation = Simulation.start(server, seed=7, rate_hz=10)   # the rig's objects put
    step = simulation.advance(60)     # a minute of drilling: new rows of both logs loaded
    step.time_log.table()             # what was sent (etp.simulator.Step)
    simulation.close()

The rig is :class:`etp.simulator.Rig`: a Well, a Wellbore, a time Log, a depth Log and a
Trajectory (uuids stable for the seed), then data as its clock advances. The simulation plays
the rig's data aggregator: a session of its own with the server (with the server's token) that
puts the objects (Store) and loads the channel data (ChannelDataLoad), so the server's
subscribers see what they would see from a real rig. :meth:`advance` returns once the store
has everything it sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from etp.simulator import Rig, RigObjects, Step

if TYPE_CHECKING:
    from etp.client_channels import SyncChannelLoader
    from etp.sync import SyncClient
    from witsml_etp_pytest.server import EtpServer

__all__ = ["Simulation"]


class Simulation:
    """A rig whose objects are in the server's store and whose data goes there as it drills."""

    def __init__(self, rig: Rig, client: SyncClient, loader: SyncChannelLoader) -> None:
        self.rig = rig
        """The simulator (its clock: ``rig.time``; the hole: ``rig.hole_depth``)."""
        self._client = client
        self._loader = loader

    @classmethod
    def start(
        cls,
        server: EtpServer,
        *,
        seed: int = 0,
        rate_hz: float = 1.0,
        start_time: datetime | None = None,
        start_depth: float = 1500.0,
    ) -> Simulation:
        """A rig (see :class:`etp.simulator.Rig`) whose objects are put in ``server``'s store
        and whose logs' channels are open for loading."""
        rig = Rig(seed=seed, rate_hz=rate_hz, start_time=start_time, start_depth=start_depth)
        objects = rig.objects()
        client = server.connect_sync()
        try:
            client.put_data_objects(objects)
            loader = client.load([objects.time_log.uri, objects.depth_log.uri])
        except BaseException:
            client.close()
            raise
        return cls(rig, client, loader)

    @property
    def objects(self) -> RigObjects:
        """The rig's objects as they are now (copies; the Trajectory with every station)."""
        return self.rig.objects()

    def advance(self, seconds: float) -> Step:
        """Drill for ``seconds`` of rig time and load what was recorded meanwhile; returns it.

        Raises :class:`~etp.errors.ProtocolErrors` for data the store refused (a test that
        deleted or changed the rig's channels).
        """
        step = self.rig.advance(seconds)
        ids = self._loader.ids
        for batch in step.batches:
            if len(batch):
                self._loader.append(batch.data_items({c.uri: ids[c.uri] for c in batch.channels}))
        if step.stations:
            self._client.put_data_objects([self.rig.objects().trajectory])
        self._loader.flush()
        return step

    def close(self) -> None:
        """Close the channels (they turn inactive) and the session. Idempotent."""
        if self._client.closed:
            return
        try:
            self._loader.close()
        finally:
            self._client.close()
