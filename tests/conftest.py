"""Fixtures shared by every test: where the read-only reference material lives."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
WITSML_REF = SHARED / "reference" / "witsml"
ETP_REF = SHARED / "reference" / "etp"
INTEROP = SHARED / "interop"
OFFICIAL_XSD_20 = (
    WITSML_REF
    / "xsd-2.0"
    / "energyml"
    / "data"
    / "witsml"
    / "v2.0"
    / "xsd_schemas"
    / "WitsmlAllObjects.xsd"
)


def need(path: Path, what: str) -> Path:
    """Skip the calling test, with the reason, when reference material is absent."""
    if not path.exists():
        pytest.skip(f"{what} not found at {path} (../shared is absent on this machine)")
    return path


@pytest.fixture(scope="session")
def witsml_ref() -> Path:
    return need(WITSML_REF, "WITSML reference material")


@pytest.fixture(scope="session")
def samples_20() -> Path:
    return need(WITSML_REF / "samples-2.0", "WITSML 2.0 samples")


@pytest.fixture(scope="session")
def official_xsd_20() -> Path:
    return need(OFFICIAL_XSD_20, "official WITSML 2.0 XSDs")


@pytest.fixture(scope="session")
def etp_avpr() -> Path:
    return need(ETP_REF / "etp.avpr", "official ETP 1.2 Avro protocol")
