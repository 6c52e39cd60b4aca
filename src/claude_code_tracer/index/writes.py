"""Every statement that changes the index, as functions of a cursor; `ingest.sync` decides when.

A sync drops the facts of the files that changed or vanished, inserts the rows of the files it
parsed (Arrow tables, one per fact table and `files`), prices the models it has not seen, and
has the roll-ups (`index.rollups`) recompute what the touched sessions derive from them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import duckdb

from claude_code_tracer.index import rollups
from claude_code_tracer.index.cost import COST_SQL
from claude_code_tracer.index.prices import PriceResolver
from claude_code_tracer.index.reads import fetch_all
from claude_code_tracer.index.schema import DERIVED_COLUMNS
from claude_code_tracer.transcript.rows import FACT_TABLES, FILES, TableSpec

if TYPE_CHECKING:
    import pyarrow as pa

PRICE_COLUMNS = 14  # of the model_prices table
_FILE_IDS = "SELECT unnest(?::INTEGER[])"


@contextlib.contextmanager
def transaction(
    cur: duckdb.DuckDBPyConnection, *, begin: bool = True, commit: bool = True
) -> Iterator[None]:
    """Statements as one unit: BEGIN (unless one is already open), COMMIT (unless the unit
    continues), ROLLBACK on any error."""
    if begin:
        cur.execute("BEGIN")
    try:
        yield
        if commit:
            cur.execute("COMMIT")
    except Exception:
        rollback(cur)
        raise


def rollback(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("ROLLBACK")


# -- files ------------------------------------------------------------------------------------


def next_file_id(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.execute("SELECT max(file_id) FROM files").fetchone()
    return (row[0] if row and row[0] else 0) + 1


def drop_files(cur: duckdb.DuckDBPyConnection, file_ids: list[int]) -> None:
    """Delete every fact of these files; their sessions and usage keys join the scope."""
    ids = [file_ids]
    cur.execute(
        "INSERT INTO _scope_sessions SELECT DISTINCT project_hash, session_id FROM files "
        f"WHERE file_id IN ({_FILE_IDS})",
        ids,
    )
    cur.execute(
        "INSERT INTO _scope_keys SELECT DISTINCT usage_key FROM usage "
        f"WHERE file_id IN ({_FILE_IDS})",
        ids,
    )
    for spec in FACT_TABLES:
        cur.execute(f"DELETE FROM {spec.name} WHERE file_id IN ({_FILE_IDS})", ids)
    cur.execute(f"DELETE FROM files WHERE file_id IN ({_FILE_IDS})", ids)


def _insert_sql(spec: TableSpec, view: str) -> str:
    if spec.name == "usage":
        # counted, cost and priced as the row goes in; the other derived columns' defaults
        rest = "".join(f", {default}" for _, _, default in DERIVED_COLUMNS["usage"][3:])
        return (
            f"INSERT INTO usage SELECT u.*, true, {COST_SQL}, p.input IS NOT NULL{rest} "
            f"FROM {view} u LEFT JOIN model_prices p ON p.model = u.model"
        )
    extra = "".join(f", {default}" for _, _, default in DERIVED_COLUMNS.get(spec.name, ()))
    return f"INSERT INTO {spec.name} SELECT t.*{extra} FROM {view} t"


def insert_tables(cur: duckdb.DuckDBPyConnection, tables: Mapping[str, pa.Table]) -> None:
    """Insert parsed rows (one table per fact table and `files`, by name); usage rows are
    priced as they go in, and the sessions of the files join the scope."""
    for spec in (*FACT_TABLES, FILES):
        table = tables[spec.name]
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


def touched_sessions(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(project, session) of every session in the scope of the refresh."""
    rows = fetch_all(cur, "SELECT project_hash, session_id FROM _scope_sessions")
    return [(str(r["project_hash"]), str(r["session_id"])) for r in rows]


def touched_agents(
    cur: duckdb.DuckDBPyConnection, file_ids: list[int]
) -> list[tuple[str, str, str]]:
    """(project, session, agent) of every subagent with an entry in these files."""
    if not file_ids:
        return []
    rows = fetch_all(
        cur,
        "SELECT DISTINCT project_hash, session_id, agent_id FROM messages "
        f"WHERE agent_id <> '' AND file_id IN ({_FILE_IDS})",
        [file_ids],
    )
    return [(str(r["project_hash"]), str(r["session_id"]), str(r["agent_id"])) for r in rows]


# -- prices -----------------------------------------------------------------------------------


def ensure_prices(
    cur: duckdb.DuckDBPyConnection, models: Iterable[str], prices: PriceResolver
) -> None:
    """A `model_prices` row for every model not priced yet (all NULL: unpriced)."""
    known = {r[0] for r in cur.execute("SELECT model FROM model_prices").fetchall()}
    rows: list[tuple[Any, ...]] = []
    for model in sorted(set(models) - known):
        price = prices.resolve(model)
        rows.append(price.row() if price else (model, *([None] * (PRICE_COLUMNS - 1))))
    if rows:
        placeholders = ", ".join(["?"] * PRICE_COLUMNS)
        cur.executemany(f"INSERT INTO model_prices VALUES ({placeholders})", rows)


def reprice(cur: duckdb.DuckDBPyConnection, prices: PriceResolver) -> None:
    """Price every model again, every usage row and every roll-up with it."""
    models = [r[0] for r in cur.execute("SELECT model FROM model_prices").fetchall()]
    cur.execute("DELETE FROM model_prices")
    ensure_prices(cur, models, prices)
    cur.execute(rollups.RECOST_USAGE)
    rollups.refresh(cur, full=True)


# -- bulk loads -------------------------------------------------------------------------------


BULK_MEMORY_LIMIT = "512MB"


def start_bulk_load(cur: duckdb.DuckDBPyConnection, wal_limit: str) -> None:
    """A bulk load: batches append to the WAL until it passes `wal_limit`, on one DuckDB
    thread (the cores are busy parsing in the worker processes), and DuckDB's buffers are held
    to BULK_MEMORY_LIMIT: blocks a checkpoint has written are dropped from memory, not kept
    until the index's own limit (on a 5 GB history that kept the server near 1 GB)."""
    cur.execute(f"SET checkpoint_threshold = '{wal_limit}'")
    cur.execute("SET threads = 1")
    cur.execute(f"SET memory_limit = '{BULK_MEMORY_LIMIT}'")


def all_threads(cur: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """Every core and the index's memory limit for DuckDB again (parsing is over)."""
    cur.execute("RESET threads")
    cur.execute(f"SET memory_limit = '{memory_limit}'")


def checkpoint(cur: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """Back to small automatic checkpoints, and the WAL written into the index file now."""
    cur.execute("RESET checkpoint_threshold")
    all_threads(cur, memory_limit)
    cur.execute("CHECKPOINT")
