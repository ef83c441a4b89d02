"""The fast decoding path: the regular all-numeric layout, bytes to float64 in bulk.

Most logs are one depth or time index and many ``double`` channels. For those the text is
checked and converted with whole-buffer operations and numpy's C number parser, never building a
Python object per value. Whatever this path cannot prove to be plain, valid JSON of the declared
shape makes it return None; the caller then uses :mod:`witsml.data.rows`, which gives identical
columns (the tests compare both, and both with :func:`json.loads`) and explains any problem.

The proof:

* the skeleton (the text reduced to ``[],"``) is exactly that of ``rows`` rows of the declared
  shape (with ``""`` in each date-time slot);
* the quoted strings fill whole date-time slots; they are cut out (and parsed by
  :mod:`witsml.data.times`, which must accept every one);
* one vectorized sweep over the bytes, in chunks, whitespace dropped: the classes of each byte
  and of the 3 bytes before it index a 64K lookup table saying whether JSON allows the byte
  there (only number, ``null``, bracket and comma bytes; signs, dots and exponents between the
  right characters; no leading zero; ``null`` whole), whether a token starts (the count must be
  ``rows x slots``: no slot is empty) and whether whitespace there would split a token.

Then the brackets are deleted, ``null`` becomes the sentinel ``9e99`` (a byte-for-byte
translation), and numpy parses the numbers: ``loadtxt`` when each row is on its own line (the
usual layout), ``fromstring`` otherwise.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from witsml.data import times
from witsml.data.table import IndexSpec

_CHUNK = 1 << 20
_QUOTED = re.compile(rb'"[^"]*"')
_NOT_SKELETON = bytes(b for b in range(256) if b not in b'[],"')
_SENTINEL = 9e99  # what "null" reads as after n->9, u->e, l->9
_TO_NUMBERS = bytes.maketrans(b"nul\t\r", b"9e9  ")  # and delete the brackets
_NEWLINE_AS_SPACE = bytes.maketrans(b"\n", b" ")

# Byte classes for the sweep (4 bits each).
_INVALID, _SPACE, _DELIM, _DIGIT, _ZERO, _MINUS, _PLUS, _DOT, _EXP, _N, _U, _L = range(12)
_CLASS = np.full(256, _INVALID, dtype=np.uint8)
for _bytes, _class in (
    (b" \t\n\r", _SPACE),
    (b"[],", _DELIM),
    (b"123456789", _DIGIT),
    (b"0", _ZERO),
    (b"-", _MINUS),
    (b"+", _PLUS),
    (b".", _DOT),
    (b"eE", _EXP),
    (b"n", _N),
    (b"u", _U),
    (b"l", _L),
):
    _CLASS[list(_bytes)] = _class


def _digit(c: npt.NDArray[np.int_]) -> npt.NDArray[np.bool_]:
    return np.asarray((c == _DIGIT) | (c == _ZERO), dtype=np.bool_)


_BAD, _START, _ADJACENT = 1, 2, 4


def _flag_table() -> npt.NDArray[np.uint8]:
    """Flags for the code ``c3<<12 | c2<<8 | c1<<4 | c0`` (c0 the byte judged, c1..c3 the bytes
    before it): _BAD (not plain JSON), _START (a token starts), _ADJACENT (c1 and c0 are both
    token bytes: whitespace between them would split a token)."""
    codes = np.arange(1 << 16)
    c0, c1, c2, c3 = codes & 15, (codes >> 4) & 15, (codes >> 8) & 15, codes >> 12
    bad = (c0 == _INVALID) | (c0 == _SPACE) | (c1 == _SPACE)
    bad |= (c0 == _DOT) & ~_digit(c1)  # 1.5: a dot between digits
    bad |= (c1 == _DOT) & ~_digit(c0)
    bad |= (c0 == _PLUS) & (c1 != _EXP)  # +: only in an exponent
    bad |= (c1 == _PLUS) & ~_digit(c0)
    bad |= (c0 == _MINUS) & (c1 != _DELIM) & (c1 != _EXP)  # -: leading or in an exponent
    bad |= (c1 == _MINUS) & ~_digit(c0)
    bad |= (c0 == _EXP) & ~_digit(c1)  # 1e5, 1e-5, 1E+5
    bad |= (c1 == _EXP) & ~_digit(c0) & (c0 != _MINUS) & (c0 != _PLUS)
    number_start = (c2 == _DELIM) | ((c2 == _MINUS) & (c3 == _DELIM))
    bad |= (c1 == _ZERO) & _digit(c0) & number_start  # 01: a leading zero
    bad |= (c0 == _N) & (c1 != _DELIM)  # null, whole
    bad |= (c1 == _N) & (c0 != _U)
    bad |= (c0 == _U) & (c1 != _N)
    bad |= (c1 == _U) & (c0 != _L)
    bad |= (c0 == _L) & ~((c1 == _U) | ((c1 == _L) & (c2 == _U)))
    bad |= (c1 == _L) & (c2 == _U) & (c0 != _L)
    bad |= (c1 == _L) & (c2 == _L) & (c0 != _DELIM)
    token0, token1 = c0 > _DELIM, c1 > _DELIM
    flags = np.where(bad, _BAD, 0) | np.where(token0 & (c1 == _DELIM), _START, 0)
    flags |= np.where(token0 & token1, _ADJACENT, 0)
    return flags.astype(np.uint8)


_FLAGS = _flag_table()
_CLASS_TABLE = bytes(_CLASS.tolist())


def decode(
    text: str, indexes: Sequence[IndexSpec], n_channels: int
) -> list[np.ndarray[Any, Any]] | None:
    """The index then channel arrays (float64, datetime64[ns] for date-time indexes) of an
    all-numeric ``text``, or None when the general path must decide."""
    is_time = [spec.is_time for spec in indexes]
    width = len(indexes) + n_channels
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    if b"\0" in data:
        return None  # (numpy would drop a NUL ending a date-time string)
    rows = _count_rows(data, is_time, n_channels)
    if rows is None:
        return None
    if rows == 0:
        if data.translate(None, b" \t\n\r") != b"[]":
            return None
        return [_empty(time) for time in is_time] + [_empty(False)] * n_channels
    strings: npt.NDArray[np.bytes_] | None = None
    if any(is_time):
        strings = _quoted_strings(data, rows, sum(is_time))
        if strings is None:
            return None
        data = _QUOTED.sub(b"0", data)
    if _sweep(data) != rows * width:
        return None  # not plain JSON, or an empty slot
    nulls = data.count(b"n")
    lines = data.translate(_TO_NUMBERS, b"[]")
    del data  # (peak memory: keep one copy of the text at a time)
    numbers = _parse(lines, rows, width, nulls)
    if numbers is None:
        return None
    columns: list[np.ndarray[Any, Any]] = []
    for position, time in enumerate(is_time):
        if time:
            assert strings is not None
            nanos, status = times.parse_iso(strings[:, sum(is_time[:position])])
            if np.any(status != times.OK):
                return None  # invalid or offset-less times: the general path reports them
            columns.append(nanos.view("datetime64[ns]"))
        elif np.isnan(numbers[:, position]).any():
            return None  # null index values: the general path reports them
        else:
            columns.append(numbers[:, position])
    columns.extend(numbers[:, len(indexes) + j] for j in range(n_channels))
    return columns


def _empty(time: bool) -> np.ndarray[Any, Any]:
    return np.empty(0, dtype="datetime64[ns]" if time else np.float64)


def _count_rows(data: bytes, is_time: Sequence[bool], n_channels: int) -> int | None:
    """The number of rows when the skeleton is exactly that of the declared shape."""
    skeleton = data.translate(None, _NOT_SKELETON)
    if skeleton == b"[]":
        return 0
    index_slots = b",".join(b'""' if time else b"" for time in is_time)
    row = b"[[" + index_slots + b"],[" + b"," * (n_channels - 1) + b"]]"
    rows, remainder = divmod(len(skeleton) - 1, len(row) + 1)
    if remainder or rows == 0:
        return None
    expected = b"[" + (row + b",") * (rows - 1) + row + b"]"
    return rows if skeleton == expected else None


def _quoted_strings(data: bytes, rows: int, per_row: int) -> npt.NDArray[np.bytes_] | None:
    """The quoted strings as a (rows, per_row) array, when each fills a whole date-time slot.

    The skeleton already holds two quotes per date-time slot and none elsewhere; when each
    opening quote follows ``[``/``,`` and each closing one precedes ``]``/``,`` (whitespace
    aside), the strings are whole slots.
    """
    array = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(array == ord('"'))
    opening, closing = quotes[0::2], quotes[1::2]
    before = array[_skip_space(array, opening - 1, -1)]
    after = array[_skip_space(array, closing + 1, 1)]
    if not (np.isin(before, _OPENERS).all() and np.isin(after, _CLOSERS).all()):
        return None
    spans = zip(opening.tolist(), closing.tolist(), strict=True)
    strings = [data[start + 1 : end] for start, end in spans]
    return np.array(strings, dtype=np.bytes_).reshape(rows, per_row)


_OPENERS = np.frombuffer(b"[,", dtype=np.uint8)
_CLOSERS = np.frombuffer(b"],", dtype=np.uint8)
_IS_SPACE = _CLASS == _SPACE


def _skip_space(
    array: npt.NDArray[np.uint8], positions: npt.NDArray[np.intp], step: int
) -> npt.NDArray[np.intp]:
    """Each position moved by ``step`` past whitespace (the skeleton keeps it inside the text)."""
    positions = positions.copy()
    while True:
        spaces = _IS_SPACE[array[positions]]
        if not spaces.any():
            return positions
        positions[spaces] += step


def _sweep(data: bytes) -> int | None:
    """The number of tokens when every byte of ``data`` is plain JSON in its place, else None."""
    context = np.full(3, _DELIM, dtype=np.uint8)
    after_space = False
    tokens = 0
    for start in range(0, len(data), _CHUNK):
        classes = np.frombuffer(data[start : start + _CHUNK].translate(_CLASS_TABLE), np.uint8)
        kept = classes != _SPACE
        gaps = None
        if not kept.all():
            before_space = np.empty(len(classes), dtype=np.bool_)
            before_space[0] = after_space
            np.logical_not(kept[:-1], out=before_space[1:])
            classes, gaps = classes[kept], before_space[kept]
        after_space = not kept[-1]
        if not len(classes):
            continue
        extended = np.concatenate((context, classes))
        pairs = extended[:-1] << 4
        pairs |= extended[1:]
        codes = pairs[:-2].astype(np.uint16) << 8
        codes |= pairs[2:]
        flags = _FLAGS.take(codes)
        if (flags & _BAD).any():
            return None
        if gaps is not None and (gaps & (flags & _ADJACENT).astype(np.bool_)).any():
            return None  # whitespace inside a token
        tokens += int(np.count_nonzero(flags & _START))
        context = extended[-3:]
    return tokens


def _parse(lines: bytes, rows: int, width: int, nulls: int) -> npt.NDArray[np.float64] | None:
    """The (rows, width) numbers of checked data translated by _TO_NUMBERS, nulls as NaN."""
    numbers: npt.NDArray[np.float64] | None = None
    if lines.count(b"\n") >= rows - 1:  # one row per line, as most writers do
        try:
            numbers = np.loadtxt(
                io.BytesIO(lines),
                dtype=np.float64,
                delimiter=",",
                comments=None,
                usecols=range(width),
                ndmin=2,
            )
        except ValueError:
            numbers = None
        if numbers is not None and numbers.shape != (rows, width):
            numbers = None
    if numbers is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # "could not be read to its end"
            try:
                flat = np.fromstring(lines.translate(_NEWLINE_AS_SPACE), np.float64, sep=",")
            except (ValueError, DeprecationWarning):
                return None
        if flat.size != rows * width:
            return None
        numbers = flat.reshape(rows, width)
    missing = numbers == _SENTINEL
    if np.count_nonzero(missing) != nulls:
        return None  # a genuine 9e99 in the data
    if np.isinf(numbers).any():
        return None  # 1e999, or an integer beyond float: the general path decides
    if np.signbit(numbers[numbers == 0]).any():
        return None  # -0 or -0.0: json.loads reads the integer -0 as 0, numpy as -0.0
    numbers[missing] = np.nan
    return numbers
