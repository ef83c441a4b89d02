"""The rig's WITSML 2.0 objects: Well, Wellbore, a time and a depth Log, the Trajectory.

Everything is derived from the rig's seed and start: uuids are name-based (uuid5), so a rig
built again with the same seed describes the same objects, and a store that already holds them
sees the same URIs. Objects are marked ``existenceKind="simulated"``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from etp.simulator.curves import Curve
from etp.simulator.noise import Noise, Stream
from etp.simulator.survey import Fix, Plan
from witsml.objects import (
    AziRef,
    Channel,
    ChannelDerivation,
    ChannelIndex,
    ChannelIndexType,
    ChannelSet,
    ChannelState,
    ChannelStatus,
    Citation,
    DepthCoord,
    ExistenceKind,
    GeodeticEpsgCrs,
    GeodeticWellLocation,
    IndexDirection,
    Log,
    LoggingMethod,
    Measure,
    Trajectory,
    TrajectoryStation,
    TrajStationStatus,
    TrajStationType,
    TrajStnCalcAlgorithm,
    TypeSurveyTool,
    VerticalEpsgCrs,
    Well,
    Wellbore,
    WellboreDatumReference,
    WellboreShape,
    WellboreType,
    WellDatum,
    WellPurpose,
    WellStatus,
)

DATUM = "KB"
"""The ``uid`` of the WellDatum (kelly bushing) that every depth is measured from."""
ORIGINATOR = "witsml-etp simulator"
LOGGING_COMPANY = "Simulated Mudlogging"
SURVEY_COMPANY = "Simulated MWD"
BIT_SIZE = Measure(value=12.25, uom="in")
DLS_UOM = "1/30 dega/m"
"""Dogleg severity in degrees per 30 m."""

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/witsml-etp/simulator")
_MSL_HEIGHT = 5714  # EPSG: mean sea level height
_WGS84 = 4326
_SIMULATED = ExistenceKind.SIMULATED


def object_uuid(seed: int, name: str) -> str:
    """The uuid of the rig's object ``name`` (stable for a seed)."""
    return str(uuid.uuid5(_NAMESPACE, f"{seed}/{name}"))


def citation(title: str, created: datetime) -> Citation:
    """A citation for a simulated object, created at ``created``."""
    return Citation(title=title, originator=ORIGINATOR, creation=created, format=ORIGINATOR)


def well(seed: int, noise: Noise, start_time: datetime, start_depth: float) -> Well:
    """The well: a land location drawn from the seed, mean sea level and kelly bushing datums."""
    rng = noise.generator(Stream.WELL, 1)
    latitude, longitude = float(rng.uniform(56.0, 62.0)), float(rng.uniform(1.0, 4.0))
    kb_elevation = float(rng.uniform(20.0, 35.0))
    name = f"SIM-{seed}"
    return Well(
        uuid=object_uuid(seed, "well"),
        existence_kind=_SIMULATED,
        citation=citation(name, start_time),
        name_legal=name,
        field="Simulator",
        operator=ORIGINATOR,
        status_well=WellStatus.DRILLING,
        purpose_well=WellPurpose.DEVELOPMENT,
        dtim_spud=start_time - timedelta(days=max(1, round(start_depth / 300))),
        geographic_location_wgs84=GeodeticWellLocation(
            uid="wgs84",
            latitude=Measure(value=round(latitude, 6), uom="dega"),
            longitude=Measure(value=round(longitude, 6), uom="dega"),
            crs=GeodeticEpsgCrs(epsg_code=_WGS84),
        ),
        well_datums=[
            WellDatum(
                uid="MSL",
                name="Mean sea level",
                code=WellboreDatumReference.MEAN_SEA_LEVEL,
                crs=VerticalEpsgCrs(epsg_code=_MSL_HEIGHT),
            ),
            WellDatum(
                uid=DATUM,
                name="Kelly bushing",
                code=WellboreDatumReference.KELLY_BUSHING,
                elevation=DepthCoord(value=round(kb_elevation, 2), uom="m", datum="MSL"),
                crs=VerticalEpsgCrs(epsg_code=_MSL_HEIGHT),
            ),
        ],
    )


def wellbore(seed: int, well: Well, plan: Plan, start_time: datetime) -> Wellbore:
    """The wellbore being drilled (build and hold, kicked off at the plan's kickoff point)."""
    return Wellbore(
        uuid=object_uuid(seed, "wellbore"),
        existence_kind=_SIMULATED,
        citation=citation(f"{well.citation.title} main bore", start_time),
        number=well.name_legal,
        status_wellbore=WellStatus.DRILLING,
        is_active=True,
        purpose_wellbore=WellPurpose.DEVELOPMENT,
        type_wellbore=WellboreType.INITIAL,
        shape=WellboreShape.BUILD_AND_HOLD,
        achieved_td=False,
        md_kickoff=DepthCoord(value=plan.kickoff, uom="m", datum=DATUM),
        well=well,
    )


