"""LAS 1.2/2.0 files <-> WITSML logs, through ``lasio`` (optional, extra ``las``).

Reading (:func:`read_las`) makes a Log with one ChannelSet whose primary index is the first
curve (wrapped files, ``WRAP YES``, are read too; LAS 3.0 is refused); writing
(:func:`write_las`) gives the LAS 2.0 text (``WRAP NO``) of one ChannelSet. Header items map to
WITSML fields both ways (``docs/convert.md`` has the table): ``WELL`` is the Well's name,
``FLD``/``CTRY``/``STAT``/``CNTY``/``COMP``/``API``/``UWI``/``LIC`` are Well fields, ``SRVC`` is
the logging company, ``DATE`` the Log's creation date, ``RUN`` (``~Parameter``) its run number,
``STRT``/``STOP``/``STEP`` come from the index and ``NULL`` is WITSML's missing value. The
``~Other`` text is the Log's citation description. Items without a WITSML field (``LOC``,
``~Parameter`` items, a curve's API code) are kept as ``ExtensionNameValue`` named
``las.well.LOC``, ``las.parameter.BHT``, ``las.curve.apiCode`` (values of up to 64 characters,
as the schema allows), and written back.

Units: the index unit is read as LAS writes it (``M``/``F``/``FT`` are metres and feet, ``S``
seconds), curve units through :mod:`witsml.units` (its aliases, after a few LAS spellings such
as ``MV`` for millivolts); a unit read differently from how it is written is reported, and one
that is not known at all is kept as the extension ``LAS:<unit>``, reported. A depth index is
``measured depth`` (``true vertical depth`` for a ``TVD...`` mnemonic), a time unit gives
``elapsed time``, and ISO-8601 date-times as index values (written by many tools, although LAS
2.0 has numbers only) give ``date time``. Repeated curve mnemonics become ``DT``, ``DT#2``...,
reported.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from witsml import units
from witsml.convert.exporting import Export, as_export
from witsml.convert.importing import (
    Header,
    Imported,
    Origin,
    assemble,
    index_direction,
    note,
    parse_times,
    read_unit,
)
from witsml.data import times
from witsml.data.table import ChannelTable, Column
from witsml.errors import FormatError, UnitError
from witsml.objects.common import DataObjectReference, ExtensionNameValue, StringMeasure
from witsml.objects.log import ChannelSet, Log
from witsml.units.aliases import ALIASES
from witsml.validation.report import Finding

EXTENSION_AUTHORITY = "LAS"
"""Authority of a unit kept as an extension (``LAS:K/M3``) because it is not known."""

# Index units as LAS writes them; F and S would otherwise read as farad and siemens.
_INDEX_UNITS = {
    "M": "m", "METER": "m", "METERS": "m", "METRE": "m", "METRES": "m",
    "F": "ft", "FT": "ft", "FEET": "ft", "FOOT": "ft",
    "S": "s", "SEC": "s", "SECS": "s", "MS": "ms", "MIN": "min",
    "H": "h", "HR": "h", "HRS": "h", "D": "d", "DAY": "d", "DAYS": "d",
}  # fmt: skip
_INDEX_UNITS_OUT = {"m": "M", "ft": "F", "s": "S", "ms": "MS", "min": "MIN", "h": "HR", "d": "D"}
# Curve units as LAS tools write them, where the same letters mean another Energistics unit
# (MV is megavolt) or no unit at all.
_CURVE_UNITS = {
    "MV": "mV", "K/M3": "kg/m3", "G/C3": "g/cm3", "G/CM3": "g/cm3", "PU": "%", "DEC": "Euc",
    "V/V": "m3/m3", "CPS": "1/s", "US/M": "us/m", "IN": "in", "MM": "mm", "KPA": "kPa",
    "DEGC": "degC", "DEGF": "degF", "M/HR": "m/h", "F/HR": "ft/h", "FT/HR": "ft/h",
    "KLBS": "klbf",
}  # fmt: skip
_WELL_FIELDS = {
    "FLD": "field", "CTRY": "country", "STAT": "state", "PROV": "state", "CNTY": "county",
    "COMP": "operator", "API": "num_api", "UWI": "num_govt", "LIC": "num_license",
}  # fmt: skip
_WELL_ORDER = ("COMP", "WELL", "FLD", "CTRY", "STAT", "CNTY", "SRVC", "DATE", "UWI", "API", "LIC")
_DESCRIPTIONS = {
    "STRT": "START", "STOP": "STOP", "STEP": "STEP", "NULL": "NULL VALUE", "COMP": "COMPANY",
    "WELL": "WELL", "FLD": "FIELD", "LOC": "LOCATION", "CTRY": "COUNTRY", "STAT": "STATE",
    "CNTY": "COUNTY", "SRVC": "SERVICE COMPANY", "DATE": "LOG DATE", "UWI": "UNIQUE WELL ID",
    "API": "API NUMBER", "LIC": "LICENSE NUMBER", "RUN": "RUN NUMBER",
}  # fmt: skip
_VALUE_LIMIT, _TEXT_LIMIT = 64, 2000  # String64 and String2000 of the schemas
_NULLS = (-999.25, -9999.25, -99999.25, -999999.25)
_DATE_FORMATS = ("%Y-%m-%d", "%d-%b-%y", "%d-%b-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%Y%m%d")
PREFIX_WELL, PREFIX_PARAMETER, API_CODE = "las.well.", "las.parameter.", "las.curve.apiCode"


def _lasio() -> Any:
    try:
        import lasio
    except ImportError:
        raise ImportError(
            "LAS files need lasio, which is optional: pip install 'witsml-etp[las]'"
        ) from None
    return lasio


# -- reading ----------------------------------------------------------------------------------


def read_las(
    path: str | os.PathLike[str],
    *,
    origin: Origin | None = None,
    channel_classes: Mapping[str, DataObjectReference] | None = None,
) -> Imported:
    """A Log (one ChannelSet), its Wellbore and Well from a LAS 1.2 or 2.0 file.

    Raises :class:`~witsml.errors.FormatError` naming the file for what cannot be read: not
    LAS, LAS 3.0, no curves, an index without a unit or with missing, repeated or unordered
    values. What is read differently from how it is written is in ``findings``.
    """
    lasio = _lasio()
    source = str(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"{source}: no such file")
    logger = logging.getLogger("lasio")
    level = logger.level
    logger.setLevel(logging.ERROR)  # lasio logs how it reads (engine choices) as warnings
    try:
        las = lasio.read(
            source, null_policy="strict", mnemonic_case="preserve", ignore_header_errors=False
        )
    except Exception as error:  # lasio raises many kinds; all mean the file is not LAS we read
        raise FormatError(f"not a readable LAS file: {error}", source=source) from None
    finally:
        logger.setLevel(level)
    version = str(_item_value(las.version, "VERS") or "")
    if version.startswith("3"):
        raise FormatError("LAS 3.0 is not read (LAS 1.2 and 2.0 are)", source=source)
    if not las.curves:
        raise FormatError("no curves: the ~Curve section is missing or empty", source=source)
    findings: list[Finding] = []
    header = _header(las, findings, source)
    index = _index_column(las, source, findings)
    channels = _channel_columns(las, findings)
    _check_bounds(las, index, findings)
    table = ChannelTable([index], channels)
    return assemble(
        table,
        header,
        origin or Origin(),
        fallback_name=Path(source).stem,
        channel_classes=channel_classes,
        findings=findings,
    )


def _item_value(section: Any, mnemonic: str) -> Any:
    for item in section:
        if item.mnemonic.upper() == mnemonic:
            return item.value
    return None


def _number(value: Any) -> float | None:
    """A header item's value as a number (lasio gives numpy scalars), None if it is not one."""
    return float(value) if isinstance(value, int | float | np.number) else None


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _header(las: Any, findings: list[Finding], source: str) -> Header:
    header = Header()
    for item in las.well:
        mnemonic, value = item.mnemonic.upper(), _text(item.value)
        if mnemonic in ("STRT", "STOP", "STEP", "NULL") or not value:
            continue
        if mnemonic == "WELL":
            header.well_name = value
        elif mnemonic == "SRVC":
            header.logging_company = value
        elif mnemonic == "DATE" and _date(value) is not None:
            header.created = _date(value)
        elif mnemonic in _WELL_FIELDS and not (
            mnemonic == "PROV" and "state" in header.well_fields
        ):
            header.well_fields[_WELL_FIELDS[mnemonic]] = value
        else:
            header.log_extensions.append(_extension(PREFIX_WELL + item.mnemonic, item, findings))
            if mnemonic == "DATE":
                findings.append(note(f"DATE {value!r} is not a date read here; kept as text"))
    for item in las.params:
        if item.mnemonic.upper() == "RUN" and _text(item.value):
            header.run_number = _text(item.value)
        else:
            extension = _extension(PREFIX_PARAMETER + item.mnemonic, item, findings)
            header.log_extensions.append(extension)
    if las.other and las.other.strip():
        header.description = las.other.strip()[:_TEXT_LIMIT]
        if len(las.other.strip()) > _TEXT_LIMIT:
            findings.append(note(f"~Other text cut to {_TEXT_LIMIT} characters"))
    for curve, mnemonic in zip(las.curves[1:], _unique_mnemonics(las)[1:], strict=True):
        if _text(curve.descr):
            header.channel_titles[mnemonic] = _text(curve.descr)
        if _text(curve.value):
            code = ExtensionNameValue(name=API_CODE, value=StringMeasure(value=_text(curve.value)))
            header.channel_extensions[mnemonic] = [code]
    return header


