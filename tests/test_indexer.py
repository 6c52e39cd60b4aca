"""Discovery, incremental sync, rebuilds and the derived facts of the index."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from claude_code_tracer.demo.builder import (
    ClaudeDir,
    Session,
    ToolCall,
    Usage,
    bash_op,
    task_call,
)
from claude_code_tracer.index.schema import SCHEMA_VERSION, Database
from claude_code_tracer.ingest import batches, sync, workers
from claude_code_tracer.ingest.discovery import discover
from claude_code_tracer.transcript import parser
from claude_code_tracer.transcript.state import FileJob, ParsedFile

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
SONNET = "claude-sonnet-4-5-20250929"
OPUS = "claude-opus-4-6"
HAIKU = "claude-haiku-4-5-20251001"

TOTALS = (
    "SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), "
    "sum(cache_read_tokens), round(sum(cost), 9) FROM sessions"
)


def session(claude: ClaudeDir, cwd: str = "/home/dev/shop", **kw: Any) -> Session:
    kw.setdefault("start", T0)
    return claude.project(cwd).session(**kw)


def history(claude: ClaudeDir) -> dict[str, Session]:
    """A small history with every layout, a resumed copy and a compaction."""
    a = session(claude, "/home/dev/shop", model=OPUS)
    a.prompt("add a discount field to the cart")
    a.bash("pytest -q", "3 passed", usage=Usage(input=3, output=80, cache_1h=2000, cache_read=9000))
    agent = a.spawn("Find discount usages", "Where is discount used?", usage=Usage(output=40))
    agent.bash("rg discount", "cart.py:12", usage=Usage(input=2, output=20, cache_1h=500))
    agent.finish("Only cart.py.", usage=Usage(input=2, output=60, cache_read=500))
    a.compact("Discount work.", pre_tokens=12_000, usage=Usage(input=3, output=8, cache_1h=900))
    a.prompt("now the tests")
    a.say("Done.", usage=Usage(input=1, output=30, cache_read=3000))

    b = session(claude, "/home/dev/shop", version="2.0.76", model=SONNET)
    b.prompt("explain the checkout flow")
    reply = b.say("It has three steps.", usage=Usage(input=5, output=300, cache_5m=4000))
    legacy = b.spawn("Trace", "Trace checkout()", layout="legacy", usage=Usage(output=15))
    legacy.finish("Three calls.", usage=Usage(input=1, output=50, cache_5m=700))
    b.warmup(usage=Usage(input=4, output=12, cache_5m=9800))

    # a resumed 1.0.x copy: the same response copied into a new file
    c = session(claude, "/home/dev/shop", version="1.0.98", model=SONNET)
    for line in reply.lines:
        c.write_json({**line, "sessionId": c.session_id})
    c.prompt("and the refund flow?")
    inline = c.spawn("Refunds", "Explain refunds", layout="inline", usage=Usage(output=10))
    inline.finish("Refunds reverse the charge.", usage=Usage(input=2, output=40, cache_5m=100))

    d = session(claude, "/srv/blog", model=HAIKU, git_branch="draft")
    d.prompt("fix the RSS feed")
    d.write("/srv/blog/feed.py", "def feed():\n    return []\n", usage=Usage(input=9, output=90))
    return {"a": a, "b": b, "c": c, "d": d}


EXPECTED_TOTALS = (
    4,
    3 + 3 + 2 + 2 + 3 + 1 + 5 + 3 + 1 + 4 + 3 + 2 + 9,
    80 + 40 + 20 + 60 + 8 + 30 + 300 + 15 + 50 + 12 + 10 + 40 + 90,
    2000 + 500 + 900 + 4000 + 700 + 9800 + 100,
    9000 + 500 + 3000,
)


def snapshot_of(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.join(dirpath, name)] = "dir"
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                out[path] = "link:" + os.readlink(path)
                continue
            with open(path, "rb") as f:
                out[path] = hashlib.sha256(f.read()).hexdigest()
    return out


# -- discovery -------------------------------------------------------------------------------


def test_discovery_of_every_layout_and_odd_entries(claude_dir: ClaudeDir) -> None:
    s = session(claude_dir, "/home/dev/shop")
    s.prompt("go")
    sub = s.spawn("Look", "Look around")
    sub.finish("ok")
    legacy = s.spawn("Old", "Old layout", layout="legacy")
    legacy.finish("ok")
    sub_dir = s.path.parent / s.session_id / "subagents"
    run = sub_dir / "workflows" / "run-1"
    run.mkdir(parents=True)
    (run / "journal.jsonl").write_text('{"type":"started","key":"k","agentId":"w1"}\n')
    (run / "agent-w1.jsonl").write_text("")
    (run / "agent-w1.meta.json").write_text('{"agentType":"workflow-subagent"}')
    (run / "workflows").symlink_to(sub_dir / "workflows")  # a symlink loop
    (sub_dir / "notes.txt").write_text("not a transcript")
    folder = s.path.parent
    (folder / "dead.jsonl").symlink_to(folder / "missing.jsonl")
    (folder / "dir.jsonl").mkdir()
    (folder / "sessions-index.json").write_text("{}")
    (folder / s.session_id / "tool-results").mkdir()
    (folder / s.session_id / "tool-results" / "toolu_x.txt").write_text("big output")
    alias = claude_dir.projects_dir / "-alias-of-shop"
    alias.symlink_to(folder)
    found = discover((claude_dir.root, claude_dir.root / "nowhere"))
    assert found.roots_missing == [str(claude_dir.root / "nowhere")]
    rows = sorted((f.kind, f.session_id, f.agent_id, os.path.basename(f.path)) for f in found.files)
    assert rows == sorted(
        [
            ("session", s.session_id, "", s.path.name),
            ("subagent", s.session_id, sub.agent_id or "", f"agent-{sub.agent_id}.jsonl"),
            ("subagent", s.session_id, "w1", "agent-w1.jsonl"),
            ("legacy_agent", "", legacy.agent_id or "", f"agent-{legacy.agent_id}.jsonl"),
        ]
    )
    metas = {f.agent_id: os.path.basename(f.meta_path) for f in found.files if f.meta_path}
    assert metas == {sub.agent_id: f"agent-{sub.agent_id}.meta.json", "w1": "agent-w1.meta.json"}


def test_legacy_flat_agent_is_attached_to_the_parent_named_by_its_session_id(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    parent = session(claude_dir, version="2.0.74")
    other = session(claude_dir, version="2.0.74")
    other.prompt("unrelated")
    parent.prompt("scan the repo")
    agent = parent.spawn("Scan", "List modules", layout="legacy", usage=Usage(output=10))
    agent.finish("Two modules.", usage=Usage(input=7, output=70))
    ix = index()
    assert ix.rows("SELECT session_id, kind, spawn_tool_use_id FROM agents") == [
        (parent.session_id, "task", agent.call.id)
    ]
    assert ix.one("SELECT session_id FROM files WHERE kind = 'legacy_agent'") == parent.session_id
    assert ix.rows(
        "SELECT subagent_count, sub_input_tokens, sub_output_tokens FROM sessions "
        "WHERE session_id = ?",
        [parent.session_id],
    ) == [(1, 7, 70)]


def test_unreadable_binary_and_dangling_files_do_not_stop_the_index(
    claude_dir: ClaudeDir, index: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = session(claude_dir)
    good.prompt("hello")
    good.say("hi", usage=Usage(input=3, output=20))
    unreadable = session(claude_dir)
    unreadable.prompt("secret")
    binary = good.path.parent / "0f0f0f0f-0000-4000-8000-000000000000.jsonl"
    binary.write_bytes(bytes(range(256)) * 8 + b"\n\x00\x01{\n")
    (good.path.parent / "dangling.jsonl").symlink_to("/nonexistent/file.jsonl")
    real_open = Path.open

    def guarded_open(self: Path, *args: Any, **kw: Any) -> Any:
        if self == unreadable.path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kw)

    monkeypatch.setattr(Path, "open", guarded_open)
    ix = index()
    files = dict(ix.rows("SELECT session_id, bad_reasons FROM files"))
    assert files[unreadable.session_id] == '{"unreadable": 1}'
    assert files[binary.stem] == '{"invalid_json": 2, "invalid_utf8": 8}'
    assert len(files) == 3
    assert ix.rows("SELECT session_id, output_tokens FROM sessions") == [(good.session_id, 20)]


# -- dedup across files ----------------------------------------------------------------------


def test_the_same_response_in_several_files_counts_once(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    built = history(claude_dir)
    ix = index()
    assert ix.rows(TOTALS)[0][:5] == EXPECTED_TOTALS
    # one real line collapsed; the subagents' progress copies all give way to their real lines
    assert ix.one("SELECT count(*) FROM usage WHERE NOT counted AND source = 'line'") == 1
    assert ix.one("SELECT count(*) FROM usage WHERE counted AND source <> 'line'") == 0
    copies = ix.rows(
        "SELECT session_id, counted FROM usage WHERE source = 'line' AND usage_key = "
        "(SELECT usage_key FROM usage WHERE NOT counted AND source = 'line') ORDER BY counted"
    )
    assert sorted(sid for sid, _ in copies) == sorted(
        [built["b"].session_id, built["c"].session_id]
    )
    assert [counted for _, counted in copies] == [False, True]


# -- incremental sync ------------------------------------------------------------------------


class ParseSpy:
    """Records every transcript the parser reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = parser.parse_stream

        def spy(job: FileJob, stream: BinaryIO) -> ParsedFile:
            self.paths.append(job.path)
            return real(job, stream)

        monkeypatch.setattr(parser, "parse_stream", spy)

    def take(self) -> list[str]:
        out, self.paths = sorted(self.paths), []
        return out


