"""Finding and compiling XML schemas: the package's own set, or a full official set from a folder.

The package's own schemas (``schemas/witsml20/`` in a checkout, ``witsml/_schemas/witsml20/`` in a
wheel) cover Well, Wellbore, Log, ChannelSet, Channel, Trajectory and part_TrajectoryStation. A
user-supplied schema folder or file (for example the official ``WitsmlAllObjects.xsd``) covers
whatever it declares. Compiled schemas are cached per location; lxml compiles our set in a few
milliseconds and the official set in a few tens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import cast

from lxml import etree

from witsml.errors import WitsmlError

_ENTRY_NAMES = ("WitsmlAllObjects.xsd",)
_PACKAGE_DIR = Path(__file__).resolve().parents[1]


class SchemaNotFoundError(WitsmlError):
    """The schema folder or file given for validation does not exist or holds no usable schema."""


@dataclass(eq=False)
class SchemaSet:
    """One compiled schema, the global elements it declares, and where it came from."""

    schema: etree.XMLSchema
    location: Path
    builtin: bool
    roots: frozenset[str]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def covers(self, root_tag: str) -> bool:
        """True when ``root_tag`` (Clark notation, ``{ns}Name``) is a global element here."""
        return root_tag in self.roots

    def validate(self, tree: etree._ElementTree) -> list[etree._LogEntry]:
        """Validate and return the error entries (empty when valid)."""
        with self._lock:  # an XMLSchema's error log is shared state
            if self.schema.validate(tree):
                return []
            return list(cast(Iterable[etree._LogEntry], self.schema.error_log))


def builtin_schema_dir() -> Path:
    """The folder of the package's own schemas, in a checkout or in an installed wheel."""
    for candidate in (_PACKAGE_DIR / "_schemas", _PACKAGE_DIR.parent / "schemas"):
        if (candidate / "witsml20" / "witsml.xsd").is_file():
            return candidate
    raise SchemaNotFoundError(
        f"the package's own schemas are missing (looked in {_PACKAGE_DIR / '_schemas'} and "
        f"{_PACKAGE_DIR.parent / 'schemas'}): reinstall witsml-etp"
    )


def builtin_schemas() -> SchemaSet:
    """The package's own WITSML 2.0 schemas, compiled once."""
    return _compile(builtin_schema_dir() / "witsml20" / "witsml.xsd", builtin=True)


def schemas_from(location: str | PathLike[str]) -> SchemaSet:
    """Compile (once) the schema at ``location``: an ``.xsd`` file, or a folder holding one.

    In a folder, ``WitsmlAllObjects.xsd`` is looked for at any depth (the official distribution
    nests it under ``energyml/data/witsml/v2.0/xsd_schemas/``).
    """
    path = Path(location).expanduser().resolve()
    if path.is_dir():
        path = _entry_point(path)
    elif not path.is_file():
        raise SchemaNotFoundError(f"schema location {location} does not exist")
    return _compile(path, builtin=False)


def _entry_point(folder: Path) -> Path:
    for name in _ENTRY_NAMES:
        found = sorted(folder.rglob(name), key=lambda p: len(p.parts))
        if found:
            return found[0]
    raise SchemaNotFoundError(
        f"no {' or '.join(_ENTRY_NAMES)} under {folder}: pass the .xsd file to validate against"
    )


@lru_cache(maxsize=8)
def _compile(path: Path, *, builtin: bool) -> SchemaSet:
    try:
        document = etree.parse(str(path))
        schema = etree.XMLSchema(document)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as error:
        raise SchemaNotFoundError(f"cannot compile the schema {path}: {error}") from error
    return SchemaSet(schema, path, builtin, _global_elements(document))


def _global_elements(document: etree._ElementTree) -> frozenset[str]:
    """Clark names of the global elements declared by a schema and everything it includes."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    names: set[str] = set()
    seen: set[Path] = set()
    pending = [document]
    while pending:
        root = pending.pop().getroot()
        here = Path(root.getroottree().docinfo.URL or ".").resolve()
        namespace = root.get("targetNamespace", "")
        names.update(f"{{{namespace}}}{el.get('name')}" for el in root.iterchildren(f"{xs}element"))
        for ref in root.iterchildren(f"{xs}include", f"{xs}import"):
            target = (here.parent / ref.get("schemaLocation", "")).resolve()
            if target not in seen and target.is_file():
                seen.add(target)
                pending.append(etree.parse(str(target)))
    return frozenset(names)
