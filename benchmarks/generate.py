"""Generated drilling logs: the W1 benchmark log, the bundled example, large logs for tests.

Surface drilling data indexed by measured depth, with the physics roughly right (ROP follows
weight on bit, rotary speed and formation strength; hookload is string weight minus WOB; stand
pipe pressure follows flow and depth), values rounded as rig sensors report them, and a few
gaps (a gas trap out of service, sensor dropouts). Deterministic for a given seed.

The channel catalogue and the drilling relationships are the rig simulator's
(:mod:`etp.simulator.curves`, :mod:`etp.simulator.physics`); this module only draws a static
depth log from them, at any length. It lives with the benchmarks rather than in the library
because only benchmarks, tests and the example file need it; tests import it as
``benchmarks.generate``.

``python -m benchmarks.generate`` rewrites ``examples/data/log.xml``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt

from etp.simulator.curves import CURVES, PROPERTY_KIND_CONTENT_TYPE, PROPERTY_KINDS
from etp.simulator.physics import (
    corrected_d_exponent,
    rate_of_penetration,
    rotary_torque,
    standpipe_pressure,
    string_weight,
)
from witsml.data import ChannelTable, Column

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
EXAMPLE = ROOT / "examples" / "data" / "log.xml"
EXAMPLE_WELLBORE_UUID = "6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a02"  # examples/data/wellbore.xml

Floats = npt.NDArray[np.float64]


def drilling_table(
    rows: int,
    *,
    channels: int = 24,
    top: float = 1500.0,
    step: float = 0.5,
    seed: int = 7,
    gaps: bool = True,
    extra_decimals: int = 0,
) -> ChannelTable:
    """A depth-indexed surface drilling log of ``rows`` rows and the first ``channels`` curves
    (values with ``extra_decimals`` more digits than a rig reports, as some systems write)."""
    if not 1 <= channels <= len(CURVES):
        raise ValueError(f"channels must be 1..{len(CURVES)}")
    rng = np.random.default_rng(seed)
    depth = np.round(top + step * np.arange(rows), 3)
    values = _simulate(depth, rng)
    if gaps:
        _punch_gaps(values, rng)
    columns = [
        Column.channel(
            curve.mnemonic,
            np.round(values[curve.mnemonic], curve.decimals + extra_decimals),
            uom=curve.uom,
        )
        for curve in CURVES[:channels]
    ]
    return ChannelTable([Column.index("DEPTH", depth, uom="m")], columns)


def _smooth(rng: np.random.Generator, n: int, width: int) -> Floats:
    """Smooth noise of unit scale: a moving average of white noise over ``width`` samples."""
    noise = rng.normal(size=n + width)
    kernel = np.ones(width) / width
    smooth = np.convolve(noise, kernel, mode="valid")[:n]
    return smooth / (smooth.std() or 1.0)


def _simulate(depth: Floats, rng: np.random.Generator) -> dict[str, Floats]:
    n = len(depth)

    def jitter(scale: float) -> Floats:
        return rng.normal(scale=scale, size=n)

    hardness = np.exp(0.35 * _smooth(rng, n, 60))  # formation drillability, 1 = average
    wob = np.clip(95 + 25 * _smooth(rng, n, 40) + jitter(4), 5, 250)
    rpm = np.clip(150 + 15 * _smooth(rng, n, 80) + jitter(2), 40, 220)
    rop = np.clip(rate_of_penetration(wob, rpm, hardness) + jitter(1.2), 0.5, 90)
    torque = np.clip(rotary_torque(wob, hardness) + jitter(0.6), 0.5, 60)
    flow = np.clip(3000 + 120 * _smooth(rng, n, 200) + jitter(15), 1500, 4500)
    spp = standpipe_pressure(flow, depth) + jitter(60)
    hookload = string_weight(depth) - wob + jitter(5)
    mud_in = 1.25 + 0.002 * _smooth(rng, n, 300) + jitter(0.001)
    mud_out = mud_in + 0.004 + jitter(0.002)
    temp_in = 34 + 1.5 * _smooth(rng, n, 400) + jitter(0.2)
    temp_out = temp_in + 8 + depth * 0.004 + jitter(0.2)
    gas = np.clip(0.15 + 0.6 * np.maximum(_smooth(rng, n, 30) - 1.2, 0) + jitter(0.01), 0.01, 25)
    inclination = np.radians(np.minimum(depth / 150, 35))
    return {
        "BDEP": depth - np.abs(jitter(0.02)),
        "ROP": rop,
        "WOB": wob,
        "RPM": rpm,
        "TQ": torque,
        "SPP": spp,
        "HKLD": hookload,
        "FLWI": flow,
        "MWIN": mud_in,
        "TMPOUT": temp_out,
        "GASA": gas,
        "ECD": mud_in + 0.03 + 0.00001 * depth + jitter(0.001),
        "MWOUT": mud_out,
        "TMPIN": temp_in,
        "FLWOP": np.clip(flow / 3000 * 42 + jitter(1.5), 0, 100),
        "C1": gas * 8200 + jitter(25),
        "SPM1": flow / 2 / 19.1 + jitter(0.3),
        "SPM2": flow / 2 / 19.1 + jitter(0.3),
        "PITV": 85 - depth * 0.002 + 0.6 * _smooth(rng, n, 150),
        "BPOS": 30.0 - np.mod(depth - depth[0], 28.5),
        "TVD": depth[0] + np.cumsum(np.cos(inclination)) * (depth[1] - depth[0] if n > 1 else 0),
        "DXC": corrected_d_exponent(rop, rpm, wob, mud_in),
        "TQMX": torque * (1.12 + np.abs(jitter(0.04))),
        "RPMMX": rpm + np.abs(jitter(3)),
    }


def _punch_gaps(values: dict[str, Floats], rng: np.random.Generator) -> None:
    """Missing values as real logs have them: a gas trap stopped, density and temperature
    sensor dropouts."""
    n = len(values["GASA"])
    if n >= 100:
        start = int(rng.integers(n // 4, n // 2))
        for name in ("GASA", "C1"):
            values[name][start : start + max(n // 50, 5)] = np.nan
    for name, count in (("MWIN", max(n // 250, 1)), ("TMPOUT", max(n // 160, 1))):
        values[name][rng.choice(n, size=min(count, n), replace=False)] = np.nan


def _uuid(*names: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "witsml-etp/generated/" + "/".join(map(str, names))))


_CITATION = """<eml:Citation>
      <eml:Title>{title}</eml:Title>
      <eml:Originator>{originator}</eml:Originator>
      <eml:Creation>{created}</eml:Creation>
      <eml:Format>{fmt}</eml:Format>
    </eml:Citation>"""


def log_xml(
    table: ChannelTable,
    *,
    name: str = "Surface data 12.25in section",
    wellbore: str = "15/9-F-11 T2",
    wellbore_uuid: str | None = None,
    company: str = "Northwind Mudlogging",
    created: str = "2024-03-14T06:00:00Z",
) -> bytes:
    """A WITSML 2.0 Log document with one depth ChannelSet holding ``table``."""
    index = table.index
    originator, fmt = "witsml-etp generator", "witsml-etp"
    first, last = float(index.values[0]), float(index.values[-1])

    def citation(title: str, indent: str) -> str:
        text = _CITATION.format(
            title=escape(title), originator=originator, created=created, fmt=fmt
        )
        return text.replace("\n    ", "\n" + indent)

    index_spec = table.index_specs[0]
    index_xml = (
        f"<Index><IndexType>{index_spec.index_type}</IndexType>"
        f"<Uom>{escape(index_spec.uom)}</Uom><Direction>{index_spec.direction}</Direction>"
        f"<Mnemonic>{escape(index_spec.mnemonic)}</Mnemonic></Index>"
    )
    curves = {curve.mnemonic: curve for curve in CURVES}
    channels = "".join(
        f"""
    <Channel schemaVersion="2.0" uuid="{_uuid(name, column.mnemonic)}">
      {citation(curves[column.mnemonic].title, "      ")}
      <Mnemonic>{escape(column.mnemonic)}</Mnemonic>
      <DataType>{column.data_type}</DataType>
      <Uom>{escape(column.uom)}</Uom>
      <GrowingStatus>closed</GrowingStatus>
      <TimeDepth>depth</TimeDepth>
      <ChannelClass>
        <eml:ContentType>{PROPERTY_KIND_CONTENT_TYPE}</eml:ContentType>
        <eml:Title>{curves[column.mnemonic].property_kind}</eml:Title>
        <eml:Uuid>{PROPERTY_KINDS[curves[column.mnemonic].property_kind]}</eml:Uuid>
      </ChannelClass>
      <LoggingCompanyName>{escape(company)}</LoggingCompanyName>
      {index_xml}
    </Channel>"""
        for column in table.channel_specs
    )
    data = escape(table.to_json())
    depth_range = (
        f'<StartIndex xsi:type="DepthIndexValue"><Depth>{first!r}</Depth></StartIndex>\n'
        f'  <EndIndex xsi:type="DepthIndexValue"><Depth>{last!r}</Depth></EndIndex>'
    )
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<Log xmlns="http://www.energistics.org/energyml/data/witsmlv2"
     xmlns:eml="http://www.energistics.org/energyml/data/commonv2"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     schemaVersion="2.0" uuid="{_uuid(name)}">
  {citation(name, "  ")}
  <TimeDepth>depth</TimeDepth>
  <RunNumber>3</RunNumber>
  {depth_range}
  <LoggingCompanyName>{escape(company)}</LoggingCompanyName>
  <LoggingMethod>surface</LoggingMethod>
  <NominalHoleSize uom="in">12.25</NominalHoleSize>
  <Wellbore>
    <eml:ContentType>application/x-witsml+xml;version=2.0;type=Wellbore</eml:ContentType>
    <eml:Title>{escape(wellbore)}</eml:Title>
    <eml:Uuid>{wellbore_uuid or _uuid(wellbore)}</eml:Uuid>
  </Wellbore>
  <ChannelSet schemaVersion="2.0" uuid="{_uuid(name, "channel set")}">
    {citation(name, "    ")}
    {index_xml}{channels}
    <Data>
      <Data>{data}</Data>
    </Data>
    <TimeDepth>depth</TimeDepth>
    <RunNumber>3</RunNumber>
    {depth_range.replace(chr(10) + "  ", chr(10) + "    ")}
    <LoggingCompanyName>{escape(company)}</LoggingCompanyName>
    <LoggingMethod>surface</LoggingMethod>
  </ChannelSet>
</Log>
"""
    return document.encode("utf-8")


