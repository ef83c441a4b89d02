"""Log data as columns: the declared shape (specs), one typed array per column, the table.

How values are stored depends on the declared type (see :func:`storage_of`); ``Column.mask``
is True where a value is missing, for every column, and the value there is as shown:

============================  =====================  =========================
declared as                   ``Column.values``      at a missing value
============================  =====================  =========================
``double``, ``float``,        float64                NaN
depth/elapsed/... indexes
``long``, ``int``             int64                  0
``boolean``                   bool                   False
``string``                    object (str)           None
``date time`` index           datetime64[ns], UTC    NaT
``bytes``, ``vector``,        object (JSON value)    None
``null``
============================  =====================  =========================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

    from witsml.validation.report import Finding

Storage = Literal["float", "int", "bool", "str", "time", "object"]
"""How a column keeps its values in numpy."""

_CHANNEL_STORAGE: dict[str, Storage] = {
    "double": "float",
    "float": "float",
    "long": "int",
    "int": "int",
    "boolean": "bool",
    "string": "str",
}
_NUMPY_DTYPE: dict[Storage, npt.DTypeLike] = {
    "float": np.float64,
    "int": np.int64,
    "bool": np.bool_,
    "str": object,
    "time": "datetime64[ns]",
    "object": object,
}
_INT32 = (-(2**31), 2**31 - 1)
_MISSING: dict[Storage, Any] = {
    "float": np.nan,
    "time": np.datetime64("NaT"),
    "str": None,
    "object": None,
}


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """One declared index of a ChannelSet (``ChannelSet/Index``): the first columns of a row."""

    mnemonic: str
    uom: str
    index_type: str = "measured depth"
    direction: str = "increasing"

    @property
    def is_time(self) -> bool:
        """True for a ``date time`` index (ISO-8601 strings in the JSON)."""
        return self.index_type == "date time"


@dataclass(frozen=True, slots=True)
class PointMetadataSpec:
    """One attribute carried with every value of a channel (``Channel/PointMetadata``)."""

    name: str
    data_type: str


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """One declared channel of a ChannelSet: its mnemonic, unit, EtpDataType, point metadata.

    A channel with point metadata writes each value as ``[value, meta1, meta2...]``.
    """

    mnemonic: str
    uom: str
    data_type: str = "double"
    point_metadata: tuple[PointMetadataSpec, ...] = ()


Spec = IndexSpec | ChannelSpec | PointMetadataSpec


def storage_of(spec: Spec) -> Storage:
    """How the values of a column declared by ``spec`` are kept (see the module docstring)."""
    if isinstance(spec, IndexSpec):
        return "time" if spec.is_time else "float"
    return _CHANNEL_STORAGE.get(spec.data_type, "object")


@dataclass(frozen=True, eq=False, slots=True)
class Column:
    """One index or channel: its spec and its values, with missing values marked.

    Build columns with :meth:`index` and :meth:`channel`; ``values`` follow the storage table
    of :mod:`witsml.data.table`. ``point_metadata`` holds one column per declared PointMetadata,
    in declaration order.
    """

    spec: Spec
    values: np.ndarray[Any, Any]
    mask: npt.NDArray[np.bool_]
    point_metadata: tuple[Column, ...] = field(default=())

    @classmethod
    def index(
        cls,
        mnemonic: str,
        values: npt.ArrayLike,
        *,
        uom: str,
        index_type: str | None = None,
        direction: str = "increasing",
    ) -> Column:
        """An index column. ``index_type`` defaults to ``date time`` for datetime64 values
        (naive values are taken as UTC) and ``measured depth`` otherwise."""
        array = np.asarray(values)
        if index_type is None:
            index_type = "date time" if array.dtype.kind == "M" else "measured depth"
        return cls.of(IndexSpec(mnemonic, uom, index_type, direction), array)

    @classmethod
    def channel(
        cls,
        mnemonic: str,
        values: npt.ArrayLike,
        *,
        uom: str,
        data_type: str | None = None,
        mask: npt.ArrayLike | None = None,
        point_metadata: Sequence[Column] = (),
    ) -> Column:
        """A channel column. ``data_type`` (EtpDataType) defaults from the array's dtype:
        float → ``double``, integer → ``long``, bool → ``boolean``, anything else ``string``.
        ``mask`` (True = missing) is needed only for ints and booleans; floats use NaN, strings
        None. ``point_metadata`` columns come from :meth:`metadata`."""
        array = np.asarray(values)
        if data_type is None:
            data_type = _data_type_of(array)
        spec = ChannelSpec(
            mnemonic,
            uom,
            data_type,
            tuple(_metadata_spec(column) for column in point_metadata),
        )
        return cls.of(spec, array, mask, point_metadata)

    @classmethod
    def metadata(
        cls,
        name: str,
        values: npt.ArrayLike,
        *,
        data_type: str | None = None,
        mask: npt.ArrayLike | None = None,
    ) -> Column:
        """A point-metadata column, to pass to :meth:`channel`."""
        array = np.asarray(values)
        return cls.of(PointMetadataSpec(name, data_type or _data_type_of(array)), array, mask)

    @classmethod
    def of(
        cls,
        spec: Spec,
        values: npt.ArrayLike,
        mask: npt.ArrayLike | None = None,
        point_metadata: Sequence[Column] = (),
    ) -> Column:
        """A column for ``spec`` from any array-like, converted to the spec's storage."""
        storage = storage_of(spec)
        array = _coerce(np.asarray(values), storage, spec)
        given = None if mask is None else np.asarray(mask, dtype=np.bool_)
        if given is not None and given.shape != array.shape:
            raise ValueError(f"{_label(spec)}: mask shape {given.shape} != values {array.shape}")
        missing = _missing(array, storage)
        if given is not None:
            missing |= given
        # Missing values hold NaN, NaT, 0, False or None whatever the input had there.
        if storage == "int":
            array = np.where(missing, 0, array)
        elif storage == "bool":
            array = array & ~missing
        elif given is not None and given.any():
            array = array.copy()
            array[given] = _MISSING[storage]
        metadata = tuple(point_metadata)
        declared = spec.point_metadata if isinstance(spec, ChannelSpec) else ()
        if tuple(c.spec for c in metadata) != declared:
            raise ValueError(f"{_label(spec)}: point metadata columns do not match the spec")
        for column in metadata:
            if len(column) != len(array):
                raise ValueError(f"{_label(spec)}: point metadata {column.mnemonic!r} length")
        return cls(spec, array, missing, metadata)

    @property
    def mnemonic(self) -> str:
        """The mnemonic (or the point-metadata name)."""
        spec = self.spec
        return spec.name if isinstance(spec, PointMetadataSpec) else spec.mnemonic

    @property
    def uom(self) -> str | None:
        """The unit of measure (None for point metadata, which has no declared unit)."""
        spec = self.spec
        return None if isinstance(spec, PointMetadataSpec) else spec.uom

    @property
    def storage(self) -> Storage:
        """How the values are kept (see :func:`storage_of`)."""
        return storage_of(self.spec)

    def __len__(self) -> int:
        return len(self.values)

    def to_units(self, uom: str) -> Column:
        """This column in ``uom``: a new column (see :mod:`witsml.convert.to_units`)."""
        from witsml.convert.to_units import convert_column

        return convert_column(self, uom)

    def __repr__(self) -> str:
        return (
            f"Column({self.mnemonic!r}, uom={self.uom!r}, {self.storage}, "
            f"{len(self)} rows, {int(self.mask.sum())} missing)"
        )


