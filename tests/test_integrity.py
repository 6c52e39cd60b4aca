"""Nothing lost, nothing changed: the data directory stays byte-for-byte the same, an
interrupted index resumes to the same totals, a damaged index is rebuilt and one in use by
another process is left alone."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from claude_code_tracer.config import Settings
from claude_code_tracer.demo.builder import ClaudeDir, Usage
from claude_code_tracer.index.schema import SCHEMA_VERSION, Database, IndexInUse
from claude_code_tracer.ingest import batches, sync
from claude_code_tracer.ingest.sync import Cancelled, IndexStatus
from claude_code_tracer.main import create_app
from claude_code_tracer.runtime import Runtime
from helpers.index import IndexFactory
from helpers.safety import (
    BLOG,
    HOST,
    SHOP,
    T0,
    Crawl,
    make_settings,
    raw_request,
    small_history,
    totals,
    tree_snapshot,
)


def odd_corners(claude: ClaudeDir) -> None:
    """What a real data directory also holds: links, an empty and an unreadable file."""
    folder = claude.projects_dir / "-home-dev-shop"
    (folder / "link.jsonl").symlink_to(next(folder.glob("*.jsonl")).name)
    (folder / "dangling.jsonl").symlink_to("/nonexistent/x.jsonl")
    (folder / "empty.jsonl").write_bytes(b"")
    locked = folder / "locked.jsonl"
    locked.write_text('{"type":"user","message":{"role":"user","content":"private"}}\n')
    locked.chmod(0)
    (claude.root / "settings.json").write_text('{"theme": "dark"}')
    (claude.root / "history.jsonl").write_text('{"display": "hello"}\n')


def test_indexing_serving_and_watching_change_nothing_in_the_data_directory(
    tmp_path: Path,
) -> None:
    claude = ClaudeDir(tmp_path / "claude", seed=5)
    small_history(claude)
    odd_corners(claude)
    before = tree_snapshot(claude.root)
    settings = make_settings(claude.root, tmp_path / "cache", watch=True, poll_interval_s=0.1)
    app = create_app(settings)  # the index loop, the watcher and the price loop (offline)
    with TestClient(app, base_url=f"http://{HOST}"):
        runtime = app.state.runtime
        assert runtime.ready.wait(30)
        statuses = Crawl(app, entries=100).run()
        assert set(statuses.values()) == {200}
        deadline = time.monotonic() + 10
        watcher = None
        while watcher is None or not (watcher.active.is_set() or watcher.failed.is_set()):
            assert time.monotonic() < deadline, "the watcher never started"
            time.sleep(0.05)
            watcher = runtime.watcher
        time.sleep(2.0)  # watching (or polling where the system cannot watch) for a while
        assert raw_request(app, "/health").json()["index"]["state"] == "ready"
    assert tree_snapshot(claude.root) == before
    (claude.root / "projects/-home-dev-shop/locked.jsonl").chmod(0o600)


# -- an interrupted index ------------------------------------------------------------------------


def many_sessions(claude: ClaudeDir) -> None:
    """Twelve sessions in two projects, subagents, and one answer copied into a resumed file."""
    for i in range(12):
        s = claude.project(SHOP if i % 2 else BLOG).session(start=T0.replace(hour=i + 1))
        s.prompt(f"task {i}")
        reply = s.say(f"step one of {i}", usage=Usage(input=i + 1, output=10 * i, cache_read=100))
        if i % 3 == 0:
            agent = s.spawn("Look", f"look at {i}", usage=Usage(output=5))
            agent.finish("seen", usage=Usage(input=2, output=20, cache_1h=300))
        s.bash("make", "ok", usage=Usage(input=3, output=30 + i))
        if i == 7:
            copy = claude.project(SHOP).session(start=T0.replace(hour=20))
            for line in reply.lines:
                copy.write_json({**line, "sessionId": copy.session_id})
            copy.prompt("resumed")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """One file per batch and a commit after each: many places to stop."""
    monkeypatch.setattr(batches, "CHUNK_BYTES", 1)
    monkeypatch.setattr(sync, "COMMIT_BYTES", 1)
    monkeypatch.setattr(sync, "SINGLE_TRANSACTION_BYTES", 0)


def stop_after_first_batch(ix: Any) -> Callable[[IndexStatus], None]:
    def progress(status: IndexStatus) -> None:
        if status.files_done >= 1:
            ix.indexer.cancel.set()

    return progress


@pytest.mark.parametrize("mode", ["batched", "one transaction"])
def test_an_interrupted_index_resumes_to_the_same_totals(
    mode: str,
    claude_dir: ClaudeDir,
    make_index: IndexFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many_sessions(claude_dir)
    expected = totals(make_index(claude_dir.root, name="whole").db)
    monkeypatch.setattr(batches, "CHUNK_BYTES", 1)
    if mode == "batched":
        monkeypatch.setattr(sync, "COMMIT_BYTES", 1)
        monkeypatch.setattr(sync, "SINGLE_TRANSACTION_BYTES", 0)

    first = make_index(claude_dir.root, name="stopped", sync=False)
    with pytest.raises(Cancelled):
        first.indexer.sync(stop_after_first_batch(first))
    files = first.one("SELECT count(*) FROM files")
    total = len(first.indexer.discover())
    if mode == "batched":
        assert 1 <= files < total  # some batches are in, the rest are not
        assert first.db.get_meta("derived_clean") == "0"
    else:
        assert files == 0  # one transaction: all or nothing
    first.close()

    again = make_index(claude_dir.root, name="stopped", sync=False)
    assert again.db.rebuilt is False
    report = again.sync()
    assert report.parsed == total - (files if mode == "batched" else 0)
    assert again.db.get_meta("derived_clean") == "1"
    assert totals(again.db) == expected


def test_a_bulk_load_checkpointing_along_the_way_gives_the_same_totals(
    claude_dir: ClaudeDir, make_index: IndexFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past BULK_WAL_LIMIT of WAL a bulk load checkpoints as it goes (bounded memory)."""
    many_sessions(claude_dir)
    expected = totals(make_index(claude_dir.root, name="whole").db)
    monkeypatch.setattr(batches, "CHUNK_BYTES", 1)
    monkeypatch.setattr(sync, "COMMIT_BYTES", 1)
    monkeypatch.setattr(sync, "SINGLE_TRANSACTION_BYTES", 0)
    monkeypatch.setattr(sync, "BULK_WAL_LIMIT", "1KB")
    ix = make_index(claude_dir.root, name="stepped", sync=False)
    wal = Path(f"{ix.db.path}.wal")
    sizes: list[int] = []
    ix.indexer.sync(lambda status: sizes.append(wal.stat().st_size if wal.exists() else 0))
    assert totals(ix.db) == expected
    # the WAL was folded into the file as it grew (without the limit it only grows)
    assert len(sizes) > 3 and any(b < a for a, b in itertools.pairwise(sizes))


