"""Versioned schema migrations, one numbered SQL file per step and backend.

``sqlite/0001_initial.sql``, ``postgres/0001_initial.sql``, ...: a backend applies, in one
transaction under a lock, every file numbered above the version in its ``schema_version``
table, recording each. A database newer than the newest file here is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from etp.errors import StoreError

__all__ = ["Migration", "pending"]

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration step: its version number, file name and SQL text."""

    version: int
    name: str
    sql: str


def _all(backend: str) -> list[Migration]:
    folder = resources.files(__package__).joinpath(backend)
    steps = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match:
            steps.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    steps.sort(key=lambda m: m.version)
    if [m.version for m in steps] != list(range(1, len(steps) + 1)):
        raise StoreError(f"{backend} migrations are not numbered 1..n: {[m.name for m in steps]}")
    return steps


def pending(backend: str, current: int, *, where: str) -> list[Migration]:
    """The migrations to apply to a ``backend`` database at schema version ``current``.

    Raises :class:`StoreError` when the database (named by ``where``) is newer than this code.
    """
    steps = _all(backend)
    latest = steps[-1].version if steps else 0
    if current > latest:
        raise StoreError(
            f"{where}: store schema version {current} is newer than this code supports "
            f"({latest}); upgrade witsml-etp (or open a copy made for this version)"
        )
    return steps[current:]
