"""How each model maps to XML: field plans read from the models' markers, and text conversions.

A :class:`ModelPlan` is built once per model class from its fields' ``Annotated`` markers
(:mod:`witsml.objects.base`) and their types, and cached. Text conversions follow the XSD
lexical spaces (``xs:double`` with ``INF``/``NaN``, ``xs:boolean`` ``true``/``1``...).
"""

from __future__ import annotations

import enum
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any, Literal

from pydantic import AwareDatetime

from witsml.objects.base import UNSPECIFIED_OFFSET, Attribute, Element, Text, XmlFragment, XmlModel
from witsml.xml.namespaces import clark

Kind = Literal["attribute", "text", "element"]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """One model field and its XML form.

    ``xml_name`` is the Clark name of an element or the name of an attribute. An element field
    holds a scalar (``scalar`` is its Python type), one model class (``model``), or, for an
    abstract XSD type, one of several classes told apart by ``xsi:type`` (``choices``);
    ``fragment`` says an :class:`XmlFragment` is accepted (kept as is).
    """

    name: str
    xml_name: str
    kind: Kind
    repeated: bool
    required: bool
    scalar: type | None
    model: type[XmlModel] | None
    choices: dict[str, type[XmlModel]]
    fragment: bool


@dataclass(frozen=True, slots=True)
class ModelPlan:
    """Every field of one model class, in XSD order, with lookups by XML name."""

    cls: type[XmlModel]
    fields: tuple[FieldPlan, ...]
    attributes: dict[str, FieldPlan]
    elements: dict[str, FieldPlan]
    text: FieldPlan | None
    required: tuple[FieldPlan, ...]
    """The fields a document must have."""


@cache
def plan_for(cls: type[XmlModel]) -> ModelPlan:
    """The (cached) plan of a model class."""
    fields = tuple(_field_plan(name, info) for name, info in cls.model_fields.items())
    texts = [f for f in fields if f.kind == "text"]
    return ModelPlan(
        cls=cls,
        fields=fields,
        attributes={f.xml_name: f for f in fields if f.kind == "attribute"},
        elements={f.xml_name: f for f in fields if f.kind == "element"},
        text=texts[0] if texts else None,
        required=tuple(f for f in fields if f.required),
    )


def _field_plan(name: str, info: Any) -> FieldPlan:
    markers = [m for m in info.metadata if isinstance(m, Element | Attribute | Text)]
    if len(markers) != 1:
        raise TypeError(f"field {name!r} needs exactly one of Element/Attribute/Text")
    marker = markers[0]
    repeated, options = _options(info.annotation)
    fragment = XmlFragment in options
    models = [o for o in options if isinstance(o, type) and issubclass(o, XmlModel)]
    scalars = [o for o in options if o not in models and o is not XmlFragment]
    scalar = _scalar_type(scalars[0]) if scalars else None
    choices = {m.xsi_type: m for m in models if m.xsi_type is not None}
    polymorphic = len(models) > 1 or (fragment and bool(models))
    required = info.is_required()
    if isinstance(marker, Element):
        kind: Kind = "element"
        xml_name = clark(marker.namespace, marker.name)
        required = marker.required if marker.required is not None else required
    elif isinstance(marker, Attribute):
        kind = "attribute"
        xml_name = marker.name
        required = marker.required if marker.required is not None else required
    else:
        kind, xml_name = "text", ""
    return FieldPlan(
        name=name,
        xml_name=xml_name,
        kind=kind,
        repeated=repeated,
        required=required,
        scalar=scalar,
        model=models[0] if models and not polymorphic else None,
        choices=choices if polymorphic else {},
        fragment=fragment,
    )


def _options(annotation: Any) -> tuple[bool, list[Any]]:
    """(is a list, the non-None alternatives) of a field type, ``Annotated`` layers removed."""
    annotation = _unwrap(annotation)
    repeated = typing.get_origin(annotation) is list
    if repeated:
        annotation = _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [_unwrap(a) for a in typing.get_args(annotation)]
    else:
        options = [annotation]
    return repeated, [o for o in options if o is not type(None)]


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _scalar_type(annotation: Any) -> type:
    if annotation is AwareDatetime:
        return datetime
    if annotation in (str, int, float, bool, datetime) or (
        isinstance(annotation, type) and issubclass(annotation, enum.Enum)
    ):
        return typing.cast(type, annotation)
    raise TypeError(f"no XML conversion for {annotation!r}")


# --- text <-> value --------------------------------------------------------------------------