def test_stopping_the_server_mid_index_then_starting_again(
    tmp_path: Path, claude_dir: ClaudeDir, make_index: IndexFactory, small_batches: None
) -> None:
    many_sessions(claude_dir)
    expected = totals(make_index(claude_dir.root, name="whole").db)
    settings = make_settings(claude_dir.root, tmp_path / "cache")
    midway = threading.Event()
    holder: list[Runtime] = []

    def progress(status: IndexStatus) -> None:
        if status.files_done >= 2 and not midway.is_set():
            midway.set()
            holder[0].stop_event.wait(10)  # the stop arrives while a batch is in hand

    runtime = Runtime(settings, progress=progress)
    holder.append(runtime)
    runtime.start()
    assert midway.wait(30)
    started = time.monotonic()
    runtime.stop()
    assert time.monotonic() - started < 5
    assert not any(t.is_alive() for t in runtime._threads)
    db = Database(settings.db_path)
    with db.reading() as cur:
        row = cur.execute("SELECT count(*) FROM files").fetchone()
    assert row is not None and 2 <= row[0] < len(claude_dir.files())
    db.close()

    restarted = Runtime(settings)
    try:
        assert restarted.db.rebuilt is False
        restarted.sync_now()
        assert totals(restarted.db) == expected
    finally:
        restarted.stop()


