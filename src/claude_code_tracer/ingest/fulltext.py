"""Keeps the search index in step with the DuckDB index: after every sync, the files that
changed are read again for their searchable text and replace their old documents; the files
that are gone take theirs along.

The search index follows the files the DuckDB index holds (not the data directories
directly), so the two agree on what exists; it commits every few dozen megabytes, so that a
first build makes its results searchable as it goes and an interruption keeps them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass

from claude_code_tracer.index.fulltext import FileSource, FullText, copied_lines, search_sources
from claude_code_tracer.index.schema import Database
from claude_code_tracer.ingest.workers import spawn_pool, worker_count
from claude_code_tracer.transcript.search_text import UUID_AT, DocRow, read_rows

log = logging.getLogger(__name__)

COMMIT_BYTES = 256 * 1024 * 1024
POOL_MIN_BYTES = 16 * 1024 * 1024  # below this, reading in-process beats starting workers


@dataclass
class SearchStatus:
    building: bool = False
    files_total: int = 0
    files_done: int = 0
    last_duration_s: float | None = None
    syncs: int = 0  # completed passes (the first one is the initial build)


class SearchSync:
    def __init__(
        self, db: Database, fulltext: FullText, cancel: threading.Event, *, workers: int = 0
    ) -> None:
        self.workers = worker_count(workers)
        self.db = db
        self.fulltext = fulltext
        self.cancel = cancel
        self.status = SearchStatus()

    def sync(self) -> int:
        """Bring the search index up to date; the number of files read or dropped."""
        started = time.perf_counter()
        with self.db.reading() as cur:
            sources = search_sources(cur)
            copies = copied_lines(cur)
        ft = self.fulltext
        status = self.status
        with ft.lock:
            changed, removed = ft.changes(sources)
            if not changed and not removed:
                status.syncs += 1
                return 0
            status.building = True
            status.files_total, status.files_done = len(changed), 0
            try:
                for path in removed:
                    ft.remove(path)
                pending = 0
                for source, docs in self._read(changed):
                    if self.cancel.is_set():
                        break
                    if docs is None:
                        ft.remove(source.path)  # gone since: the next index sync drops it
                    else:
                        copied = copies.get(source.path)
                        if copied:
                            docs = [d for d in docs if d[UUID_AT] not in copied]
                        ft.replace(source, docs)
                    pending += source.size
                    status.files_done += 1
                    if pending >= COMMIT_BYTES:
                        ft.commit()
                        pending = 0
                ft.commit()
            finally:
                status.building = False
                status.syncs += 1
                status.last_duration_s = round(time.perf_counter() - started, 3)
        return len(changed) + len(removed)

    def _read(self, changed: list[FileSource]) -> Iterator[tuple[FileSource, list[DocRow] | None]]:
        """Each file with its documents: read in worker processes when there is a lot, while
        this thread hands the documents read so far to the engine."""
        total = sum(f.size for f in changed)
        if self.workers < 2 or total < POOL_MIN_BYTES or len(changed) < 2:
            for source in changed:
                yield source, read_rows(source.path)
            return
        with spawn_pool(self.workers) as pool:
            ahead: deque[tuple[FileSource, Future[list[DocRow] | None]]] = deque()
            for source in changed:
                ahead.append((source, pool.submit(read_rows, source.path)))
                if len(ahead) >= self.workers * 4:
                    done, future = ahead.popleft()
                    yield done, future.result()
                if self.cancel.is_set():
                    pool.shutdown(wait=False, cancel_futures=True)
                    return
            while ahead:
                done, future = ahead.popleft()
                yield done, future.result()
