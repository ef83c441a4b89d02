"""The typed models: defaults, references, types and names (no XML here)."""

from __future__ import annotations

import copy
import pickle
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pydantic
import pytest

import witsml
from witsml.objects import (
    UNSPECIFIED_OFFSET,
    AbstractObject,
    Channel,
    ChannelIndex,
    ChannelIndexType,
    ChannelSet,
    ChannelStatus,
    Citation,
    DataObjectReference,
    DepthCoord,
    DepthIndexValue,
    EtpDataType,
    GenericObject,
    Log,
    Trajectory,
    TrajectoryStation,
    Well,
    Wellbore,
    WellStatus,
    XmlFragment,
)
from witsml.objects.base import XmlModel
from witsml.objects.common import ExistenceKind, collect_references, object_fields
from witsml.xml.namespaces import EML, WITSML

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"

PROPERTY_KIND = DataObjectReference(
    content_type="application/x-eml+xml;version=2.1;type=PropertyKind",
    title="gamma ray API unit",
    uuid="f1a2b3c4-0000-4000-8000-000000000001",
)
MD_INDEX = ChannelIndex(index_type="measured depth", uom="m", direction="increasing", mnemonic="MD")


def gamma_ray(**overrides: object) -> Channel:
    fields: dict[str, object] = {
        "citation": Citation(title="GR"),
        "mnemonic": "GR",
        "data_type": "double",
        "uom": "gAPI",
        "growing_status": "active",
        "time_depth": "depth",
        "channel_class": PROPERTY_KIND,
        "logging_company_name": "ACME Logging",
        "indexes": [MD_INDEX],
    }
    fields.update(overrides)
    return Channel.model_validate(fields)


def test_new_object_gets_fresh_uuid_schema_version_and_citation_defaults() -> None:
    before = datetime.now(UTC)
    well = Well(citation=Citation(title="A-1"))
    other = Well(citation=Citation(title="A-1"))

    assert uuid.UUID(well.uuid).version == 4
    assert well.uuid != other.uuid
    assert well.schema_version == "2.0"
    assert well.citation.originator
    assert well.citation.format.startswith("witsml-etp")
    assert well.citation.creation.tzinfo is not None
    assert before <= well.citation.creation <= datetime.now(UTC)


def test_object_type_qualified_type_content_type_and_uri() -> None:
    well = Well(uuid="2c0f6ef2-cc54-4104-8523-0f0fbaba3661", citation=Citation(title="A-1"))

    assert well.object_type == "Well"
    assert well.qualified_type == "witsml20.Well"
    assert well.content_type == "application/x-witsml+xml;version=2.0;type=Well"
    assert well.uri == "eml:///witsml20.Well(2c0f6ef2-cc54-4104-8523-0f0fbaba3661)"
    assert TrajectoryStation.object_type == "part_TrajectoryStation"


def test_reference_carries_content_type_title_uuid_and_uri() -> None:
    well = Well(citation=Citation(title="A-1"))

    ref = well.reference()

    assert ref.content_type == well.content_type
    assert ref.title == "A-1"
    assert ref.uuid == well.uuid
    assert ref.uri == well.uri
    assert ref.object_type == "Well"
    assert ref.qualified_type == "witsml20.Well"


def test_reference_fields_accept_the_object_itself() -> None:
    well = Well(citation=Citation(title="A-1"))

    wellbore = Wellbore(citation=Citation(title="A-1 main"), well=well)
    wellbore.parent_wellbore = Wellbore(citation=Citation(title="pilot"), well=well)

    assert wellbore.well == well.reference()
    assert wellbore.parent_wellbore is not None
    assert wellbore.parent_wellbore.title == "pilot"


def test_sloppy_content_types_have_no_qualified_type() -> None:
    ref = DataObjectReference(content_type="well", title="x", uuid="1")
    assert ref.object_type is None
    assert ref.qualified_type is None


def test_references_list_held_references_in_document_order() -> None:
    well = Well(citation=Citation(title="A-1"))
    wellbore = Wellbore(citation=Citation(title="A-1 main"), well=well)
    pilot = Wellbore(citation=Citation(title="pilot"), well=well)
    wellbore.parent_wellbore = pilot

    assert wellbore.references() == [well.reference(), pilot.reference()]
    assert well.references() == []


def test_log_and_channel_set_list_their_contained_objects() -> None:
    wellbore = Wellbore(citation=Citation(title="main"), well=Well(citation=Citation(title="w")))
    channel = gamma_ray()
    channel_set = ChannelSet(
        citation=Citation(title="run 1"), indexes=[MD_INDEX], channels=[channel], wellbore=wellbore
    )
    log = Log(citation=Citation(title="log"), wellbore=wellbore, channel_sets=[channel_set])

    assert log.references() == [wellbore.reference(), channel_set.reference()]
    assert channel_set.references() == [channel.reference(), wellbore.reference()]
    assert channel.references() == [PROPERTY_KIND]


def test_trajectory_station_references() -> None:
    model = DataObjectReference(
        content_type="application/x-witsml+xml;version=2.0;type=ToolErrorModel",
        title="MWD",
        uuid="1",
    )
    station = TrajectoryStation(
        uid="s1",
        type_traj_station="tie in point",
        md=DepthCoord(value=0, uom="m", datum="KB"),
        iscwsa_tool_error_model=model,
    )
    assert station.references() == [model]
    assert station.qualified_type == "witsml20.part_TrajectoryStation"


