"""The quirks of the transcript format (claude-code-format.md §14), one test each, exact numbers."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from claude_code_tracer.demo.builder import (
    ClaudeDir,
    Session,
    ToolCall,
    Usage,
    bash_op,
    folder_name,
    op,
    task_call,
)
from claude_code_tracer.index.messages import Messages
from claude_code_tracer.transcript import lines as reader
from claude_code_tracer.transcript import state
from claude_code_tracer.transcript.parser import parse_file
from claude_code_tracer.transcript.rows import FACT_TABLES
from claude_code_tracer.transcript.state import FileJob, ParsedFile

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
SPECS = {spec.name: spec for spec in FACT_TABLES}
U1 = Usage(input=3, output=20, cache_1h=100, cache_read=1000)
U2 = Usage(input=2, output=30, cache_1h=50, cache_read=1200)


def new_session(claude: ClaudeDir, cwd: str = "/home/dev/shop", **kw: Any) -> Session:
    return claude.project(cwd).session(start=T0, **kw)


def parse(path: Path, session_id: str | None = None, agent_id: str = "") -> ParsedFile:
    sid = path.stem if session_id is None else session_id
    return parse_file(FileJob(1, str(path), path.parent.name, sid, agent_id))


def rows(parsed: ParsedFile, table: str) -> list[dict[str, Any]]:
    names = SPECS[table].names
    return [dict(zip(names, row, strict=True)) for row in parsed.rows[table]]


def tokens(parsed: ParsedFile) -> tuple[int, int, int, int]:
    """Sum of the usage rows of one file: input, output, cache creation, cache read."""
    us = rows(parsed, "usage")
    return (
        sum(u["input_tokens"] for u in us),
        sum(u["output_tokens"] for u in us),
        sum(u["cache_creation_tokens"] for u in us),
        sum(u["cache_read_tokens"] for u in us),
    )


SESSION_TOKENS = (
    "SELECT input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens "
    "FROM sessions WHERE session_id = ?"
)


# 1. partial last line ------------------------------------------------------------------------


def test_partial_last_line_is_not_counted_and_is_read_once_complete(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.prompt("hello")
    s.say("hi", usage=U1)
    s.prompt("more")
    s.say("sure", usage=U2)
    data = s.path.read_bytes()
    head, last = data[:-1].rsplit(b"\n", 1)
    head, last = head + b"\n", last + b"\n"
    s.path.write_bytes(head + last[:40])

    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    assert parsed.facts.lines == 3
    assert parsed.facts.pending_bytes == 40
    assert parsed.facts.parsed_bytes == len(head)
    assert tokens(parsed) == (3, 20, 100, 1000)

    ix = index()
    assert ix.rows(SESSION_TOKENS, [s.session_id]) == [(3, 20, 100, 1000)]
    assert ix.one("SELECT sum(bad_lines) FROM files") == 0

    s.write_raw(last[40:])
    ix = index()
    assert ix.rows(SESSION_TOKENS, [s.session_id]) == [(5, 50, 150, 2200)]
    assert ix.one("SELECT sum(bad_lines) FROM files") == 0
    assert ix.one("SELECT lines FROM files") == 4


def test_malformed_complete_line_is_counted_bad_and_skipped(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("hello")
    s.write_raw(b'{"type":"assistant","message":{"id":"msg_x"\n')
    s.write_raw(b"\xff\xfe not utf-8\n")
    s.say("hi", usage=U1)
    parsed = parse(s.path)
    assert parsed.facts.bad_reasons == {"invalid_json": 1, "invalid_utf8": 1}
    assert parsed.facts.lines == 4
    assert parsed.facts.entries == 2
    assert tokens(parsed) == (3, 20, 100, 1000)


# 2. JSON lines that are not objects ----------------------------------------------------------


def test_non_object_json_lines_are_skipped(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("hello")
    s.write_raw(b'[]\n"x"\n42\nnull\n[{"type":"user"}]\n\n   \n')
    s.say("hi", usage=U1)
    parsed = parse(s.path)
    assert parsed.facts.bad_reasons == {"not_object": 5}
    assert parsed.facts.entries == 2
    assert [m["kind"] for m in rows(parsed, "messages")] == ["prompt", "assistant"]
    assert tokens(parsed) == (3, 20, 100, 1000)


# 3. empty and bookkeeping-only files ---------------------------------------------------------


def test_empty_summary_only_snapshot_only_and_queue_only_files(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    project = claude_dir.project("/home/dev/shop")
    empty = project.session(start=T0)
    summary_only = project.session(start=T0)
    summary_only.summary("Fix flaky login test", leaf_uuid="0b0e0c0d-0000-4000-8000-000000000000")
    snapshot_only = project.session(start=T0)
    snapshot_only.snapshot(["src/app.py"])
    snapshot_only.snapshot()
    queue_only = project.session(start=T0)
    queue_only.queue("enqueue", "is the build done?")
    queue_only.queue("dequeue")
    assert empty.path.stat().st_size == 0

    for session, lines in ((empty, 0), (summary_only, 1), (snapshot_only, 2), (queue_only, 2)):
        parsed = parse(session.path)
        assert (parsed.facts.lines, parsed.facts.entries, parsed.facts.bad_lines) == (lines, 0, 0)
        assert rows(parsed, "messages") == []
        assert rows(parsed, "usage") == []

    ix = index()
    assert ix.one("SELECT count(*) FROM files") == 4
    assert ix.one("SELECT sum(bad_lines) FROM files") == 0
    assert ix.one("SELECT count(*) FROM sessions") == 0
    assert ix.one("SELECT count(*) FROM summaries") == 1


# 4. huge lines -------------------------------------------------------------------------------


def test_lines_over_1_mb_are_read(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt([{"type": "text", "text": "what is in this screenshot?"}, image_block(1_500_000)])
    output = "x" * 1_200_000 + "\n"
    s.bash("cat big.log", output, usage=U1)
    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    assert max(len(line) for line in s.path.read_bytes().splitlines()) > 1_200_000
    prompt = rows(parsed, "messages")[0]
    assert prompt["kind"] == "prompt"
    assert prompt["text"] == "what is in this screenshot?\n[image]"
    (result,) = rows(parsed, "tool_results")
    assert result["content_len"] == 1_200_001
    assert 0 < len(result["content"]) <= state.PREVIEW_CAP  # a preview, the rest on disk
    assert output.startswith(result["content"])
    assert tokens(parsed) == (3, 20, 100, 1000)


def image_block(size: int) -> dict[str, Any]:
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "A" * size},
    }


def expected_lines(data: bytes, limit: int) -> list[tuple[int, bytes | None, bool]]:
    """What iter_lines must yield, from the bytes split whole."""
    out: list[tuple[int, bytes | None, bool]] = []
    offset = 0
    for line in data.splitlines(keepends=True):
        complete = line.endswith(b"\n")
        if len(line) > limit:
            out.append((offset, None, True))
        else:
            out.append((offset, line, complete))
        offset += len(line)
    return out


@pytest.mark.parametrize("tail", [b"", b"x" * 3, b"y" * 16, b"z" * 40], ids=len)
def test_lines_around_the_read_size_and_the_limit(
    monkeypatch: pytest.MonkeyPatch, tail: bytes
) -> None:
    """Lines shorter than, equal to and longer than one read (8 bytes here), up to and over
    the limit (20 bytes here), then an unfinished last line."""
    monkeypatch.setattr(reader, "READ_BLOCK", 8)
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 20)
    lengths = [0, 1, 6, 7, 8, 9, 15, 16, 17, 19, 20, 21, 30, 50, 2]
    data = b"".join(bytes([97 + i % 26]) * n + b"\n" for i, n in enumerate(lengths)) + tail
    got = list(reader.iter_lines(io.BufferedReader(io.BytesIO(data), buffer_size=8)))
    assert got == expected_lines(data, 20)
    assert [raw is None for _, raw, _ in got].count(True) == 4 + (len(tail) > 20)


def test_line_over_the_32_mib_limit_is_skipped_with_bounded_memory(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("read the dump")
    huge = 96 * 1024 * 1024
    s.write_raw(b'{"type":"user","message":{"role":"user","content":"' + b"a" * huge + b'"}}\n')
    s.say("done", usage=U1)
    tracemalloc.start()
    try:
        parsed = parse(s.path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.facts.bad_reasons == {"too_long": 1}
    assert parsed.facts.lines == 3
    assert [m["kind"] for m in rows(parsed, "messages")] == ["prompt", "assistant"]
    assert tokens(parsed) == (3, 20, 100, 1000)
    assert parsed.facts.parsed_bytes == s.path.stat().st_size
    # the reader holds at most about two limit-sized buffers, never the whole 96 MiB line
    assert peak < 2 * reader.MAX_LINE_BYTES + 8 * 1024 * 1024 < huge


# 5. streamed responses -----------------------------------------------------------------------


def test_split_response_keeps_the_max_total_copy(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("run the tests")
    calls = [ToolCall("Bash", {"command": "pytest"}), ToolCall("Read", {"file_path": "/a.py"})]
    usage = Usage(input=3, output=441, cache_1h=412, cache_read=17842)
    resp = s.assistant("Running them.", thinking="Tests first.", tools=calls, usage=usage)
    lines = [json.loads(x) for x in s.path.read_text().splitlines()[1:]]
    assert len(lines) == 4
    assert {x["message"]["id"] for x in lines} == {resp.message_id}
    assert {x["requestId"] for x in lines} == {resp.request_id}
    assert [x["message"]["usage"]["output_tokens"] for x in lines] == [1, 1, 1, 441]

    parsed = parse(s.path)
    assert tokens(parsed) == (3, 441, 412, 17842)
    (usage_row,) = rows(parsed, "usage")
    assert (usage_row["cache_5m_tokens"], usage_row["cache_1h_tokens"]) == (0, 412)
    assert usage_row["usage_key"] == f"{resp.message_id}:{resp.request_id}"
    assert usage_row["message_uuid"] == resp.uuids[0]
    messages = rows(parsed, "messages")
    assert len(messages) == 2
    reply = messages[1]
    assert reply["uuids"] == resp.uuids
    assert reply["tool_names"] == ["Bash", "Read"]
    assert reply["text"] == "Running them."
    assert reply["thinking"] == "Tests first."


def test_split_response_max_copy_wins_wherever_it_is_and_speed_breaks_ties(
    claude_dir: ClaudeDir,
) -> None:
    s = new_session(claude_dir)
    s.prompt("go")
    big = Usage(input=3, output=500, cache_read=1000)
    resp = s.assistant("a", usage=big, message_id="msg_A", request_id="req_A")
    s.assistant(
        "b", usage=Usage(input=3, output=7, cache_read=1000), message_id="msg_A", request_id="req_A"
    )
    s.assistant("c", usage=Usage(input=1, output=10), message_id="msg_B", request_id="req_B")
    s.assistant(
        "d", usage=Usage(input=1, output=10, speed="fast"), message_id="msg_B", request_id="req_B"
    )
    s.assistant("e", usage=Usage(input=1, output=10), message_id="msg_B", request_id="req_B")
    parsed = parse(s.path)
    by_key = {u["usage_key"]: u for u in rows(parsed, "usage")}
    assert set(by_key) == {"msg_A:req_A", "msg_B:req_B"}
    assert by_key["msg_A:req_A"]["output_tokens"] == 500
    assert by_key["msg_A:req_A"]["message_uuid"] == resp.uuids[0]
    assert by_key["msg_B:req_B"]["speed"] == "fast"
    assert tokens(parsed) == (4, 510, 0, 1000)
    assert [m["text"] for m in rows(parsed, "messages")] == ["go", "ab", "cde"]


# 6. synthetic lines, missing fields, third-party models --------------------------------------


def test_synthetic_and_api_error_lines_are_never_priced(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.prompt("hello")
    s.say("hi", usage=U1)
    s.prompt("again")
    s.synthetic('API Error: 529 {"type":"error","error":{"type":"overloaded_error"}}', status=529)
    s.prompt("and again")
    s.say("Prompt is too long", usage=Usage(input=900, output=50), tail={"isApiErrorMessage": True})
    s.synthetic("No response requested.", api_error=False)
    parsed = parse(s.path)
    assert tokens(parsed) == (3, 20, 100, 1000)
    assert [(e["category"], e["message"][:16]) for e in rows(parsed, "errors")] == [
        ("api_error", "API Error: 529 {"),
        ("api_error", "Prompt is too lo"),
        ("api_error", "No response requ"),
    ]
    ix = index()
    session = ix.dicts("SELECT * FROM sessions")[0]
    assert session["models"] == ["claude-opus-4-6"]
    assert session["unpriced_models"] == []
    assert session["cost"] == pytest.approx(3 * 5e-6 + 20 * 25e-6 + 100 * 10e-6 + 1000 * 0.5e-6)
    assert ix.one("SELECT count(*) FROM usage WHERE model = '<synthetic>'") == 0


def test_assistant_lines_without_usage_message_id_or_request_id(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("go")
    no_usage = s.assistant("no usage", usage=U1)
    s.path.write_text(
        s.path.read_text().replace(
            ',"usage":' + json.dumps(U1.to_json(version=s.version), separators=(",", ":")), ""
        )
    )
    assert '"usage"' not in s.path.read_text()
    # no message.id: two streamed lines count once each
    for text in ("first half", "second half"):
        line = base_assistant(s, text, Usage(input=1, output=5))
        del line["message"]["id"]
        s.write_json(line)
    # no requestId: message.id alone is the key
    s.assistant(
        "x",
        tools=[ToolCall("Bash", {"command": "ls"})],
        usage=Usage(input=2, output=9),
        request_id=None,
    )
    # usage {} on a line of its own
    line = base_assistant(s, "empty usage", Usage())
    line["message"]["usage"] = {}
    s.write_json(line)
    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    keys = [u["usage_key"] for u in rows(parsed, "usage")]
    assert len(keys) == 4
    assert keys[0].startswith("line:1:") and keys[1].startswith("line:1:")
    assert keys[2].startswith("msg_01") and ":" not in keys[2]
    assert tokens(parsed) == (4, 19, 0, 0)
    texts = [m["text"] for m in rows(parsed, "messages")]
    assert texts == ["go", "no usage", "first half", "second half", "x", "empty usage"]
    assert no_usage.message_id not in {u["message_id"] for u in rows(parsed, "usage")}


def base_assistant(s: Session, text: str, usage: Usage) -> dict[str, Any]:
    """An assistant line as a dict, for hand-made variants."""
    line = s.envelope(s.last)
    line.update(
        {
            "message": {
                "model": s.model,
                "id": s.ids.message_id(),
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": text}],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": usage.to_json(version=s.version),
            },
            "requestId": s.ids.request_id(),
            "type": "assistant",
            "uuid": s.ids.uuid(),
            "timestamp": "2026-02-02T09:05:00.000Z",
        }
    )
    return line


def test_third_party_model_names_and_id_formats(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir, model="kimi-k2.5")
    s.prompt("hello")
    s.assistant("hi", usage=Usage(input=1000, output=200), message_id="msg_0620d5a1b2c3")
    call = ToolCall("Bash", {"command": "ls"}, id="toolu_functions.Bash:6")
    s.assistant(tools=[call], usage=Usage(input=1100, output=20), message_id="msg_0620d5a1b2c4")
    s.tool_result(call, "a\nb\n")
    ix = index()
    session = ix.dicts("SELECT * FROM sessions")[0]
    assert session["models"] == ["kimi-k2.5"]
    assert session["unpriced_models"] == ["kimi-k2.5"]
    assert (session["input_tokens"], session["output_tokens"], session["cost"]) == (2100, 220, 0.0)
    assert ix.rows("SELECT name, duration_ms, is_error FROM tool_calls") == [("Bash", 1000, False)]


# 7. sidechains and agents --------------------------------------------------------------------


def build_inline_and_file_agents(claude: ClaudeDir) -> tuple[Session, Session]:
    """The same delegation written by 1.0.98 (inline) and 2.1.39 (subagents/ file)."""
    out = []
    for version, layout in (("1.0.98", "inline"), ("2.1.39", "subagents")):
        s = new_session(
            claude, f"/home/dev/{layout}", version=version, model="claude-sonnet-4-5-20250929"
        )
        s.prompt("build the TODO components")
        call = task_call("Build TODO components", "Create TodoItem and TodoList in components/")
        s.assistant(
            "Delegating.",
            tools=[call],
            usage=Usage(input=6, output=598, cache_5m=304, cache_read=16440),
        )
        agent = s.subagent(call, layout=layout)
        agent.bash("ls components", "", usage=Usage(input=4, output=107, cache_5m=12802))
        agent.finish(
            "Created both components.",
            usage=Usage(input=5, output=303, cache_5m=301, cache_read=14348),
        )
        s.say("All done.", usage=Usage(input=3, output=40, cache_5m=500, cache_read=17000))
        out.append(s)
    return out[0], out[1]


def test_inline_sidechains_and_separate_agent_files_give_the_same_facts(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    inline, separate = build_inline_and_file_agents(claude_dir)
    assert len(list(inline.path.parent.iterdir())) == 1
    assert len(list((separate.path.parent / separate.session_id / "subagents").iterdir())) == 2
    ix = index()
    agents = ix.dicts(
        "SELECT session_id, agent_id, kind, agent_type, description, spawn_tool_use_id, "
        "message_count, tool_calls, input_tokens, output_tokens, cache_creation_tokens, "
        "cache_read_tokens FROM agents ORDER BY kind"
    )
    assert len(agents) == 2
    by_kind = {a["kind"]: a for a in agents}
    assert set(by_kind) == {"inline", "task"}
    assert by_kind["inline"]["agent_id"].startswith("side-")
    for a in agents:
        assert a["agent_type"] == "general-purpose"
        assert a["description"] == "Build TODO components"
        assert a["spawn_tool_use_id"] is not None
        assert (a["message_count"], a["tool_calls"]) == (4, 1)
        assert (a["input_tokens"], a["output_tokens"]) == (9, 410)
        assert (a["cache_creation_tokens"], a["cache_read_tokens"]) == (13103, 14348)
    sessions = ix.dicts(
        "SELECT session_id, message_count, prompt_count, subagent_count, total_tokens, "
        "sub_output_tokens FROM sessions ORDER BY session_id"
    )
    for row in sessions:
        assert row["prompt_count"] == 1
        assert row["subagent_count"] == 1
        assert row["message_count"] == 4  # prompt, spawning reply, tool result, last reply
        assert row["total_tokens"] == 6 + 598 + 304 + 16440 + 3 + 40 + 500 + 17000 + 9 + 410 + (
            13103 + 14348
        )
        assert row["sub_output_tokens"] == 410


def test_warmup_agent_of_a_session_without_conversation(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir, version="2.0.74")
    s.snapshot()
    s.warmup(reply="I'm ready to help.", usage=Usage(input=4, output=12, cache_5m=9800))
    files = sorted(p.name for p in s.path.parent.iterdir())
    assert files[0].startswith("agent-a") and len(files[0]) == len("agent-a1b2c3d.jsonl")
    ix = index()
    (agent,) = ix.dicts("SELECT * FROM agents")
    assert agent["session_id"] == s.session_id
    assert agent["kind"] == "warmup"
    assert agent["spawn_tool_use_id"] is None
    assert (agent["input_tokens"], agent["output_tokens"], agent["cache_creation_tokens"]) == (
        4,
        12,
        9800,
    )
    (session,) = ix.dicts("SELECT * FROM sessions")
    assert session["session_id"] == s.session_id
    assert session["prompt_count"] == 0
    assert session["first_prompt"] is None
    assert session["total_tokens"] == 9816
    assert ix.one("SELECT kind FROM files WHERE agent_id <> ''") == "legacy_agent"


def test_compaction_agent_usage_counts_for_the_session_not_as_a_subagent(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.prompt("keep going")
    s.say("ok", usage=U1)
    s.compact(
        "We refactored the cart.",
        trigger="auto",
        pre_tokens=167_000,
        usage=Usage(input=3, output=8, cache_1h=2487, cache_read=166758),
    )
    s.prompt("continue")
    s.say("continuing", usage=U2)
    ix = index()
    (agent,) = ix.dicts("SELECT * FROM agents")
    assert agent["agent_id"].startswith("acompact-")
    assert (agent["kind"], agent["agent_type"]) == ("compact", "compaction")
    assert agent["description"] == "Conversation compaction"
    assert agent["total_tokens"] == 3 + 8 + 2487 + 166758
    (session,) = ix.dicts("SELECT * FROM sessions")
    assert session["subagent_count"] == 0
    assert session["prompt_count"] == 2
    assert session["output_tokens"] == 20 + 30 + 8
    assert ix.rows("SELECT trigger, pre_tokens FROM compactions") == [("auto", 167_000)]


def test_btw_sidechain_replay_with_same_message_id_and_new_request_id_is_not_counted(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.prompt("refactor the cart")
    parent = s.assistant(
        "Working on it.", thinking="Plan.", usage=Usage(input=3, output=400, cache_read=50_000)
    )
    aside = s.btw(
        "btw, what does qty default to?",
        "It defaults to 1.",
        replay=parent,
        usage=Usage(input=5, output=25, cache_read=50_400),
    )
    replayed = [json.loads(x) for x in aside.path.read_text().splitlines()[:2]]
    assert {x["message"]["id"] for x in replayed} == {parent.message_id}
    assert {x["requestId"] for x in replayed} != {parent.request_id}
    ix = index()
    assert ix.rows(SESSION_TOKENS, [s.session_id]) == [(8, 425, 0, 100_400)]
    assert ix.one("SELECT count(*) FROM usage WHERE counted") == 2


def test_usage_copies_in_progress_lines_never_add_to_a_recorded_response(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.prompt("research hooks")
    agent = s.spawn(
        "Research hooks",
        "What can a SessionStart hook print?",
        usage=Usage(input=1, output=60, cache_1h=326, cache_read=52260),
    )
    agent.say("Let me fetch the docs.", usage=Usage(input=3, output=1, cache_1h=12118))
    agent.finish(
        "It can print JSON.", usage=Usage(input=6, output=997, cache_1h=20135, cache_read=22041)
    )
    progress = [json.loads(x) for x in s.path.read_text().splitlines() if '"agent_progress"' in x]
    assert len(progress) == 3
    assert progress[1]["data"]["message"]["message"]["usage"]["cache_creation_input_tokens"] == (
        12118
    )
    # a progress copy in another session of a response the agent's file records
    orphan = new_session(claude_dir, "/home/dev/other")
    orphan.prompt("hi")
    orphan.progress(progress[2]["data"], "agent_msg_x", "toolu_x")
    ix = index()
    assert ix.rows(SESSION_TOKENS, [s.session_id]) == [(10, 1058, 32579, 74301)]
    assert ix.rows(SESSION_TOKENS, [orphan.session_id]) == [(0, 0, 0, 0)]
    assert ix.rows("SELECT source, counted, count(*) FROM usage GROUP BY ALL ORDER BY ALL") == [
        ("line", True, 3),
        ("progress", False, 3),
        ("task_result", False, 1),  # its output is no larger than the agent's last line's
    ]


def test_a_task_result_with_no_other_record_of_its_agent_is_that_response(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.prompt("delegate")
    call = task_call("Count files", "How many files?")
    s.assistant(tools=[call], usage=Usage(input=1, output=50))
    aggregate = Usage(input=600, output=997, cache_1h=20135, cache_read=22041)
    s.tool_result(
        call,
        [{"type": "text", "text": "42 files"}],
        result={
            "status": "completed",
            "prompt": "How many files?",
            "agentId": "a881341",
            "content": [{"type": "text", "text": "42 files"}],
            "totalDurationMs": 32855,
            "totalTokens": aggregate.total,
            "totalToolUseCount": 2,
            "usage": aggregate.to_json(),
        },
    )
    ix = index()
    # the agent left no file and no copy: its Task result's usage is its last response (§6)
    assert ix.rows(SESSION_TOKENS, [s.session_id]) == [(1 + 600, 50 + 997, 20135, 22041)]
    assert ix.rows(
        "SELECT agent_id, source, starts_with(usage_key, 'task:') FROM usage WHERE agent_id <> ''"
    ) == [("a881341", "task_result", True)]
    assert ix.rows("SELECT linked_agent_id, total_tokens, total_tool_uses FROM tool_results") == [
        ("a881341", 43773, 2)
    ]


# 9. several sessionIds and versions in one file; agent files named otherwise -----------------


def test_multiple_session_ids_and_versions_in_one_file(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir, version="2.1.15")
    s.summary("Previous work on the cart", leaf_uuid="00000000-0000-4000-8000-00000000beef")
    real_id = s.session_id
    s.session_id = "11111111-1111-4111-8111-111111111111"  # a copied line of the old session
    s.prompt("first question")
    s.session_id = real_id
    s.say("first answer", usage=U1)
    s.version = "2.1.16"
    s.prompt("second question")
    s.say("second answer", usage=U2)
    parsed = parse(s.path)
    assert parsed.facts.versions == ["2.1.15", "2.1.16"]
    assert parsed.facts.line_session_id == "11111111-1111-4111-8111-111111111111"
    ix = index()
    (session,) = ix.dicts("SELECT * FROM sessions")
    assert session["session_id"] == s.path.stem == real_id
    assert session["version"] == "2.1.16"
    assert (session["message_count"], session["prompt_count"]) == (4, 2)
    assert session["first_prompt"] == "first question"


def test_subagent_files_belong_to_the_parent_not_their_stem(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir, version="2.0.76")
    s.prompt("look around")
    legacy = s.spawn("Scan", "List the modules", layout="legacy", usage=Usage(output=10))
    legacy.finish("Three modules.", usage=Usage(input=2, output=30))
    current = new_session(claude_dir, "/home/dev/other")
    current.prompt("look around")
    sub = current.spawn("Scan", "List the modules", usage=Usage(output=10))
    sub.finish("Three modules.", usage=Usage(input=2, output=30))
    assert legacy.path.parent == s.path.parent
    assert sub.path.parent.parent.name == current.session_id
    for agent in (legacy, sub):
        first = json.loads(agent.path.read_text().splitlines()[0])
        assert first["sessionId"] != agent.path.stem
        assert first["agentId"] == agent.agent_id
    ix = index()
    assert ix.rows("SELECT session_id, agent_id FROM agents ORDER BY session_id") == sorted(
        [(s.session_id, legacy.agent_id), (current.session_id, sub.agent_id)]
    )
    assert ix.one("SELECT count(*) FROM sessions") == 2
    assert ix.rows("SELECT subagent_count, sub_output_tokens FROM sessions") == [(1, 30), (1, 30)]


# 10./11. several roots, dangling parents; 12./13. branches and timestamps --------------------


def test_several_roots_and_dangling_parent_uuids(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.hook_progress("SessionStart", "SessionStart:startup", "bd prime")
    s.prompt("first")
    s.say("one", usage=U1)
    s.user("dangling", parent="ffffffff-ffff-4fff-8fff-ffffffffffff")
    s.say("two", usage=U2)
    s.local_command("model", "Set model to opus")
    boundary = s.compact("Summary.", pre_tokens=1000, agent=False)["parentUuid"]
    old_style = s.old_compact("Older summary.")["uuid"]
    ix = index()
    roots = ix.rows("SELECT uuid FROM messages WHERE parent_uuid IS NULL ORDER BY seq")
    assert roots == [(boundary,), (old_style,)]  # the first prompt hangs off a hook line
    assert ix.rows("SELECT seq FROM messages ORDER BY seq") == [(i,) for i in range(9)]
    assert ix.rows(SESSION_TOKENS, [s.session_id]) == [(5, 50, 150, 2200)]
    assert ix.one("SELECT prompt_count FROM sessions") == 2


def test_branches_sibling_results_and_out_of_order_timestamps(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.prompt("run both")
    a, b = bash_op("make lint", "ok"), bash_op("make test", "ok")
    s.assistant(tools=[a.call, b.call], usage=U1)
    # results arrive in completion order, the second one first and stamped earlier
    s.tool_result(b.call, "ok", result=b.result, is_error=False, after=3.0)
    s.wait(-2.5)
    s.tool_result(a.call, "ok", result=a.result, is_error=False, after=0.0)
    branch_point = s.last
    s.say("Both pass.", usage=U2)
    s.last = branch_point  # a rewind: a second child of the same line
    s.prompt("actually, run only lint", after=60)
    ix = index()
    durations = dict(ix.rows("SELECT key_arg, duration_ms FROM tool_calls"))
    assert durations == {"make lint": 1100, "make test": 3000}
    assert ix.one("SELECT count(*) FROM messages WHERE parent_uuid = ?", [branch_point]) == 2
    assert ix.one("SELECT prompt_count FROM sessions") == 2


# 14.-17. content shapes ----------------------------------------------------------------------


def test_content_string_vs_list_bare_strings_empty_text_and_empty_thinking(
    claude_dir: ClaudeDir,
) -> None:
    s = new_session(claude_dir)
    s.prompt(["look at", {"type": "text", "text": "this"}, {"type": "text", "text": ""}])
    s.assistant("", thinking="", usage=U1)
    line = base_assistant(s, "ignored", U2)
    line["message"]["content"] = ["bare string reply"]
    s.write_json(line)
    s.prompt("plain string")
    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    messages = rows(parsed, "messages")
    assert [(m["kind"], m["text"]) for m in messages] == [
        ("prompt", "look at\nthis\n"),
        ("assistant", ""),
        ("assistant", "bare string reply"),
        ("prompt", "plain string"),
    ]
    assert messages[1]["thinking"] is None
    assert tokens(parsed) == (5, 50, 150, 2200)


def test_tool_result_content_string_vs_array(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("go")
    calls = [
        ToolCall("Bash", {"command": "ls"}),
        ToolCall("ToolSearch", {"query": "fetch"}),
        ToolCall("Read", {"file_path": "/shot.png"}),
    ]
    s.assistant(tools=calls, usage=U1)
    s.tool_result(calls[0], "a.py\nb.py")
    s.tool_result(calls[1], [{"type": "tool_reference", "tool_name": "WebFetch"}])
    s.tool_result(calls[2], [{"type": "text", "text": "Screenshot:"}, image_block(10)])
    parsed = parse(s.path)
    assert [(r["content"], r["content_len"]) for r in rows(parsed, "tool_results")] == [
        ("a.py\nb.py", 9),
        ("[tool: WebFetch]", 16),
        ("Screenshot:\n[image]", 19),
    ]


def test_tool_use_result_string_object_or_absent(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("go")
    original = "a = 1\nb = 2\n"
    ok = op(
        "Edit",
        {"file_path": "/x.py"},
        "updated",
        {
            "filePath": "/x.py",
            "oldString": "b = 2",
            "newString": "b = 3",
            "originalFile": original,
            "structuredPatch": [
                {
                    "oldStart": 1,
                    "oldLines": 2,
                    "newStart": 1,
                    "newLines": 2,
                    "lines": [" a = 1", "-b = 2", "+b = 3"],
                }
            ],
            "userModified": False,
            "replaceAll": False,
        },
    )
    failed = op(
        "Edit",
        {"file_path": "/y.py"},
        "<tool_use_error>String to replace not found</tool_use_error>",
        "Error: String to replace not found in file.",
        is_error=True,
    )
    bare = op("LS", {"path": "/"}, "- /\n  - x.py")
    listed = op("Glob", {"pattern": "*"}, "x.py", ["x.py"])
    s.run(ok, failed, bare, listed, usage=U1)
    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    assert [(r["is_error"], r["error_kind"]) for r in rows(parsed, "tool_results")] == [
        (False, None),
        (True, "tool_error"),
        (False, None),
        (False, None),
    ]
    assert [
        (c["file_path"], c["lines_added"], c["lines_removed"]) for c in rows(parsed, "code_changes")
    ] == [("/x.py", 1, 1)]
    assert [(e["category"], e["tool_name"]) for e in rows(parsed, "errors")] == [
        ("tool_error", "Edit")
    ]


def test_is_error_absent_null_or_false_all_mean_success(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("go")
    calls = [ToolCall("Bash", {"command": f"echo {i}"}) for i in range(4)]
    s.assistant(tools=calls, usage=U1)
    s.tool_result(calls[0], "0")
    s.tool_result(calls[1], "1", is_error=False)
    s.tool_result(calls[2], "2", is_error=True)
    text = s.path.read_text().replace('"is_error":true', '"is_error":null')
    s.path.write_text(text)
    s.tool_result(calls[3], "3", is_error=True)
    parsed = parse(s.path)
    assert [r["is_error"] for r in rows(parsed, "tool_results")] == [False, False, False, True]
    assert [e["tool_use_id"] for e in rows(parsed, "errors")] == [calls[3].id]


# 18. queue operations ------------------------------------------------------------------------


def test_queue_remove_with_null_or_text_content(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("start the migration")
    s.queue("enqueue", "also update the changelog")
    s.queue("remove", None)
    s.queue("enqueue", [{"type": "text", "text": "and bump the version"}])
    s.queue("remove", "and bump the version")
    s.queue("popAll", "draft")
    s.say("On it.", usage=U1)
    parsed = parse(s.path)
    assert (parsed.facts.lines, parsed.facts.entries, parsed.facts.bad_lines) == (7, 2, 0)


# 19./20. encodings, paths, cwd changes -------------------------------------------------------


def test_ansi_escapes_and_surrogate_pairs_in_strings(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("show the build output")
    s.bash("make", "\x1b[1mBuilding\x1b[22m \u2714 done \U0001f389", usage=U1)
    s.write_raw(
        b'{"type":"user","message":{"role":"user","content":"party \\ud83c\\udf89 time"},'
        b'"uuid":"u-escaped","parentUuid":null,"sessionId":"x","timestamp":"2026-02-02T10:00:00Z"}\n'
    )
    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    texts = [m["text"] for m in rows(parsed, "messages")]
    assert texts[2] == "\x1b[1mBuilding\x1b[22m \u2714 done \U0001f389"
    assert texts[3] == "party \U0001f389 time"


def test_lone_surrogate_escape_keeps_the_line(claude_dir: ClaudeDir) -> None:
    s = new_session(claude_dir)
    s.prompt("tail the log")
    line = json.dumps(base_assistant(s, "output ends in a cut emoji: \ud83d", U1))
    assert "\\ud83d" in line
    s.write_raw(line.encode() + b"\n")
    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    assert tokens(parsed) == (3, 20, 100, 1000)


@pytest.mark.parametrize(
    ("cwd", "folder"),
    [
        ("C:\\Users\\bob\\proj", "C--Users-bob-proj"),
        (
            "/Users/alice/Documents/\u30d7\u30ed\u30b8\u30a7\u30af\u30c8",
            "-Users-alice-Documents-------",
        ),
        ("/home/bob/.config/x.y", "-home-bob--config-x-y"),
        ("/srv/\U0001f680app", "-srv---app"),
    ],
)
def test_windows_and_cjk_paths(
    claude_dir: ClaudeDir, index: Callable[[], Any], cwd: str, folder: str
) -> None:
    assert folder_name(cwd) == folder
    s = new_session(claude_dir, cwd)
    s.prompt("hello")
    s.read(f"{cwd}/README.md", "# Project\n", usage=U1)
    ix = index()
    assert ix.rows("SELECT path_hash, project_path FROM projects") == [(folder, cwd)]
    assert ix.one("SELECT key_arg FROM tool_calls") == f"{cwd}/README.md"


def test_cwd_changes_inside_a_session(claude_dir: ClaudeDir, index: Callable[[], Any]) -> None:
    s = new_session(claude_dir, "/home/dev/shop", git_branch="")
    s.prompt("build the assets")
    s.cwd = "/home/dev/shop/assets"
    s.git_branch = "HEAD"
    s.bash("npm run build", "built", usage=U1)
    ix = index()
    (session,) = ix.dicts("SELECT cwd, git_branch FROM sessions")
    assert session == {"cwd": "/home/dev/shop", "git_branch": "HEAD"}
    # each entry's own directory and branch, read from its line in the transcript
    project = ix.one("SELECT path_hash FROM projects")
    with ix.db.reading() as cur:
        stream = Messages(cur, project, s.session_id, "")
        entries = [stream.by_index(i) for i in range(stream.page().total)]
    assert [(e.kind, e.cwd, e.git_branch) for e in entries] == [
        ("prompt", "/home/dev/shop", ""),
        ("assistant", "/home/dev/shop/assets", "HEAD"),
        ("tool_result", "/home/dev/shop/assets", "HEAD"),
    ]
    assert ix.one("SELECT project_path FROM projects") == "/home/dev/shop"


# 21. what is not a prompt --------------------------------------------------------------------


def test_compaction_summaries_meta_commands_interrupts_notifications_are_not_prompts(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.caveat()
    s.command("review", "cart.py", expansion="Review the file for bugs.")
    s.bash_mode("git status", "clean")
    s.interrupt()
    s.task_notification("b0be39e", 'Background command "make test" completed')
    s.user("<system-reminder>The todo list is empty.</system-reminder>")
    s.prompt("  fix the\n  login   test  ")
    s.say("Looking.", usage=U1)
    s.interrupt(for_tool_use=True)
    s.compact("Fixed the login test.", trigger="manual", pre_tokens=50_000, instructions="keep it")
    s.old_compact("Older style summary.")
    ix = index()
    (session,) = ix.dicts("SELECT * FROM sessions")
    assert session["prompt_count"] == 1
    assert session["first_prompt"] == "  fix the\n  login   test  "
    assert session["title"] == "fix the login test"
    assert session["title_source"] == "first_prompt"
    kinds = ix.rows(
        "SELECT kind, subtype, count(*) FROM messages WHERE agent_id = '' "
        "GROUP BY ALL ORDER BY kind, subtype"
    )
    assert kinds == [
        ("assistant", None, 1),
        ("command", "bash", 1),
        ("command", "bash_output", 1),
        ("command", "command", 2),
        ("command", "command_output", 1),
        ("error", "interrupt", 2),
        ("prompt", None, 1),
        ("system", "compact_boundary", 1),
        ("system", "compact_summary", 2),
        ("system", "meta", 3),  # the command expansion and both (isMeta) caveats
        ("system", "reminder", 1),
        ("system", "task_notification", 1),
    ]
    assert ix.rows("SELECT name, args, source FROM commands ORDER BY ts") == [
        ("/review", "cart.py", "prompt"),
        ("!", "git status", "bash"),
        ("/compact", "keep it", "prompt"),
    ]
    assert ix.rows("SELECT trigger, pre_tokens FROM compactions ORDER BY ts") == [
        ("manual", 50_000),
        (None, None),
    ]


# 22. summaries pointing elsewhere ------------------------------------------------------------


def test_summary_leaf_uuid_in_another_file_or_nowhere_is_not_a_title(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    first = new_session(claude_dir)
    first.prompt("set up the database")
    first.say("Done.", usage=U1)
    second = new_session(claude_dir)
    second.summary("Database setup", leaf_uuid=first.last)
    second.summary("Nothing", leaf_uuid="00000000-0000-4000-8000-000000000000")
    second.prompt("now the API")
    reply = second.say("Sure.", usage=U2)
    second.summary("API work", leaf_uuid=reply.uuids[-1])
    ix = index()
    titles = dict(ix.rows("SELECT session_id, title FROM sessions"))
    assert titles == {first.session_id: "set up the database", second.session_id: "API work"}


# 23. unknown things --------------------------------------------------------------------------


def test_unknown_types_subtypes_blocks_and_tool_names(
    claude_dir: ClaudeDir, index: Callable[[], Any]
) -> None:
    s = new_session(claude_dir)
    s.write_json({"type": "marble-origami-commit", "sessionId": s.session_id, "x": [1, 2]})
    s.write_json({"type": "mode", "mode": "normal", "sessionId": s.session_id})
    s.write_json({"no_type": True})
    s.prompt("hello")
    s.system("brand_new_subtype", "something happened", level="info")
    s.attachment("quantum_entanglement", content="spooky")
    call = ToolCall("FutureTool", {"beam": "up"})
    resp = s.assistant("Using a new tool.", tools=[call], usage=U1)
    line = base_assistant(s, "ignored", Usage(input=1, output=1))
    line["message"]["id"] = resp.message_id
    line["requestId"] = resp.request_id
    line["message"]["content"] = [{"type": "hologram", "data": "..."}, {"no": "type"}]
    s.write_json(line)
    s.tool_result(call, "beamed")
    parsed = parse(s.path)
    assert parsed.facts.bad_lines == 0
    assert [(m["kind"], m["subtype"]) for m in rows(parsed, "messages")] == [
        ("prompt", None),
        ("system", "brand_new_subtype"),
        ("system", "quantum_entanglement"),
        ("assistant", None),
        ("tool_result", "tool_result"),
    ]
    assert rows(parsed, "messages")[3]["tool_names"] == ["FutureTool"]  # unknown block: skipped
    ix = index()
    assert ix.rows("SELECT name, key_arg, duration_ms, is_error FROM tool_calls") == [
        ("FutureTool", "up", 1000, False)
    ]
    assert ix.rows(SESSION_TOKENS, [s.session_id]) == [(3, 20, 100, 1000)]
