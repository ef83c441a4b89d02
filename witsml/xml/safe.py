"""Reading XML safely: size limit, encoding check, no DTDs or entities, clear errors.

Every document goes through :func:`read_document`. Before libxml2 sees a byte, the prolog is
scanned: a ``<!DOCTYPE`` (the only place entities can be declared) is refused with
:class:`~witsml.errors.UnsafeXmlError`, so neither entity expansion ("billion laughs") nor
external entities (XXE) can happen, even though the parser runs with ``huge_tree`` (needed for
bulk-data text nodes over 10 MB). The parser itself also never resolves entities, loads a DTD or
touches the network, and the parsed tree is checked again for a DTD.

The declared encoding must agree with the bytes: a document declaring ``utf-16`` whose bytes are
ASCII (some converter output does this) is refused with :class:`~witsml.errors.EncodingError`,
or, when ``recover`` is set (``validation="lax"``), read with the encoding the bytes show and
reported.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Final, cast

from lxml import etree

from witsml.errors import (
    DocumentTooLargeError,
    EncodingError,
    MalformedXmlError,
    ParseError,
    UnsafeXmlError,
)

DEFAULT_MAX_SIZE: Final = 1 << 30
"""Default size limit of a document: 1 GiB."""

Source = str | bytes | bytearray | memoryview | os.PathLike[str] | IO[bytes] | IO[str]
"""What :func:`witsml.parse` reads: a path, the document as bytes or text, or a file object."""

_HEAD = 1 << 16
_CHUNK = 1 << 20
_XML_TEXT = re.compile(r"[\ufeff\s]*<")
_DECLARATION = re.compile(r"""<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_UTF8_NAMES = ("utf-8", "utf8")
_WIDE_NAMES = ("utf-16", "utf16", "ucs-2", "ucs2", "iso-10646-ucs-2", "utf-32", "ucs-4")


@dataclass(frozen=True, slots=True)
class Recovery:
    """A problem that ``recover`` read past (reported as a finding by a lax parse)."""

    message: str
    line: int | None
    rule: str


@dataclass(slots=True)
class Document:
    """A parsed document, its name for messages, and what was recovered on the way."""

    tree: etree._ElementTree
    source: str
    recovered: list[Recovery] = field(default_factory=list)


def safe_parser(encoding: str | None = None) -> etree.XMLParser:
    """A parser that never resolves entities, loads DTDs or uses the network.

    ``huge_tree`` lifts libxml2's 10 MB text-node limit for bulk data; it is safe because a
    document with a DOCTYPE never reaches the parser. Comments and processing instructions are
    not kept.
    """
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def read_document(
    source: Source, *, max_size: int = DEFAULT_MAX_SIZE, recover: bool = False
) -> Document:
    """Parse ``source`` (path, bytes, text or file object) into a tree, safely.

    Raises :class:`~witsml.errors.ParseError` subclasses naming the source and line.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return _parse_bytes(data, "<bytes>", max_size=max_size, recover=recover)
    if isinstance(source, str) and _XML_TEXT.match(source):
        return _parse_text(source, "<string>", max_size=max_size)
    if isinstance(source, str | os.PathLike):
        return _parse_path(os.fspath(source), max_size=max_size, recover=recover)
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        name = name if isinstance(name, str) else "<file>"
        content = _read_limited(source, max_size, name)
        if isinstance(content, str):
            return _parse_text(content, name, max_size=max_size)
        if not isinstance(content, bytes):
            raise TypeError(f"the file object returned {type(content).__name__}, not bytes/str")
        return _parse_bytes(content, name, max_size=max_size, recover=recover)
    raise TypeError(
        f"cannot read a document from {type(source).__name__}: "
        "pass a path, bytes, a str holding XML or a file object"
    )


def _read_limited(file: IO[bytes] | IO[str], max_size: int, name: str) -> bytes | str:
    """Everything ``file`` holds, refusing more than ``max_size`` (read in chunks: a single
    ``read(max_size)`` would allocate the whole limit up front)."""
    chunks: list[bytes | str] = []
    total = 0
    while chunk := file.read(_CHUNK):
        total += len(chunk)
        if total > max_size:
            raise _too_large(None, max_size, name)
        chunks.append(chunk)
    if not chunks:
        return b""
    if isinstance(chunks[0], str):
        return "".join(cast(list[str], chunks))
    return b"".join(cast(list[bytes], chunks))


def _too_large(size: int | None, max_size: int, name: str) -> DocumentTooLargeError:
    size_text = f"{size} bytes" if size is not None else "more than that"
    return DocumentTooLargeError(
        f"the document is larger than the limit of {max_size} bytes ({size_text}); "
        "pass max_size= to raise the limit",
        source=name,
    )


def _parse_text(text: str, name: str, *, max_size: int) -> Document:
    # Already decoded: any encoding declaration is moot, so the bytes are handed over as UTF-8.
    if len(text) > max_size:
        raise _too_large(len(text), max_size, name)
    data = text.encode("utf-8")
    if len(data) > max_size:
        raise _too_large(len(data), max_size, name)
    _check_prolog(lambda size: data[:size], len(data), "utf-8", name)
    return _finish(data, name, encoding="utf-8", recovered=[])


def _parse_bytes(data: bytes, name: str, *, max_size: int, recover: bool) -> Document:
    if len(data) > max_size:
        raise _too_large(len(data), max_size, name)
    recovered: list[Recovery] = []
    actual = _sniff(data[:4])
    encoding = _check_encoding(data[:_HEAD], actual, name, recover, recovered)
    _check_prolog(lambda size: data[:size], len(data), actual, name)
    return _finish(data, name, encoding=encoding, recovered=recovered)


def _parse_path(path: str, *, max_size: int, recover: bool) -> Document:
    try:
        size = os.stat(path).st_size
        if size > max_size:
            raise _too_large(size, max_size, path)
        with open(path, "rb") as file:
            head = file.read(_HEAD)
            recovered: list[Recovery] = []
            actual = _sniff(head[:4])
            encoding = _check_encoding(head, actual, path, recover, recovered)

            def prefix(n: int) -> bytes:
                file.seek(0)
                return file.read(n)

            _check_prolog(prefix, size, actual, path)
            if size <= _HEAD:
                return _finish(head, path, encoding=encoding, recovered=recovered)
            file.seek(0)
            # libxml2 reads the file itself: no Python copy of a large document
            return _finish(file, path, encoding=encoding, recovered=recovered)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ParseError(f"cannot read the file: {reason}", source=path) from error


def _sniff(start: bytes) -> str:
    """The Python codec the first bytes show: a BOM, or the UTF-16 pattern of ``<?``; else
    ``"ascii"`` for any ASCII-compatible encoding (UTF-8, Latin-1...)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if start.startswith(bom):
            return codec
    if start.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if start.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    return "ascii"


