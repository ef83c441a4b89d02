"""How a Python class becomes an ETP 1.2 Avro type: the single source of truth for the schemas.

Every ETP datatype and message is a frozen, slotted, keyword-only dataclass declared with
:func:`record` or :func:`message`; enums are :class:`enum.StrEnum` classes declared with
:func:`avro_enum` (member value = Avro symbol, definition order = wire ordinal). The annotations
are the schema, field order is Avro field order, dataclass defaults are Avro defaults:

===============================  ======================================================
Python annotation                Avro type
===============================  ======================================================
``int`` / ``Int32``              ``long`` / ``int``
``float`` / ``Float32``          ``double`` / ``float``
``bool``, ``str``, ``bytes``     ``boolean``, ``string``, ``bytes``
``uuid.UUID``                    ``Energistics.Etp.v12.Datatypes.Uuid`` (fixed, 16 bytes)
``Sequence[X]``                  ``array<X>`` (decoded as ``list``)
``Mapping[str, X]``              ``map<X>`` (decoded as ``dict``)
``X | None``                     ``["null", X]``
an ``@avro_enum`` class          ``enum``
a ``@record``/``@message`` class ``record``
``Annotated[..., UnionSpec]``    a record whose only field ``item`` is a union
                                 (``DataValue``, ``IndexValue``, ``AnyArray``): the Python
                                 value *is* the item, its type picks the branch
===============================  ======================================================

Python field names are snake_case; the Avro name is their camelCase (a trailing ``_`` is
dropped, so ``pass_`` is ``pass``), unless ``field(metadata={"avro": "Name"})`` says otherwise.

:func:`avro_type` turns an annotation or class into the small type model below (used by the codec),
:func:`avro_schema` into Avro JSON.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, TypeAlias, TypeVar, dataclass_transform

ETP_NAMESPACE = "Energistics.Etp.v12"
DATATYPES_NAMESPACE = f"{ETP_NAMESPACE}.Datatypes"

#: Avro namespace of each protocol's messages, by protocol number.
PROTOCOL_NAMESPACES: Mapping[int, str] = {
    number: f"{ETP_NAMESPACE}.{name}"
    for number, name in {
        0: "Protocol.Core",
        1: "Protocol.ChannelStreaming",
        2: "Protocol.ChannelDataFrame",
        3: "Protocol.Discovery",
        4: "Protocol.Store",
        5: "Protocol.StoreNotification",
        6: "Protocol.GrowingObject",
        7: "Protocol.GrowingObjectNotification",
        9: "Protocol.DataArray",
        13: "Protocol.DiscoveryQuery",
        14: "Protocol.StoreQuery",
        16: "Protocol.GrowingObjectQuery",
        18: "Protocol.Transaction",
        21: "Protocol.ChannelSubscribe",
        22: "Protocol.ChannelDataLoad",
        24: "Protocol.Dataspace",
        25: "Protocol.SupportedTypes",
        2100: "PrivateProtocols.WitsmlSoap",
    }.items()
}

#: Message types that every protocol may carry (declared once, in Core).
PROTOCOL_EXCEPTION = 1000
ACKNOWLEDGE = 1001


# --- annotation markers ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AvroPrimitive:
    """``Annotated`` marker: an Avro primitive other than the default for the Python type."""

    name: str


Int32: TypeAlias = Annotated[int, AvroPrimitive("int")]
"""A Python ``int`` carried as Avro ``int`` (32 bits) instead of ``long``."""

Float32: TypeAlias = Annotated[float, AvroPrimitive("float")]
"""A Python ``float`` carried as Avro ``float`` (32 bits) instead of ``double``."""


@dataclasses.dataclass(frozen=True, eq=False)
class UnionSpec:
    """``Annotated`` marker for a one-field record ``{item: union}`` that Python sees as the item.

    ``branches`` are annotations (``None``, ``int``, ``Int32``, a record class...) in Avro branch
    order; they are resolved lazily because they may name classes defined after the alias.
    """

    name: str
    branches: tuple[Any, ...]

    @functools.cached_property
    def resolved(self) -> UnionRecord:
        return UnionRecord(self.name, tuple(avro_type(b) for b in self.branches))


# --- the type model ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Primitive:
    """``null``, ``boolean``, ``int``, ``long``, ``float``, ``double``, ``string`` or ``bytes``."""

    name: str


@dataclasses.dataclass(frozen=True)
class Fixed:
    """A named fixed-size byte string (only ``Uuid`` in ETP); Python side: :class:`uuid.UUID`."""

    name: str
    size: int


@dataclasses.dataclass(frozen=True)
class EnumType:
    """An Avro enum backed by a :class:`enum.StrEnum` (symbol = value, ordinal = position)."""

    name: str
    cls: type[enum.StrEnum]

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(m.value for m in self.cls)


@dataclasses.dataclass(frozen=True)
class Array:
    """``array<items>``."""

    items: AvroType


@dataclasses.dataclass(frozen=True)
class Map:
    """``map<values>`` (keys are strings)."""

    values: AvroType


@dataclasses.dataclass(frozen=True)
class Nullable:
    """``["null", inner]``: ``None`` or a value of ``inner``."""

    inner: AvroType


@dataclasses.dataclass(frozen=True)
class UnionRecord:
    """A named record with the single field ``item: [branches...]``, unwrapped in Python."""

    name: str
    branches: tuple[AvroType, ...]


@dataclasses.dataclass(frozen=True)
class Field:
    """One record field: Python attribute, Avro name, type, and default (``NO_DEFAULT`` if none)."""

    attr: str
    avro_name: str
    type: AvroType
    default: Any


@dataclasses.dataclass(frozen=True, eq=False)
class RecordType:
    """An Avro record backed by a :func:`record`/:func:`message` dataclass (one per class)."""

    name: str
    cls: type[Record]
    fields: tuple[Field, ...]


AvroType: TypeAlias = (
    Primitive | Fixed | EnumType | Array | Map | Nullable | UnionRecord | RecordType
)

NO_DEFAULT: Any = dataclasses.MISSING
UUID_TYPE = Fixed(f"{DATATYPES_NAMESPACE}.Uuid", 16)

_SIMPLE: dict[Any, AvroType] = {
    None: Primitive("null"),
    type(None): Primitive("null"),
    bool: Primitive("boolean"),
    int: Primitive("long"),
    float: Primitive("double"),
    str: Primitive("string"),
    bytes: Primitive("bytes"),
    uuid.UUID: UUID_TYPE,
}


# --- declaring records, messages and enums ------------------------------------------------------


class Record:
    """Base of every ETP record class (datatypes and messages)."""

    __slots__ = ()
    AVRO_NAME: ClassVar[str]
    """Avro full name, e.g. ``Energistics.Etp.v12.Datatypes.ChannelData.DataItem``."""


class Message(Record):
    """Base of every ETP message body; the class knows where it belongs in the protocol."""

    __slots__ = ()
    PROTOCOL: ClassVar[int]
    """Protocol number (``MessageHeader.protocol``)."""
    MESSAGE_TYPE: ClassVar[int]
    """Message type within the protocol (``MessageHeader.message_type``)."""
    SENDER: ClassVar[str]
    """Role(s) that send it: ``"store"``, ``"customer"``, ``"client,server"``, ``"*"`` (any)..."""
    MULTIPART: ClassVar[bool]
    """Whether it may be sent as several messages sharing one correlation id."""

    @classmethod
    def may_be_sent_by(cls, role: str) -> bool:
        """Whether an endpoint playing ``role`` in this protocol may send this message."""
        return cls.SENDER == "*" or role in cls.SENDER.split(",")


_R = TypeVar("_R", bound=Record)
_E = TypeVar("_E", bound=enum.StrEnum)

_NAMED: dict[str, type[Record] | type[enum.StrEnum]] = {}
_MESSAGES: dict[tuple[int, int], type[Message]] = {}

#: Every message class by ``(protocol, message_type)``; ProtocolException and Acknowledge under 0.
MESSAGES: Mapping[tuple[int, int], type[Message]] = types.MappingProxyType(_MESSAGES)


def _register(name: str, cls: type[Record] | type[enum.StrEnum]) -> None:
    if name in _NAMED:
        raise TypeError(f"Avro name {name} declared twice ({_NAMED[name]} and {cls})")
    _NAMED[name] = cls


def _make_dataclass(cls: type[_R], name: str) -> type[_R]:
    new = dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)
    new.AVRO_NAME = name
    _register(name, new)
    return new


@dataclass_transform(
    frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field,)
)
def record(namespace: str = "") -> Callable[[type[_R]], type[_R]]:
    """Declare an ETP datatype record in ``Energistics.Etp.v12.Datatypes[.namespace]``."""
    full = f"{DATATYPES_NAMESPACE}.{namespace}" if namespace else DATATYPES_NAMESPACE

    def wrap(cls: type[_R]) -> type[_R]:
        return _make_dataclass(cls, f"{full}.{cls.__name__}")

    return wrap


_M = TypeVar("_M", bound=Message)


@dataclass_transform(
    frozen_default=True, kw_only_default=True, field_specifiers=(dataclasses.field,)
)
def message(
    protocol: int, message_type: int, *, sender: str, multipart: bool = False
) -> Callable[[type[_M]], type[_M]]:
    """Declare the ETP message ``message_type`` of ``protocol``, sent by ``sender``."""

    def wrap(cls: type[_M]) -> type[_M]:
        new = _make_dataclass(cls, f"{PROTOCOL_NAMESPACES[protocol]}.{cls.__name__}")
        new.PROTOCOL = protocol
        new.MESSAGE_TYPE = message_type
        new.SENDER = sender
        new.MULTIPART = multipart
        if (protocol, message_type) in _MESSAGES:
            raise TypeError(f"message {protocol}/{message_type} declared twice")
        _MESSAGES[protocol, message_type] = new
        return new

    return wrap


def avro_enum(namespace: str = "") -> Callable[[type[_E]], type[_E]]:
    """Declare an ETP enum (a ``StrEnum`` of the Avro symbols, in ordinal order)."""
    full = f"{DATATYPES_NAMESPACE}.{namespace}" if namespace else DATATYPES_NAMESPACE

    def wrap(cls: type[_E]) -> type[_E]:
        _register(f"{full}.{cls.__name__}", cls)
        return cls

    return wrap


def message_class(protocol: int, message_type: int) -> type[Message] | None:
    """The class of message ``message_type`` in ``protocol``, or None if ETP 1.2 has none.

    ProtocolException (1000) and Acknowledge (1001) exist in every protocol.
    """
    found = _MESSAGES.get((protocol, message_type))
    if found is None and message_type in (PROTOCOL_EXCEPTION, ACKNOWLEDGE):
        return _MESSAGES[0, message_type]
    return found


def named_types() -> dict[str, AvroType]:
    """Every named Avro type declared so far (records, messages, enums, Uuid, unions), by name."""
    found: dict[str, AvroType] = {UUID_TYPE.name: UUID_TYPE}
    for name, cls in _NAMED.items():
        found[name] = avro_type(cls)
        _collect_unions(found[name], found)
    return found


def _collect_unions(t: AvroType, into: dict[str, AvroType]) -> None:
    match t:
        case UnionRecord():
            into[t.name] = t
            for b in t.branches:
                _collect_unions(b, into)
        case RecordType():
            for f in t.fields:
                _collect_unions(f.type, into)
        case Array(items=inner) | Map(values=inner) | Nullable(inner=inner):
            _collect_unions(inner, into)


# --- annotations -> type model --------------------------------------------------------------------


def avro_type(annotation: Any) -> AvroType:
    """The Avro type of a field annotation, record class or enum class."""
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return _record_type(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.StrEnum):
        return _enum_type(annotation)
    if annotation in _SIMPLE:
        return _SIMPLE[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        for marker in args[1:]:
            if isinstance(marker, AvroPrimitive):
                return Primitive(marker.name)
            if isinstance(marker, UnionSpec):
                return marker.resolved
        return avro_type(args[0])
    if origin in (types.UnionType, typing.Union):
        others = [a for a in args if a is not type(None)]
        if len(args) == 2 and len(others) == 1:
            return Nullable(avro_type(others[0]))
    elif origin in (Sequence, list):
        return Array(avro_type(args[0]))
    elif origin in (Mapping, dict) and args[0] is str:
        return Map(avro_type(args[1]))
    raise TypeError(f"no Avro type for annotation {annotation!r}")


@functools.cache
def _enum_type(cls: type[enum.StrEnum]) -> EnumType:
    name = next((n for n, c in _NAMED.items() if c is cls), None)
    if name is None:
        raise TypeError(f"{cls.__qualname__} is not declared with @avro_enum")
    return EnumType(name, cls)


_RECORD_TYPES: dict[type[Record], RecordType] = {}


def _record_type(cls: type[Record]) -> RecordType:
    found = _RECORD_TYPES.get(cls)
    if found is not None:
        return found
    if _NAMED.get(getattr(cls, "AVRO_NAME", "")) is not cls:
        raise TypeError(f"{cls.__qualname__} is not declared with @record or @message")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = []
    for f in dataclasses.fields(typing.cast(Any, cls)):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = NO_DEFAULT
        avro_name = f.metadata.get("avro") or _camel(f.name)
        fields.append(Field(f.name, avro_name, avro_type(hints[f.name]), default))
    found = _RECORD_TYPES[cls] = RecordType(cls.AVRO_NAME, cls, tuple(fields))
    return found


def _camel(attr: str) -> str:
    first, *rest = attr.rstrip("_").split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


# --- type model -> Avro JSON ----------------------------------------------------------------------


def avro_schema(annotation: Any) -> Any:
    """Avro JSON schema of a class or annotation; named types are defined at first use."""
    return _schema(avro_type(annotation), set())


def _schema(t: AvroType, defined: set[str]) -> Any:
    match t:
        case Primitive(name=name):
            return name
        case Array(items=items):
            return {"type": "array", "items": _schema(items, defined)}
        case Map(values=values):
            return {"type": "map", "values": _schema(values, defined)}
        case Nullable(inner=inner):
            return ["null", _schema(inner, defined)]
    assert isinstance(t, Fixed | EnumType | UnionRecord | RecordType)
    if t.name in defined:
        return t.name
    defined.add(t.name)
    namespace, _, name = t.name.rpartition(".")
    head = {"name": name, "namespace": namespace}
    match t:
        case Fixed(size=size):
            return {"type": "fixed", **head, "size": size}
        case EnumType():
            return {"type": "enum", **head, "symbols": list(t.symbols)}
        case UnionRecord(branches=branches):
            union = [_schema(b, defined) for b in branches]
            return {"type": "record", **head, "fields": [{"name": "item", "type": union}]}
    fields = []
    for f in t.fields:
        spec: dict[str, Any] = {"name": f.avro_name, "type": _schema(f.type, defined)}
        if f.default is not NO_DEFAULT:
            spec["default"] = _json_default(f.default)
        fields.append(spec)
    return {"type": "record", **head, "fields": fields}


def _json_default(value: Any) -> Any:
    """A Python default as an Avro JSON default (bytes are ISO-8859-1 strings, enums symbols)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list | tuple):
        return [_json_default(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_default(v) for k, v in value.items()}
    return value
