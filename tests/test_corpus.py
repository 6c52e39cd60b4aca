"""The real transcripts in ../shared/corpus: token totals equal ccusage's, facts checked by hand.

Reference figures: ccusage 20.0.24, `CLAUDE_CONFIG_DIR=<corpus> npx ccusage claude session
--offline --json`, summed per projectPath.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.corpus import CCUSAGE_PROJECTS

CORPUS = (Path(__file__).parents[1] / "../shared/corpus/claude").resolve()

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "projects").is_dir(), reason="no ../shared/corpus"),
]

CCUSAGE_TOTALS = (7956, 185919, 1333380, 51972395)
CCUSAGE_COST = 33.68428815


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from claude_code_tracer.index.schema import Database
    from claude_code_tracer.ingest.sync import Indexer
    from claude_code_tracer.pricing import PriceBook

    cache = tmp_path_factory.mktemp("corpus-cache")
    db = Database(cache / "index.duckdb")
    prices = PriceBook(cache_path=cache / "pricing.json", url="http://127.0.0.1:9/", offline=True)
    indexer = Indexer(db, (CORPUS,), prices, workers=1)
    report = indexer.sync()
    assert report.parsed == 15
    yield db
    db.close()


def rows(db: Any, sql: str) -> list[tuple[Any, ...]]:
    with db.reading() as cur:
        return cur.execute(sql).fetchall()


def test_token_totals_per_project_equal_ccusage(corpus: Any) -> None:
    got = {
        r[0]: tuple(r[1:])
        for r in rows(
            corpus,
            "SELECT path_hash, input_tokens, output_tokens, cache_creation_tokens, "
            "cache_read_tokens FROM projects",
        )
    }
    assert got == CCUSAGE_PROJECTS


def test_token_totals_and_cost_equal_ccusage(corpus: Any) -> None:
    ((i, o, cc, cr, cost),) = rows(
        corpus,
        "SELECT sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), "
        "sum(cache_read_tokens), sum(cost) FROM projects",
    )
    assert (i, o, cc, cr) == CCUSAGE_TOTALS
    assert cost == pytest.approx(CCUSAGE_COST, rel=0.01)
    assert rows(corpus, "SELECT count(*) FROM usage WHERE counted AND NOT priced") == [(0,)]


def test_corpus_indexes_without_bad_lines(corpus: Any) -> None:
    assert rows(corpus, "SELECT count(*), sum(bad_lines), sum(lines) FROM files") == [(15, 0, 6610)]


def test_hand_checked_facts(corpus: Any) -> None:
    sessions = {
        r[0]: r[1:]
        for r in rows(
            corpus,
            "SELECT session_id[:8], title, prompt_count, subagent_count, version, git_branch "
            "FROM sessions",
        )
    }
    assert sessions["258c7280"] == ("Implement spotter-gqc", 2, 1, "2.1.39", "spotter-gqc")
    assert sessions["55604662"] == (
        "mix phx.server doesnt seem to start",
        1,
        0,
        "2.1.38",
        "master",
    )
    # the first line is a summary whose leaf is in no file; the /orchestrator command is not a
    # prompt, so the first typed prompt names the session
    assert sessions["fe5e1c67"] == (
        "Thanks! Please update CLAUDE.md for current changes",
        1,
        5,
        "1.0.98",
        None,
    )
    assert rows(
        corpus, "SELECT session_id[:8], trigger, pre_tokens FROM compactions ORDER BY 1"
    ) == [
        ("258c7280", "auto", 167094),
        ("8463c716", "auto", 167731),
        ("ae4a77f8", "manual", 142431),
    ]
    agents = rows(
        corpus,
        "SELECT agent_id, kind, agent_type, description, spawn_tool_use_id FROM agents "
        "WHERE session_id LIKE '258c7280%' ORDER BY agent_id",
    )
    assert agents == [
        (
            "a881341",
            "task",
            "claude-code-guide",
            "Research Claude hook output",
            "toolu_01VmaERAwhb19LGUwu9GenaK",
        ),
        ("acompact-fffbd0", "compact", "compaction", "Conversation compaction", None),
    ]
    inline = rows(
        corpus,
        "SELECT description FROM agents WHERE session_id LIKE 'fe5e1c67%' AND kind = 'inline' "
        "AND spawn_tool_use_id IS NOT NULL ORDER BY description",
    )
    assert [d for (d,) in inline] == [
        "Build TODO components",
        "Create data models",
        "Create main page integration",
        "Implement state management",
        "Setup Next.js project",
    ]
    assert rows(corpus, "SELECT category, count(*) FROM errors GROUP BY ALL ORDER BY 1") == [
        ("api_retry", 9),
        ("interrupt", 4),
        ("rejected", 3),
        ("tool_error", 58),
    ]
