"""The unit atoms of the Energistics symbol grammar, with exact factors.

An *atom* is the smallest piece of a unit symbol: ``ft``, ``gal[US]``, ``Pa``, ``dega``. Compound
symbols (``lbm/gal[US]``, ``1/30 dega/m``, ``kN.m``) are built from atoms by the parser in
:mod:`witsml.units.symbols`; only atoms are listed here.

Every atom is defined as ``factor`` times an expression in atoms defined *above* it, so each
factor is a short, checkable fact (``bbl`` = 42 ``gal[US]``, ``psi`` = 1 ``lbf/in2``). Factors are
written as exact decimals or fractions and composed with :class:`fractions.Fraction`, so a derived
factor is exact and rounded to float once. Powers of pi are carried separately (``PI``).

Sources of the facts: NIST SP 811 (2008) appendix B (exact definitions of the foot, pound, gallon,
standard gravity, calories, Btu), SI brochure 9th ed. (prefixes, eV), and the Energistics Unit of
Measure Dictionary v1.0 for the Energistics-specific units (survey feet, API units, ``a[t]``,
``D``, ``cu``...). See docs/units.md.
"""

from __future__ import annotations

from typing import Final, NamedTuple

#: The base dimensions, in the order used by dimension vectors. Plane and solid angle are kept as
#: dimensions (as the Energistics dictionary does) so that ``rpm`` is an angular velocity and not
#: a frequency, and ``dega/m`` is not a reciprocal length. The API log units, the bel and the
#: octave are their own dimensions: they convert to nothing else.
BASE_DIMENSIONS: Final = (
    "L",  # length
    "M",  # mass
    "T",  # time
    "I",  # electric current
    "K",  # thermodynamic temperature
    "N",  # amount of substance
    "J",  # luminous intensity
    "A",  # plane angle
    "SA",  # solid angle
    "bit",  # digital storage
    "B",  # logarithmic ratio (bel)
    "O",  # frequency interval (octave)
    "gAPI",  # API gamma ray
    "nAPI",  # API neutron
    "dAPI",  # API gravity
)

#: A marker in the ``factor`` column: the atom is multiplied by pi this many times.
PI: Final = "pi"


class Atom(NamedTuple):
    """One atom: ``symbol`` = ``factor * pi**pi_power * definition``.

    ``definition`` is either ``"@X"`` for the coherent SI unit of base dimension ``X``, or a
    symbol made of atoms listed earlier (``"1"`` for a pure number). ``prefixable`` atoms accept
    the SI prefixes (``k``, ``M``, ``u``...). ``offset`` (in kelvin) is set on the absolute
    temperature scales only.
    """

    symbol: str
    factor: str
    definition: str
    prefixable: bool = False
    pi_power: int = 0
    offset: str = "0"
    absolute: bool = False  # a temperature scale: converts with its offset when written alone
    quantity: str = ""  # the quantity class of the atom alone, where its dimension's default is not


#: SI prefixes as the Energistics grammar writes them (``u`` for micro).
PREFIXES: Final = {
    "y": "1E-24",
    "z": "1E-21",
    "a": "1E-18",
    "f": "1E-15",
    "p": "1E-12",
    "n": "1E-9",
    "u": "1E-6",
    "m": "1E-3",
    "c": "1E-2",
    "d": "1E-1",
    "da": "1E1",
    "h": "1E2",
    "k": "1E3",
    "M": "1E6",
    "G": "1E9",
    "T": "1E12",
    "P": "1E15",
    "E": "1E18",
    "Z": "1E21",
    "Y": "1E24",
}

_PREFIXABLE = True  # the atom takes SI prefixes (a positional flag, to keep the table short)


def _survey(variant: str, foot: str, *, yd: bool, chain: bool, link: bool) -> list[Atom]:
    """A national or historical foot and the yard, chain and link built on it."""
    ft = f"ft[{variant}]"
    atoms = [Atom(ft, foot, "m")]
    if yd:
        atoms.append(Atom(f"yd[{variant}]", "3", ft))
    if chain:
        atoms.append(Atom(f"chain[{variant}]", "66", ft))
    if link:
        atoms.append(Atom(f"link[{variant}]", "66/100", ft))
    return atoms


