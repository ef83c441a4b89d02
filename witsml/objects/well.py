"""Well, its datums and locations (WITSML 2.0 ``Well``)."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime

from witsml.objects.base import Attribute, Element, XmlFragment, XmlModel
from witsml.objects.common import (
    AbstractObject,
    DepthCoord,
    ExtensionNameValue,
    GeodeticCrs,
    Measure,
    ProjectedCrs,
    VerticalCrs,
)
from witsml.xml.namespaces import WITSML, clark


class WellStatus(enum.StrEnum):
    """The life-cycle status of a well or wellbore (``eml:WellStatus``)."""

    ABANDONED = "abandoned"
    ACTIVE = "active"
    ACTIVE_INJECTING = "active -- injecting"
    ACTIVE_PRODUCING = "active -- producing"
    COMPLETED = "completed"
    DRILLING = "drilling"
    PARTIALLY_PLUGGED = "partially plugged"
    PERMITTED = "permitted"
    PLUGGED_AND_ABANDONED = "plugged and abandoned"
    PROPOSED = "proposed"
    SOLD = "sold"
    SUSPENDED = "suspended"
    TEMPORARILY_ABANDONED = "temporarily abandoned"
    TESTING = "testing"
    TIGHT = "tight"
    WORKING_OVER = "working over"
    UNKNOWN = "unknown"


class WellPurpose(enum.StrEnum):
    """Why a well or wellbore was drilled."""

    APPRAISAL = "appraisal"
    APPRAISAL_CONFIRMATION_APPRAISAL = "appraisal -- confirmation appraisal"
    APPRAISAL_EXPLORATORY_APPRAISAL = "appraisal -- exploratory appraisal"
    EXPLORATION = "exploration"
    EXPLORATION_DEEPER_POOL_WILDCAT = "exploration -- deeper-pool wildcat"
    EXPLORATION_NEW_FIELD_WILDCAT = "exploration -- new-field wildcat"
    EXPLORATION_NEW_POOL_WILDCAT = "exploration -- new-pool wildcat"
    EXPLORATION_OUTPOST_WILDCAT = "exploration -- outpost wildcat"
    EXPLORATION_SHALLOWER_POOL_WILDCAT = "exploration -- shallower-pool wildcat"
    DEVELOPMENT = "development"
    DEVELOPMENT_INFILL_DEVELOPMENT = "development -- infill development"
    DEVELOPMENT_INJECTOR = "development -- injector"
    DEVELOPMENT_PRODUCER = "development -- producer"
    FLUID_STORAGE = "fluid storage"
    FLUID_STORAGE_GAS_STORAGE = "fluid storage -- gas storage"
    GENERAL_SRVC = "general srvc"
    GENERAL_SRVC_BOREHOLE_RE_ACQUISITION = "general srvc -- borehole re-acquisition"
    GENERAL_SRVC_OBSERVATION = "general srvc -- observation"
    GENERAL_SRVC_RELIEF = "general srvc -- relief"
    GENERAL_SRVC_RESEARCH = "general srvc -- research"
    GENERAL_SRVC_RESEARCH_DRILL_TEST = "general srvc -- research -- drill test"
    GENERAL_SRVC_RESEARCH_STRAT_TEST = "general srvc -- research -- strat test"
    GENERAL_SRVC_WASTE_DISPOSAL = "general srvc -- waste disposal"
    MINERAL = "mineral"


class WellFluid(enum.StrEnum):
    """The fluid a well produces or injects."""

    AIR = "air"
    CONDENSATE = "condensate"
    DRY = "dry"
    GAS = "gas"
    GAS_WATER = "gas-water"
    NON_HC_GAS = "non HC gas"
    NON_HC_GAS_CO2 = "non HC gas -- CO2"
    OIL = "oil"
    OIL_GAS = "oil-gas"
    OIL_WATER = "oil-water"
    STEAM = "steam"
    WATER = "water"
    WATER_BRINE = "water -- brine"
    WATER_FRESH_WATER = "water -- fresh water"


class WellDirection(enum.StrEnum):
    """Whether a well produces, injects or both."""

    HUFF_N_PUFF = "huff-n-puff"
    INJECTOR = "injector"
    PRODUCER = "producer"
    UNCERTAIN = "uncertain"


class WellboreDatumReference(enum.StrEnum):
    """The kind of a vertical datum (``WellDatum/Code``; ``eml:WellboreDatumReference``)."""

    GROUND_LEVEL = "ground level"
    KELLY_BUSHING = "kelly bushing"
    MEAN_SEA_LEVEL = "mean sea level"
    DERRICK_FLOOR = "derrick floor"
    CASING_FLANGE = "casing flange"
    CROWN_VALVE = "crown valve"
    ROTARY_BUSHING = "rotary bushing"
    ROTARY_TABLE = "rotary table"
    SEA_FLOOR = "sea floor"
    LOWEST_ASTRONOMICAL_TIDE = "lowest astronomical tide"
    MEAN_HIGHER_HIGH_WATER = "mean higher high water"
    MEAN_HIGH_WATER = "mean high water"
    MEAN_LOWER_LOW_WATER = "mean lower low water"
    MEAN_LOW_WATER = "mean low water"
    MEAN_TIDE_LEVEL = "mean tide level"
    KICKOFF_POINT = "kickoff point"


class GeodeticWellLocation(XmlModel):
    """A position as latitude and longitude in a geodetic CRS."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "GeodeticWellLocation")

    uid: Annotated[str, Attribute("uid")]
    original: Annotated[bool | None, Element("Original")] = None
    description: Annotated[str | None, Element("Description")] = None
    extension_name_values: Annotated[list[ExtensionNameValue], Element("ExtensionNameValue")] = []
    latitude: Annotated[Measure, Element("Latitude")]
    longitude: Annotated[Measure, Element("Longitude")]
    crs: Annotated[GeodeticCrs, Element("Crs")]


