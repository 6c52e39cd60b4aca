"""Incremental ingest by file: read only what changed (size or mtime), keep the rest.

A sync discovers the transcripts, drops the facts of files that changed or vanished, parses
the changed ones (in worker processes when there is a lot to read), inserts their rows in
bulk through Arrow, and recomputes the derived facts of the sessions it touched. Facts and
file bookkeeping are committed together, so an interrupted index resumes where it stopped
and ends with the same totals. The statements are those of `index.writes`; the prices come
from anything that resolves a model name (`index.prices.PriceResolver`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from claude_code_tracer.index import rollups, writes
from claude_code_tracer.index.files import known_files
from claude_code_tracer.index.models.system import BadFile, IndexState
from claude_code_tracer.index.prices import PriceResolver
from claude_code_tracer.index.schema import Database
from claude_code_tracer.index.store import Store
from claude_code_tracer.ingest.batches import ChunkResult, Source, chunk_work, merge, parse_chunk
from claude_code_tracer.ingest.discovery import DiscoveredFile
from claude_code_tracer.ingest.discovery import discover as discover_files
from claude_code_tracer.ingest.freshness import DERIVED_CLEAN, changes
from claude_code_tracer.ingest.workers import parse_in_pool, spawn_pool, spool_dir, worker_count
from claude_code_tracer.transcript.state import FileJob

log = logging.getLogger(__name__)

POOL_MIN_BYTES = 16 * 1024 * 1024  # below this, parsing in-process beats starting workers
SINGLE_TRANSACTION_BYTES = 64 * 1024 * 1024
COMMIT_BYTES = 128 * 1024 * 1024  # a cold index commits in batches of about this much
BULK_WAL_LIMIT = "384MB"  # a bulk load's WAL (~a quarter of the transcripts) before a checkpoint


class Cancelled(Exception):
    """The app is stopping: the sync gave up between two batches (committed work stays)."""


class _Writer(threading.Thread):
    """Writes batches to the index while the workers parse the next ones.

    DuckDB releases the GIL while it inserts, compresses and commits, so the two overlap.
    An error in a write is raised again by `put` or `close`.
    """

    def __init__(self, write: Callable[[ChunkResult], None]) -> None:
        super().__init__(name="cctracer-write", daemon=True)
        self.write = write
        self.queue: queue.Queue[ChunkResult | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None

    def run(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.write(batch)
                except BaseException as exc:
                    self.error = exc
            self.queue.task_done()
        self.queue.task_done()

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being written."""
        return self.queue.unfinished_tasks == 0

    def put(self, batch: ChunkResult) -> None:
        self._check()
        self.queue.put(batch)

    def close(self) -> None:
        self.queue.put(None)
        self.join()
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error


@dataclass
class IndexStatus:
    state: IndexState = "starting"
    files_total: int = 0
    files_done: int = 0
    bytes_total: int = 0
    bytes_done: int = 0
    last_sync: str | None = None
    last_duration_s: float | None = None
    last_changed: int = 0
    error: str | None = None
    roots_missing: list[str] = field(default_factory=list)
    roots_seen: list[str] = field(default_factory=list)
    # what the index holds after the last sync (files, lines, bad lines, projects, sessions),
    # kept here so that /health never waits on the database
    counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    bad_files: list[BadFile] = field(default_factory=list)


@dataclass
class SyncReport:
    discovered: int
    parsed: int
    removed: int
    bytes_parsed: int
    seconds: float
    touched: list[tuple[str, str]]  # (project_hash, session_id)
    agents: list[tuple[str, str, str]]  # (project_hash, session_id, agent_id)

    @property
    def changed(self) -> bool:
        return bool(self.parsed or self.removed)


Progress = Callable[[IndexStatus], None]


def work_item(f: DiscoveredFile, file_id: int) -> tuple[FileJob, Source]:
    """A discovered file as the parser's job and the `files` row's source."""
    job = FileJob(file_id, f.path, f.project_hash, f.session_id, f.agent_id, f.meta_path)
    return job, Source(f.path, f.root, f.project_hash, f.agent_id, f.kind, f.size, f.mtime_ns)


