"""Wellbore: one bore of a well (WITSML 2.0 ``Wellbore``)."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime

from witsml.objects.base import Element
from witsml.objects.common import AbstractObject, DepthCoord, Measure, Ref
from witsml.objects.well import WellPurpose, WellStatus


class WellboreType(enum.StrEnum):
    """How a wellbore came about."""

    BYPASS = "bypass"
    INITIAL = "initial"
    REDRILL = "redrill"
    REENTRY = "reentry"
    RESPUD = "respud"
    SIDETRACK = "sidetrack"


class WellboreShape(enum.StrEnum):
    """The planned shape of a wellbore."""

    BUILD_AND_HOLD = "build and hold"
    DEVIATED = "deviated"
    DOUBLE_KICKOFF = "double kickoff"
    HORIZONTAL = "horizontal"
    S_SHAPED = "S-shaped"
    VERTICAL = "vertical"


class Wellbore(AbstractObject):
    """A wellbore, from the well's surface or a kickoff point to its bottom.

    ``well`` (required) references the Well; assign the Well itself or ``well.reference()``.
    """

    object_type: ClassVar[str] = "Wellbore"

    number: Annotated[str | None, Element("Number")] = None
    suffix_api: Annotated[str | None, Element("SuffixAPI")] = None
    num_govt: Annotated[str | None, Element("NumGovt")] = None
    status_wellbore: Annotated[WellStatus | None, Element("StatusWellbore")] = None
    is_active: Annotated[bool | None, Element("IsActive")] = None
    purpose_wellbore: Annotated[WellPurpose | None, Element("PurposeWellbore")] = None
    type_wellbore: Annotated[WellboreType | None, Element("TypeWellbore")] = None
    shape: Annotated[WellboreShape | None, Element("Shape")] = None
    dtim_kickoff: Annotated[AwareDatetime | None, Element("DTimKickoff")] = None
    achieved_td: Annotated[bool | None, Element("AchievedTD")] = None
    md: Annotated[DepthCoord | None, Element("Md")] = None
    tvd: Annotated[DepthCoord | None, Element("Tvd")] = None
    md_bit: Annotated[DepthCoord | None, Element("MdBit")] = None
    tvd_bit: Annotated[DepthCoord | None, Element("TvdBit")] = None
    md_kickoff: Annotated[DepthCoord | None, Element("MdKickoff")] = None
    tvd_kickoff: Annotated[DepthCoord | None, Element("TvdKickoff")] = None
    md_planned: Annotated[DepthCoord | None, Element("MdPlanned")] = None
    tvd_planned: Annotated[DepthCoord | None, Element("TvdPlanned")] = None
    md_sub_sea_planned: Annotated[DepthCoord | None, Element("MdSubSeaPlanned")] = None
    tvd_sub_sea_planned: Annotated[DepthCoord | None, Element("TvdSubSeaPlanned")] = None
    day_target: Annotated[Measure | None, Element("DayTarget")] = None
    well: Annotated[Ref, Element("Well")]
    parent_wellbore: Annotated[Ref | None, Element("ParentWellbore")] = None
