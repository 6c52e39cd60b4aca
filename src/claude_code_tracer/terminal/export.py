"""`cctracer export parquet|csv DIR` and `cctracer sql "SELECT ..."`: the index's facts as
tables (`index.exports`) for the engines built for scale, and read-only SQL over the same
tables. (`cctracer export otlp`, the traces, is `terminal.otlp`.)"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import shutil
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

import duckdb

from claude_code_tracer import __version__
from claude_code_tracer.config import Settings
from claude_code_tracer.index.exports import (
    EXPORT_SCHEMA_VERSION,
    EXPORT_TABLES,
    FINGERPRINTS,
    MACHINE_VARIABLE,
    view_sql,
)
from claude_code_tracer.terminal.args import OneLineParser, day
from claude_code_tracer.terminal.source import ReportError, bring_up_to_date

MACHINE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MANIFESTS = "_manifests"  # DIR/_manifests/<machine>.json: what each machine last exported
PARQUET_FILE = "data_0.parquet"
# statements `cctracer sql` runs; anything else is refused before it reaches the engine
READ_ONLY_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)


def machine_name(given: str | None) -> str:
    name = given or socket.gethostname().split(".")[0] or "localhost"
    if not MACHINE_NAME.match(name):
        raise ReportError(
            f"machine name {name!r}: letters, digits, '.', '_' and '-' only (at most 64)"
        )
    return name


def schema_text() -> str:
    lines = [f"# claude-code-tracer export schema, version {EXPORT_SCHEMA_VERSION}", ""]
    for t in EXPORT_TABLES:
        lines += [f"## {t.name}", "", t.about, ""]
        lines += [f"- `{c.name}` {c.type}: {c.about}" for c in t.columns]
        lines.append("")
    return "\n".join(lines)


@contextlib.contextmanager
def open_index(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The index brought up to date, for this process alone (a running server holds it)."""
    from claude_code_tracer.index.schema import Database, IndexInUse, IndexTooNew
    from claude_code_tracer.terminal.progress import ProgressBar

    try:
        db = Database(settings.db_path, refuse_newer=True)
    except IndexTooNew as exc:
        raise ReportError(str(exc)) from exc
    except IndexInUse as exc:
        raise ReportError(
            f"the index {settings.db_path} is held by a running cctracer; stop it, then run "
            "this again"
        ) from exc
    try:
        bring_up_to_date(db, settings, ProgressBar(sys.stderr, summary=False))
        with db.reading() as cur:
            yield cur
    finally:
        db.close()


def database(cur: duckdb.DuckDBPyConnection) -> str:
    """The index's catalog name (the engine names it after the file)."""
    row = cur.execute("SELECT current_database()").fetchone()
    return str(row[0]) if row else "main"


def _manifest_path(out: Path, machine: str) -> Path:
    return out / MANIFESTS / f"{machine}.json"


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: not a manifest this program wrote ({exc})") from exc
    if doc.get("schema") != EXPORT_SCHEMA_VERSION:
        return {}  # another schema: everything is written again
    return doc if isinstance(doc, dict) else {}


def _fingerprints(
    cur: duckdb.DuckDBPyConnection, view: str, since: date | None
) -> dict[str, list[int]]:
    rows = cur.execute(FINGERPRINTS.format(view=view), [since, since]).fetchall()
    return {d.isoformat(): [int(n), int(f)] for d, n, f in rows if d is not None}


def _partition(out: Path, table: str, day_: str, machine: str) -> Path:
    return out / table / f"date={day_}" / f"machine={machine}"


