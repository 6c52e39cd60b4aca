"""Incremental ingest by file: read only what changed (size or mtime), keep the rest.

A sync discovers the transcripts, drops the facts of files that changed or vanished, parses
the changed ones (in worker processes when there is a lot to read), inserts their rows in
bulk through Arrow, and recomputes the derived facts of the sessions it touched. Facts and
file bookkeeping are committed together, so an interrupted index resumes where it stopped
and ends with the same totals.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from claude_code_tracer.models.responses import BadFile
from claude_code_tracer.services import aggregates
from claude_code_tracer.services.batches import ChunkResult, Source, chunk_work, merge, parse_chunk
from claude_code_tracer.services.database import DERIVED_COLUMNS, Database, DiscoveredFile
from claude_code_tracer.services.database import discover as discover_files
from claude_code_tracer.services.metrics import COST_SQL, PriceBook
from claude_code_tracer.services.workers import spawn_pool, spool_dir, worker_count
from claude_code_tracer.transcript.rows import FACT_TABLES, FILES, TableSpec
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
    state: str = "starting"  # starting, indexing, ready, error
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


def _insert_sql(spec: TableSpec, view: str) -> str:
    if spec.name == "usage":
        return (
            f"INSERT INTO usage SELECT u.*, true, {COST_SQL}, p.input IS NOT NULL "
            f"FROM {view} u LEFT JOIN model_prices p ON p.model = u.model"
        )
    extra = "".join(f", {default}" for _, _, default in DERIVED_COLUMNS.get(spec.name, ()))
    return f"INSERT INTO {spec.name} SELECT t.*{extra} FROM {view} t"


class Indexer:
    """Keeps the index in step with the data directories."""

    def __init__(
        self,
        db: Database,
        roots: tuple[Any, ...],
        prices: PriceBook,
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

    def _ensure_prices(self, cur: duckdb.DuckDBPyConnection, models: Iterable[str]) -> None:
        known = {r[0] for r in cur.execute("SELECT model FROM model_prices").fetchall()}
        rows = []
        for model in sorted(set(models) - known):
            price = self.prices.resolve(model)
            rows.append(price.row() if price else (model, *([None] * 13)))
        if rows:
            cur.executemany("INSERT INTO model_prices VALUES (" + ", ".join(["?"] * 14) + ")", rows)

    def reprice(self) -> None:
        """Apply a new price table to every usage row and every roll-up."""
        with self._sync_lock, self.db.write_lock:
            cur = self.db.cursor()
            try:
                cur.execute("BEGIN")
                models = [r[0] for r in cur.execute("SELECT model FROM model_prices").fetchall()]
                cur.execute("DELETE FROM model_prices")
                self._ensure_prices(cur, models)
                cur.execute(aggregates.RECOST_USAGE)
                aggregates.refresh(cur, full=True)
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
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
                    cur.execute("RESET checkpoint_threshold")
                    cur.execute("RESET threads")
                    cur.execute("CHECKPOINT")
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
            known = {
                r[0]: (r[1], r[2], r[3])
                for r in cur.execute("SELECT path, file_id, size, mtime_ns FROM files").fetchall()
            }
            present = {f.path for f in found}
            removed_ids = [fid for path, (fid, _, _) in known.items() if path not in present]
            changed = [
                f for f in found if f.path not in known or known[f.path][1:] != (f.size, f.mtime_ns)
            ]
            dirty = self.db.get_meta("derived_clean") != "1"
            if not changed and not removed_ids and not dirty:
                if self.status.last_sync is None:
                    self._count(cur)
                self._ready(started, 0)
                return SyncReport(len(found), 0, 0, 0, time.perf_counter() - started, [], [])
            next_id = (cur.execute("SELECT max(file_id) FROM files").fetchone() or (None,))[0]
            next_id = (next_id or 0) + 1
            work: list[tuple[FileJob, Source]] = []
            for f in changed:
                if f.path in known:
                    fid = known[f.path][0]
                else:
                    fid, next_id = next_id, next_id + 1
                job = FileJob(fid, f.path, f.project_hash, f.session_id, f.agent_id, f.meta_path)
                src = Source(f.path, f.root, f.project_hash, f.agent_id, f.kind, f.size, f.mtime_ns)
                work.append((job, src))
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
        from claude_code_tracer.services.store import Store

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
            pending: set[Future[ChunkResult]] = set()
            queue = list(reversed(chunks))
            limit = workers + 1  # bounded in-flight work keeps memory bounded
            try:
                while queue or pending:
                    while queue and len(pending) < limit:
                        pending.add(pool.submit(parse_chunk, queue.pop(), spool))
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result().unspool()
            finally:
                for future in pending:
                    future.cancel()

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
        with self.db.write_lock:
            cur.execute("BEGIN")
            try:
                for statement in aggregates.SCOPE_TABLES:
                    cur.execute(statement)
                self.db.set_meta(cur, "derived_clean", "0")
                if old_ids:
                    self._drop_files(cur, old_ids)
                if not single:
                    cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
        if not single:
            # a bulk load: batches append to the WAL, and their rows stay in memory until a
            # checkpoint compresses them into the file. Up to about 1.4 GB of transcripts, the
            # one checkpoint comes after the index is ready, off the critical path
            # (`checkpoint`); beyond, one more per such step keeps memory bounded.
            cur.execute(f"SET checkpoint_threshold = '{BULK_WAL_LIMIT}'")
            # one DuckDB thread: the cores are busy parsing in the worker processes
            cur.execute("SET threads = 1")
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
            cur.execute("ROLLBACK")
            raise Cancelled
        with self.db.write_lock:
            if not single:
                # parsing is over: the roll-ups get every core again
                cur.execute("RESET threads")
                cur.execute("BEGIN")
            try:
                aggregates.refresh(cur, full=full)
                touched = [
                    (str(a), str(b))
                    for a, b in cur.execute("SELECT * FROM _scope_sessions").fetchall()
                ]
                agents = [] if cold else self._touched_agents(cur, [j.file_id for j, _ in work])
                self.db.set_meta(cur, "derived_clean", "1")
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
        return touched, agents

    def _flush(self, cur: duckdb.DuckDBPyConnection, result: ChunkResult, *, commit: bool) -> None:
        with self.db.write_lock:
            if commit:
                cur.execute("BEGIN")
            try:
                self._insert(cur, result)
                if commit:
                    cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise

    @staticmethod
    def _touched_agents(
        cur: duckdb.DuckDBPyConnection, file_ids: list[int]
    ) -> list[tuple[str, str, str]]:
        if not file_ids:
            return []
        rows = cur.execute(
            "SELECT DISTINCT project_hash, session_id, agent_id FROM messages "
            "WHERE agent_id <> '' AND file_id IN (SELECT unnest(?::INTEGER[]))",
            [file_ids],
        ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    @staticmethod
    def _drop_files(cur: duckdb.DuckDBPyConnection, file_ids: list[int]) -> None:
        ids = [file_ids]
        scope = "SELECT unnest(?::INTEGER[])"
        cur.execute(
            "INSERT INTO _scope_sessions SELECT DISTINCT project_hash, session_id FROM files "
            f"WHERE file_id IN ({scope})",
            ids,
        )
        cur.execute(
            "INSERT INTO _scope_keys SELECT DISTINCT usage_key FROM usage "
            f"WHERE file_id IN ({scope})",
            ids,
        )
        for spec in FACT_TABLES:
            cur.execute(f"DELETE FROM {spec.name} WHERE file_id IN ({scope})", ids)
        cur.execute(f"DELETE FROM files WHERE file_id IN ({scope})", ids)

    def _insert(self, cur: duckdb.DuckDBPyConnection, result: ChunkResult) -> None:
        self._ensure_prices(cur, result.models)
        for spec in (*FACT_TABLES, FILES):
            table = result.tables[spec.name]
            if table.num_rows == 0:
                continue
            view = f"_batch_{spec.name}"
            cur.register(view, table)
            try:
                cur.execute(_insert_sql(spec, view))
                if spec is FILES:
                    cur.execute(
                        "INSERT INTO _scope_sessions "
                        f"SELECT DISTINCT project_hash, session_id FROM {view}"
                    )
            finally:
                cur.unregister(view)
