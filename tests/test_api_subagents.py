"""/api/subagents: one subagent (by id, or within its session), its tools and its messages."""

from __future__ import annotations

from typing import Any

import pytest

from helpers.api_fixtures import (
    A1,
    B1,
    B2,
    BLOG,
    BLOG_HASH,
    HAIKU,
    OPUS,
    SHOP,
    SHOP_HASH,
    SONNET,
    T_A1,
    T_B1,
    T_B2,
    Api,
    U,
    World,
    api,
    approx_json,
    at,
    cost,
    task_agent_summary,
    tok,
    total,
    world,
)

__all__ = ["api", "world"]  # fixtures


def usage_entry(model: str, names: list[str]) -> dict[str, Any]:
    return {
        "model": model,
        "priced": True,
        "tokens": tok(total(*(U[n] for n in names))),
        "cost": sum(cost(model, U[n]) for n in names),
        "messages": len(names),
    }


def expected_task(world: World) -> dict[str, Any]:
    extra = {
        "session_title": "Cart discounts",
        "project_path": SHOP,
        "prompt": "Where is discount used?",
        "model_usage": approx_json([usage_entry(HAIKU, ["ag_bash", "ag_finish"])]),
    }
    return {**task_agent_summary(world), **extra}


def test_subagent_by_id(api: Api, world: World) -> None:
    body = api.get(f"/api/subagents/{SHOP_HASH}/{world.ids['task']}")
    assert body == expected_task(world)


def test_subagent_within_its_session(api: Api, world: World) -> None:
    body = api.get(f"/api/subagents/{SHOP_HASH}/{A1}/{world.ids['task']}")
    assert body == expected_task(world)


def test_subagents_of_every_layout(api: Api, world: World) -> None:
    compact = api.get(f"/api/subagents/{SHOP_HASH}/{A1}/{world.ids['compact']}")
    legacy = api.get(f"/api/subagents/{BLOG_HASH}/{B1}/{world.ids['legacy']}")
    warmup = api.get(f"/api/subagents/{BLOG_HASH}/{world.ids['warmup']}")
    inline = api.get(f"/api/subagents/{BLOG_HASH}/{B2}/{world.ids['inline']}")
    keys = ("kind", "agent_type", "description", "spawn_tool_use_id", "session_id", "prompt")
    assert [tuple(a[k] for k in keys) for a in (compact, legacy, warmup, inline)] == [
        ("compact", "compaction", "Conversation compaction", None, A1, compact_prompt()),
        ("task", "general-purpose", "Trace feed", world.ids["legacy_call"], B1, "Trace feed()"),
        ("warmup", None, "Warmup", None, B1, "Warmup"),
        ("inline", "general-purpose", "Atom check", world.ids["inline_call"], B2, "Check atom.py"),
    ]
    assert [(a["start_time"], a["end_time"], a["duration_seconds"]) for a in (legacy, inline)] == [
        (at(T_B1, 10.01), at(T_B1, 12.51), 2.5),
        (at(T_B2, 10.01), at(T_B2, 12.51), 2.5),
    ]
    assert compact["model_usage"] == approx_json([usage_entry(OPUS, ["a1_compact"])])
    assert legacy["model_usage"] == approx_json([usage_entry(SONNET, ["b1_legacy"])])
    assert warmup["model_usage"] == approx_json([usage_entry(SONNET, ["b1_warmup"])])
    assert inline["model_usage"] == approx_json([usage_entry(SONNET, ["b2_inline"])])
    assert (legacy["project_path"], legacy["session_title"]) == (BLOG, "explain the feed")
    assert inline["session_title"] == "and the atom feed?"


def compact_prompt() -> str:
    from claude_code_tracer.demo.builder import COMPACT_PROMPT

    return COMPACT_PROMPT


def test_subagent_tools(api: Api, world: World) -> None:
    assert api.get(f"/api/subagents/{SHOP_HASH}/{world.ids['task']}/tools") == {
        "tools": [
            {
                "name": "Bash",
                "count": 1,
                "errors": 0,
                "error_rate": 0.0,
                "total_duration_ms": 1000,
                "mean_duration_ms": 1000.0,
            }
        ],
        "total_calls": 1,
        "total_errors": 0,
    }
    assert api.get(f"/api/subagents/{BLOG_HASH}/{world.ids['warmup']}/tools") == {
        "tools": [],
        "total_calls": 0,
        "total_errors": 0,
    }


# -- messages --------------------------------------------------------------------------------------


def messages_url(world: World, name: str = "task") -> str:
    where = {
        "task": (SHOP_HASH, A1),
        "compact": (SHOP_HASH, A1),
        "legacy": (BLOG_HASH, B1),
        "warmup": (BLOG_HASH, B1),
        "inline": (BLOG_HASH, B2),
    }[name]
    return f"/api/subagents/{where[0]}/{where[1]}/{world.ids[name]}/messages"