def export_parquet(
    cur: duckdb.DuckDBPyConnection, out: Path, machine: str, since: date | None
) -> dict[str, Any]:
    """Write each table's days that changed since this machine's last export into `out`."""
    manifest_path = _manifest_path(out, machine)
    manifest = _read_manifest(manifest_path)
    before: dict[str, dict[str, list[int]]] = manifest.get("tables", {})
    after: dict[str, dict[str, list[int]]] = {}
    written: dict[str, int] = {}
    db = database(cur)
    for table in EXPORT_TABLES:
        view = view_sql(table, db)
        now = _fingerprints(cur, view, since)
        old = before.get(table.name, {})
        kept = {d: fp for d, fp in old.items() if since is not None and d < since.isoformat()}
        changed = sorted(d for d, fp in now.items() if old.get(d) != fp)
        gone = sorted(d for d in old if d not in now and d not in kept)
        for d in gone:
            shutil.rmtree(_partition(out, table.name, d, machine), ignore_errors=True)
        rows = 0
        if changed and not old:
            # a first export of this table: one pass, partitioned by the engine
            target = out / table.name
            target.mkdir(parents=True, exist_ok=True)
            for d in changed:
                shutil.rmtree(_partition(out, table.name, d, machine), ignore_errors=True)
            cur.execute(
                f"COPY (SELECT * FROM ({view}) v WHERE v.date IS NOT NULL "
                "AND (?::DATE IS NULL OR v.date >= ?)) TO ? "
                "(FORMAT parquet, PARTITION_BY (date, machine), OVERWRITE_OR_IGNORE, "
                f"FILENAME_PATTERN 'data_{{i}}')",
                [since, since, str(target)],
            )
        else:
            for d in changed:
                part = _partition(out, table.name, d, machine)
                shutil.rmtree(part, ignore_errors=True)
                part.mkdir(parents=True)
                cur.execute(
                    f"COPY (SELECT * EXCLUDE (date, machine) FROM ({view}) v "
                    "WHERE v.date = ?::DATE) TO ? (FORMAT parquet)",
                    [d, str(part / PARQUET_FILE)],
                )
        rows = sum(now[d][0] for d in changed)
        written[table.name] = rows
        after[table.name] = {**kept, **now}
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema": EXPORT_SCHEMA_VERSION,
        "format": "parquet",
        "machine": machine,
        "version": __version__,
        "tables": after,
    }
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
    tmp.replace(manifest_path)
    return written


def export_csv(
    cur: duckdb.DuckDBPyConnection, out: Path, machine: str, since: date | None
) -> dict[str, int]:
    """Each table whole (since a date) as `out/machine=NAME/TABLE.csv`, written afresh."""
    folder = out / f"machine={machine}"
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    db = database(cur)
    for table in EXPORT_TABLES:
        view = view_sql(table, db)
        path = folder / f"{table.name}.csv"
        tmp = folder / f".{table.name}.csv.tmp"
        cur.execute(
            f"COPY (SELECT * FROM ({view}) v WHERE (?::DATE IS NULL OR v.date >= ?) "
            "ORDER BY ALL) TO ? (FORMAT csv, HEADER)",
            [since, since, str(tmp)],
        )
        tmp.replace(path)
        row = cur.execute(
            f"SELECT count(*) FROM ({view}) v WHERE (?::DATE IS NULL OR v.date >= ?)",
            [since, since],
        ).fetchone()
        written[table.name] = int(row[0]) if row else 0
    return written


def machine_and_settings(
    args: argparse.Namespace, env: Mapping[str, str] | None
) -> tuple[str, Settings]:
    """The machine name and the settings of an export or a query (offline: no prices fetched)."""
    machine = machine_name(args.machine)
    settings = Settings.from_env(
        os.environ if env is None else env, claude_dirs=args.claude_dir, offline=True
    )
    return machine, settings


def export_parser() -> OneLineParser:
    p = OneLineParser(
        prog="cctracer export",
        description="The index's facts as tables: Parquet (hive-partitioned by date and "
        "machine, incremental) or CSV, for DuckDB, Polars, Spark, Trino or ClickHouse; or the "
        "sessions as OpenTelemetry traces: `cctracer export otlp --endpoint URL` (its own "
        "--help).",
    )
    p.add_argument("format", nargs="?", choices=("parquet", "csv", "otlp"), help="what to write")
    p.add_argument("dir", nargs="?", type=Path, help="the folder to write into")
    p.add_argument("--schema", action="store_true", help="print the tables and their columns")
    p.add_argument("--since", type=day, metavar="DATE", help="only days from DATE (UTC)")
    p.add_argument("--machine", metavar="NAME", help="the machine= partition (default: host name)")
    p.add_argument("--claude-dir", metavar="DIR[,DIR...]", help="as for the server")
    return p


