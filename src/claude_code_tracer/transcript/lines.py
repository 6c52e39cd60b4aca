"""Reading a transcript's lines: opening it safely, splitting it into lines with bounded
memory, repairing the one defect a line may carry, and reading lines back at the offsets the
index recorded.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

MAX_LINE_BYTES = 32 * 1024 * 1024  # longer lines are skipped and counted ("too_long")
READ_BLOCK = 4 << 20  # the most one read of a line takes; longer lines come in pieces
FILE_BUFFER = 1 << 20
NEWLINE = ord("\n")
LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def open_regular(path: str, buffering: int = -1) -> BinaryIO:
    """Open a file to read, if it is a regular file: a FIFO or a device put where a
    transcript was would block its reader or never end."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", path)
    return Path(path).open("rb", buffering=buffering)


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None, bool]]:
    """Yield (offset, line, complete) per line; line is None for one over MAX_LINE_BYTES.

    Lines come from the stream's own (C) line reader, at most READ_BLOCK bytes per call; a
    longer line is gathered piece by piece and, once over the limit, skipped without ever
    being held whole, so memory stays bounded whatever the file holds.
    """
    offset = 0  # file offset of the next line
    readline = stream.readline
    while True:
        line = readline(READ_BLOCK)
        if not line:
            return
        size = len(line)
        if line[-1] == NEWLINE or size < READ_BLOCK:  # the usual case: the whole line
            yield offset, line, line[-1] == NEWLINE
            offset += size
            continue
        pieces: list[bytes] | None = [line]  # None once the line is over the limit
        while line[-1] != NEWLINE:
            line = readline(READ_BLOCK)
            if not line:
                break
            size += len(line)
            if pieces is not None:
                pieces.append(line)
                if size > MAX_LINE_BYTES:
                    pieces = None
        complete = line[-1:] == b"\n"
        yield offset, (None if pieces is None else b"".join(pieces)), complete or pieces is None
        offset += size


def repair(raw: bytes, exc: Exception) -> Any:
    """A line orjson refuses only for a lone UTF-16 surrogate escape (an emoji cut in half by
    a tool) is otherwise fine: read it with U+FFFD in place of the broken character."""
    if "surrogate" not in str(exc):
        return None
    try:
        return orjson.loads(LONE_SURROGATE.sub(rb"\\ufffd", raw))
    except orjson.JSONDecodeError:
        return None


def read_lines(
    path: str, offsets: Sequence[int], lengths: Sequence[int], uuids: Sequence[str]
) -> list[dict[str, Any]] | None:
    """The transcript lines of one message, or None if the file changed under the index."""
    try:
        with open_regular(path) as stream:
            return read_from(stream, offsets, lengths, uuids)
    except OSError:
        return None


def read_from(
    stream: BinaryIO, offsets: Sequence[int], lengths: Sequence[int], uuids: Sequence[str]
) -> list[dict[str, Any]] | None:
    """`read_lines` from an open transcript."""
    out: list[dict[str, Any]] = []
    try:
        for offset, length in zip(offsets, lengths, strict=False):
            stream.seek(offset)
            obj = orjson.loads(stream.read(length))
            if not isinstance(obj, dict):
                return None
            out.append(obj)
    except (OSError, orjson.JSONDecodeError, ValueError):
        return None
    if out and uuids and isinstance(out[0].get("uuid"), str) and out[0]["uuid"] != uuids[0]:
        return None
    return out