_DOUBLE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT = re.compile(r"[+-]?[0-9]+")
_DATETIME = re.compile(
    r"(?P<year>-?[0-9]{4,})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_SPECIAL_DOUBLES = {"INF": math.inf, "+INF": math.inf, "-INF": -math.inf, "NaN": math.nan}


def parse_double(text: str) -> float:
    """An ``xs:double``/``xs:float``: decimal or scientific, ``INF``, ``-INF``, ``NaN``."""
    stripped = text.strip()
    if stripped in _SPECIAL_DOUBLES:
        return _SPECIAL_DOUBLES[stripped]
    if not _DOUBLE.fullmatch(stripped):
        raise ValueError(f"{text!r} is not a number")
    return float(stripped)


def format_double(value: float) -> str:
    """The shortest text that reads back as the same double (whole numbers without ``.0``;
    ``INF``, ``-INF``, ``NaN`` spelt the XSD way)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # "520", not "520.0"
    return repr(float(value))


def parse_int(text: str) -> int:
    """An ``xs:int``/``xs:long`` (and positive variants: the range is the schema's business)."""
    stripped = text.strip()
    if not _INT.fullmatch(stripped):
        raise ValueError(f"{text!r} is not an integer")
    return int(stripped)


def parse_bool(text: str) -> bool:
    """An ``xs:boolean``: ``true``, ``false``, ``1`` or ``0``."""
    stripped = text.strip()
    if stripped in ("true", "1"):
        return True
    if stripped in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not a boolean (true, false, 1 or 0)")


def parse_datetime(text: str) -> datetime:
    """An ``xs:dateTime`` as an aware datetime.

    Without an offset, the time is taken as UTC with tzinfo :data:`UNSPECIFIED_OFFSET`, which
    :func:`format_datetime` writes back without an offset. Digits beyond microseconds are
    truncated (Python's resolution); ``24:00:00`` is the start of the next day.
    """
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a date-time (YYYY-MM-DDThh:mm:ss[.fff][Z|+hh:mm])")
    year = int(match["year"])
    if not 1 <= year <= 9999:
        raise ValueError(f"{text!r}: year {year} is outside 1..9999")
    zone = match["zone"]
    if zone is None:
        tz: Any = UNSPECIFIED_OFFSET
    elif zone == "Z":
        tz = UTC
    else:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise ValueError(f"{text!r}: time zone offset {zone} is out of range")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if zone[0] == "-" else offset) if offset else UTC
    microsecond = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    hour = int(match["hour"])
    end_of_day = hour == 24
    if end_of_day:
        if match["minute"] != "00" or match["second"] != "00" or microsecond:
            raise ValueError(f"{text!r}: hour 24 is only allowed as 24:00:00")
        hour = 0
    try:
        value = datetime(
            year,
            int(match["month"]),
            int(match["day"]),
            hour,
            int(match["minute"]),
            int(match["second"]),
            microsecond,
            tzinfo=tz,
        )
    except ValueError as error:
        raise ValueError(f"{text!r} is not a valid date-time: {error}") from None
    return value + timedelta(days=1) if end_of_day else value


def format_datetime(value: datetime) -> str:
    """``YYYY-MM-DDThh:mm:ss[.ffffff]`` then ``Z``, ``±hh:mm``, or nothing for
    :data:`UNSPECIFIED_OFFSET` (trailing zeros of the fraction dropped)."""
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    if value.tzinfo is UNSPECIFIED_OFFSET:
        return text
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{value!r} has no time zone (WITSML date-times need one)")
    if not offset:
        return text + "Z"
    if offset % timedelta(minutes=1):
        raise ValueError(f"{value!r}: xs:dateTime offsets are whole minutes")
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_scalar(scalar: type, text: str) -> Any:
    """Text to a value of ``scalar``; raises ValueError with a plain message."""
    if scalar is str:
        return text
    if scalar is float:
        return parse_double(text)
    if scalar is int:
        return parse_int(text)
    if scalar is bool:
        return parse_bool(text)
    if scalar is datetime:
        return parse_datetime(text)
    try:
        return typing.cast(Callable[[str], Any], scalar)(text)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in typing.cast(type[enum.Enum], scalar))
        if len(allowed) > 300:
            allowed = allowed[:300] + "..."
        raise ValueError(f"{text!r} is not one of {allowed}") from None


def format_scalar(value: Any) -> str:
    """A value to its XML text (a string kept raw by a lax read is written as it is)."""
    if isinstance(value, str):  # also str-valued enums
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    raise TypeError(f"cannot write {value!r} as XML text")
