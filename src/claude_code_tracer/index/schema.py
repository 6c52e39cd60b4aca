"""The DuckDB index: one connection per app, and the schema (one place, versioned).

The index lives in the cache directory and is only ever derived from the transcripts, so an
index from another schema version, or one that cannot be opened, is deleted and rebuilt.
Nothing here writes inside a Claude data directory.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from claude_code_tracer.transcript.rows import FACT_TABLES, FILES, TableSpec

log = logging.getLogger(__name__)

SCHEMA_VERSION = 20


# Derived columns appended to fact tables, filled by the roll-ups (`index.rollups`), with the
# value a new row gets (the common answer, so that the refresh only rewrites the exceptions).
DERIVED_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "messages": (("dup", "BOOLEAN", "false"),),
    "usage": (
        ("counted", "BOOLEAN", "true"),
        ("cost", "DOUBLE", "NULL"),
        ("priced", "BOOLEAN", "NULL"),
        # why a row does not count (kinds.CollapseKind), NULL where it does
        ("collapse", "VARCHAR", "NULL"),
        # a Task result matched to its agent's response: the output that response recorded
        ("recorded_output", "BIGINT", "NULL"),
        # the prompt (or command) line the response belongs to; NULL: before the first
        ("prompt_uuid", "VARCHAR", "NULL"),
    ),
    "tool_calls": (
        ("result_uuid", "VARCHAR", "NULL"),
        ("result_ts", "TIMESTAMP", "NULL"),
        ("duration_ms", "BIGINT", "NULL"),
        ("is_error", "BOOLEAN", "NULL"),
        ("error_kind", "VARCHAR", "NULL"),
        # a Skill call whose response counts: what its prompt's work cost after it
        ("cost_after", "DOUBLE", "NULL"),
    ),
}

SESSIONS_TABLE = """
CREATE TABLE sessions (
    project_hash VARCHAR,
    session_id VARCHAR,
    title VARCHAR,
    title_source VARCHAR,
    first_prompt VARCHAR,
    start_time TIMESTAMP,
    end_time TIMESTAMP,
    duration_seconds DOUBLE,
    message_count INTEGER,
    prompt_count INTEGER,
    tool_calls INTEGER,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens BIGINT,
    total_tokens BIGINT,
    cost DOUBLE,
    sub_input_tokens BIGINT,
    sub_output_tokens BIGINT,
    sub_cache_creation_tokens BIGINT,
    sub_cache_read_tokens BIGINT,
    sub_cost DOUBLE,
    errors INTEGER,
    subagent_count INTEGER,
    models VARCHAR[],
    unpriced_models VARCHAR[],
    git_branch VARCHAR,
    version VARCHAR,
    cwd VARCHAR,
    file_mtime TIMESTAMP,
    last_write TIMESTAMP,
    last_kind VARCHAR,
    last_stop_reason VARCHAR,
    has_main_file BOOLEAN,
    bad_lines INTEGER
)
"""

AGENTS_TABLE = """
CREATE TABLE agents (
    project_hash VARCHAR,
    session_id VARCHAR,
    agent_id VARCHAR,
    kind VARCHAR,              -- task, compact, inline, warmup, workflow
    agent_type VARCHAR,
    description VARCHAR,
    spawn_tool_use_id VARCHAR,
    spawn_message_uuid VARCHAR,
    is_async BOOLEAN,
    start_time TIMESTAMP,
    end_time TIMESTAMP,
    duration_seconds DOUBLE,
    message_count INTEGER,
    tool_calls INTEGER,
    errors INTEGER,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens BIGINT,
    total_tokens BIGINT,
    cost DOUBLE,
    models VARCHAR[]
)
"""

PROJECTS_TABLE = """
CREATE TABLE projects (
    path_hash VARCHAR,
    project_path VARCHAR,
    session_count INTEGER,
    message_count BIGINT,
    tool_calls BIGINT,
    errors BIGINT,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens BIGINT,
    total_tokens BIGINT,
    cost DOUBLE,
    first_activity TIMESTAMP,
    last_activity TIMESTAMP,
    models VARCHAR[]
)
"""

# One row per prompt (or slash command) of a session's main thread, and one for the work before
# its first prompt (uuid NULL): everything billed until the next prompt, its subagents included
# (`index.prompt_facts`). The main thread's cost by kind of token and the subagents' cost add up
# to `cost`; the context is a main-thread response's input + cache write + cache read tokens.
PROMPTS_TABLE = """
CREATE TABLE prompts (
    project_hash VARCHAR,
    session_id VARCHAR,
    uuid VARCHAR,
    kind VARCHAR,              -- kinds.PromptKind
    ts TIMESTAMP,              -- when it was typed; before the first prompt: the first response
    text VARCHAR,
    last_activity TIMESTAMP,   -- its last response, tool result or subagent entry
    duration_seconds DOUBLE,
    responses INTEGER,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens BIGINT,
    total_tokens BIGINT,
    cost DOUBLE,
    main_responses INTEGER,
    main_input_tokens BIGINT,
    main_output_tokens BIGINT,
    main_cache_creation_tokens BIGINT,
    main_cache_read_tokens BIGINT,
    input_cost DOUBLE,
    output_cost DOUBLE,
    cache_write_cost DOUBLE,
    cache_read_cost DOUBLE,
    subagents INTEGER,
    subagent_cost DOUBLE,
    first_context BIGINT,
    last_context BIGINT,
    tool_calls INTEGER,
    interrupted BOOLEAN,
    tools STRUCT(name VARCHAR, calls INTEGER)[],
    models STRUCT(model VARCHAR, responses INTEGER, input_tokens BIGINT, output_tokens BIGINT,
        cache_creation_tokens BIGINT, cache_read_tokens BIGINT, cost DOUBLE)[],
    agents STRUCT(agent_id VARCHAR, kind VARCHAR, agent_type VARCHAR, description VARCHAR,
        responses INTEGER, input_tokens BIGINT, output_tokens BIGINT,
        cache_creation_tokens BIGINT, cache_read_tokens BIGINT, cost DOUBLE)[]
)
"""

MODEL_PRICES_TABLE = """
CREATE TABLE model_prices (
    model VARCHAR,
    price_key VARCHAR,
    input DOUBLE,
    output DOUBLE,
    cache_write_5m DOUBLE,
    cache_write_1h DOUBLE,
    cache_read DOUBLE,
    input_200k DOUBLE,
    output_200k DOUBLE,
    cache_write_5m_200k DOUBLE,
    cache_write_1h_200k DOUBLE,
    cache_read_200k DOUBLE,
    fast_multiplier DOUBLE,
    us_multiplier DOUBLE
)
"""

# Pre-aggregated 15-minute buckets: daily and hourly series in any time zone (every UTC offset
# in use is a multiple of 15 minutes, so local day and hour boundaries fall on bucket edges).
USAGE_BUCKETS_TABLE = """
CREATE TABLE usage_buckets (
    project_hash VARCHAR,
    session_id VARCHAR,
    is_agent BOOLEAN,
    bucket TIMESTAMP,
    model VARCHAR,
    priced BOOLEAN,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cache_creation_tokens BIGINT,
    cache_read_tokens BIGINT,
    cost DOUBLE,
    responses INTEGER,
    first_ts TIMESTAMP,          -- the bucket's first and last counted response
    last_ts TIMESTAMP
)
"""

ACTIVITY_BUCKETS_TABLE = """
CREATE TABLE activity_buckets (
    project_hash VARCHAR,
    session_id VARCHAR,
    bucket TIMESTAMP,
    messages INTEGER
)
"""

META_TABLE = "CREATE TABLE meta (key VARCHAR, value VARCHAR)"

# No ART indexes: DuckDB's planner does not use them for these filters on bound parameters
# (EXPLAIN shows sequential scans either way), while they cost time at every insert. Filters
# by project and session run on the columnar scans and their per-row-group min/max.


def fact_table_ddl(spec: TableSpec) -> str:
    cols = [f"{c.name} {c.sql}" for c in spec.columns]
    cols += [f"{name} {sql}" for name, sql, _ in DERIVED_COLUMNS.get(spec.name, ())]
    return f"CREATE TABLE {spec.name} ({', '.join(cols)})"


def schema_ddl() -> list[str]:
    """Every statement that creates the index, in order."""
    ddl = [META_TABLE, fact_table_ddl(FILES), SESSIONS_TABLE, AGENTS_TABLE, PROJECTS_TABLE]
    ddl += [PROMPTS_TABLE]
    ddl += [MODEL_PRICES_TABLE, USAGE_BUCKETS_TABLE, ACTIVITY_BUCKETS_TABLE]
    ddl += [fact_table_ddl(spec) for spec in FACT_TABLES]
    return ddl


class IndexInUse(RuntimeError):
    """Another process holds the index open (DuckDB allows one writer process)."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"the index {path} is in use by another process (is cctracer running?)")
        self.path = path


