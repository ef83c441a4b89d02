"""Trajectory and its survey stations (WITSML 2.0 ``Trajectory``, ``part_TrajectoryStation``)."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime

from witsml.objects.base import Attribute, Element, XmlFragment, XmlModel
from witsml.objects.common import (
    WITSML_CONTENT_TYPE,
    AbstractObject,
    DataObjectReference,
    DepthCoord,
    ExtensionNameValue,
    Measure,
    Ref,
    collect_references,
)
from witsml.objects.log import ChannelStatus
from witsml.objects.well import WellLocation


class TrajStationType(enum.StrEnum):
    """How a station was obtained (``TrajectoryStation/TypeTrajStation``)."""

    AZIMUTH_ON_PLANE = "azimuth on plane"
    BUILDRATE_TO_DELTA_MD = "buildrate to delta-MD"
    BUILDRATE_TO_INCL = "buildrate to INCL"
    BUILDRATE_TO_MD = "buildrate to MD"
    BUILDRATE_AND_TURNRATE_TO_AZI = "buildrate and turnrate to AZI"
    BUILDRATE_AND_TURNRATE_TO_DELTA_MD = "buildrate and turnrate to delta-MD"
    BUILDRATE_AND_TURNRATE_TO_INCL = "buildrate and turnrate to INCL"
    BUILDRATE_AND_TURNRATE_TO_INCL_AND_AZI = "buildrate and turnrate to INCL and AZI"
    BUILDRATE_AND_TURNRATE_TO_MD = "buildrate and turnrate to MD"
    BUILDRATE_AND_TURNRATE_TO_TVD = "buildrate and turnrate to TVD"
    BUILDRATE_TVD = "buildrate TVD"
    CASING_MD = "casing MD"
    CASING_TVD = "casing TVD"
    DLS = "DLS"
    DLS_TO_AZI_AND_MD = "DLS to AZI and MD"
    DLS_TO_AZI_TVD = "DLS to AZI-TVD"
    DLS_TO_INCL = "DLS to INCL"
    DLS_TO_INCL_AND_AZI = "DLS to INCL and AZI"
    DLS_TO_INCL_AND_MD = "DLS to INCL and MD"
    DLS_TO_INCL_AND_TVD = "DLS to INCL and TVD"
    DLS_TO_NS = "DLS to NS"
    DLS_AND_TOOLFACE_TO_AZI = "DLS and toolface to AZI"
    DLS_AND_TOOLFACE_TO_DELTA_MD = "DLS and toolface to delta-MD"
    DLS_AND_TOOLFACE_TO_INCL = "DLS and toolface to INCL"
    DLS_AND_TOOLFACE_TO_INCL_AZI = "DLS and toolface to INCL-AZI"
    DLS_AND_TOOLFACE_TO_MD = "DLS and toolface to MD"
    DLS_AND_TOOLFACE_TO_TVD = "DLS and toolface to TVD"
    FORMATION_MD = "formation MD"
    FORMATION_TVD = "formation TVD"
    HOLD_TO_DELTA_MD = "hold to delta-MD"
    HOLD_TO_MD = "hold to MD"
    HOLD_TO_TVD = "hold to TVD"
    INCL_AZI_AND_TVD = "INCL AZI and TVD"
    INTERPOLATED = "interpolated"
    MARKER_MD = "marker MD"
    MARKER_TVD = "marker TVD"
    MD_AND_INCL = "MD and INCL"
    MD_INCL_AND_AZI = "MD INCL and AZI"
    N_E_AND_TVD = "N E and TVD"
    NS_EW_AND_TVD = "NS EW and TVD"
    TARGET_CENTER = "target center"
    TARGET_OFFSET = "target offset"
    TIE_IN_POINT = "tie in point"
    TURNRATE_TO_AZI = "turnrate to AZI"
    TURNRATE_TO_DELTA_MD = "turnrate to delta-MD"
    TURNRATE_TO_MD = "turnrate to MD"
    TURNRATE_TO_TVD = "turnrate to TVD"
    UNKNOWN = "unknown"


class TypeSurveyTool(enum.StrEnum):
    """The kind of survey tool."""

    GYROSCOPIC_INERTIAL = "gyroscopic inertial"
    GYROSCOPIC_MWD = "gyroscopic MWD"
    GYROSCOPIC_NORTH_SEEKING = "gyroscopic north seeking"
    MAGNETIC_MULTIPLE_SHOT = "magnetic multiple-shot"
    MAGNETIC_MWD = "magnetic MWD"
    MAGNETIC_SINGLE_SHOT = "magnetic single-shot"


class TrajStnCalcAlgorithm(enum.StrEnum):
    """The algorithm used to compute a station's position."""

    AVERAGE_ANGLE = "average angle"
    BALANCED_TANGENTIAL = "balanced tangential"
    CONSTANT_TOOL_FACE = "constant tool face"
    CUSTOM = "custom"
    INERTIAL = "inertial"
    MINIMUM_CURVATURE = "minimum curvature"
    RADIUS_OF_CURVATURE = "radius of curvature"
    TANGENTIAL = "tangential"