class ProjectedWellLocation(XmlModel):
    """A position as two coordinates in a projected CRS."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "ProjectedWellLocation")

    uid: Annotated[str, Attribute("uid")]
    original: Annotated[bool | None, Element("Original")] = None
    description: Annotated[str | None, Element("Description")] = None
    extension_name_values: Annotated[list[ExtensionNameValue], Element("ExtensionNameValue")] = []
    coordinate1: Annotated[float, Element("Coordinate1")]
    coordinate2: Annotated[float, Element("Coordinate2")]
    crs: Annotated[ProjectedCrs, Element("Crs")]


WellLocation = GeodeticWellLocation | ProjectedWellLocation
"""XSD ``AbstractWellLocation`` (any other kind is kept as an XmlFragment)."""


class WellDatum(XmlModel):
    """A vertical reference (kelly bushing, mean sea level...) that depths are measured from.

    Depth coordinates name it by ``uid`` in their ``datum`` attribute.
    """

    uid: Annotated[str, Attribute("uid")]
    name: Annotated[str, Element("Name")]
    code: Annotated[WellboreDatumReference | None, Element("Code")] = None
    kinds: Annotated[list[str], Element("Kind")] = []
    measured_depth: Annotated[DepthCoord | None, Element("MeasuredDepth")] = None
    comment: Annotated[str | None, Element("Comment")] = None
    extension_name_values: Annotated[list[ExtensionNameValue], Element("ExtensionNameValue")] = []
    wellbore: Annotated[XmlFragment | None, Element("Wellbore")] = None
    rig: Annotated[XmlFragment | None, Element("Rig")] = None
    elevation: Annotated[DepthCoord | None, Element("Elevation")] = None
    horizontal_location: Annotated[
        WellLocation | XmlFragment | None, Element("HorizontalLocation")
    ] = None
    crs: Annotated[VerticalCrs, Element("Crs")]


class Well(AbstractObject):
    """A well: the surface location and everything drilled from it (WITSML 2.0 ``Well``)."""

    object_type: ClassVar[str] = "Well"

    name_legal: Annotated[str | None, Element("NameLegal")] = None
    num_license: Annotated[str | None, Element("NumLicense")] = None
    num_govt: Annotated[str | None, Element("NumGovt")] = None
    dtim_license: Annotated[AwareDatetime | None, Element("DTimLicense")] = None
    field: Annotated[str | None, Element("Field")] = None
    country: Annotated[str | None, Element("Country")] = None
    state: Annotated[str | None, Element("State")] = None
    county: Annotated[str | None, Element("County")] = None
    region: Annotated[str | None, Element("Region")] = None
    district: Annotated[str | None, Element("District")] = None
    block: Annotated[str | None, Element("Block")] = None
    time_zone: Annotated[str | None, Element("TimeZone")] = None
    operator: Annotated[str | None, Element("Operator")] = None
    operator_div: Annotated[str | None, Element("OperatorDiv")] = None
    original_operator: Annotated[str | None, Element("OriginalOperator")] = None
    pc_interest: Annotated[Measure | None, Element("PcInterest")] = None
    num_api: Annotated[str | None, Element("NumAPI")] = None
    status_well: Annotated[WellStatus | None, Element("StatusWell")] = None
    purpose_well: Annotated[WellPurpose | None, Element("PurposeWell")] = None
    fluid_well: Annotated[WellFluid | None, Element("FluidWell")] = None
    direction_well: Annotated[WellDirection | None, Element("DirectionWell")] = None
    dtim_spud: Annotated[AwareDatetime | None, Element("DTimSpud")] = None
    dtim_pa: Annotated[AwareDatetime | None, Element("DTimPa")] = None
    water_depth: Annotated[Measure | None, Element("WaterDepth")] = None
    geographic_location_wgs84: Annotated[
        GeodeticWellLocation | None, Element("GeographicLocationWGS84")
    ] = None
    well_locations: Annotated[list[WellLocation | XmlFragment], Element("WellLocation")] = []
    well_public_land_survey_system_location: Annotated[
        XmlFragment | None, Element("WellPublicLandSurveySystemLocation")
    ] = None
    reference_points: Annotated[list[XmlFragment], Element("ReferencePoint")] = []
    wellhead_elevation: Annotated[DepthCoord | None, Element("WellheadElevation")] = None
    well_datums: Annotated[list[WellDatum], Element("WellDatum")] = []
    ground_elevation: Annotated[DepthCoord | None, Element("GroundElevation")] = None
