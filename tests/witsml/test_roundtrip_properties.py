"""Property tests: generated objects → to_xml → parse give equal objects, valid against the
official WITSML 2.0 XSDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import witsml
from witsml.objects import (
    UNSPECIFIED_OFFSET,
    AziRef,
    Channel,
    ChannelData,
    ChannelDerivation,
    ChannelIndex,
    ChannelIndexType,
    ChannelSet,
    ChannelState,
    ChannelStatus,
    Citation,
    DataObjectReference,
    DepthCoord,
    DepthIndexValue,
    EtpDataType,
    ExistenceKind,
    ExtensionNameValue,
    GeodeticEpsgCrs,
    GeodeticWellLocation,
    IndexDirection,
    Log,
    LoggingMethod,
    Measure,
    ObjectAlias,
    PassIndexedDepth,
    ProjectedUnknownCrs,
    ProjectedWellLocation,
    StringMeasure,
    TimeIndexValue,
    Trajectory,
    TrajectoryStation,
    TrajStationType,
    VerticalEpsgCrs,
    Well,
    Wellbore,
    WellboreShape,
    WellboreType,
    WellDatum,
    WellPurpose,
    WellStatus,
)
from witsml.objects.common import AbstractObject

# Text an XML 1.0 document can hold (no control characters, surrogates or non-characters).
TEXT = st.characters(exclude_categories=("Cc", "Cs", "Cn", "Co"))
text64 = st.text(TEXT, max_size=64)
title = st.text(TEXT, min_size=1, max_size=120)
uuids = st.uuids().map(str)
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=-6)), timezone(timedelta(hours=5, minutes=45))]
)
timestamps = st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=zones)
date_times = st.datetimes(
    datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=zones | st.just(UNSPECIFIED_OFFSET)
)
doubles = st.floats(allow_nan=False, allow_infinity=True)
floats32 = st.floats(-1e6, 1e6, allow_nan=False, width=32)


def optional(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.none() | strategy


def measure(*units: str) -> st.SearchStrategy[Measure]:
    return st.builds(Measure, value=doubles, uom=st.sampled_from(units))


def coord() -> st.SearchStrategy[DepthCoord]:
    return st.builds(
        DepthCoord, value=doubles, uom=st.sampled_from(["m", "ft", "ft[US]"]), datum=text64
    )


length = measure("m", "ft", "cm", "in")
angle = measure("dega", "rad")

citations = st.builds(
    Citation,
    title=title,
    originator=text64,
    creation=date_times,
    format=title,
    editor=optional(text64),
    last_update=optional(date_times),
    description=optional(st.text(TEXT, max_size=300)),
)
aliases = st.lists(
    st.builds(ObjectAlias, authority=text64, identifier=text64, description=optional(text64)),
    max_size=2,
)
extensions = st.lists(
    st.builds(
        ExtensionNameValue,
        name=text64,
        value=st.builds(StringMeasure, value=text64, uom=optional(st.just("m"))),
        dtim=optional(timestamps),
        index=optional(st.integers(-(2**31), 2**31 - 1)),
    ),
    max_size=2,
)


def references(object_type: str) -> st.SearchStrategy[DataObjectReference]:
    return st.builds(
        DataObjectReference,
        content_type=st.just(f"application/x-witsml+xml;version=2.0;type={object_type}"),
        title=title,
        uuid=uuids,
        uri=optional(uuids.map(lambda u: f"eml:///witsml20.{object_type}({u})")),
        version_string=optional(text64),
    )


def abstract(**fields: st.SearchStrategy[object]) -> dict[str, st.SearchStrategy[object]]:
    """The AbstractObject part of every object, plus its own fields."""
    return {
        "uuid": uuids,
        "schema_version": st.just("2.0"),
        "object_version": optional(text64),
        "existence_kind": optional(st.sampled_from(ExistenceKind)),
        "aliases": aliases,
        "citation": citations,
        "extension_name_values": extensions,
        **fields,
    }


wells = st.builds(
    Well,
    **abstract(
        name_legal=optional(text64),
        field=optional(text64),
        country=optional(text64),
        time_zone=optional(st.sampled_from(["Z", "+01:00", "-06:00"])),
        pc_interest=optional(measure("%", "Euc")),
        status_well=optional(st.sampled_from(WellStatus)),
        purpose_well=optional(st.sampled_from(WellPurpose)),
        dtim_spud=optional(timestamps),
        water_depth=optional(length),
        geographic_location_wgs84=optional(
            st.builds(
                GeodeticWellLocation,
                uid=text64,
                latitude=angle,
                longitude=angle,
                crs=st.builds(GeodeticEpsgCrs, epsg_code=st.integers(1, 99999)),
            )
        ),
        well_locations=st.lists(
            st.builds(
                ProjectedWellLocation,
                uid=text64,
                original=optional(st.booleans()),
                coordinate1=doubles,
                coordinate2=doubles,
                crs=st.builds(ProjectedUnknownCrs, unknown=text64),
            ),
            max_size=2,
        ),
        well_datums=st.lists(
            st.builds(
                WellDatum,
                uid=text64,
                name=text64,
                kinds=st.lists(text64, max_size=2),
                elevation=optional(coord()),
                crs=st.builds(VerticalEpsgCrs, epsg_code=st.integers(1, 99999)),
            ),
            max_size=2,
        ),
        ground_elevation=optional(coord()),
    ),
)

wellbores = st.builds(
    Wellbore,
    **abstract(
        number=optional(text64),
        is_active=optional(st.booleans()),
        type_wellbore=optional(st.sampled_from(WellboreType)),
        shape=optional(st.sampled_from(WellboreShape)),
        dtim_kickoff=optional(timestamps),
        md=optional(coord()),
        tvd=optional(coord()),
        day_target=optional(measure("d", "s")),
        well=references("Well"),
        parent_wellbore=optional(references("Wellbore")),
    ),
)

stations = st.builds(
    TrajectoryStation,
    uid=text64,
    dtim_stn=optional(timestamps),
    type_traj_station=st.sampled_from(TrajStationType),
    md=coord(),
    tvd=optional(coord()),
    incl=optional(angle),
    azi=optional(angle),
    dls=optional(measure("dega/m", "1/30 dega/m", "dega/ft")),
    grav_total_uncert=optional(measure("m/s2")),
    mag_total_uncert=optional(measure("nT")),
    sag_cor_used=optional(st.booleans()),
    extension_name_values=extensions,
)

trajectories = st.builds(
    Trajectory,
    **abstract(
        growing_status=st.sampled_from(ChannelStatus),
        dtim_traj_start=optional(timestamps),
        md_mn=optional(coord()),
        service_company=optional(text64),
        mag_decl_used=optional(angle),
        definitive=optional(st.booleans()),
        azi_ref=optional(st.sampled_from(AziRef)),
        stations=st.lists(stations, max_size=3),
        wellbore=references("Wellbore"),
    ),
)

index_values = (
    st.builds(DepthIndexValue, depth=floats32)
    | st.builds(TimeIndexValue, time=timestamps)
    | st.builds(
        PassIndexedDepth,
        pass_=st.integers(-(2**31), 2**31 - 1),
        direction=st.integers(-(2**31), 2**31 - 1),
        depth=floats32,
    )
)
channel_indexes = st.builds(
    ChannelIndex,
    index_type=st.sampled_from(ChannelIndexType),
    uom=st.sampled_from(["m", "ft", "s"]),
    direction=st.sampled_from(IndexDirection),
    mnemonic=text64,
    datum_reference=optional(text64),
)
channels = st.builds(
    Channel,
    **abstract(
        mnemonic=text64,
        data_type=st.sampled_from(EtpDataType),
        uom=st.sampled_from(["gAPI", "ohm.m", "us/ft", "m", "Euc"]),
        growing_status=st.sampled_from(ChannelStatus),
        channel_state=optional(st.sampled_from(ChannelState)),
        time_depth=text64,
        channel_class=references("PropertyKind"),
        start_index=optional(index_values),
        end_index=optional(index_values),
        logging_company_name=text64,
        derivation=optional(st.sampled_from(ChannelDerivation)),
        nominal_hole_size=optional(length),
        indexes=st.lists(channel_indexes, min_size=1, max_size=2),
    ),
)
channel_sets = st.builds(
    ChannelSet,
    **abstract(
        indexes=st.lists(channel_indexes, min_size=1, max_size=2),
        channels=st.lists(channels, min_size=1, max_size=2),
        data=optional(
            st.builds(ChannelData, text=optional(st.text(TEXT, max_size=200)))
            | st.builds(ChannelData, file_uri=st.just("./bulk.avro"))
        ),
        logging_method=optional(st.sampled_from(LoggingMethod)),
        wellbore=optional(references("Wellbore")),
    ),
)
logs = st.builds(
    Log,
    **abstract(
        run_number=optional(text64),
        start_index=optional(index_values),
        wellbore=references("Wellbore"),
        channel_sets=st.lists(channel_sets, min_size=1, max_size=2),
    ),
)


@pytest.fixture(scope="module")
def schema(official_xsd_20: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(official_xsd_20)))


def check(schema: etree.XMLSchema, obj: AbstractObject | TrajectoryStation) -> None:
    written = witsml.to_xml(obj)
    root = etree.fromstring(written)
    assert schema.validate(root.getroottree()), "\n".join(str(e) for e in schema.error_log)
    assert witsml.parse(written) == obj


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(well=wells)
def test_well_round_trip(schema: etree.XMLSchema, well: Well) -> None:
    check(schema, well)


@SETTINGS
@given(wellbore=wellbores)
def test_wellbore_round_trip(schema: etree.XMLSchema, wellbore: Wellbore) -> None:
    check(schema, wellbore)


@SETTINGS
@given(trajectory=trajectories)
def test_trajectory_round_trip(schema: etree.XMLSchema, trajectory: Trajectory) -> None:
    check(schema, trajectory)


@SETTINGS
@given(station=stations)
def test_part_trajectory_station_round_trip(
    schema: etree.XMLSchema, station: TrajectoryStation
) -> None:
    check(schema, station)


@settings(SETTINGS, max_examples=25)
@given(log=logs)
def test_log_round_trip(schema: etree.XMLSchema, log: Log) -> None:
    check(schema, log)
