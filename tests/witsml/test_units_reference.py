"""witsml.units against the official lists in ../shared: every Energistics symbol resolves.

- the ``eml:UnitOfMeasure`` enumeration (models-2.0.txt, about 1,400 symbols);
- the per-quantity ``...Uom`` enumerations of the common 2.1 QuantityClass.xsd used by WITSML 2.0,
  whose symbols must resolve, be mutually convertible, and (for the drilling quantities) carry the
  class's name;
- every unit written in the WITSML sample files.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import WITSML_REF, need
from witsml.errors import UnitError
from witsml.units import quantity_of, resolve_alias
from witsml.units.symbols import parse_symbol

QUANTITY_XSD = (
    WITSML_REF / "xsd-2.0" / "energyml" / "data" / "common" / "v2.1" / "xsd_schemas"
) / "QuantityClass.xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"

# Spellings of the 2.0 quantity schema that the unit dictionary later dropped or never defined:
# square roots of time, milliequivalents, "lb" (mass or force?) and "electron" counts.
UNSUPPORTED_LEGACY = {"h(0.5)", "s(0.5)", ".01 meq/g", "lb/ft.degF", "lb/ft.psi", "b/electron"}

# Drilling quantity classes: every symbol of the class gets exactly the class's name.
NAMED_CLASSES = {
    "LengthUom": "length",
    "TimeUom": "time",
    "MassUom": "mass",
    "PressureUom": "pressure",
    "ForceUom": "force",
    "MassPerVolumeUom": "mass per volume",
    "VolumePerTimeUom": "volume per time",
    "VolumeUom": "volume",
    "PlaneAngleUom": "plane angle",
    "AngularVelocityUom": "angular velocity",
    "AnglePerLengthUom": "angle per length",
    "LengthPerTimeUom": "length per time",
    "ThermodynamicTemperatureUom": "thermodynamic temperature",
    "TemperatureIntervalUom": "temperature interval",
    "APIGammaRayUom": "api gamma ray",
    "DimensionlessUom": "dimensionless",
    "TimePerLengthUom": "time per length",
    "ForcePerVolumeUom": "force per volume",
    "VolumePerLengthUom": "volume per length",
    "DynamicViscosityUom": "dynamic viscosity",
    "ElectricalResistivityUom": "electrical resistivity",
    "MagneticFluxDensityUom": "magnetic flux density",
}


def official_unit_symbols() -> list[str]:
    text = need(WITSML_REF / "models-2.0.txt", "WITSML 2.0 model listing").read_text()
    match = re.search(r"### eml:UnitOfMeasure .*\n\s*simple type .*?enum=(\[.*\])", text)
    assert match, "eml:UnitOfMeasure enumeration not found in models-2.0.txt"
    symbols = ast.literal_eval(match.group(1))
    assert isinstance(symbols, list)
    return [str(symbol) for symbol in symbols]


@functools.cache
def quantity_class_enums() -> dict[str, list[str]]:
    root = etree.parse(str(need(QUANTITY_XSD, "common 2.1 QuantityClass.xsd"))).getroot()
    classes = {}
    for simple_type in root.iterfind(f"{XS}simpleType"):
        values = [
            e.get("value", "") for e in simple_type.iterfind(f"{XS}restriction/{XS}enumeration")
        ]
        if values:
            classes[simple_type.get("name", "")] = values
    return classes


def test_every_official_unit_symbol_resolves(record_property: pytest.RecordProperty) -> None:
    symbols = official_unit_symbols()
    failures = {}
    for symbol in symbols:
        try:
            parse_symbol(symbol)
        except UnitError as error:
            failures[symbol] = str(error)
    resolved = len(symbols) - len(failures)
    record_property("eml:UnitOfMeasure resolved", f"{resolved} of {len(symbols)}")
    print(f"eml:UnitOfMeasure: {resolved} of {len(symbols)} symbols resolve")
    assert len(symbols) > 1400
    assert failures == {}


def test_quantity_class_enumerations_resolve_and_convert_among_themselves() -> None:
    classes = quantity_class_enums()
    assert len(classes) > 150
    unsupported = set()
    for name, symbols in classes.items():
        units = []
        for symbol in symbols:
            try:
                canonical, _ = resolve_alias(symbol)
            except UnitError:
                unsupported.add(symbol)
                continue
            units.append(parse_symbol(canonical))
        kinds = {(u.dimension, u.is_absolute_temperature) for u in units}
        assert len(kinds) <= 1, f"{name} mixes dimensions: {kinds}"
    assert unsupported == UNSUPPORTED_LEGACY


@pytest.mark.parametrize(("class_name", "quantity"), sorted(NAMED_CLASSES.items()))
def test_drilling_quantity_classes_carry_their_names(class_name: str, quantity: str) -> None:
    symbols = quantity_class_enums()[class_name]
    assert symbols
    wrong = {s: quantity_of(s) for s in symbols if quantity_of(s) != quantity}
    assert wrong == {}


def test_units_used_in_the_samples_resolve() -> None:
    paths = sorted(need(WITSML_REF, "WITSML samples").glob("samples-2.*/*.xml"))
    assert paths
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    used: dict[str, Path] = {}
    for path in paths:
        for element in etree.parse(str(path), parser).iter():
            if not isinstance(element.tag, str):
                continue
            for attribute, value in element.attrib.items():
                if attribute == "uom" or attribute.endswith("Uom"):
                    used.setdefault(value, path)
            if element.tag.endswith("Uom") and element.text:
                used.setdefault(element.text.strip(), path)
    unknown = set()
    for symbol in used:
        try:
            resolve_alias(symbol)
        except UnitError:
            unknown.add(symbol)
    # "" is in the deliberately invalid sample; the others are placeholders or a 1.x unit.
    assert unknown == {"", "UnitofMeasureExt", "meq/g"}
    assert len(used) > 80