# -- a damaged index -------------------------------------------------------------------------------


def garbage(path: Path) -> None:
    path.write_bytes(b"not an index at all\x00\xff" * 4096)


def truncated(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)


def header_damaged(path: Path) -> None:
    """A block checksum fails when the file is opened ("... in block at location 4096")."""
    with path.open("r+b") as f:
        f.seek(4096)
        f.write(b"\xaa" * 8192)


def older_schema(path: Path) -> None:
    """An index written by an older version: other columns, an older schema number."""
    with duckdb.connect(str(path)) as conn:
        conn.execute("ALTER TABLE sessions DROP COLUMN bad_lines")
        conn.execute("DROP TABLE activity_buckets")
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION - 3)]
        )


def garbage_wal(path: Path) -> None:
    """DuckDB passes over a log it cannot read: nothing to rebuild, nothing lost."""
    Path(f"{path}.wal").write_bytes(b"\x00\x01 half a write-ahead log" * 1000)


@pytest.mark.parametrize(
    "damage",
    [garbage, truncated, header_damaged, older_schema, garbage_wal],
    ids=lambda f: f.__name__,
)
def test_a_damaged_index_is_rebuilt_with_the_right_totals(
    damage: Callable[[Path], None], tmp_path: Path, claude_dir: ClaudeDir
) -> None:
    small_history(claude_dir)
    settings = make_settings(claude_dir.root, tmp_path / "cache")
    runtime = Runtime(settings)
    runtime.sync_now()
    expected = totals(runtime.db)
    runtime.stop()
    damage(settings.db_path)

    app = create_app(settings, start=False)
    runtime = app.state.runtime
    try:
        assert runtime.db.rebuilt is (damage is not garbage_wal)
        runtime.sync_now()
        assert totals(runtime.db) == expected
        health = raw_request(app, "/health").json()
        assert (health["status"], health["index"]["sessions"]) == ("ok", 2)
    finally:
        runtime.stop()


HOLDER = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(60)
"""


def test_an_index_in_use_by_another_process_is_not_deleted(
    tmp_path: Path, claude_dir: ClaudeDir, make_index: IndexFactory
) -> None:
    small_history(claude_dir)
    ix = make_index(claude_dir.root)
    expected = totals(ix.db)
    path = ix.db.path
    ix.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexInUse):
            Database(path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    finally:
        holder.kill()
        holder.wait(10)
    reopened = make_index(claude_dir.root, sync=False)
    assert reopened.db.rebuilt is False
    assert totals(reopened.db) == expected
    assert os.path.exists(path)


def test_damage_deep_inside_the_index_is_found_and_rebuilt(
    claude_dir: ClaudeDir, tmp_path: Path
) -> None:
    """Opening checks only the header: the whole index is read after start, and rebuilt."""
    for n in range(30):
        s = claude_dir.project(f"/w/deep-{n % 3}").session(f"deep-{n:02d}")
        s.prompt("x" * 2000)
        s.assistant("y" * 3000, usage=Usage(input=7, output=70, cache_read=700))
    settings = Settings(
        claude_dirs=(claude_dir.root,), cache_dir=tmp_path / "cache", offline=True, watch=False
    )
    first = Runtime(settings)
    first.sync_now()
    with first.db.reading() as cur:
        expected = cur.execute("SELECT sum(output_tokens), count(*) FROM usage").fetchall()
    first.db.close()
    data = bytearray(settings.db_path.read_bytes())
    inside = data.find(b"x" * 500)  # a block of the messages table: every read reaches it
    assert inside > 4096 * 3  # past the headers
    data[inside : inside + 8192] = bytes(range(256)) * 32
    settings.db_path.write_bytes(bytes(data))

    second = Runtime(settings)  # the header is intact: it opens
    second.sync_now()
    assert second.db.verify() is False
    assert second.check_index() is False  # found damaged, rebuilt
    assert second.db.verify() is True
    with second.db.reading() as cur:
        assert cur.execute("SELECT sum(output_tokens), count(*) FROM usage").fetchall() == (
            expected
        )
    second.db.close()
