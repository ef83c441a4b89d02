"""Negotiation rules (etp.capabilities) and the Core handshake content (etp.protocols.core)."""

from __future__ import annotations

import json
import uuid

import pytest

from etp.capabilities import (
    EndpointCapabilities,
    choose_compression,
    counterpart,
    negotiate_data_objects,
    negotiate_formats,
    negotiate_protocols,
    server_capabilities_json,
    supported_data_objects,
    supported_protocol,
)
from etp.errors import ErrorCode, ProtocolError
from etp.messages.datatypes import ArrayOfString, SupportedDataObject
from etp.protocols.core import open_session, request_session, server_capabilities

from .session_helpers import client_endpoint, server_endpoint


def types(entries: list[SupportedDataObject]) -> list[str]:
    return [e.qualified_type for e in entries]


@pytest.mark.parametrize(
    ("client", "server", "expected"),
    [
        (["witsml20.*"], ["witsml20.*", "eml21.*"], ["witsml20.*"]),
        (["witsml20.Well", "witsml20.Log"], ["witsml20.*"], ["witsml20.Well", "witsml20.Log"]),
        (
            ["witsml20.*"],
            ["witsml20.Well", "witsml20.Channel"],
            ["witsml20.Well", "witsml20.Channel"],
        ),
        (["eml20.*", "resqml20."], ["witsml20.*", "eml21.*"], []),  # pyetp: empty, never witsml
        (["resqml20."], ["resqml20.*"], ["resqml20.*"]),  # pyetp's trailing-dot wildcard
        (["witsml21.Well", "eml23.*"], ["witsml20.*", "eml21.*"], []),  # fetpapi
        (["witsml20.Well", "witsml20.Well", "not a type", ""], ["witsml20.*"], ["witsml20.Well"]),
        (["witsml20.Well"], ["witsml20.Log"], []),
    ],
)
def test_data_object_intersection(
    client: list[str], server: list[str], expected: list[str]
) -> None:
    answer = negotiate_data_objects(
        [SupportedDataObject(qualified_type=t) for t in client], supported_data_objects(server)
    )
    assert types(answer) == expected


def test_data_object_answer_carries_the_server_capabilities() -> None:
    server = [
        SupportedDataObject(
            qualified_type="witsml20.*", data_object_capabilities={"SupportsGet": True}
        )
    ]
    (entry,) = negotiate_data_objects([SupportedDataObject(qualified_type="witsml20.Well")], server)
    assert entry.data_object_capabilities == {"SupportsGet": True}


def test_malformed_configured_type_is_refused() -> None:
    with pytest.raises(ValueError, match="witsml20"):
        supported_data_objects(["Well"])


def test_protocols_subset_in_client_order_without_duplicates() -> None:
    offered = [
        supported_protocol(4, "store", {"MaxResponseCount": 100}),
        supported_protocol(3, "store"),
    ]
    requested = [
        supported_protocol(3, "store"),
        supported_protocol(4, "customer"),  # a role the server does not play
        supported_protocol(4, "store"),
        supported_protocol(4, "store"),
        supported_protocol(24, "store"),
    ]
    answer = negotiate_protocols(requested, offered)
    assert [(p.protocol, p.role) for p in answer] == [(3, "store"), (4, "store")]
    assert answer[1].protocol_capabilities == {"MaxResponseCount": 100}
    assert (answer[0].protocol_version.major, answer[0].protocol_version.minor) == (1, 2)


def test_formats_and_compression() -> None:
    assert negotiate_formats(["xml", "xml"], ["xml"]) == ["xml"]  # fetpapi sends it twice
    assert negotiate_formats(["json", "xml"], ["xml", "json"]) == ["json", "xml"]
    assert negotiate_formats(["json"], ["xml"]) == []
    assert choose_compression(["GZIP"], enabled=True) == "gzip"
    assert choose_compression(["gzip"], enabled=False) == ""
    assert choose_compression(["deflate"], enabled=True) == ""


def test_roles() -> None:
    assert counterpart("store") == "customer"
    assert counterpart("producer") == "consumer"
    with pytest.raises(ValueError, match="unknown ETP role"):
        counterpart("boss")


def test_endpoint_capabilities_are_longs_and_the_smaller_limit_wins() -> None:
    ours = EndpointCapabilities(max_message_size=1_000_000, request_session_timeout=0.2)
    wire = ours.to_map()
    assert wire["MaxWebSocketMessagePayloadSize"] == 1_000_000
    assert wire["RequestSessionTimeoutPeriod"] == 1  # fractional timeouts are rounded up
    assert all(type(v) in (int, bool) for v in wire.values())
    negotiated = ours.negotiate({"MaxWebSocketMessagePayloadSize": 8 * 2**20})
    assert negotiated.max_message_size == 1_000_000
    negotiated = ours.negotiate(
        {"MaxWebSocketMessagePayloadSize": 500_000, "MaxWebSocketFramePayloadSize": 100}
    )
    assert (negotiated.max_message_size, negotiated.max_frame_size) == (500_000, 100)
    # nonsense from the peer is ignored
    for bad in (0, -5, "big", True, 1.5, None):
        assert ours.negotiate({"MaxWebSocketMessagePayloadSize": bad}).max_message_size == 1_000_000
    with pytest.raises(ValueError, match="positive"):
        EndpointCapabilities(max_message_size=0)


