"""The fixture history of the API tests and one app over it, shared by every API test module.

Two projects, five sessions over five days:

* shop A1 (2.1.39, Opus, 2026-02-02): tools with paired results, code changes, a skill, prompt,
  local and bash commands, a 2.1.x subagent with meta.json (Haiku), an auto compaction (with
  its `acompact-*` agent) and a custom title;
* shop A2 (2.1.39, 2026-02-03): an error of each of the five categories, a Sonnet answer and
  one from a model the price table does not list;
* shop A3 (2026-02-04 23:58 to 2026-02-05 00:01:45): 60 messages across midnight, for
  pagination and the date-range boundary;
* blog B1 (2.0.76, Sonnet, 2026-02-05): a legacy flat agent and a warmup agent;
* blog B2 (1.0.98, Sonnet, 2026-02-06): an inline sidechain and one malformed line.

Every token count is written here, so the tests compute expected totals and dollars by hand.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from claude_code_tracer.config import Settings
from claude_code_tracer.demo.builder import (
    ClaudeDir,
    Response,
    Session,
    Usage,
    bash_op,
    folder_name,
    read_op,
)
from claude_code_tracer.main import create_app

OPUS = "claude-opus-4-6"
SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5-20251001"
UNPRICED = "claude-nova-9"
SYNTHETIC = "<synthetic>"

# dollars per token, from the shipped LiteLLM snapshot
PRICES = {
    OPUS: {"in": 5e-6, "out": 25e-6, "w5m": 6.25e-6, "w1h": 10e-6, "read": 0.5e-6},
    SONNET: {"in": 3e-6, "out": 15e-6, "w5m": 3.75e-6, "w1h": 6e-6, "read": 0.3e-6},
    HAIKU: {"in": 1e-6, "out": 5e-6, "w5m": 1.25e-6, "w1h": 2e-6, "read": 0.1e-6},
}

SHOP = "/home/dev/shop"
BLOG = "/srv/blog"
SHOP_HASH = folder_name(SHOP)  # "-home-dev-shop"
BLOG_HASH = folder_name(BLOG)  # "-srv-blog"

A1 = "a1000000-0000-4000-8000-000000000001"
A2 = "a2000000-0000-4000-8000-000000000002"
A3 = "a3000000-0000-4000-8000-000000000003"
B1 = "b1000000-0000-4000-8000-000000000001"
B2 = "b2000000-0000-4000-8000-000000000002"

T_A1 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
T_A2 = datetime(2026, 2, 3, 14, 0, tzinfo=UTC)
T_A3 = datetime(2026, 2, 4, 23, 58, tzinfo=UTC)
T_B1 = datetime(2026, 2, 5, 10, 0, tzinfo=UTC)
T_B2 = datetime(2026, 2, 6, 8, 0, tzinfo=UTC)

DAY = 86400.0

CART = "class Cart:\n    items = []\n"
DISCOUNT = "def discount(total):\n    return total * 0.9\n\n"
CONFIG = "DEBUG = True\nPORT = 80\n"
SKILL_BODY = "# Brainstorming\nAsk one question at a time."

# usage of every response, by name
U: dict[str, Usage] = {
    # A1, Opus
    "a1_read_bash": Usage(input=3, output=120, cache_1h=2000, cache_read=9000),
    "a1_edit": Usage(input=2, output=60, cache_read=11000),
    "a1_multi": Usage(input=1, output=25),
    "a1_write": Usage(input=2, output=80, cache_5m=500),
    "a1_skill": Usage(input=1, output=20),
    "a1_reply": Usage(input=4, output=40, cache_read=12000),
    "a1_spawn": Usage(input=1, output=30),
    "a1_compact": Usage(input=3, output=8, cache_1h=900),
    "a1_done": Usage(input=1, output=30, cache_read=3000),
    # the A1 subagent, Haiku
    "ag_bash": Usage(input=5, output=50, cache_5m=1000),
    "ag_finish": Usage(input=2, output=70, cache_read=1000),
    # A2
    "a2_bash": Usage(input=3, output=15),
    "a2_reject": Usage(input=2, output=5),
    "a2_sonnet": Usage(input=10, output=200, cache_5m=4000),
    "a2_unpriced": Usage(input=7, output=70),
    # A3: 30 answers of this usage, Opus
    "a3_each": Usage(input=1, output=10, cache_read=100),
    # B1, Sonnet
    "b1_reply": Usage(input=5, output=300, cache_5m=4000),
    "b1_spawn": Usage(input=3, output=15),
    "b1_legacy": Usage(input=1, output=50, cache_5m=700),
    "b1_warmup": Usage(input=4, output=12, cache_5m=9800),
    # B2, Sonnet
    "b2_reply": Usage(input=6, output=90),
    "b2_spawn": Usage(input=2, output=10),
    "b2_inline": Usage(input=2, output=40, cache_5m=100),
}


def cost(model: str, u: Usage) -> float:
    """Dollars of one response, from the prices above."""
    p = PRICES[model]
    return (
        u.input * p["in"]
        + u.output * p["out"]
        + u.cache_5m * p["w5m"]
        + u.cache_1h * p["w1h"]
        + u.cache_read * p["read"]
    )


def approx_json(value: Any) -> Any:
    """`value` with every float replaced by pytest.approx within 1e-9 (for `==` on JSON)."""
    if isinstance(value, float):
        return pytest.approx(value, abs=1e-9)
    if isinstance(value, dict):
        return {k: approx_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [approx_json(v) for v in value]
    return value


def z(ts: datetime) -> str:
    """A UTC timestamp as the API writes it: ISO 8601 with `Z`."""
    text = ts.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def at(start: datetime, seconds: float) -> str:
    """`start + seconds` (to the millisecond, as the transcripts store it), as the API writes it."""
    ms = math.floor(seconds * 1000 + 1e-6)
    return z(start + timedelta(milliseconds=ms))


def total(*usages: Usage) -> Usage:
    out = Usage(input=0, output=0)
    for u in usages:
        out = out + u
    return out


def tok(u: Usage) -> dict[str, int]:
    """The API's token object for `u`."""
    return {
        "input_tokens": u.input,
        "output_tokens": u.output,
        "cache_creation_input_tokens": u.cache_creation,
        "cache_read_input_tokens": u.cache_read,
        "total_tokens": u.total,
    }


