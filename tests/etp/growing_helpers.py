"""Shared by the growing-object tests: stations, headers and the example trajectory."""

from __future__ import annotations

import uuid

import witsml
from witsml import Trajectory, TrajectoryStation
from witsml.objects import DepthCoord, TrajStationType

from .store_protocols_helpers import TRAJECTORY, WELLBORE, example

__all__ = ["TRAJECTORY", "TRAJECTORY_UUID", "WELLBORE", "header", "mds", "station", "stored"]

TRAJECTORY_UUID = "6f2e1b9a-4c1d-4e0f-9a3b-2d8c5e7f1a03"
"""The uuid of the example Trajectory (URI :data:`TRAJECTORY`)."""


def station(uid: str, md: float, uom: str = "m", datum: str = "RKB") -> TrajectoryStation:
    """A minimal valid station."""
    return TrajectoryStation(
        uid=uid,
        type_traj_station=TrajStationType.MD_INCL_AND_AZI,
        md=DepthCoord(value=md, uom=uom, datum=datum),
    )


def header(uid: str | None = None, title: str = "survey") -> Trajectory:
    """A Trajectory of the example wellbore without stations (a new uuid unless given)."""
    example_trajectory = witsml.parse(example("trajectory.xml"))
    assert isinstance(example_trajectory, Trajectory)
    return example_trajectory.model_copy(
        update={
            "uuid": uid or str(uuid.uuid4()),
            "stations": [],
            "md_mn": None,
            "md_mx": None,
            "citation": example_trajectory.citation.model_copy(update={"title": title}),
        }
    )


def stored(xml: bytes) -> Trajectory:
    """The Trajectory of a stored document, which must be valid."""
    obj, report = witsml.parse(xml, validation="lax")
    assert not report.errors, report.errors
    assert isinstance(obj, Trajectory)
    return obj


def mds(stations: list[TrajectoryStation]) -> list[tuple[str, float]]:
    """(uid, Md value) of each station."""
    return [(s.uid, s.md.value) for s in stations]