def run_export(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = export_parser()
    args = parser.parse_args(argv)
    if args.schema:
        out.write(schema_text())
        return 0
    if args.format == "otlp":
        parser.error("otlp comes first: cctracer export otlp --endpoint URL [options]")
    if args.format is None or args.dir is None:
        parser.error("give a format (parquet or csv) and a folder, or --schema")
    try:
        machine, settings = machine_and_settings(args, env)
        target: Path = args.dir.expanduser().resolve()
        for root in settings.claude_dirs:
            if target == root.resolve() or root.resolve() in target.parents:
                raise ReportError(f"{target} is inside the Claude data directory {root}")
        target.mkdir(parents=True, exist_ok=True)
        with open_index(settings) as cur:
            cur.execute(f"SET VARIABLE {MACHINE_VARIABLE} = ?", [machine])
            if args.format == "parquet":
                written = export_parquet(cur, target, machine, args.since)
            else:
                written = export_csv(cur, target, machine, args.since)
    except (ReportError, ValueError, OSError, duckdb.Error) as exc:
        err.write(f"cctracer export: {exc}\n")
        return 1
    total = sum(written.values())
    parts = ", ".join(f"{n:,} {name}" for name, n in written.items() if n)
    out.write(
        f"{args.format} into {target} (machine={machine}): "
        + (f"{total:,} rows written ({parts})" if total else "nothing changed")
        + "\n"
    )
    return 0


def sql_parser() -> OneLineParser:
    p = OneLineParser(
        prog="cctracer sql",
        description="Read-only SQL over the export's tables ("
        + ", ".join(t.name for t in EXPORT_TABLES)
        + "); `cctracer export --schema` lists their columns.",
    )
    p.add_argument("query", help="one SELECT statement")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="rows as a JSON list of objects")
    shape.add_argument("--csv", action="store_true", help="rows as CSV with a header")
    p.add_argument("--machine", metavar="NAME", help="the machine column (default: host name)")
    p.add_argument("--claude-dir", metavar="DIR[,DIR...]", help="as for the server")
    return p


def check_read_only(query: str) -> None:
    """One SELECT (or EXPLAIN), nothing else: a write, COPY, ATTACH, INSTALL, PRAGMA or SET
    is refused here, before the engine runs anything."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise ReportError(f"not SQL this can run: {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1:
        raise ReportError("give exactly one statement")
    kind = statements[0].type
    if kind not in READ_ONLY_STATEMENTS:
        name = str(kind).rsplit(".", 1)[-1]
        raise ReportError(f"only SELECT is allowed here, not {name}")


def run_sql(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = sql_parser().parse_args(argv)
    try:
        check_read_only(args.query)
        machine, settings = machine_and_settings(args, env)
        with open_index(settings) as cur:
            cur.execute(f"SET VARIABLE {MACHINE_VARIABLE} = ?", [machine])
            for table in EXPORT_TABLES:
                cur.execute(
                    f"CREATE OR REPLACE TEMP VIEW {table.name} AS {view_sql(table, database(cur))}"
                )
            # no file, no network, no extension, and no way to turn that back on
            cur.execute("SET enable_external_access = false")
            cur.execute("SET lock_configuration = true")
            result = cur.execute(args.query)
            names = [d[0] for d in result.description or ()]
            rows = result.fetchall()
    except ReportError as exc:
        err.write(f"cctracer sql: {exc}\n")
        return 1
    except duckdb.Error as exc:
        err.write(f"cctracer sql: {str(exc).splitlines()[0]}\n")
        return 1
    if args.json:
        docs = [dict(zip(names, row, strict=True)) for row in rows]
        out.write(json.dumps(docs, default=str, indent=2) + "\n")
    elif args.csv:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
    else:
        from rich import box
        from rich.table import Table

        from claude_code_tracer.terminal.render import console

        t = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
        for name in names:
            t.add_column(name, overflow="fold")
        for row in rows:
            t.add_row(*("" if v is None else str(v) for v in row))
        console(out).print(t)
        console(err).print(f"{len(rows):,} rows", style="dim")
    return 0
