"""`cctracer report ...`, `cctracer status` and /api/reports/*: the same numbers as the
dashboard's endpoints, exact on the fixture history and on the real transcripts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from claude_code_tracer.index.schema import SCHEMA_VERSION, Database
from claude_code_tracer.terminal.command import last_range, main, run_report, run_status
from claude_code_tracer.terminal.render import short, short_model
from helpers.api_fixtures import (
    A1,
    A2,
    A3,
    B1,
    B2,
    BLOG,
    BLOG_HASH,
    SESSION_USAGE,
    SHOP,
    SHOP_HASH,
    Api,
    api,
    cost_of,
    last_entry,
    usage_by_model,
    usage_of,
)
from helpers.corpus import CORPUS_PROJECTS
from helpers.servers import free_port

__all__ = ["api"]  # fixtures

CORPUS = (Path(__file__).parents[1] / "../shared/corpus/claude").resolve()
SESSION_IDS = {"A1": A1, "A2": A2, "A3": A3, "B1": B1, "B2": B2}
NOW = datetime(2026, 2, 6, 12, 0, tzinfo=UTC)  # the fixture's last day, at noon


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    (tmp / "home").mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(tmp / "home"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "TZ": "UTC",
        **extra,
    }


def cli(args: list[str], env: dict[str, str], *, now: datetime = NOW) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_report(args, env=env, now=now, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def report_json(args: list[str], env: dict[str, str]) -> Any:
    code, out, err = cli([*args, "--json"], env)
    assert code == 0, err
    return json.loads(out)


def figures(u: Any) -> tuple[int, int, int, int]:
    return (u.input, u.output, u.cache_creation, u.cache_read)


def camel(row: dict[str, Any]) -> tuple[int, int, int, int]:
    return (
        row["inputTokens"],
        row["outputTokens"],
        row["cacheCreationTokens"],
        row["cacheReadTokens"],
    )


# -- the fixture history -------------------------------------------------------------------


def test_session_and_project_reports_are_exact(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    sessions = report_json(["session", "--claude-dir", root], env)
    by_id = {s["sessionId"]: s for s in sessions["sessions"]}
    assert set(by_id) == set(SESSION_IDS.values())
    for name, sid in SESSION_IDS.items():
        row = by_id[sid]
        assert camel(row) == figures(usage_of(SESSION_USAGE[name])), name
        assert row["totalCost"] == pytest.approx(cost_of(SESSION_USAGE[name]), abs=1e-9)
        assert row["projectPath"] == (SHOP_HASH if name.startswith("A") else BLOG_HASH)
        assert sorted(b["modelName"] for b in row["modelBreakdowns"]) == sorted(SESSION_USAGE[name])
    # newest first by default; the API's own list has the same figures for each session
    last = [s["lastActivity"] for s in sessions["sessions"]]
    assert last == sorted(last, reverse=True)
    for listed in api.get(f"/api/projects/{SHOP_HASH}/sessions")["sessions"]:
        row = by_id[listed["session_id"]]
        assert row["totalTokens"] == listed["tokens"]["total_tokens"]
        assert row["totalCost"] == pytest.approx(listed["cost"], abs=1e-9)
    projects = report_json(["project", "--claude-dir", root], env)
    got = {p["projectPath"]: (camel(p), p["sessions"], p["project"]) for p in projects["projects"]}
    shop, blog = usage_by_model("A1", "A2", "A3"), usage_by_model("B1", "B2")
    assert got == {
        SHOP_HASH: (figures(usage_of(shop)), 3, SHOP),
        BLOG_HASH: (figures(usage_of(blog)), 2, BLOG),
    }
    assert projects["totals"]["totalCost"] == pytest.approx(cost_of(shop) + cost_of(blog), abs=1e-9)


def test_daily_weekly_monthly_equal_the_daily_series(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    series = api.get("/api/metrics/daily", tz="UTC")
    days = {d["date"]: d for d in series["days"] if d["tokens"]["total_tokens"]}
    daily = report_json(["daily", "--claude-dir", root, "--tz", "UTC"], env)
    assert [d["date"] for d in daily["daily"]] == sorted(days)
    for row in daily["daily"]:
        want = days[row["date"]]
        assert row["totalTokens"] == want["tokens"]["total_tokens"]
        assert row["inputTokens"] == want["tokens"]["input_tokens"]
        assert row["totalCost"] == pytest.approx(want["cost"], abs=1e-9)
    every = usage_of(usage_by_model("A1", "A2", "A3", "B1", "B2"))
    assert camel(daily["totals"]) == figures(every)
    # 2026-02-02 (Mon) .. 02-06 (Fri): one Monday week; weeks from Sunday split at 02-01/02-08
    weekly = report_json(["weekly", "--claude-dir", root, "--tz", "UTC"], env)
    assert [w["week"] for w in weekly["weekly"]] == ["2026-02-02"]
    assert camel(weekly["weekly"][0]) == figures(every)
    sunday = report_json(
        ["weekly", "--claude-dir", root, "--tz", "UTC", "--week-start", "sunday"], env
    )
    assert [w["week"] for w in sunday["weekly"]] == ["2026-02-01"]
    assert sunday["scope"]["weekStart"] == "sunday"
    monthly = report_json(["monthly", "--claude-dir", root, "--tz", "UTC"], env)
    assert [(m["month"], camel(m)) for m in monthly["monthly"]] == [("2026-02", figures(every))]
    # A3 runs from 02-04 23:58 UTC past midnight: in New York it is all on 02-04
    ny = report_json(["daily", "--claude-dir", root, "--tz", "America/New_York"], env)
    assert "2026-02-05" in {d["date"] for d in daily["daily"]}
    assert camel(ny["totals"]) == figures(every)
    assert ny["scope"]["timezone"] == "America/New_York"


def test_ranges_projects_and_order(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    b2 = report_json(["daily", "--claude-dir", root, "--since", "2026-02-06"], env)
    assert camel(b2["totals"]) == figures(usage_of(SESSION_USAGE["B2"]))
    compact = report_json(["daily", "--claude-dir", root, "--since", "20260206"], env)
    assert compact["totals"] == b2["totals"]
    # --last 2 on 2026-02-06: the 5th and the 6th
    last = report_json(["daily", "--claude-dir", root, "--last", "2"], env)
    assert last["scope"]["since"] == "2026-02-05" and last["scope"]["until"] == "2026-02-06"
    # a project by its folder name or its path, newest first on request
    by_path = report_json(
        ["session", "--claude-dir", root, "--project", BLOG, "--order", "asc"], env
    )
    assert [s["sessionId"] for s in by_path["sessions"]] == [B1, B2]
    by_hash = report_json(["session", "--claude-dir", root, "--project", BLOG_HASH], env)
    assert [s["sessionId"] for s in by_hash["sessions"]] == [B2, B1]
    assert by_hash["scope"]["projectPath"] == BLOG_HASH
    desc = report_json(["daily", "--claude-dir", root, "--order", "desc"], env)
    assert [d["date"] for d in desc["daily"]] == sorted(
        (d["date"] for d in desc["daily"]), reverse=True
    )


def test_last_n_periods() -> None:
    today = date(2026, 3, 4)  # a Wednesday
    assert last_range("daily", 1, today, "monday") == today
    assert last_range("daily", 7, today, "monday") == date(2026, 2, 26)
    assert last_range("weekly", 2, today, "monday") == date(2026, 2, 23)
    assert last_range("weekly", 1, today, "sunday") == date(2026, 3, 1)
    assert last_range("monthly", 3, today, "monday") == date(2026, 1, 1)
    assert last_range("monthly", 15, today, "monday") == date(2025, 1, 1)


def test_the_table_fits_the_terminal_and_has_totals(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    every = usage_of(usage_by_model("A1", "A2", "A3", "B1", "B2"))
    for width in ("80", "200"):
        os.environ["COLUMNS"] = width
        try:
            for kind in ("daily", "weekly", "monthly", "session", "project"):
                code, out, err = cli([kind, "--claude-dir", root, "--breakdown"], env)
                assert code == 0, err
                lines = out.splitlines()
                assert all(len(line) <= int(width) for line in lines), (kind, width)
                total = next(line for line in lines if line.strip().startswith("Total"))
                shown = f"{every.cache_read:,}" if width == "200" else short(every.cache_read)
                assert shown in total, (kind, width, total)
                assert "\x1b[" not in out  # not a terminal: no colors
        finally:
            del os.environ["COLUMNS"]
    code, out, _ = cli(["session", "--claude-dir", root], env)
    assert "Cart discounts" in out  # the session's title


def test_short_names_and_counts() -> None:
    assert short_model("claude-sonnet-4-20250514") == "sonnet-4"
    assert short_model("claude-opus-4-6") == "opus-4-6"
    assert short(864_239) == "864k" and short(20_604_562) == "20.6M"
    assert short(5_606_489_058) == "5.61B" and short(999) == "999"


def test_errors_are_one_line(api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    for args, code, message in (
        (["daily", "--claude-dir", root, "--project", "nope"], 1, "unknown project: nope"),
        (["daily", "--claude-dir", str(tmp_path / "none")], 1, "no Claude Code history in"),
        (["daily", "--claude-dir", root, "--tz", "Mars/Base"], 1, "unknown time zone"),
        (
            ["daily", "--claude-dir", root, "--since", "2026-02-06", "--until", "2026-02-01"],
            1,
            "is after",
        ),
        (["daily", "--claude-dir", root, "--since", "2026-02-01", "--last", "3"], 1, "not both"),
    ):
        got, out, err = cli(args, env)
        assert (got, out) == (code, ""), args
        assert err.count("\n") == 1 and message in err and err.startswith("cctracer report: "), err
    for args, message in (
        (["daily", "--since", "yesterday"], "not a date"),
        (["hourly"], "invalid choice"),
        (["daily", "--last", "0"], "not a positive number"),
    ):
        with pytest.raises(SystemExit) as exit_:
            run_report(args, env=env)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


def test_an_index_from_a_newer_version_is_left_alone(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    assert cli(["daily", "--claude-dir", root], env)[0] == 0
    path = tmp_path / "cache" / "claude-code-tracer" / "index.duckdb"
    db = Database(path)
    db.conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)]
    )
    db.close()
    code, _, err = cli(["daily", "--claude-dir", root], env)
    assert code == 1 and "written by a newer cctracer" in err and err.count("\n") == 1
    assert path.exists()


def test_status_line(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    b2 = usage_of(SESSION_USAGE["B2"])
    week = usage_of(usage_by_model("A1", "A2", "A3", "B1", "B2"))
    claude = {
        "session_id": B2,
        "transcript_path": f"{root}/projects/{BLOG_HASH}/{B2}.jsonl",
        "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
    }
    out = io.StringIO()
    code = run_status(
        ["--claude-dir", root, "--json"],
        env=env,
        now=NOW,
        stdin=io.StringIO(json.dumps(claude)),
        out=out,
    )
    assert code == 0
    doc = json.loads(out.getvalue())
    assert doc["date"] == "2026-02-06"
    assert camel(doc["today"]) == figures(b2)
    assert camel(doc["week"]) == figures(week)
    assert doc["session"]["sessionId"] == B2 and camel(doc["session"]) == figures(b2)
    line = io.StringIO()
    run_status(
        ["--claude-dir", root], env=env, now=NOW, stdin=io.StringIO(json.dumps(claude)), out=line
    )
    text = line.getvalue()
    assert text.count("\n") == 1 and text.startswith("Sonnet 4.5 │ session $")
    assert f"today ${cost_of(SESSION_USAGE['B2']):,.2f}" in text


def test_a_report_asks_the_running_server(api: Api, tmp_path: Path) -> None:
    """A server holds the index open: the report asks it instead, with the same numbers."""
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    direct = report_json(["session", "--claude-dir", root], env)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "claude_code_tracer.cli",
            "--no-browser",
            "--offline",
            "--no-watch",
            "--port",
            str(port),
            "--claude-dir",
            root,
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").json()["index"]["ready"]:
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        announced = tmp_path / "cache" / "claude-code-tracer" / "index.duckdb.server.json"
        assert json.loads(announced.read_text())["url"] == f"http://127.0.0.1:{port}"
        asked = report_json(["session", "--claude-dir", root], env)
        assert asked == direct
        code, _, err = cli(["daily", "--claude-dir", root, "--project", "nope"], env)
        assert code == 1 and "unknown project: nope" in err
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not announced.exists()  # withdrawn when the server stopped


def test_the_api_serves_each_report(api: Api) -> None:
    every = usage_of(usage_by_model("A1", "A2", "A3", "B1", "B2"))
    for kind, key in (
        ("daily", "daily"),
        ("weekly", "weekly"),
        ("monthly", "monthly"),
        ("session", "sessions"),
        ("project", "projects"),
    ):
        body = api.get(f"/api/reports/{kind}")
        assert camel(body["totals"]) == figures(every) and body[key], kind
    shop = api.get("/api/reports/session", project=SHOP_HASH)
    assert {s["sessionId"] for s in shop["sessions"]} == {A1, A2, A3}
    assert api.client.get("/api/reports/session", params={"project": "nope"}).status_code == 404
    assert (
        api.client.get("/api/reports/weekly", params={"week_start": "someday"}).status_code == 422
    )
    assert api.client.get("/api/reports/daily", params={"order": "sideways"}).status_code == 422


def test_main_dispatches_report_and_status(
    api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ.update(env_for(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--help"])
    assert exit_.value.code == 0
    helped = capsys.readouterr().out
    for option in (
        "--json",
        "--since",
        "--until",
        "--last",
        "--project",
        "--breakdown",
        "--tz",
        "--order",
        "--offline",
        "--claude-dir",
        "--week-start",
    ):
        assert option in helped, option


# -- the real transcripts ------------------------------------------------------------------


@pytest.mark.skipif(not (CORPUS / "projects").is_dir(), reason="no ../shared/corpus")
def test_corpus_reports_equal_every_billed_response(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    projects = report_json(["project", "--claude-dir", str(CORPUS)], env)
    assert {p["projectPath"]: camel(p) for p in projects["projects"]} == CORPUS_PROJECTS
    totals = (8_077, 192_566, 1_362_111, 52_397_094)
    for kind in ("daily", "weekly", "monthly", "session"):
        assert camel(report_json([kind, "--claude-dir", str(CORPUS)], env)["totals"]) == totals
    sessions = report_json(["session", "--claude-dir", str(CORPUS)], env)
    per_project: dict[str, list[int]] = {}
    for s in sessions["sessions"]:
        into = per_project.setdefault(s["projectPath"], [0, 0, 0, 0])
        for i, n in enumerate(camel(s)):
            into[i] += n
    assert {k: tuple(v) for k, v in per_project.items()} == CORPUS_PROJECTS


# -- prompts -------------------------------------------------------------------------------


def test_prompts_add_up_to_their_sessions(api: Api, tmp_path: Path) -> None:
    """Every billed response belongs to one prompt (or to the work before the first one), a
    subagent's to the prompt during which it started: a session's prompts add up to it."""
    for name, sid in SESSION_IDS.items():
        project = SHOP_HASH if name.startswith("A") else BLOG_HASH
        body = api.get(f"/api/sessions/{project}/{sid}/prompts")
        assert camel(body["totals"]) == figures(usage_of(SESSION_USAGE[name])), name
        assert body["totals"]["totalCost"] == pytest.approx(cost_of(SESSION_USAGE[name]), abs=1e-9)
        times = [
            datetime.fromisoformat(p["time"].replace("Z", "+00:00"))
            for p in body["prompts"]
            if p["time"]
        ]
        assert times == sorted(times), name  # as typed
        kinds = {p["kind"] for p in body["prompts"]}
        assert kinds <= {"prompt", "command", "before_first_prompt"}
    a1 = api.get(f"/api/sessions/{SHOP_HASH}/{A1}/prompts")["prompts"]
    first = next(p for p in a1 if p["text"] == "add a discount field to the cart")
    assert first["kind"] == "prompt" and first["responses"] > 0
    # the costliest first, over every project; a limit keeps the totals of all
    every = api.get("/api/prompts", sort="cost", limit=3)
    costs = [p["totalCost"] for p in every["prompts"]]
    assert costs == sorted(costs, reverse=True) and len(costs) == 3
    assert every["total"] > 3
    assert camel(every["totals"]) == figures(usage_of(usage_by_model("A1", "A2", "A3", "B1", "B2")))
    shop = api.get(f"/api/projects/{SHOP_HASH}/prompts")
    assert camel(shop["totals"]) == figures(usage_of(usage_by_model("A1", "A2", "A3")))
    assert api.client.get("/api/projects/nope/prompts").status_code == 404
    assert api.client.get(f"/api/sessions/{SHOP_HASH}/nope/prompts").status_code == 404
    assert api.client.get("/api/prompts", params={"sort": "loudest"}).status_code == 422
    # the terminal report: the same prompts, the same totals
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    doc = report_json(["prompts", "--claude-dir", root], env)
    assert doc["totals"] == every["totals"] and doc["total"] == every["total"]
    assert [p["uuid"] for p in doc["prompts"][:3]] == [p["uuid"] for p in every["prompts"]]
    code, out, err = cli(["prompts", "--claude-dir", root, "--limit", "2"], env)
    assert code == 0, err
    assert "Total" in out and f"2 of {every['total']} shown" in out


@pytest.mark.skipif(not (CORPUS / "projects").is_dir(), reason="no ../shared/corpus")
def test_corpus_prompts_add_up_to_every_session(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    doc = report_json(["prompts", "--claude-dir", str(CORPUS)], env)
    assert camel(doc["totals"]) == (8_077, 192_566, 1_362_111, 52_397_094)
    per_project: dict[str, list[int]] = {}
    for p in doc["prompts"]:
        into = per_project.setdefault(p["projectPath"], [0, 0, 0, 0])
        for i, n in enumerate(camel(p)):
            into[i] += n
    assert {k: tuple(v) for k, v in per_project.items()} == CORPUS_PROJECTS
    sessions = report_json(["session", "--claude-dir", str(CORPUS)], env)["sessions"]
    for s in sessions:
        mine = [p for p in doc["prompts"] if p["sessionId"] == s["sessionId"]]
        assert sum(p["totalTokens"] for p in mine) == s["totalTokens"], s["sessionId"]
        assert sum(p["totalCost"] for p in mine) == pytest.approx(s["totalCost"], abs=1e-9)


# the JSON field names scripts rely on: changing one is a breaking change, made on purpose
FIGURES = {
    "inputTokens",
    "outputTokens",
    "cacheCreationTokens",
    "cacheReadTokens",
    "totalTokens",
    "totalCost",
    "responses",
}
ROW = FIGURES | {"modelsUsed", "modelBreakdowns"}
PINNED = {
    "daily": ("daily", ROW | {"date"}),
    "weekly": ("weekly", ROW | {"week"}),
    "monthly": ("monthly", ROW | {"month"}),
    "session": (
        "sessions",
        ROW | {"sessionId", "projectPath", "project", "title", "firstActivity", "lastActivity"},
    ),
    "project": (
        "projects",
        ROW | {"projectPath", "project", "sessions", "firstActivity", "lastActivity"},
    ),
    "prompts": (
        "prompts",
        FIGURES
        | {
            "projectPath",
            "project",
            "sessionId",
            "sessionTitle",
            "uuid",
            "kind",
            "text",
            "time",
            "lastActivity",
            "durationSeconds",
            "subagents",
            "subagentCost",
            "interrupted",
            "toolCalls",
            "tools",
            "models",
            "agents",
            "firstContext",
            "lastContext",
            "cacheHitRate",
            "outputShare",
            "drivers",
        },
    ),
}
BLOCK = {
    "id",
    "startTime",
    "endTime",
    "firstActivity",
    "actualEndTime",
    "isActive",
    "isGap",
    "entries",
    "tokenCounts",
    "totalTokens",
    "costUSD",
    "models",
    "sessions",
    "projects",
    "elapsedMinutes",
    "remainingMinutes",
    "burnRate",
    "recent",
    "projection",
    "limits",
}


def test_the_json_schema_is_pinned(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    for kind, (key, fields) in PINNED.items():
        doc = report_json([kind, "--claude-dir", root], env)
        assert set(doc) >= {key, "totals"}, kind
        assert set(doc["totals"]) == FIGURES, kind
        assert all(set(row) == fields for row in doc[key]), (kind, set(doc[key][0]) ^ fields)
        if "modelBreakdowns" in fields:
            breakdown = doc[key][0]["modelBreakdowns"][0]
            assert set(breakdown) == {
                "modelName",
                "inputTokens",
                "outputTokens",
                "cacheCreationTokens",
                "cacheReadTokens",
                "cost",
            }
    blocks = report_json(["blocks", "--claude-dir", root], env)
    assert {"blocks", "active", "now", "tokenLimit", "costLimit"} <= set(blocks)
    assert all(set(b) == BLOCK for b in blocks["blocks"])
    assert set(blocks["blocks"][0]["tokenCounts"]) == {
        "inputTokens",
        "outputTokens",
        "cacheCreationInputTokens",
        "cacheReadInputTokens",
    }
    out = io.StringIO()
    run_status(["--claude-dir", root, "--json"], env=env, now=NOW, stdin=io.StringIO(""), out=out)
    assert set(json.loads(out.getvalue())) == {
        "timezone",
        "date",
        "weekStart",
        "today",
        "week",
        "session",
        "block",
    }


def test_every_command_explains_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, options in (
        (["status", "--help"], ("--json", "--tz", "--claude-dir", "--token-limit", "--week-start")),
        (["report", "--help"], ("--active", "--sort", "--limit", "--cost-limit")),
        (["export", "--help"], ("otlp", "--schema", "--since", "--machine")),
        (["export", "otlp", "--help"], ("--endpoint", "--header", "--since", "--content")),
        (["sql", "--help"], ("--json", "--csv", "--machine")),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        helped = capsys.readouterr().out
        for option in options:
            assert option in helped, (argv, option)


def test_an_appended_prompt_and_answer_update_only_that_prompt(api: Api, tmp_path: Path) -> None:
    """The roll-ups keep each response's prompt as the index changes: a prompt and its answer
    appended to a session add one prompt with exactly that answer, and change no other."""
    import shutil

    env = env_for(tmp_path)
    root = tmp_path / "claude"
    shutil.copytree(api.world.claude.root, root)
    before = report_json(["prompts", "--claude-dir", str(root), "--sort", "time"], env)
    session = next(root.glob(f"projects/{BLOG_HASH}/b2*.jsonl"))
    last = last_entry(session)
    base = {k: last[k] for k in ("sessionId", "cwd", "version", "userType") if k in last}
    prompt = {
        **base,
        "type": "user",
        "uuid": "eeeeeeee-0000-4000-8000-000000000001",
        "parentUuid": last["uuid"],
        "isSidechain": False,
        "timestamp": "2026-02-06T23:00:00.000Z",
        "message": {"role": "user", "content": "one more thing"},
    }
    answer = {
        **base,
        "type": "assistant",
        "uuid": "eeeeeeee-0000-4000-8000-000000000002",
        "parentUuid": prompt["uuid"],
        "isSidechain": False,
        "timestamp": "2026-02-06T23:00:05.000Z",
        "requestId": "req_one_more",
        "message": {
            "id": "msg_one_more",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "done"}],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 3,
                "output_tokens": 30,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 300,
            },
        },
    }
    with session.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(prompt) + "\n" + json.dumps(answer) + "\n")
    after = report_json(["prompts", "--claude-dir", str(root), "--sort", "time"], env)
    assert after["total"] == before["total"] + 1
    new = [p for p in after["prompts"] if p["uuid"] == prompt["uuid"]]
    assert len(new) == 1 and new[0]["text"] == "one more thing"
    assert (new[0]["responses"], camel(new[0])) == (1, (3, 30, 0, 300))
    assert [p for p in after["prompts"] if p["uuid"] != prompt["uuid"]] == before["prompts"]
