"""Every billed response exactly once: progress copies fill gaps, Task results give the final
output (claude-code-format.md §6), on hand-written transcripts with exact numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

PROJECT = "-home-dev-shop"
SID = "5e55107a-0000-4000-8000-000000000001"
HAIKU = "claude-haiku-4-5-20251001"
SNAPSHOT_FETCHED_AT = json.loads(
    resources.files("claude_code_tracer.data").joinpath("litellm_claude_prices.json").read_text()
)["fetched_at"]
SONNET = "claude-sonnet-4-5-20250929"

TOKENS = (
    "SELECT sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), "
    "sum(cache_read_tokens) FROM usage WHERE counted"
)


def usage(inp: int, out: int, cc: int, cr: int) -> dict[str, Any]:
    return {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": cc,
        "cache_read_input_tokens": cr,
    }


def envelope(n: int, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "parentUuid": f"00000000-0000-4000-8000-{n - 1:012d}" if n > 1 else None,
        "sessionId": SID,
        "timestamp": f"2026-02-11T10:{n:02d}:00.000Z",
        "cwd": "/home/dev/shop",
        "version": "2.1.39",
        "isSidechain": False,
        "userType": "external",
        **extra,
    }


def assistant(
    n: int, msg: str, req: str, u: dict[str, Any], model: str = SONNET, **extra: Any
) -> dict[str, Any]:
    return envelope(
        n,
        "assistant",
        requestId=req,
        message={
            "id": msg,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": f"reply {msg}"}],
            "stop_reason": None,
            "usage": u,
        },
        **extra,
    )


def task_call(n: int, tool_id: str) -> dict[str, Any]:
    line = assistant(n, f"msg_main{n}", f"req_main{n}", usage(1, 10, 0, 100))
    line["message"]["content"] = [
        {
            "type": "tool_use",
            "id": tool_id,
            "name": "Task",
            "input": {
                "description": "Look around",
                "prompt": "Look around the repo",
                "subagent_type": "Explore",
            },
        }
    ]
    return line


def progress_copy(
    n: int, agent: str, tool_id: str, msg: str, req: str, u: dict[str, Any]
) -> dict[str, Any]:
    relayed = assistant(n, msg, req, u, model=HAIKU)
    return envelope(
        n,
        "progress",
        toolUseID=f"agent_msg_{msg}",
        parentToolUseID=tool_id,
        data={
            "type": "agent_progress",
            "agentId": agent,
            "prompt": "Look around the repo",
            "message": {
                "type": "assistant",
                "uuid": relayed["uuid"],
                "timestamp": relayed["timestamp"],
                "requestId": req,
                "message": relayed["message"],
            },
        },
    )


def task_result(n: int, agent: str, tool_id: str, u: dict[str, Any]) -> dict[str, Any]:
    return envelope(
        n,
        "user",
        message={
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": tool_id,
                    "content": [{"type": "text", "text": "Found it."}],
                }
            ],
        },
        toolUseResult={
            "status": "completed",
            "agentId": agent,
            "prompt": "Look around the repo",
            "content": [{"type": "text", "text": "Found it."}],
            "totalDurationMs": 4000,
            "totalTokens": sum(u.values()),
            "totalToolUseCount": 1,
            "usage": u,
        },
    )


def write(path: Path, lines: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")


def agent_line(n: int, agent: str, msg: str, req: str, u: dict[str, Any]) -> dict[str, Any]:
    return assistant(n, msg, req, u, model=HAIKU, isSidechain=True, agentId=agent)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "claude"


def main_file(root: Path) -> Path:
    return root / "projects" / PROJECT / f"{SID}.jsonl"


def agent_file(root: Path, agent: str) -> Path:
    return root / "projects" / PROJECT / SID / "subagents" / f"agent-{agent}.jsonl"


def prompt(n: int) -> dict[str, Any]:
    return envelope(n, "user", message={"role": "user", "content": "look around"})


def test_a_response_known_only_from_progress_copies_counts_once(
    root: Path, make_index: Callable[..., Any]
) -> None:
    # two streamed copies of one response (output 2, then 5) and one of another; no agent file
    write(
        main_file(root),
        [
            prompt(1),
            task_call(2, "toolu_1"),
            progress_copy(3, "a1111111", "toolu_1", "msg_A", "req_A", usage(3, 2, 500, 1000)),
            progress_copy(4, "a1111111", "toolu_1", "msg_A", "req_A", usage(3, 5, 500, 1000)),
            progress_copy(5, "a1111111", "toolu_1", "msg_B", "req_B", usage(4, 7, 60, 1500)),
        ],
    )
    ix = make_index(root)
    assert ix.rows(TOKENS) == [(1 + 3 + 4, 10 + 5 + 7, 500 + 60, 100 + 1000 + 1500)]
    assert ix.rows(
        "SELECT agent_id, usage_key, output_tokens FROM usage "
        "WHERE counted AND source = 'progress' ORDER BY ts"
    ) == [("a1111111", "msg_A:req_A", 5), ("a1111111", "msg_B:req_B", 7)]
    # the copies' agent is a subagent of the session, its tokens and cost on it
    session = ix.dicts(
        "SELECT output_tokens, subagent_count FROM sessions WHERE session_id = ?", [SID]
    )
    assert session == [{"output_tokens": 10 + 5 + 7, "subagent_count": 1}]
    assert ix.rows("SELECT agent_id, output_tokens FROM agents") == [("a1111111", 12)]


def test_a_progress_copy_beside_its_real_line_changes_nothing(
    root: Path, make_index: Callable[..., Any]
) -> None:
    write(
        main_file(root),
        [
            prompt(1),
            task_call(2, "toolu_1"),
            # a copy with more tokens than the real line: the real line still wins
            progress_copy(3, "a2222222", "toolu_1", "msg_A", "req_A", usage(3, 90, 500, 1000)),
        ],
    )
    write(
        agent_file(root, "a2222222"),
        [agent_line(3, "a2222222", "msg_A", "req_A", usage(3, 50, 500, 1000))],
    )
    ix = make_index(root)
    assert ix.rows(TOKENS) == [(1 + 3, 10 + 50, 500, 100 + 1000)]
    assert ix.rows("SELECT source, counted FROM usage ORDER BY source") == [
        ("line", True),
        ("line", True),
        ("progress", False),
    ]


def test_a_snapshot_output_is_corrected_by_the_task_result(
    root: Path, make_index: Callable[..., Any]
) -> None:
    write(
        main_file(root),
        [
            prompt(1),
            task_call(2, "toolu_1"),
            task_result(6, "a3333333", "toolu_1", usage(3, 900, 100, 200)),
        ],
    )
    write(
        agent_file(root, "a3333333"),
        [
            agent_line(3, "a3333333", "msg_A", "req_A", usage(2, 8, 700, 0)),
            agent_line(4, "a3333333", "msg_B", "req_B", usage(3, 1, 100, 200)),
        ],
    )
    ix = make_index(root)
    # msg_B's output is the Task result's 900, not the snapshot's 1; msg_A keeps its 8
    assert ix.rows(TOKENS) == [(1 + 2 + 3, 10 + 8 + 900, 700 + 100, 100 + 200)]
    assert ix.rows(
        "SELECT source, usage_key, output_tokens FROM usage WHERE counted AND agent_id <> '' "
        "ORDER BY ts"
    ) == [("line", "msg_A:req_A", 8), ("task_result", "msg_B:req_B", 900)]
    # priced as the response it corrects
    assert ix.one("SELECT model FROM usage WHERE source = 'task_result'") == HAIKU
    assert ix.one("SELECT count(*) FROM usage WHERE counted AND NOT priced") == 0


def test_an_agent_with_no_record_but_a_task_result_counts_that_response(
    root: Path, make_index: Callable[..., Any]
) -> None:
    write(
        main_file(root),
        [
            prompt(1),
            task_call(2, "toolu_1"),
            progress_copy(3, "a4444444", "toolu_1", "msg_A", "req_A", usage(2, 4, 300, 800)),
            # the last response differs from every record of the agent: it is reconstructed
            task_result(6, "a4444444", "toolu_1", usage(5, 700, 40, 1100)),
        ],
    )
    ix = make_index(root)
    assert ix.rows(TOKENS) == [(1 + 2 + 5, 10 + 4 + 700, 300 + 40, 100 + 800 + 1100)]
    rows = ix.rows(
        "SELECT source, starts_with(usage_key, 'task:'), model FROM usage "
        "WHERE counted AND agent_id <> '' ORDER BY ts"
    )
    assert rows == [("progress", False, HAIKU), ("task_result", True, HAIKU)]


def test_a_task_result_that_is_not_larger_leaves_the_response_as_recorded(
    root: Path, make_index: Callable[..., Any]
) -> None:
    write(
        main_file(root),
        [
            prompt(1),
            task_call(2, "toolu_1"),
            task_result(6, "a5555555", "toolu_1", usage(3, 7, 1, 2)),
        ],
    )
    write(
        agent_file(root, "a5555555"),
        [agent_line(3, "a5555555", "msg_A", "req_A", usage(3, 7, 1, 2))],
    )
    ix = make_index(root)
    assert ix.rows(TOKENS) == [(1 + 3, 10 + 7, 1, 100 + 2)]
    assert ix.rows("SELECT source FROM usage WHERE counted AND agent_id <> ''") == [("line",)]


def test_cold_warm_and_file_by_file_give_the_same_counts(
    root: Path, make_index: Callable[..., Any]
) -> None:
    lines = [
        prompt(1),
        task_call(2, "toolu_1"),
        progress_copy(3, "a6666666", "toolu_1", "msg_A", "req_A", usage(2, 4, 300, 800)),
    ]
    write(main_file(root), lines)
    ix = make_index(root, name="live")
    assert ix.rows(TOKENS) == [(1 + 2, 10 + 4, 300, 100 + 800)]
    # the agent's file appears (its real line wins), then the Task result arrives
    write(
        agent_file(root, "a6666666"),
        [agent_line(3, "a6666666", "msg_A", "req_A", usage(2, 1, 300, 800))],
    )
    ix.sync()
    assert ix.rows(TOKENS) == [(1 + 2, 10 + 1, 300, 100 + 800)]
    write(main_file(root), [*lines, task_result(6, "a6666666", "toolu_1", usage(2, 650, 300, 800))])
    ix.sync()
    live = ix.rows(TOKENS)
    assert live == [(1 + 2, 10 + 650, 300, 100 + 800)]
    cold = make_index(root, name="cold")
    assert cold.rows(TOKENS) == live
    counted = "SELECT usage_key, source FROM usage WHERE counted ORDER BY ALL"
    assert cold.rows(counted) == ix.rows(counted)


# -- every transcript found ----------------------------------------------------------------


def test_data_directories_follow_claude_codes_own_settings(tmp_path: Path) -> None:
    from claude_code_tracer.config import default_claude_dirs

    home = tmp_path / "home"
    a, b = tmp_path / "a", tmp_path / "b"
    # CLAUDE_CONFIG_DIR alone, and as a list
    assert default_claude_dirs({"HOME": str(home), "CLAUDE_CONFIG_DIR": str(a)}) == (a,)
    assert default_claude_dirs({"HOME": str(home), "CLAUDE_CONFIG_DIR": f"{a}, {b},{a}"}) == (
        a,
        b,
    )
    # CLAUDE_DIR wins
    env = {"HOME": str(home), "CLAUDE_DIR": str(b), "CLAUDE_CONFIG_DIR": str(a)}
    assert default_claude_dirs(env) == (b,)
    # neither set: ~/.claude and ~/.config/claude, those that exist (both looked for if none)
    plain = {"HOME": str(home)}
    assert default_claude_dirs(plain) == (home / ".claude", home / ".config" / "claude")
    (home / ".config" / "claude").mkdir(parents=True)
    assert default_claude_dirs(plain) == (home / ".config" / "claude",)
    (home / ".claude").mkdir()
    assert default_claude_dirs(plain) == (home / ".claude", home / ".config" / "claude")


def test_a_session_under_two_roots_counts_once(
    tmp_path: Path, make_index: Callable[..., Any]
) -> None:
    from claude_code_tracer.config import default_claude_dirs

    home = tmp_path / "home"
    lines = [prompt(1), assistant(2, "msg_X", "req_X", usage(5, 50, 200, 300))]
    for root in (home / ".claude", home / ".config" / "claude"):
        write(main_file(root), lines)
    other = SID.replace("0001", "0002")
    write(
        home / ".config" / "claude" / "projects" / PROJECT / f"{other}.jsonl",
        [
            {**x, "sessionId": other}
            for x in (prompt(1), assistant(2, "msg_Y", "req_Y", usage(1, 9, 0, 0)))
        ],
    )
    roots = default_claude_dirs({"HOME": str(home)})
    ix = make_index(*roots)
    assert ix.rows(TOKENS) == [(5 + 1, 50 + 9, 200, 300)]
    assert ix.rows("SELECT session_id, output_tokens FROM sessions ORDER BY 1") == [
        (SID, 50),
        (other, 9),
    ]
    assert ix.one("SELECT count(*) FROM files") == 3


# -- the accuracy view ---------------------------------------------------------------------


def accuracy_history(root: Path) -> None:
    """One of each: responses known only from copies, a copy beside its real line, a
    corrected snapshot, a reconstructed response, a Task result no larger than its response,
    a streamed copy, a /btw replay, a resumed copy, a bad line, an unknown line type, block
    type and field."""
    write(
        main_file(root),
        [
            {**prompt(1), "brandNewField": {"x": 1}},
            task_call(2, "toolu_1"),
            progress_copy(3, "a7777777", "toolu_1", "msg_A", "req_A", usage(3, 2, 500, 1000)),
            progress_copy(4, "a8888888", "toolu_1", "msg_C", "req_C", usage(2, 4, 30, 400)),
            task_result(6, "a8888888", "toolu_1", usage(2, 300, 30, 400)),
            task_result(7, "a9999999", "toolu_1", usage(1, 200, 10, 90)),
        ],
    )
    with main_file(root).open("a", encoding="utf-8") as fh:
        fh.write('{"type": "assistant", "message": <script>alert(1)</script>\n')
    with main_file(root).open("a", encoding="utf-8") as fh:
        for extra in (
            {"type": "file-history-snapshot", "messageId": "m1", "snapshot": {}},
            {"type": "brand-new-thing", "sessionId": SID},
            # a /btw aside replays the main reply as a sidechain line with a new request id
            assistant(5, "msg_main2", "req_btw", usage(1, 10, 0, 100), isSidechain=True),
            # an agent whose file is missing: known only from its progress copy
            progress_copy(8, "a6666666", "toolu_1", "msg_P", "req_P", usage(4, 7, 20, 50)),
            # a7777777's Task result says no more than its file
            task_result(9, "a7777777", "toolu_1", usage(3, 60, 500, 1000)),
        ):
            fh.write(json.dumps(extra) + "\n")
    snapshot = agent_line(2, "a7777777", "msg_A", "req_A", usage(3, 5, 500, 1000))
    hologram = agent_line(3, "a7777777", "msg_A", "req_A", usage(3, 60, 500, 1000))
    hologram["message"]["content"].append({"type": "hologram", "data": "<b>x</b>"})
    write(agent_file(root, "a7777777"), [snapshot, hologram])
    resumed = SID.replace("0001", "0003")
    write(
        root / "projects" / PROJECT / f"{resumed}.jsonl",
        [
            {**assistant(2, "msg_main2", "req_main2", usage(1, 10, 0, 100)), "sessionId": resumed},
            {**prompt(3), "sessionId": resumed},
        ],
    )


def test_the_accuracy_view_says_how_each_total_was_formed(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from helpers.safety import indexed_app

    root = tmp_path / "claude"
    accuracy_history(root)
    absent = tmp_path / "config" / "claude"
    app = indexed_app(root, tmp_path / "cache", claude_dirs=(root, absent))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        body = client.get("/api/accuracy").json()
        # the roots read, and the one looked for but absent (as /health lists them)
        assert body["data_dirs"] == [
            {"path": str(root), "exists": True},
            {"path": str(absent), "exists": False},
        ]
        assert client.get("/health").json()["data_dirs"] == body["data_dirs"]
        page = client.get("/accuracy", headers={"accept": "text/html"}).text
        assert f'{absent}</span> <span class="muted">(looked for, absent)' in page
        read = body["read"]
        assert (read["files"], read["bad_lines"]) == (3, 1)
        # a type nobody documented is counted; a known one that holds no fact is not
        assert read["unknown_types"] == {
            "block:hologram": 1,
            "entry:brand-new-thing": 1,
            "field:brandNewField": 1,
        }
        assert read["versions"] == [{"version": "2.1.39", "files": 3, "newer_than_known": False}]
        # main reply, a7777777's real line, msg_C (a copy, then corrected), a9999999's result,
        # a6666666's copy
        assert read["counted_responses"] == 5
        assert read["counted_tokens"] == {
            "input_tokens": 1 + 3 + 2 + 1 + 4,
            "output_tokens": 10 + 60 + 300 + 200 + 7,
            "cache_creation_input_tokens": 500 + 30 + 10 + 20,
            "cache_read_input_tokens": 100 + 1000 + 400 + 90 + 50,
            "total_tokens": 7 + 570 + 540 + 1590 + 81,
        }
        assert body["skipped"] == [
            {
                "path": str(main_file(root)),
                "session_id": SID,
                "bad_lines": 1,
                "reasons": {"invalid_json": 1},
                "lines": [{"line": 7, "reason": "invalid_json"}],
            }
        ]
        collapsed = [(c["kind"], c["rows"], c["tokens"]["total_tokens"]) for c in body["collapsed"]]
        assert collapsed == [
            ("streamed_copy", 1, 1508),  # a7777777's first snapshot of msg_A
            ("file_copy", 1, 111),  # the resumed copy of the main reply
            ("sidechain_replay", 1, 111),  # the /btw aside
            ("progress_copy", 2, 1505 + 436),  # a7777777's copy, msg_C's corrected copy
            ("task_result", 1, 1563),  # a7777777's result, no larger than its file's line
        ]
        recovered = {(r["kind"], r["agent_id"]): r["tokens"] for r in body["recovered"]}
        assert recovered[("corrected", "a8888888")]["output_tokens"] == 300 - 4
        assert recovered[("reconstructed", "a9999999")] == {
            "input_tokens": 1,
            "output_tokens": 200,
            "cache_creation_input_tokens": 10,
            "cache_read_input_tokens": 90,
            "total_tokens": 301,
        }
        assert recovered[("progress_only", "a6666666")] == {
            "input_tokens": 4,
            "output_tokens": 7,
            "cache_creation_input_tokens": 20,
            "cache_read_input_tokens": 50,
            "total_tokens": 81,
        }
        assert len(recovered) == 3
        models = {m["model"]: (m["priced"], m["responses"]) for m in body["pricing"]}
        assert models == {SONNET: (True, 1), HAIKU: (True, 3)}
        assert body["price_table"]["source"] == "snapshot"
        assert body["price_table"]["fetched_at"] == SNAPSHOT_FETCHED_AT
        assert any("lower bound" in n for n in body["notes"])
        # scoped to one session; unknown ids and a session without its project
        one = client.get("/api/accuracy", params={"project": PROJECT, "session": SID}).json()
        assert one["read"]["files"] == 2 and one["read"]["counted_responses"] == 5
        assert client.get("/api/accuracy", params={"project": "nope"}).status_code == 404
        assert client.get("/api/accuracy", params={"session": SID}).status_code == 422
        bad = client.get("/api/accuracy", params={"project": PROJECT, "session": "nope"})
        assert bad.status_code == 404


HOSTILE = [
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "' OR 1=1 --",
    "x" * 300,
    "\u202e\u0000bad",
]


def test_hostile_accuracy_parameters_get_a_clear_answer(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from helpers.safety import indexed_app

    root = tmp_path / "claude"
    accuracy_history(root)
    app = indexed_app(root, tmp_path / "cache")
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        for value in HOSTILE:
            for params in ({"project": value}, {"project": PROJECT, "session": value}):
                api = client.get("/api/accuracy", params=params)
                assert api.status_code in (404, 422), (params, api.status_code)
                assert api.json()["error"]["status"] == api.status_code
                page = client.get("/accuracy", params=params, headers={"accept": "text/html"})
                assert page.status_code == 404, (params, page.status_code)
                assert "<script>alert(1)</script>" not in page.text
        assert client.get("/api/accuracy", params={"project": "x" * 301}).status_code == 422
        page = client.get("/accuracy", params={"project": PROJECT, "range": "all"})
        assert page.status_code == 200
        assert "How the totals of" in page.text and "invalid_json" in page.text
        assert "entry:brand-new-thing" in page.text and "block:hologram" in page.text
        assert "field:brandNewField" in page.text and 'data-kind="streamed_copy"' in page.text
        assert SNAPSHOT_FETCHED_AT in page.text
        assert "line 7: invalid_json" in page.text
