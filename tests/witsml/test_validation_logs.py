"""Generated WITSML 2.0 logs with bulk data, and the validation of their data.

``log_xml`` is used by the other validation tests (XSD parity, CLI) as their source of logs with
real rows: no public 2.0 sample carries bulk data.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from witsml.errors import ValidationError
from witsml.validation import validate

WITSML_NS = "http://www.energistics.org/energyml/data/witsmlv2"
EML_NS = "http://www.energistics.org/energyml/data/commonv2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


def _uuid(seed: str) -> str:
    return str(uuid_module.uuid5(uuid_module.NAMESPACE_URL, seed))


def _citation(title: str) -> str:
    return (
        f"<eml:Citation><eml:Title>{title}</eml:Title><eml:Originator>tests</eml:Originator>"
        "<eml:Creation>2024-03-01T06:00:00Z</eml:Creation><eml:Format>witsml-etp tests</eml:Format>"
        "</eml:Citation>"
    )


def _reference(element: str, kind: str, title: str, uuid: str) -> str:
    prefix = "eml" if kind == "PropertyKind" else "witsml"
    version = "2.1" if kind == "PropertyKind" else "2.0"
    return (
        f"<{element}><eml:ContentType>application/x-{prefix}+xml;version={version};type={kind}"
        f"</eml:ContentType><eml:Title>{title}</eml:Title><eml:Uuid>{uuid}</eml:Uuid></{element}>"
    )


def index_values(rows: int, index_type: str, direction: str) -> list[Any]:
    """Index values for ``rows`` rows: depths 0.5 m apart, or times one second apart."""
    order = range(rows) if direction == "increasing" else range(rows - 1, -1, -1)
    if index_type == "date time":
        return [(START + timedelta(seconds=i)).isoformat().replace("+00:00", "Z") for i in order]
    return [1000.0 + 0.5 * i for i in order]


def _bound(element: str, index_type: str, value: Any) -> str:
    if index_type == "date time":
        return f'<{element} xsi:type="TimeIndexValue"><Time>{value}</Time></{element}>'
    return f'<{element} xsi:type="DepthIndexValue"><Depth>{value}</Depth></{element}>'


def log_xml(
    rows: int = 20,
    channels: int = 3,
    *,
    index_type: str = "measured depth",
    direction: str = "increasing",
    index_uom: str | None = None,
    data: str | None = None,
    bounds: tuple[Any, Any] | None = None,
    seed: str = "log",
) -> bytes:
    """A schema-valid Log with one ChannelSet, ``channels`` double channels and ``rows`` rows.

    ``data`` replaces the generated JSON rows, ``bounds`` the ChannelSet StartIndex/EndIndex.
    """
    uom = index_uom or ("s" if index_type == "date time" else "m")
    mnemonic = "TIME" if index_type == "date time" else "MD"
    index = (
        f"<Index><IndexType>{index_type}</IndexType><Uom>{uom}</Uom>"
        f"<Direction>{direction}</Direction><Mnemonic>{mnemonic}</Mnemonic></Index>"
    )
    values = index_values(rows, index_type, direction)
    wellbore = _reference("Wellbore", "Wellbore", "Wellbore 1", _uuid("wellbore"))
    channel_xml = "".join(
        f'<Channel schemaVersion="2.0" uuid="{_uuid(f"{seed}-channel-{c}")}">{_citation(f"C{c}")}'
        f"<Mnemonic>C{c}</Mnemonic><DataType>double</DataType><Uom>m/h</Uom>"
        "<GrowingStatus>closed</GrowingStatus><TimeDepth>depth</TimeDepth>"
        + _reference("ChannelClass", "PropertyKind", "rate of penetration", _uuid("pk"))
        + f"<LoggingCompanyName>Acme</LoggingCompanyName>{index}</Channel>"
        for c in range(channels)
    )
    if data is None:
        rows_json = [
            [[value], [round(r * 0.1 + c, 3) for c in range(channels)]]
            for r, value in enumerate(values)
        ]
        data = json.dumps(rows_json)
    first, last = bounds if bounds is not None else (values[0], values[-1]) if values else (0, 0)
    bounds_xml = _bound("StartIndex", index_type, first) + _bound("EndIndex", index_type, last)
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Log xmlns="{WITSML_NS}" xmlns:eml="{EML_NS}" xmlns:xsi="{XSI_NS}" '
        f'schemaVersion="2.0" uuid="{_uuid(seed)}">\n'
        f"{_citation('Generated log')}\n{wellbore}\n"
        f'<ChannelSet schemaVersion="2.0" uuid="{_uuid(f"{seed}-set")}">\n'
        f"{_citation('Set 1')}\n{index}\n{channel_xml}\n"
        f"<Data><Data>{data}</Data></Data>\n{bounds_xml}\n{wellbore}\n"
        "</ChannelSet>\n</Log>\n"
    )
    return document.encode("utf-8")


@pytest.mark.parametrize("index_type", ["measured depth", "date time"])
@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
def test_generated_logs_are_valid(index_type: str, direction: str) -> None:
    report = validate(log_xml(index_type=index_type, direction=direction))
    assert report.valid, [str(f) for f in report.findings]
    assert report.object_type == "Log"
    assert not report.warnings, [str(f) for f in report.warnings]


# -- the data rules ----------------------------------------------------------------------------


def _rules(data: bytes) -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for finding in validate(data).errors:
        found.setdefault(finding.rule, []).append(finding.message)
    return found


def _rows(values: list[Any], channels: int = 3) -> str:
    return json.dumps([[[v], [1.0] * channels] for v in values])


def test_rows_must_match_the_declared_indexes_and_channels() -> None:
    bad_shape = "[[[1000.0],[1,2,3]],[[1000.5],[1,2]],[[1001.0],[1,2,3]]]"
    found = _rules(log_xml(rows=3, data=bad_shape, bounds=(1000.0, 1001.0)))
    assert list(found) == ["data-row-shape"]
    assert "row 2" in found["data-row-shape"][0]
    not_json = _rules(log_xml(data="[[[1000.0],[1,2,3]", bounds=(1000.0, 1000.0)))
    assert list(not_json) == ["data-json"]


@pytest.mark.parametrize("direction", ["increasing", "decreasing"])
def test_index_order_and_duplicates(direction: str) -> None:
    values = [1000.0, 1000.5, 1000.5, 1001.0, 1000.2, 1002.0]
    if direction == "decreasing":
        values = [-v for v in values]
    data = log_xml(direction=direction, data=_rows(values), bounds=(values[0], values[-1]))
    found = _rules(data)
    assert set(found) == {"index-order", "index-duplicate"}
    [duplicate] = found["index-duplicate"]
    assert "row 3 " in duplicate
    [order] = found["index-order"]
    assert "row 5 " in order


def test_time_index_order() -> None:
    times = ["2024-03-01T06:00:00Z", "2024-03-01T06:00:02Z", "2024-03-01T07:00:01+02:00"]
    data = log_xml(index_type="date time", data=_rows(times), bounds=(times[0], times[-1]))
    [order] = _rules(data)["index-order"]
    assert "row 3 " in order
    assert "2024-03-01T05:00:01" in order


def test_start_and_end_index_must_agree_with_the_data() -> None:
    assert validate(log_xml(rows=4, bounds=(1000.0, 1001.5))).valid
    [message] = _rules(log_xml(rows=4, bounds=(999.0, 1001.5)))["data-range"]
    assert message == "StartIndex is 999.0 but the data starts at 1000"
    timed = log_xml(
        rows=3, index_type="date time", bounds=("2024-03-01T06:00:00Z", "2024-03-01T06:00:09Z")
    )
    [message] = _rules(timed)["data-range"]
    assert message.startswith(
        "EndIndex is 2024-03-01T06:00:09Z but the data ends at 2024-03-01T06:00:02"
    )
    # depths are xs:float in the schema: a float-rounded bound still agrees
    assert validate(log_xml(rows=3, bounds=(1000.0, 1001.0000001))).valid


def test_channel_start_and_end_follow_its_own_values() -> None:
    data = log_xml(rows=3, data="[[[1],[null,2,3]],[[2],[1,2,3]],[[3],[1,2,3]]]", bounds=(1, 3))
    channel_bounds = (
        b'<StartIndex xsi:type="DepthIndexValue"><Depth>1</Depth></StartIndex>'
        b'<EndIndex xsi:type="DepthIndexValue"><Depth>3</Depth></EndIndex>'
    )
    data = data.replace(b"<LoggingCompanyName>", channel_bounds + b"<LoggingCompanyName>", 1)
    found = validate(data).errors
    assert [(f.rule, f.path) for f in found] == [
        ("data-range", "/Log/ChannelSet/Channel[1]/StartIndex")
    ]


def test_data_findings_are_semantic_and_located() -> None:
    data = log_xml(rows=3, data=_rows([1.0, 1.0, 2.0]), bounds=(1.0, 2.0))
    [finding] = validate(data).errors
    assert finding.layer == "semantic"
    assert finding.path == "/Log/ChannelSet/Data/Data"
    assert finding.line == data[: data.index(b"<Data><Data>")].count(b"\n") + 1


def test_strict_raises_on_bad_data() -> None:
    with pytest.raises(ValidationError, match="index"):
        validate(log_xml(data=_rows([2.0, 1.0]), bounds=(2.0, 1.0)), mode="strict")