class Indexer:
    """Keeps the index in step with the data directories."""

    def __init__(
        self,
        db: Database,
        roots: tuple[Any, ...],
        prices: PriceResolver,
        *,
        workers: int = 0,
        cancel: threading.Event | None = None,
        pool: ProcessPoolExecutor | None = None,
    ) -> None:
        self.cancel = cancel or threading.Event()
        self.pool = pool  # worker processes started ahead of the first sync, used by it
        self.checkpoint_due = False
        self.db = db
        self.roots = roots
        self.prices = prices
        self.workers = worker_count(workers)
        self.status = IndexStatus()
        self.listeners: list[Callable[[SyncReport], None]] = []
        self._sync_lock = threading.Lock()

    # -- prices -------------------------------------------------------------------------------

    def reprice(self) -> None:
        """Apply a new price table to every usage row and every roll-up."""
        with self._sync_lock, self.db.write_lock:
            cur = self.db.cursor()
            try:
                with writes.transaction(cur):
                    writes.reprice(cur, self.prices)
            finally:
                cur.close()

    def checkpoint(self) -> None:
        """Write a bulk load's WAL into the index file and return to small automatic
        checkpoints; retried while readers hold transactions open."""
        if not self.checkpoint_due:
            return
        for _ in range(50):
            with self._sync_lock, self.db.write_lock:
                cur = self.db.cursor()
                try:
                    writes.checkpoint(cur, self.db.memory_limit)
                except duckdb.Error:
                    pass
                else:
                    self.checkpoint_due = False
                    return
                finally:
                    cur.close()
            if self.cancel.wait(0.2):
                return

    # -- sync ---------------------------------------------------------------------------------

    def discover(self) -> list[DiscoveredFile]:
        found = discover_files(tuple(self.roots))
        self.status.roots_missing = found.roots_missing
        self.status.roots_seen = found.roots_seen
        return found.files

    def sync(self, progress: Progress | None = None) -> SyncReport:
        with self._sync_lock:
            try:
                return self._sync(progress)
            except Cancelled:  # the app is stopping: not an error
                raise
            except Exception as exc:
                self.status.state = "error"
                # shown on /health and the pages: no SQL or file contents, those go to the log
                self.status.error = f"{type(exc).__name__} (details in the server log)"
                log.exception("index sync failed")
                raise
            finally:
                self.release_pool()

    def release_pool(self) -> None:
        """Stop worker processes started ahead that no sync took (only the first may)."""
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _sync(self, progress: Progress | None) -> SyncReport:
        started = time.perf_counter()
        found = self.discover()
        cur = self.db.cursor()
        try:
            known = known_files(cur)
            changed, removed_ids = changes(found, known)
            dirty = self.db.get_meta(DERIVED_CLEAN) != "1"
            if not changed and not removed_ids and not dirty:
                if self.status.last_sync is None:
                    self._count(cur)
                self._ready(started, 0)
                return SyncReport(len(found), 0, 0, 0, time.perf_counter() - started, [], [])
            next_id = writes.next_file_id(cur)
            work: list[tuple[FileJob, Source]] = []
            for f in changed:
                if f.path in known:
                    fid = known[f.path][0]
                else:
                    fid, next_id = next_id, next_id + 1
                work.append(work_item(f, fid))
            total = sum(f.size for f in changed)
            status = self.status
            status.state = "indexing" if status.state != "ready" else "ready"
            status.files_total, status.files_done = len(work), 0
            status.bytes_total, status.bytes_done = total, 0
            if progress:
                progress(status)
            cold = dirty and not known
            full = dirty or self.db.rebuilt
            old_ids = [known[f.path][0] for f in changed if f.path in known] + removed_ids
            touched, agents = self._ingest(
                cur, work, old_ids, total, full=full, cold=cold, progress=progress
            )
            self.db.rebuilt = False
            self._count(cur)
        finally:
            cur.close()
        self._ready(started, len(work) + len(removed_ids))
        report = SyncReport(
            discovered=len(found),
            parsed=len(work),
            removed=len(removed_ids),
            bytes_parsed=total,
            seconds=time.perf_counter() - started,
            touched=touched,
            agents=agents,
        )
        for listener in list(self.listeners):
            listener(report)
        return report

    def _count(self, cur: duckdb.DuckDBPyConnection) -> None:
        store = Store(cur)
        self.status.counts = store.index_counts()
        self.status.bad_files = store.bad_files() if self.status.counts[2] else []

    def _ready(self, started: float, changed: int) -> None:
        status = self.status
        status.state = "ready"
        status.error = None
        status.last_sync = datetime.now(UTC).isoformat(timespec="milliseconds")
        status.last_duration_s = round(time.perf_counter() - started, 4)
        status.last_changed = changed
        status.files_done = status.files_total
        status.bytes_done = status.bytes_total

    def _results(self, work: list[tuple[FileJob, Source]], total: int) -> Iterator[ChunkResult]:
        chunks = chunk_work(work)
        if self.workers <= 1 or total < POOL_MIN_BYTES or len(chunks) < 2:
            for chunk in chunks:
                yield parse_chunk(chunk)
            return
        workers = min(self.workers, len(chunks))
        started, self.pool = self.pool, None
        with spool_dir() as spool, started or spawn_pool(workers) as pool:
            yield from parse_in_pool(pool, chunks, spool, limit=workers + 1)

    def _ingest(
        self,
        cur: duckdb.DuckDBPyConnection,
        work: list[tuple[FileJob, Source]],
        old_ids: list[int],
        total: int,
        *,
        full: bool,
        cold: bool,
        progress: Progress | None,
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        single = total <= SINGLE_TRANSACTION_BYTES
        with self.db.write_lock, writes.transaction(cur, commit=not single):
            rollups.open_scope(cur)
            self.db.set_meta(cur, DERIVED_CLEAN, "0")
            if old_ids:
                writes.drop_files(cur, old_ids)
        if not single:
            # a bulk load: batches append to the WAL, and their rows stay in memory until a
            # checkpoint compresses them into the file. Up to about 1.4 GB of transcripts, the
            # one checkpoint comes after the index is ready, off the critical path
            # (`checkpoint`); beyond, one more per such step keeps memory bounded.
            writes.start_bulk_load(cur, BULK_WAL_LIMIT)
            self.checkpoint_due = True
        writer = _Writer(lambda batch: self._flush(cur, batch, commit=not single))
        writer.start()
        pending: list[ChunkResult] = []
        pending_bytes = 0
        try:
            for result in self._results(work, total):
                pending.append(result)
                pending_bytes += result.bytes_read
                self.status.files_done += result.files
                self.status.bytes_done += result.bytes_read
                if progress:
                    progress(self.status)
                # full batches; near the end, whatever is there as soon as the writer is free,
                # so that little is left to write once the last file is parsed
                ending = self.status.bytes_done >= total - COMMIT_BYTES
                if pending_bytes >= COMMIT_BYTES or (ending and writer.idle):
                    writer.put(merge(pending))
                    pending, pending_bytes = [], 0
                if self.cancel.is_set():
                    raise Cancelled
            if pending:
                writer.put(merge(pending))
        finally:
            writer.close()
        if single and self.cancel.is_set():
            writes.rollback(cur)
            raise Cancelled
        with self.db.write_lock:
            if not single:
                # parsing is over: the roll-ups get every core and the index's memory again
                writes.all_threads(cur, self.db.memory_limit)
            with writes.transaction(cur, begin=not single):
                rollups.refresh(cur, full=full)
                touched = writes.touched_sessions(cur)
                agents = [] if cold else writes.touched_agents(cur, [j.file_id for j, _ in work])
                self.db.set_meta(cur, DERIVED_CLEAN, "1")
        return touched, agents

    def _flush(self, cur: duckdb.DuckDBPyConnection, result: ChunkResult, *, commit: bool) -> None:
        with self.db.write_lock, writes.transaction(cur, begin=commit, commit=commit):
            writes.ensure_prices(cur, result.models, self.prices)
            writes.insert_tables(cur, result.tables)
