"""Session messages: the list, its pagination and filters, the filter options, full entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_code_tracer.demo.builder import ClaudeDir, bash_op, numbered, read_op
from helpers.api_fixtures import (
    A1,
    A2,
    A3,
    B1,
    BLOG_HASH,
    CART,
    OPUS,
    SHOP,
    SHOP_HASH,
    SONNET,
    SYNTHETIC,
    T_A1,
    T_A2,
    UNPRICED,
    Api,
    U,
    World,
    api,
    approx_json,
    at,
    cost,
    open_api,
    tok,
    world,
)

__all__ = ["api", "world"]  # fixtures

A1_URL = f"/api/sessions/{SHOP_HASH}/{A1}"
A2_URL = f"/api/sessions/{SHOP_HASH}/{A2}"
A3_URL = f"/api/sessions/{SHOP_HASH}/{A3}"
B1_URL = f"/api/sessions/{BLOG_HASH}/{B1}"

# The main thread of A1 in order: kind, subtype, entry type, seconds after the start, text,
# tools, the usage of its response.
# fmt: off
A1_MESSAGES: list[tuple[str, str | None, str, float, str | None, list[str], str | None]] = [
    ("prompt", None, "user", 5, "add a discount field to the cart", [], None),
    ("assistant", None, "assistant", 7.5, "Looking at the cart first.", ["Read", "Bash"],
     "a1_read_bash"),
    ("tool_result", "tool_result", "user", 10.8, numbered(CART), ["Read"], None),
    ("tool_result", "tool_result", "user", 12.3, "3 passed", ["Bash"], None),
    ("assistant", None, "assistant", 14.8, "", ["Edit"], "a1_edit"),
    ("tool_result", "tool_result", "user", 15.8, None, ["Edit"], None),
    ("assistant", None, "assistant", 18.3, "", ["MultiEdit"], "a1_multi"),
    ("tool_result", "tool_result", "user", 19.3, f"Applied 1 edits to {SHOP}/config.py",
     ["MultiEdit"], None),
    ("assistant", None, "assistant", 21.8, "", ["Write"], "a1_write"),
    ("tool_result", "tool_result", "user", 22.8,
     f"File created successfully at: {SHOP}/discount.py", ["Write"], None),
    ("assistant", None, "assistant", 25.3, "", ["Skill"], "a1_skill"),
    ("tool_result", "tool_result", "user", 25.5, "Launching skill: superpowers:brainstorming",
     ["Skill"], None),
    ("system", "meta", "user", 25.5, None, [], None),
    ("command", "command", "user", 30.5, "/review-pr 42", [], None),
    ("system", "meta", "user", 30.5, "Review pull request 42.", [], None),
    ("assistant", None, "assistant", 33, "The PR looks fine.", [], "a1_reply"),
    ("command", "local_command", "system", 38, "/model", [], None),
    ("command", "local_command", "system", 38, "Set model to Opus", [], None),
    ("command", "bash", "user", 43, "!git status", [], None),
    ("command", "bash_output", "user", 43.3, "nothing to commit", [], None),
    ("subagent", None, "assistant", 45.8, "", ["Task"], "a1_spawn"),
    ("tool_result", "tool_result", "user", 51.86, None, ["Task"], None),
    ("system", "compact_boundary", "system", 72.86, "Conversation compacted", [], None),
    ("system", "compact_summary", "user", 72.86, None, [], None),
    ("prompt", None, "user", 77.86, "now the tests", [], None),
    ("assistant", None, "assistant", 80.36, "Done.", [], "a1_done"),
]
# fmt: on


def all_messages(api: Api, url: str, per_page: int = 50, **params: Any) -> list[dict[str, Any]]:
    """Every page of a message list, checking `total` and `pages` on each."""
    first = api.get(f"{url}/messages", page=1, per_page=per_page, **params)
    total, pages = first["total"], first["pages"]
    assert pages == max(1, -(-total // per_page))
    out = list(first["messages"])
    for page in range(2, pages + 1):
        body = api.get(f"{url}/messages", page=page, per_page=per_page, **params)
        assert (body["total"], body["pages"], body["page"]) == (total, pages, page)
        assert body["per_page"] == per_page
        out += body["messages"]
    assert len(out) == total
    return out


# -- the list --------------------------------------------------------------------------------------


def test_a1_main_thread_in_order(api: Api) -> None:
    messages = all_messages(api, A1_URL)
    got = [
        (m["index"], m["kind"], m["subtype"], m["entry_type"], m["timestamp"], m["tool_names"])
        for m in messages
    ]
    assert got == [
        (i, kind, sub, etype, at(T_A1, secs), tools)
        for i, (kind, sub, etype, secs, _, tools, _) in enumerate(A1_MESSAGES)
    ]
    for m, (*_, text, _, usage) in zip(messages, A1_MESSAGES, strict=True):
        if text is not None:
            assert m["text"] == text, m["index"]
        if usage is None:
            assert (m["tokens"], m["cost"], m["model"]) == (None, None, None), m["index"]
        else:
            assert m["tokens"] == tok(U[usage]), m["index"]
            assert m["cost"] == pytest.approx(cost(OPUS, U[usage]), abs=1e-9)
            assert m["model"] == OPUS
        assert m["agent_id"] is None
        assert m["is_sidechain"] is False
        assert m["has_error"] is False
    assert [m["line_count"] for m in messages] == [1, 4] + [1] * 24  # R1 spans four lines
    assert messages[1]["thinking"] == "Read the cart, then run the tests."
    assert messages[12]["is_meta"] is messages[14]["is_meta"] is True
    assert messages[23]["text"].endswith("Discount work so far.")


def test_tool_calls_in_the_list_are_paired(api: Api, world: World) -> None:
    messages = all_messages(api, A1_URL)
    read, bash = world.responses["a1_read_bash"].calls
    assert messages[1]["tool_calls"] == [
        {
            "tool_use_id": read.id,
            "name": "Read",
            "key_arg": f"{SHOP}/cart.py",
            "is_error": False,
            "error_kind": None,
            "duration_ms": 2100,
            "has_result": True,
            "subagent_id": None,
        },
        {
            "tool_use_id": bash.id,
            "name": "Bash",
            "key_arg": "pytest -q",
            "is_error": False,
            "error_kind": None,
            "duration_ms": 3000,
            "has_result": True,
            "subagent_id": None,
        },
    ]
    (spawn,) = messages[20]["tool_calls"]
    assert (spawn["name"], spawn["key_arg"], spawn["subagent_id"]) == (
        "Task",
        "Find discount usages",
        world.ids["task"],
    )
    assert spawn["duration_ms"] == 6060


def test_a2_errors_in_the_list(api: Api) -> None:
    messages = all_messages(api, A2_URL)
    got = [(m["kind"], m["subtype"], m["has_error"], m["error_category"]) for m in messages]
    assert got == [
        ("prompt", None, False, None),
        ("assistant", None, False, None),
        ("tool_result", "tool_result", True, "tool_error"),
        ("assistant", None, False, None),
        ("tool_result", "tool_result", True, "rejected"),
        ("error", "interrupt", True, "interrupt"),
        ("error", "api_error", True, "api_retry"),
        ("error", "api_error", True, "api_retry"),
        ("error", None, True, "api_error"),
        ("prompt", None, False, None),
        ("assistant", None, False, None),
        ("assistant", None, False, None),
    ]
    assert [m["model"] for m in messages if m["entry_type"] == "assistant"] == [
        OPUS,
        OPUS,
        SYNTHETIC,
        SONNET,
        UNPRICED,
    ]
    assert messages[11]["cost"] == 0.0  # unpriced
    assert messages[8]["tokens"] is None  # an API error has no usage


# -- pagination ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "sizes"), [(A1_URL, (1, 7, 26, 50)), (A3_URL, (7, 13, 59, 60))])
def test_pages_concatenate_to_total_distinct_entries_in_a_stable_order(
    api: Api, url: str, sizes: tuple[int, ...]
) -> None:
    whole = [m["uuid"] for m in api.get(f"{url}/messages", per_page=500)["messages"]]
    assert len(whole) == len(set(whole)) == {A1_URL: 26, A3_URL: 60}[url]
    for per_page in sizes:
        assert [m["uuid"] for m in all_messages(api, url, per_page)] == whole
    again = all_messages(api, url, 7)  # a second pass
    assert [m["uuid"] for m in again] == whole
    assert [m["index"] for m in again] == list(range(len(whole)))


def test_page_past_the_end_is_empty_with_the_total(api: Api) -> None:
    body = api.get(f"{A3_URL}/messages", page=10, per_page=7)
    assert body == {"messages": [], "total": 60, "page": 10, "per_page": 7, "pages": 9}


def test_default_page_size(api: Api) -> None:
    body = api.get(f"{A3_URL}/messages")
    assert (len(body["messages"]), body["total"], body["page"], body["per_page"]) == (50, 60, 1, 50)
    assert body["pages"] == 2
    assert [m["text"] for m in body["messages"][:4]] == ["step 0", "ok 0", "step 1", "ok 1"]


# -- filters ---------------------------------------------------------------------------------------


def indices(api: Api, url: str, **params: Any) -> list[int]:
    return [m["index"] for m in all_messages(api, url, 7, **params)]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("prompt", [0, 24]),
        ("assistant", [1, 4, 6, 8, 10, 15, 25]),
        ("tool_result", [2, 3, 5, 7, 9, 11, 21]),
        ("command", [13, 16, 17, 18, 19]),
        ("subagent", [20]),
        ("system", [12, 14, 22, 23]),
        ("error", []),
    ],
)
def test_type_filter(api: Api, kind: str, expected: list[int]) -> None:
    assert indices(api, A1_URL, type=kind) == expected


def test_type_error_filter_on_a2(api: Api) -> None:
    assert indices(api, A2_URL, type="error") == [5, 6, 7, 8]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Bash", [1, 3]),  # the call and its result
        ("Read", [1, 2]),
        ("Edit", [4, 5]),
        ("Task", [20, 21]),
        ("Grep", []),
    ],
)
def test_tool_filter_gives_calls_and_results(api: Api, name: str, expected: list[int]) -> None:
    assert indices(api, A1_URL, tool=name) == expected


def test_errors_only_and_model_filters(api: Api) -> None:
    assert indices(api, A2_URL, errors_only="true") == [2, 4, 5, 6, 7, 8]
    assert indices(api, A1_URL, errors_only="true") == []
    assert indices(api, A2_URL, model=SONNET) == [10]
    assert indices(api, A2_URL, model=SYNTHETIC) == [8]
    assert indices(api, A2_URL, model=OPUS) == [1, 3]
    assert indices(api, A2_URL, model="claude-none") == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # text of prompts and results, the compaction summary, and calls by their key argument
        ("discount", [0, 5, 8, 9, 20, 23]),
        ("DISCOUNT", [0, 5, 8, 9, 20, 23]),
        ("then run the tests", [1]),  # thinking
        ("pytest -q", [1]),  # a Bash call's command
        ("review pull", [14]),
        ("no such words", []),
    ],
)
def test_search(api: Api, search: str, expected: list[int]) -> None:
    assert indices(api, A1_URL, search=search) == expected


def test_filters_combine(api: Api) -> None:
    assert indices(api, A1_URL, type="tool_result", tool="Bash") == [3]
    assert indices(api, A1_URL, type="assistant", search="cart") == [1, 4]  # text, Edit path
    assert indices(api, A2_URL, errors_only="true", type="tool_result") == [2, 4]
    assert indices(api, A2_URL, errors_only="true", tool="Bash", search="proceed") == [4]
    assert indices(api, A2_URL, tool="Bash", search="push") == [3]  # the call's command


def test_filtered_pages_concatenate_too(api: Api) -> None:
    one = all_messages(api, A3_URL, 1, type="prompt")
    seven = all_messages(api, A3_URL, 7, type="prompt")
    assert [m["uuid"] for m in one] == [m["uuid"] for m in seven]
    assert [m["text"] for m in seven] == [f"step {i}" for i in range(30)]
    assert [m["index"] for m in seven] == list(range(0, 60, 2))


# -- filter options --------------------------------------------------------------------------------


def test_filter_options_a1(api: Api) -> None:
    assert api.get(f"{A1_URL}/messages/filters") == {
        "total": 26,
        "types": [
            {"value": "assistant", "count": 7},
            {"value": "tool_result", "count": 7},
            {"value": "command", "count": 5},
            {"value": "system", "count": 4},
            {"value": "prompt", "count": 2},
            {"value": "subagent", "count": 1},
        ],
        "tools": [
            {"value": "Bash", "count": 2},
            {"value": "Edit", "count": 2},
            {"value": "MultiEdit", "count": 2},
            {"value": "Read", "count": 2},
            {"value": "Skill", "count": 2},
            {"value": "Task", "count": 2},
            {"value": "Write", "count": 2},
        ],
        "models": [{"value": OPUS, "count": 8}],
        "errors": 0,
    }


def test_filter_options_a2(api: Api) -> None:
    assert api.get(f"{A2_URL}/messages/filters") == {
        "total": 12,
        "types": [
            {"value": "assistant", "count": 4},
            {"value": "error", "count": 4},
            {"value": "prompt", "count": 2},
            {"value": "tool_result", "count": 2},
        ],
        "tools": [{"value": "Bash", "count": 4}],
        "models": [
            {"value": OPUS, "count": 2},
            {"value": SYNTHETIC, "count": 1},
            {"value": UNPRICED, "count": 1},
            {"value": SONNET, "count": 1},
        ],
        "errors": 6,
    }


@pytest.mark.parametrize("url", [A1_URL, A2_URL, A3_URL, B1_URL])
def test_every_filter_option_returns_exactly_its_count(api: Api, url: str) -> None:
    options = api.get(f"{url}/messages/filters")
    whole = all_messages(api, url, 500)
    assert options["total"] == len(whole)
    for key, param in (("types", "type"), ("tools", "tool"), ("models", "model")):
        for option in options[key]:
            got = all_messages(api, url, 7, **{param: option["value"]})
            assert len(got) == option["count"], (param, option)
            for m in got:
                if param == "type":
                    assert m["kind"] == option["value"]
                elif param == "tool":
                    assert option["value"] in m["tool_names"]
                else:
                    assert m["model"] == option["value"]
    errors = all_messages(api, url, 7, errors_only="true")
    assert len(errors) == options["errors"]
    assert all(m["has_error"] for m in errors)


# -- by index --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [A1_URL, A2_URL])
def test_by_index_agrees_with_the_list(api: Api, url: str) -> None:
    messages = all_messages(api, url, 500)
    for m in messages:
        detail = api.get(f"{url}/messages/by-index/{m['index']}")
        assert (detail["index"], detail["uuid"]) == (m["index"], m["uuid"])
        assert {k: detail[k] for k in m} == m
    r = api.client.get(f"{url}/messages/by-index/{len(messages)}")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "message not found"


# -- one full entry --------------------------------------------------------------------------------


def test_full_entry_with_blocks_tool_inputs_results_usage_and_cost(api: Api, world: World) -> None:
    resp = world.responses["a1_read_bash"]
    read, bash = resp.calls
    body = api.get(f"{A1_URL}/messages/{resp.uuids[0]}")
    blocks = [b for line in resp.lines for b in line["message"]["content"]]
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use", "tool_use"]
    assert body["blocks"] == blocks
    assert body["usage"] == resp.lines[-1]["message"]["usage"]
    assert body["tokens"] == tok(U["a1_read_bash"])
    assert body["cost"] == pytest.approx(
        3 * 5e-6 + 120 * 25e-6 + 2000 * 10e-6 + 9000 * 0.5e-6, abs=1e-9
    )
    expected_head = {
        "index": 1,
        "uuid": resp.uuids[0],
        "parent_uuid": world.lines["a1_prompt"]["uuid"],
        "entry_type": "assistant",
        "kind": "assistant",
        "model": OPUS,
        "text": "Looking at the cart first.",
        "thinking": "Read the cart, then run the tests.",
        "timestamp": at(T_A1, 7.5),
        "session_id": A1,
        "project_hash": SHOP_HASH,
        "message_id": resp.message_id,
        "request_id": resp.request_id,
        "cwd": SHOP,
        "git_branch": "feature/discounts",
        "version": "2.1.39",
        "line_count": 4,
        "source_available": True,
        "tool_use_result": None,
    }
    assert {k: body[k] for k in expected_head} == expected_head
    read_result = read_op(f"{SHOP}/cart.py", CART)
    bash_result = bash_op("pytest -q", "3 passed")
    assert body["tool_details"] == [
        {
            "tool_use_id": read.id,
            "name": "Read",
            "key_arg": f"{SHOP}/cart.py",
            "input": {"file_path": f"{SHOP}/cart.py"},
            "result": numbered(CART),
            "result_truncated": False,
            "result_uuid": api.get(f"{A1_URL}/messages/by-index/2")["uuid"],
            "is_error": False,
            "error_kind": None,
            "duration_ms": 2100,
            "tool_use_result": read_result.result,
            "subagent_id": None,
        },
        {
            "tool_use_id": bash.id,
            "name": "Bash",
            "key_arg": "pytest -q",
            "input": {"command": "pytest -q"},
            "result": "3 passed",
            "result_truncated": False,
            "result_uuid": api.get(f"{A1_URL}/messages/by-index/3")["uuid"],
            "is_error": False,
            "error_kind": None,
            "duration_ms": 3000,
            "tool_use_result": bash_result.result,
            "subagent_id": None,
        },
    ]


def test_any_line_of_a_streamed_response_finds_the_whole_entry(api: Api, world: World) -> None:
    resp = world.responses["a1_read_bash"]
    for uuid in resp.uuids:
        body = api.get(f"{A1_URL}/messages/{uuid}")
        assert (body["index"], body["uuid"], body["line_count"]) == (1, resp.uuids[0], 4)


def test_full_entry_of_a_tool_result(api: Api) -> None:
    listed = api.get(f"{A1_URL}/messages/by-index/3")
    body = api.get(f"{A1_URL}/messages/{listed['uuid']}")
    (block,) = body["blocks"]
    assert block["type"] == "tool_result"
    assert (block["content"], block["is_error"]) == ("3 passed", False)
    assert body["tool_use_result"] == bash_op("pytest -q", "3 passed").result
    assert (body["tokens"], body["cost"], body["usage"], body["tool_details"]) == (
        None,
        None,
        None,
        [],
    )


def test_full_entry_of_a_spawn_links_the_subagent(api: Api, world: World) -> None:
    resp = world.responses["a1_spawn"]
    body = api.get(f"{A1_URL}/messages/{resp.uuids[0]}")
    assert body["kind"] == "subagent"
    (detail,) = body["tool_details"]
    assert detail["subagent_id"] == world.ids["task"]
    assert detail["input"] == {
        "description": "Find discount usages",
        "prompt": "Where is discount used?",
        "subagent_type": "Explore",
    }
    assert detail["result"].startswith("Only cart.py uses it.\nagentId: " + world.ids["task"])
    assert detail["tool_use_result"]["agentId"] == world.ids["task"]
    assert detail["tool_use_result"]["status"] == "completed"


def test_full_entry_of_an_api_error(api: Api, world: World) -> None:
    uuid = world.lines["a2_synthetic"]["uuid"]
    body = api.get(f"{A2_URL}/messages/{uuid}")
    expected = {
        "index": 8,
        "kind": "error",
        "model": SYNTHETIC,
        "has_error": True,
        "error_category": "api_error",
        "text": "API Error: 500 Internal server error",
        "timestamp": at(T_A2, 18.017),
        "tokens": None,
        "cost": None,
        "blocks": [{"type": "text", "text": "API Error: 500 Internal server error"}],
    }
    assert {k: body[k] for k in expected} == expected


def test_full_entry_of_a_rejected_call(api: Api, world: World) -> None:
    resp = world.responses["a2_reject"]
    body = api.get(f"{A2_URL}/messages/{resp.uuids[0]}")
    (detail,) = body["tool_details"]
    assert detail["input"] == {"command": "git push --force"}
    assert (detail["is_error"], detail["error_kind"], detail["duration_ms"]) == (
        True,
        "rejected",
        4000,
    )
    assert detail["tool_use_result"] == "User rejected tool use"
    assert body["cost"] == pytest.approx(cost(OPUS, U["a2_reject"]), abs=1e-9)


@pytest.mark.parametrize(
    "which",
    ["unknown", "other_session", "subagent_line"],
)
def test_unknown_message_is_404(api: Api, world: World, which: str) -> None:
    uuid = {
        "unknown": "00000000-0000-4000-8000-00000000dead",
        "other_session": world.lines["a2_synthetic"]["uuid"],
        "subagent_line": world.responses["ag_bash"].uuids[0],
    }[which]
    r = api.client.get(f"{A1_URL}/messages/{uuid}")
    assert r.status_code == 404
    assert r.json() == {
        "error": {"status": 404, "code": "not_found", "message": "message not found", "details": []}
    }


# -- bad parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"type": "bogus"},
        {"errors_only": "maybe"},
        {"page": "0"},
        {"page": "x"},
        {"per_page": "0"},
        {"per_page": "501"},
        {"per_page": "10000"},
        {"search": "x" * 201},
        {"tool": "t" * 201},
        {"model": "m" * 201},
    ],
)
def test_bad_message_parameters_are_422(api: Api, params: dict[str, str]) -> None:
    r = api.client.get(f"{A1_URL}/messages", params=params)
    assert r.status_code == 422
    error = r.json()["error"]
    assert (error["status"], error["code"], error["message"]) == (
        422,
        "invalid_parameters",
        "invalid parameters",
    )
    (detail,) = error["details"]
    assert detail["loc"] == ["query", next(iter(params))]


@pytest.mark.parametrize("idx", ["-1", "x", "100000001"])
def test_bad_index_is_422(api: Api, idx: str) -> None:
    r = api.client.get(f"{A1_URL}/messages/by-index/{idx}")
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["path", "idx"]


def test_entry_cost_uses_the_snapshot_prices(api: Api) -> None:
    body = api.get(f"{A2_URL}/messages/by-index/10")
    assert body["model"] == SONNET
    assert body["cost"] == pytest.approx(10 * 3e-6 + 200 * 15e-6 + 4000 * 3.75e-6, abs=1e-9)
    assert approx_json(body["tokens"]) == tok(U["a2_sonnet"])


def test_search_finds_words_past_the_text_kept_in_the_index(tmp_path: Path) -> None:
    claude = ClaudeDir(tmp_path / "claude", seed=5)
    s = claude.project("/w/long").session(A1, start=T_A1)
    s.prompt("summarise the log")
    s.bash("cat build.log", "ok\n" * 1500 + "FATAL: disk full", usage=U["a1_skill"])
    s.say("x" * 20_000 + " needle", usage=U["a1_done"])
    gen = open_api(tmp_path, None, claude.root)
    api = next(gen)
    try:
        url = f"/api/sessions/-w-long/{A1}/messages"
        assert [m["kind"] for m in api.get(url, search="needle")["messages"]] == ["assistant"]
        assert [m["kind"] for m in api.get(url, search="FATAL")["messages"]] == ["tool_result"]
    finally:
        next(gen, None)
