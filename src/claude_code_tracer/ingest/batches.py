"""Parsed rows -> Arrow batches, the unit of work of the worker processes.

Worker processes import this module (the parser, Arrow, the row specs) and `ingest.workers`
only, so they start fast; the database and the web stack stay in the main process.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pyarrow as pa

from claude_code_tracer.transcript.kinds import FileKind
from claude_code_tracer.transcript.parser import parse_file
from claude_code_tracer.transcript.rows import FACT_TABLES, FILES, USAGE, TableSpec
from claude_code_tracer.transcript.state import FileFacts, FileJob

CHUNK_BYTES = 24 * 1024 * 1024  # one worker task reads about this much
CHUNK_FILES = 200

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
_MODEL = USAGE.names.index("model")


def arrow_schema(spec: TableSpec) -> pa.Schema:
    return pa.schema([(c.name, _ARROW_TYPES[c.sql]) for c in spec.columns])


def arrow_table(spec: TableSpec, rows: list[list[Any]] | list[tuple[Any, ...]]) -> pa.Table:
    """The rows as one Arrow table of the spec's schema.

    The rows are converted as one struct array (a row is a tuple of its fields) rather than
    column by column: that skips transposing them and is about a third faster."""
    schema = arrow_schema(spec)
    if not rows:
        return schema.empty_table()
    records = rows if type(rows[0]) is tuple else [tuple(row) for row in rows]
    # a row of the wrong width is an ArrowInvalid ("Tuple size must be equal to ...")
    struct = pa.array(records, type=pa.struct(schema))
    batch = pa.RecordBatch.from_struct_array(cast("pa.StructArray", struct))
    return pa.Table.from_batches([batch], schema=schema)


@dataclass(frozen=True)
class Source:
    """Where a job's file was found: discovery's view of it, recorded in `files`."""

    path: str
    root: str
    project_hash: str
    agent_id: str
    kind: FileKind
    size: int
    mtime_ns: int


@dataclass
class ChunkResult:
    tables: dict[str, pa.Table]  # fact tables and `files`
    models: set[str]
    files: int
    bytes_read: int
    spooled: dict[str, str] = field(default_factory=dict)  # tables left in files (`workers`)


def files_row(job: FileJob, src: Source, facts: FileFacts, now_ms: int) -> tuple[Any, ...]:
    return (
        job.file_id,
        src.path,
        src.root,
        src.project_hash,
        facts.session_id,
        src.agent_id,
        src.kind,
        src.size,
        src.mtime_ns,
        facts.lines,
        facts.entries,
        facts.bad_lines,
        json.dumps(facts.bad_reasons, sort_keys=True),
        json.dumps(facts.bad_list),
        json.dumps(facts.unknown, sort_keys=True),
        json.dumps(facts.collapsed, sort_keys=True),
        facts.parsed_bytes,
        facts.pending_bytes,
        facts.cwd,
        facts.custom_title,
        facts.ai_title,
        facts.agent_name,
        facts.last_prompt,
        facts.versions,
        facts.git_branch,
        facts.first_ts,
        facts.last_ts,
        facts.line_session_id,
        facts.line_agent_id,
        facts.last_kind,
        facts.last_stop_reason,
        facts.agent_type,
        facts.agent_description,
        facts.agent_tool_use_id,
        facts.agent_parent_id,
        now_ms,
    )


def parse_chunk(work: list[tuple[FileJob, Source]]) -> ChunkResult:
    """Parse several files into one Arrow table per table (in a worker process, or in-process
    for a small sync).

    The parser builds no reference cycles, so the cyclic garbage collector is paused while
    it runs: it would otherwise rescan every row built so far, again and again.
    """
    gc.disable()
    try:
        return _parse_chunk(work)
    finally:
        gc.enable()


def _parse_chunk(work: list[tuple[FileJob, Source]]) -> ChunkResult:
    rows: dict[str, list[list[Any]]] = {spec.name: [] for spec in FACT_TABLES}
    files: list[tuple[Any, ...]] = []
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    size = 0
    for job, src in work:
        parsed = parse_file(job)
        for name, table_rows in parsed.rows.items():
            rows[name].extend(table_rows)
        files.append(files_row(job, src, parsed.facts, now_ms))
        size += src.size
    tables = {spec.name: arrow_table(spec, rows[spec.name]) for spec in FACT_TABLES}
    tables[FILES.name] = arrow_table(FILES, files)
    return ChunkResult(
        tables=tables,
        models={r[_MODEL] for r in rows["usage"] if r[_MODEL]},
        files=len(files),
        bytes_read=size,
    )


def chunk_work(work: list[tuple[FileJob, Source]]) -> list[list[tuple[FileJob, Source]]]:
    """Tasks of about CHUNK_BYTES, biggest files first (keeps the workers balanced)."""
    chunks: list[list[tuple[FileJob, Source]]] = []
    current: list[tuple[FileJob, Source]] = []
    current_bytes = 0
    for item in sorted(work, key=lambda w: -w[1].size):
        size = item[1].size
        if current and (current_bytes + size > CHUNK_BYTES or len(current) >= CHUNK_FILES):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += size
    if current:
        chunks.append(current)
    return chunks


def merge(results: list[ChunkResult]) -> ChunkResult:
    """Several chunk results as one (fewer, larger inserts and commits)."""
    if len(results) == 1:
        return results[0]
    names = results[0].tables.keys()
    return ChunkResult(
        tables={n: pa.concat_tables([r.tables[n] for r in results]) for n in names},
        models=set().union(*(r.models for r in results)),
        files=sum(r.files for r in results),
        bytes_read=sum(r.bytes_read for r in results),
    )
