"""Surface drilling relationships, roughly right for a 12 1/4 in section drilled with 5 in pipe.

Plain vectorized formulas in the units the channels report (kN, rpm, L/min, m, kPa, g/cm3),
shared by the rig and the benchmark log generator. Rate of penetration follows weight on bit,
rotary speed and formation strength (a Bingham-style power law); surface torque follows weight
on bit; stand pipe pressure follows flow (turbulent losses, exponent 1.85) and string length;
hookload is the string's buoyed weight less what rests on the bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

BIT_SIZE_IN = 12.25
"""Bit diameter, inches."""
BLOCK_WEIGHT = 200.0
"""Travelling block and top drive, kN: the hookload with the string in the slips."""
BHA_WEIGHT = 130.0
"""Buoyed weight of the bottom-hole assembly (bit, motor, MWD, drill collars), kN."""
PIPE_WEIGHT = 0.29
"""Buoyed string weight per metre of string, kN/m."""
ANNULAR_CAPACITY = 0.0634
"""Open-hole annulus around the pipe, m3 per m (12 1/4 in hole, 5 in pipe)."""
HOLE_CAPACITY = 0.0760
"""Volume of new hole, m3 per m drilled (12 1/4 in)."""
NORMAL_DENSITY = 1.03
"""Density of the normal pore pressure gradient, g/cm3 (for the corrected d-exponent)."""


def rate_of_penetration(wob: Floats, rpm: Floats, hardness: Floats) -> Floats:
    """m/h from weight on bit (kN), rotary speed (rpm) and hardness (1 = average rock)."""
    return 22 * (wob / 95) ** 0.9 * (rpm / 150) ** 0.6 / hardness


def rotary_torque(wob: Floats, hardness: Floats) -> Floats:
    """Surface torque while rotating, kN.m: off-bottom friction plus the bit's share."""
    return 4 + 0.085 * wob * (0.8 + 0.2 * hardness)


def standpipe_pressure(flow: Floats, depth: Floats) -> Floats:
    """Circulating pressure, kPa, for a flow (L/min) through a string reaching ``depth`` (m)."""
    return 0.006 * flow**1.85 * (0.8 + depth / 7500)


def string_weight(depth: Floats) -> Floats:
    """Hookload of the free-hanging string with the bit at ``depth`` (m), kN."""
    return BLOCK_WEIGHT + BHA_WEIGHT + PIPE_WEIGHT * depth


def corrected_d_exponent(rop: Floats, rpm: Floats, wob: Floats, mud_density: Floats) -> Floats:
    """The Jorden-Shirley d-exponent corrected for mud density (Rehm-McClendon).

    ``d = log10(R / 60N) / log10(12W / 10^6 D)`` with R in ft/h, N in rpm, W in lbf and D the bit
    size in inches; ``dxc = d * normal density / mud density``. Meaningful while rotating on
    bottom only.
    """
    feet_per_hour, rev = rop * 3.2808, np.maximum(rpm, 1)
    d: Floats = np.log10(feet_per_hour / (60 * rev)) / np.log10(
        12 * wob * 224.81 / (1e6 * BIT_SIZE_IN)
    )
    return d * NORMAL_DENSITY / mud_density
