"""The parsing worker processes: how they start, and where they leave their tables.

A first index (no index file yet) parses everything in worker processes. Each needs a moment to
start and import the parser; started here, first thing, they do so on the core that the main
process leaves idle while it loads the database and the web stack. This module imports nothing
heavy, so that the workers start before anything else is loaded.

Workers hand their tables over as Arrow files in a private directory in shared memory, which
the main process maps instead of reading a pickled copy through the pool's pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def worker_count(requested: int) -> int:
    return requested or max(1, os.cpu_count() or 1)


def spawn_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes (the parent's threads and locks are not copied)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _load_parser() -> None:
    import claude_code_tracer.services.batches  # noqa: F401  (the parser and Arrow)


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
