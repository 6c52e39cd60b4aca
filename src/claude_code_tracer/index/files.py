"""The files the index holds, as read: what a sync compares the data directories with
(light: a status line asks it before anything heavier is loaded)."""

from __future__ import annotations

import duckdb

KNOWN_FILES = "SELECT path, file_id, size, mtime_ns FROM files"


def known_files(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    """Every file the index holds: path -> (file id, size, mtime_ns) when it was read."""
    return {
        str(path): (int(fid), int(size), int(mtime))
        for path, fid, size, mtime in cur.execute(KNOWN_FILES).fetchall()
    }
