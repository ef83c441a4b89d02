"""The rig simulator: how many times faster than real time it produces its logs.

A rig sampling 24 channels at ``rate_hz`` is advanced in batches of ``batch_s`` seconds of
simulated time (the time log, the depth log and surveys); ``x_real_time`` is simulated seconds
per wall-clock second on one core, ``mvalues_per_s`` the time log's values (rows x 24 channels)
per second. The goal is at least 50x real time at 1 kHz.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

from etp.simulator import Rig

_START = datetime(2024, 3, 1, tzinfo=UTC)


def run(quick: bool) -> Iterable[dict[str, object]]:
    simulated = 20.0 if quick else 120.0
    for rate_hz, batch_s in ((1000.0, 0.1), (1000.0, 1.0), (1000.0, 10.0), (1.0, 60.0)):
        span = simulated if rate_hz > 1 else simulated * 60
        rig = Rig(seed=1, rate_hz=rate_hz, start_time=_START)
        rig.advance(batch_s)  # first blocks of noise, first stand
        values = 0
        began = time.perf_counter()
        for _ in range(round(span / batch_s)):
            step = rig.advance(batch_s)
            values += len(step.time_log) * len(step.time_log.values)
        elapsed = time.perf_counter() - began
        yield {
            "case": f"{rate_hz:g}Hz_batch_{batch_s:g}s",
            "simulated_s": span,
            "x_real_time": round(span / elapsed, 1),
            "mvalues_per_s": round(values / elapsed / 1e6, 2),
        }
