"""The demo history: deterministic, clean, and showing every feature."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from claude_code_tracer.demo.history import build_demo

NOW = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    root = tmp_path_factory.mktemp("demo") / "claude"
    started = time.perf_counter()
    build_demo(root, now=NOW)
    return root, time.perf_counter() - started


@pytest.fixture
def demo_index(demo: tuple[Path, float], make_index: Callable[..., Any]) -> Any:
    return make_index(demo[0])


def test_demo_builds_fast_and_deterministically(tmp_path: Path, demo: tuple[Path, float]) -> None:
    root, seconds = demo
    assert seconds < 2.0
    again = build_demo(tmp_path / "again", now=NOW)
    assert tree(again) == tree(root)
    other_seed = tree(build_demo(tmp_path / "seed", now=NOW, seed=8))
    assert sorted(other_seed) != sorted(tree(root))


def test_demo_indexes_cleanly_within_eight_weeks(demo_index: Any) -> None:
    ix = demo_index
    assert ix.one("SELECT sum(bad_lines) FROM files") == 0
    assert ix.one("SELECT count(*) FROM projects") == 6
    assert 36 <= ix.one("SELECT count(*) FROM sessions") <= 44
    first, last = ix.rows("SELECT min(start_time), max(end_time) FROM sessions")[0]
    naive_now = NOW.replace(tzinfo=None)
    assert naive_now - timedelta(days=57) <= first <= naive_now - timedelta(days=50)
    assert naive_now - timedelta(hours=6) <= last <= naive_now
    longest = ix.one("SELECT max(lines) FROM files")
    assert 1300 <= longest <= 1700


def test_demo_has_every_feature(demo_index: Any) -> None:
    ix = demo_index
    kinds = dict(ix.rows("SELECT kind, count(*) FROM agents GROUP BY ALL"))
    assert set(kinds) == {"task", "inline", "compact", "warmup"}
    layouts = dict(ix.rows("SELECT kind, count(*) FROM files GROUP BY ALL"))
    assert set(layouts) == {"session", "subagent", "legacy_agent"}
    unspawned = ix.rows(
        "SELECT description FROM agents WHERE kind = 'task' AND spawn_tool_use_id IS NULL"
    )
    assert unspawned == [("btw, which seed did the last run use?",)]  # the /btw aside
    categories = {c for (c,) in ix.rows("SELECT DISTINCT category FROM errors")}
    assert categories == {"tool_error", "rejected", "interrupt", "api_retry", "api_error"}
    assert {s for (s,) in ix.rows("SELECT DISTINCT source FROM commands")} == {
        "prompt",
        "local",
        "bash",
    }
    assert ix.one("SELECT count(DISTINCT skill) FROM tool_calls WHERE skill IS NOT NULL") >= 2
    assert {t for (t,) in ix.rows("SELECT DISTINCT trigger FROM compactions")} == {
        "auto",
        "manual",
        None,
    }
    assert {c for (c,) in ix.rows("SELECT DISTINCT change_type FROM code_changes")} == {
        "create",
        "modify",
    }
    assert {t for (t,) in ix.rows("SELECT DISTINCT title_source FROM sessions")} == {
        "custom_title",
        "ai_title",
        "summary",
        "first_prompt",
    }
    models = {m for (m,) in ix.rows("SELECT DISTINCT unnest(models) FROM sessions")}
    assert {"claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"} <= models
    assert ix.rows("SELECT unpriced_models, cost FROM sessions WHERE len(unpriced_models) > 0") == [
        (["kimi-k2.5"], 0.0)
    ]
    assert ix.one("SELECT count(*) FROM usage WHERE counted AND model = '<synthetic>'") == 0
    assert ix.one("SELECT sum(cost) FROM sessions") > 1.0
