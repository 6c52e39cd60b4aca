"""What each prompt cost, and why: a history of one project written for it, every figure worked
out by hand (tokens, and dollars at the shipped LiteLLM prices).

econ, session S1 (Opus, branch main, then feature/docs):

* P1 "plan the refactor": two responses and a Task call; the Explore agent A (Haiku) runs a
  command and spawns agent B (Haiku), which reads a file; then a last answer.
* P2 "continue the refactor": an answer with a 182k context, an automatic compaction (its
  `acompact` call), an answer after it.
* P3 `/review 7`: a slash command and the two answers it started.
* P4 "write the docs" (on feature/docs): an answer, a Skill call, two more responses.
* P5 "run the whole suite": a Bash call, then the person interrupts.

Session S2 resumes S1 (a new file that repeats P5's prompt and answer, then a new prompt P6).

Per response (input, output, 5 m writes, 1 h writes, reads) and its cost; Opus: $5 / $25 /
$6.25 / $10 / $0.50, Haiku $1 / $5 / $1.25 / $2 / $0.10 per million:

    p1_a       8  300     0  6000   40000   Opus   $0.08754
    p1_spawn   2   90     0     0   46000   Opus   $0.02526
    a_bash     5  120  8000     0       0   Haiku  $0.010605
    a_spawn    3   60     0     0    8000   Haiku  $0.001103
    b_read     4  200  5000     0       0   Haiku  $0.007254
    b_finish   2  150     0     0    5000   Haiku  $0.001252
    a_finish   2  180     0     0    9000   Haiku  $0.001802
    p1_done    3  400     0     0   47000   Opus   $0.033515     P1 $0.168331
                                                                  (A $0.01351, B $0.008506)
    p2_a      10  400     0  2000  180000   Opus   $0.12005
    compact    3  900  2400     0  182000   Opus   $0.128515
    p2_b       5  300     0  3000       0   Opus   $0.037525     P2 $0.28609
    p3_a       6  500  4000     0   50000   Opus   $0.06253
    p3_b       2  250     0     0   54000   Opus   $0.03326      P3 $0.09579
    p4_a       4  100     0     0  120000   Opus   $0.06252
    p4_skill   2   40     0     0  120000   Opus   $0.06101
    p4_b       3  200     0  1000  120000   Opus   $0.075015
    p4_c       1   60     0     0  120000   Opus   $0.061505     P4 $0.26005 (the skill $0.13652)
    p5_a       3   80     0     0   60000   Opus   $0.032015     P5 $0.032015
    p6_a       2   70     0     0   61000   Opus   $0.03226      P6 $0.03226
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from claude_code_tracer.demo.builder import ClaudeDir, Session, Usage, bash_op, folder_name
from claude_code_tracer.terminal.command import run_report
from helpers.api_fixtures import HAIKU, OPUS, Api, open_api, tok, z
from helpers.index import IndexFactory

ECON = "/home/dev/econ"
ECON_HASH = folder_name(ECON)
S1 = "e1000000-0000-4000-8000-000000000001"
S2 = "e2000000-0000-4000-8000-000000000002"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T_S2 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def use(i: int, o: int, w5: int, w1: int, r: int) -> Usage:
    return Usage(input=i, output=o, cache_5m=w5, cache_1h=w1, cache_read=r)


U = {
    "p1_a": use(8, 300, 0, 6000, 40000),
    "p1_spawn": use(2, 90, 0, 0, 46000),
    "a_bash": use(5, 120, 8000, 0, 0),
    "a_spawn": use(3, 60, 0, 0, 8000),
    "b_read": use(4, 200, 5000, 0, 0),
    "b_finish": use(2, 150, 0, 0, 5000),
    "a_finish": use(2, 180, 0, 0, 9000),
    "p1_done": use(3, 400, 0, 0, 47000),
    "p2_a": use(10, 400, 0, 2000, 180000),
    "compact": use(3, 900, 2400, 0, 182000),
    "p2_b": use(5, 300, 0, 3000, 0),
    "p3_a": use(6, 500, 4000, 0, 50000),
    "p3_b": use(2, 250, 0, 0, 54000),
    "p4_a": use(4, 100, 0, 0, 120000),
    "p4_skill": use(2, 40, 0, 0, 120000),
    "p4_b": use(3, 200, 0, 1000, 120000),
    "p4_c": use(1, 60, 0, 0, 120000),
    "p5_a": use(3, 80, 0, 0, 60000),
    "p6_a": use(2, 70, 0, 0, 61000),
}


def approx(x: float) -> Any:
    return pytest.approx(x, abs=1e-12)


def ts(line: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))


class History:
    def __init__(self, root: Path) -> None:
        claude = ClaudeDir(root, seed=11)
        econ = claude.project(ECON)
        s = econ.session(S1, start=T0, model=OPUS, git_branch="main")
        self.lines: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, str] = {}
        self.s1: Session = s

        self.lines["p1"] = s.prompt("plan the refactor")
        s.say("I'll split the work.", usage=U["p1_a"])
        a = s.spawn(
            "Map the parser",
            "Where is the parser used?",
            subagent_type="Explore",
            usage=U["p1_spawn"],
            model=HAIKU,
        )
        a.bash("rg parse", "cli.py:3", usage=U["a_bash"])
        b = a.spawn(
            "Read the parser",
            "Summarise parser.py",
            subagent_type="general-purpose",
            usage=U["a_spawn"],
            layout="legacy",
        )
        b.read("/home/dev/econ/parser.py", "def parse(): ...\n", usage=U["b_read"])
        b.finish("It parses.", usage=U["b_finish"])
        a.finish("Used in cli.py only.", usage=U["a_finish"])
        s.say("Plan: three steps.", usage=U["p1_done"])
        self.ids["a"], self.ids["b"] = str(a.agent_id), str(b.agent_id)

        self.lines["p2"] = s.prompt("continue the refactor")
        self.lines["p2_a"] = s.say("Step one done.", usage=U["p2_a"]).lines[-1]
        s.compact("The refactor so far.", usage=U["compact"], pre_tokens=182_010)
        self.lines["p2_b"] = s.say("Step two done.", usage=U["p2_b"]).lines[-1]

        self.lines["p3"] = s.command("review", "7", expansion="Review pull request 7.")
        s.say("Reading the diff.", usage=U["p3_a"])
        s.say("Looks good.", usage=U["p3_b"])

        s.git_branch = "feature/docs"  # the person switched branches
        self.lines["p4"] = s.prompt("write the docs")
        s.say("Starting.", usage=U["p4_a"])
        self.lines["skill"] = s.skill("docs:writer", "# Writer", usage=U["p4_skill"]).lines[-1]
        s.say("Drafted.", usage=U["p4_b"])
        s.bash("make docs", "ok", usage=U["p4_c"])

        self.lines["p5"] = s.prompt("run the whole suite")
        p5 = s.run(bash_op("pytest", "....."), usage=U["p5_a"])
        self.lines["p5_result"] = {"timestamp": s.now.isoformat().replace("+00:00", "Z")}
        s.interrupt()

        # S2 resumes S1: its file repeats P5's prompt and answer (1.0.x did so), then goes on
        r = econ.session(S2, start=T_S2, model=OPUS, git_branch="feature/docs")
        r.write_json({**self.lines["p5"], "sessionId": S2})
        for line in p5.lines:
            r.write_json({**line, "sessionId": S2})
        self.lines["p6"] = r.prompt("and the flaky one?")
        r.say("Fixed.", usage=U["p6_a"])
        self.root = root


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return History(tmp_path_factory.mktemp("prompts") / "claude")


@pytest.fixture(scope="module")
def econ(history: History, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from open_api(tmp_path_factory.mktemp("econ"), None, history.root)


def prompts_of(api: Api, session: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/sessions/{ECON_HASH}/{session}/prompts")["prompts"])


def tokens(p: dict[str, Any]) -> tuple[int, int, int, int]:
    return p["inputTokens"], p["outputTokens"], p["cacheCreationTokens"], p["cacheReadTokens"]


def test_the_prompts_of_a_session_in_order(econ: Api, history: History) -> None:
    got = [(p["kind"], p["text"], p["responses"]) for p in prompts_of(econ, S1)]
    assert got == [
        ("prompt", "plan the refactor", 8),
        ("prompt", "continue the refactor", 3),
        ("command", "/review 7", 2),
        ("prompt", "write the docs", 4),
        ("prompt", "run the whole suite", 1),
    ]
    body = econ.get(f"/api/sessions/{ECON_HASH}/{S1}/prompts")
    session = econ.get(f"/api/sessions/{ECON_HASH}/{S1}")
    assert body["totals"]["totalTokens"] == session["tokens"]["total_tokens"]
    assert body["totals"]["totalCost"] == approx(session["cost"])
    assert body["totals"]["totalCost"] == approx(0.168331 + 0.28609 + 0.09579 + 0.26005 + 0.032015)


def test_a_prompt_that_spawns_two_subagents_one_spawning_the_other(
    econ: Api, history: History
) -> None:
    p1 = prompts_of(econ, S1)[0]
    assert p1["uuid"] == history.lines["p1"]["uuid"]
    assert tokens(p1) == (29, 1500, 19000, 155000)
    assert p1["totalCost"] == approx(0.168331)
    assert (p1["subagents"], p1["subagentCost"]) == (2, approx(0.01351 + 0.008506))
    agents = [
        (a["agentId"], a["agentType"], a["kind"], a["responses"], a["totalTokens"], a["cost"])
        for a in p1["agents"]
    ]
    assert agents == [
        (
            history.ids["a"],
            "Explore",
            "task",
            3,
            5 + 120 + 8000 + 3 + 60 + 8000 + 2 + 180 + 9000,
            approx(0.01351),
        ),
        (
            history.ids["b"],
            "general-purpose",
            "task",
            2,
            4 + 200 + 5000 + 2 + 150 + 5000,
            approx(0.008506),
        ),
    ]
    assert p1["toolCalls"] == 4  # the main thread's Task, A's Bash and Task, B's Read
    assert p1["tools"] == [
        {"name": "Task", "calls": 2},
        {"name": "Bash", "calls": 1},
        {"name": "Read", "calls": 1},
    ]
    assert [(m["modelName"], m["responses"], m["cost"]) for m in p1["models"]] == [
        (OPUS, 3, approx(0.08754 + 0.02526 + 0.033515)),
        (HAIKU, 5, approx(0.01351 + 0.008506)),
    ]
    # the main thread's context at its first and last response
    assert (p1["firstContext"], p1["lastContext"]) == (8 + 6000 + 40000, 3 + 47000)
    assert p1["cacheHitRate"] == round(155000 / (29 + 19000 + 155000), 4)
    assert p1["outputShare"] == round(1500 / (29 + 1500 + 19000 + 155000), 4)
    # the main thread's reads 133,000 x $0.50, writes 6,000 x $10, input 13 x $5, output
    # 790 x $25 per million; the subagents $0.022016
    assert p1["drivers"] == {
        "input": approx(13 * 5e-6),
        "output": approx(790 * 25e-6),
        "cacheWrite": approx(0.06),
        "cacheRead": approx(0.0665),
        "subagents": approx(0.022016),
        "largest": "cache_read",
        "largestShare": round(0.0665 / 0.168331, 4),
        "summary": "40% cache reads of a 44.3k context over 3 responses",
    }
    parts = ("input", "output", "cacheWrite", "cacheRead", "subagents")
    assert sum(p1["drivers"][k] for k in parts) == approx(0.168331)
    assert not p1["interrupted"]


def test_a_prompt_spanning_a_compaction(econ: Api, history: History) -> None:
    p2 = prompts_of(econ, S1)[1]
    assert tokens(p2) == (18, 1600, 7400, 362000)
    assert p2["totalCost"] == approx(0.28609)
    # the compaction call is part of the prompt's work, and its largest part
    assert [(a["kind"], a["agentType"], a["cost"]) for a in p2["agents"]] == [
        ("compact", "compaction", approx(0.128515))
    ]
    assert (p2["firstContext"], p2["lastContext"]) == (10 + 2000 + 180000, 5 + 3000)
    assert p2["drivers"]["largest"] == "subagents"
    assert p2["drivers"]["summary"] == "45% 1 subagent (compaction $0.13)"
    assert p2["drivers"]["cacheRead"] == approx(0.09)
    assert (
        p2["durationSeconds"]
        == (ts(history.lines["p2_b"]) - ts(history.lines["p2"])).total_seconds()
    )


def test_a_slash_command_costs_the_prompt_it_started(econ: Api, history: History) -> None:
    p3 = prompts_of(econ, S1)[2]
    assert (p3["kind"], p3["uuid"]) == ("command", history.lines["p3"]["uuid"])
    assert tokens(p3) == (8, 750, 4000, 104000)
    assert p3["totalCost"] == approx(0.09579)
    commands = econ.get(f"/api/sessions/{ECON_HASH}/{S1}/commands")
    assert [(c["name"], c["cost"]) for c in commands["commands"]] == [("/review", approx(0.09579))]
    assert commands["by_name"] == [
        {
            "value": "/review",
            "count": 1,
            "total_cost": approx(0.09579),
            "mean_cost": approx(0.09579),
        }
    ]
    for url in (f"/api/projects/{ECON_HASH}/commands", "/api/commands"):
        body = econ.get(url)
        assert body["commands"] == [
            {
                "name": "/review",
                "source": "prompt",
                "count": 1,
                "sessions": 1,
                "first_used": z(ts(history.lines["p3"])),
                "last_used": z(ts(history.lines["p3"])),
                "total_cost": approx(0.09579),
                "mean_cost": approx(0.09579),
            }
        ], url
        assert (body["total"], body["total_cost"]) == (1, approx(0.09579))


def test_a_skill_invoked_mid_prompt_costs_what_followed_it(econ: Api, history: History) -> None:
    p4 = prompts_of(econ, S1)[3]
    assert tokens(p4) == (10, 400, 1000, 480000)
    assert p4["totalCost"] == approx(0.26005)
    assert p4["drivers"]["summary"] == "92% cache reads of a 120k context over 4 responses"
    assert p4["tools"] == [{"name": "Bash", "calls": 1}, {"name": "Skill", "calls": 1}]
    # from the call to the end of the prompt's work: p4_b and p4_c, not the calling response
    skill = 0.075015 + 0.061505
    calls = econ.get(f"/api/sessions/{ECON_HASH}/{S1}/skills")["calls"]
    assert [(c["skill"], c["cost"]) for c in calls] == [("docs:writer", approx(skill))]
    for url in (f"/api/projects/{ECON_HASH}/skills", "/api/skills"):
        body = econ.get(url)
        assert [
            (s["skill"], s["count"], s["sessions"], s["total_cost"], s["mean_cost"])
            for s in body["skills"]
        ] == [("docs:writer", 1, 1, approx(skill), approx(skill))]
        assert body["total_cost"] == approx(skill)


def test_a_prompt_interrupted_by_the_person(econ: Api, history: History) -> None:
    p5 = prompts_of(econ, S1)[4]
    assert p5["interrupted"] and not any(p["interrupted"] for p in prompts_of(econ, S1)[:4])
    assert (tokens(p5), p5["totalCost"]) == ((3, 80, 0, 60000), approx(0.032015))
    # its last activity is the result of its command, not the interrupt
    assert p5["lastActivity"] == z(ts(history.lines["p5_result"]))
    assert (
        p5["durationSeconds"]
        == (ts(history.lines["p5_result"]) - ts(history.lines["p5"])).total_seconds()
    )


def test_a_resumed_session_counts_the_copied_lines_once(econ: Api, history: History) -> None:
    # S2 repeats P5's prompt and answer: they remain S1's, S2 has only its own prompt
    s2 = prompts_of(econ, S2)
    assert [(p["uuid"], p["text"], tokens(p), p["totalCost"]) for p in s2] == [
        (history.lines["p6"]["uuid"], "and the flaky one?", (2, 70, 0, 61000), approx(0.03226))
    ]
    every = econ.get(f"/api/projects/{ECON_HASH}/prompts", sort="time")
    assert [p["text"] for p in every["prompts"]].count("run the whole suite") == 1
    assert every["total"] == 6
    assert every["totals"]["totalCost"] == approx(0.55021100 + 0.32432500)


def test_git_branches_of_a_project(econ: Api) -> None:
    body = econ.get(f"/api/projects/{ECON_HASH}/branches")
    got = [
        (b["branch"], b["sessions"], b["prompts"], b["responses"], b["tokens"], b["cost"])
        for b in body["branches"]
    ]
    # main: P1, P2 and P3 (cache writes 19,400 for 5 minutes, 11,000 for an hour)
    main = tok(use(55, 3850, 19400, 11000, 621000))
    docs = tok(use(15, 550, 0, 1000, 601000))  # P4, P5 and S2's P6
    assert got == [
        ("main", 1, 3, 13, main, approx(0.550211)),
        ("feature/docs", 2, 3, 6, docs, approx(0.324325)),
    ]
    assert body["total"] == 2 and body["cost"] == approx(0.550211 + 0.324325)
    # a range: the second day holds S2 only
    day2 = econ.get(f"/api/projects/{ECON_HASH}/branches", since="2026-03-03")
    assert [(b["branch"], b["sessions"], b["prompts"]) for b in day2["branches"]] == [
        ("feature/docs", 1, 1)
    ]
    assert econ.client.get("/api/projects/nope/branches").status_code == 404
    bad = econ.client.get(f"/api/projects/{ECON_HASH}/branches", params={"since": "x"})
    assert bad.status_code == 422


def test_every_session_adds_up(econ: Api) -> None:
    for sid in (S1, S2):
        body = econ.get(f"/api/sessions/{ECON_HASH}/{sid}/prompts")
        session = econ.get(f"/api/sessions/{ECON_HASH}/{sid}")
        assert sum(p["totalTokens"] for p in body["prompts"]) == session["tokens"]["total_tokens"]
        assert sum(p["totalCost"] for p in body["prompts"]) == approx(session["cost"])


def test_the_prompt_list_sorts_pages_and_filters(econ: Api) -> None:
    def texts(**params: Any) -> list[str]:
        return [p["text"] for p in econ.get("/api/prompts", **params)["prompts"]]

    by_cost = [
        "continue the refactor",
        "write the docs",
        "plan the refactor",
        "/review 7",
        "and the flaky one?",
        "run the whole suite",
    ]
    assert texts() == by_cost
    assert texts(order="asc") == by_cost[::-1]
    assert texts(sort="time") == [
        "plan the refactor",
        "continue the refactor",
        "/review 7",
        "write the docs",
        "run the whole suite",
        "and the flaky one?",
    ]
    assert texts(sort="time", order="desc")[0] == "and the flaky one?"
    assert texts(sort="responses")[:2] == ["plan the refactor", "write the docs"]
    assert texts(sort="tokens")[0] == "write the docs"
    assert texts(limit=2, offset=1) == by_cost[1:3]
    page = econ.get("/api/prompts", limit=2, offset=1)
    paging = (page["total"], page["offset"], page["limit"], page["sort"], page["order"])
    assert paging == (6, 1, 2, "cost", "desc")
    assert texts(min_cost=0.1) == by_cost[:3]
    assert econ.get("/api/prompts", min_cost=0.1)["totals"]["totalCost"] == approx(
        0.28609 + 0.26005 + 0.168331
    )
    assert texts(since="2026-03-03") == ["and the flaky one?"]
    assert texts(until="2026-03-02", sort="time")[-1] == "run the whole suite"
    # S2's prompt at 10:00 UTC is 05:00 on the 3rd in New York; S1's are on the 2nd there too
    assert texts(since="2026-03-03", tz="America/New_York") == ["and the flaky one?"]
    assert texts(until="2026-03-01", tz="Pacific/Kiritimati") == []
    for bad in (
        {"sort": "loudest"},
        {"order": "sideways"},
        {"limit": 0},
        {"limit": 5001},
        {"offset": -1},
        {"min_cost": -1},
        {"min_cost": "nan"},
        {"min_cost": "cheap"},
        {"since": "2026-13-01"},
        {"since": "2026-03-03", "until": "2026-03-02"},
        {"tz": "Mars/Olympus"},
    ):
        assert econ.client.get("/api/prompts", params=bad).status_code == 422, bad


PROMPT_ROWS = "SELECT rowid, * FROM prompts ORDER BY session_id, ts"


def test_an_appended_line_rewrites_only_its_prompt(
    tmp_path: Path, make_index: IndexFactory
) -> None:
    """The roll-ups keep the prompt facts incrementally: a response appended to a live session
    rewrites the row of the prompt it belongs to and leaves every other row as it was; the
    result is what a fresh index of the same files holds."""
    history = History(tmp_path / "claude")
    ix = make_index(history.root)
    before = {r[1:4]: r for r in ix.rows(PROMPT_ROWS)}
    history.s1.say("One more thing about the suite.", usage=use(1, 10, 0, 0, 60100))
    ix.sync()
    after = {r[1:4]: r for r in ix.rows(PROMPT_ROWS)}
    p5 = (ECON_HASH, S1, history.lines["p5"]["uuid"])
    assert after.keys() == before.keys()
    changed = [key for key in after if after[key] != before[key]]
    assert changed == [p5]
    row = ix.dicts("SELECT responses, output_tokens FROM prompts WHERE uuid = ?", [p5[2]])
    assert row == [{"responses": 2, "output_tokens": 80 + 10}]
    fresh = make_index(history.root, name="fresh")
    assert [r[1:] for r in fresh.rows(PROMPT_ROWS)] == [r[1:] for r in ix.rows(PROMPT_ROWS)]


def test_the_terminal_report_reads_the_same_prompts(history: History, tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache"), "TZ": "UTC"}
    root = str(history.root)

    def report(*args: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = run_report(["prompts", "--claude-dir", root, *args], env=env, out=out, err=err)
        assert code == 0, err.getvalue()
        return code, out.getvalue()

    doc = json.loads(report("--json", "--sort", "time", "--order", "desc")[1])
    assert [p["text"] for p in doc["prompts"]][:2] == ["and the flaky one?", "run the whole suite"]
    assert (doc["sort"], doc["order"], doc["total"]) == ("time", "desc", 6)
    table = report("--limit", "3")[1]
    # the largest part of each prompt's cost, and its share
    assert "subagents 45%" in table and "cache reads 92%" in table and "cache reads 40%" in table
