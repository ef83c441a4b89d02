"""A drilling rig simulator: realistic WITSML 2.0 objects and surface data, sans-I/O.

A :class:`Rig` drills a 12 1/4 in section, stand after stand: rotating and sliding, with a
connection every ~28.5 m (off bottom, pumps and rotation stopped, slips set, block raised, the
next stand made up, pumps on, back to bottom), rate of penetration following the formation,
sensor noise and the odd missing reading. It is deterministic for its seed and never touches
the network or the clock: the caller decides how fast time goes (phase 2 feeds a store over ETP
ChannelDataLoad).

::

    rig = Rig(seed=7, rate_hz=10, start_time=datetime(2024, 3, 1, tzinfo=UTC))
    well, wellbore, time_log, depth_log, trajectory = rig.objects()   # put these first
    step = rig.advance(60.0)                    # one minute of drilling
    step.time_log.index                         # datetime64[us], 600 samples
    step.time_log.columns()                     # {channel URI: float64 values (NaN = null)}
    step.time_log.data_items({uri: channel_id, ...})   # ChannelDataLoad ChannelData items
    step.depth_log.table().to_pandas()          # one row per 0.1 m drilled
    step.stations                               # surveys that reached the surface

``simulate(seconds, seed=...)`` returns the objects with the Logs holding all their data, ready
for :func:`witsml.to_xml`.
"""

from etp.simulator.curves import CURVES, TIME_CURVES, Curve
from etp.simulator.rig import Batch, Rig, RigObjects, Step, simulate

__all__ = ["CURVES", "TIME_CURVES", "Batch", "Curve", "Rig", "RigObjects", "Step", "simulate"]