def _check_encoding(
    head: bytes, actual: str, name: str, recover: bool, recovered: list[Recovery]
) -> str | None:
    """The encoding to force on the parser (None: trust the document), after checking that the
    declaration agrees with the bytes (``actual``, from :func:`_sniff`)."""
    text = head[:512].decode(_scan_codec(actual), errors="replace").lstrip("\ufeff")
    match = _DECLARATION.match(text)
    if match is None:
        return None  # libxml2 reads the BOM or the byte pattern itself
    declared = match[1]
    declared_wide = declared.lower().startswith(_WIDE_NAMES)
    actual_wide = actual.startswith(("utf-16", "utf-32"))
    bom_disagrees = actual == "utf-8-sig" and declared.lower() not in _UTF8_NAMES
    if declared_wide == actual_wide and not bom_disagrees:
        return None
    shown = actual.upper() if actual_wide else ("UTF-8" if actual == "utf-8-sig" else "ASCII/UTF-8")
    reason = f'the document declares encoding="{declared}" but its bytes are {shown}'
    if not recover:
        raise EncodingError(reason, source=name, line=1)
    forced = actual.removesuffix("-sig") if actual != "ascii" else "utf-8"
    recovered.append(Recovery(f"{reason}; read as {forced.upper()}", line=1, rule="encoding"))
    return forced


def _check_prolog(prefix: Callable[[int], bytes], size: int, actual: str, name: str) -> None:
    """Refuse a DOCTYPE before the root element (reading more of a long prolog as needed);
    ``actual`` is the codec the bytes show (:func:`_sniff`)."""
    amount = _HEAD
    while True:
        head = prefix(amount)
        text = head.decode(_scan_codec(actual), errors="replace").lstrip("\ufeff")
        position = 0
        while match := _PROLOG_ITEM.match(text, position):
            position = match.end()
        rest = text[position:]
        if rest.startswith("<!"):
            line = text.count("\n", 0, position) + 1
            what = "a DOCTYPE" if rest.startswith("<!DOCTYPE") else "a markup declaration"
            raise UnsafeXmlError(
                f"the document contains {what} before its root element; DTDs and entity "
                "declarations are never processed (they allow entity expansion and XXE attacks)",
                source=name,
                line=line,
            )
        unfinished = rest.startswith(("<?", "<!--")) or rest == "" or rest == "<"
        if not unfinished or len(head) >= size:
            return
        amount *= 4


def _scan_codec(actual: str) -> str:
    # only ASCII markup is looked for, so any ASCII-compatible encoding scans as UTF-8
    return "utf-8" if actual == "ascii" else actual


def _finish(
    data: bytes | io.BufferedReader, name: str, *, encoding: str | None, recovered: list[Recovery]
) -> Document:
    parser = safe_parser(encoding)
    try:
        if isinstance(data, bytes):
            root = etree.fromstring(data, parser)
            tree = root.getroottree()
        else:
            tree = etree.parse(data, parser)
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error, name) from None
    except LookupError as error:  # an encoding Python/libxml2 does not know
        raise EncodingError(f"unknown encoding: {error}", source=name, line=1) from None
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise UnsafeXmlError(
            "the document declares a DOCTYPE; DTDs are never processed", source=name
        )
    return Document(tree=tree, source=name, recovered=recovered)


def _syntax_error(error: etree.XMLSyntaxError, name: str) -> ParseError:
    line = error.lineno if isinstance(error.lineno, int) and error.lineno > 0 else None
    message = (error.msg or "not well-formed").strip()
    lowered = message.lower()
    if "encoding" in lowered or "utf-8" in lowered or "utf-16" in lowered or "bytes:" in lowered:
        return EncodingError(
            f"the bytes do not match the encoding: {message}", source=name, line=line
        )
    if "document is empty" in lowered or "start tag expected" in lowered:
        return MalformedXmlError(f"not an XML document: {message}", source=name, line=line)
    return MalformedXmlError(f"not well-formed XML: {message}", source=name, line=line)
