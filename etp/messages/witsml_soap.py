"""ETP protocol 2100, WitsmlSoap: its messages.

Private protocol 2100: WITSML 1.x SOAP calls carried over ETP (declared in the ETP 1.2 Avro
protocol; not needed for WITSML 2.0). Roles: store, customer.
"""

from __future__ import annotations

from dataclasses import field

from etp.messages.base import Int32, Message, message


@message(2100, 1, sender="customer")
class WMLS_AddToStore(Message):
    """Customer → store: WITSML 1.x SOAP WMLS_AddToStore (add objects) over ETP."""

    wml_type_in: str = field(metadata={"avro": "WMLtypeIn"})
    xml_in: str = field(metadata={"avro": "XMLin"})
    options_in: str = field(metadata={"avro": "OptionsIn"})
    capabilities_in: str = field(metadata={"avro": "CapabilitiesIn"})


@message(2100, 2, sender="store")
class WMLS_AddToStoreResponse(Message):
    """Answer to WMLS_AddToStore."""

    result: Int32 = field(metadata={"avro": "Result"})
    supp_msg_out: str = field(metadata={"avro": "SuppMsgOut"})


@message(2100, 3, sender="customer")
class WMLS_DeleteFromStore(Message):
    """Customer → store: WITSML 1.x SOAP WMLS_DeleteFromStore (delete objects) over ETP."""

    wml_type_in: str = field(metadata={"avro": "WMLtypeIn"})
    xml_in: str = field(metadata={"avro": "XMLin"})
    options_in: str = field(metadata={"avro": "OptionsIn"})
    capabilities_in: str = field(metadata={"avro": "CapabilitiesIn"})


@message(2100, 4, sender="store")
class WMLS_DeleteFromStoreResponse(Message):
    """Answer to WMLS_DeleteFromStore."""

    result: Int32 = field(metadata={"avro": "Result"})
    supp_msg_out: str = field(metadata={"avro": "SuppMsgOut"})


@message(2100, 5, sender="customer")
class WMLS_GetBaseMsg(Message):
    """Customer → store: WITSML 1.x SOAP WMLS_GetBaseMsg (text of a result code) over ETP."""

    return_value_in: Int32 = field(metadata={"avro": "ReturnValueIn"})


@message(2100, 6, sender="store")
class WMLS_GetBaseMsgResponse(Message):
    """Answer to WMLS_GetBaseMsg."""

    result: str = field(metadata={"avro": "Result"})


@message(2100, 7, sender="customer")
class WMLS_GetCap(Message):
    """Customer → store: WITSML 1.x SOAP WMLS_GetCap (get capabilities) over ETP."""

    options_in: str = field(metadata={"avro": "OptionsIn"})


@message(2100, 8, sender="store")
class WMLS_GetCapResponse(Message):
    """Answer to WMLS_GetCap."""

    result: Int32 = field(metadata={"avro": "Result"})
    capabilities_out: str = field(metadata={"avro": "CapabilitiesOut"})
    supp_msg_out: str = field(metadata={"avro": "SuppMsgOut"})


@message(2100, 9, sender="customer")
class WMLS_GetFromStore(Message):
    """Customer → store: WITSML 1.x SOAP WMLS_GetFromStore (query objects) over ETP."""

    wml_type_in: str = field(metadata={"avro": "WMLtypeIn"})
    xml_in: str = field(metadata={"avro": "XMLin"})
    options_in: str = field(metadata={"avro": "OptionsIn"})
    capabilities_in: str = field(metadata={"avro": "CapabilitiesIn"})


@message(2100, 10, sender="store")
class WMLS_GetFromStoreResponse(Message):
    """Answer to WMLS_GetFromStore."""

    result: Int32 = field(metadata={"avro": "Result"})
    xml_out: str = field(metadata={"avro": "XMLout"})
    supp_msg_out: str = field(metadata={"avro": "SuppMsgOut"})


@message(2100, 11, sender="customer")
class WMLS_GetVersion(Message):
    """Customer → store: WITSML 1.x SOAP WMLS_GetVersion (supported data versions) over ETP."""


@message(2100, 12, sender="store")
class WMLS_GetVersionResponse(Message):
    """Answer to WMLS_GetVersion."""

    result: str = field(metadata={"avro": "Result"})


@message(2100, 13, sender="customer")
class WMLS_UpdateInStore(Message):
    """Customer → store: WITSML 1.x SOAP WMLS_UpdateInStore (update objects) over ETP."""

    wml_type_in: str = field(metadata={"avro": "WMLtypeIn"})
    xml_in: str = field(metadata={"avro": "XMLin"})
    options_in: str = field(metadata={"avro": "OptionsIn"})
    capabilities_in: str = field(metadata={"avro": "CapabilitiesIn"})


@message(2100, 14, sender="store")
class WMLS_UpdateInStoreResponse(Message):
    """Answer to WMLS_UpdateInStore."""

    result: Int32 = field(metadata={"avro": "Result"})
    supp_msg_out: str = field(metadata={"avro": "SuppMsgOut"})