class ChannelTable:
    """The decoded data of one ChannelSet: index columns, then channel columns.

    ``table["ROP"]`` finds a channel (or an index) by mnemonic; when a mnemonic is declared more
    than once it raises ``KeyError`` naming every position, and ``table.channel(i)`` picks one by
    position. ``findings`` lists what a lax decode tolerated or dropped.
    """

    __slots__ = ("channels", "findings", "indexes")

    def __init__(
        self,
        indexes: Sequence[Column],
        channels: Sequence[Column],
        findings: Iterable[Finding] = (),
    ) -> None:
        self.indexes: tuple[Column, ...] = tuple(indexes)
        self.channels: tuple[Column, ...] = tuple(channels)
        self.findings: tuple[Finding, ...] = tuple(findings)
        if not self.indexes:
            raise ValueError("a ChannelTable needs at least one index column")
        for column in self.indexes:
            if not isinstance(column.spec, IndexSpec):
                raise ValueError(f"{column.mnemonic!r} is not an index column")
        for column in self.channels:
            if not isinstance(column.spec, ChannelSpec):
                raise ValueError(f"{column.mnemonic!r} is not a channel column")
        lengths = {len(column) for column in self.columns}
        if len(lengths) > 1:
            sizes = ", ".join(f"{c.mnemonic}={len(c)}" for c in self.columns)
            raise ValueError(f"columns differ in length: {sizes}")

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column: indexes first, then channels, in declaration order."""
        return self.indexes + self.channels

    @property
    def index(self) -> Column:
        """The primary (first) index."""
        return self.indexes[0]

    @property
    def mnemonics(self) -> list[str]:
        """The channel mnemonics in declaration order (duplicates included)."""
        return [column.mnemonic for column in self.channels]

    @property
    def index_specs(self) -> tuple[IndexSpec, ...]:
        """The declared indexes."""
        return tuple(_index_spec(column) for column in self.indexes)

    @property
    def channel_specs(self) -> tuple[ChannelSpec, ...]:
        """The declared channels."""
        return tuple(_channel_spec(column) for column in self.channels)

    def channel(self, position: int) -> Column:
        """The channel at ``position`` (0-based, declaration order)."""
        return self.channels[position]

    def positions(self, mnemonic: str) -> list[int]:
        """The positions of the channels named ``mnemonic``."""
        return [i for i, column in enumerate(self.channels) if column.mnemonic == mnemonic]

    def __getitem__(self, mnemonic: str) -> Column:
        positions = self.positions(mnemonic)
        if len(positions) == 1:
            return self.channels[positions[0]]
        if len(positions) > 1:
            raise KeyError(
                f"mnemonic {mnemonic!r} is declared by {len(positions)} channels, at positions "
                f"{positions}; pick one with table.channel(position)"
            )
        for column in self.indexes:
            if column.mnemonic == mnemonic:
                return column
        raise KeyError(f"no channel or index {mnemonic!r}; channels are {self.mnemonics}")

    def __contains__(self, mnemonic: object) -> bool:
        return any(column.mnemonic == mnemonic for column in self.columns)

    def __iter__(self) -> Iterator[Column]:
        return iter(self.channels)

    def __len__(self) -> int:
        """The number of rows."""
        return len(self.indexes[0])

    def __repr__(self) -> str:
        names = ", ".join(column.mnemonic for column in self.columns)
        return f"ChannelTable({len(self)} rows: {names})"

    def to_units(self, targets: Mapping[str, str]) -> ChannelTable:
        """A new table with columns in other units, by mnemonic or quantity class:
        ``{"length": "ft", "ROP": "ft/h"}`` (see :mod:`witsml.convert.to_units`)."""
        from witsml.convert.to_units import table_to_units

        return table_to_units(self, targets)

    def to_json(self) -> str:
        """The WITSML 2.0 bulk-data JSON text (``ChannelSet/Data/Data``) of this table."""
        from witsml.data.encode import encode

        return encode(self)

    def to_pandas(self) -> pd.DataFrame:
        """A DataFrame indexed by the primary index (see :func:`witsml.data.frame.to_pandas`)."""
        from witsml.data.frame import to_pandas

        return to_pandas(self)

    @classmethod
    def from_pandas(
        cls,
        frame: pd.DataFrame,
        *,
        units: dict[str, str] | None = None,
        index_type: str | None = None,
    ) -> ChannelTable:
        """A table from a DataFrame (see :func:`witsml.data.frame.from_pandas`)."""
        from witsml.data.frame import from_pandas

        return from_pandas(frame, units=units, index_type=index_type)


def _index_spec(column: Column) -> IndexSpec:
    assert isinstance(column.spec, IndexSpec)
    return column.spec


def _channel_spec(column: Column) -> ChannelSpec:
    assert isinstance(column.spec, ChannelSpec)
    return column.spec


def _metadata_spec(column: Column) -> PointMetadataSpec:
    if not isinstance(column.spec, PointMetadataSpec):
        raise ValueError(f"{column.mnemonic!r} is not a point-metadata column (Column.metadata)")
    return column.spec


def _label(spec: Spec) -> str:
    return spec.name if isinstance(spec, PointMetadataSpec) else spec.mnemonic


def _data_type_of(array: np.ndarray[Any, Any]) -> str:
    kind = array.dtype.kind
    if kind == "f":
        return "double"
    if kind in "iu":
        return "long"
    if kind == "b":
        return "boolean"
    return "string"


def _coerce(array: np.ndarray[Any, Any], storage: Storage, spec: Spec) -> np.ndarray[Any, Any]:
    if array.ndim != 1:
        raise ValueError(f"{_label(spec)}: values must be one-dimensional, got {array.shape}")
    if storage == "time":
        if array.dtype.kind != "M":
            raise ValueError(f"{_label(spec)}: a date time index needs datetime64 values")
        return array.astype("datetime64[ns]", copy=False)
    if storage in ("str", "object"):
        return array.astype(object, copy=False)
    if storage == "int":
        if array.dtype.kind not in "iub":
            raise ValueError(f"{_label(spec)}: {spec_type(spec)} values must be integers")
        if isinstance(spec, ChannelSpec | PointMetadataSpec) and spec.data_type == "int":
            low, high = _INT32
            if array.size and (array.min() < low or array.max() > high):
                raise ValueError(f"{_label(spec)}: values outside the 32-bit range of 'int'")
    if storage == "bool" and array.dtype.kind != "b":
        raise ValueError(f"{_label(spec)}: boolean values must be a bool array")
    return array.astype(_NUMPY_DTYPE[storage], copy=False)


def spec_type(spec: Spec) -> str:
    """The declared type of a column: its EtpDataType, or the index type for an index."""
    return spec.index_type if isinstance(spec, IndexSpec) else spec.data_type


def _missing(array: np.ndarray[Any, Any], storage: Storage) -> npt.NDArray[np.bool_]:
    if storage == "float":
        return np.asarray(np.isnan(array), dtype=np.bool_)
    if storage == "time":
        return np.asarray(np.isnat(array), dtype=np.bool_)
    if storage in ("str", "object"):
        return np.fromiter((value is None for value in array), dtype=np.bool_, count=len(array))
    return np.zeros(len(array), dtype=np.bool_)
