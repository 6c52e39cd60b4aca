"""Where a cold index's time goes: each stage of the work over a whole history, in one process,
as CPU seconds, beside ccusage's binary on the same files.

uv run python bench/profile.py HISTORY [--ccusage-dir DIR] [--search]

The stages nest: each includes the one before it. "read" splits the files into lines; "decode"
adds the JSON decoding of every line the parser reads (progress lines without a fact are passed
over before decoding, as the parser does); "parse" is the parser whole (rows for every table);
"columns" adds the Arrow columns a worker hands over. What a cold index adds beyond the
workers (DuckDB's inserts, the roll-ups, the prompt facts) is the indexer's own process; both
are measured on a real cold index at the end. With W worker processes, a stage's CPU seconds
÷ W is the least wall time it can take.

With --search, the least a search index of the same history costs: reading its searchable text
back, and the engine (tantivy) indexing that text alone, without any other field.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import tantivy

from claude_code_tracer.config import Settings
from claude_code_tracer.index.fulltext import TOKENIZER, WRITER_HEAP, analyzer
from claude_code_tracer.index.schema import Database
from claude_code_tracer.ingest.batches import Source, chunk_work, parse_chunk
from claude_code_tracer.ingest.discovery import discover
from claude_code_tracer.ingest.sync import Indexer, work_item
from claude_code_tracer.pricing import PriceBook
from claude_code_tracer.transcript.lines import iter_lines, open_regular
from claude_code_tracer.transcript.parser import (
    AGENT_PROGRESS,
    PROGRESS_MARK,
    PROGRESS_MARK_WITHIN,
    TYPE_KEY,
    parse_file,
)
from claude_code_tracer.transcript.search_text import read_rows
from claude_code_tracer.transcript.state import FileJob
from procs import ccusage_binary, log, run_ccusage

Work = list[tuple[FileJob, Source]]


def jobs(history: Path) -> Work:
    return [work_item(f, i) for i, f in enumerate(discover((history,)).files, start=1)]


def read_only(work: Work) -> int:
    lines = 0
    for job, _ in work:
        with open_regular(job.path, 1 << 20) as stream:
            for _ in iter_lines(stream):
                lines += 1
    return lines


def decode(work: Work) -> int:
    decoded = 0
    loads = orjson.loads
    for job, _ in work:
        with open_regular(job.path, 1 << 20) as stream:
            for _, raw, complete in iter_lines(stream):
                if raw is None:
                    continue
                if complete and (at := raw.find(TYPE_KEY, 0, PROGRESS_MARK_WITHIN)) >= 0:
                    at += len(TYPE_KEY)
                    if raw.startswith(PROGRESS_MARK, at) and not raw.startswith(
                        AGENT_PROGRESS, at + len(PROGRESS_MARK)
                    ):
                        continue
                try:
                    loads(raw)
                except orjson.JSONDecodeError:
                    continue
                decoded += 1
    return decoded


def parse(work: Work) -> int:
    rows = 0
    for job, _ in work:
        rows += sum(len(r) for r in parse_file(job).rows.values())
    return rows


def columns(work: Work) -> int:
    return sum(parse_chunk(chunk).files for chunk in chunk_work(work))


def search_floor(work: Work) -> dict[str, float]:
    """The least a search index of the history costs: reading its searchable text back
    (one process), and the engine indexing that text alone, with none of the fields beside
    it, in memory (its own threads, as many as the workers)."""
    gc.collect()
    started = time.process_time()
    docs = [read_rows(job.path) or [] for job, _ in work]
    reading = time.process_time() - started
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("body", stored=False, tokenizer_name=TOKENIZER, index_option="position")
    index = tantivy.Index(sb.build())
    index.register_tokenizer(TOKENIZER, analyzer())
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=2)
    started = time.process_time()
    for rows in docs:
        for row in rows:
            doc = tantivy.Document()
            doc.add_text("body", row[1])
            writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    engine = time.process_time() - started
    chars = sum(len(row[1]) for rows in docs for row in rows)
    return {"reading_cpu_s": reading, "engine_cpu_s": engine, "chars": chars}


def cpu(stage: Callable[[Work], int], work: Work) -> float:
    gc.collect()
    gc.disable()  # as the workers run
    try:
        started = time.process_time()
        stage(work)
        return time.process_time() - started
    finally:
        gc.enable()


def cold_index(history: Path) -> dict[str, float]:
    """A real cold index in this process: wall time, this process's CPU (the indexer, DuckDB's
    threads) and the CPU of its worker processes."""
    with tempfile.TemporaryDirectory(prefix="cctracer-profile-") as tmp:
        env = dict(os.environ, CLAUDE_DIR=str(history), XDG_CACHE_HOME=tmp, HOME=tmp)
        settings = Settings.from_env(env, offline=True)
        db = Database(settings.db_path)
        prices = PriceBook(cache_path=settings.pricing_cache_path, url="", offline=True)
        indexer = Indexer(db, settings.claude_dirs, prices, workers=settings.workers)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = time.process_time()
        started = time.perf_counter()
        indexer.sync()
        wall = time.perf_counter() - started
        own = time.process_time() - own
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    workers_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return {"wall_s": wall, "indexer_cpu_s": own, "workers_cpu_s": workers_cpu}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("history", type=Path)
    ap.add_argument("--ccusage-dir", type=Path, default=None)
    ap.add_argument("--search", action="store_true", help="also the search index's floor")
    a = ap.parse_args(argv)
    if not (a.history / "projects").is_dir():
        print(f"profile: {a.history} has no projects/", file=sys.stderr)
        return 1
    work = jobs(a.history)
    size = sum(s.size for _, s in work)
    workers = Settings.from_env(dict(os.environ, CLAUDE_DIR=str(a.history))).workers
    workers = workers or os.cpu_count() or 1
    log(f"{len(work):,} files, {size / 1e6:,.0f} MB, {workers} workers")
    read_only(work)  # the files in the page cache, as for every run measured
    stages: list[tuple[str, float]] = []
    for name, stage in (("read", read_only), ("decode", decode), ("parse", parse)):
        stages.append((name, cpu(stage, work)))
        log(f"{name}: {stages[-1][1]:.2f} s CPU")
    stages.append(("columns", cpu(columns, work)))
    log(f"columns: {stages[-1][1]:.2f} s CPU")
    cold = cold_index(a.history)
    log(
        f"cold index: {cold['wall_s']:.2f} s, indexer {cold['indexer_cpu_s']:.2f} s CPU, "
        f"workers {cold['workers_cpu_s']:.2f} s CPU"
    )
    ccusage_s = None
    if a.ccusage_dir is not None and ccusage_binary(a.ccusage_dir) is not None:
        ccusage_s = run_ccusage(a.history, a.ccusage_dir).seconds
    print(report(stages, cold, ccusage_s, workers, size))
    if a.search:
        floor = search_floor(work)
        print(
            f"\nSearch index: reading the text back {floor['reading_cpu_s']:.2f} s CPU "
            f"({floor['chars'] / 1e6:,.0f} M characters); the engine indexing the text alone "
            f"{floor['engine_cpu_s']:.2f} s CPU: at least "
            f"{floor['engine_cpu_s'] / workers:.2f} s on {workers} cores, "
            f"{floor['engine_cpu_s'] / workers / cold['wall_s'] * 100:.0f} % of this cold index"
        )
    return 0


def report(
    stages: list[tuple[str, float]],
    cold: dict[str, Any],
    ccusage_s: float | None,
    workers: int,
    size: int,
) -> str:
    def times(seconds: float) -> str:
        return f"{seconds / ccusage_s:.2f}×" if ccusage_s else ""

    out = [
        f"| Stage (each includes the one before) | CPU, one process | ÷ {workers} workers | "
        "× ccusage | MB/s per process |",
        "| --- | --- | --- | --- | --- |",
    ]
    before = 0.0
    for name, seconds in stages:
        out.append(
            f"| {name} (+{seconds - before:.2f} s) | {seconds:.2f} s | {seconds / workers:.2f} s "
            f"| {times(seconds / workers)} | {size / 1e6 / seconds:,.0f} |"
        )
        before = seconds
    wall = cold["wall_s"]
    out.append(
        f"| cold index, whole | indexer {cold['indexer_cpu_s']:.2f} s + workers "
        f"{cold['workers_cpu_s']:.2f} s | {wall:.2f} s wall | {times(wall)} | "
        f"{size / 1e6 / wall:,.0f} |"
    )
    if ccusage_s:
        out.append(f"| ccusage binary, same files | | {ccusage_s:.2f} s wall | 1.00× | |")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
