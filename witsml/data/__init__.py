"""Log bulk data as columns: the JSON rows of ``ChannelSet/Data/Data`` <-> typed numpy arrays.

In WITSML 2.0 a ChannelSet keeps the data of all its channels as one JSON text, an array of
rows ``[[index values...], [channel values...]]``: one value per declared ``Index`` then one per
declared ``Channel``, in declaration order, ``null`` for no value, ``[value, meta...]`` for a
channel with ``PointMetadata``, ISO-8601 strings for a ``date time`` index::

    [[[1500.0],[12.5,null,101.3]],
     [[1500.5],[13.1,98.0,101.9]]]

:func:`decode` turns that text into a :class:`ChannelTable` (one :class:`Column` per index and
channel, typed by its declaration), :func:`encode` (``table.to_json()``) writes it back, and
``table.to_pandas()`` / ``ChannelTable.from_pandas()`` convert to and from a DataFrame.
:func:`check` decodes leniently and returns findings instead of raising, for validation.

On the models: ``channel_set.table()`` decodes from the declared indexes and channels,
``channel_set.set_table(table)`` writes new data for the same declarations, and
``ChannelSet.from_table(table, ...)`` declares a new ChannelSet for a table (from arrays or a
DataFrame), ready for ``witsml.to_xml``.

Regular all-numeric data (the common case) goes through a vectorized path that never builds a
Python object per value; anything else through :func:`json.loads`. Both give the same columns.
"""

from witsml.data.decode import check, decode
from witsml.data.encode import encode
from witsml.data.table import (
    ChannelSpec,
    ChannelTable,
    Column,
    IndexSpec,
    PointMetadataSpec,
    storage_of,
)

__all__ = [
    "ChannelSpec",
    "ChannelTable",
    "Column",
    "IndexSpec",
    "PointMetadataSpec",
    "check",
    "decode",
    "encode",
    "storage_of",
]
