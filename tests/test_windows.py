"""Usage windows: 5-hour blocks, the active one (clock injected), limits, weekly totals, and
the corpus against ccusage's `blocks`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from claude_code_tracer.index.cursor import TimeRange
from claude_code_tracer.index.models.windows import Block
from claude_code_tracer.index.store import Store
from claude_code_tracer.index.store_windows import hour_blocks
from helpers.api_fixtures import api
from helpers.corpus import CCUSAGE_BLOCKS, CORPUS_BLOCK_EXTRA
from helpers.safety import indexed_app

__all__ = ["api"]  # fixtures

CORPUS = (Path(__file__).parents[1] / "../shared/corpus/claude").resolve()
OPUS = "claude-opus-4-6"
HAIKU = "claude-haiku-4-5-20251001"
PROJECT = "-home-dev-shop"
SID = "0b10c000-0000-4000-8000-000000000001"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def response(n: int, ts: str, tokens: tuple[int, int, int, int], model: str = OPUS) -> str:
    i, o, cc, cr = tokens
    return json.dumps(
        {
            "type": "assistant",
            "uuid": f"00000000-0000-4000-8000-{n:012d}",
            "parentUuid": None,
            "sessionId": SID,
            "timestamp": ts,
            "cwd": "/home/dev/shop",
            "version": "2.1.39",
            "isSidechain": False,
            "userType": "external",
            "requestId": f"req_{n}",
            "message": {
                "id": f"msg_{n}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": "ok"}],
                "stop_reason": "end_turn",
                "usage": {
                    "input_tokens": i,
                    "output_tokens": o,
                    "cache_creation_input_tokens": cc,
                    "cache_read_input_tokens": cr,
                },
            },
        }
    )


def history(root: Path, rows: list[tuple[str, tuple[int, int, int, int], str]]) -> None:
    path = root / "projects" / PROJECT / f"{SID}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [response(n, ts, tokens, model) for n, (ts, tokens, model) in enumerate(rows, 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def store_at(tmp_path: Path, now: str) -> Any:
    app = indexed_app(tmp_path / "claude", tmp_path / "cache")
    return app, Store(app.state.runtime.db.cursor(), now=at(now))


def shape(b: Block) -> tuple[str, str, bool, int, int]:
    return (b.id, b.end_time.isoformat(), b.is_gap, b.entries, b.total_tokens)


def test_blocks_across_midnight_a_5_hour_silence_and_a_new_hour(tmp_path: Path) -> None:
    history(
        tmp_path / "claude",
        [
            ("2026-03-01T22:10:00.000Z", (1, 10, 100, 1000), OPUS),
            ("2026-03-01T23:50:00.000Z", (2, 20, 200, 2000), OPUS),
            ("2026-03-02T01:30:00.000Z", (3, 30, 300, 3000), HAIKU),  # after midnight, same block
            ("2026-03-02T06:30:00.000Z", (4, 40, 400, 4000), OPUS),  # silence of exactly 5 h
            ("2026-03-02T11:29:00.000Z", (5, 50, 500, 5000), OPUS),  # 4 h 59 m later: past the end
        ],
    )
    _, store = store_at(tmp_path, "2026-03-05T00:00:00Z")
    got = store.blocks()
    assert [shape(b) for b in got.blocks] == [
        ("2026-03-01T22:00:00.000Z", "2026-03-02T03:00:00+00:00", False, 3, 6666),
        ("2026-03-02T06:00:00.000Z", "2026-03-02T11:00:00+00:00", False, 1, 4444),
        ("2026-03-02T11:00:00.000Z", "2026-03-02T16:00:00+00:00", False, 1, 5555),
    ]
    first = got.blocks[0]
    assert first.token_counts.model_dump(by_alias=False) == {
        "input_tokens": 6,
        "output_tokens": 60,
        "cache_creation_input_tokens": 600,
        "cache_read_input_tokens": 6000,
    }
    assert first.models == [OPUS, HAIKU]  # by cost: Opus costs more for the same tokens
    assert first.first_activity == at("2026-03-01T22:10:00Z")
    assert first.actual_end_time == at("2026-03-02T01:30:00Z")
    assert [s.session_id for s in first.sessions] == [SID] and first.projects == [PROJECT]
    assert got.active is None and got.max_block_tokens == 6666
    assert hour_blocks([]) == ([], {})


def test_a_silence_longer_than_5_hours_is_listed_as_a_gap(tmp_path: Path) -> None:
    history(
        tmp_path / "claude",
        [
            ("2026-03-01T10:20:00.000Z", (1, 1, 1, 1), OPUS),
            ("2026-03-01T18:45:00.000Z", (2, 2, 2, 2), OPUS),
        ],
    )
    _, store = store_at(tmp_path, "2026-03-05T00:00:00Z")
    assert [shape(b) for b in store.blocks().blocks] == [
        ("2026-03-01T10:00:00.000Z", "2026-03-01T15:00:00+00:00", False, 1, 4),
        ("gap-2026-03-01T15:20:00.000Z", "2026-03-01T18:45:00+00:00", True, 0, 0),
        ("2026-03-01T18:00:00.000Z", "2026-03-01T23:00:00+00:00", False, 1, 8),
    ]


def test_the_active_block_its_burn_rate_projection_and_limits(tmp_path: Path) -> None:
    history(
        tmp_path / "claude",
        [
            ("2026-03-02T06:10:00.000Z", (0, 0, 0, 9000), OPUS),  # an earlier block: the max
            ("2026-03-02T12:05:00.000Z", (100, 400, 0, 500), OPUS),
            ("2026-03-02T12:35:00.000Z", (200, 800, 0, 1000), OPUS),
        ],
    )
    _, store = store_at(tmp_path, "2026-03-02T13:00:00Z")
    got = store.blocks(active_only=True, token_limit=20_000, cost_limit="max")
    active = got.active
    assert active is not None and got.blocks == [active]
    assert (active.id, active.is_active, active.total_tokens) == (
        "2026-03-02T12:00:00.000Z",
        True,
        3000,
    )
    assert (active.elapsed_minutes, active.remaining_minutes) == (60, 240)
    assert active.burn_rate is not None and active.projection is not None
    # 3,000 tokens from 12:05 to 12:35: 100 a minute; the last 30 minutes hold 2,000
    assert active.burn_rate.tokens_per_minute == 100.0
    assert active.burn_rate.tokens_per_minute_for_indicator == 50.0
    assert active.projection.total_tokens == 3000 + 100 * 240
    assert active.recent is not None
    assert (active.recent.tokens, round(active.recent.tokens_per_minute, 4)) == (2000, 66.6667)
    tokens = next(u for u in active.limits if u.kind == "tokens")
    assert (tokens.limit, tokens.source, tokens.used, tokens.percent_used) == (
        20000,
        "given",
        3000,
        15.0,
    )
    assert (tokens.projected, tokens.projected_percent, tokens.status) == (27000, 135.0, "exceeds")
    cost = next(u for u in active.limits if u.kind == "cost")
    assert cost.source == "max" and cost.limit == pytest.approx(got.max_block_cost)
    assert got.max_block_tokens == 9000 and got.token_limit == 20000
    # the same clock later: past the last response by 5 hours, nothing is active
    _, later = store_at(tmp_path, "2026-03-02T17:35:00Z")
    assert later.blocks().active is None
    # "max" as a token limit: the largest finished block
    by_max = store.blocks(token_limit="max").active
    assert by_max is not None
    assert [(u.limit, u.percent_used, u.status) for u in by_max.limits] == [
        (9000, 33.33, "exceeds")
    ]


def test_ranges_pick_blocks_by_their_start_day_in_the_time_zone(tmp_path: Path) -> None:
    # New York's clocks jump from 02:00 EST to 03:00 EDT on 2026-03-08 (07:00 UTC)
    history(
        tmp_path / "claude",
        [
            ("2026-03-08T06:30:00.000Z", (1, 1, 1, 1), OPUS),  # 01:30 EST
            ("2026-03-08T07:30:00.000Z", (2, 2, 2, 2), OPUS),  # 03:30 EDT, the same block
            ("2026-03-09T03:30:00.000Z", (3, 3, 3, 3), OPUS),  # 23:30 EDT on the 8th
        ],
    )
    _, store = store_at(tmp_path, "2026-03-20T00:00:00Z")
    ny = "America/New_York"
    day = store.blocks(TimeRange.of(date(2026, 3, 8), date(2026, 3, 8), ny))
    assert [(b.id, b.total_tokens) for b in day.blocks if not b.is_gap] == [
        ("2026-03-08T06:00:00.000Z", 12),
        ("2026-03-09T03:00:00.000Z", 12),
    ]
    utc_day = store.blocks(TimeRange.of(date(2026, 3, 8), date(2026, 3, 8), "UTC"))
    assert [b.id for b in utc_day.blocks if not b.is_gap] == ["2026-03-08T06:00:00.000Z"]
    weekly = store.weekly(ny, "sunday", weeks=2)
    assert [w.week for w in weekly.weeks] == [date(2026, 3, 8), date(2026, 3, 15)]
    first = weekly.weeks[0]
    assert (first.start, first.end) == (at("2026-03-08T05:00:00Z"), at("2026-03-15T04:00:00Z"))
    assert (first.total_tokens, first.responses) == (24, 3)
    assert weekly.weeks[1].total_tokens == 0


def test_weekly_totals_rolling_and_by_family(tmp_path: Path) -> None:
    history(
        tmp_path / "claude",
        [
            ("2026-03-02T10:00:00.000Z", (1, 10, 100, 1000), OPUS),  # Monday
            ("2026-03-06T10:00:00.000Z", (2, 20, 200, 2000), HAIKU),  # Friday
            ("2026-03-09T10:00:00.000Z", (3, 30, 300, 3000), OPUS),  # next Monday
        ],
    )
    _, store = store_at(tmp_path, "2026-03-10T12:00:00Z")
    weekly = store.weekly("UTC", "monday", weeks=2)
    assert [(w.week, w.total_tokens) for w in weekly.weeks] == [
        (date(2026, 3, 2), 1111 + 2222),
        (date(2026, 3, 9), 3333),
    ]
    families = {f.family: (f.total_tokens, f.responses) for f in weekly.weeks[0].families}
    assert families == {"opus": (1111, 1), "haiku": (2222, 1)}
    # the 7 days up to Tuesday noon: Friday's and Monday's
    assert (weekly.rolling.start, weekly.rolling.end) == (
        at("2026-03-03T12:00:00Z"),
        at("2026-03-10T12:00:00Z"),
    )
    assert (weekly.rolling.total_tokens, weekly.rolling.responses) == (2222 + 3333, 2)
    sunday = store.weekly("UTC", "sunday", weeks=2)
    assert [(w.week, w.total_tokens) for w in sunday.weeks] == [
        (date(2026, 3, 1), 3333),
        (date(2026, 3, 8), 3333),
    ]


def test_the_api_answers_with_the_injected_clock(tmp_path: Path) -> None:
    history(
        tmp_path / "claude",
        [
            ("2026-03-02T12:05:00.000Z", (100, 400, 0, 500), OPUS),
            ("2026-03-02T12:35:00.000Z", (200, 800, 0, 1000), OPUS),
        ],
    )
    app, _ = store_at(tmp_path, "2026-03-02T13:00:00Z")
    app.state.runtime.clock = lambda: at("2026-03-02T13:00:00Z")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        body = client.get("/api/blocks", params={"active": "true", "token_limit": "10000"}).json()
        assert body["active"]["isActive"] is True and body["active"]["totalTokens"] == 3000
        assert body["active"]["costUSD"] > 0 and body["tokenLimit"] == 10000
        assert body["active"]["limits"][0]["projectedPercent"] == 270.0
        every = client.get("/api/blocks").json()
        assert [b["id"] for b in every["blocks"]] == ["2026-03-02T12:00:00.000Z"]
        for params in ({"token_limit": "lots"}, {"cost_limit": "-3"}, {"token_limit": "1.5"}):
            bad = client.get("/api/blocks", params=params)
            assert bad.status_code == 422 and bad.json()["error"]["status"] == 422, params
        weekly = client.get("/api/weekly", params={"tz": "UTC", "weeks": 1}).json()
        assert weekly["weeks"][0]["week"] == "2026-03-02"
        assert weekly["weeks"][0]["totalTokens"] == 3000
        assert client.get("/api/weekly", params={"week_start": "someday"}).status_code == 422
        assert client.get("/api/weekly", params={"weeks": 0}).status_code == 422
    app.state.runtime.clock = lambda: at("2026-03-02T13:00:00Z") + timedelta(hours=6)


@pytest.mark.skipif(not (CORPUS / "projects").is_dir(), reason="no ../shared/corpus")
def test_corpus_blocks_equal_ccusage_but_for_the_responses_it_misses(tmp_path: Path) -> None:
    """ccusage 20.0.24 `claude blocks --offline --json`: the same blocks, the same starts,
    ends and gaps; the tokens differ only by the responses ccusage does not count (progress
    copies of agents without a file, and Task results' final output)."""
    app = indexed_app(CORPUS, tmp_path / "cache")
    store = Store(app.state.runtime.db.cursor(), now=at("2026-12-04T00:00:00Z"))
    ours = store.blocks().blocks
    assert [(b.id, b.start_time, b.end_time, b.is_gap) for b in ours] == [
        (c[0], at(c[1]), at(c[2]), c[0].startswith("gap-")) for c in CCUSAGE_BLOCKS
    ]
    for block, theirs in zip(ours, CCUSAGE_BLOCKS, strict=True):
        counts = block.token_counts
        mine = (
            counts.input_tokens,
            counts.output_tokens,
            counts.cache_creation_input_tokens,
            counts.cache_read_input_tokens,
        )
        extra = CORPUS_BLOCK_EXTRA.get(block.id, (0, 0, 0, 0))
        assert tuple(m - e for m, e in zip(mine, extra, strict=True)) == theirs[3], block.id
    # the extra tokens are exactly the counted responses not read from a real line: copies
    # known only from progress lines, Task results that reconstruct a response, and the output
    # Task results added to a snapshot
    cur = app.state.runtime.db.cursor()
    for block_id, extra in CORPUS_BLOCK_EXTRA.items():
        start = at(block_id)
        row = cur.execute(
            """
            SELECT sum(input_tokens), sum(output_tokens - coalesce(recorded_output, 0)),
                sum(CASE WHEN recorded_output IS NULL THEN cache_creation_tokens ELSE 0 END),
                sum(CASE WHEN recorded_output IS NULL THEN cache_read_tokens ELSE 0 END),
                sum(CASE WHEN recorded_output IS NULL THEN input_tokens ELSE 0 END)
            FROM usage WHERE counted AND source <> 'line' AND ts >= ? AND ts < ?
            """,
            [start.replace(tzinfo=None), (start + timedelta(hours=5)).replace(tzinfo=None)],
        ).fetchone()
        assert (row[4], row[1], row[2], row[3]) == extra, block_id


def test_report_blocks_and_status_in_the_terminal(tmp_path: Path) -> None:
    import io

    from claude_code_tracer.terminal.command import run_report, run_status

    history(
        tmp_path / "claude",
        [
            ("2026-03-02T06:10:00.000Z", (0, 0, 0, 9000), OPUS),
            ("2026-03-02T12:05:00.000Z", (100, 400, 0, 500), OPUS),
            ("2026-03-02T12:35:00.000Z", (200, 800, 0, 1000), OPUS),
        ],
    )
    (tmp_path / "home").mkdir(exist_ok=True)
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache"), "TZ": "UTC"}
    root = str(tmp_path / "claude")
    now = at("2026-03-02T13:00:00Z")

    def report(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = run_report(
            ["blocks", "--claude-dir", root, *args], env=env, now=now, out=out, err=err
        )
        return code, out.getvalue(), err.getvalue()

    code, out, err = report("--json", "--token-limit", "20000")
    assert code == 0, err
    doc = json.loads(out)
    assert [(b["id"], b["totalTokens"], b["isActive"]) for b in doc["blocks"]] == [
        ("2026-03-02T06:00:00.000Z", 9000, False),
        ("gap-2026-03-02T11:10:00.000Z", 0, False),
        ("2026-03-02T12:00:00.000Z", 3000, True),
    ]
    assert doc["active"]["projection"]["totalTokens"] == 27000
    assert doc["active"]["limits"][0]["status"] == "exceeds"
    code, out, _ = report("--json", "--active")
    assert [b["id"] for b in json.loads(out)["blocks"]] == ["2026-03-02T12:00:00.000Z"]
    code, out, _ = report("--token-limit", "max")
    assert code == 0
    assert "ACTIVE, 4 h 00 m left" in out and "projected" in out
    assert "Tokens limit 9,000 tokens (the largest block): 33.3% used" in out
    code, out, err = report("--token-limit", "lots")
    assert (code, out) == (1, "") and err.count("\n") == 1 and "token limit" in err
    code, _, err = report("--project", PROJECT)
    assert code == 1 and "--project does not apply" in err
    # the limit from the environment, and from the config file
    config = tmp_path / "home" / ".config" / "claude-code-tracer" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('token_limit = 6000\nweek_start = "sunday"\n', encoding="utf-8")
    code, out, _ = report("--json", "--active")
    assert json.loads(out)["tokenLimit"] == 6000
    env["CCTRACER_TOKEN_LIMIT"] = "3000"
    code, out, _ = report("--json", "--active")
    assert json.loads(out)["tokenLimit"] == 3000
    config.write_text("token_limit = [\n", encoding="utf-8")
    code, _, err = report("--json")
    assert code == 1 and "config.toml" in err and err.count("\n") == 1
    config.unlink()
    line = io.StringIO()
    assert (
        run_status(["--claude-dir", root], env=env, now=now, stdin=io.StringIO(""), out=line) == 0
    )
    text = line.getvalue()
    assert (
        text.startswith("block $")
        and "4 h 00 m left · 100% of tokens limit, 900% projected" in text
    )
    status = io.StringIO()
    run_status(
        ["--claude-dir", root, "--json"], env=env, now=now, stdin=io.StringIO(""), out=status
    )
    assert json.loads(status.getvalue())["block"]["totalTokens"] == 3000


# ccusage 20.0.24, `claude blocks --offline --json` on the API tests' fixture history (built
# by `helpers.api_fixtures.build`): id, start, end and the four token counts of each block
FIXTURE_CCUSAGE_BLOCKS = [
    ("2026-02-02T09:00:00.000Z", "2026-02-02T14:00:00.000Z", (25, 533, 4400, 36000)),
    ("gap-2026-02-02T14:01:20.360Z", "2026-02-03T14:00:07.500Z", (0, 0, 0, 0)),
    ("2026-02-03T14:00:00.000Z", "2026-02-03T19:00:00.000Z", (22, 290, 4000, 0)),
    ("gap-2026-02-03T19:00:28.017Z", "2026-02-04T23:58:07.500Z", (0, 0, 0, 0)),
    ("2026-02-04T23:00:00.000Z", "2026-02-05T04:00:00.000Z", (30, 300, 0, 3000)),
    ("gap-2026-02-05T05:01:45.000Z", "2026-02-05T10:00:07.500Z", (0, 0, 0, 0)),
    ("2026-02-05T10:00:00.000Z", "2026-02-05T15:00:00.000Z", (13, 377, 14500, 0)),
    ("gap-2026-02-05T15:00:15.060Z", "2026-02-06T08:00:07.500Z", (0, 0, 0, 0)),
    ("2026-02-06T08:00:00.000Z", "2026-02-06T13:00:00.000Z", (10, 140, 100, 0)),
]


def test_fixture_history_blocks_equal_ccusage(api: Any) -> None:
    """Where both count the same responses (this history has no progress-only agent and no
    Task result that changes a response), the blocks are ccusage's, token for token."""
    body = api.get("/api/blocks")
    got = [
        (
            b["id"],
            b["endTime"],
            (
                b["tokenCounts"]["inputTokens"],
                b["tokenCounts"]["outputTokens"],
                b["tokenCounts"]["cacheCreationInputTokens"],
                b["tokenCounts"]["cacheReadInputTokens"],
            ),
        )
        for b in body["blocks"]
    ]
    assert [(i, at(e), t) for i, e, t in got] == [
        (i, at(e), t) for i, e, t in FIXTURE_CCUSAGE_BLOCKS
    ]
