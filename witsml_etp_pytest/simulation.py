"""A drilling rig feeding an :class:`~witsml_etp_pytest.server.EtpServer`: :class:`Simulation`
(the ``etp_simulator`` fixture).

::

    simulation = Simulation.start(server, seed=7, rate_hz=10)   # the rig's objects stored
    step = simulation.advance(60)     # a minute of drilling: new rows of both logs stored
    step.time_log.table()             # what was pushed (etp.simulator.Step)

The rig is :class:`etp.simulator.Rig`: a Well, a Wellbore, a time Log, a depth Log and a
Trajectory (uuids stable for the seed), then data as the clock advances. :meth:`advance` stores
the new rows of both logs as channel data (channel subscribers of the server get them) and the
Trajectory again when a survey station came in; it returns when everything is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from etp.simulator import Rig, RigObjects, Step

if TYPE_CHECKING:
    from witsml_etp_pytest.server import EtpServer

__all__ = ["Simulation"]


class Simulation:
    """A rig whose objects are in the server's store and whose data goes there as it drills."""

    def __init__(self, server: EtpServer, rig: Rig) -> None:
        self.rig = rig
        """The simulator (its clock: ``rig.time``; the hole: ``rig.hole_depth``)."""
        self._server = server

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
        """A rig (see :class:`etp.simulator.Rig`) whose objects are put in ``server``'s store."""
        rig = Rig(seed=seed, rate_hz=rate_hz, start_time=start_time, start_depth=start_depth)
        server.store.put(*rig.objects())
        return cls(server, rig)

    @property
    def objects(self) -> RigObjects:
        """The rig's objects as they are now (copies; the Trajectory with every station)."""
        return self.rig.objects()

    def advance(self, seconds: float) -> Step:
        """Drill for ``seconds`` of rig time and store what was recorded meanwhile; returns it."""
        step = self.rig.advance(seconds)
        for batch in step.batches:
            if len(batch):
                self._server.store.append(batch.log, batch.table())
        if step.stations:
            self._server.store.put(self.rig.objects().trajectory)
        return step

    def close(self) -> None:
        """Stop feeding the server (nothing more is sent)."""
