"""Vendor and legacy spellings of units, each mapped explicitly to an Energistics symbol.

Symbols are case-sensitive (``mS`` is not ``MS``), so there is no guessing: a spelling is read
only if it is listed here. Each entry may carry the reason the reading is a choice and not a
plain respelling (``klb`` could be a mass; on a rig it is a hook load).
"""

from __future__ import annotations

from typing import Final


def _same(canonical: str, *spellings: str, why: str = "") -> dict[str, tuple[str, str]]:
    return {spelling: (canonical, why) for spelling in spellings}


#: alias -> (Energistics symbol, why the reading is a choice, or "")
ALIASES: Final[dict[str, tuple[str, str]]] = {
    # length
    **_same("m", "meter", "meters", "metre", "metres"),
    **_same("m", "M", why="read as metres (as LAS depth curves write it)"),
    **_same("ft", "FT", "Ft", "feet", "foot"),
    **_same("in", "IN", "inch", "inches"),
    **_same("ft[US]", "ftUS", "usft", "ft(US)", "USft"),
    **_same("ft[Br65]", "ftBr(65)"),
    # time
    **_same("s", "sec", "secs"),
    **_same("min", "mins", "MIN", "Min"),
    **_same("h", "hr", "hrs", "HR", "Hr", "hour", "hours"),
    **_same("d", "day", "days", "DAY"),
    # angles
    **_same("dega", "deg", "DEG", "Deg", "degree", "degrees", "°"),
    **_same("0.01 dega/ft", "deg/100ft", "deg/100 ft", "dega/100ft", "DEG/100FT", "°/100ft"),
    **_same("1/30 dega/m", "deg/30m", "deg/30 m", "dega/30m", "DEG/30M", "°/30m"),
    **_same("dega/ft", "deg/ft", "DEG/FT"),
    **_same("dega/m", "deg/m", "DEG/M"),
    **_same("rpm", "RPM", "r/min"),
    # temperature
    **_same("degC", "DEGC", "degc", "°C", "C°", "deg C", "Celsius"),
    **_same("degF", "DEGF", "degf", "°F", "F°", "deg F", "Fahrenheit"),
    **_same("degC/m", "DEGC/M"),
    **_same("degF/ft", "DEGF/FT"),
    **_same("0.01 degF/ft", "degF/100ft", "DEGF/100FT"),
    # force, torque
    **_same("klbf", "Klbf", "KLBF", "kips", "kip", "klbs"),
    **_same("klbf", "klb", "KLB", why="read as kilopound-force (hook load, weight on bit)"),
    **_same("lbf", "LBF", "lbs force"),
    **_same("kN", "KN"),
    **_same("daN", "DAN"),
    **_same("1000 lbf.ft", "kft.lbf", "kft-lbf", "kftlbf", "klbf-ft", "kft.lb", "KFT.LBF"),
    **_same("lbf.ft", "ft-lbf", "ftlbf", "lbf-ft", "ft.lb", "ft-lb", "FT.LBF", "LBF.FT"),
    **_same("kN.m", "kNm", "kN-m", "KN.M", "kN*m"),
    **_same("N.m", "Nm", "N-m", "N*m"),
    # pressure
    **_same("psi", "PSI", "Psi", "lb/in2"),
    **_same("psi", "psig", "PSIG", why="the gauge reference is not kept"),
    **_same("psi", "psia", "PSIA", why="the absolute reference is not kept"),
    **_same("kPa", "kpa", "KPA", "KPa"),
    **_same("MPa", "MPA", "Mpa"),
    **_same("bar", "BAR", "Bar"),
    **_same("psi/ft", "PSI/FT"),
    **_same("0.01 lbf/ft2", "lbf/100ft2", "lb/100ft2", "LBF/100FT2"),
    # mass, density, concentration
    **_same("lbm", "lb", "lbs", "LBM", why="read as pound-mass"),
    **_same("lbm/gal[US]", "ppg", "PPG", "lbm/gal", "lb/gal", "lbs/gal", "lbm/galUS"),
    **_same("lbm/ft3", "pcf", "PCF", "lb/ft3"),
    **_same("g/cm3", "g/cc", "gm/cc", "G/CC", "G/CM3"),
    **_same("kg/m3", "KG/M3"),
    **_same("lbm/ft", "lb/ft", "ppf", "PPF"),
    # volume and flow
    **_same("gal[US]", "galUS", "gal", "GAL", "USgal", why="read as the US gallon"),
    **_same("gal[UK]", "galUK", "UKgal"),
    **_same("bbl", "BBL", "bbls", "Bbl"),
    **_same("gal[US]/min", "galUS/min", "gpm", "GPM", "gal/min", "USgal/min"),
    **_same("gal[UK]/min", "galUK/min"),
    **_same("bbl/min", "bpm", "BPM", "bbls/min", "BBL/MIN"),
    **_same("bbl/d", "bbl/day", "bpd", "BPD", "bopd", "BOPD"),
    **_same("m3/d", "m3/day", "M3/D"),
    **_same("m3/h", "m3/hr", "M3/H"),
    **_same("L/min", "lpm", "LPM", "l/min"),
    **_same("L", "l", "litre", "liter"),
    **_same("m3", "M3"),
    **_same("ft3", "FT3", "cf"),
    # rates
    **_same("ft/h", "ft/hr", "FT/HR", "FT/H", "fph", "ft/hour"),
    **_same("m/h", "m/hr", "M/HR", "M/H", "m/hour"),
    **_same("ft/min", "FT/MIN", "fpm"),
    **_same("m/s", "M/S"),
    **_same("1/min", "spm", "SPM", "stk/min", "strokes/min", why="strokes per minute"),
    # logging
    **_same("gAPI", "API", "GAPI", "api", "gapi", why="read as the gamma ray API unit"),
    **_same("us/ft", "usec/ft", "US/F", "us/f", "uspf"),
    **_same("ohm.m", "ohmm", "OHMM", "ohm-m", "Ohm.m", "ohm*m"),
    **_same("mD", "md", why="read as millidarcy"),
    **_same("cP", "cp", "CP"),
    # dimensionless
    **_same("Euc", "unitless", "Unitless", "UNITLESS", "none", "None", "-"),
    **_same("Euc", "WITSML:Unitless", why="an extension value meaning unitless"),
    **_same("%", "percent", "pct", "PCT", "PERCENT"),
    **_same("ppm", "PPM"),
}
