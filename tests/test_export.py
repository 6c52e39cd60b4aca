"""`cctracer export parquet|csv` and `cctracer sql`: read back with DuckDB, the same totals as
the API; incremental, multi-machine, read-only."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from claude_code_tracer.index.exports import EXPORT_TABLES
from claude_code_tracer.terminal.export import run_export, run_sql
from helpers.api_fixtures import Api, api, append_reply

__all__ = ["api"]  # fixtures


def env_for(tmp: Path) -> dict[str, str]:
    (tmp / "home").mkdir(parents=True, exist_ok=True)
    return {"HOME": str(tmp / "home"), "XDG_CACHE_HOME": str(tmp / "cache"), "TZ": "UTC"}


def export(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_export(args, env=env, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def sql(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_sql(args, env=env, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def parquet(folder: Path, table: str) -> str:
    return f"read_parquet('{folder / table}/**/*.parquet', hive_partitioning = true)"


def files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*.parquet")}


def test_parquet_reads_back_with_the_apis_totals(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = tmp_path / "claude"
    shutil.copytree(api.world.claude.root, root)
    out = tmp_path / "export"
    code, said, err = export(
        ["parquet", str(out), "--claude-dir", str(root), "--machine", "laptop"], env
    )
    assert code == 0, err
    assert "rows written" in said and "machine=laptop" in said
    con = duckdb.connect()
    per_project = {
        p: (i, o, cc, cr, round(c, 9))
        for p, i, o, cc, cr, c in con.execute(
            f"SELECT project, sum(input_tokens), sum(output_tokens), "
            f"sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd) "
            f"FROM {parquet(out, 'responses')} GROUP BY project"
        ).fetchall()
    }
    for listed in api.get("/api/projects")["projects"]:
        t = listed["tokens"]
        got = per_project[listed["path_hash"]]
        assert got[:4] == (
            t["input_tokens"],
            t["output_tokens"],
            t["cache_creation_input_tokens"],
            t["cache_read_input_tokens"],
        )
        assert got[4] == pytest.approx(listed["total_cost"], abs=1e-9)
    days = {
        d["date"]: d["tokens"]["total_tokens"]
        for d in api.get("/api/metrics/daily", tz="UTC")["days"]
        if d["tokens"]["total_tokens"]
    }
    by_day = {
        str(d): int(n)
        for d, n in con.execute(
            f"SELECT date, sum(input_tokens + output_tokens + cache_creation_tokens "
            f"+ cache_read_tokens) FROM {parquet(out, 'responses')} GROUP BY date"
        ).fetchall()
    }
    assert by_day == days
    # every table is there, partitioned by day and machine, its columns as documented
    for table in EXPORT_TABLES:
        names = [
            d[0]
            for d in con.execute(f"DESCRIBE SELECT * FROM {parquet(out, table.name)}").fetchall()
        ]
        assert sorted(names) == sorted(table.column_names), table.name
    assert all("/machine=laptop/" in f for f in files(out))
    sessions = con.execute(f"SELECT count(*) FROM {parquet(out, 'sessions')}").fetchone()
    assert sessions == (len(api.get("/api/projects/-home-dev-shop/sessions")["sessions"]) + 2,)

    # nothing changed: nothing written, no file touched
    before = files(out)
    code, said, _ = export(
        ["parquet", str(out), "--claude-dir", str(root), "--machine", "laptop"], env
    )
    assert code == 0 and "nothing changed" in said
    assert files(out) == before
    count = con.execute(f"SELECT count(*) FROM {parquet(out, 'responses')}").fetchone()

    # one appended response: exactly its rows, only its day's files rewritten
    session = next(root.glob("projects/-srv-blog/b2*.jsonl"))
    last = append_reply(session)
    code, said, _ = export(
        ["parquet", str(out), "--claude-dir", str(root), "--machine", "laptop"], env
    )
    assert code == 0
    after = con.execute(f"SELECT count(*) FROM {parquet(out, 'responses')}").fetchone()
    assert after is not None and count is not None and after[0] == count[0] + 1
    appended = con.execute(
        f"SELECT input_tokens, output_tokens, cache_read_tokens FROM {parquet(out, 'responses')} "
        "WHERE response_key = 'msg_appended:req_appended'"
    ).fetchall()
    assert appended == [(7, 70, 700)]
    touched = {f for f, t in files(out).items() if before.get(f) != t}
    day = last["timestamp"][:10]
    assert touched and all(f"date={day}" in f for f in touched), touched

    # a second machine into the same folder: one dataset
    code, _, _ = export(["parquet", str(out), "--claude-dir", str(root), "--machine", "desk"], env)
    assert code == 0
    both = con.execute(
        f"SELECT machine, count(*) FROM {parquet(out, 'responses')} GROUP BY machine ORDER BY 1"
    ).fetchall()
    assert both == [("desk", after[0]), ("laptop", after[0])]


def test_csv_round_trips(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    out = tmp_path / "csv"
    code, _, err = export(["csv", str(out), "--claude-dir", root, "--machine", "m1"], env)
    assert code == 0, err
    con = duckdb.connect()
    for table in EXPORT_TABLES:
        path = out / "machine=m1" / f"{table.name}.csv"
        names = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM read_csv('{path}')").fetchall()]
        assert names == table.column_names, table.name
    code, said, _ = sql(
        [
            "SELECT count(*) AS n, sum(cost_usd) AS cost FROM responses",
            "--json",
            "--claude-dir",
            root,
        ],
        env,
    )
    want = json.loads(said)[0]
    got = con.execute(
        f"SELECT count(*), sum(cost_usd) FROM read_csv('{out / 'machine=m1' / 'responses.csv'}')"
    ).fetchone()
    assert got is not None and got[0] == want["n"] and got[1] == pytest.approx(want["cost"])
    again = export(["csv", str(out), "--claude-dir", root, "--machine", "m1"], env)
    assert again[0] == 0
    rows = con.execute(
        f"SELECT count(*) FROM read_csv('{out / 'machine=m1' / 'responses.csv'}')"
    ).fetchone()
    assert rows == (want["n"],)  # written afresh, never appended to


def test_sql_reads_and_refuses_to_write(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    code, said, err = sql(
        [
            "SELECT project, count(*) AS responses FROM responses GROUP BY project ORDER BY 1",
            "--csv",
            "--claude-dir",
            root,
        ],
        env,
    )
    assert code == 0, err
    lines = said.splitlines()
    assert lines[0] == "project,responses" and len(lines) == 3
    table = sql(["SELECT count(*) AS n FROM tool_calls", "--claude-dir", root], env)
    assert (table[0] == 0 and " n " in table[1]) or "n" in table[1].splitlines()[0]
    for query, message in (
        ("INSERT INTO meta VALUES ('a', 'b')", "not INSERT"),
        ("COPY responses TO '/tmp/x.csv'", "not COPY"),
        ("ATTACH '/tmp/other.db'", "not ATTACH"),
        ("INSTALL httpfs", "not"),
        ("PRAGMA database_list", "not PRAGMA"),
        ("SET enable_external_access = true", "not SET"),
        ("SELECT 1; SELECT 2", "exactly one statement"),
        ("DROP TABLE usage", "not DROP"),
        ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
        ("SELECT * FROM nowhere", "nowhere"),
    ):
        code, said, err = sql([query, "--claude-dir", root], env)
        assert (code, said) == (1, ""), query
        assert err.count("\n") == 1 and message in err, (query, err)


def test_responses_belong_to_the_apis_prompts(api: Api, tmp_path: Path) -> None:
    """Schema 2: each response names its prompt (or command) as the API counts them, and when
    its request went out (the entry it answers), never after the response."""
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    code, said, err = sql(
        [
            "SELECT p.project, p.session_id, p.uuid, p.kind, count(r.uuid) AS responses,"
            " coalesce(sum(r.cost_usd), 0) AS cost FROM prompts p"
            " LEFT JOIN responses r ON r.prompt_uuid = p.uuid AND r.session_id = p.session_id"
            " WHERE p.agent_id = '' GROUP BY ALL",
            "--json",
            "--claude-dir",
            root,
        ],
        env,
    )
    assert code == 0, err
    exported = {(d["project"], d["session_id"], d["uuid"]): d for d in json.loads(said)}
    listed = {}
    for project in api.get("/api/projects")["projects"]:
        for session in api.get(f"/api/projects/{project['path_hash']}/sessions")["sessions"]:
            body = api.get(f"/api/sessions/{project['path_hash']}/{session['session_id']}/prompts")
            for p in body["prompts"]:
                if p["kind"] != "before_first_prompt":
                    listed[(project["path_hash"], session["session_id"], p["uuid"])] = p
    assert exported.keys() == listed.keys()
    for key, p in listed.items():
        got = exported[key]
        assert (got["kind"], got["responses"]) == (p["kind"], p["responses"]), key
        assert got["cost"] == pytest.approx(p["totalCost"], abs=1e-9), key
    code, said, _ = sql(
        [
            "SELECT count(*) AS n, count(*) FILTER (WHERE start_time < ts) AS asked,"
            " count(*) FILTER (WHERE start_time > ts) AS late,"
            " count(*) FILTER (WHERE uuid IS NULL OR message_id IS NULL) AS unnamed"
            " FROM responses",
            "--json",
            "--claude-dir",
            root,
        ],
        env,
    )
    counts = json.loads(said)[0]
    assert counts["late"] == counts["unnamed"] == 0
    assert counts["asked"] == counts["n"] == 52  # each answers an entry before it


def test_schema_and_bad_targets(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    code, said, _ = export(["--schema"], env)
    assert code == 0
    for table in EXPORT_TABLES:
        assert f"## {table.name}" in said
        assert all(f"`{c.name}`" in said for c in table.columns)
    root = api.world.claude.root
    code, _, err = export(["parquet", str(root / "out"), "--claude-dir", str(root)], env)
    assert code == 1 and "inside the Claude data directory" in err
    assert not (root / "out").exists()
    code, _, err = export(
        ["parquet", str(tmp_path / "x"), "--machine", "../up", "--claude-dir", str(root)], env
    )
    assert code == 1 and "machine name" in err