W1_ROWS, W1_QUICK_ROWS, W1_CHANNELS = 200_000, 5_000, 24
VERSION = 3
"""Part of the cached file names: bump it when the generated content changes."""


def w1_table(rows: int = W1_ROWS) -> ChannelTable:
    """The W1 benchmark data: measured depth from 500 m every 0.05 m, 24 double channels
    (3 more decimals than a rig reports: about 45 MB for 200,000 rows)."""
    return drilling_table(
        rows, channels=W1_CHANNELS, top=500.0, step=0.05, seed=1, extra_decimals=3
    )


def w1_path(*, quick: bool = False) -> Path:
    """The W1 log file (written once under ``benchmarks/out/``, then reused)."""
    rows = W1_QUICK_ROWS if quick else W1_ROWS
    return cached(
        f"w1-{rows}-v{VERSION}.xml", lambda: log_xml(w1_table(rows), name="W1 benchmark log")
    )


def cached(name: str, make: Callable[[], bytes]) -> Path:
    """``benchmarks/out/<name>``, made by ``make()`` if it does not exist yet."""
    path = OUT / name
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(make())
        partial.replace(path)
    return path


def example_log() -> bytes:
    """The bundled example: 500 rows from 1500 m every 0.5 m, 12 surface channels, in the
    example Wellbore (``examples/data/wellbore.xml``)."""
    return log_xml(
        drilling_table(500, channels=12, top=1500.0, step=0.5, seed=7),
        wellbore="Alpha A-3 main bore",
        wellbore_uuid=EXAMPLE_WELLBORE_UUID,
    )


if __name__ == "__main__":
    EXAMPLE.parent.mkdir(parents=True, exist_ok=True)
    EXAMPLE.write_bytes(example_log())
    print(f"wrote {EXAMPLE}")
