"""Benchmarks: ``python -m benchmarks [NAME...] [--quick]`` prints one JSON object per line.

Each ``benchmarks/bench_<name>.py`` module defines ``run(quick: bool) -> Iterable[dict]``; every
dict it yields is printed as one JSON line with ``"bench": <name>`` added. Benchmarks measure the
floor named in their issue in the same run and report the ratio, so numbers from different
machines stay comparable. They are never part of the test run.
"""
