"""The parsing worker processes: how they start, what they run, and the whole hand-over of
their tables to the main process.

A first index (no index file yet) parses everything in worker processes. Each needs a moment to
start and import the parser; started here, first thing, they do so on the core that the main
process leaves idle while it loads the database and the web stack. This module imports nothing
heavy at import time (the parser and Arrow load inside the functions that need them), so that
the workers start before anything else is loaded.

Workers hand their tables over as Arrow files in a private directory in shared memory, which
the main process maps instead of reading a pickled copy through the pool's pipe; where there is
no room for them, the tables travel pickled.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from claude_code_tracer.ingest.batches import ChunkResult, Source
    from claude_code_tracer.transcript.state import FileJob

Work = list[tuple["FileJob", "Source"]]


def worker_count(requested: int) -> int:
    return requested or max(1, os.cpu_count() or 1)


def spawn_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes (the parent's threads and locks are not copied)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _load_parser() -> None:
    import claude_code_tracer.ingest.batches  # noqa: F401  (the parser and Arrow)


def prestart(db_path: Path, requested: int) -> ProcessPoolExecutor | None:
    """Worker processes already loading the parser, if the index at `db_path` is still to be
    built; None otherwise (a warm start rarely has much to parse)."""
    workers = worker_count(requested)
    if workers < 2 or db_path.exists():
        return None
    pool = spawn_pool(workers)
    for _ in range(workers):
        pool.submit(_load_parser)  # each submission starts one more process
    return pool


# -- the hand-over ----------------------------------------------------------------------------

# a private directory is made inside it with mkdtemp (mode 0700, unpredictable name)
SHARED_MEMORY_DIR = "/dev/shm"  # noqa: S108
SPOOL_PREFIX = "cctracer-"  # then the process id, so that a killed run's directory is known


def sweep_spools(root: str) -> None:
    """Remove spool directories of ours whose process is gone (it was killed mid-index):
    shared memory is RAM until the machine restarts."""
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            pid = entry.name[len(SPOOL_PREFIX) :].partition("-")[0]
            if not (entry.name.startswith(SPOOL_PREFIX) and pid.isdigit()):
                continue
            with contextlib.suppress(OSError):
                ours = entry.stat(follow_symlinks=False).st_uid == os.getuid()
                if not (ours and entry.is_dir(follow_symlinks=False)):
                    continue
                try:
                    os.kill(int(pid), 0)
                except ProcessLookupError:
                    shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def spool_dir() -> Iterator[str]:
    """A private directory in shared memory for the workers' tables, removed afterwards;
    '' (tables pickled through the pool's pipe) where there is none."""
    sweep_spools(SHARED_MEMORY_DIR)
    try:
        path = tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=SHARED_MEMORY_DIR)
    except OSError:
        yield ""
        return
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def spool(result: ChunkResult, directory: str) -> ChunkResult:
    """The tables as Arrow files in `directory` (a memory file system): the main process
    maps them rather than reading a pickled copy through a pipe."""
    import pyarrow as pa

    from claude_code_tracer.ingest.batches import ChunkResult

    stem = os.path.join(directory, uuid.uuid4().hex)
    paths: dict[str, str] = {}
    kept: dict[str, pa.Table] = {}
    try:
        for name, table in result.tables.items():
            if table.num_rows == 0:
                kept[name] = table
                continue
            path = paths[name] = f"{stem}-{name}.arrow"
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
                out.write_table(table)
    except OSError:  # full (a container's small /dev/shm) or gone: hand them over pickled
        for path in paths.values():
            with contextlib.suppress(OSError):
                os.unlink(path)
        return result
    return ChunkResult(kept, result.models, result.files, result.bytes_read, paths)


def unspool(result: ChunkResult) -> ChunkResult:
    """Map spooled tables back (no copy); their files are removed once mapped."""
    if not result.spooled:
        return result
    import pyarrow as pa

    from claude_code_tracer.ingest.batches import ChunkResult

    tables = dict(result.tables)
    for name, path in result.spooled.items():
        tables[name] = pa.ipc.open_file(pa.memory_map(path)).read_all()
        os.unlink(path)
    return ChunkResult(tables, result.models, result.files, result.bytes_read)


def parse_spooled(work: Work, directory: str) -> ChunkResult:
    """Parse one chunk (in a worker process) and leave its tables in `directory`; with no
    directory, they are handed over pickled."""
    from claude_code_tracer.ingest.batches import parse_chunk

    result = parse_chunk(work)
    return spool(result, directory) if directory else result


def parse_in_pool(
    pool: ProcessPoolExecutor, chunks: list[Work], directory: str, limit: int
) -> Iterator[ChunkResult]:
    """Every chunk parsed by the pool, at most `limit` in flight (memory stays bounded), as
    each is done; spooled tables are mapped back as they arrive."""
    pending: set[Future[ChunkResult]] = set()
    queue = list(reversed(chunks))
    try:
        while queue or pending:
            while queue and len(pending) < limit:
                pending.add(pool.submit(parse_spooled, queue.pop(), directory))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield unspool(future.result())
    finally:
        for future in pending:
            future.cancel()
