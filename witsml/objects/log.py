"""Log, ChannelSet, Channel, their indexes, index values and the raw bulk data (WITSML 2.0).

A Log embeds whole ChannelSets, each embedding whole Channels; the ChannelSet holds the data of
all its channels as one JSON text (``ChannelSet.data.text``), kept here as read: decoding it into
columns is :mod:`witsml.data`'s job.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import AwareDatetime

from witsml.objects.base import Attribute, Element, XmlFragment, XmlModel
from witsml.objects.common import AbstractObject, Measure, Ref
from witsml.xml.namespaces import WITSML, clark

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from matplotlib.figure import Figure

    from witsml.data import ChannelTable
    from witsml.objects.common import DataObjectReference


class ChannelIndexType(enum.StrEnum):
    """What an index measures."""

    MEASURED_DEPTH = "measured depth"
    TRUE_VERTICAL_DEPTH = "true vertical depth"
    PASS_INDEXED_DEPTH = "pass indexed depth"
    DATE_TIME = "date time"
    ELAPSED_TIME = "elapsed time"
    TEMPERATURE = "temperature"
    PRESSURE = "pressure"


class IndexDirection(enum.StrEnum):
    """Whether index values grow or shrink along the data."""

    DECREASING = "decreasing"
    INCREASING = "increasing"


class EtpDataType(enum.StrEnum):
    """The type of a channel's values."""

    BOOLEAN = "boolean"
    BYTES = "bytes"
    DOUBLE = "double"
    FLOAT = "float"
    INT = "int"
    LONG = "long"
    NULL = "null"
    STRING = "string"
    VECTOR = "vector"


class LoggingMethod(enum.StrEnum):
    """How the data was acquired."""

    COMPUTED = "computed"
    DISTRIBUTED = "distributed"
    LWD = "LWD"
    MIXED = "mixed"
    MWD = "MWD"
    SURFACE = "surface"
    WIRELINE = "wireline"


class ChannelStatus(enum.StrEnum):
    """Whether a channel (or trajectory) is still growing."""

    ACTIVE = "active"
    CLOSED = "closed"
    INACTIVE = "inactive"


class ChannelState(enum.StrEnum):
    """The processing state of the data."""

    CALCULATED = "calculated"
    FINAL = "final"
    MEMORY = "memory"
    PROCESSED = "processed"
    REAL_TIME = "real time"


class ChannelDerivation(enum.StrEnum):
    """Where the data comes from."""

    RAW = "raw"
    SIMULATED = "simulated"
    SPLICED = "spliced"
    SAMPLED = "sampled"
    MODEL = "model"


class DepthIndexValue(XmlModel):
    """A depth index value (``xsi:type="DepthIndexValue"``)."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "DepthIndexValue")

    depth: Annotated[float, Element("Depth")]


class TimeIndexValue(XmlModel):
    """A date-time index value (``xsi:type="TimeIndexValue"``)."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "TimeIndexValue")

    time: Annotated[AwareDatetime, Element("Time")]


class PassIndexedDepth(XmlModel):
    """A depth within a numbered logging pass (``xsi:type="PassIndexedDepth"``)."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "PassIndexedDepth")

    pass_: Annotated[int, Element("Pass")]
    direction: Annotated[int, Element("Direction")]
    depth: Annotated[float, Element("Depth")]


IndexValue = DepthIndexValue | TimeIndexValue | PassIndexedDepth
"""A start or end index (XSD ``AbstractIndexValue``)."""


class ChannelIndex(XmlModel):
    """One index of a ChannelSet or Channel (``ChannelSet/Index``, ``Channel/Index``).

    ``datum_reference`` is the ``uid`` of the Well's ``WellDatum`` a depth index is measured from.
    """

    index_type: Annotated[ChannelIndexType, Element("IndexType")]
    uom: Annotated[str, Element("Uom")]
    direction: Annotated[IndexDirection, Element("Direction")]
    mnemonic: Annotated[str, Element("Mnemonic")]
    datum_reference: Annotated[str | None, Element("DatumReference")] = None


class ChannelData(XmlModel):
    """The bulk data of a ChannelSet, as stored: JSON text or the URI of an external file.

    ``text`` is the JSON rows exactly as read (``""`` for an empty ``<Data/>``, None when the
    element is absent); ``file_uri`` a relative URI of an external bulk-data file.
    """

    text: Annotated[str | None, Element("Data")] = None
    file_uri: Annotated[str | None, Element("FileUri")] = None


class LogChannelAxis(XmlModel):
    """One axis of an array channel (``Channel/AxisDefinition``)."""

    uid: Annotated[str, Attribute("uid")]
    axis_start: Annotated[float, Element("AxisStart")]
    axis_spacing: Annotated[float, Element("AxisSpacing")]
    axis_count: Annotated[int, Element("AxisCount")]
    axis_name: Annotated[str | None, Element("AxisName")] = None
    axis_property_kind: Annotated[str, Element("AxisPropertyKind")]
    axis_uom: Annotated[str, Element("AxisUom")]


class PointMetadata(XmlModel):
    """An attribute carried with each value of a channel (``Channel/PointMetadata``)."""

    name: Annotated[str, Element("Name")]
    etp_data_type: Annotated[EtpDataType, Element("EtpDataType")]
    description: Annotated[str, Element("Description")]


class IndexRangeContext(XmlModel):
    """Data limited to an index range (``xsi:type="IndexRangeContext"``)."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "IndexRangeContext")

    start_index: Annotated[IndexValue, Element("StartIndex")]
    end_index: Annotated[IndexValue, Element("EndIndex")]


