"""The parsing worker processes, started before the rest of the app when a first index is due.

A first index (no index file yet) parses everything in worker processes. Each needs a moment to
start and import the parser; started here, first thing, they do so on the core that the main
process leaves idle while it loads the database and the web stack. This module imports nothing
heavy, so that the workers start before anything else is loaded.
"""

from __future__ import annotations

import multiprocessing
import os
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