def test_store_periods_are_advertised_only_when_set() -> None:
    periods = (
        "MultipartMessageTimeoutPeriod",
        "ActiveTimeoutPeriod",
        "ChangeRetentionPeriod",
        "ChangePropagationPeriod",
    )
    assert not set(periods) & set(EndpointCapabilities().to_map())
    wire = EndpointCapabilities(
        multipart_timeout=0.5, active_timeout=3600, change_retention=86_400, change_propagation=1
    ).to_map()
    assert [wire[name] for name in periods] == [1, 3600, 86_400, 1]
    with pytest.raises(ValueError, match="positive"):
        EndpointCapabilities(change_retention=0)


def test_open_session_content() -> None:
    request = request_session(client_endpoint(protocols=((4, "store"), (3, "store"))), 1234)
    assert request.supported_compression == ["gzip"]
    assert request.endpoint_capabilities["MaxWebSocketMessagePayloadSize"] == 16_000_000
    session_id = uuid.uuid4()
    answer, negotiated = open_session(server_endpoint(), request, session_id, 99)
    assert answer.session_id == session_id == negotiated.session_id
    assert answer.supported_formats == ["xml"]  # exactly: pyetp asserts it
    assert answer.supported_compression == "gzip"
    assert [(p.protocol, p.role) for p in answer.supported_protocols] == [(4, "store")]
    assert negotiated.peer_application == "test client 1"
    assert negotiated.server_roles(4) == frozenset({"store"})


def test_core_is_answered_only_when_requested() -> None:
    request = request_session(client_endpoint(protocols=((0, "server"), (4, "store"))), 0)
    answer, _ = open_session(server_endpoint(), request, uuid.uuid4(), 0)
    assert [p.protocol for p in answer.supported_protocols] == [0, 4]


def test_refusals_name_what_was_asked_and_offered() -> None:
    request = request_session(client_endpoint(protocols=((21, "store"),)), 0)
    with pytest.raises(ProtocolError) as caught:
        open_session(server_endpoint(protocols=((4, "store"),)), request, uuid.uuid4(), 0)
    assert caught.value.code == ErrorCode.ENOSUPPORTEDPROTOCOLS
    assert "21 as store" in caught.value.message
    request = request_session(client_endpoint(formats=("json",)), 0)
    with pytest.raises(ProtocolError) as caught:
        open_session(server_endpoint(), request, uuid.uuid4(), 0)
    assert caught.value.code == ErrorCode.ENOSUPPORTEDFORMATS


def test_server_capabilities_avro_json() -> None:
    endpoint = server_endpoint(protocols=((4, "store"),))
    caps = server_capabilities(endpoint)
    doc = json.loads(server_capabilities_json(caps))
    assert doc["supportedEncodings"] == ["binary"]
    assert doc["supportedProtocols"] == [
        {
            "protocol": 4,
            "protocolVersion": {"major": 1, "minor": 2, "revision": 0, "patch": 0},
            "role": "store",
            "protocolCapabilities": {},
        }
    ]  # Core is not listed
    assert doc["endpointCapabilities"]["MaxWebSocketMessagePayloadSize"] == {
        "item": {"long": 16_000_000}
    }
    assert doc["endpointCapabilities"]["SupportsAlternateRequestUris"] == {
        "item": {"boolean": False}
    }
    assert [d["qualifiedType"] for d in doc["supportedDataObjects"]] == ["witsml20.*", "eml21.*"]


def test_avro_json_of_record_and_null_union_branches() -> None:
    endpoint = server_endpoint(
        capabilities=EndpointCapabilities(),
    )
    caps = server_capabilities(endpoint)
    caps = caps.__class__(
        **{
            **{f: getattr(caps, f) for f in caps.__dataclass_fields__},
            "endpoint_capabilities": {
                "AuthorizationDetails": ArrayOfString(values=["Bearer"]),
                "X": None,
            },
        }
    )
    doc = json.loads(server_capabilities_json(caps))
    assert doc["endpointCapabilities"]["AuthorizationDetails"] == {
        "item": {"Energistics.Etp.v12.Datatypes.ArrayOfString": {"values": ["Bearer"]}}
    }
    assert doc["endpointCapabilities"]["X"] == {"item": None}
