"""etp.protocols.trajectory_parts: a Trajectory's stations as parts, on the XML tree."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import witsml
from etp.errors import ErrorCode, ProtocolError
from etp.messages.datatypes import IndexInterval
from etp.protocols.trajectory_parts import (
    DepthRange,
    TrajectoryDocument,
    check_growing,
    depth_range,
    read_part,
)
from witsml import units

from .growing_helpers import TRAJECTORY, header, station, stored
from .store_protocols_helpers import example

HEADER = witsml.to_xml(header("6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a03"))
LIMIT = 1_000_000

put_op = st.tuples(
    st.just("put"),
    st.sampled_from(["a", "b", "c", "d", "e", "f"]),
    st.floats(0.0, 5000.0, allow_nan=False),
    st.sampled_from(["m", "ft"]),
)
delete_op = st.tuples(st.just("delete"), st.sampled_from(["a", "b", "c", "d", "e", "f"]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(put_op, delete_op), max_size=12), st.floats(0.0, 5000.0))
def test_stations_stay_sorted_with_their_extent(ops: list[tuple], cut: float) -> None:  # type: ignore[type-arg]
    xml = HEADER
    model: dict[str, float] = {}  # uid -> Md in metres
    for op in ops:
        doc = TrajectoryDocument(xml, TRAJECTORY)
        if op[0] == "put":
            _, uid, md, uom = op
            part = read_part(uid, witsml.to_xml(station(uid, md, uom)), max_size=LIMIT)
            doc.put(part)
            model[uid] = units.convert(md, uom, "m")
        else:
            assert doc.delete(op[1]) == (op[1] in model)
            model.pop(op[1], None)
        xml = doc.record("eml:///", active=op[0] == "put").xml
    trajectory = stored(xml)  # valid after every kind of change
    expected = sorted(model, key=lambda uid: (model[uid], uid))
    assert [s.uid for s in trajectory.stations] == expected
    if model:
        assert trajectory.md_mn is not None
        assert trajectory.md_mx is not None
        md_mn = units.convert(trajectory.md_mn.value, trajectory.md_mn.uom, "m")
        md_mx = units.convert(trajectory.md_mx.value, trajectory.md_mx.uom, "m")
        assert md_mn == pytest.approx(min(model.values()))
        assert md_mx == pytest.approx(max(model.values()))
    else:
        assert (trajectory.md_mn, trajectory.md_mx) == (None, None)
    doc = TrajectoryDocument(xml, TRAJECTORY)
    assume(all(abs(md - cut) > 1e-6 for md in model.values()))  # bounds have a conversion slack
    below = [s.uid for s in doc.select(DepthRange(None, cut, "m"))]
    assert below == [uid for uid in expected if model[uid] <= cut]


@given(st.floats(0.0, 10_000.0), st.sampled_from(["m", "ft", "km", "in"]))
def test_a_part_travels_unchanged(md: float, uom: str) -> None:
    original = station("x", md, uom)
    part = read_part("x", witsml.to_xml(original), max_size=LIMIT)
    assert witsml.parse(part.part()) == original


def test_a_stored_document_keeps_what_the_customer_sent() -> None:
    xml = example("trajectory.xml")
    doc = TrajectoryDocument(xml, TRAJECTORY)
    record = doc.record("eml:///")
    assert stored(record.xml) == stored(xml)  # the example is sorted and its extent right
    assert record.uri == TRAJECTORY
    assert record.name == "Alpha A-3 definitive survey"
    assert [ref.target for ref in record.references] == [
        "eml:///witsml20.Wellbore(6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a02)"
    ]


def test_station_references_are_kept_as_edges() -> None:
    with_model = header()
    tool = witsml.DataObjectReference(
        content_type="application/x-eml+xml;version=2.1;type=ToolErrorModel",
        title="tool",
        uuid="1b2c3d4e-0000-4000-8000-000000000001",
    )
    with_model.stations = [station("s", 1.0).model_copy(update={"iscwsa_tool_error_model": tool})]
    record = TrajectoryDocument(witsml.to_xml(with_model), with_model.uri).record("eml:///")
    assert "eml:///eml21.ToolErrorModel(1b2c3d4e-0000-4000-8000-000000000001)" in {
        ref.target for ref in record.references
    }


def test_header_has_no_stations_and_keeps_the_rest() -> None:
    doc = TrajectoryDocument(example("trajectory.xml"), TRAJECTORY)
    head = stored(doc.header())
    assert head.stations == []
    assert head.md_mx is not None
    assert head.md_mx.value == 1840.0
    assert len(doc) == 15  # the document itself is unchanged


@pytest.mark.parametrize(
    ("qualified_type", "code"),
    [
        ("witsml20.Trajectory", None),
        ("witsml20.Well", ErrorCode.ENOTGROWINGOBJECT),
        ("witsml20.Log", ErrorCode.ENOTGROWINGOBJECT),
        ("witsml20.MudLogReport", ErrorCode.EDATAOBJECTTYPE_NOTSUPPORTED),
        ("witsml21.Trajectory", ErrorCode.EDATAOBJECTTYPE_NOTSUPPORTED),
    ],
)
def test_which_types_grow(qualified_type: str, code: ErrorCode | None) -> None:
    if code is None:
        check_growing(qualified_type)
        return
    with pytest.raises(ProtocolError) as caught:
        check_growing(qualified_type)
    assert caught.value.code == code


def test_depth_ranges() -> None:
    interval = IndexInterval(start_index=None, end_index=3, uom="ft", depth_datum="KB")
    assert depth_range(interval) == DepthRange(None, 3.0, "ft", "KB")
    a_foot = read_part("f", witsml.to_xml(station("f", 0.3048)), max_size=LIMIT)  # metres
    assert a_foot in DepthRange(1.0, 1.0, "ft")  # exactly one foot, after conversion
    assert a_foot not in DepthRange(1.0 + 1e-6, None, "ft")


def test_a_part_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ProtocolError) as caught:
        read_part("x", witsml.to_xml(station("x", 1.0)), max_size=100)
    assert caught.value.code == ErrorCode.EMAXSIZE_EXCEEDED


def test_a_document_that_is_not_a_trajectory_is_refused() -> None:
    with pytest.raises(ProtocolError) as caught:
        TrajectoryDocument(example("well.xml"), TRAJECTORY)
    assert caught.value.code == ErrorCode.EINVALID_OBJECT


def test_the_datum_of_new_stations_is_the_others_or_mdmn() -> None:
    def put(doc: TrajectoryDocument, uid: str, datum: str) -> None:
        part = read_part(uid, witsml.to_xml(station(uid, 1.0, datum=datum)), max_size=LIMIT)
        doc.check_datum(part)
        doc.put(part)

    doc = TrajectoryDocument(HEADER, TRAJECTORY)  # no stations, no MdMn: any datum
    put(doc, "a", "KB")
    put(doc, "a", "MSL")  # replacing the only station
    with pytest.raises(ProtocolError) as caught:
        put(doc, "b", "KB")
    assert caught.value.code == ErrorCode.EINVALID_OBJECT
    assert "'MSL'" in caught.value.message
    with_extent = TrajectoryDocument(doc.record("eml:///").xml, TRAJECTORY)
    with_extent.delete("a")  # MdMn (datum MSL) stays until the document is written again
    with pytest.raises(ProtocolError):
        put(with_extent, "c", "KB")
