"""WITSML 2.0 for Python: typed objects, faithful XML, validation, log data as columns."""

from witsml.errors import (
    BulkDataError,
    ParseError,
    UnitError,
    ValidationError,
    WitsmlError,
)
from witsml.objects import (
    Channel,
    ChannelSet,
    Citation,
    DataObjectReference,
    Log,
    Trajectory,
    TrajectoryStation,
    Well,
    Wellbore,
)
from witsml.objects.generic import GenericObject
from witsml.validation import ValidationReport, validate
from witsml.xml.reader import parse
from witsml.xml.writer import to_xml

__version__ = "0.1.0"

__all__ = [
    "BulkDataError",
    "Channel",
    "ChannelSet",
    "Citation",
    "DataObjectReference",
    "GenericObject",
    "Log",
    "ParseError",
    "Trajectory",
    "TrajectoryStation",
    "UnitError",
    "ValidationError",
    "ValidationReport",
    "Well",
    "Wellbore",
    "WitsmlError",
    "__version__",
    "parse",
    "to_xml",
    "validate",
]