def _extension(name: str, item: Any, findings: list[Finding]) -> ExtensionNameValue:
    uom = _text(item.unit)
    if uom:
        uom = _known_or_extension(uom)
    value = _text(item.value)
    if len(value) > _VALUE_LIMIT:
        findings.append(note(f"{item.mnemonic}: value cut to {_VALUE_LIMIT} characters"))
    return ExtensionNameValue(
        name=name[:_VALUE_LIMIT],
        value=StringMeasure(value=value[:_VALUE_LIMIT], uom=uom or None),
        description=_text(item.descr)[:_TEXT_LIMIT] or None,
    )


def _known_or_extension(uom: str) -> str:
    return read_unit(_CURVE_UNITS.get(uom, uom), "", EXTENSION_AUTHORITY, [])


def _date(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    for form in _DATE_FORMATS:
        try:
            return datetime.strptime(text.title(), form).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _unique_mnemonics(las: Any) -> list[str]:
    taken: set[str] = set()
    names = []
    for curve in las.curves:
        name, repeat = curve.original_mnemonic, 1
        while name in taken:
            repeat += 1
            name = f"{curve.original_mnemonic}#{repeat}"
        taken.add(name)
        names.append(name)
    return names


def _index_column(las: Any, source: str, findings: list[Finding]) -> Column:
    curve = las.curves[0]
    mnemonic = curve.original_mnemonic
    data = np.asarray(curve.data)
    if data.dtype.kind in "fiu":
        values = data.astype(np.float64)  # a copy: lasio leaves NULL in the index, mark it
        null = _number(_item_value(las.well, "NULL"))
        if null is not None:
            values[values == null] = np.nan
        uom, index_type = _index_unit(las, curve, source, findings)
    else:
        values = _date_times(data, mnemonic, source)
        uom, index_type = "s", "date time"
    missing = np.flatnonzero(np.isnat(values) if values.dtype.kind == "M" else np.isnan(values))
    if len(missing):
        raise FormatError(
            f"index {mnemonic!r} has no value at data row {int(missing[0]) + 1}", source=source
        )
    direction = _direction(values, mnemonic, source)
    return Column.index(mnemonic, values, uom=uom, index_type=index_type, direction=direction)


def _index_unit(las: Any, curve: Any, source: str, findings: list[Finding]) -> tuple[str, str]:
    written = _text(curve.unit) or _text(las.well["STRT"].unit if "STRT" in las.well else "")
    if not written:
        raise FormatError(
            f"index {curve.original_mnemonic!r} has no unit (neither on the curve nor STRT)",
            source=source,
        )
    uom = _INDEX_UNITS.get(written.upper())
    if uom is None:
        try:
            uom, alias = units.resolve_alias(written)
        except UnitError as error:
            raise FormatError(
                f"index {curve.original_mnemonic!r}: {error}", source=source
            ) from None
        if alias:
            findings.append(note(f"index {curve.original_mnemonic!r}: {alias}"))
    quantity = units.quantity_of(uom)
    if quantity == "length":
        tvd = curve.original_mnemonic.upper().startswith("TVD")
        return uom, "true vertical depth" if tvd else "measured depth"
    if quantity == "time":
        return uom, "elapsed time"
    raise FormatError(
        f"index {curve.original_mnemonic!r} is in {uom!r} ({quantity}); a LAS index is a depth "
        "or a time",
        source=source,
    )


def _date_times(data: np.ndarray[Any, Any], mnemonic: str, source: str) -> np.ndarray[Any, Any]:
    values, bad = parse_times([str(value) for value in data])
    if bad:
        raise FormatError(
            f"index {mnemonic!r} value {str(data[bad[0]])!r} at data row {bad[0] + 1} is neither "
            "a number nor an ISO-8601 date-time",
            source=source,
        )
    return values


def _direction(values: np.ndarray[Any, Any], mnemonic: str, source: str) -> str:
    direction, position, wrong = index_direction(values)
    if position is not None:
        raise FormatError(f"index {mnemonic!r} {wrong} (data row {position + 1})", source=source)
    return direction


def _channel_columns(las: Any, findings: list[Finding]) -> list[Column]:
    columns = []
    names = _unique_mnemonics(las)
    for curve, mnemonic in zip(las.curves[1:], names[1:], strict=True):
        if mnemonic != curve.original_mnemonic:
            findings.append(
                note(f"curve {curve.original_mnemonic!r} repeated: read as {mnemonic!r}")
            )
        uom = _curve_unit(_text(curve.unit), mnemonic, findings)
        data = np.asarray(curve.data)
        if data.dtype.kind in "fiu":
            columns.append(Column.channel(mnemonic, data.astype(np.float64), uom=uom))
        else:
            text = np.char.strip(data.astype(str)).astype(object)
            text[text == ""] = None
            columns.append(Column.channel(mnemonic, text, uom=uom, data_type="string"))
    return columns


def _curve_unit(written: str, mnemonic: str, findings: list[Finding]) -> str:
    if written in _CURVE_UNITS:
        uom = _CURVE_UNITS[written]
        findings.append(note(f"curve {mnemonic!r}: LAS unit {written!r} read as {uom!r}"))
        return uom
    return read_unit(written, f"curve {mnemonic!r}", EXTENSION_AUTHORITY, findings)


def _check_bounds(las: Any, index: Column, findings: list[Finding]) -> None:
    if not len(index) or index.storage != "float":
        return
    for mnemonic, value in (("STRT", index.values[0]), ("STOP", index.values[-1])):
        stated = _number(_item_value(las.well, mnemonic))
        if stated is not None and not math.isclose(stated, value, abs_tol=1e-6):
            findings.append(
                note(
                    f"{mnemonic} is {stated} but the data's index runs from "
                    f"{index.values[0]} to {index.values[-1]}; the data is kept"
                )
            )


# -- writing ----------------------------------------------------------------------------------


def write_las(source: Log | ChannelSet | Export) -> str:
    """The LAS 2.0 text (WRAP NO) of one ChannelSet, its primary index as the first curve.

    Further indexes are written as curves. Raises :class:`~witsml.errors.FormatError` for what
    LAS 2.0 cannot hold: channels of strings, booleans or other non-numbers, point metadata, a
    unit with a space that has no LAS spelling.
    """
    export = as_export(source)
    lasio = _lasio()
    table = export.table
    _check_writable(table)
    las = lasio.LASFile()
    las.version.clear()
    las.version.append(lasio.HeaderItem("VERS", "", "2.0", "CWLS LOG ASCII STANDARD - VERSION 2.0"))
    las.version.append(lasio.HeaderItem("WRAP", "", "NO", "ONE LINE PER DEPTH STEP"))
    null = _null_value(table)
    index = table.index
    index_unit = _index_unit_out(index)
    tokens = [_tokens(column, null) for column in table.columns]
    start, stop, step = _bounds_out(index, tokens[0])
    las.well.clear()
    for mnemonic, unit, value in (
        ("STRT", index_unit, start), ("STOP", index_unit, stop), ("STEP", index_unit, step),
        ("NULL", "", null),
    ):  # fmt: skip
        las.well.append(lasio.HeaderItem(mnemonic, unit, value, _DESCRIPTIONS[mnemonic]))
    for mnemonic, value in _well_items(export):
        las.well.append(lasio.HeaderItem(mnemonic, "", value, _DESCRIPTIONS[mnemonic]))
    log = export.log
    if log is not None and log.run_number:
        las.params.append(lasio.HeaderItem("RUN", "", log.run_number, _DESCRIPTIONS["RUN"]))
    for extension in log.extension_name_values if log is not None else []:
        for prefix, section in ((PREFIX_WELL, las.well), (PREFIX_PARAMETER, las.params)):
            if extension.name.startswith(prefix):
                mnemonic = extension.name[len(prefix) :]
                uom = _unit_out(extension.value.uom) if extension.value.uom else ""
                item = lasio.HeaderItem(
                    mnemonic, uom, extension.value.value, extension.description or ""
                )
                section.append(item)
    if log is not None and log.citation.description:
        las.other = log.citation.description
    channels = {c.mnemonic: c for c in export.channel_set.channels}
    for column, column_tokens in zip(table.columns, tokens, strict=True):
        declared = channels.get(column.mnemonic)
        description, code = "", ""
        if declared is not None:
            if declared.citation.title != column.mnemonic:
                description = declared.citation.title
            code = next(
                (e.value.value for e in declared.extension_name_values if e.name == API_CODE), ""
            )
        unit = index_unit if column is index else _unit_out(column.uom or "")
        las.append_curve(
            column.mnemonic, np.asarray(column_tokens), unit=unit, value=code, descr=description
        )
    out = io.StringIO()
    width = max((len(t) for column_tokens in tokens for t in column_tokens), default=10) + 1
    las.write(out, version=2, wrap=False, STRT=start, STOP=stop, STEP=step, len_numeric_field=width)
    return out.getvalue()


def _check_writable(table: ChannelTable) -> None:
    for column in table.columns:
        if column.point_metadata:
            raise FormatError(
                f"channel {column.mnemonic!r} has point metadata, which LAS cannot hold: leave "
                "it out (channels=...) or write CSV, JSON or Parquet"
            )
        if column.storage not in ("float", "int") and not (
            column is table.index and column.storage == "time"
        ):
            kind = "date-time" if column.storage == "time" else column.storage
            raise FormatError(
                f"channel {column.mnemonic!r} holds {kind} values; LAS 2.0 data are numbers: "
                "leave it out (channels=...) or write CSV, JSON or Parquet"
            )


def _null_value(table: ChannelTable) -> float:
    """-999.25, unless a value equals it (then the next of -9999.25, ... that none equals)."""
    numeric = [c.values[~c.mask] for c in table.columns if c.storage in ("float", "int")]
    for candidate in _NULLS:
        if not any(np.any(values == candidate) for values in numeric):
            return candidate
    raise FormatError(f"every usual LAS NULL value ({_NULLS}) occurs in the data")


def _tokens(column: Column, null: float) -> list[str]:
    if column.storage == "time":
        texts = times.format_iso(column.values)
    elif column.storage == "int":
        texts = [str(v) for v in column.values.tolist()]
    else:
        texts = [repr(v) for v in column.values.tolist()]
    null_text = repr(null)
    for position in np.flatnonzero(column.mask).tolist():
        texts[position] = null_text
    return texts


def _bounds_out(index: Column, tokens: list[str]) -> tuple[Any, Any, Any]:
    if not len(index):
        return "", "", ""
    if index.storage == "time":
        return tokens[0], tokens[-1], 0
    values = index.values
    steps = np.diff(values)
    step = float(steps[0]) if len(steps) and np.allclose(steps, steps[0], rtol=1e-9) else 0
    return float(values[0]), float(values[-1]), step


def _index_unit_out(index: Column) -> str:
    if index.storage == "time":
        return ""
    uom = index.uom or ""
    return _INDEX_UNITS_OUT.get(uom, _unit_out(uom))


def _unit_out(uom: str) -> str:
    """A LAS unit for an Energistics symbol: LAS units end at a space, so a symbol with one is
    written as its alias without (``0.01 dega/ft`` as ``deg/100ft``)."""
    if uom.startswith(f"{EXTENSION_AUTHORITY}:"):
        return uom[len(EXTENSION_AUTHORITY) + 1 :]
    if " " not in uom:
        return uom
    for alias, (canonical, _) in ALIASES.items():
        if canonical == uom and not re.search(r"\s", alias):
            return alias
    raise FormatError(f"unit {uom!r} has a space, and no LAS spelling without one is known")


def _well_items(export: Export) -> list[tuple[str, str]]:
    well, log = export.well, export.log
    values: dict[str, str] = {}
    if well is not None:
        values["WELL"] = well.citation.title
        for mnemonic, name in _WELL_FIELDS.items():
            if mnemonic != "PROV" and getattr(well, name) is not None:
                values[mnemonic] = str(getattr(well, name))
    elif export.wellbore_title:
        values["WELL"] = export.wellbore_title
    if export.logging_company:
        values["SRVC"] = export.logging_company
    dated = [e for e in log.extension_name_values if e.name == PREFIX_WELL + "DATE"] if log else []
    if log is not None and not dated:
        values["DATE"] = log.citation.creation.date().isoformat()
    return [(m, values[m]) for m in _WELL_ORDER if m in values]
