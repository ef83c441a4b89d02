"""witsml.parse and witsml.to_xml on the W1 log (200,000 rows x 24 channels, about 45 MB).

Floor: raw lxml (the same safe parser settings) parsing the file and taking the bulk-data text,
the least any reader has to do; ``ratio`` is ours over it. ``peak_mb`` is the Python-heap peak
during the call (tracemalloc; libxml2's own tree is outside it), about the size of the bulk text.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterable

from lxml import etree

import witsml
from benchmarks.generate import w1_path
from witsml.xml.safe import safe_parser


def _best(statement: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        statement()
        best = min(best, time.perf_counter() - start)
    return best


def _peak_mb(statement: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        statement()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _floor(path: str) -> str | None:
    tree = etree.parse(path, safe_parser())
    return tree.getroot().findtext(".//{*}ChannelSet/{*}Data/{*}Data")


def run(quick: bool) -> Iterable[dict[str, object]]:
    path = str(w1_path(quick=quick))
    data = open(path, "rb").read()  # noqa: SIM115 - read once, outside the timings
    repeat = 3 if quick else 5
    floor = _best(lambda: _floor(path), repeat)
    yield {"case": "lxml_floor", "mb": round(len(data) / 1e6, 1), "s": round(floor, 4)}
    cases: dict[str, Callable[[], object]] = {
        "parse_path": lambda: witsml.parse(path),
        "parse_bytes": lambda: witsml.parse(data),
    }
    for case, statement in cases.items():
        seconds = _best(statement, repeat)
        yield {
            "case": case,
            "s": round(seconds, 4),
            "ratio": round(seconds / floor, 2),
            "peak_mb": round(_peak_mb(statement), 1),
        }
    log = witsml.parse(path)
    seconds = _best(lambda: witsml.to_xml(log), repeat)
    yield {"case": "to_xml", "s": round(seconds, 4), "ratio": round(seconds / floor, 2)}
