"""Search: the query language, each searched field and filter with its exact hits, Unicode,
text beyond the index's previews, hostile queries, and the index following appended and
deleted files while serving."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from claude_code_tracer.demo.builder import ClaudeDir, Usage, bash_op, folder_name, read_op
from claude_code_tracer.index.search_query import SearchSyntaxError, parse
from claude_code_tracer.transcript.search_text import read_documents
from helpers.api_fixtures import PRICES, Api, cost, open_api
from helpers.servers import live_server

SHOP, BLOG = "/home/dev/shop", "/srv/blog"
SHOP_HASH, BLOG_HASH = folder_name(SHOP), folder_name(BLOG)
S1 = "51000000-0000-4000-8000-000000000001"
S2 = "52000000-0000-4000-8000-000000000002"
OPUS, SONNET, HAIKU = list(PRICES)
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
FILLER = "\n".join(f"line {i}: all good" for i in range(300))  # ~6 KB, past every preview
U = {
    "s1_bash": Usage(input=10, output=100, cache_read=1000),
    "s1_answer": Usage(input=5, output=50),
    "s1_fail": Usage(input=3, output=30),
    "s1_review": Usage(input=2, output=20, cache_5m=400),
    "s2_read": Usage(input=4, output=40),
    "s2_spawn": Usage(input=1, output=10),
    "ag_say": Usage(input=6, output=60),
    "ag_finish": Usage(input=7, output=70),
    "s2_done": Usage(input=8, output=80),
}


def build(root: Path) -> dict[str, Any]:
    claude = ClaudeDir(root, seed=3)
    shop, blog = claude.project(SHOP), claude.project(BLOG)
    ids: dict[str, Any] = {}

    s1 = shop.session(S1, start=T1, model=OPUS, git_branch="main")
    ids["prompt"] = s1.prompt("Fix the flaky upload test in the café module 東京都 🎉")
    ids["bash"] = s1.run(
        bash_op("pytest tests/test_upload.py", FILLER + "\nZEBRAFINCH timeout in upload"),
        thinking="Let me consider the retry logic first",
        text="Running the upload tests",
        usage=U["s1_bash"],
    )
    ids["answer"] = s1.say(
        "The upload test fails because of a race in the retry loop.", usage=U["s1_answer"]
    )
    ids["fail"] = s1.run(bash_op("make deploy", "boom", exit_code=2), usage=U["s1_fail"])
    ids["command"] = s1.command("/review", "src/upload.py")
    ids["review"] = s1.say("Reviewed: no issues left.", usage=U["s1_review"])
    s1.custom_title("Upload flakiness")

    s2 = blog.session(S2, start=T2, model=SONNET, git_branch="feature/parser")
    ids["s2_prompt"] = s2.prompt("Rewrite the parser for markdown tables")
    s2.run(
        read_op(f"{BLOG}/parser.py", "def parse_table(rows):\n    return rows\n"),
        text="Reading the parser",
        usage=U["s2_read"],
    )
    agent = s2.spawn(
        "Research tables", "Find how GFM tables align columns", usage=U["s2_spawn"], model=HAIKU
    )
    agent.say("Columns align with colons in the delimiter row", usage=U["ag_say"])
    agent.finish("Done: colons set the alignment", usage=U["ag_finish"])
    ids["agent"] = agent.agent_id
    s2.say("Parsing done", usage=U["s2_done"])
    ids["claude"] = claude
    ids["s2_path"] = s2.path
    ids["s1_path"] = s1.path
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, Any]]]:
    base = tmp_path_factory.mktemp("search")
    ids = build(base / "claude")
    gen = open_api(base, None, base / "claude")
    api = next(gen)
    api.app.state.runtime.search.sync()
    yield api, ids
    next(gen, None)


@pytest.fixture
def api(world: tuple[Api, dict[str, Any]]) -> Api:
    return world[0]


@pytest.fixture
def ids(world: tuple[Api, dict[str, Any]]) -> dict[str, Any]:
    return world[1]


def hits(api: Api, q: str, **params: Any) -> list[tuple[str, str, str]]:
    """(kind, session, snippet) of every hit, in order."""
    body = api.get("/api/search", q=q, limit=100, **params)
    assert body["total"] == len(body["hits"]), body
    return [(h["kind"], h["session_id"], h["snippet"]) for h in body["hits"]]


def kinds(api: Api, q: str, **params: Any) -> list[tuple[str, str]]:
    return sorted((k, s) for k, s, _ in hits(api, q, **params))


# -- the query language -------------------------------------------------------------------------


def test_parse_reads_words_phrases_prefixes_exclusions_and_filters() -> None:
    p = parse('flaky "upload test" pars* -vendor kind:result -tool:Bash branch:"feat x"')
    assert [(t.text, t.phrase, t.prefix, t.negated) for t in p.terms] == [
        ("flaky", False, False, False),
        ("upload test", True, False, False),
        ("pars", False, True, False),
        ("vendor", False, False, True),
    ]
    assert [(f.name, f.value, f.negated) for f in p.filters] == [
        ("kind", "result", False),
        ("tool", "Bash", True),
        ("branch", "feat x", False),
    ]
    # a colon that names no filter is part of the word
    assert [t.text for t in parse("http://x.test/a").terms] == ["http://x.test/a"]


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ('"open', 0, "a quote is not closed"),
        ('fix "open', 4, "a quote is not closed"),
        ('a"b', 1, "a quote inside a word: put the phrase in quotes"),
        (
            "kind:nope",
            0,
            "kind: is one of prompt, answer, thinking, tool, result, command or title",
        ),
        ("x*y", 1, "'*' goes at the end of a word"),
        ("ok -*", 4, "'*' needs the start of a word before it"),
        ("-flaky", 0, "a search needs a word or a filter besides exclusions"),
        ("after:2026-13-01", 0, "after: takes a date, YYYY-MM-DD"),
        ("is:slow", 0, "is: takes error"),
        ("tool:", 0, "tool: needs a value"),
        ("   ", 0, "nothing to search for"),
        ("bad\x07bell", 3, "a control character cannot be searched for"),
        ("x" * 1001, 1000, "a search is at most 1,000 characters long"),
        (" ".join(["w"] * 33), 64, "a search has at most 32 words and filters"),
    ],
)
def test_unreadable_queries_say_what_and_where(query: str, position: int, reason: str) -> None:
    with pytest.raises(SearchSyntaxError) as caught:
        parse(query)
    assert (caught.value.position, caught.value.reason) == (position, reason)


def test_an_unreadable_query_is_a_422_with_its_position(api: Api) -> None:
    r = api.client.get("/api/search", params={"q": 'fix "open'})
    assert r.status_code == 422
    assert r.json()["error"]["details"] == [
        {"loc": ["query", "q"], "msg": "a quote is not closed", "position": 4}
    ]
    assert r.json()["error"]["message"] == "invalid search: a quote is not closed (at character 5)"


# -- what is searched ---------------------------------------------------------------------------


def test_each_kind_of_text_is_found(api: Api, ids: dict[str, Any]) -> None:
    assert kinds(api, "flaky") == [("prompt", S1)]
    assert kinds(api, "retry logic") == [("thinking", S1)]
    assert kinds(api, "race") == [("answer", S1)]
    assert kinds(api, "flakiness") == [("title", S1)]
    assert hits(api, "review kind:command") == [("command", S1, "/review src/upload.py")]
    assert kinds(api, "deploy") == [("tool", S1)]
    assert kinds(api, "boom") == [("result", S1)]
    # a tool input's every value: Read's file path
    assert kinds(api, "parser.py") == [("tool", S2)]
    # a subagent's own transcript: its prompt and its answers, in the parent's session
    body = api.get("/api/search", q="colons")
    assert sorted((h["kind"], h["session_id"], h["agent_id"]) for h in body["hits"]) == [
        ("answer", S2, ids["agent"]),
        ("answer", S2, ids["agent"]),
        ("result", S2, ""),  # the Task result the parent received
    ]
    assert kinds(api, "GFM") == [("prompt", S2), ("tool", S2)]  # the agent's prompt, the call


def test_a_word_beyond_the_stored_preview_is_found(api: Api) -> None:
    # the index keeps 600 characters of this result; the word is 6 KB in
    [(kind, session, snippet)] = hits(api, "ZEBRAFINCH")
    assert (kind, session) == ("result", S1)
    assert "ZEBRAFINCH timeout in upload" in snippet


def test_operators(api: Api) -> None:
    assert kinds(api, '"upload test"') == [("answer", S1), ("prompt", S1)]
    assert kinds(api, '"test flaky"') == []
    assert kinds(api, "upload -flaky") == [
        ("answer", S1),
        ("answer", S1),
        ("command", S1),  # /review src/upload.py
        ("result", S1),
        ("title", S1),  # Upload flakiness: another word
        ("tool", S1),
    ]
    # parse, parser (not "parsing")
    assert kinds(api, "parse*") == [
        ("answer", S2),
        ("prompt", S2),
        ("result", S2),
        ("tool", S2),
    ]
    assert kinds(api, "upload race") == [("answer", S1)]  # every word must match


def test_filters(api: Api, ids: dict[str, Any]) -> None:
    assert kinds(api, "upload tool:bash") == [("result", S1), ("tool", S1)]
    assert kinds(api, "upload kind:thinking") == []
    assert kinds(api, "retry kind:thinking") == [("thinking", S1)]
    assert kinds(api, "parsing model:sonnet") == [("answer", S2)]
    assert kinds(api, "parsing model:opus") == []
    assert kinds(api, "parser branch:feature/parser kind:prompt") == [("prompt", S2)]
    assert kinds(api, "tables project:blog kind:prompt") == [("prompt", S2), ("prompt", S2)]
    assert kinds(api, "upload project:nowhere") == []
    assert kinds(api, "upload session:5100 kind:prompt") == [("prompt", S1)]
    assert kinds(api, "upload session:5200") == []
    assert kinds(api, "is:error") == [("result", S1)]
    assert kinds(api, "upload -kind:result -kind:tool -kind:answer") == [
        ("command", S1),
        ("prompt", S1),
        ("title", S1),
    ]
    # days, in the time zone asked for: S2 is written on 9 March from 15:00 UTC
    assert {s for _, s in kinds(api, "the after:2026-03-09")} == {S2}
    assert {s for _, s in kinds(api, "the before:2026-03-09")} == {S1}
    assert {s for _, s in kinds(api, "the before:2026-03-10", tz="Pacific/Kiritimati")} == {S1}


def test_unicode_accents_case_cjk_and_emoji(api: Api) -> None:
    for q in ("cafe", "CAFÉ", "Café", "京都", "東京都", "🎉", "FLAKY"):
        assert kinds(api, q) == [("prompt", S1)], q
    [(_, _, snippet)] = hits(api, "京都")
    assert "café module 東京都" in snippet  # shown as written


def test_hits_say_where_they_are_and_what_they_cost(api: Api, ids: dict[str, Any]) -> None:
    body = api.get("/api/search", q="flaky")
    [hit] = body["hits"]
    prompt_cost = sum(
        cost(OPUS, U[n]) for n in ("s1_bash", "s1_answer", "s1_fail")
    )  # everything until the next prompt (the /review command)
    assert hit["cost"] == pytest.approx(prompt_cost, abs=1e-12)
    assert (hit["project_hash"], hit["project_path"], hit["branch"]) == (SHOP_HASH, SHOP, "main")
    assert hit["session_title"] == "Upload flakiness"
    assert hit["uuid"] == ids["prompt"]["uuid"]
    assert hit["ts"] == "2026-03-02T09:00:05Z"
    assert hit["snippet"].startswith("Fix the flaky upload test")
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "flaky"
    [answer] = api.get("/api/search", q="race")["hits"]
    assert answer["cost"] == pytest.approx(cost(OPUS, U["s1_answer"]), abs=1e-12)
    assert answer["model"] == OPUS
    [command] = api.get("/api/search", q="review kind:command")["hits"]
    assert command["cost"] == pytest.approx(cost(OPUS, U["s1_review"]), abs=1e-12)
    assert body["sessions"] == [
        {
            "project_hash": SHOP_HASH,
            "session_id": S1,
            "session_title": "Upload flakiness",
            "hits": 1,
        }
    ]


def test_facets_and_session_counts(api: Api) -> None:
    body = api.get("/api/search", q="upload", limit=2)
    assert body["total"] == 7
    assert len(body["hits"]) == 2
    assert body["sessions"][0]["hits"] == 7
    facets = body["facets"]
    assert {f["value"]: f["count"] for f in facets["kinds"]} == {
        "answer": 2,
        "command": 1,
        "prompt": 1,
        "result": 1,
        "tool": 1,
        "title": 1,
    }
    assert {f["value"]: f["count"] for f in facets["tools"]} == {"Bash": 2, "/review": 1}
    assert [(f["value"], f["label"], f["count"]) for f in facets["projects"]] == [
        (SHOP_HASH, "shop", 7)
    ]


def test_paging_and_date_order(api: Api) -> None:
    every = api.get("/api/search", q="upload", limit=100, sort="date")["hits"]
    stamps = [h["ts"] for h in every if h["ts"]]
    assert stamps == sorted(stamps, reverse=True)
    pages = [
        api.get("/api/search", q="upload", limit=2, offset=o, sort="date")["hits"]
        for o in (0, 2, 4, 6)
    ]
    assert [h["uuid"] + h["kind"] for p in pages for h in p] == [
        h["uuid"] + h["kind"] for h in every
    ]


def test_a_hit_links_to_its_entry_in_the_timeline(api: Api, ids: dict[str, Any]) -> None:
    for q, agent in (("ZEBRAFINCH", ""), ("delimiter", ids["agent"])):
        [hit] = api.get("/api/search", q=q)["hits"]
        assert hit["agent_id"] == agent
        url = f"/sessions/{hit['project_hash']}/{hit['session_id']}/at/{hit['uuid']}"
        r = api.client.get(url, params={"agent": agent} if agent else None, follow_redirects=False)
        assert r.status_code == 303
        assert "#e-" in r.headers["location"]


def test_extraction_passes_over_progress_copies(tmp_path: Path) -> None:
    claude = ClaudeDir(tmp_path / "c", seed=2)
    s = claude.project(BLOG).session(S2, start=T2, model=SONNET)
    s.prompt("spawn something")
    agent = s.spawn("Look", "Look around", usage=U["s2_spawn"])
    agent.say("UNIQUEWORD in the agent", usage=U["ag_say"])
    agent.finish("finished", usage=U["ag_finish"])
    with s.path.open("rb") as f:
        main_docs = read_documents(f)
    assert "progress" in s.path.read_text()
    assert not any("UNIQUEWORD" in d.text for d in main_docs)  # only its copies are here
    with agent.path.open("rb") as f:
        assert [d.kind for d in read_documents(f) if "UNIQUEWORD" in d.text] == ["answer"]


# -- hostile queries ----------------------------------------------------------------------------

HOSTILE = [
    "title:foo AND (bar",
    "body:x OR 1=1",
    "\\",
    '"""',
    '"\\"',
    "tool:.*",
    "branch:[",
    "model:(?i)x",
    "session:\\x{41}",
    "project:' OR 1=1 --",
    "a" * 10_000,
    "x " * 5000,
    "\x00",
    "\u202e evil",
    "<script>alert(1)</script>",
    "*",
    "-",
    "--",
    ":",
    "kind:",
    "after:9999-99-99",
    "%00",
    "🎉" * 300,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_give_results_or_a_422(api: Api, query: str) -> None:
    r = api.client.get("/api/search", params={"q": query})
    assert r.status_code in (200, 422), (query, r.status_code, r.text[:300])
    page = api.client.get("/search", params={"q": query})
    assert page.status_code in (200, 422)
    assert "<script>alert(1)</script>" not in page.text