def test_subagent_messages(api: Api, world: World) -> None:
    body = api.get(messages_url(world))
    got = [
        (m["index"], m["kind"], m["timestamp"], m["text"], m["agent_id"], m["is_sidechain"])
        for m in body["messages"]
    ]
    aid = world.ids["task"]
    assert got == [
        (0, "prompt", at(T_A1, 45.81), "Where is discount used?", aid, True),
        (1, "assistant", at(T_A1, 48.31), "", aid, True),
        (2, "tool_result", at(T_A1, 49.31), "cart.py:3", aid, True),
        (3, "assistant", at(T_A1, 51.81), "Only cart.py uses it.", aid, True),
    ]
    assert [m["tokens"] for m in body["messages"]] == [
        None,
        tok(U["ag_bash"]),
        None,
        tok(U["ag_finish"]),
    ]
    assert body["messages"][1]["cost"] == pytest.approx(cost(HAIKU, U["ag_bash"]), abs=1e-9)
    (call,) = body["messages"][1]["tool_calls"]
    assert (call["name"], call["key_arg"], call["duration_ms"], call["has_result"]) == (
        "Bash",
        "rg discount",
        1000,
        True,
    )
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (4, 1, 50, 1)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "assistant"}, [1, 3]),
        ({"type": "prompt"}, [0]),
        ({"type": "error"}, []),
        ({"tool": "Bash"}, [1, 2]),
        ({"model": HAIKU}, [1, 3]),
        ({"model": OPUS}, []),
        ({"search": "RG DISCOUNT"}, [1]),
        ({"search": "only cart"}, [3]),
        ({"errors_only": "true"}, []),
    ],
)
def test_subagent_message_filters(
    api: Api, world: World, params: dict[str, str], expected: list[int]
) -> None:
    body = api.get(messages_url(world), **params)
    assert [m["index"] for m in body["messages"]] == expected
    assert body["total"] == len(expected)


def test_subagent_message_pages(api: Api, world: World) -> None:
    whole = [m["uuid"] for m in api.get(messages_url(world))["messages"]]
    pages = [api.get(messages_url(world), per_page=3, page=p) for p in (1, 2, 3)]
    assert [m["uuid"] for p in pages for m in p["messages"]] == whole
    assert [(p["total"], p["pages"], len(p["messages"])) for p in pages] == [
        (4, 2, 3),
        (4, 2, 1),
        (4, 2, 0),
    ]


@pytest.mark.parametrize(
    ("name", "texts"),
    [
        ("legacy", ["Trace feed()", "Two calls."]),
        ("warmup", ["Warmup", "Ready."]),
        ("inline", ["Check atom.py", "Atom is fine."]),
    ],
)
def test_messages_of_every_layout(api: Api, world: World, name: str, texts: list[str]) -> None:
    body = api.get(messages_url(world, name))
    assert [m["text"] for m in body["messages"]] == texts
    assert [m["kind"] for m in body["messages"]] == ["prompt", "assistant"]
    assert {m["agent_id"] for m in body["messages"]} == {world.ids[name]}


def test_compaction_agent_messages(api: Api, world: World) -> None:
    body = api.get(messages_url(world, "compact"))
    assert [m["kind"] for m in body["messages"]] == ["prompt", "assistant"]
    assert body["messages"][1]["tokens"] == tok(U["a1_compact"])
    assert body["messages"][1]["text"].startswith("<analysis>\nDiscount work so far.")


# -- unknown ids and bad parameters ----------------------------------------------------------------


def not_found(api: Api, path: str, what: str) -> None:
    r = api.client.get(path)
    assert r.status_code == 404, path
    assert r.json() == {
        "error": {"status": 404, "code": "not_found", "message": f"{what} not found", "details": []}
    }


def test_unknown_subagent_is_404(api: Api, world: World) -> None:
    task = world.ids["task"]
    for path in (
        f"/api/subagents/{SHOP_HASH}/anope",
        f"/api/subagents/{SHOP_HASH}/anope/tools",
        f"/api/subagents/{SHOP_HASH}/{A1}/anope",
        f"/api/subagents/{SHOP_HASH}/{A1}/anope/messages",
        f"/api/subagents/{BLOG_HASH}/{task}",  # another project's agent
        f"/api/subagents/{BLOG_HASH}/{task}/tools",
        f"/api/subagents/{SHOP_HASH}/{B1}/{task}",  # not of that session
        f"/api/subagents/{SHOP_HASH}/{B1}/{task}/messages",
        f"/api/subagents/-no-such-project/{task}",
        f"/api/subagents/-no-such-project/{A1}/{task}/messages",
    ):
        not_found(api, path, "subagent")


@pytest.mark.parametrize(
    "params",
    [{"type": "bogus"}, {"page": "0"}, {"per_page": "501"}, {"errors_only": "2"}],
)
def test_bad_subagent_message_parameters_are_422(
    api: Api, world: World, params: dict[str, str]
) -> None:
    r = api.client.get(messages_url(world), params=params)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["query", next(iter(params))]