class ChannelValueContext(XmlModel):
    """Data limited to where a channel has a given value (``xsi:type="ChannelValueContext"``)."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "ChannelValueContext")

    channel_reference: Annotated[Ref, Element("ChannelReference")]
    data_value: Annotated[str, Element("DataValue")]


class ObjectContext(XmlModel):
    """Data limited to a (sub)object (``xsi:type="ObjectContext"``)."""

    xsi_type: ClassVar[str | None] = clark(WITSML, "ObjectContext")

    object_reference: Annotated[Ref, Element("ObjectReference")]
    sub_object_reference: Annotated[str, Element("SubObjectReference")]


LogDataContext = IndexRangeContext | ChannelValueContext | ObjectContext
"""XSD ``AbstractLogDataContext``."""


class Channel(AbstractObject):
    """One measured or computed quantity along an index (WITSML 2.0 ``Channel``).

    Inside a ChannelSet a channel has no data of its own: its values are a column of the
    ChannelSet's data. ``channel_class`` references the PropertyKind of the quantity.
    """

    object_type: ClassVar[str] = "Channel"

    mnemonic: Annotated[str, Element("Mnemonic")]
    data_type: Annotated[EtpDataType, Element("DataType")]
    uom: Annotated[str, Element("Uom")]
    growing_status: Annotated[ChannelStatus, Element("GrowingStatus")]
    source: Annotated[str | None, Element("Source")] = None
    wellbore: Annotated[Ref | None, Element("Wellbore")] = None
    axis_definitions: Annotated[list[LogChannelAxis], Element("AxisDefinition")] = []
    channel_state: Annotated[ChannelState | None, Element("ChannelState")] = None
    time_depth: Annotated[str, Element("TimeDepth")]
    channel_class: Annotated[Ref, Element("ChannelClass")]
    run_number: Annotated[str | None, Element("RunNumber")] = None
    pass_number: Annotated[str | None, Element("PassNumber")] = None
    start_index: Annotated[IndexValue | None, Element("StartIndex")] = None
    end_index: Annotated[IndexValue | None, Element("EndIndex")] = None
    logging_company_name: Annotated[str, Element("LoggingCompanyName")]
    logging_company_code: Annotated[str | None, Element("LoggingCompanyCode")] = None
    tool_name: Annotated[str | None, Element("ToolName")] = None
    tool_class: Annotated[str | None, Element("ToolClass")] = None
    derivation: Annotated[ChannelDerivation | None, Element("Derivation")] = None
    logging_method: Annotated[LoggingMethod | None, Element("LoggingMethod")] = None
    nominal_hole_size: Annotated[Measure | None, Element("NominalHoleSize")] = None
    point_metadata: Annotated[list[PointMetadata], Element("PointMetadata")] = []
    derived_from: Annotated[list[Ref], Element("DerivedFrom")] = []
    indexes: Annotated[list[ChannelIndex], Element("Index")]
    parent: Annotated[Ref | None, Element("Parent")] = None


class ChannelSet(AbstractObject):
    """Channels sharing the same indexes, with their data (WITSML 2.0 ``ChannelSet``).

    ``indexes`` and ``channels`` give the columns of ``data`` in order: each data row is
    ``[[index values...], [channel values...]]``.
    """

    object_type: ClassVar[str] = "ChannelSet"

    indexes: Annotated[list[ChannelIndex], Element("Index")]
    channels: Annotated[list[Channel], Element("Channel")]
    data: Annotated[ChannelData | None, Element("Data")] = None
    channel_state: Annotated[ChannelState | None, Element("ChannelState")] = None
    time_depth: Annotated[str | None, Element("TimeDepth")] = None
    channel_class: Annotated[Ref | None, Element("ChannelClass")] = None
    run_number: Annotated[str | None, Element("RunNumber")] = None
    pass_number: Annotated[str | None, Element("PassNumber")] = None
    start_index: Annotated[IndexValue | None, Element("StartIndex")] = None
    end_index: Annotated[IndexValue | None, Element("EndIndex")] = None
    logging_company_name: Annotated[str | None, Element("LoggingCompanyName")] = None
    logging_company_code: Annotated[str | None, Element("LoggingCompanyCode")] = None
    tool_name: Annotated[str | None, Element("ToolName")] = None
    tool_class: Annotated[str | None, Element("ToolClass")] = None
    derivation: Annotated[ChannelDerivation | None, Element("Derivation")] = None
    logging_method: Annotated[LoggingMethod | None, Element("LoggingMethod")] = None
    nominal_hole_size: Annotated[Measure | None, Element("NominalHoleSize")] = None
    wellbore: Annotated[Ref | None, Element("Wellbore")] = None
    data_context: Annotated[LogDataContext | XmlFragment | None, Element("DataContext")] = None

    def table(self, *, lax: bool = False) -> ChannelTable:
        """The data as typed columns, one per declared index and channel (:mod:`witsml.data`).

        Strict by default: data that does not fit the declarations raises BulkDataError naming
        the row; ``lax=True`` keeps what can be kept and lists the problems in
        ``table.findings``. Data in an external file (``data.file_uri``) raises BulkDataError.
        """
        from witsml.data.channel_set import read

        return read(self, lax=lax)

    def set_table(self, table: ChannelTable) -> None:
        """Replace the data with ``table``, whose columns must be the declared ones."""
        from witsml.data.channel_set import write

        write(self, table)

    def to_units(self, targets: Mapping[str, str]) -> ChannelSet:
        """A new ChannelSet in other units, by mnemonic or quantity class (``{"length": "ft",
        "ROP": "ft/h"}``): data, every Uom and Start/EndIndex follow; ``self`` is unchanged
        (see :mod:`witsml.convert.to_units`)."""
        from witsml.convert.to_units import channel_set_to_units

        return channel_set_to_units(self, targets)

    def plot(
        self,
        *,
        channels: Sequence[str] | None = None,
        tracks: Sequence[Sequence[str]] | None = None,
        title: str | None = None,
    ) -> Figure:
        """The classic log view of the data, one track per channel or per group of ``tracks``:
        a matplotlib Figure (see :func:`witsml.plot.plot`)."""
        from witsml.plot import plot

        return plot(self, channels=channels, tracks=tracks, title=title)

    @classmethod
    def from_table(
        cls,
        table: ChannelTable,
        *,
        title: str,
        logging_company_name: str,
        channel_classes: Mapping[str, DataObjectReference],
        growing_status: str = "closed",
    ) -> ChannelSet:
        """A ChannelSet declaring the table's columns and holding its data; ``channel_classes``
        maps each channel mnemonic to its PropertyKind reference (see :mod:`witsml.data`)."""
        from witsml.data.channel_set import build

        return build(
            table,
            title=title,
            logging_company_name=logging_company_name,
            channel_classes=channel_classes,
            growing_status=growing_status,
        )


class Log(AbstractObject):
    """A log run: one or more ChannelSets for a wellbore (WITSML 2.0 ``Log``)."""

    object_type: ClassVar[str] = "Log"

    channel_state: Annotated[ChannelState | None, Element("ChannelState")] = None
    time_depth: Annotated[str | None, Element("TimeDepth")] = None
    channel_class: Annotated[Ref | None, Element("ChannelClass")] = None
    run_number: Annotated[str | None, Element("RunNumber")] = None
    pass_number: Annotated[str | None, Element("PassNumber")] = None
    start_index: Annotated[IndexValue | None, Element("StartIndex")] = None
    end_index: Annotated[IndexValue | None, Element("EndIndex")] = None
    logging_company_name: Annotated[str | None, Element("LoggingCompanyName")] = None
    logging_company_code: Annotated[str | None, Element("LoggingCompanyCode")] = None
    tool_name: Annotated[str | None, Element("ToolName")] = None
    tool_class: Annotated[str | None, Element("ToolClass")] = None
    derivation: Annotated[ChannelDerivation | None, Element("Derivation")] = None
    logging_method: Annotated[LoggingMethod | None, Element("LoggingMethod")] = None
    nominal_hole_size: Annotated[Measure | None, Element("NominalHoleSize")] = None
    wellbore: Annotated[Ref, Element("Wellbore")]
    channel_sets: Annotated[list[ChannelSet], Element("ChannelSet")]

    def to_units(self, targets: Mapping[str, str]) -> Log:
        """A new Log with every ChannelSet in other units (see :meth:`ChannelSet.to_units`)."""
        from witsml.convert.to_units import log_to_units

        return log_to_units(self, targets)

    def plot(
        self,
        *,
        channels: Sequence[str] | None = None,
        tracks: Sequence[Sequence[str]] | None = None,
        channel_set: int = 1,
        title: str | None = None,
    ) -> Figure:
        """The classic log view of a ChannelSet's data (the first unless ``channel_set``, 1-based),
        one track per channel or per group of ``tracks``: a matplotlib Figure (see
        :func:`witsml.plot.plot`)."""
        from witsml.plot import plot

        return plot(self, channels=channels, tracks=tracks, channel_set=channel_set, title=title)
