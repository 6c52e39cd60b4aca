"""Incremental ingest by file: read only what changed (size or mtime), keep the rest.

A sync discovers the transcripts, drops the facts of files that changed or vanished, parses
the changed ones (in worker processes when there is a lot to read), inserts their rows in
bulk through Arrow, and recomputes the derived facts of the sessions it touched. Facts and
file bookkeeping are committed together, so an interrupted index resumes where it stopped
and ends with the same totals.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from claude_code_tracer.models.entries import FACT_TABLES, USAGE, TableSpec
from claude_code_tracer.services import aggregates
from claude_code_tracer.services.database import DERIVED_COLUMNS, Database, DiscoveredFile
from claude_code_tracer.services.database import discover as discover_files
from claude_code_tracer.services.log_parser import FileFacts, FileJob, parse_file
from claude_code_tracer.services.metrics import COST_SQL, PriceBook

log = logging.getLogger(__name__)

CHUNK_BYTES = 24 * 1024 * 1024  # one worker task reads about this much
CHUNK_FILES = 200
POOL_MIN_BYTES = 16 * 1024 * 1024  # below this, parsing in-process beats starting workers
SINGLE_TRANSACTION_BYTES = 64 * 1024 * 1024

_ARROW_TYPES: dict[str, pa.DataType] = {
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("ms"),
    "DOUBLE": pa.float64(),
    "BIGINT[]": pa.list_(pa.int64()),
    "INTEGER[]": pa.list_(pa.int32()),
    "VARCHAR[]": pa.list_(pa.string()),
}


def arrow_schema(spec: TableSpec) -> pa.Schema:
    return pa.schema([(c.name, _ARROW_TYPES[c.sql]) for c in spec.columns])


def arrow_table(spec: TableSpec, rows: list[list[Any]]) -> pa.Table:
    schema = arrow_schema(spec)
    if not rows:
        return schema.empty_table()
    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass
class ChunkResult:
    tables: dict[str, pa.Table]
    facts: list[tuple[FileJob, FileFacts]]
    models: set[str]
    bytes_read: int


def parse_chunk(jobs: list[FileJob]) -> ChunkResult:
    """Parse several files into one Arrow table per fact table (runs in a worker process)."""
    rows: dict[str, list[list[Any]]] = {spec.name: [] for spec in FACT_TABLES}
    facts: list[tuple[FileJob, FileFacts]] = []
    size = 0
    for job in jobs:
        parsed = parse_file(job)
        for name, table_rows in parsed.rows.items():
            rows[name].extend(table_rows)
        facts.append((job, parsed.facts))
        size += parsed.facts.parsed_bytes + parsed.facts.pending_bytes
    model_col = USAGE.names.index("model")
    models = {r[model_col] for r in rows["usage"] if r[model_col]}
    tables = {spec.name: arrow_table(spec, rows[spec.name]) for spec in FACT_TABLES}
    return ChunkResult(tables=tables, facts=facts, models=models, bytes_read=size)


def chunk_jobs(jobs: list[FileJob], sizes: dict[int, int]) -> list[list[FileJob]]:
    """Group files into tasks of about CHUNK_BYTES, biggest first (keeps workers balanced)."""
    chunks: list[list[FileJob]] = []
    current: list[FileJob] = []
    current_bytes = 0
    for job in sorted(jobs, key=lambda j: -sizes.get(j.file_id, 0)):
        size = sizes.get(job.file_id, 0)
        if current and (current_bytes + size > CHUNK_BYTES or len(current) >= CHUNK_FILES):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(job)
        current_bytes += size
    if current:
        chunks.append(current)
    return chunks


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


def _ts(ms: int | None) -> datetime | None:
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def _files_row(
    job: FileJob, found: DiscoveredFile, facts: FileFacts, now: datetime
) -> tuple[Any, ...]:
    return (
        job.file_id,
        found.path,
        found.root,
        found.project_hash,
        facts.session_id,
        found.agent_id,
        found.kind,
        found.size,
        found.mtime_ns,
        facts.lines,
        facts.entries,
        facts.bad_lines,
        json.dumps(facts.bad_reasons, sort_keys=True),
        facts.parsed_bytes,
        facts.pending_bytes,
        facts.cwd,
        facts.custom_title,
        facts.ai_title,
        facts.agent_name,
        facts.last_prompt,
        facts.versions,
        facts.git_branch,
        _ts(facts.first_ts),
        _ts(facts.last_ts),
        facts.line_session_id,
        facts.line_agent_id,
        facts.last_kind,
        facts.last_stop_reason,
        facts.agent_type,
        facts.agent_description,
        facts.agent_tool_use_id,
        facts.agent_parent_id,
        now,
    )


FILES_INSERT = "INSERT INTO files VALUES (" + ", ".join(["?"] * 33) + ")"


def _insert_sql(spec: TableSpec, view: str) -> str:
    if spec.name == "usage":
        return (
            f"INSERT INTO usage SELECT u.*, false, {COST_SQL}, p.input IS NOT NULL "
            f"FROM {view} u LEFT JOIN model_prices p ON p.model = u.model"
        )
    extra = "".join(", NULL" for _ in DERIVED_COLUMNS.get(spec.name, ()))
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
    ) -> None:
        self.db = db
        self.roots = roots
        self.prices = prices
        self.workers = workers or max(1, os.cpu_count() or 1)
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
            except Exception as exc:
                self.status.state = "error"
                self.status.error = f"{type(exc).__name__}: {exc}"
                log.exception("index sync failed")
                raise

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
                self._ready(started, 0)
                return SyncReport(len(found), 0, 0, 0, time.perf_counter() - started, [], [])
            next_id = (cur.execute("SELECT max(file_id) FROM files").fetchone() or (None,))[0]
            next_id = (next_id or 0) + 1
            jobs: list[FileJob] = []
            by_id: dict[int, DiscoveredFile] = {}
            for f in changed:
                if f.path in known:
                    fid = known[f.path][0]
                else:
                    fid, next_id = next_id, next_id + 1
                by_id[fid] = f
                jobs.append(
                    FileJob(fid, f.path, f.project_hash, f.session_id, f.agent_id, f.meta_path)
                )
            total = sum(f.size for f in changed)
            status = self.status
            status.state = "indexing" if status.state != "ready" else "ready"
            status.files_total, status.files_done = len(jobs), 0
            status.bytes_total, status.bytes_done = total, 0
            if progress:
                progress(status)
            cold = dirty and not known
            full = dirty or self.db.rebuilt
            old_ids = [known[f.path][0] for f in changed if f.path in known] + removed_ids
            touched, agents = self._ingest(
                cur, jobs, by_id, old_ids, total, full=full, cold=cold, progress=progress
            )
            self.db.rebuilt = False
        finally:
            cur.close()
        self._ready(started, len(jobs) + len(removed_ids))
        report = SyncReport(
            discovered=len(found),
            parsed=len(jobs),
            removed=len(removed_ids),
            bytes_parsed=total,
            seconds=time.perf_counter() - started,
            touched=touched,
            agents=agents,
        )
        for listener in list(self.listeners):
            listener(report)
        return report

    def _ready(self, started: float, changed: int) -> None:
        status = self.status
        status.state = "ready"
        status.error = None
        status.last_sync = datetime.now(UTC).isoformat(timespec="seconds")
        status.last_duration_s = round(time.perf_counter() - started, 4)
        status.last_changed = changed
        status.files_done = status.files_total
        status.bytes_done = status.bytes_total

    def _results(self, jobs: list[FileJob], sizes: dict[int, int]) -> Iterator[ChunkResult]:
        chunks = chunk_jobs(jobs, sizes)
        total = sum(sizes.values())
        if self.workers <= 1 or total < POOL_MIN_BYTES or len(chunks) < 2:
            for chunk in chunks:
                yield parse_chunk(chunk)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            pending: set[Future[ChunkResult]] = set()
            queue = list(reversed(chunks))
            limit = self.workers + 1  # bounded in-flight work keeps memory bounded
            while queue or pending:
                while queue and len(pending) < limit:
                    pending.add(pool.submit(parse_chunk, queue.pop()))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()

    def _ingest(
        self,
        cur: duckdb.DuckDBPyConnection,
        jobs: list[FileJob],
        by_id: dict[int, DiscoveredFile],
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
        sizes = {fid: f.size for fid, f in by_id.items()}
        now = datetime.now(UTC).replace(tzinfo=None)
        for result in self._results(jobs, sizes):
            with self.db.write_lock:
                if not single:
                    cur.execute("BEGIN")
                try:
                    self._insert_chunk(cur, result, by_id, now)
                    if not single:
                        cur.execute("COMMIT")
                except Exception:
                    cur.execute("ROLLBACK")
                    raise
            self.status.files_done += len(result.facts)
            self.status.bytes_done += sum(sizes[j.file_id] for j, _ in result.facts)
            if progress:
                progress(self.status)
        with self.db.write_lock:
            if not single:
                cur.execute("BEGIN")
            try:
                aggregates.refresh(cur, full=full)
                touched = [
                    (str(a), str(b))
                    for a, b in cur.execute("SELECT * FROM _scope_sessions").fetchall()
                ]
                agents = self._touched_agents(cur, [j.file_id for j in jobs]) if not cold else []
                self.db.set_meta(cur, "derived_clean", "1")
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
        return touched, agents

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

    def _insert_chunk(
        self,
        cur: duckdb.DuckDBPyConnection,
        result: ChunkResult,
        by_id: dict[int, DiscoveredFile],
        now: datetime,
    ) -> None:
        self._ensure_prices(cur, result.models)
        for spec in FACT_TABLES:
            table = result.tables[spec.name]
            if table.num_rows == 0:
                continue
            view = f"_batch_{spec.name}"
            cur.register(view, table)
            try:
                cur.execute(_insert_sql(spec, view))
            finally:
                cur.unregister(view)
        rows = [_files_row(job, by_id[job.file_id], facts, now) for job, facts in result.facts]
        cur.executemany(FILES_INSERT, rows)
        cur.executemany(
            "INSERT INTO _scope_sessions VALUES (?, ?)",
            sorted({(r[3], r[4]) for r in rows}),
        )