@dataclass
class World:
    claude: ClaudeDir
    sessions: dict[str, Session] = field(default_factory=dict)
    agents: dict[str, Session] = field(default_factory=dict)
    responses: dict[str, Response] = field(default_factory=dict)
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # agent ids and uuids by name

    def jsonl_lines(self) -> int:
        """Lines of every transcript file, as written."""
        return sum(
            len(p.read_bytes().splitlines()) for p in self.claude.files() if p.suffix == ".jsonl"
        )

    def jsonl_files(self) -> int:
        return sum(1 for p in self.claude.files() if p.suffix == ".jsonl")


def build(root: Path) -> World:
    claude = ClaudeDir(root, seed=7)
    w = World(claude)
    shop, blog = claude.project(SHOP), claude.project(BLOG)

    # -- A1 ------------------------------------------------------------------------------------
    s = shop.session(A1, start=T_A1, model=OPUS, git_branch="feature/discounts")
    w.sessions["A1"] = s
    w.lines["a1_prompt"] = s.prompt("add a discount field to the cart")
    w.responses["a1_read_bash"] = s.run(
        read_op(f"{SHOP}/cart.py", CART),
        bash_op("pytest -q", "3 passed"),
        text="Looking at the cart first.",
        thinking="Read the cart, then run the tests.",
        usage=U["a1_read_bash"],
        duration=1.5,
    )
    w.responses["a1_edit"] = s.edit(
        f"{SHOP}/cart.py",
        "items = []",
        "items: list = []\n    discount = 0",
        CART,
        usage=U["a1_edit"],
    )
    w.responses["a1_multi"] = s.multi_edit(
        f"{SHOP}/config.py", [("DEBUG = True", "DEBUG = False")], CONFIG, usage=U["a1_multi"]
    )
    w.responses["a1_write"] = s.write(f"{SHOP}/discount.py", DISCOUNT, usage=U["a1_write"])
    w.responses["a1_skill"] = s.skill("superpowers:brainstorming", SKILL_BODY, usage=U["a1_skill"])
    w.lines["a1_command"] = s.command("review-pr", "42", expansion="Review pull request 42.")
    w.responses["a1_reply"] = s.say("The PR looks fine.", usage=U["a1_reply"])
    s.local_command("model", "Set model to Opus")
    s.bash_mode("git status", "nothing to commit")
    agent = s.spawn(
        "Find discount usages",
        "Where is discount used?",
        subagent_type="Explore",
        usage=U["a1_spawn"],
        model=HAIKU,
    )
    w.responses["a1_spawn"] = s.responses[-1]
    w.agents["task"] = agent
    w.ids["task"] = str(agent.agent_id)
    w.ids["task_call"] = agent.call.id
    w.responses["ag_bash"] = agent.bash("rg discount", "cart.py:3", usage=U["ag_bash"])
    agent.finish("Only cart.py uses it.", usage=U["ag_finish"])
    w.responses["ag_finish"] = agent.responses[-1]
    before = {p.name for p in (s.path.parent / A1 / "subagents").iterdir()}
    w.lines["a1_summary"] = s.compact("Discount work so far.", usage=U["a1_compact"])
    (compact_file,) = {p.name for p in (s.path.parent / A1 / "subagents").iterdir()} - before
    w.ids["compact"] = compact_file.removeprefix("agent-").removesuffix(".jsonl")
    w.lines["a1_prompt2"] = s.prompt("now the tests")
    w.responses["a1_done"] = s.say("Done.", usage=U["a1_done"])
    s.custom_title("Cart discounts")

    # -- A2 ------------------------------------------------------------------------------------
    s = shop.session(A2, start=T_A2, model=OPUS)
    w.sessions["A2"] = s
    s.prompt("fix the flaky checkout test")
    w.responses["a2_bash"] = s.bash(
        "pytest tests/test_checkout.py", "1 failed", exit_code=1, usage=U["a2_bash"]
    )
    w.responses["a2_reject"] = s.reject(bash_op("git push --force"), usage=U["a2_reject"])
    w.ids["a2_retry"] = s.api_retries(2, status=529)[0]["uuid"]
    w.lines["a2_synthetic"] = s.synthetic("API Error: 500 Internal server error", status=500)
    s.prompt("try again")
    w.responses["a2_sonnet"] = s.say("Fixed the race.", model=SONNET, usage=U["a2_sonnet"])
    w.responses["a2_unpriced"] = s.say(
        "Also tidied the fixture.", model=UNPRICED, usage=U["a2_unpriced"]
    )

    # -- A3: 30 prompt/answer pairs over midnight ----------------------------------------------
    s = shop.session(A3, start=T_A3, model=OPUS, git_branch="main")
    w.sessions["A3"] = s
    for i in range(30):
        s.prompt(f"step {i}")
        s.say(f"ok {i}", usage=U["a3_each"])

    # -- B1: legacy flat agent, warmup ---------------------------------------------------------
    s = blog.session(B1, start=T_B1, version="2.0.76", model=SONNET, git_branch="draft")
    w.sessions["B1"] = s
    s.prompt("explain the feed")
    w.responses["b1_reply"] = s.say("It renders RSS.", usage=U["b1_reply"])
    legacy = s.spawn("Trace feed", "Trace feed()", layout="legacy", usage=U["b1_spawn"])
    w.agents["legacy"] = legacy
    w.ids["legacy"] = str(legacy.agent_id)
    w.ids["legacy_call"] = legacy.call.id
    legacy.finish("Two calls.", usage=U["b1_legacy"])
    warm = s.warmup(usage=U["b1_warmup"])
    w.agents["warmup"] = warm
    w.ids["warmup"] = str(warm.agent_id)

    # -- B2: inline sidechain (1.0.x), one malformed line --------------------------------------
    s = blog.session(B2, start=T_B2, version="1.0.98", model=SONNET)
    w.sessions["B2"] = s
    s.prompt("and the atom feed?")
    w.responses["b2_reply"] = s.say("Same as RSS.", usage=U["b2_reply"])
    inline = s.spawn("Atom check", "Check atom.py", layout="inline", usage=U["b2_spawn"])
    w.agents["inline"] = inline
    w.ids["inline"] = f"side-{str(inline.last)[:8]}"
    w.ids["inline_call"] = inline.call.id
    inline.finish("Atom is fine.", usage=U["b2_inline"])
    s.write_raw(b'{"type":"user","message":\n')

    # B2's file was touched 15 minutes ago, long after its last entry: a touched file is not a
    # live session, so every session has ended
    for path in claude.files():
        os.utime(path, (T_B2.timestamp() + DAY, T_B2.timestamp() + DAY))
    recent = time.time() - 900
    os.utime(w.sessions["B2"].path, (recent, recent))
    return w