class TrajStationStatus(enum.StrEnum):
    """Whether a station is accepted."""

    OPEN = "open"
    REJECTED = "rejected"
    POSITION = "position"


class AziRef(enum.StrEnum):
    """The north that azimuths are measured from."""

    MAGNETIC_NORTH = "magnetic north"
    GRID_NORTH = "grid north"
    TRUE_NORTH = "true north"


class StnTrajValid(XmlModel):
    """Values computed to check a station (``TrajectoryStation/Valid``)."""

    mag_total_field_calc: Annotated[Measure | None, Element("MagTotalFieldCalc")] = None
    mag_dip_angle_calc: Annotated[Measure | None, Element("MagDipAngleCalc")] = None
    grav_total_field_calc: Annotated[Measure | None, Element("GravTotalFieldCalc")] = None


class StnTrajMatrixCov(XmlModel):
    """Covariance matrix of a station's position (``TrajectoryStation/MatrixCov``)."""

    variance_nn: Annotated[Measure | None, Element("VarianceNN")] = None
    variance_ne: Annotated[Measure | None, Element("VarianceNE")] = None
    variance_n_vert: Annotated[Measure | None, Element("VarianceNVert")] = None
    variance_ee: Annotated[Measure | None, Element("VarianceEE")] = None
    variance_e_vert: Annotated[Measure | None, Element("VarianceEVert")] = None
    variance_vert_vert: Annotated[Measure | None, Element("VarianceVertVert")] = None
    bias_n: Annotated[Measure | None, Element("BiasN")] = None
    bias_e: Annotated[Measure | None, Element("BiasE")] = None
    bias_vert: Annotated[Measure | None, Element("BiasVert")] = None


class StnTrajRawData(XmlModel):
    """Raw sensor readings of a station (``TrajectoryStation/RawData``)."""

    grav_axial_raw: Annotated[Measure | None, Element("GravAxialRaw")] = None
    grav_tran1_raw: Annotated[Measure | None, Element("GravTran1Raw")] = None
    grav_tran2_raw: Annotated[Measure | None, Element("GravTran2Raw")] = None
    mag_axial_raw: Annotated[Measure | None, Element("MagAxialRaw")] = None
    mag_tran1_raw: Annotated[Measure | None, Element("MagTran1Raw")] = None
    mag_tran2_raw: Annotated[Measure | None, Element("MagTran2Raw")] = None


