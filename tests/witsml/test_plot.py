"""Log plots (witsml.plot, ``log.plot()``, ``witsml plot``): the figure's structure, the PNG."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import witsml
from witsml.cli import main
from witsml.convert import Origin
from witsml.convert.importing import Header, assemble
from witsml.data import ChannelTable, Column
from witsml.errors import FormatError
from witsml.plot import plot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

pytest.importorskip("matplotlib")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "log.xml"
LAS = Path(__file__).resolve().parent / "data" / "las" / "classic.las"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def log() -> witsml.Log:
    parsed = witsml.parse(EXAMPLE)
    assert isinstance(parsed, witsml.Log)
    return parsed


def tracks(figure: Figure) -> list[Axes]:
    return [ax for ax in figure.axes if ax.get_label() == "track"]


def test_one_track_per_numeric_channel_depth_down(log: witsml.Log) -> None:
    figure = log.plot()
    axes = tracks(figure)
    channels = log.channel_sets[0].channels
    assert len(axes) == len(channels) == 12
    assert [ax.get_xlabel() for ax in axes] == [f"{c.mnemonic} ({c.uom})" for c in channels]
    top, bottom = axes[0].get_ylim()
    assert top > bottom  # inverted: depth grows downwards
    assert (bottom, top) == (1500.0, 1749.5)
    assert axes[0].get_ylabel() == "DEPTH (m)"
    assert all(ax.xaxis.get_label_position() == "top" for ax in axes)
    assert figure.texts[0].get_text() == "Surface data 12.25in section"  # the title
    assert all(ax.get_shared_y_axes().joined(axes[0], ax) for ax in axes)


def test_grouped_tracks_stack_their_scales(log: witsml.Log) -> None:
    figure = log.plot(tracks=[["ROP"], ["WOB", "HKLD", "TQ"]], title="drilling")
    axes = tracks(figure)
    assert len(axes) == 2
    curves = [ax for ax in figure.axes if ax.get_label() == "curve"]
    assert [ax.get_xlabel() for ax in curves] == ["HKLD (kN)", "TQ (kN.m)"]
    assert axes[1].get_xlabel() == "WOB (kN)"
    assert axes[1].xaxis.get_ticks_position() == "top"  # not moved by its twins
    spines = [ax.spines["top"].get_position() for ax in curves]
    assert spines == [("outward", 30), ("outward", 60)]
    assert len(axes[1].lines) == 1
    assert all(len(ax.lines) == 1 for ax in curves)
    x, y = axes[1].lines[0].get_data()
    assert len(x) == len(y) == 500
    assert figure.texts[0].get_text() == "drilling"


def test_channels_pick_tracks_and_missing_values_leave_gaps(log: witsml.Log) -> None:
    figure = log.channel_sets[0].plot(channels=["GASA", "MWIN"])
    assert [ax.get_xlabel() for ax in tracks(figure)] == ["GASA (%)", "MWIN (g/cm3)"]
    gas = tracks(figure)[0].lines[0].get_xdata()
    assert np.isnan(gas).any()  # the gas trap was out: a gap, not a line to zero


def test_a_time_index_runs_down_with_dates() -> None:
    times = np.datetime64("2024-03-14T06:00", "ns") + np.arange(5) * np.timedelta64(30, "s")
    table = ChannelTable(
        [Column.index("TIME", times, uom="s")],
        [
            Column.channel("SPP", [1.0, 2.0, np.nan, 4.0, 5.0], uom="kPa"),
            Column.channel("PUMPS", np.array([1, 1, 2, 2, 2]), uom="Euc"),
            Column.channel("NOTE", ["a", "b", "c", "d", "e"], uom="Euc"),
        ],
    )
    log = assemble(table, Header(), Origin(), fallback_name="time log").log
    figure = plot(log)
    axes = tracks(figure)
    assert [ax.get_xlabel() for ax in axes] == ["SPP (kPa)", "PUMPS (Euc)"]  # no curve for text
    assert axes[0].get_ylabel() == "TIME (UTC, from 2024-03-14)"
    top, bottom = axes[0].get_ylim()
    assert top > bottom
    assert plot(table).texts == []  # a bare table has no title


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"channels": ["NOPE"]}, "no channel 'NOPE' to plot"),
        ({"tracks": [["ROP"], []]}, "an empty track"),
        ({"channel_set": 2}, "there is no ChannelSet 2"),
    ],
)
def test_bad_requests_are_named(log: witsml.Log, options: dict[str, Any], message: str) -> None:
    with pytest.raises(FormatError, match=message):
        plot(log, **options)


def test_text_channels_have_no_curve() -> None:
    table = ChannelTable(
        [Column.index("DEPTH", [1.0, 2.0], uom="m")],
        [Column.channel("NOTE", ["a", "b"], uom="Euc")],
    )
    with pytest.raises(FormatError, match="no numeric channel"):
        plot(table)
    with pytest.raises(FormatError, match="'NOTE' holds str values"):
        plot(table, channels=["NOTE"])


def test_cli_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "log.png"
    code = main(
        ["plot", str(EXAMPLE), "-o", str(out), "--track", "ROP", "--track", "WOB,TQ",
         "--units", "length=ft", "--dpi", "60"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert out.read_bytes().startswith(PNG)
    las_png = tmp_path / "las.png"
    assert main(["plot", str(LAS), "-o", str(las_png), "--channels", "GR", "DT#2"]) == 0
    assert las_png.read_bytes().startswith(PNG)
    assert "warning" in capsys.readouterr().err  # the LAS units read through aliases
    assert main(["plot", str(EXAMPLE), "-o", str(out), "--channels", "NOPE"]) == 1
    assert main(["plot", str(tmp_path / "absent.xml"), "-o", str(out)]) == 2
    assert main(["plot", str(EXAMPLE), "-o", str(tmp_path / "x.unknown-format")]) == 2


def test_matplotlib_is_optional(log: witsml.Log, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'witsml-etp\[plot\]'"):
        log.plot()