def test_the_search_page_marks_and_links(api: Api, ids: dict[str, Any]) -> None:
    r = api.client.get("/search", params={"q": "flaky"})
    assert r.status_code == 200
    assert "Fix the <mark>flaky</mark> upload test" in r.text
    assert f"/sessions/{SHOP_HASH}/{S1}/at/{ids['prompt']['uuid']}" in r.text
    assert 'data-facet="kind:prompt"' in r.text
    bad = api.client.get("/search", params={"q": 'fix "open'})
    assert bad.status_code == 422
    assert "a quote is not closed (at character 5)" in bad.text


# -- following the files while serving ----------------------------------------------------------


def test_an_appended_line_is_found_and_a_deleted_file_leaves(tmp_path: Path) -> None:
    ids = build(tmp_path / "claude")
    with live_server(tmp_path / "claude", tmp_path / "cache") as server, server.client() as c:

        def total(q: str) -> int:
            return int(c.get("/api/search", params={"q": q}).json()["total"])

        deadline = time.monotonic() + 10
        while total("flaky") != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert total("flaky") == 1
        started = time.monotonic()
        with ids["s1_path"].open("a") as f:
            line = {
                "type": "user",
                "uuid": "u-new",
                "sessionId": S1,
                "timestamp": "2026-03-02T10:00:00Z",
                "message": {"role": "user", "content": "now try the PELICAN approach"},
            }
            f.write(json.dumps(line) + "\n")
        while total("pelican") != 1 and time.monotonic() - started < 2.0:
            time.sleep(0.02)
        assert total("pelican") == 1, "an appended line is searchable within 2 s"
        assert total("parser kind:prompt") == 1
        started = time.monotonic()
        os.remove(ids["s2_path"])
        while total("parser kind:prompt") and time.monotonic() - started < 2.0:
            time.sleep(0.02)
        assert total("parser kind:prompt") == 0
        assert total("pelican") == 1


def test_doc_row_layout() -> None:
    """The reading processes send documents as plain tuples: the uuid is where the sync looks."""
    from claude_code_tracer.transcript.search_text import UUID_AT, SearchDoc

    assert SearchDoc._fields[UUID_AT] == "uuid"