def test_enums_are_str_valued_with_exact_xsd_values() -> None:
    channel = gamma_ray()

    assert channel.data_type is EtpDataType.DOUBLE
    assert channel.growing_status == "active"
    assert ChannelIndexType("date time") is ChannelIndexType.DATE_TIME
    assert WellStatus.ACTIVE_INJECTING.value == "active -- injecting"
    assert ExistenceKind("actual").value == "actual"
    with pytest.raises(pydantic.ValidationError):
        gamma_ray(growing_status="growing")


def test_assignment_is_validated_and_unknown_fields_refused() -> None:
    well = Well(citation=Citation(title="A-1"))
    well.status_well = "drilling"  # type: ignore[assignment]
    assert well.status_well is WellStatus.DRILLING
    with pytest.raises(pydantic.ValidationError):
        well.status_well = "spudding"  # type: ignore[assignment]
    with pytest.raises(pydantic.ValidationError):
        Well(citation=Citation(title="A-1"), spud_date="2020")  # type: ignore[call-arg]


def test_datetimes_must_be_timezone_aware() -> None:
    with pytest.raises(pydantic.ValidationError):
        Citation(title="x", creation=datetime(2020, 1, 1))


def test_unspecified_offset_is_utc_and_survives_pickle_and_copy() -> None:
    moment = datetime(2020, 1, 1, 12, 0, tzinfo=UNSPECIFIED_OFFSET)

    assert moment.utcoffset() == timedelta(0)
    assert moment == datetime(2020, 1, 1, 12, 0, tzinfo=UTC)
    assert pickle.loads(pickle.dumps(moment)).tzinfo is UNSPECIFIED_OFFSET
    assert copy.deepcopy(moment).tzinfo is UNSPECIFIED_OFFSET


def test_index_values_are_typed() -> None:
    channel = gamma_ray(start_index=DepthIndexValue(depth=499.0))
    assert isinstance(channel.start_index, DepthIndexValue)
    assert channel.start_index.depth == 499.0


def test_channel_set_bulk_data_holder_keeps_the_text_object() -> None:
    text = "[[[0],[1.5]]]" * 1000
    channel_set = ChannelSet(
        citation=Citation(title="cs"),
        indexes=[MD_INDEX],
        channels=[gamma_ray()],
        data={"text": text},  # type: ignore[arg-type]
    )
    assert channel_set.data is not None
    assert channel_set.data.text is text  # no copy of (possibly very large) bulk data
    assert channel_set.data.file_uri is None


def test_trajectory_requires_wellbore_and_growing_status() -> None:
    with pytest.raises(pydantic.ValidationError):
        Trajectory(citation=Citation(title="t"))  # type: ignore[call-arg]
    wellbore = Wellbore(citation=Citation(title="main"), well=Well(citation=Citation(title="w")))
    trajectory = Trajectory(
        citation=Citation(title="t"), growing_status="closed", wellbore=wellbore
    )
    assert trajectory.growing_status is ChannelStatus.CLOSED
    assert trajectory.stations == []


def test_generic_object_types_and_reference() -> None:
    fragment = XmlFragment(tag=f"{{{WITSML}}}Rig", xml=b"<Rig/>")
    rig = GenericObject(
        object_type="Rig",
        namespace=WITSML,
        uuid="1",
        schema_version="2.0",
        citation=Citation(title="Deep Drill #5"),
        content=fragment,
    )
    well21 = rig.model_copy(update={"object_type": "Well", "schema_version": "2.1"})
    kind = rig.model_copy(update={"object_type": "PropertyKind", "namespace": EML})

    assert rig.qualified_type == "witsml20.Rig"
    assert rig.content_type == "application/x-witsml+xml;version=2.0;type=Rig"
    assert rig.reference().title == "Deep Drill #5"
    assert well21.qualified_type == "witsml21.Well"
    assert kind.qualified_type == "eml20.PropertyKind"
    assert kind.model_copy(update={"schema_version": None}).qualified_type == "eml21.PropertyKind"
    with pytest.raises(pydantic.ValidationError):
        rig.uuid = "2"


def _every_reference(value: object, found: list[DataObjectReference]) -> None:
    """The walk collect_references made before it skipped fields: every field of every model."""
    if isinstance(value, DataObjectReference):
        found.append(value)
    elif isinstance(value, AbstractObject):
        found.append(value.reference())
    elif isinstance(value, XmlModel):
        for name in type(value).model_fields:
            _every_reference(getattr(value, name), found)
    elif isinstance(value, list):
        for item in value:
            _every_reference(item, found)


def test_walks_visit_only_the_fields_that_may_hold_objects() -> None:
    """object_fields skips what cannot hold a reference or an object (a TrajectoryStation's
    measures): the references found are those of a walk through every field, for every kind of
    object the simulator and the samples make, with every optional reference set."""
    assert object_fields(TrajectoryStation) == ("iscwsa_tool_error_model",)
    assert object_fields(Well) == ()
    assert "channel_sets" in object_fields(Log)
    objects: list[XmlModel] = [witsml.parse(path) for path in sorted(EXAMPLES.glob("*.xml"))]
    trajectory = next(o for o in objects if isinstance(o, Trajectory))
    trajectory.parent_trajectory = trajectory.reference()
    station = trajectory.stations[0]
    station.iscwsa_tool_error_model = PROPERTY_KIND
    objects.append(station)
    assert {type(o).__name__ for o in objects} == {
        "Well",
        "Wellbore",
        "Trajectory",
        "TrajectoryStation",
        "Log",
    }
    for obj in objects:
        found: list[DataObjectReference] = []
        for name in type(obj).model_fields:
            _every_reference(getattr(obj, name), found)
        assert collect_references(obj) == found, type(obj).__name__