@dataclass
class Api:
    app: FastAPI
    client: TestClient
    world: World
    settings: Settings

    def get(self, path: str, **params: Any) -> Any:
        """GET `path` and return the JSON body, asserting a 200."""
        r = self.client.get(path, params=params or None)
        assert r.status_code == 200, (path, params, r.status_code, r.text[:500])
        return r.json()


def make_settings(root: Path, cache: Path, home: Path) -> Settings:
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(cache), "TZ": "UTC"}
    return Settings.from_env(env, claude_dirs=(root,), offline=True, watch=False, workers=1)


def open_api(base: Path, world: World | None, root: Path) -> Iterator[Api]:
    """An app over `root`, indexed once, with a client inside its lifespan."""
    (base / "home").mkdir(parents=True, exist_ok=True)
    settings = make_settings(root, base / "cache", base / "home")
    app = create_app(settings, start=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        app.state.runtime.sync_now()
        yield Api(app, client, world or World(ClaudeDir(root)), settings)


_SHARED: dict[str, Any] = {}


@pytest.fixture
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Api:
    """The app over the fixture history: built, indexed and started once per test run."""
    if "api" not in _SHARED:
        base = tmp_path_factory.mktemp("api")
        world = build(base / "claude")
        gen = open_api(base, world, world.claude.root)
        _SHARED["api"] = next(gen)

        def close() -> None:
            next(gen, None)
            _SHARED.clear()

        request.config.add_cleanup(close)
    shared: Api = _SHARED["api"]
    return shared


@pytest.fixture
def world(api: Api) -> World:
    return api.world


# -- expected facts of the history, worked out from the usages and the builder's clock --------

A1_OPUS = [
    "a1_read_bash",
    "a1_edit",
    "a1_multi",
    "a1_write",
    "a1_skill",
    "a1_reply",
    "a1_spawn",
    "a1_compact",
    "a1_done",
]
A1_HAIKU = ["ag_bash", "ag_finish"]
SESSION_USAGE: dict[str, dict[str, list[str]]] = {
    "A1": {OPUS: A1_OPUS, HAIKU: A1_HAIKU},
    "A2": {OPUS: ["a2_bash", "a2_reject"], SONNET: ["a2_sonnet"], UNPRICED: ["a2_unpriced"]},
    "A3": {OPUS: ["a3_each"] * 30},
    "B1": {SONNET: ["b1_reply", "b1_spawn", "b1_legacy", "b1_warmup"]},
    "B2": {SONNET: ["b2_reply", "b2_spawn", "b2_inline"]},
}
SUBAGENT_USAGE: dict[str, dict[str, list[str]]] = {
    "A1": {OPUS: ["a1_compact"], HAIKU: A1_HAIKU},
    "A2": {},
    "A3": {},
    "B1": {SONNET: ["b1_legacy", "b1_warmup"]},
    "B2": {SONNET: ["b2_inline"]},
}


# A1's `/review-pr 42` owns every response until the next prompt ("now the tests"): the reply,
# the spawn and its Explore subagent, and the compaction call (the local `/model` and the `!`
# command between them start no work of their own)
REVIEW_PR = {OPUS: ["a1_reply", "a1_spawn", "a1_compact"], HAIKU: A1_HAIKU}


def usage_of(by_model: dict[str, list[str]]) -> Usage:
    return total(*(U[n] for names in by_model.values() for n in names))


def cost_of(by_model: dict[str, list[str]]) -> float:
    return sum(cost(m, U[n]) for m, names in by_model.items() if m in PRICES for n in names)


def session_summary(name: str) -> dict[str, Any]:
    """The expected `SessionSummary` of a fixture session."""
    facts: dict[str, dict[str, Any]] = {
        "A1": {
            "session_id": A1,
            "project_hash": SHOP_HASH,
            "title": "Cart discounts",
            "title_source": "custom_title",
            "first_prompt": "add a discount field to the cart",
            "start_time": at(T_A1, 5),
            "end_time": at(T_A1, 80.36),
            "duration_seconds": 75.36,
            "message_count": 26,
            "prompt_count": 2,
            "tool_calls": 8,  # 7 in the main thread, 1 in the subagent
            "errors": 0,
            "subagent_count": 1,  # the compaction agent is not counted
            "models": [OPUS, HAIKU],
            "unpriced_models": [],
            "git_branch": "feature/discounts",
            "version": "2.1.39",
            "status": "ended",
        },
        "A2": {
            "session_id": A2,
            "project_hash": SHOP_HASH,
            "title": "fix the flaky checkout test",
            "title_source": "first_prompt",
            "first_prompt": "fix the flaky checkout test",
            "start_time": at(T_A2, 5),
            "end_time": at(T_A2, 28.017),
            "duration_seconds": 23.017,
            "message_count": 12,
            "prompt_count": 2,
            "tool_calls": 2,
            "errors": 6,
            "subagent_count": 0,
            "models": [SONNET, UNPRICED, OPUS],
            "unpriced_models": [UNPRICED],
            "git_branch": "main",
            "version": "2.1.39",
            "status": "ended",
        },
        "A3": {
            "session_id": A3,
            "project_hash": SHOP_HASH,
            "title": "step 0",
            "title_source": "first_prompt",
            "first_prompt": "step 0",
            "start_time": at(T_A3, 5),
            "end_time": at(T_A3, 225),
            "duration_seconds": 220.0,
            "message_count": 60,
            "prompt_count": 30,
            "tool_calls": 0,
            "errors": 0,
            "subagent_count": 0,
            "models": [OPUS],
            "unpriced_models": [],
            "git_branch": "main",
            "version": "2.1.39",
            "status": "ended",
        },
        "B1": {
            "session_id": B1,
            "project_hash": BLOG_HASH,
            "title": "explain the feed",
            "title_source": "first_prompt",
            "first_prompt": "explain the feed",
            "start_time": at(T_B1, 5),
            "end_time": at(T_B1, 15.06),  # the warmup agent answers last
            "duration_seconds": 10.06,
            "message_count": 4,
            "prompt_count": 1,
            "tool_calls": 1,
            "errors": 0,
            "subagent_count": 1,  # the warmup agent is not counted
            "models": [SONNET],
            "unpriced_models": [],
            "git_branch": "draft",
            "version": "2.0.76",
            "status": "ended",
        },
        "B2": {
            "session_id": B2,
            "project_hash": BLOG_HASH,
            "title": "and the atom feed?",
            "title_source": "first_prompt",
            "first_prompt": "and the atom feed?",
            "start_time": at(T_B2, 5),
            "end_time": at(T_B2, 12.56),
            "duration_seconds": 7.56,
            "message_count": 4,
            "prompt_count": 1,
            "tool_calls": 1,
            "errors": 0,
            "subagent_count": 1,
            "models": [SONNET],
            "unpriced_models": [],
            "git_branch": "main",
            "version": "1.0.98",
            "status": "ended",
        },
    }
    out = dict(facts[name])
    t = tok(usage_of(SESSION_USAGE[name]))
    prompt = t["input_tokens"] + t["cache_creation_input_tokens"] + t["cache_read_input_tokens"]
    out.update(
        tokens=t,
        cost=cost_of(SESSION_USAGE[name]),
        subagent_tokens=tok(usage_of(SUBAGENT_USAGE[name])),
        subagent_cost=cost_of(SUBAGENT_USAGE[name]),
        cache_hit_rate=round(t["cache_read_input_tokens"] / prompt, 4),
    )
    return approx_json(out)


def usage_by_model(*sessions: str, agents_only: bool = False) -> dict[str, list[str]]:
    """The usages of some fixture sessions (or of their subagents), by model."""
    source = SUBAGENT_USAGE if agents_only else SESSION_USAGE
    out: dict[str, list[str]] = {}
    for name in sessions:
        for model, names in source[name].items():
            out.setdefault(model, []).extend(names)
    return out


def hit_rate(u: Usage) -> float | None:
    prompt = u.input + u.cache_creation + u.cache_read
    return round(u.cache_read / prompt, 4) if prompt else None


def require_route(api: Api, path: str, param: str | None = None) -> None:
    """Skip unless the app serves `path` (with query parameter `param`)."""
    spec = api.app.openapi()["paths"].get(path)
    if spec is None:
        pytest.skip(f"{path} is not served by this build")
    names = {p["name"] for p in spec["get"].get("parameters", [])}
    if param is not None and param not in names:
        pytest.skip(f"{path} takes no {param!r} here")


def tool_stat(name: str, count: int, errors: int, durations: list[int]) -> dict[str, Any]:
    """The expected `ToolStat` of `count` calls of `name` taking `durations` milliseconds."""
    return {
        "name": name,
        "count": count,
        "errors": errors,
        "error_rate": round(errors / count, 4),
        "total_duration_ms": sum(durations),
        "mean_duration_ms": round(sum(durations) / len(durations), 1),
    }


def task_agent_summary(world: World) -> dict[str, Any]:
    """The expected `SubagentSummary` of A1's Explore subagent (Haiku)."""
    return approx_json(
        {
            "agent_id": world.ids["task"],
            "session_id": A1,
            "project_hash": SHOP_HASH,
            "kind": "task",
            "agent_type": "Explore",
            "description": "Find discount usages",
            "spawn_tool_use_id": world.ids["task_call"],
            "spawn_message_uuid": world.responses["a1_spawn"].uuids[0],
            "is_async": False,
            "start_time": at(T_A1, 45.81),
            "end_time": at(T_A1, 51.81),
            "duration_seconds": 6.0,
            "message_count": 4,
            "tool_calls": 1,
            "errors": 0,
            "tokens": tok(total(U["ag_bash"], U["ag_finish"])),
            # Haiku: $1 in, $5 out, $1.25 5-minute writes, $0.10 reads per million
            "cost": (5 + 2) * 1e-6 + (50 + 70) * 5e-6 + 1000 * 1.25e-6 + 1000 * 0.1e-6,
            "models": [HAIKU],
        }
    )


def last_entry(path: Path) -> dict[str, Any]:
    """The last line of a transcript that is an entry with a time and a uuid (B2 holds a
    malformed line)."""
    last: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("timestamp") and doc.get("uuid"):
            last = doc
    return last


def append_reply(session: Path) -> dict[str, Any]:
    """Append one billed answer to a transcript, after its last entry: `msg_appended:
    req_appended`, Sonnet, 7 input, 70 output and 700 cache-read tokens. Returns that last
    entry."""
    last = last_entry(session)
    reply = {
        **last,
        "type": "assistant",
        "uuid": "ffffffff-0000-4000-8000-00000000000f",
        "parentUuid": last.get("uuid"),
        "requestId": "req_appended",
        "message": {
            "id": "msg_appended",
            "type": "message",
            "role": "assistant",
            "model": SONNET,
            "content": [{"type": "text", "text": "one more"}],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 7,
                "output_tokens": 70,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 700,
            },
        },
    }
    reply.pop("toolUseResult", None)
    with session.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(reply) + "\n")
    return last