ATOMS: Final[tuple[Atom, ...]] = (
    # --- coherent SI units of the base dimensions -------------------------------------------
    Atom("m", "1", "@L", _PREFIXABLE),
    Atom("kg", "1", "@M"),
    Atom("s", "1", "@T", _PREFIXABLE),
    Atom("A", "1", "@I", _PREFIXABLE),
    Atom("K", "1", "@K", absolute=True),
    Atom("mol", "1", "@N", _PREFIXABLE),
    Atom("cd", "1", "@J", _PREFIXABLE),
    Atom("rad", "1", "@A", _PREFIXABLE),
    Atom("sr", "1", "@SA", _PREFIXABLE),
    Atom("bit", "1", "@bit"),
    Atom("B", "1", "@B", _PREFIXABLE),  # bel
    Atom("O", "1", "@O"),  # octave
    Atom("gAPI", "1", "@gAPI"),
    Atom("nAPI", "1", "@nAPI"),
    Atom("dAPI", "1", "@dAPI"),
    Atom("Euc", "1", "1", _PREFIXABLE),  # the Energistics dimensionless unit
    # --- SI derived units with special names ------------------------------------------------
    Atom("g", "1/1000", "kg", _PREFIXABLE),
    Atom("Hz", "1", "1/s", _PREFIXABLE),
    Atom("N", "1", "kg.m/s2", _PREFIXABLE),
    Atom("Pa", "1", "N/m2", _PREFIXABLE),
    Atom("J", "1", "N.m", _PREFIXABLE),
    Atom("W", "1", "J/s", _PREFIXABLE),
    Atom("C", "1", "A.s", _PREFIXABLE),
    Atom("V", "1", "W/A", _PREFIXABLE),
    Atom("F", "1", "C/V", _PREFIXABLE),
    Atom("ohm", "1", "V/A", _PREFIXABLE),
    Atom("S", "1", "A/V", _PREFIXABLE),
    Atom("Wb", "1", "V.s", _PREFIXABLE),
    Atom("T", "1", "Wb/m2", _PREFIXABLE),
    Atom("H", "1", "Wb/A", _PREFIXABLE),
    Atom("lm", "1", "cd.sr", _PREFIXABLE),
    Atom("lx", "1", "lm/m2", _PREFIXABLE),
    Atom("Bq", "1", "1/s", _PREFIXABLE, quantity="activity of radioactivity"),
    Atom("Gy", "1", "J/kg", _PREFIXABLE, quantity="absorbed dose"),
    Atom("Sv", "1", "J/kg", _PREFIXABLE, quantity="dose equivalent"),
    Atom("kat", "1", "mol/s", _PREFIXABLE),
    # --- temperature: absolute scales (offsets in kelvin), then intervals --------------------
    Atom("degC", "1", "@K", offset="273.15", absolute=True),
    Atom("degF", "5/9", "@K", offset="2298.35/9", absolute=True),  # (x + 459.67)·5/9
    Atom("degR", "5/9", "@K", absolute=True),
    Atom("deltaK", "1", "@K"),
    Atom("deltaC", "1", "@K"),
    Atom("deltaF", "5/9", "@K"),
    Atom("deltaR", "5/9", "@K"),
    # --- time --------------------------------------------------------------------------------
    Atom("min", "60", "s"),
    Atom("h", "3600", "s"),
    Atom("d", "86400", "s"),
    Atom("wk", "7", "d"),
    Atom("a", "365.25", "d", _PREFIXABLE),  # julian year
    Atom("a[t]", "31556925.445", "s", _PREFIXABLE),  # tropical year
    # --- length ------------------------------------------------------------------------------
    Atom("ft", "0.3048", "m"),
    Atom("in", "1/12", "ft"),
    Atom("yd", "3", "ft"),
    Atom("mi", "5280", "ft"),
    Atom("mil", "1/1000", "in"),
    Atom("fathom", "6", "ft"),
    Atom("chain", "66", "ft"),
    Atom("link", "66/100", "ft"),
    Atom("angstrom", "1E-10", "m"),
    Atom("mi[naut]", "1852", "m"),
    Atom("mi[nautUK]", "1853", "m"),  # as the dictionary has it (6080 ft is 1853.184 m)
    Atom("m[Ger]", "1.0000135965", "m"),
    Atom("ft[US]", "1200/3937", "m"),
    Atom("in[US]", "1/12", "ft[US]"),
    Atom("yd[US]", "3", "ft[US]"),
    Atom("chain[US]", "66", "ft[US]"),
    Atom("link[US]", "66/100", "ft[US]"),
    Atom("rod[US]", "33/2", "ft[US]"),
    Atom("fur[US]", "660", "ft[US]"),
    Atom("mi[US]", "5280", "ft[US]"),
    *_survey("BnA", "0.9143992/3", yd=True, chain=True, link=True),
    *_survey("BnB", "12/39.370113", yd=True, chain=True, link=True),
    *_survey("Cla", "0.3047972654", yd=True, chain=True, link=True),
    *_survey("Se", "12/39.370147", yd=True, chain=True, link=True),
    *_survey("SeT", "0.914398/3", yd=True, chain=True, link=True),
    *_survey("Ind", "12/39.370142", yd=True, chain=False, link=False),
    *_survey("Ind37", "0.30479841", yd=True, chain=True, link=False),
    *_survey("Ind62", "0.3047996", yd=True, chain=False, link=False),
    *_survey("Ind75", "0.3047995", yd=True, chain=False, link=False),
    *_survey("Br36", "0.3048007491", yd=False, chain=False, link=False),
    *_survey("Br65", "0.9144025/3", yd=False, chain=False, link=False),
    *_survey("GC", "6378300/20926201", yd=False, chain=False, link=False),
    # --- area and volume ---------------------------------------------------------------------
    Atom("acre", "43560", "ft[US]2"),  # the survey acre, as the dictionary defines it
    Atom("section", "640", "acre"),
    Atom("ha", "10000", "m2"),
    Atom("b", "1E-28", "m2"),  # barn
    Atom("L", "1/1000", "m3", _PREFIXABLE),
    Atom("gal[US]", "231", "in3"),
    Atom("gal[UK]", "4.54609", "L"),
    Atom("bbl", "42", "gal[US]"),
    Atom("qt[US]", "1/4", "gal[US]"),
    Atom("pt[US]", "1/8", "gal[US]"),
    Atom("floz[US]", "1/128", "gal[US]"),
    Atom("qt[UK]", "1/4", "gal[UK]"),
    Atom("pt[UK]", "1/8", "gal[UK]"),
    Atom("floz[UK]", "1/160", "gal[UK]"),
    # --- mass --------------------------------------------------------------------------------
    Atom("lbm", "0.45359237", "kg", _PREFIXABLE),
    Atom("t", "1000", "kg"),
    Atom("ozm", "1/16", "lbm"),
    Atom("ozm[troy]", "0.0311034768", "kg"),
    Atom("grain", "1/7000", "lbm"),
    Atom("ct", "0.2", "g"),
    Atom("cwt[US]", "100", "lbm"),
    Atom("cwt[UK]", "112", "lbm"),
    Atom("ton[US]", "2000", "lbm"),
    Atom("ton[UK]", "2240", "lbm"),
    Atom("sack[94lbm]", "94", "lbm"),
    Atom("lbmol", "453.59237", "mol"),
    # --- acceleration, force, pressure -------------------------------------------------------
    Atom("gn", "9.80665", "m/s2", _PREFIXABLE),
    Atom("Gal", "1/100", "m/s2", _PREFIXABLE),
    Atom("lbf", "1", "lbm.gn", _PREFIXABLE),
    Atom("gf", "1", "g.gn", _PREFIXABLE),
    Atom("dyne", "1E-5", "N", _PREFIXABLE),
    Atom("pdl", "1", "lbm.ft/s2"),
    Atom("ozf", "1/16", "lbf"),
    Atom("tonf[US]", "2000", "lbf"),
    Atom("tonf[UK]", "2240", "lbf"),
    Atom("psi", "1", "lbf/in2", _PREFIXABLE),
    Atom("bar", "1E5", "Pa", _PREFIXABLE),
    Atom("atm", "101325", "Pa"),
    Atom("at", "1", "kgf/cm2"),  # technical atmosphere
    Atom("torr", "1/760", "atm"),
    Atom("mmHg[0degC]", "133.322", "Pa"),
    Atom("umHg[0degC]", "0.133322", "Pa"),
    Atom("inHg[32degF]", "3386.38", "Pa"),
    Atom("inHg[60degF]", "3376.85", "Pa"),
    Atom("cmH2O[4degC]", "98.0638", "Pa"),
    Atom("inH2O[39degF]", "249.082", "Pa"),
    Atom("inH2O[60degF]", "248.84", "Pa"),
    # --- energy and power --------------------------------------------------------------------
    Atom("erg", "1E-7", "J"),
    Atom("eV", "1.602176487E-19", "J", _PREFIXABLE),  # the dictionary's CODATA 2006 value
    Atom("cal[th]", "4.184", "J", _PREFIXABLE),
    Atom("cal[IT]", "4.1868", "J"),
    Atom("Btu[IT]", "1055.05585262", "J"),
    Atom("Btu[th]", "9489.1523804/9", "J"),
    Atom("Btu[UK]", "1055.05585257348", "J"),
    Atom("therm[US]", "1.054804E8", "J"),
    Atom("therm[UK]", "1E5", "Btu[UK]"),
    Atom("therm[EC]", "1.05506E8", "J"),
    Atom("quad", "1E15", "Btu[IT]"),
    Atom("hp", "550", "lbf.ft/s"),
    Atom("hp[metric]", "75", "kgf.m/s"),
    Atom("hp[elec]", "746", "W"),
    Atom("hp[hyd]", "746.043", "W"),
    Atom("tonRefrig", "12000", "Btu[IT]/h"),
    # --- plane angle -------------------------------------------------------------------------
    Atom("dega", "1/180", "rad", pi_power=1),
    Atom("mina", "1/60", "dega"),
    Atom("seca", "1/60", "mina"),
    Atom("gon", "1/200", "rad", pi_power=1),
    Atom("cgr", "1/100", "gon"),
    Atom("ccgr", "1/10000", "gon"),
    Atom("mila", "1/3200", "rad", pi_power=1),  # angular mil, 6400 to the circle
    Atom("rev", "2", "rad", pi_power=1),
    Atom("rpm", "1", "rev/min"),
    # --- viscosity, permeability -------------------------------------------------------------
    Atom("P", "1/10", "Pa.s", _PREFIXABLE),
    Atom("St", "1E-4", "m2/s", _PREFIXABLE),
    Atom("D", "1E-12/1.01325", "m2", _PREFIXABLE, quantity="permeability rock"),
    Atom("D[API]", "1E-12", "m2", _PREFIXABLE, quantity="permeability rock"),
    # --- electromagnetism, radiation, light --------------------------------------------------
    Atom("gauss", "1E-4", "T", _PREFIXABLE),
    Atom("Oe", "250", "A/m", pi_power=-1),  # 1000/(4 pi) A/m
    Atom("Ci", "3.7E10", "Bq", _PREFIXABLE, quantity="activity of radioactivity"),
    Atom("rd", "1/100", "Gy", _PREFIXABLE, quantity="absorbed dose"),
    Atom("rem", "1/100", "Sv", _PREFIXABLE, quantity="dose equivalent"),
    Atom("footcandle", "1", "lm/ft2"),
    # --- logging, counting, information ------------------------------------------------------
    Atom("cu", "1/10", "1/m"),  # capture unit, 1E-3 1/cm
    Atom("Bd", "1", "1/s", quantity="signaling event per time"),
    Atom("byte", "8", "bit"),
    Atom("Kibyte", "1024", "byte"),
    Atom("Mibyte", "1048576", "byte"),
    # --- miscellaneous -----------------------------------------------------------------------
    Atom("knot", "1", "mi[naut]/h"),
    Atom("%", "1/100", "Euc"),
    Atom("%[area]", "1/100", "Euc"),
    Atom("%[mass]", "1/100", "Euc"),
    Atom("%[molar]", "1/100", "Euc"),
    Atom("%[vol]", "1/100", "Euc"),
    Atom("ppk", "1E-3", "Euc"),
    Atom("ppm", "1E-6", "Euc"),
    Atom("ppm[mass]", "1E-6", "Euc"),
    Atom("ppm[vol]", "1E-6", "Euc"),
)
