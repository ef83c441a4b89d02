"""The surface channels a mud-logging unit records: mnemonic, unit, resolution, property kind.

Shared by the rig (:mod:`etp.simulator.rig`) and the benchmark log generator
(``benchmarks/generate.py``). Units are Energistics symbols; each channel's ``ChannelClass`` is
the Energistics PropertyKind of its quantity (title and uuid from the PWLS property kind
dictionary, common 2.1), so consumers can match channels by kind instead of by mnemonic.
"""

from __future__ import annotations

from dataclasses import dataclass

from witsml.objects import DataObjectReference

PROPERTY_KIND_CONTENT_TYPE = "application/x-eml+xml;version=2.1;type=PropertyKind"

PROPERTY_KINDS: dict[str, str] = {
    "bit depth": "a8eeb8b7-08eb-4882-8ca9-6bf8d7e1898c",
    "block height": "2db028da-1d98-47d0-8e4b-ac4ddfd18fdb",
    "ch4 concentration": "7cb972b7-4224-477d-90c6-621ceb4b1c96",
    "dimensionless": "13a742f9-296e-4b96-b3af-49eb373f0f87",
    "drilling exponent": "193620c4-125c-4f45-9054-cb720a4d0232",
    "equivalent circulating density": "1e152927-429e-4f71-8a2d-6ea4c42ffd82",
    "fluid volume": "2f4430fe-7667-4deb-a8a1-bc13422ca9f6",
    "hook load": "d0a7c1c5-73da-45b5-a762-eb49721d91e9",
    "measured depth": "c48c65d4-9680-4d10-903c-a1b2e30f66b5",
    "mud density in": "0f3a3595-dd43-4c61-b71f-8f77b6857bed",
    "mud density out": "f3b8d7cc-22fa-4ab5-a3c4-881840fa075b",
    "mud flow in": "42da9eb5-0793-41c8-8a49-cb4ee31a238c",
    "mud tank volume": "54bb912e-5a48-4ab6-a50c-82d98425b478",
    "mud temperature in": "da375d22-db6a-48e7-b946-49e809dd8bd3",
    "mud temperature out": "9c4155e7-1281-4b77-9d5e-afdbc04b2aeb",
    "penetration rate": "d2b70df2-6df3-4751-bd02-150e3fc96450",
    "rotary speed": "39ee0a5d-9a02-48ed-81e1-8772c31a0c54",
    "standpipe pressure": "f001a670-584b-4527-9db5-89bc304b82a5",
    "stroke rate": "9198d21c-9b22-4b48-94ef-bf018ad35db9",
    "surface torque": "768a28b0-36a9-4cf5-927d-31536ff9d678",
    "total gas": "3321fd94-306f-4112-9d5a-02c95c34a87c",
    "true vertical depth": "c17d98b8-17f5-4a1b-9a1c-e95e06ea5628",
    "weight on bit": "7674f9e3-82c8-4060-8ce7-32d5e4e12832",
}
"""Energistics PropertyKind title → uuid, for the kinds these channels use."""


@dataclass(frozen=True)
class Curve:
    """One surface channel: mnemonic, unit, decimals as reported, description, PropertyKind."""

    mnemonic: str
    uom: str
    decimals: int
    title: str
    property_kind: str

    def channel_class(self) -> DataObjectReference:
        """The reference to this channel's PropertyKind (``Channel/ChannelClass``)."""
        return DataObjectReference(
            content_type=PROPERTY_KIND_CONTENT_TYPE,
            title=self.property_kind,
            uuid=PROPERTY_KINDS[self.property_kind],
        )


# In the order a mud-logging unit lists them; the depth log has these, the first 12 make the
# bundled example log.
CURVES = (
    Curve("BDEP", "m", 2, "Bit depth", "bit depth"),
    Curve("ROP", "m/h", 2, "Rate of penetration", "penetration rate"),
    Curve("WOB", "kN", 1, "Weight on bit", "weight on bit"),
    Curve("RPM", "rpm", 0, "Rotary speed", "rotary speed"),
    Curve("TQ", "kN.m", 2, "Surface torque", "surface torque"),
    Curve("SPP", "kPa", 0, "Stand pipe pressure", "standpipe pressure"),
    Curve("HKLD", "kN", 1, "Hookload", "hook load"),
    Curve("FLWI", "L/min", 0, "Mud flow in", "mud flow in"),
    Curve("MWIN", "g/cm3", 3, "Mud density in", "mud density in"),
    Curve("TMPOUT", "degC", 1, "Mud temperature out", "mud temperature out"),
    Curve("GASA", "%", 3, "Total gas", "total gas"),
    Curve("ECD", "g/cm3", 3, "Equivalent circulating density", "equivalent circulating density"),
    Curve("MWOUT", "g/cm3", 3, "Mud density out", "mud density out"),
    Curve("TMPIN", "degC", 1, "Mud temperature in", "mud temperature in"),
    Curve("FLWOP", "%", 1, "Flow out (paddle)", "dimensionless"),
    Curve("C1", "ppm", 0, "Methane", "ch4 concentration"),
    Curve("SPM1", "1/min", 1, "Pump 1 stroke rate", "stroke rate"),
    Curve("SPM2", "1/min", 1, "Pump 2 stroke rate", "stroke rate"),
    Curve("PITV", "m3", 2, "Active pit volume", "mud tank volume"),
    Curve("BPOS", "m", 2, "Block position", "block height"),
    Curve("TVD", "m", 2, "True vertical depth", "true vertical depth"),
    Curve("DXC", "Euc", 3, "Corrected d-exponent", "drilling exponent"),
    Curve("TQMX", "kN.m", 2, "Maximum surface torque", "surface torque"),
    Curve("RPMMX", "rpm", 0, "Maximum rotary speed", "rotary speed"),
)
"""The depth log's channels (one row per 0.1 m drilled)."""

_BY_MNEMONIC = {curve.mnemonic: curve for curve in CURVES}
_HOLE_DEPTH = Curve("HDEP", "m", 2, "Hole depth", "measured depth")
_PIT_GAIN = Curve("PITG", "m3", 2, "Pit gain/loss", "fluid volume")

TIME_CURVES = (
    _BY_MNEMONIC["BDEP"],
    _HOLE_DEPTH,
    _BY_MNEMONIC["BPOS"],
    _BY_MNEMONIC["HKLD"],
    _BY_MNEMONIC["WOB"],
    _BY_MNEMONIC["RPM"],
    _BY_MNEMONIC["TQ"],
    _BY_MNEMONIC["ROP"],
    _BY_MNEMONIC["SPP"],
    _BY_MNEMONIC["FLWI"],
    _BY_MNEMONIC["FLWOP"],
    _BY_MNEMONIC["SPM1"],
    _BY_MNEMONIC["SPM2"],
    _BY_MNEMONIC["PITV"],
    _PIT_GAIN,
    _BY_MNEMONIC["MWIN"],
    _BY_MNEMONIC["MWOUT"],
    _BY_MNEMONIC["TMPIN"],
    _BY_MNEMONIC["TMPOUT"],
    _BY_MNEMONIC["GASA"],
    _BY_MNEMONIC["C1"],
    _BY_MNEMONIC["ECD"],
    _BY_MNEMONIC["TVD"],
    _BY_MNEMONIC["DXC"],
)
"""The time log's channels (one row per sample at the rig's rate)."""
