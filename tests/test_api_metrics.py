"""/api/metrics: the price table, daily series, aggregates and the model order."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from helpers.api_fixtures import (
    BLOG_HASH,
    HAIKU,
    OPUS,
    SHOP_HASH,
    SONNET,
    T_A1,
    T_B2,
    UNPRICED,
    Api,
    U,
    api,
    approx_json,
    at,
    cost_of,
    hit_rate,
    require_route,
    tok,
    total,
    usage_by_model,
    usage_of,
    world,
)

__all__ = ["api", "world"]  # fixtures

ZERO = tok(total())


def snapshot() -> dict[str, Any]:
    text = (
        resources.files("claude_code_tracer.data")
        .joinpath("litellm_claude_prices.json")
        .read_text(encoding="utf-8")
    )
    doc: dict[str, Any] = json.loads(text)
    return doc


# -- pricing ---------------------------------------------------------------------------------------


def test_pricing_shows_the_table_in_use(api: Api) -> None:
    body = api.get("/api/metrics/pricing")
    snap = snapshot()
    assert (body["source"], body["offline"], body["last_error"]) == ("snapshot", True, None)
    assert (body["url"], body["fetched_at"]) == (snap["url"], snap["fetched_at"])
    fetched = datetime.fromisoformat(snap["fetched_at"])
    age = (datetime.now(UTC) - fetched).total_seconds()
    assert body["age_seconds"] == pytest.approx(age, abs=60)
    assert [p["model"] for p in body["prices"]] == sorted(snap["models"])
    by_model = {p["model"]: p for p in body["prices"]}
    assert by_model[OPUS] == {  # dollars per million tokens
        "model": OPUS,
        "input": 5.0,
        "output": 25.0,
        "cache_write_5m": 6.25,
        "cache_write_1h": 10.0,
        "cache_read": 0.5,
        "input_above_200k": None,
        "output_above_200k": None,
        "fast_multiplier": None,
        "us_multiplier": 1.1,
    }
    assert {k: by_model[SONNET][k] for k in ("input", "output", "cache_read")} == {
        "input": 3.0,
        "output": 15.0,
        "cache_read": 0.3,
    }


def test_pricing_lists_the_models_in_use_and_the_unpriced_ones(api: Api) -> None:
    body = api.get("/api/metrics/pricing")
    everything = usage_by_model("A1", "A2", "A3", "B1", "B2")

    def in_use(model: str, sessions: int) -> dict[str, Any]:
        priced = model != UNPRICED
        return approx_json(
            {
                "model": model,
                "price_key": model if priced else None,
                "priced": priced,
                "derived_prices": [],
                "tokens": tok(usage_of({model: everything[model]})),
                "cost": cost_of({model: everything[model]}),
                "sessions": sessions,
            }
        )

    assert body["models_in_use"] == [  # by cost
        in_use(SONNET, 3),
        in_use(OPUS, 3),
        in_use(HAIKU, 1),
        in_use(UNPRICED, 1),
    ]
    assert body["unpriced_models"] == [in_use(UNPRICED, 1)]
    assert body["unpriced_models"][0]["tokens"] == tok(U["a2_unpriced"])


def test_model_order(api: Api) -> None:
    require_route(api, "/api/metrics/models")
    assert api.get("/api/metrics/models") == {"models": [OPUS, HAIKU, SONNET, UNPRICED]}


# -- daily -----------------------------------------------------------------------------------------


def day(when: str, by_model: dict[str, list[str]], sessions: int, messages: int) -> dict[str, Any]:
    return approx_json(
        {
            "date": when,
            "tokens": tok(usage_of(by_model)),
            "cost": cost_of(by_model),
            "sessions": sessions,
            "messages": messages,
            "models": [
                {"model": m, "tokens": tok(usage_of({m: n})), "cost": cost_of({m: n})}
                for m, n in sorted(by_model.items())
            ],
        }
    )


EARLY = {OPUS: ["a3_each"] * 15}  # A3 before midnight UTC
LATE = EARLY  # and after

# messages per day: A1 26 + 4 (subagent) + 2 (compaction); A3 31 before midnight, 29 after
SHOP_DAYS = [
    day("2026-02-02", usage_by_model("A1"), 1, 32),
    day("2026-02-03", usage_by_model("A2"), 1, 12),
    day("2026-02-04", EARLY, 1, 31),
    day("2026-02-05", LATE, 1, 29),
]


def test_daily_of_a_project(api: Api) -> None:
    body = api.get(f"/api/metrics/daily/{SHOP_HASH}")
    assert body["days"] == SHOP_DAYS
    assert (body["path_hash"], body["timezone"]) == (SHOP_HASH, "UTC")
    assert (body["start_date"], body["end_date"]) == ("2026-02-02", "2026-02-05")
    shop = usage_by_model("A1", "A2", "A3")
    assert body["tokens"] == tok(usage_of(shop))
    assert body["cost"] == pytest.approx(cost_of(shop), abs=1e-9)


def test_daily_in_another_time_zone_fills_empty_days(api: Api) -> None:
    # Tokyo is UTC+9: A2 (14:00 UTC) stays on the 3rd, all of A3 moves to the 5th
    body = api.get(f"/api/metrics/daily/{SHOP_HASH}", tz="Asia/Tokyo")
    assert body["timezone"] == "Asia/Tokyo"
    assert body["days"] == [
        day("2026-02-02", usage_by_model("A1"), 1, 32),
        day("2026-02-03", usage_by_model("A2"), 1, 12),
        day("2026-02-04", {}, 0, 0),
        day("2026-02-05", usage_by_model("A3"), 1, 60),
    ]


def test_daily_over_a_range(api: Api) -> None:
    body = api.get(f"/api/metrics/daily/{SHOP_HASH}", since="2026-02-03", until="2026-02-04")
    assert body["days"] == SHOP_DAYS[1:3]
    assert (body["start_date"], body["end_date"]) == ("2026-02-03", "2026-02-04")
    wide = api.get(f"/api/metrics/daily/{BLOG_HASH}", since="2026-02-04", until="2026-02-07")
    assert [d["date"] for d in wide["days"]] == [
        "2026-02-04",
        "2026-02-05",
        "2026-02-06",
        "2026-02-07",
    ]
    assert [d["messages"] for d in wide["days"]] == [0, 8, 6, 0]  # subagents included
    assert wide["days"][0] == day("2026-02-04", {}, 0, 0)


def test_daily_of_the_last_days(api: Api) -> None:
    today = datetime.now(UTC).date()
    body = api.get(f"/api/metrics/daily/{SHOP_HASH}", days=3)
    assert body["start_date"] == (today - timedelta(days=2)).isoformat()
    assert body["end_date"] == today.isoformat()
    assert [d["date"] for d in body["days"]] == [
        (today - timedelta(days=n)).isoformat() for n in (2, 1, 0)
    ]
    assert all(d["tokens"] == ZERO and d["messages"] == 0 for d in body["days"])
    back = api.get(f"/api/metrics/daily/{SHOP_HASH}", days=2, until="2026-02-03")
    assert back["days"] == SHOP_DAYS[:2]


def test_daily_over_all_projects(api: Api) -> None:
    body = api.get("/api/metrics/daily")
    assert body["path_hash"] is None
    b1_day = usage_by_model("B1")
    b1_day[OPUS] = LATE[OPUS]
    assert body["days"] == [
        *SHOP_DAYS[:3],
        day("2026-02-05", b1_day, 2, 29 + 8),
        day("2026-02-06", usage_by_model("B2"), 1, 6),
    ]
    assert (body["start_date"], body["end_date"]) == ("2026-02-02", "2026-02-06")
    everything = usage_by_model("A1", "A2", "A3", "B1", "B2")
    assert body["tokens"] == tok(usage_of(everything))


def test_daily_of_an_unknown_project_is_404(api: Api) -> None:
    r = api.client.get("/api/metrics/daily/-no-such-project")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "status": 404,
        "code": "not_found",
        "message": "project not found",
        "details": [],
    }


# -- aggregate -------------------------------------------------------------------------------------


def aggregate(by_model: dict[str, list[str]], agents: dict[str, list[str]]) -> dict[str, Any]:
    u = usage_of(by_model)
    return approx_json(
        {
            "tokens": tok(u),
            "cost": cost_of(by_model),
            "cache_hit_rate": hit_rate(u),
            "subagent_tokens": tok(usage_of(agents)),
            "subagent_cost": cost_of(agents),
        }
    )


def test_aggregate_over_everything(api: Api) -> None:
    body = api.get("/api/metrics/aggregate")
    names = ("A1", "A2", "A3", "B1", "B2")
    expected = aggregate(usage_by_model(*names), usage_by_model(*names, agents_only=True))
    assert {k: body[k] for k in expected} == expected
    counts = {
        "project_hash": None,
        "projects": 2,
        "sessions": 5,
        "messages": 106,
        "prompts": 36,
        "tool_calls": 12,
        "errors": 6,
        "subagents": 3,  # the compaction and warmup agents are not counted
        "lines_added": 6,
        "lines_removed": 2,
        "files_changed": 3,
        "compactions": 1,
        "timezone": "UTC",
        "since": None,
        "until": None,
        "first_activity": at(T_A1, 5),
        "last_activity": at(T_B2, 12.56),
        "unpriced_models": [UNPRICED],
    }
    assert {k: body[k] for k in counts} == counts
    assert [m["model"] for m in body["models"]] == [OPUS, SONNET, HAIKU, UNPRICED]


def test_aggregate_activity_by_hour_of_the_week(api: Api) -> None:
    body = api.get("/api/metrics/aggregate")
    cell = [
        (0, 9, 32, cost_of(usage_by_model("A1"))),  # Monday 2 February
        (1, 14, 12, cost_of(usage_by_model("A2"))),
        (2, 23, 31, cost_of(EARLY)),
        (3, 0, 29, cost_of(LATE)),
        (3, 10, 8, cost_of(usage_by_model("B1"))),
        (4, 8, 6, cost_of(usage_by_model("B2"))),
    ]
    assert body["activity"] == approx_json(
        [{"weekday": w, "hour": h, "messages": m, "cost": c} for w, h, m, c in cell]
    )


def test_aggregate_of_a_project_in_a_range(api: Api) -> None:
    body = api.get("/api/metrics/aggregate", project_hash=SHOP_HASH, since="2026-02-05")
    expected = aggregate(LATE, {})
    assert {k: body[k] for k in expected} == expected
    assert (body["project_hash"], body["projects"], body["sessions"]) == (SHOP_HASH, 1, 1)
    assert (body["since"], body["until"]) == ("2026-02-05", None)
    assert body["activity"] == approx_json(
        [{"weekday": 3, "hour": 0, "messages": 29, "cost": cost_of(LATE)}]
    )
    blog = api.get("/api/metrics/aggregate", project_hash=BLOG_HASH)
    expected = aggregate(usage_by_model("B1", "B2"), usage_by_model("B1", "B2", agents_only=True))
    assert {k: blog[k] for k in expected} == expected
    assert (blog["sessions"], blog["messages"], blog["subagents"]) == (2, 8, 2)


def test_aggregate_in_a_time_zone(api: Api) -> None:
    body = api.get("/api/metrics/aggregate", tz="America/New_York", until="2026-02-04")
    # New York is UTC-5: the 4th ends at 05:00 UTC on the 5th, after all of A3
    expected = aggregate(
        usage_by_model("A1", "A2", "A3"), usage_by_model("A1", "A2", "A3", agents_only=True)
    )
    assert {k: body[k] for k in expected} == expected
    assert (body["timezone"], body["sessions"], body["projects"]) == ("America/New_York", 3, 1)
    assert body["activity"][0] == approx_json(
        {"weekday": 0, "hour": 4, "messages": 32, "cost": cost_of(usage_by_model("A1"))}
    )


def test_aggregate_of_an_unknown_project_is_404(api: Api) -> None:
    r = api.client.get("/api/metrics/aggregate", params={"project_hash": "-no-such-project"})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "project not found"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/metrics/daily", {"days": "0"}),
        ("/api/metrics/daily", {"days": "3661"}),
        ("/api/metrics/daily", {"since": "2026-02-31"}),
        (f"/api/metrics/daily/{SHOP_HASH}", {"until": "tomorrow"}),
        (f"/api/metrics/daily/{SHOP_HASH}", {"days": "x"}),
        ("/api/metrics/aggregate", {"since": "x"}),
        ("/api/metrics/aggregate", {"project_hash": "p" * 301}),
    ],
)
def test_bad_metrics_parameters_are_422(api: Api, path: str, params: dict[str, str]) -> None:
    r = api.client.get(path, params=params)
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["error"]["details"]] == [["query", next(iter(params))]]


@pytest.mark.parametrize(
    "path", ["/api/metrics/daily", f"/api/metrics/daily/{SHOP_HASH}", "/api/metrics/aggregate"]
)
def test_metrics_range_errors_are_422(api: Api, path: str) -> None:
    r = api.client.get(path, params={"since": "2026-02-06", "until": "2026-02-01"})
    assert (r.status_code, r.json()["error"]["message"]) == (422, "since is after until")
    r = api.client.get(path, params={"tz": "Nowhere/Land"})
    assert (r.status_code, r.json()["error"]["message"]) == (
        422,
        "unknown time zone: 'Nowhere/Land'",
    )


def test_dates_are_plain_days(api: Api) -> None:
    body = api.get(f"/api/metrics/daily/{SHOP_HASH}")
    assert all(date.fromisoformat(d["date"]) for d in body["days"])
