"""The typed ETP messages: registry, class metadata, and schemas equal to the official ones."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastavro.schema import to_parsing_canonical_form

from etp import messages
from etp.messages import MESSAGES, Message, message_class
from etp.messages.base import AvroType, RecordType, UnionRecord, avro_type, named_types
from etp.messages.channel_subscribe import ChannelData
from etp.messages.core import Acknowledge, ProtocolException
from etp.messages.datatypes import ChannelIndexKind, DataItem, IndexMetadataRecord, PassIndexedDepth


@pytest.fixture(scope="module")
def official(etp_avpr: Path) -> dict[str, dict[str, Any]]:
    """Every named type of the official etp.avpr, by full name."""
    protocol = json.loads(etp_avpr.read_text())
    return {t["fullName"]: t for t in protocol["types"]}


def _expand(schema: Any, official: dict[str, dict[str, Any]], seen: set[str]) -> Any:
    """An official schema with named references replaced by their definition at first use."""
    if isinstance(schema, str):
        if schema in official and schema not in seen:
            seen.add(schema)
            return _expand(official[schema], official, seen)
        return schema
    if isinstance(schema, list):
        return [_expand(s, official, seen) for s in schema]
    schema = dict(schema)
    if schema["type"] == "record":
        schema["fields"] = [
            {**f, "type": _expand(f["type"], official, seen)} for f in schema["fields"]
        ]
    elif schema["type"] == "array":
        schema["items"] = _expand(schema["items"], official, seen)
    elif schema["type"] == "map":
        schema["values"] = _expand(schema["values"], official, seen)
    return schema


def _our_schema(t: AvroType) -> Any:
    from etp.messages.base import _schema

    return _schema(t, set())


def test_every_official_message_and_type_is_declared(official: dict[str, dict[str, Any]]) -> None:
    ours = named_types()
    assert set(ours) == set(official)
    assert len(MESSAGES) == 138
    assert sum("messageType" in t for t in official.values()) == 138


@pytest.mark.parametrize("name", sorted(named_types()))
def test_schema_equals_the_official_one(name: str, official: dict[str, dict[str, Any]]) -> None:
    """Same fields, order, types and names (Parsing Canonical Form) and the same defaults."""
    mine = _our_schema(named_types()[name])
    theirs = _expand(name, official, set())
    assert to_parsing_canonical_form(mine) == to_parsing_canonical_form(theirs)
    assert _defaults(mine) == _defaults(theirs)


def _defaults(schema: Any, path: str = "") -> dict[str, Any]:
    """Every field default in a schema, by field path (PCF drops defaults)."""
    found: dict[str, Any] = {}
    if isinstance(schema, list):
        for i, branch in enumerate(schema):
            found.update(_defaults(branch, f"{path}|{i}"))
    elif isinstance(schema, dict):
        if schema["type"] == "record":
            for f in schema["fields"]:
                where = f"{path}.{f['name']}"
                if "default" in f:
                    found[where] = f["default"]
                found.update(_defaults(f["type"], where))
        elif schema["type"] == "array":
            found.update(_defaults(schema["items"], f"{path}[]"))
        elif schema["type"] == "map":
            found.update(_defaults(schema["values"], f"{path}{{}}"))
    return found


@pytest.mark.parametrize("cls", list(MESSAGES.values()), ids=lambda c: c.AVRO_NAME)
def test_message_metadata_matches_the_official_protocol(
    cls: type[Message], official: dict[str, dict[str, Any]]
) -> None:
    spec = official[cls.AVRO_NAME]
    assert int(spec["protocol"]) == cls.PROTOCOL
    assert int(spec["messageType"]) == cls.MESSAGE_TYPE
    assert spec["senderRole"] == cls.SENDER
    assert cls.MULTIPART is spec["multipartFlag"]
    assert message_class(cls.PROTOCOL, cls.MESSAGE_TYPE) is cls


def test_registry_lookup() -> None:
    assert message_class(21, 4) is ChannelData
    assert ChannelData.AVRO_NAME == "Energistics.Etp.v12.Protocol.ChannelSubscribe.ChannelData"
    # ProtocolException and Acknowledge belong to every protocol, including private ones
    assert message_class(4, 1000) is ProtocolException
    assert message_class(2400, 1001) is Acknowledge
    assert message_class(21, 5) is None
    assert message_class(99, 1) is None


def test_roles() -> None:
    assert ChannelData.may_be_sent_by("store")
    assert not ChannelData.may_be_sent_by("customer")
    assert ProtocolException.may_be_sent_by("customer")
    assert messages.core.Ping.may_be_sent_by("client")
    assert messages.core.Ping.may_be_sent_by("server")


@pytest.mark.parametrize("cls", [*MESSAGES.values(), DataItem, IndexMetadataRecord])
def test_classes_are_frozen_slotted_keyword_only_snake_case(cls: type[Any]) -> None:
    assert "__slots__" in cls.__dict__
    params = dataclasses.fields(cls)
    assert all(f.kw_only for f in params)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", f.name) for f in params)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_instances_are_immutable_and_defaults_are_the_avro_ones() -> None:
    record = IndexMetadataRecord(
        interval=messages.datatypes.IndexInterval(start_index=0.0, end_index=10.0, uom="m"),
        uom="m",
        index_property_kind_uri="",
    )
    assert record.index_kind is ChannelIndexKind.DATE_TIME
    assert record.filterable is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.uom = "ft"  # type: ignore[misc]
    item = DataItem(channel_id=1, indexes=[1.5], value=2.0)
    assert item.value_attributes == []
    with pytest.raises((AttributeError, TypeError)):  # TypeError: a CPython 3.11 slots quirk
        item.extra = 1  # type: ignore[attr-defined]


def test_python_names_map_to_avro_names() -> None:
    fields = {f.attr: f.avro_name for f in avro_type(PassIndexedDepth).fields}  # type: ignore[union-attr]
    assert fields == {"pass_": "pass", "direction": "direction", "depth": "depth"}
    soap = avro_type(messages.witsml_soap.WMLS_AddToStore)
    assert isinstance(soap, RecordType)
    assert [f.avro_name for f in soap.fields] == [
        "WMLtypeIn",
        "XMLin",
        "OptionsIn",
        "CapabilitiesIn",
    ]


def test_value_unions_are_python_values() -> None:
    value = avro_type(messages.datatypes.DataValue)
    assert isinstance(value, UnionRecord)
    assert value.name == "Energistics.Etp.v12.Datatypes.DataValue"
    assert len(value.branches) == 19
