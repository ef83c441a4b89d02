"""The ``witsml`` command, end to end: the console script run as a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.witsml.test_validation import well_xml, wellbore_xml
from tests.witsml.test_validation_logs import log_xml


def witsml(*args: str | Path) -> subprocess.CompletedProcess[str]:
    script = shutil.which("witsml", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "witsml.cli"]
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    documents = {
        "well.xml": well_xml(datums=("KB", "GL")),
        "wellbore.xml": wellbore_xml(md_datum="RT"),
        "log.xml": log_xml(rows=7, channels=2),
        "bad-log.xml": log_xml().replace(b"<Uom>m/h</Uom>", b"<Uom>bogus</Uom>", 1),
        "broken.xml": b"<Well><oops></Well>",
    }
    paths = {}
    for name, data in documents.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


def test_validate_valid_documents_exits_0(files: dict[str, Path]) -> None:
    result = witsml("validate", files["well.xml"], files["log.xml"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2 documents: all valid (0 errors, 0 warnings)"


def test_validate_human_output_one_line_per_finding(files: dict[str, Path]) -> None:
    result = witsml("validate", files["bad-log.xml"], files["log.xml"])
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    path, line, severity, element, message = lines[0].split(":", 4)
    assert path == str(files["bad-log.xml"])
    assert int(line) > 1
    assert severity.strip() == "error"
    assert element.strip() == "/Log/ChannelSet/Channel[1]/Uom"
    assert "bogus" in message
    assert lines[-1] == "2 documents: 1 invalid (1 errors, 0 warnings)"


def test_validate_json_one_object_per_file(files: dict[str, Path]) -> None:
    result = witsml("validate", "--json", files["bad-log.xml"], files["broken.xml"])
    assert result.returncode == 1
    objects = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [o["path"] for o in objects] == [str(files["bad-log.xml"]), str(files["broken.xml"])]
    first, second = objects
    assert set(first) == {"path", "valid", "object", "schemaVersion", "errors"}
    assert first["object"] == "Log"
    assert first["schemaVersion"] == "2.0"
    assert first["valid"] is False
    assert set(first["errors"][0]) == {"severity", "line", "path", "message"}
    assert second["valid"] is False
    assert second["errors"][0]["severity"] == "error"


def test_validate_checks_datums_across_the_files_given(files: dict[str, Path]) -> None:
    alone = witsml("validate", "--lax", files["wellbore.xml"])
    assert "is not the uid of a WellDatum" not in alone.stdout
    together = witsml("validate", "--lax", files["well.xml"], files["wellbore.xml"])
    assert "datum 'RT' is not the uid of a WellDatum" in together.stdout
    assert together.returncode == 0  # a warning


def test_strict_stops_at_the_first_failing_layer_and_lax_goes_on(files: dict[str, Path]) -> None:
    data = (
        log_xml()
        .replace(b"<Uom>m/h</Uom>", b"<Uom>bogus</Uom>")
        .replace(b"<Uom>m</Uom>", b"<Uom>s</Uom>")
    )
    files["bad-log.xml"].write_bytes(data)
    strict = witsml("validate", "--json", files["bad-log.xml"])
    lax = witsml("validate", "--json", "--lax", files["bad-log.xml"])
    strict_layers = {e["message"] for e in json.loads(strict.stdout)["errors"]}
    lax_errors = json.loads(lax.stdout)["errors"]
    assert not any("time unit" in m or "length unit" in m for m in strict_layers)
    assert any("length unit" in e["message"] for e in lax_errors)


def test_validate_usage_and_io_errors_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    missing = witsml("validate", tmp_path / "missing.xml")
    assert missing.returncode == 2
    assert "missing.xml" in missing.stderr
    assert witsml("validate").returncode == 2
    assert witsml("frobnicate").returncode == 2
    no_schemas = witsml("validate", "--schemas", tmp_path / "none", files["well.xml"])
    assert no_schemas.returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    no_entry = witsml("validate", "--schemas", empty, files["well.xml"])
    assert no_entry.returncode == 2
    assert "WitsmlAllObjects.xsd" in no_entry.stderr


def test_validate_with_the_official_schemas(official_xsd_20: Path, samples_20: Path) -> None:
    rig = samples_20 / "witsml-converter__Witsml20Source_Rig.xml"
    builtin = witsml("validate", rig)
    assert builtin.returncode == 0
    assert "not checked against a schema" in builtin.stdout
    official = witsml("validate", "--schemas", official_xsd_20.parent, rig)
    assert official.returncode == 0
    assert "not checked" not in official.stdout


def test_info_describes_a_log(files: dict[str, Path]) -> None:
    result = witsml("info", "--json", files["log.xml"])
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["object"] == "Log"
    assert info["title"] == "Generated log"
    [channel_set] = info["channelSets"]
    assert channel_set["rows"] == 7
    [index] = channel_set["indexes"]
    assert index["mnemonic"] == "MD"
    assert index["type"] == "measured depth"
    assert index["uom"] == "m"
    assert index["direction"] == "increasing"
    assert float(index["start"]) == 1000.0
    assert float(index["end"]) == 1003.0
    assert [(c["mnemonic"], c["uom"]) for c in channel_set["channels"]] == [
        ("C0", "m/h"),
        ("C1", "m/h"),
    ]
    human = witsml("info", files["log.xml"])
    assert "index MD (measured depth, m, increasing)" in human.stdout
    assert "C0 [m/h], C1 [m/h]" in human.stdout


def test_info_on_a_well_and_on_bad_input(files: dict[str, Path]) -> None:
    info = json.loads(witsml("info", "--json", files["well.xml"]).stdout)
    assert info["object"] == "Well"
    assert info["title"] == "W-1"
    assert "channelSets" not in info
    assert witsml("info", files["broken.xml"]).returncode == 2


def test_info_takes_the_index_extent_from_the_data(tmp_path: Path) -> None:
    path = tmp_path / "time-log.xml"
    path.write_bytes(log_xml(rows=4, index_type="date time", direction="decreasing"))
    [channel_set] = json.loads(witsml("info", "--json", path).stdout)["channelSets"]
    [index] = channel_set["indexes"]
    assert (index["start"], index["end"]) == ("2024-03-01T06:00:03Z", "2024-03-01T06:00:00Z")
    assert channel_set["rows"] == 4
