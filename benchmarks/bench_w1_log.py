"""W1: a WITSML 2.0 Log of 200,000 rows x 24 double channels (about 45 MB) to columns.

Floor (issue 2): lxml parsing the file + ``orjson.loads`` of the bulk-data text + numpy arrays
of the index and the channel values. Cases, each over the floor:

* ``parse``: ``witsml.parse(path).channel_sets[0].table()`` (goal: within 1.5x);
* ``validate``: ``witsml.validate(path)``, XSD and semantic and data rules (goal: within 3x).

Every case runs in a fresh Python process, so ``peak_rss_mb`` (VmHWM: the high-water mark of
that process, which unlike ru_maxrss is not inherited over exec) is that case's own;
``work_rss_mb`` is the peak minus the process's size after its imports, and ``rss_x_file`` that
over the file size. Times are the best of a few runs in the process. ``--quick``: 5,000 rows.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from benchmarks.generate import W1_QUICK_ROWS, W1_ROWS, w1_path

GOALS = {"parse": 1.5, "validate": 3.0}
_WITSML = "{http://www.energistics.org/energyml/data/witsmlv2}"


def run(quick: bool) -> Iterable[dict[str, object]]:
    path = w1_path(quick=quick)
    size = path.stat().st_size
    repeat = 5 if quick else 3
    rows = W1_QUICK_ROWS if quick else W1_ROWS
    results = {case: _in_subprocess(case, path, repeat) for case in ("floor", *GOALS)}
    floor = results["floor"].get("seconds")
    for case, result in results.items():
        row: dict[str, object] = {"case": case, "rows": rows, "file_mb": round(size / 1e6, 1)}
        if "error" in result:
            row.update(result, ratio="n/a")
        else:
            work = result["peak_rss_mb"] - result["baseline_rss_mb"]
            row.update(
                seconds=round(result["seconds"], 3),
                peak_rss_mb=round(result["peak_rss_mb"], 1),
                work_rss_mb=round(work, 1),
                rss_x_file=round(work * 1e6 / size, 2),
                **{k: round(v, 3) for k, v in result.items() if k.endswith("_s")},
            )
            if case != "floor" and isinstance(floor, float):
                ratio = result["seconds"] / floor
                row.update(ratio=round(ratio, 2), goal=GOALS[case], met=ratio <= GOALS[case])
        yield row


def _in_subprocess(case: str, path: Path, repeat: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_w1_log", case, str(path), str(repeat)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr.strip() or done.stdout.strip() or "failed").splitlines()
        return {"error": lines[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _floor(path: Path) -> Callable[[], dict[str, float]]:
    import numpy as np
    import orjson
    from lxml import etree

    def floor() -> dict[str, float]:
        tree = etree.parse(str(path), etree.XMLParser(huge_tree=True))
        text = tree.findtext(f"{_WITSML}ChannelSet/{_WITSML}Data/{_WITSML}Data")
        rows = orjson.loads(text or "")
        np.array([row[0] for row in rows], dtype=np.float64)
        np.array([row[1] for row in rows], dtype=np.float64)
        return {}

    return floor


def _parse(path: Path) -> Callable[[], dict[str, float]]:
    import witsml

    def parse() -> dict[str, float]:
        start = time.perf_counter()
        log = witsml.parse(path)
        middle = time.perf_counter()
        log.channel_sets[0].table()  # type: ignore[union-attr]
        return {"xml_s": middle - start, "table_s": time.perf_counter() - middle}

    return parse


def _validate(path: Path) -> Callable[[], dict[str, float]]:
    import witsml

    def validate() -> dict[str, float]:
        report = witsml.validate(path)
        if not report.valid:
            raise SystemExit(f"W1 is not valid: {report.errors[0]}")
        return {}

    return validate


def _measure(case: str, path: Path, repeat: int) -> dict[str, float]:
    """Run ``case`` ``repeat`` times in this process: best time, its breakdown, peak RSS."""
    prepare = {"floor": _floor, "parse": _parse, "validate": _validate}[case]
    statement = prepare(path)
    baseline = _peak_rss_mb()
    best: dict[str, float] = {"seconds": float("inf")}
    for _ in range(repeat):
        start = time.perf_counter()
        parts = statement()
        seconds = time.perf_counter() - start
        if seconds < best["seconds"]:
            best = {"seconds": seconds, **parts}
    return {**best, "baseline_rss_mb": baseline, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's peak resident size in MB (VmHWM; ru_maxrss where /proc is absent)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return kib * 1024 / 1e6


if __name__ == "__main__":
    name, file, times = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(_measure(name, file, times)))