class IndexTooNew(RuntimeError):
    """The index was written by a newer version of this program (its schema is newer)."""

    def __init__(self, path: Path, version: int) -> None:
        super().__init__(
            f"the index {path} was written by a newer cctracer (schema {version}, this one "
            f"reads {SCHEMA_VERSION}); use that version, or delete the file to rebuild it"
        )
        self.path = path


def _held_by_another_process(exc: BaseException) -> bool:
    """DuckDB's lock conflict, and nothing else: a corrupt file says "block at location"."""
    message = str(exc).lower()
    return "could not set lock" in message or "conflicting lock" in message


class Database:
    """Owns the DuckDB connection; hands out one cursor per unit of work."""

    def __init__(
        self,
        path: Path,
        *,
        threads: int = 0,
        memory_limit: str = "1GB",
        refuse_newer: bool = False,
    ) -> None:
        self.path = path
        self.refuse_newer = refuse_newer  # a newer schema is an error, not a rebuild
        self.threads = threads
        self.memory_limit = memory_limit
        self.write_lock = threading.Lock()
        self.rebuilt = False
        self.conn = self._open(threads, memory_limit)

    def _connect(self, threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
        config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit}
        if threads:
            config["threads"] = threads
        return duckdb.connect(str(self.path), config=config)

    def _open(self, threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        opened: duckdb.DuckDBPyConnection | None = None
        try:
            conn = opened = self._connect(threads, memory_limit)
            version = self._schema_version(conn)
        except (duckdb.Error, OSError) as exc:
            if _held_by_another_process(exc):
                raise IndexInUse(self.path) from exc
            log.warning("index %s cannot be opened (%s); rebuilding it", self.path, exc)
            if opened is not None:  # else DuckDB would hand the damaged database out again
                with contextlib.suppress(duckdb.Error):
                    opened.close()
            self._delete_files()
            conn = self._connect(threads, memory_limit)
            version = None
        if version == SCHEMA_VERSION:
            return conn
        if self.refuse_newer and version is not None and version > SCHEMA_VERSION:
            conn.close()
            raise IndexTooNew(self.path, version)
        if version is not None or self._has_tables(conn):
            log.info("index schema %s != %s; rebuilding", version, SCHEMA_VERSION)
            conn.close()
            self._delete_files()
            conn = self._connect(threads, memory_limit)
        self._create(conn)
        self.rebuilt = True
        return conn

    @staticmethod
    def _has_tables(conn: duckdb.DuckDBPyConnection) -> bool:
        row = conn.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
        return bool(row and row[0])

    @staticmethod
    def _schema_version(conn: duckdb.DuckDBPyConnection) -> int | None:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except duckdb.CatalogException:
            return None
        if row is None:
            return None
        try:
            return int(row[0])
        except (TypeError, ValueError):
            return -1

    def _delete_files(self) -> None:
        for suffix in ("", ".wal", ".tmp"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(self.path) + suffix).unlink()

    @staticmethod
    def _create(conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute("BEGIN")
        for statement in schema_ddl():
            conn.execute(statement)
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        conn.execute("COMMIT")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one request or one job (DuckDB cursors are not shared)."""
        return self.conn.cursor()

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def get_meta(self, key: str) -> str | None:
        with self.reading() as cur:
            row = cur.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def set_meta(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
        cur.execute("DELETE FROM meta WHERE key = ?", [key])
        cur.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.conn.close()

    def verify(self) -> bool:
        """Read every block of every table: False when the file is damaged inside.

        Opening checks only the header; damage further in shows when a query reaches it.
        """
        cur = self.cursor()
        try:
            tables = [
                r[0]
                for r in cur.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
                ).fetchall()
            ]
            for table in tables:
                reader = cur.sql(f'SELECT * FROM "{table}"').to_arrow_reader(65_536)
                for _ in reader or ():
                    pass
        except duckdb.Error as exc:
            log.warning("index %s is damaged (%s)", self.path, exc)
            return False
        finally:
            cur.close()
        return True

    def recreate(self) -> None:
        """Start over with an empty index (the transcripts are all it is made from)."""
        with self.write_lock:
            self.close()
            self._delete_files()
            self.conn = self._connect(self.threads, self.memory_limit)
            self._create(self.conn)
            self.rebuilt = True