class StnTrajCorUsed(XmlModel):
    """Corrections applied to a station (``TrajectoryStation/CorUsed``)."""

    grav_axial_accel_cor: Annotated[Measure | None, Element("GravAxialAccelCor")] = None
    grav_tran1_accel_cor: Annotated[Measure | None, Element("GravTran1AccelCor")] = None
    grav_tran2_accel_cor: Annotated[Measure | None, Element("GravTran2AccelCor")] = None
    mag_axial_drlstr_cor: Annotated[Measure | None, Element("MagAxialDrlstrCor")] = None
    mag_tran1_drlstr_cor: Annotated[Measure | None, Element("MagTran1DrlstrCor")] = None
    mag_tran2_drlstr_cor: Annotated[Measure | None, Element("MagTran2DrlstrCor")] = None
    mag_tran1_msa_cor: Annotated[Measure | None, Element("MagTran1MSACor")] = None
    mag_tran2_msa_cor: Annotated[Measure | None, Element("MagTran2MSACor")] = None
    mag_axial_msa_cor: Annotated[Measure | None, Element("MagAxialMSACor")] = None
    sag_inc_cor: Annotated[Measure | None, Element("SagIncCor")] = None
    sag_azi_cor: Annotated[Measure | None, Element("SagAziCor")] = None
    stn_mag_decl_used: Annotated[Measure | None, Element("StnMagDeclUsed")] = None
    stn_grid_con_used: Annotated[Measure | None, Element("StnGridConUsed")] = None
    dir_sensor_offset: Annotated[Measure | None, Element("DirSensorOffset")] = None


class TrajectoryStation(XmlModel):
    """One survey station of a trajectory.

    Not a data object of its own in 2.0 (no uuid, no Citation): it lives in a Trajectory, or is
    sent alone as a ``part_TrajectoryStation`` document (ETP part transfer), which
    :func:`witsml.parse` reads into this class and :func:`witsml.to_xml` writes back.
    """

    object_type: ClassVar[str] = "part_TrajectoryStation"

    uid: Annotated[str, Attribute("uid")]
    manually_entered: Annotated[bool | None, Element("ManuallyEntered")] = None
    target: Annotated[str | None, Element("Target")] = None
    dtim_stn: Annotated[AwareDatetime | None, Element("DTimStn")] = None
    type_traj_station: Annotated[TrajStationType, Element("TypeTrajStation")]
    type_survey_tool: Annotated[TypeSurveyTool | None, Element("TypeSurveyTool")] = None
    calc_algorithm: Annotated[TrajStnCalcAlgorithm | None, Element("CalcAlgorithm")] = None
    md: Annotated[DepthCoord, Element("Md")]
    tvd: Annotated[DepthCoord | None, Element("Tvd")] = None
    incl: Annotated[Measure | None, Element("Incl")] = None
    azi: Annotated[Measure | None, Element("Azi")] = None
    mtf: Annotated[Measure | None, Element("Mtf")] = None
    gtf: Annotated[Measure | None, Element("Gtf")] = None
    disp_ns: Annotated[Measure | None, Element("DispNs")] = None
    disp_ew: Annotated[Measure | None, Element("DispEw")] = None
    vert_sect: Annotated[Measure | None, Element("VertSect")] = None
    dls: Annotated[Measure | None, Element("Dls")] = None
    rate_turn: Annotated[Measure | None, Element("RateTurn")] = None
    rate_build: Annotated[Measure | None, Element("RateBuild")] = None
    md_delta: Annotated[Measure | None, Element("MdDelta")] = None
    tvd_delta: Annotated[Measure | None, Element("TvdDelta")] = None
    grav_total_uncert: Annotated[Measure | None, Element("GravTotalUncert")] = None
    dip_angle_uncert: Annotated[Measure | None, Element("DipAngleUncert")] = None
    mag_total_uncert: Annotated[Measure | None, Element("MagTotalUncert")] = None
    grav_accel_cor_used: Annotated[bool | None, Element("GravAccelCorUsed")] = None
    mag_x_axial_cor_used: Annotated[bool | None, Element("MagXAxialCorUsed")] = None
    sag_cor_used: Annotated[bool | None, Element("SagCorUsed")] = None
    mag_drlstr_cor_used: Annotated[bool | None, Element("MagDrlstrCorUsed")] = None
    infield_ref_cor_used: Annotated[bool | None, Element("InfieldRefCorUsed")] = None
    interpolated_infield_ref_cor_used: Annotated[
        bool | None, Element("InterpolatedInfieldRefCorUsed")
    ] = None
    in_hole_ref_cor_used: Annotated[bool | None, Element("InHoleRefCorUsed")] = None
    axial_mag_interference_cor_used: Annotated[
        bool | None, Element("AxialMagInterferenceCorUsed")
    ] = None
    cosag_cor_used: Annotated[bool | None, Element("CosagCorUsed")] = None
    msa_cor_used: Annotated[bool | None, Element("MSACorUsed")] = None
    grav_total_field_reference: Annotated[Measure | None, Element("GravTotalFieldReference")] = None
    mag_total_field_reference: Annotated[Measure | None, Element("MagTotalFieldReference")] = None
    mag_dip_angle_reference: Annotated[Measure | None, Element("MagDipAngleReference")] = None
    mag_model_used: Annotated[str | None, Element("MagModelUsed")] = None
    mag_model_valid: Annotated[str | None, Element("MagModelValid")] = None
    geo_model_used: Annotated[str | None, Element("GeoModelUsed")] = None
    status_traj_station: Annotated[TrajStationStatus | None, Element("StatusTrajStation")] = None
    extension_name_values: Annotated[list[ExtensionNameValue], Element("ExtensionNameValue")] = []
    valid: Annotated[StnTrajValid | None, Element("Valid")] = None
    matrix_cov: Annotated[StnTrajMatrixCov | None, Element("MatrixCov")] = None
    locations: Annotated[list[WellLocation | XmlFragment], Element("Location")] = []
    source_station: Annotated[XmlFragment | None, Element("SourceStation")] = None
    raw_data: Annotated[StnTrajRawData | None, Element("RawData")] = None
    cor_used: Annotated[StnTrajCorUsed | None, Element("CorUsed")] = None
    iscwsa_tool_error_model: Annotated[Ref | None, Element("IscwsaToolErrorModel")] = None

    @property
    def qualified_type(self) -> str:
        """``"witsml20.part_TrajectoryStation"``."""
        return f"witsml20.{self.object_type}"

    @property
    def content_type(self) -> str:
        """``application/x-witsml+xml;version=2.0;type=part_TrajectoryStation``."""
        return WITSML_CONTENT_TYPE.format(self.object_type)

    def references(self) -> list[DataObjectReference]:
        """The references this station holds (its tool error model, if any)."""
        return collect_references(self)


