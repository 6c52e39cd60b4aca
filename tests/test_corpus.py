"""The real transcripts in ../shared/corpus: every billed response once, facts checked by hand.

Totals follow the format reference's rules (§6): real lines, then progress copies where no real
line has the key, then the Task results' final usage. Without the Task-result rule they equal
ccusage 20.0.24's `claude daily --instances --offline --json` per project; its `session` report
misses the 17 responses known only from progress copies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers.corpus import CCUSAGE_DAILY_PROJECTS, CCUSAGE_PROJECTS, CORPUS_PROJECTS

CORPUS = (Path(__file__).parents[1] / "../shared/corpus/claude").resolve()

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "projects").is_dir(), reason="no ../shared/corpus"),
]

TOTALS = (8077, 192566, 1362111, 52397094)
CCUSAGE_DAILY_COST = 33.77504115
# the 17 responses known only from progress copies (two Haiku subagents without a file)
PROGRESS_ONLY = (17, 118, 39, 26884, 366720)
# Task results: two corrected (997 and 938 output where the agent files say 1), two
# reconstructed (agents a7be2f0 and afb92ff: their last response is recorded nowhere else)
CORRECTED = {"a881341": (1, 997), "aac57f5": (1, 938)}
RECONSTRUCTED = {"a7be2f0": (0, 1545, 955, 28110), "afb92ff": (3, 3130, 892, 29869)}

# The counted responses without the Task-result rule: each key's best row of the real lines
# and progress copies.
WITHOUT_TASK_RESULTS = """
SELECT project_hash, sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens),
    sum(cache_read_tokens)
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY usage_key ORDER BY source = 'progress', is_sidechain,
            input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens DESC) AS rn
    FROM usage WHERE source <> 'task_result'
) WHERE rn = 1 AND usage_key IN (SELECT usage_key FROM usage WHERE counted)
GROUP BY project_hash
"""


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


def test_without_the_task_result_rule_totals_equal_ccusage_daily_per_project(
    corpus: Any,
) -> None:
    got = {r[0]: tuple(r[1:]) for r in rows(corpus, WITHOUT_TASK_RESULTS)}
    assert got == CCUSAGE_DAILY_PROJECTS


def test_token_totals_are_every_billed_response_once(corpus: Any) -> None:
    ((i, o, cc, cr, cost),) = rows(
        corpus,
        "SELECT sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), "
        "sum(cache_read_tokens), sum(cost) FROM projects",
    )
    assert (i, o, cc, cr) == TOTALS
    per_project = rows(
        corpus,
        "SELECT path_hash, input_tokens, output_tokens, cache_creation_tokens, "
        "cache_read_tokens FROM projects",
    )
    assert {r[0]: tuple(r[1:]) for r in per_project} == CORPUS_PROJECTS
    # ccusage's daily cost plus the Task results' tokens at the same prices
    assert cost == pytest.approx(CCUSAGE_DAILY_COST, rel=0.01)
    assert cost > CCUSAGE_DAILY_COST
    assert rows(corpus, "SELECT count(*) FROM usage WHERE counted AND NOT priced") == [(0,)]


def test_progress_copies_count_only_where_no_real_line_has_the_key(corpus: Any) -> None:
    assert rows(
        corpus,
        "SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), "
        "sum(cache_read_tokens) FROM usage WHERE counted AND source = 'progress'",
    ) == [PROGRESS_ONLY]
    # every copy of a key a real line holds is collapsed
    assert rows(
        corpus,
        "SELECT count(*) FROM usage c WHERE c.source = 'progress' AND c.counted AND EXISTS "
        "(SELECT 1 FROM usage l WHERE l.usage_key = c.usage_key AND l.source = 'line')",
    ) == [(0,)]
    # the session report's totals are what is left without them and the Task results
    per_project = rows(
        corpus,
        "SELECT project_hash, sum(input_tokens), sum(output_tokens), "
        "sum(cache_creation_tokens), sum(cache_read_tokens) FROM usage "
        "WHERE counted AND source = 'line' GROUP BY 1",
    )
    corrected = rows(
        corpus,
        "SELECT l.project_hash, l.input_tokens, l.output_tokens, l.cache_creation_tokens, "
        "l.cache_read_tokens FROM usage t JOIN usage l ON l.usage_key = t.usage_key "
        "AND l.source = 'line' WHERE t.source = 'task_result' AND t.counted",
    )
    sums = {p: list(v) for p, *v in per_project}
    for p, *v in corrected:
        sums[p] = [a + b for a, b in zip(sums.get(p, [0, 0, 0, 0]), v, strict=True)]
    assert {p: tuple(v) for p, v in sums.items() if any(v)} == CCUSAGE_PROJECTS


def test_task_results_correct_or_reconstruct_the_agents_last_response(corpus: Any) -> None:
    counted = rows(
        corpus,
        "SELECT t.agent_id, starts_with(t.usage_key, 'task:'), t.input_tokens, "
        "t.output_tokens, t.cache_creation_tokens, t.cache_read_tokens, "
        "(SELECT max(l.output_tokens) FROM usage l WHERE l.usage_key = t.usage_key "
        "AND l.source = 'line') FROM usage t WHERE t.source = 'task_result' AND t.counted "
        "ORDER BY 1",
    )
    corrected = {a: (snap, o) for a, own, _i, o, _cc, _cr, snap in counted if not own}
    reconstructed = {a: (i, o, cc, cr) for a, own, i, o, cc, cr, _ in counted if own}
    assert corrected == CORRECTED
    assert reconstructed == RECONSTRUCTED
    # a Task result whose output is not larger leaves the response as its file records it
    assert rows(
        corpus,
        "SELECT agent_id, output_tokens FROM usage WHERE source = 'task_result' AND NOT counted",
    ) == [("a2018e5", 7)]


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
