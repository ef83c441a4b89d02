"""ETP URI parsing, as a store does once per request key.

Floor: one precompiled regex ``fullmatch`` of the whole canonical URI (the least a validating
parser can do); ``ratio`` is our ``parse_uri`` (checks, decoding, a frozen value) over it.
"""

from __future__ import annotations

import re
import timeit
from collections.abc import Callable, Iterable
from functools import partial

from etp.uri import DataObjectUri, parse_uri

_UUID = "2c0f6ef2-cc54-4104-8523-0f0fbaba3661"
_FLOOR = re.compile(
    r"eml:///(?:dataspace\('((?:[^']|'')*)'\)/)?([a-z]+)([1-9][0-9])\.(\w+)"
    r"\(([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)"
)
_CASES = {
    "object": f"eml:///witsml20.Channel({_UUID})",
    "object_in_dataspace": f"eml:///dataspace('project/rig42')/witsml20.ChannelSet({_UUID})",
    "dataspace": "eml:///dataspace('project/rig42')",
    "hierarchical_3": f"eml:///witsml20.Well({_UUID})/witsml20.Wellbore({_UUID})/witsml20.Log({_UUID})",
    "percent_encoded": f"eml:///dataspace(%27project%2Frig42%27)/witsml20.Log({_UUID})",
}


def _per_op(statement: Callable[[], object], number: int) -> float:
    """Best of 5 runs, in microseconds per call."""
    timer = timeit.Timer(statement)
    return min(timer.repeat(repeat=5, number=number)) / number * 1e6


def run(quick: bool) -> Iterable[dict[str, object]]:
    number = 2_000 if quick else 50_000
    floor_text = _CASES["object_in_dataspace"]
    floor_us = _per_op(lambda: _FLOOR.fullmatch(floor_text), number)
    for case, text in _CASES.items():
        us = _per_op(partial(parse_uri, text), number)
        yield {"case": f"parse_{case}", "us_per_op": round(us, 3), "ratio": round(us / floor_us, 1)}
    build_us = _per_op(
        lambda: str(DataObjectUri.build("witsml20.ChannelSet", _UUID, dataspace="project/rig42")),
        number,
    )
    yield {
        "case": "build_and_format",
        "us_per_op": round(build_us, 3),
        "ratio": round(build_us / floor_us, 1),
    }
    yield {"case": "floor_regex_fullmatch", "us_per_op": round(floor_us, 3), "ratio": 1.0}