class Trajectory(AbstractObject):
    """A wellbore's survey: its stations in measured-depth order (WITSML 2.0 ``Trajectory``)."""

    object_type: ClassVar[str] = "Trajectory"

    growing_status: Annotated[ChannelStatus, Element("GrowingStatus")]
    dtim_traj_start: Annotated[AwareDatetime | None, Element("DTimTrajStart")] = None
    dtim_traj_end: Annotated[AwareDatetime | None, Element("DTimTrajEnd")] = None
    md_mn: Annotated[DepthCoord | None, Element("MdMn")] = None
    md_mx: Annotated[DepthCoord | None, Element("MdMx")] = None
    service_company: Annotated[str | None, Element("ServiceCompany")] = None
    mag_decl_used: Annotated[Measure | None, Element("MagDeclUsed")] = None
    grid_con_used: Annotated[Measure | None, Element("GridConUsed")] = None
    azi_vert_sect: Annotated[Measure | None, Element("AziVertSect")] = None
    disp_ns_vert_sect_orig: Annotated[Measure | None, Element("DispNsVertSectOrig")] = None
    disp_ew_vert_sect_orig: Annotated[Measure | None, Element("DispEwVertSectOrig")] = None
    definitive: Annotated[bool | None, Element("Definitive")] = None
    memory: Annotated[bool | None, Element("Memory")] = None
    final_traj: Annotated[bool | None, Element("FinalTraj")] = None
    azi_ref: Annotated[AziRef | None, Element("AziRef")] = None
    stations: Annotated[list[TrajectoryStation], Element("TrajectoryStation")] = []
    wellbore: Annotated[Ref, Element("Wellbore")]
    parent_trajectory: Annotated[Ref | None, Element("ParentTrajectory")] = None