def log(
    seed: int,
    wellbore: Wellbore,
    curves: Sequence[Curve],
    index: ChannelIndex,
    start_time: datetime,
) -> Log:
    """A growing surface-data Log with one ChannelSet declaring ``curves`` along ``index``."""
    is_time = index.index_type is ChannelIndexType.DATE_TIME
    kind = "time" if is_time else "depth"
    title = f"{wellbore.citation.title} surface data ({kind})"
    common = {
        "existence_kind": _SIMULATED,
        "channel_state": ChannelState.REAL_TIME,
        "time_depth": kind,
        "logging_company_name": LOGGING_COMPANY,
        "derivation": ChannelDerivation.SIMULATED,
        "logging_method": LoggingMethod.SURFACE,
        "nominal_hole_size": BIT_SIZE,
    }
    channels = [
        Channel(
            uuid=object_uuid(seed, f"{kind} log/{curve.mnemonic}"),
            citation=citation(curve.title, start_time),
            mnemonic=curve.mnemonic,
            data_type="double",
            uom=curve.uom,
            growing_status=ChannelStatus.ACTIVE,
            wellbore=wellbore,
            channel_class=curve.channel_class(),
            indexes=[index],
            **common,
        )
        for curve in curves
    ]
    channel_set = ChannelSet(
        uuid=object_uuid(seed, f"{kind} log/channel set"),
        citation=citation(title, start_time),
        indexes=[index],
        channels=channels,
        wellbore=wellbore,
        **common,
    )
    return Log(
        uuid=object_uuid(seed, f"{kind} log"),
        citation=citation(title, start_time),
        wellbore=wellbore,
        channel_sets=[channel_set],
        **common,
    )


def time_index() -> ChannelIndex:
    """The primary index of the time log."""
    return ChannelIndex(
        index_type=ChannelIndexType.DATE_TIME,
        uom="s",
        direction=IndexDirection.INCREASING,
        mnemonic="TIME",
    )


def depth_index() -> ChannelIndex:
    """The primary index of the depth log: measured depth from the kelly bushing."""
    return ChannelIndex(
        index_type=ChannelIndexType.MEASURED_DEPTH,
        uom="m",
        direction=IndexDirection.INCREASING,
        mnemonic="DEPTH",
        datum_reference=DATUM,
    )


def trajectory(
    seed: int,
    wellbore: Wellbore,
    plan: Plan,
    start_time: datetime,
    stations: Sequence[TrajectoryStation],
) -> Trajectory:
    """The growing MWD survey of the wellbore, holding ``stations``."""
    return Trajectory(
        uuid=object_uuid(seed, "trajectory"),
        existence_kind=_SIMULATED,
        citation=citation(f"{wellbore.citation.title} MWD survey", start_time),
        growing_status=ChannelStatus.ACTIVE,
        dtim_traj_start=stations[0].dtim_stn if stations else start_time,
        service_company=SURVEY_COMPANY,
        azi_vert_sect=Measure(value=plan.azimuth, uom="dega"),
        disp_ns_vert_sect_orig=Measure(value=0.0, uom="m"),
        disp_ew_vert_sect_orig=Measure(value=0.0, uom="m"),
        definitive=False,
        memory=False,
        final_traj=False,
        azi_ref=AziRef.GRID_NORTH,
        stations=list(stations),
        wellbore=wellbore,
    )


def station(number: int, fix: Fix, taken: datetime) -> TrajectoryStation:
    """Survey station ``number`` (0 = the tie-in at surface) for ``fix``."""
    tie_in = number == 0
    return TrajectoryStation(
        uid=f"stn-{number:04d}",
        dtim_stn=taken,
        type_traj_station=(
            TrajStationType.TIE_IN_POINT if tie_in else TrajStationType.MD_INCL_AND_AZI
        ),
        type_survey_tool=(
            TypeSurveyTool.GYROSCOPIC_NORTH_SEEKING if tie_in else TypeSurveyTool.MAGNETIC_MWD
        ),
        calc_algorithm=TrajStnCalcAlgorithm.MINIMUM_CURVATURE,
        md=DepthCoord(value=fix.md, uom="m", datum=DATUM),
        tvd=DepthCoord(value=round(fix.tvd, 2), uom="m", datum=DATUM),
        incl=Measure(value=fix.inclination, uom="dega"),
        azi=Measure(value=fix.azimuth, uom="dega"),
        disp_ns=Measure(value=round(fix.north, 2), uom="m"),
        disp_ew=Measure(value=round(fix.east, 2), uom="m"),
        vert_sect=Measure(value=round(fix.vertical_section, 2), uom="m"),
        dls=Measure(value=round(fix.dls, 2), uom=DLS_UOM),
        status_traj_station=TrajStationStatus.POSITION,
    )
