"""Whatever is on disk: one data directory with every kind of damage next to a normal session.

The index completes, each bad line is counted with its reason and shown by /health, the
normal session's totals are exact, every endpoint and page answers, and a line far over the
length limit is skipped without being held in memory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from claude_code_tracer.demo.builder import ClaudeDir, Session, Usage
from claude_code_tracer.ingest import batches
from claude_code_tracer.transcript import lines as reader
from claude_code_tracer.transcript.state import FileJob, ParsedFile
from helpers.index import IndexFactory
from helpers.safety import HTML, SHOP, T0, Crawl, indexed_app, raw_request, totals

HUGE_LINE = 50 * 1024 * 1024  # over reader.MAX_LINE_BYTES
N_MAIN = [
    Usage(input=10, output=100, cache_5m=1000, cache_read=5000),
    Usage(input=20, output=200, cache_1h=2000, cache_read=6000),
    Usage(input=30, output=300),
]
N_AGENT = Usage(input=4, output=40, cache_1h=400)
AFTER_TRUNCATED = Usage(input=1, output=11)
AFTER_BAD_UTF8 = Usage(input=2, output=22)
AFTER_HUGE = Usage(input=3, output=33)
ODD_SHAPES = Usage(input=5, output=55)  # the answer with a 100,000-character uuid
YEAR_ONE = Usage(input=6, output=66)
UNREADABLE = Usage(input=7, output=77)


@dataclass
class Hostile:
    root: Path
    normal: Session
    agent_id: str
    huge: Path
    unreadable: Path
    readable_anyway: bool  # running as root: chmod 000 does not stop reads
    bad: dict[str, dict[str, int]] = field(default_factory=dict)  # file name -> reasons


def write_huge_line(path: Path, size: int) -> None:
    """A prompt line of `size` bytes, written in pieces (never held whole)."""
    piece = b"x" * (1 << 20)
    with path.open("ab") as out:
        out.write(b'{"type":"user","message":{"role":"user","content":"')
        for _ in range(size // len(piece)):
            out.write(piece)
        out.write(b'"},"uuid":"huge-line"}\n')


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = {"level": i, "inner": value}
    return value


def build(root: Path) -> Hostile:
    claude = ClaudeDir(root, seed=11)
    shop = claude.project(SHOP)
    bad: dict[str, dict[str, int]] = {}

    # the normal session, its subagent and known totals
    n = shop.session(start=T0)
    n.prompt("add a discount field")
    n.say("Looking.", usage=N_MAIN[0])
    n.bash("pytest -q", "3 passed", usage=N_MAIN[1])
    agent = n.spawn("Find discount", "Where is discount used?", usage=N_MAIN[2])
    agent.finish("Only cart.py.", usage=N_AGENT)
    n.say("Done.", usage=Usage(input=0, output=0, service_tier=None))

    # truncated lines: one cut in the middle, and a half-written last line
    t = shop.session(start=T0)
    t.prompt("truncated file")
    cut = t.say("this answer is cut", usage=Usage(input=9, output=99))  # its only line is cut
    whole = t.path.read_bytes().splitlines(keepends=True)[-1]
    t.path.write_bytes(b"".join(t.path.read_bytes().splitlines(keepends=True)[:-1]))
    t.write_raw(whole[: len(whole) // 2] + b"\n")
    t.say("after the cut", usage=AFTER_TRUNCATED)
    t.write_raw(json.dumps(cut.lines[-1]).encode()[:40])
    bad[t.path.name] = {"invalid_json": 1}

    # invalid UTF-8, and a lone surrogate escape (repaired, not bad)
    u = shop.session(start=T0)
    u.prompt("encodings")
    u.write_raw(b'{"type":"user","message":{"role":"user","content":"caf\xe9 \xff\xfe"}}\n')
    u.write_raw(b'{"type":"user","message":{"role":"user","content":"half \\ud83d emoji"}}\n')
    u.say("ok", usage=AFTER_BAD_UTF8)
    bad[u.path.name] = {"invalid_utf8": 1}

    # a 50 MB line
    h = shop.session(start=T0)
    h.prompt("huge paste follows")
    write_huge_line(h.path, HUGE_LINE)
    h.say("skipped it", usage=AFTER_HUGE)
    bad[h.path.name] = {"too_long": 1}

    # JSON that is not an object, unknown and wrong-typed entries, deep nesting, long ids
    s = shop.session(start=T0)
    s.prompt("odd shapes")
    for value in ([1, 2, 3], "just a string", 42, None, True, [{"type": "user"}]):
        s.write_json(value)
    for entry in (
        {"type": "hologram", "uuid": "h1", "payload": {"x": 1}},
        {"type": 7},
        {"type": None},
        {},
        {"type": "assistant", "message": "not an object"},
        {"type": "assistant", "message": {"content": {"type": "text"}, "usage": "lots"}},
        {"type": "user", "message": {"content": 5}, "timestamp": 12},
        {"type": "user", "message": {"role": "user", "content": [nested(300)]}},
        {"type": "system", "subtype": ["x"], "content": {"a": 1}, "level": 3},
        {"type": "summary", "summary": 5, "leafUuid": []},
    ):
        s.write_json(entry)
    s.write_raw(b"[" * 5000 + b"]" * 5000 + b"\n")
    s.assistant("long ids", usage=ODD_SHAPES, message_id="m" * 50_000, tail={"uuid": "u" * 100_000})
    s.assistant("year one", usage=YEAR_ONE, tail={"timestamp": "0001-01-01T00:00:00Z"})
    s.assistant(
        "year 9999", usage=Usage(input=0, output=0), tail={"timestamp": "9999-12-31T23:59:59Z"}
    )
    bad[s.path.name] = {"not_object": 6, "invalid_json": 1}

    # a 0-byte file
    (shop.path / "00000000-0000-4000-8000-000000000000.jsonl").write_bytes(b"")

    # a binary file named .jsonl, its last line without a newline
    binary = shop.path / "0b0b0b0b-0000-4000-8000-000000000000.jsonl"
    binary.write_bytes(
        b"\x89PNG\r\n"
        + b"\x1a\x00\x00\x00\rIHDR\x00\x00\x01\x00\xff\xd8\xff\xe0\n"
        + b"PK\x03\x04 not json either\n"
        + b"\x00" * 1000
        + b"\n"
        + b"\xde\xad\xbe\xef"
    )
    bad[binary.name] = {"invalid_utf8": 3, "invalid_json": 2}

    # an unreadable file
    r = shop.session(start=T0)
    r.prompt("private")
    r.say("secret", usage=UNREADABLE)
    r.path.chmod(0)
    readable = os.access(r.path, os.R_OK)
    if not readable:
        bad[r.path.name] = {"unreadable": 1}

    # links that loop or lead nowhere, a directory and a FIFO named .jsonl
    folder = shop.path
    (folder / "loop.jsonl").symlink_to("loop.jsonl")
    (folder / "ping.jsonl").symlink_to("pong.jsonl")
    (folder / "pong.jsonl").symlink_to("ping.jsonl")
    (folder / "dangling.jsonl").symlink_to("/nonexistent/dangling.jsonl")
    (folder / "x.jsonl").mkdir()
    os.mkfifo(folder / "fifo.jsonl")
    subagents = folder / n.session_id / "subagents"
    (subagents / "agent-dead.jsonl").symlink_to("agent-nowhere.jsonl")
    (subagents / "agent-dir.jsonl").mkdir()
    (subagents / "workflows").mkdir()
    (subagents / "workflows" / "again").symlink_to("..")
    other = folder / t.session_id / "subagents"  # a subagent of the truncated session
    other.mkdir(parents=True)
    (other / "agent-garbled.meta.json").write_bytes(b"\xff\xfe{ not json")
    (other / "agent-garbled.jsonl").write_text(
        json.dumps({"type": "user", "message": {"role": "user", "content": "hi"}}) + "\n"
    )
    claude.projects_dir.joinpath("-loop").symlink_to(".")
    claude.projects_dir.joinpath("-gone").symlink_to("/nonexistent/project")
    claude.projects_dir.joinpath("stray.jsonl").write_text("{}\n")
    return Hostile(
        root=root,
        normal=n,
        agent_id=agent.agent_id or "",
        huge=h.path,
        unreadable=r.path,
        readable_anyway=readable,
        bad=bad,
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    base = tmp_path_factory.mktemp("hostile")
    data = build(base / "claude")
    yield data
    data.unreadable.chmod(0o600)


@pytest.fixture(scope="module")
def served(hostile: Hostile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    app = indexed_app(hostile.root, tmp_path_factory.mktemp("hostile-cache"))
    yield app
    app.state.runtime.stop()


def test_the_index_completes_and_shows_every_bad_line_with_its_reason(
    hostile: Hostile, served: Any
) -> None:
    health = raw_request(served, "/health").json()
    index = health["index"]
    assert health["status"] == "ok"
    assert index["state"] == "ready" and index["error"] is None
    shown = {Path(f["path"]).name: f["reasons"] for f in index["bad_files"]}
    assert shown == hostile.bad
    assert {Path(f["path"]).name: f["bad_lines"] for f in index["bad_files"]} == {
        name: sum(reasons.values()) for name, reasons in hostile.bad.items()
    }
    assert index["bad_lines"] == sum(sum(r.values()) for r in hostile.bad.values())
    # 8 transcripts in the folder (not the links, the directory or the FIFO), the normal
    # session's 2 subagents, and the stray file beside the folders, reached through `-loop`
    assert index["files"] == 11
    assert index["projects"] == 1


def test_the_normal_session_is_exact(hostile: Hostile, served: Any, tmp_path: Path) -> None:
    sid = hostile.normal.session_id
    folder = hostile.normal.path.parent.name
    detail = raw_request(served, f"/api/sessions/{folder}/{sid}").json()
    main = sum([*N_MAIN, N_AGENT], Usage(input=0, output=0))  # with its subagent's
    assert detail["tokens"] == {
        "input_tokens": main.input,
        "output_tokens": main.output,
        "cache_creation_input_tokens": main.cache_creation,
        "cache_read_input_tokens": main.cache_read,
        "total_tokens": main.total,
    }
    assert detail["bad_lines"] == 0
    agents = raw_request(served, f"/api/sessions/{folder}/{sid}/subagents").json()
    by_id = {a["agent_id"]: a for a in agents["subagents"]}
    assert by_id[hostile.agent_id]["tokens"]["output_tokens"] == N_AGENT.output

    # the same session alone in a clean directory indexes to the same figures
    clean = tmp_path / "clean"
    agent = f"{sid}/subagents/agent-{hostile.agent_id}"
    for name in (hostile.normal.path.name, f"{agent}.jsonl", f"{agent}.meta.json"):
        target = clean / "projects" / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(hostile.normal.path.parent / name, target)
    alone = indexed_app(clean, tmp_path / "cache")
    try:
        assert raw_request(alone, f"/api/sessions/{folder}/{sid}").json() == detail
    finally:
        alone.state.runtime.stop()


def test_everything_readable_is_served(hostile: Hostile, served: Any) -> None:
    readable = [
        AFTER_TRUNCATED,
        AFTER_BAD_UTF8,
        AFTER_HUGE,
        ODD_SHAPES,
        YEAR_ONE,
        *N_MAIN,
        N_AGENT,
        *([UNREADABLE] if hostile.readable_anyway else []),
    ]
    project = raw_request(served, "/api/projects").json()["projects"][0]
    assert project["tokens"]["input_tokens"] == sum(u.input for u in readable)
    assert project["tokens"]["output_tokens"] == sum(u.output for u in readable)
    statuses = Crawl(served).run()
    assert len(statuses) > 100
    assert {k: v for k, v in statuses.items() if v != 200} == {}
    daily = raw_request(served, "/api/metrics/daily").json()
    assert len(daily["days"]) <= 3660  # a timestamp in year 1 does not make a 2,000-year series


def test_worker_processes_index_it_the_same(
    hostile: Hostile, served: Any, make_index: IndexFactory
) -> None:
    pooled = make_index(hostile.root, name="pooled", workers=2)
    assert pooled.indexer.status.state == "ready"
    assert totals(pooled.db) == totals(served.state.runtime.db)


MEMORY_PROBE = """
import gc, resource, sys
from claude_code_tracer.transcript.parser import parse_file
from claude_code_tracer.transcript.state import FileJob
gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
parsed = parse_file(FileJob(1, sys.argv[1], "p", "s", ""))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, parsed.facts.lines, parsed.facts.bad_reasons)
"""


def test_a_line_over_the_limit_is_skipped_without_being_held(hostile: Hostile) -> None:
    assert reader.MAX_LINE_BYTES < HUGE_LINE
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(hostile.huge)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split(maxsplit=2)
    grown_kib, lines, reasons = int(out[0]), int(out[1]), out[2].strip()
    assert (lines, reasons) == (3, "{'too_long': 1}")
    # the reader gives up on a line once it passes the limit: the peak is about the limit
    # plus one read block, well under the line itself
    assert grown_kib * 1024 < reader.MAX_LINE_BYTES + 2 * reader.READ_BLOCK
    assert grown_kib * 1024 < 0.8 * HUGE_LINE


# -- files that change while they are being indexed ----------------------------------------------


def test_files_deleted_cut_or_swapped_while_indexing(
    claude_dir: ClaudeDir, make_index: IndexFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = claude_dir.project(SHOP)
    sessions = []
    for i in range(5):
        s = project.session(start=T0)
        s.prompt(f"task {i}")
        for j in range(5):
            s.say(f"step {j}", usage=Usage(input=i + 1, output=10 * (j + 1)))
        sessions.append(s)
    deleted, truncated, swapped = (s.path for s in sessions[1:4])
    real_parse = batches.parse_file

    def racing(job: FileJob) -> ParsedFile:
        if job.path == str(deleted):
            deleted.unlink()
        elif job.path == str(truncated):
            data = truncated.read_bytes()
            truncated.write_bytes(data[: len(data) * 2 // 3])
        elif job.path == str(swapped):  # a FIFO would block a reader that opened it
            swapped.unlink()
            os.mkfifo(swapped)
        return real_parse(job)

    monkeypatch.setattr(batches, "parse_file", racing)
    ix = make_index(claude_dir.root, sync=False)
    report = ix.sync()
    assert report.parsed == 5
    assert ix.indexer.status.state == "ready"
    reasons = dict(ix.rows("SELECT session_id, bad_reasons FROM files"))
    assert reasons[deleted.stem] == reasons[swapped.stem] == '{"unreadable": 1}'
    assert reasons[truncated.stem] == "{}"  # the cut last line waits to be completed

    monkeypatch.setattr(batches, "parse_file", real_parse)
    second = ix.sync()
    assert (second.parsed, second.removed) == (1, 2)
    fresh = make_index(claude_dir.root, name="fresh")
    assert totals(ix.db) == totals(fresh.db)
    assert ix.one("SELECT count(*) FROM sessions") == 3


def test_transcripts_changed_after_indexing_still_answer(tmp_path: Path) -> None:
    claude = ClaudeDir(tmp_path / "claude", seed=2)
    project = claude.project(SHOP)
    sessions = []
    for i in range(3):
        s = project.session(start=T0)
        s.prompt(f"question {i}")
        s.say(f"answer {i}", usage=Usage(input=1, output=10))
        sessions.append(s)
    app = indexed_app(claude.root, tmp_path / "cache")
    try:
        gone, rewritten, piped = sessions
        gone.path.unlink()
        rewritten.path.write_bytes(b"\x00" * 100 + b"\n")
        piped.path.unlink()
        os.mkfifo(piped.path)
        for s in sessions:
            base = f"/api/sessions/{project.path.name}/{s.session_id}/messages"
            listed = raw_request(app, base).json()["messages"]
            assert [m["kind"] for m in listed] == ["prompt", "assistant"]
            for m in listed:  # the full entry comes from the index when the file changed
                reply = raw_request(app, f"{base}/{m['uuid']}")
                assert reply.status == 200, reply.text
                assert reply.json()["uuid"] == m["uuid"]
            page = raw_request(app, f"/sessions/{project.path.name}/{s.session_id}", headers=HTML)
            assert page.status == 200
    finally:
        app.state.runtime.stop()
