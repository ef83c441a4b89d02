"""The classic log view of a ChannelSet's data, with matplotlib (optional, extra ``plot``).

Depth (or time) runs down, tracks stand side by side, each with its curves' names, units and
scales in its header, the index label on the left::

    fig = log.plot(tracks=[["ROP"], ["WOB", "TQ"], ["SPP"]])
    fig.savefig("log.png", dpi=150)

:func:`plot` returns a :class:`matplotlib.figure.Figure` made without pyplot (no global state,
no display needed): save it, or show it in a notebook. Each track's main axes carries the label
``"track"``, further curves of a grouped track share its depth axis on axes labelled
``"curve"``, with their own scale stacked in the header.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from witsml.convert.exporting import select
from witsml.data.table import ChannelTable, Column
from witsml.errors import FormatError
from witsml.objects.log import ChannelSet, Log

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Curve colours in a track, in order (the classic black, red, blue, green, then more).
COLORS = ("#1f1f1f", "#c0392b", "#1f5fbf", "#2e8b57", "#8e44ad", "#d35400")
_HEADER_STEP = 30  # points between stacked scales in a track header
_TRACK_WIDTH, _INDEX_MARGIN, _HEIGHT = 1.7, 1.1, 10.0  # inches


def _matplotlib() -> Any:
    try:
        import matplotlib
        import matplotlib.dates
        import matplotlib.figure
        import matplotlib.ticker
    except ImportError:
        raise ImportError(
            "plots need matplotlib, which is optional: pip install 'witsml-etp[plot]'"
        ) from None
    return matplotlib


def plot(
    source: Log | ChannelSet | ChannelTable,
    *,
    channels: Sequence[str] | None = None,
    tracks: Sequence[Sequence[str]] | None = None,
    channel_set: int = 1,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """A Figure of the log: one track per channel, or the ``tracks`` given (mnemonics grouped,
    each group one track); ``channels`` picks channels for one track each. By default every
    numeric channel gets a track; strings and booleans have no curve to draw and are left out
    (asking for one raises :class:`~witsml.errors.FormatError`, as does an unknown mnemonic).
    ``channel_set`` (1-based) picks the ChannelSet of a Log.
    """
    mpl = _matplotlib()
    if isinstance(source, ChannelTable):
        table, name = source, title
    else:
        export = select(source, channel_set=channel_set)
        table, name = export.table, title or export.title
    groups = _tracks(table, channels, tracks)
    count = len(groups)
    size = figsize or (_INDEX_MARGIN + _TRACK_WIDTH * count, _HEIGHT)
    figure = mpl.figure.Figure(figsize=size, layout=None)
    axes = figure.subplots(1, count, sharey=True, squeeze=False)[0]
    stacked = max(len(group) for group in groups)
    header = (0.5 + (stacked - 1) * _HEADER_STEP / 72 + (0.4 if name else 0.05)) / size[1]
    figure.subplots_adjust(
        left=_INDEX_MARGIN / size[0], right=1 - 0.15 / size[0], top=1 - header, bottom=0.04,
        wspace=0.08,
    )  # fmt: skip
    if name:
        figure.suptitle(name, y=1 - 0.12 / size[1], va="top", fontsize=11, fontweight="bold")
    index = table.index
    depth = _numbers(index) if index.storage != "time" else index.values
    for ax, group in zip(axes, groups, strict=True):
        ax.set_label("track")
        for position, column in enumerate(group):
            curve_ax = ax if position == 0 else ax.twiny()
            if position:
                curve_ax.set_label("curve")
            _draw(mpl, curve_ax, column, depth, COLORS[position % len(COLORS)], position)
        ax.xaxis.tick_top()  # a twin moves its parent's scale to the bottom: put it back
        ax.xaxis.set_label_position("top")
        ax.grid(True, which="major", axis="both", color="0.82", linewidth=0.6)
        ax.grid(True, which="minor", axis="y", color="0.92", linewidth=0.4)
        ax.tick_params(axis="y", which="both", left=True, labelleft=ax is axes[0])
    _index_axis(mpl, axes[0], index, depth)
    return figure  # type: ignore[no-any-return]


def _tracks(
    table: ChannelTable,
    channels: Sequence[str] | None,
    tracks: Sequence[Sequence[str]] | None,
) -> list[list[Column]]:
    if tracks is None:
        if channels is None:
            numeric = [[c] for c in table.channels if c.storage in ("float", "int")]
            if not numeric:
                raise FormatError("no numeric channel to plot")
            return numeric
        tracks = [[mnemonic] for mnemonic in channels]
    groups = []
    for group in tracks:
        if not group:
            raise FormatError("an empty track: name at least one channel in each track")
        columns = []
        for mnemonic in group:
            positions = table.positions(mnemonic)
            if not positions:
                raise FormatError(
                    f"no channel {mnemonic!r} to plot; the channels are "
                    f"{', '.join(table.mnemonics)}"
                )
            for column in (table.channels[p] for p in positions):
                if column.storage not in ("float", "int"):
                    raise FormatError(
                        f"channel {mnemonic!r} holds {column.storage} values: no curve"
                    )
                columns.append(column)
        groups.append(columns)
    return groups


def _numbers(column: Column) -> np.ndarray[Any, Any]:
    values = column.values.astype(np.float64)
    values[column.mask] = np.nan
    return values


def _draw(
    mpl: Any, ax: Axes, column: Column, depth: np.ndarray[Any, Any], color: str, position: int
) -> None:
    ax.plot(_numbers(column), depth, color=color, linewidth=0.8)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    if position:
        ax.spines["top"].set_position(("outward", _HEADER_STEP * position))
    ax.spines["top"].set_color(color)
    ax.set_xlabel(f"{column.mnemonic} ({column.uom})", color=color, fontsize=9, labelpad=2)
    ax.tick_params(axis="x", colors=color, labelsize=7, pad=1, length=2)
    _scale(mpl, ax, _numbers(column)[~column.mask])


def _scale(mpl: Any, ax: Axes, present: np.ndarray[Any, Any]) -> None:
    """The classic track scale: round limits, grid lines between, numbers at the two ends."""
    if not present.size:
        return
    low, high = float(present.min()), float(present.max())
    if low == high:  # a flat curve: centre it
        span = abs(low) * 0.1 or 1.0
        low, high = low - span, high + span
    ticks = mpl.ticker.MaxNLocator(nbins=4).tick_values(low, high)
    ticks = ticks[(ticks >= ticks[ticks <= low].max()) & (ticks <= ticks[ticks >= high].min())]
    ax.set_xlim(ticks[0], ticks[-1])
    ax.set_xticks(ticks)
    formatter = mpl.ticker.ScalarFormatter(useOffset=False)
    formatter.set_axis(ax.xaxis)
    formatter.set_locs(ticks)
    last = len(ticks) - 1
    ax.set_xticklabels([formatter(t) if i in (0, last) else "" for i, t in enumerate(ticks)])
    labels = ax.get_xticklabels()
    labels[0].set_horizontalalignment("left")
    labels[last].set_horizontalalignment("right")


def _index_axis(mpl: Any, ax: Axes, index: Column, depth: np.ndarray[Any, Any]) -> None:
    present = depth[~index.mask]
    if present.size:
        low, high = present.min(), present.max()
        if low == high:
            pad = np.timedelta64(1, "s") if index.storage == "time" else 1.0
            low, high = low - pad, high + pad
        ax.set_ylim(high, low)  # depth (or time) runs down
    if index.storage == "time":
        locator = mpl.dates.AutoDateLocator()
        ax.yaxis.set_major_locator(locator)
        ax.yaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(locator))
        ax.yaxis.get_offset_text().set_visible(False)  # it would sit on the track headers
        day = f", from {str(present.min())[:10]}" if present.size else ""
        ax.set_ylabel(f"{index.mnemonic} (UTC{day})", fontsize=10)
    else:
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=12, steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_minor_locator(mpl.ticker.AutoMinorLocator())
        ax.yaxis.set_major_formatter(mpl.ticker.ScalarFormatter(useOffset=False))
        ax.set_ylabel(f"{index.mnemonic} ({index.uom})", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