def test_incremental_sync_reads_only_changed_files(
    claude_dir: ClaudeDir, make_index: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    built = history(claude_dir)
    spy = ParseSpy(monkeypatch)
    ix = make_index(claude_dir.root)
    assert len(spy.take()) == 8  # 4 sessions, 1 subagent, 1 compaction, 2 flat agents
    assert ix.sync().parsed == 0
    assert spy.take() == []

    d = built["d"]
    d.prompt("also the atom feed")
    d.say("Added.", usage=Usage(input=2, output=12))
    report = ix.sync()
    assert (report.parsed, report.removed) == (1, 0)
    assert report.touched == [(d.path.parent.name, d.session_id)]
    assert spy.take() == [str(d.path)]
    totals = ix.rows(TOTALS)[0]
    assert totals[1:3] == (EXPECTED_TOTALS[1] + 2, EXPECTED_TOTALS[2] + 12)

    d.path.unlink()
    report = ix.sync()
    assert (report.parsed, report.removed) == (0, 1)
    assert ix.one("SELECT count(*) FROM sessions WHERE session_id = ?", [d.session_id]) == 0
    assert ix.one("SELECT count(*) FROM projects") == 1
    assert ix.rows(TOTALS)[0][1:3] == (EXPECTED_TOTALS[1] - 9, EXPECTED_TOTALS[2] - 90)

    # a warm restart reads no transcript
    ix.close()
    warm = make_index(claude_dir.root, sync=False)
    assert warm.db.rebuilt is False
    assert warm.sync().parsed == 0
    assert spy.take() == []
    assert warm.rows(TOTALS)[0][1:3] == (EXPECTED_TOTALS[1] - 9, EXPECTED_TOTALS[2] - 90)


def test_removing_the_counted_copy_moves_the_count_to_the_other_copy(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    built = history(claude_dir)
    ix = index()
    built["b"].path.unlink()
    ix = index()
    sessions = dict(ix.rows("SELECT session_id, output_tokens FROM sessions"))
    # b's reply (300) now counts for its copy in c; b's flat agent files still name b
    assert sessions[built["c"].session_id] == 300 + 10 + 40
    assert sessions[built["b"].session_id] == 50 + 12


DERIVED = {
    "sessions": "SELECT * EXCLUDE (file_mtime) FROM sessions ORDER BY session_id",
    "agents": "SELECT * FROM agents ORDER BY session_id, agent_id",
    "projects": "SELECT * FROM projects ORDER BY path_hash",
    "counted": "SELECT usage_key, session_id, agent_id FROM usage WHERE counted ORDER BY ALL",
}


def derived(ix: Any) -> dict[str, list[tuple[Any, ...]]]:
    return {name: ix.rows(sql) for name, sql in DERIVED.items()}


def test_cold_index_equals_warm_restart_equals_file_by_file_updates(
    tmp_path: Path, claude_dir: ClaudeDir, make_index: Callable[..., Any]
) -> None:
    history(claude_dir)
    cold = derived(make_index(claude_dir.root, name="cold"))
    assert len(cold["sessions"]) == 4
    warm_ix = make_index(claude_dir.root, name="cold", sync=False)
    warm_ix.sync()
    assert derived(warm_ix) == cold

    target = tmp_path / "growing"
    (target / "projects").mkdir(parents=True)
    step = make_index(target, name="steps")
    files = sorted(claude_dir.files(), key=lambda p: (-len(p.parts), str(p)))  # agents first
    for path in files:
        dest = target / path.relative_to(claude_dir.root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        step.sync()
    assert derived(step) == {
        name: [tuple(str(target) if v == str(claude_dir.root) else v for v in row) for row in rows]
        for name, rows in cold.items()
    }


FACTS = {
    "messages": "SELECT * EXCLUDE (file_id) FROM messages ORDER BY ALL",
    "usage": "SELECT * EXCLUDE (file_id) FROM usage ORDER BY ALL",
    "tool_calls": "SELECT * EXCLUDE (file_id) FROM tool_calls ORDER BY ALL",
    "files": "SELECT * EXCLUDE (file_id, indexed_at) FROM files ORDER BY ALL",
}


@pytest.mark.parametrize("shared_memory", [True, False], ids=["spooled", "pickled"])
def test_worker_processes_give_the_same_index_as_one_process(
    tmp_path: Path,
    claude_dir: ClaudeDir,
    make_index: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    shared_memory: bool,
) -> None:
    """Two worker processes, several chunks, tables handed over through spooled Arrow files
    (or pickled when there is no shared-memory directory): the same rows as in-process."""
    history(claude_dir)
    single = make_index(claude_dir.root, name="single")
    expected = {name: single.rows(sql) for name, sql in FACTS.items()} | derived(single)

    spool = tmp_path / "shm"
    if shared_memory:
        spool.mkdir()
    monkeypatch.setattr(workers, "SHARED_MEMORY_DIR", str(spool))
    monkeypatch.setattr(sync, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(batches, "CHUNK_FILES", 2)
    handed: list[int] = []  # files spooled per result, as the main process receives them
    unspool = workers.unspool

    def counting(result: batches.ChunkResult) -> batches.ChunkResult:
        handed.append(len(result.spooled))
        assert all(os.path.exists(p) for p in result.spooled.values())
        return unspool(result)

    monkeypatch.setattr(workers, "unspool", counting)
    pooled = make_index(claude_dir.root, name="pooled", workers=2)
    assert {name: pooled.rows(sql) for name, sql in FACTS.items()} | derived(pooled) == expected
    assert len(expected["messages"]) > 20
    assert len(handed) >= 3
    assert all(handed) if shared_memory else not any(handed)
    if shared_memory:
        assert list(spool.iterdir()) == []  # the spool directory goes with the sync


def test_tables_that_cannot_be_spooled_are_handed_over_whole(
    tmp_path: Path, claude_dir: ClaudeDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full shared-memory directory (a container's 64 MB /dev/shm) or a missing one: the
    worker's tables travel pickled instead, and no partial file stays behind."""
    s = history(claude_dir)["a"]
    src = batches.Source(str(s.path), str(claude_dir.root), "p", "", "session", 1, 1)
    job = FileJob(1, str(s.path), "p", s.session_id, "")
    result = batches.parse_chunk([(job, src)])
    assert result.tables["messages"].num_rows > 5

    assert workers.parse_spooled([(job, src)], str(tmp_path / "missing")).spooled == {}

    full = tmp_path / "full"
    full.mkdir()
    real_new_file = batches.pa.ipc.new_file
    written: list[str] = []

    def fill_up(sink: Any, schema: Any) -> Any:
        if written:
            raise OSError(28, "No space left on device")
        written.append(str(sink))
        return real_new_file(sink, schema)

    monkeypatch.setattr(batches.pa.ipc, "new_file", fill_up)
    handed = workers.spool(result, str(full))
    assert written and handed is result and handed.spooled == {}
    assert list(full.iterdir()) == []
    assert workers.unspool(handed).tables["messages"].equals(result.tables["messages"])


def test_spool_directories_of_killed_indexes_are_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    root = tmp_path / "shm"
    stale = root / f"cctracer-{dead.pid}-x1"
    live = root / f"cctracer-{os.getpid()}-x2"
    other = root / "someone-else"
    for d in (stale, live, other):
        (d / "sub").mkdir(parents=True)
    (root / f"cctracer-{dead.pid}-file").write_text("not a directory")
    monkeypatch.setattr(workers, "SHARED_MEMORY_DIR", str(root))
    with workers.spool_dir() as spool:
        assert Path(spool).parent == root
        assert Path(spool).name.startswith(f"cctracer-{os.getpid()}-")
        assert sorted(p.name for p in root.iterdir()) == sorted(
            [live.name, other.name, f"cctracer-{dead.pid}-file", Path(spool).name]
        )
    assert not Path(spool).exists()


def test_workers_started_ahead_serve_the_first_sync_and_no_later_one(
    tmp_path: Path,
    claude_dir: ClaudeDir,
    make_index: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history(claude_dir)
    db_path = tmp_path / "ahead.duckdb"
    assert workers.prestart(db_path, requested=1) is None  # one worker: parsed in-process
    db_path.touch()
    assert workers.prestart(db_path, requested=2) is None  # an index exists: a warm start
    db_path.unlink()

    expected = derived(make_index(claude_dir.root, name="single"))
    monkeypatch.setattr(sync, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(batches, "CHUNK_FILES", 2)
    pool = workers.prestart(db_path, requested=2)
    assert pool is not None
    spawned: list[int] = []
    monkeypatch.setattr(sync, "spawn_pool", lambda n: spawned.append(n) or workers.spawn_pool(n))
    ahead = make_index(claude_dir.root, name="ahead", sync=False, workers=2)
    ahead.indexer.pool = pool
    ahead.sync()
    assert derived(ahead) == expected
    assert spawned == []  # the pool started ahead did the work
    assert ahead.indexer.pool is None
    with pytest.raises(RuntimeError):
        pool.submit(int)  # and was shut down after it

    unused = workers.prestart(tmp_path / "other.duckdb", requested=2)
    assert unused is not None
    warm = make_index(claude_dir.root, name="ahead", sync=False, workers=2)
    warm.indexer.pool = unused
    assert warm.sync().parsed == 0  # nothing to parse: the workers are stopped all the same
    assert warm.indexer.pool is None
    with pytest.raises(RuntimeError):
        unused.submit(int)


# -- rebuilds --------------------------------------------------------------------------------


def test_schema_version_bump_and_corrupt_index_are_rebuilt(
    claude_dir: ClaudeDir, make_index: Callable[..., Any]
) -> None:
    history(claude_dir)
    ix = make_index(claude_dir.root)
    expected = ix.rows(TOTALS)
    path = ix.db.path
    with ix.db.reading() as cur:
        cur.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION - 1)]
        )
    ix.close()
    bumped = make_index(claude_dir.root, sync=False)
    assert bumped.db.rebuilt is True
    assert bumped.one("SELECT count(*) FROM files") == 0
    assert bumped.sync().parsed == 8
    assert bumped.rows(TOTALS) == expected
    bumped.close()

    path.write_bytes(b"this is not a duckdb file" * 100)
    corrupt = make_index(claude_dir.root, sync=False)
    assert corrupt.db.rebuilt is True
    assert corrupt.sync().parsed == 8
    assert corrupt.rows(TOTALS) == expected
    assert Database(path.with_name("other.duckdb")).rebuilt is True


def test_nothing_is_ever_written_inside_the_claude_dir(
    claude_dir: ClaudeDir, make_index: Callable[..., Any]
) -> None:
    built = history(claude_dir)
    before = snapshot_of(claude_dir.root)
    ix = make_index(claude_dir.root)
    ix.sync()
    ix.indexer.reprice()
    assert snapshot_of(claude_dir.root) == before
    built["a"].prompt("one more thing")
    before = snapshot_of(claude_dir.root)
    ix.sync()
    ix.close()
    make_index(claude_dir.root).sync()
    assert snapshot_of(claude_dir.root) == before


# -- derived facts ---------------------------------------------------------------------------


def test_session_title_precedence(claude_dir: ClaudeDir, index: Callable[[], Any]) -> None:
    sessions = []
    for depth in range(6):
        s = session(claude_dir)
        s.prompt(f"  first   prompt\n{depth}  ")
        reply = s.say("ok", usage=Usage(output=5))
        if depth <= 4:
            s.summary("Elsewhere", leaf_uuid="00000000-0000-4000-8000-000000000000")
        if depth <= 3:
            s.summary(f"Summary {depth}", leaf_uuid=reply.uuids[-1])
        if depth <= 2:
            s.ai_title("Old AI title")
            s.ai_title(f"AI title {depth}")
        if depth <= 1:
            s.custom_title("Old custom title")
            s.custom_title(f"Custom title {depth}")
        if depth == 0:
            s.agent_name("nightly-fixer")
        sessions.append(s)
    ix = index()
    rows = ix.rows("SELECT session_id, title, title_source FROM sessions")
    got = {sid: (title, source) for sid, title, source in rows}
    assert [got[s.session_id] for s in sessions] == [
        ("nightly-fixer", "agent_name"),
        ("Custom title 1", "custom_title"),
        ("AI title 2", "ai_title"),
        ("Summary 3", "summary"),
        ("first prompt 4", "first_prompt"),
        ("first prompt 5", "first_prompt"),
    ]


def test_session_facts(claude_dir: ClaudeDir, index: Callable[[], Any]) -> None:
    s = session(claude_dir, git_branch="feature/cart", version="2.1.15", model=OPUS)
    s.caveat()
    s.local_command("model", "Set model to Sonnet")
    s.prompt("make the cart faster", after=10)
    s.say("Profiling first.", usage=Usage(input=3, output=10, cache_1h=1000))
    s.prompt("use the cache", after=30)
    s.say("Using it.", model=SONNET, usage=Usage(input=3, output=2000, cache_5m=100))
    s.version = "2.1.16"
    s.git_branch = "HEAD"
    s.prompt("thanks", after=100)
    s.say("You're welcome.", usage=Usage(input=1, output=2))
    ix = index()
    (row,) = ix.dicts("SELECT * FROM sessions")
    assert row["first_prompt"] == "make the cart faster"
    assert row["prompt_count"] == 3
    assert row["message_count"] == 9
    assert row["start_time"] == datetime(2026, 2, 2, 9, 0, 0)
    assert row["duration_seconds"] == pytest.approx(5 + 10 + 2.5 + 30 + 2.5 + 100 + 2.5)
    assert row["models"] == [SONNET, OPUS]  # by tokens
    assert (row["git_branch"], row["version"]) == ("HEAD", "2.1.16")
    assert row["cost"] == pytest.approx(
        3 * 5e-6
        + 10 * 25e-6
        + 1000 * 10e-6
        + 1 * 5e-6
        + 2 * 25e-6
        + 3 * 3e-6
        + 2000 * 15e-6
        + 100 * 3.75e-6,
        abs=1e-12,
    )
    assert ix.rows("SELECT name, args, source FROM commands") == [("/model", "", "local")]


def test_tool_pairing_durations_and_errors(claude_dir: ClaudeDir, index: Callable[[], Any]) -> None:
    s = session(claude_dir)
    s.prompt("check everything")
    ok, failing = bash_op("make lint", "clean"), bash_op("make test", "1 failed", exit_code=2)
    s.run(ok, failing, usage=Usage(output=50), duration=2.25)
    s.reject(bash_op("git push --force"), usage=Usage(output=5))
    never = ToolCall("Bash", {"command": "sleep 100"})
    s.assistant(tools=[never], usage=Usage(output=5))
    s.interrupt(for_tool_use=True, after=7)
    ix = index()
    calls = ix.rows("SELECT key_arg, duration_ms, is_error, error_kind FROM tool_calls ORDER BY ts")
    assert calls == [
        ("make lint", 2850, False, None),
        ("make test", 4500, True, "tool_error"),
        ("git push --force", 4000, True, "rejected"),
        ("sleep 100", None, None, None),
    ]
    errors = ix.rows("SELECT category, tool_name FROM errors ORDER BY ts")
    assert errors == [
        ("tool_error", "Bash"),
        ("rejected", "Bash"),
        ("interrupt", None),
        ("interrupt", None),
    ]
    assert ix.one("SELECT errors FROM sessions") == 4


def test_subagents_are_linked_by_meta_result_progress_or_prompt(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = session(claude_dir, model=OPUS)
    s.prompt("investigate the outage")
    calls = [
        task_call("By meta", "Interrupted before any result", subagent_type="Explore"),
        task_call("By result", "Report via the result", subagent_type="Plan"),
        task_call("By progress", "Interrupted with progress", subagent_type="general-purpose"),
    ]
    s.assistant("Three angles.", tools=calls, usage=Usage(output=300))
    by_meta = s.subagent(calls[0], meta_tool_use_id=True, progress=False, model=SONNET)
    by_meta.bash("ls /var/log", "syslog", usage=Usage(input=10, output=100, cache_1h=1000))
    by_result = s.subagent(calls[1], meta=False, progress=False, model=SONNET)
    by_result.finish("Disk full.", usage=Usage(input=20, output=200, cache_read=4000))
    by_progress = s.subagent(calls[2], meta=False, progress=True, model=HAIKU)
    by_progress.say("Checking.", usage=Usage(input=30, output=300, cache_5m=2000))
    old = session(claude_dir, "/home/dev/legacy", version="2.0.50", model=SONNET)
    old.prompt("scan")
    by_prompt = old.spawn("By prompt", "Find the config", layout="legacy", progress=False)
    by_prompt.say("Found it.", usage=Usage(input=1, output=10))
    ix = index()
    agents = {
        r["agent_id"]: r
        for r in ix.dicts(
            "SELECT agent_id, kind, agent_type, description, spawn_tool_use_id, "
            "spawn_message_uuid, message_count, tool_calls, input_tokens, output_tokens, "
            "cache_creation_tokens, cache_read_tokens, cost, models FROM agents"
        )
    }
    assert len(agents) == 4
    expect = {
        by_meta.agent_id: ("Explore", "By meta", calls[0].id, 3, 1, (10, 100, 1000, 0)),
        by_result.agent_id: ("Plan", "By result", calls[1].id, 2, 0, (20, 200, 0, 4000)),
        by_progress.agent_id: (
            "general-purpose",
            "By progress",
            calls[2].id,
            2,
            0,
            (30, 300, 2000, 0),
        ),
        by_prompt.agent_id: (
            "general-purpose",
            "By prompt",
            by_prompt.call.id,
            2,
            0,
            (1, 10, 0, 0),
        ),
    }
    for aid, (atype, desc, spawn, count, tools, toks) in expect.items():
        a = agents[aid]
        assert (a["kind"], a["agent_type"], a["description"]) == ("task", atype, desc)
        assert a["spawn_tool_use_id"] == spawn
        assert a["spawn_message_uuid"] is not None
        assert (a["message_count"], a["tool_calls"]) == (count, tools)
        assert (
            a["input_tokens"],
            a["output_tokens"],
            a["cache_creation_tokens"],
            a["cache_read_tokens"],
        ) == toks
    assert agents[by_meta.agent_id]["cost"] == pytest.approx(10 * 3e-6 + 100 * 15e-6 + 1000 * 6e-6)
    assert agents[by_result.agent_id]["cost"] == pytest.approx(
        20 * 3e-6 + 200 * 15e-6 + 4000 * 3e-7
    )
    assert agents[by_progress.agent_id]["cost"] == pytest.approx(
        30 * 1e-6 + 300 * 5e-6 + 2000 * 1.25e-6
    )
    assert agents[by_progress.agent_id]["models"] == [HAIKU]
    assert ix.rows("SELECT subagent_count FROM sessions ORDER BY subagent_count") == [(1,), (3,)]


def test_skills_commands_code_changes_errors_and_compactions(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = session(claude_dir)
    s.command("review-pr", "42", expansion="Review pull request 42.")
    s.skill(
        "superpowers:brainstorming",
        "# Brainstorming\nAsk one question at a time.",
        usage=Usage(output=20),
    )
    s.bash_mode("git log -1", "abc123 fix")
    s.local_command("cost", "Total cost: $0.12")
    original = "a\nb\nc\nd\ne\nf\ng\nh\n"
    s.edit("/w/app.py", "b\nc", "B\nC\nC2", original, usage=Usage(output=10))
    s.write("/w/new.py", "x = 1\ny = 2\nz = 3\n", usage=Usage(output=10))
    s.write("/w/app.py", "a\nB\n", original="a\nb\nc\n", usage=Usage(output=10))
    s.multi_edit("/w/cfg.py", [("1", "2"), ("x", "y")], "x = 1\n", usage=Usage(output=10))
    s.edit("/w/app.py", "missing", "nope", original, usage=Usage(output=10))
    s.api_retries(3, status=529)
    s.synthetic("API Error: Request was aborted.")
    s.prompt("go on")
    s.compact("Summary one.", trigger="auto", pre_tokens=155_000)
    s.prompt("and now")
    s.compact("Summary two.", trigger="manual", pre_tokens=90_000, instructions="focus on tests")
    ix = index()
    assert ix.rows("SELECT name, skill FROM tool_calls WHERE skill IS NOT NULL") == [
        ("Skill", "superpowers:brainstorming")
    ]
    assert ix.rows("SELECT name, args, source FROM commands ORDER BY ts") == [
        ("/review-pr", "42", "prompt"),
        ("!", "git log -1", "bash"),
        ("/cost", "", "local"),
        ("/compact", "focus on tests", "prompt"),
    ]
    assert ix.rows(
        "SELECT tool_name, file_path, change_type, lines_added, lines_removed "
        "FROM code_changes ORDER BY ts"
    ) == [
        ("Edit", "/w/app.py", "modify", 3, 2),
        ("Write", "/w/new.py", "create", 3, 0),
        ("Write", "/w/app.py", "modify", 1, 2),
        ("MultiEdit", "/w/cfg.py", "modify", 1, 1),
    ]
    assert ix.rows("SELECT category, count(*) FROM errors GROUP BY ALL ORDER BY ALL") == [
        ("api_error", 1),
        ("api_retry", 3),
        ("tool_error", 1),
    ]
    assert ix.rows("SELECT trigger, pre_tokens FROM compactions ORDER BY ts") == [
        ("auto", 155_000),
        ("manual", 90_000),
    ]
    assert ix.rows("SELECT kind, count(*) FROM agents GROUP BY ALL") == [("compact", 2)]
    (row,) = ix.dicts("SELECT prompt_count, first_prompt, errors, subagent_count FROM sessions")
    assert row == {"prompt_count": 2, "first_prompt": "go on", "errors": 5, "subagent_count": 0}


def test_session_without_a_prompt_is_titled_by_its_id(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = session(claude_dir)
    s.command("orchestrator", "update CLAUDE.md", expansion="Split the task into subtasks.")
    s.say("Updating CLAUDE.md.", usage=Usage(output=5))
    ix = index()
    assert ix.rows("SELECT title, first_prompt FROM sessions") == [(s.session_id[:8], None)]


def test_a_bulk_load_holds_duckdb_to_its_own_memory_limit_then_gives_it_back() -> None:
    import duckdb

    from claude_code_tracer.index import writes

    cur = duckdb.connect(config={"memory_limit": "1GB", "threads": 2})

    def setting(name: str) -> str:
        row = cur.execute("SELECT current_setting(?)", [name]).fetchone()
        assert row is not None
        return str(row[0])

    writes.start_bulk_load(cur, "384MB")
    assert (setting("memory_limit"), setting("threads")) == ("488.2 MiB", "1")
    writes.checkpoint(cur, "1GB")
    assert setting("memory_limit") == "953.6 MiB"
    assert setting("threads") != "1"
