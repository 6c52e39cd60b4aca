"""The dashboard pages and fragments, rendered on a small history with known figures.

The figures are worked out in `dashboard_history`; the pages must show them exactly as the
brief writes numbers, and agree with the JSON API they share their queries with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from claude_code_tracer.config import Settings
from claude_code_tracer.main import create_app
from claude_code_tracer.web.pages import project as project_pages
from claude_code_tracer.web.pages import session as session_pages
from helpers.dashboard_history import (
    ARCHIVE_HASH,
    BLOG_HASH,
    SHOP_HASH,
    SHOP_SESSION,
    XSS_SCRIPT,
    History,
    build,
)

HX = {"HX-Request": "true"}
SESSION = f"/sessions/{SHOP_HASH}/{SHOP_SESSION}"
PROJECT = f"/projects/{SHOP_HASH}"


def serve(claude: Path, cache: Path) -> Iterator[TestClient]:
    settings = Settings(
        claude_dirs=(claude,), cache_dir=cache, offline=True, watch=False, timezone="UTC"
    )
    app = create_app(settings, start=False)
    app.state.runtime.sync_now()
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build(tmp_path_factory.mktemp("history") / "claude")


@pytest.fixture(scope="module")
def client(history: History, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from serve(history.root, tmp_path_factory.mktemp("cache"))


def forget_cached_answers(client: TestClient) -> None:
    """After patching how answers are made, cached ones no longer apply."""
    client.app.state.runtime.invalidate()  # type: ignore[attr-defined]


def page(client: TestClient, url: str, status: int = 200, **headers: str) -> str:
    response = client.get(url, headers={"Accept": "text/html", **headers})
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def fragment(client: TestClient, url: str, target: str | None = None) -> str:
    """What htmx gets: it asks with `Accept: */*`."""
    headers = {**HX, "Accept": "*/*"}
    if target:
        headers["HX-Target"] = target
    html = page(client, url, **headers)
    assert "<html" not in html
    return html


def api(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def message(client: TestClient, tool: str, kind: str = "assistant") -> dict[str, Any]:
    """The first message of the shop session of `kind` calling `tool`, from the JSON API."""
    listing = api(client, f"/api{SESSION}/messages?tool={tool}&per_page=50")
    return next(m for m in listing["messages"] if m["kind"] == kind or kind == "any")


def assert_safe(html: str) -> None:
    """Transcript markup shows as text; nothing runs inline."""
    assert XSS_SCRIPT not in html
    assert "<img src=x" not in html
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.IGNORECASE)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def money_span(exact: str, shown: str) -> str:
    return f'<span class="num" title="{exact}">{shown}</span>'


# ---------------------------------------------------------------------------------------------
# overview


def test_root_answers_json_to_programs_and_html_to_browsers(client: TestClient) -> None:
    info = client.get("/", headers={"Accept": "application/json"})
    assert info.status_code == 200
    assert info.json() == {
        "name": "claude-code-tracer",
        "version": info.json()["version"],
        "docs": "/docs",
        "dashboard": "/",
        "health": "/health",
    }
    assert client.get("/").json()["dashboard"] == "/"
    html = page(client, "/", Accept="text/html,application/xhtml+xml")
    assert "<title>Overview · claude-code-tracer</title>" in html
    assert "Claude Code usage over the last 30 days" in html


def test_overview_totals_for_the_default_30_days(client: TestClient) -> None:
    html = page(client, "/", Accept="text/html")
    # cost: shop $2.1388 + blog 2 x $0.00528
    assert money_span("$2.149360", "$2.15") in html
    assert '<span class="num" title="1,849,620 tokens">1.8M</span>' in html
    # the four kinds, in order
    kinds = re.findall(r'<li><i class="dot tk-([a-z-]+)"', html)
    assert kinds[:4] == ["input", "output", "cache-write", "cache-read"]
    assert 'title="920 input tokens">920</span>' in html
    assert 'title="18,700 output tokens">18.7k</span>' in html
    assert 'title="90,000 cache write tokens">90k</span>' in html
    assert 'title="1,740,000 cache read tokens">1.7M</span>' in html
    assert '<span class="num" title="3 sessions">3</span>' in html
    assert '<span class="num" title="2 projects">2</span>' in html
    assert money_span("$0.134800", "$0.13") + " by subagents" in html
    # projects table: shop first (by cost), archive (40 days back) left out
    rows = re.findall(r'<td class="name"><a href="(/projects/[^"]+)">([^<]+)</a>', html)
    assert rows == [(f"/projects/{SHOP_HASH}", "shop"), (f"/projects/{BLOG_HASH}", "blog")]
    assert money_span("$2.138800", "$2.14") in html
    assert money_span("$0.010560", "$0.01") in html
    assert "archive" not in html
    # charts: data for the browser, in elements that never run
    assert '<script type="application/json" id="chart-cost" data-live-region>' in html
    assert '"label": "Opus 4.6"' in html or '"label":"Opus 4.6"' in html
    assert 'data-chart="chart-tokens"' in html
    # activity by weekday and hour, models
    assert 'class="heat"' in html
    assert html.count('<tr><th scope="row">') == 7
    assert '<span class="model" style="--c: ' in html
    assert 'title="claude-sonnet-4-5-20250929"><i aria-hidden="true"></i>Sonnet 4.5</span>' in html
    assert_safe(html)


def test_overview_all_time_and_custom_range(client: TestClient, history: History) -> None:
    html = page(client, "/?range=all")
    assert "Claude Code usage over all time" in html
    assert money_span("$2.154640", "$2.15") in html
    assert f'href="/projects/{ARCHIVE_HASH}?range=all">archive</a>' in html
    assert 'class="on" aria-current="true">All</a>' in html
    # a custom range holding only the archive session's day
    archive = api(client, f"/api/projects/{ARCHIVE_HASH}/sessions")["sessions"][0]
    day = archive["start_time"][:10]
    html = page(client, f"/?since={day}&until={day}")
    assert re.findall(r'<td class="name"><a href="/projects/([^"?]+)', html) == [ARCHIVE_HASH]
    assert money_span("$0.005280", "$0.01") in html
    assert f'<input type="date" name="since" value="{day}">' in html


def test_overview_empty_range_says_what_to_do(client: TestClient) -> None:
    html = page(client, "/?since=2020-01-01&until=2020-01-31")
    assert "No sessions in this range" in html
    assert "Show all time" in html
    assert 'href="/?range=all"' in html
    assert "No cost in this range." in html


def test_projects_table_sorts_and_searches_as_a_fragment(client: TestClient) -> None:
    html = fragment(client, "/?sort=name", "projects")
    assert html.lstrip().startswith('<div id="projects" data-live-region>')
    names = re.findall(r'<td class="name"><a href="[^"]+">([^<]+)</a>', html)
    assert names == ["blog", "shop"]
    assert '<th scope="col" class=" sorted" aria-sort="ascending">' in html
    html = fragment(client, "/?q=BLO", "projects")
    assert re.findall(r'<td class="name"><a href="[^"]+">([^<]+)</a>', html) == ["blog"]
    html = fragment(client, "/?q=nothing-like-this", "projects")
    assert "No project matches “nothing-like-this”" in html


def test_overview_without_any_history(tmp_path: Path) -> None:
    (tmp_path / "empty" / "projects").mkdir(parents=True)
    for client in serve(tmp_path / "empty", tmp_path / "cache"):
        html = page(client, "/", Accept="text/html")
        assert "No Claude Code history yet" in html
        assert f"<code>{tmp_path / 'empty'}/projects</code>" in html
        assert "cctracer --demo" in html


# ---------------------------------------------------------------------------------------------
# project


def test_project_page(client: TestClient) -> None:
    html = page(client, PROJECT)
    assert "<title>shop · claude-code-tracer</title>" in html
    assert '<span aria-current="page">shop</span>' in html
    assert money_span("$2.138800", "$2.14") in html
    assert '<span class="num" title="1,847,400 tokens">1.8M</span>' in html
    # the sessions table
    assert f'<a href="{SESSION}" title="Fix the checkout total">Fix the checkout total</a>' in html
    assert '<span class="path">5e550000 · fix-total · 1 subagent</span>' in html
    assert '<span class="num err">3</span>' in html
    assert "1 session</p>" in html
    # tools (subagents included), subagent types, skills, models
    assert '<td class="mono">Bash</td>' in html
    assert re.search(
        r'<td class="mono">Bash</td>\s*<td class="n bar-cell"><span class="num">3</span>', html
    )
    assert "<td>Explore</td>" in html
    assert '<td class="mono">commit-helper</td>' in html
    assert "Opus 4.6</span>" in html
    # the most expensive prompts: the first is six Opus responses, the Explore agent and the
    # compaction ($1.5030 + $0.0723 + $0.0625); its markup shows as text
    top = html.split('data-testid="top-prompts"', 1)[1].split("</table>", 1)[0]
    assert top.count("<tr>") == 4  # the header and three prompts
    assert "Why does checkout fail? &lt;script&gt;alert(1)&lt;/script&gt;" in top
    assert money_span("$1.637800", "$1.64") in top
    assert "cache reads" in top
    # what the skill and the slash command cost; the branch of every response
    assert re.search(r'commit-helper</td>(.|\n)*?title="\$0.062500">\$0.06</span>', html)
    assert re.search(r'<code class="cmd">/review</code>(.|\n)*?title="\$0.250500"', html)
    assert "<code>fix-total</code>" in html
    assert_safe(html)


def test_project_json_sections_agree_with_the_page(client: TestClient) -> None:
    agents = api(client, f"/api/projects/{SHOP_HASH}/subagents")
    by_type = {t["agent_type"]: t for t in agents["types"]}
    assert by_type["Explore"]["count"] == 1
    assert by_type["Explore"]["cost"] == pytest.approx(0.0723)
    assert by_type["Explore"]["tokens"]["total_tokens"] == 50_100
    skills = api(client, f"/api/projects/{SHOP_HASH}/skills")
    assert [(s["skill"], s["count"], s["sessions"]) for s in skills["skills"]] == [
        ("commit-helper", 1, 1)
    ]
    tools = api(client, f"/api/projects/{SHOP_HASH}/tools")
    assert {t["name"]: t["count"] for t in tools["tools"]}["Bash"] == 3
    assert api(client, f"/api/projects/{SHOP_HASH}/tools?since=2020-01-01&until=2020-01-02") == {
        "tools": [],
        "total_calls": 0,
        "total_errors": 0,
    }
    models = api(client, "/api/metrics/models")["models"]
    assert set(models) == {"claude-opus-4-6", "claude-sonnet-4-5-20250929"}


def test_project_sessions_sort_search_and_pages(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    blog = f"/projects/{BLOG_HASH}"
    html = fragment(client, f"{blog}?sort=start&order=asc", "sessions")
    assert html.lstrip().startswith('<div id="sessions" data-live-region>')
    titles = re.findall(r'<td class="name title-cell"><a href="[^"]+" title="([^"]+)"', html)
    assert titles == ["Draft a post about caching", "Outline the talk on queues"]
    html = fragment(client, f"{blog}?q=queues", "sessions")
    assert re.findall(r'title="([^"]+)">Outline', html) == ["Outline the talk on queues"]
    monkeypatch.setattr(project_pages, "SESSIONS_PER_PAGE", 1)
    html = page(client, f"{blog}?page=2")
    assert "Page 2 of 2 · 2 sessions" in html
    assert f'href="{blog}" hx-get="{blog}" hx-target="#sessions"' in html
    assert "Draft a post about caching" in html


def test_project_with_nothing_in_range(client: TestClient) -> None:
    html = page(client, f"/projects/{ARCHIVE_HASH}")
    assert "No sessions in this range" in html
    assert "This project has no activity over the last 30 days." in html
    assert "Try all time" in html
    html = page(client, f"/projects/{ARCHIVE_HASH}?range=all")
    assert "Tidy the archive scripts" in html


# ---------------------------------------------------------------------------------------------
# session


def test_session_header(client: TestClient) -> None:
    html = page(client, SESSION)
    assert "<h1 title=" in html
    assert ">Fix the checkout total</h1>" in html
    assert '<span class="chip mono" title="Git branch">fix-total</span>' in html
    assert money_span("$2.138800", "$2.14") in html
    assert money_span("$0.134800", "$0.13") + " by subagents" in html
    assert '<span class="num" title="1,847,400 tokens">1.8M</span>' in html
    assert '<span class="num" title="7 tool calls">7</span>' in html
    assert '<span class="err">3 errors</span>' in html
    assert '<span class="add">+4</span> <span class="del">−1</span>' in html
    assert "2 files · 1 compaction" in html
    crumbs = re.findall(r'<nav class="crumbs".*?</nav>', html, re.S)[0]
    assert '<a href="/">Overview</a>' in crumbs
    assert f'<a href="{PROJECT}">shop</a>' in crumbs
    assert '<span aria-current="page">Fix the checkout total</span>' in crumbs
    for tab in ("Timeline", "Tools", "Subagents", "Skills", "Code changes", "Errors", "Commands"):
        assert f">{tab}" in html
    assert_safe(html)


def test_session_timeline_reads_like_the_conversation(client: TestClient, history: History) -> None:
    html = page(client, SESSION)
    # the prompt, escaped
    assert "Why does checkout fail? &lt;script&gt;alert(1)&lt;/script&gt;" in html
    # assistant text as markdown, raw HTML as text, only safe links
    assert "Let me <strong>look</strong> at the failing test first." in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert (
        '<a href="https://docs.example.com/checkout" rel="noopener noreferrer nofollow" '
        'target="_blank">the docs</a>' in html
    )
    assert 'href="javascript' not in html
    assert "[this](javascript:alert(1))" in html
    # thinking folded, tokens and cost on each response
    assert '<details class="thinking"><summary>Thinking' in html
    assert "The test suite is the place to start." in html
    assert re.search(
        r'<span class="num">212k</span> tok · <span class="num" title="\$0.250500">\$0.25</span>',
        html,
    )
    # tool calls: one line, folded, loaded on demand
    assert re.search(
        r'<span class="tool-name">Bash</span>\s*'
        r'<span class="arg mono" title="pytest -x">pytest -x</span>',
        html,
    )
    assert "✗ failed" in html
    assert re.search(
        r'<span class="tool-name">Edit</span>\s*'
        r'<span class="arg mono" title="/home/dev/src/shop/cart.py">',
        html,
    )
    assert 'hx-trigger="toggle once"' in html
    # the subagent spawn links to its page
    agent_url = f"/subagents/{SHOP_HASH}/{SHOP_SESSION}/{history.agent_id}"
    assert '<span class="agent-type">Explore</span>' in html
    assert "Find other totals" in html
    assert f'<a class="open-agent" href="{agent_url}">Open ›</a>' in html
    # compaction, API error, interrupt, command
    assert "<span>Conversation compacted</span>" in html
    assert "auto · 180k tokens before" in html
    assert '<span class="state error">API error</span>' in html
    assert "API Error: 529 Overloaded" in html
    assert '<span class="state warn">Interrupted</span>' in html
    assert '<code class="cmd">/review cart.py</code>' in html
    # tool results show under their calls, not as rows of their own
    assert 'class="entry k-tool_result' not in html
    assert "23</span> entries" in html
    assert_safe(html)


def test_timeline_filters(client: TestClient) -> None:
    html = fragment(client, f"{SESSION}?type=prompt", "timeline")
    assert html.lstrip().startswith('<div id="timeline" class="timeline"')
    assert html.count('class="entry k-prompt"') == 2
    assert 'class="entry k-assistant' not in html
    assert '<span class="num">2</span> entries match' in html
    assert f'<a class="clear" href="{SESSION}">Clear filters</a>' in html

    html = fragment(client, f"{SESSION}?errors=1", "timeline")
    assert '<span class="num">3</span> entries match' in html
    assert 'class="entry k-tool_result st-tool-result has-error"' in html
    assert "FAILED tests/test_cart.py::test_total" in html
    assert '<span class="state error">tool error</span>' in html

    html = fragment(client, f"{SESSION}?tool=Edit&type=assistant", "timeline")
    assert html.count('class="entry k-assistant') == 1
    assert "cart.py" in html

    html = fragment(client, f"{SESSION}?q=markup", "timeline")
    assert "also print the markup" in html
    html = fragment(client, f"{SESSION}?q=zzzz-no-match", "timeline")
    assert "No entry matches these filters" in html

    full = page(client, f"{SESSION}?type=prompt&errors=1")
    assert '<option value="prompt" selected>Prompts (2)</option>' in full
    assert '<input type="checkbox" name="errors" value="1" checked>' in full


def test_timeline_pages_and_chunks(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_pages, "TIMELINE_PER_PAGE", 5)
    forget_cached_answers(client)
    html = page(client, SESSION)
    assert "page 1 of 5" in html
    assert '<section class="chunk" data-page="1"' in html
    assert f'hx-get="{SESSION}/timeline?page=2&amp;dir=down" hx-trigger="intersect once"' in html
    assert f'<a href="{SESSION}?page=2">Next page</a>' in html
    assert "Latest ⇥" in html

    chunk = fragment(client, f"{SESSION}/timeline?page=2&dir=down")
    assert '<section class="chunk" data-page="2"' in chunk
    assert 'class="earlier"' not in chunk
    assert f"{SESSION}/timeline?page=3&amp;dir=down" in chunk

    chunk = fragment(client, f"{SESSION}/timeline?page=3&dir=up")
    assert f"{SESSION}/timeline?page=2&amp;dir=up" in chunk
    assert "Load earlier entries" in chunk
    assert 'class="more"' not in chunk

    # a page past the end shows the last one
    html = page(client, f"{SESSION}?page=999")
    assert "page 5 of 5" in html
    assert 'id="e-22"' in html
    assert 'class="more"' not in html


def test_tool_call_details(client: TestClient) -> None:
    bash = message(client, "Bash")
    call = bash["tool_calls"][0]
    html = fragment(client, f"{SESSION}/entries/{bash['uuid']}?tool={call['tool_use_id']}")
    assert (
        '<pre class="cmd-line"><span class="sh" aria-hidden="true">$ </span>pytest -x</pre>' in html
    )
    assert "<h4>Error</h4>" in html
    assert '<pre class="out err">Exit code 1\nFAILED tests/test_cart.py::test_total\n' in html
    assert "  cart.py:58: in total</pre>" in html  # 60 lines shown
    assert "cart.py:59: in total" not in html
    assert "Show all · 21 more lines</button>" in html
    full = fragment(client, f"{SESSION}/entries/{bash['uuid']}?tool={call['tool_use_id']}&full=1")
    assert "  cart.py:79: in total</pre>" in full
    assert "Show all" not in full

    edit = message(client, "Edit")
    call = edit["tool_calls"][0]
    html = fragment(client, f"{SESSION}/entries/{edit['uuid']}?tool={call['tool_use_id']}")
    assert '<dt>File</dt><dd class="mono">/home/dev/src/shop/cart.py</dd>' in html
    assert '<span class="add">+1</span> <span class="del">−1</span>' in html
    assert (
        '<tr class="d-del"><td class="ln">2</td><td class="ln"></td><td class="code">'
        '<span class="mk" aria-hidden="true">-</span>    return a - b</td></tr>'
    ) in html
    assert (
        '<tr class="d-add"><td class="ln"></td><td class="ln">2</td><td class="code">'
        '<span class="mk" aria-hidden="true">+</span>    return a + b</td></tr>'
    ) in html
    assert (
        '<tr class="d-hunk"><td class="ln"></td><td class="ln"></td>'
        '<td class="code">@@ -1,5 +1,5 @@</td></tr>' in html
    )

    write = message(client, "Write")
    call = write["tool_calls"][0]
    html = fragment(client, f"{SESSION}/entries/{write['uuid']}?tool={call['tool_use_id']}")
    assert html.count('<tr class="d-add">') == 3
    assert (
        '<td class="ln">3</td><td class="code"><span class="mk" aria-hidden="true">+</span>'
        "The checkout total is fixed.</td>" in html
    )


def test_tool_output_is_escaped_and_cut_on_demand(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = api(client, f"/api{SESSION}/messages?search=echo&type=assistant")
    m = listing["messages"][0]
    call = m["tool_calls"][0]
    url = f"{SESSION}/entries/{m['uuid']}?tool={call['tool_use_id']}"
    html = fragment(client, url)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;img src=x onerror=alert(1)&gt;" in html
    assert_safe(html)
    monkeypatch.setattr("claude_code_tracer.web.entries.OUTPUT_LINES", 1)
    forget_cached_answers(client)
    html = fragment(client, url)
    assert "Show all · 1 more lines</button>" in html
    assert f'hx-get="{url}&amp;full=1" hx-target="closest .tool-detail"' in html
    full = fragment(client, url + "&full=1")
    assert "more lines" not in full
    assert "&lt;img src=x onerror=alert(1)&gt;" in full


def test_subagent_spawn_detail_links_to_the_agent(client: TestClient, history: History) -> None:
    task = message(client, "Task", kind="subagent")
    call = task["tool_calls"][0]
    html = fragment(client, f"{SESSION}/entries/{task['uuid']}?tool={call['tool_use_id']}")
    assert '<dt>Type</dt><dd class="mono">Explore</dd>' in html
    assert "Look for other places where totals are computed." in html
    assert f'href="/subagents/{SHOP_HASH}/{SHOP_SESSION}/{history.agent_id}"' in html
    assert "Only <strong>cart.py</strong> computes totals." in html


def test_whole_text_of_an_entry(client: TestClient) -> None:
    prompt = api(client, f"/api{SESSION}/messages?type=prompt")["messages"][0]
    html = fragment(client, f"{SESSION}/entries/{prompt['uuid']}?part=text")
    assert html.strip().startswith('<div class="e-text">')
    assert "Why does checkout fail? &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_entry_links_resolve_to_their_timeline_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_pages, "TIMELINE_PER_PAGE", 5)
    forget_cached_answers(client)
    edit = message(client, "Edit")
    result = message(client, "Edit", kind="tool_result")
    response = client.get(f"{SESSION}/at/{result['uuid']}", follow_redirects=False)
    assert response.status_code == 303
    page_no = edit["index"] // 5 + 1
    expected = f"{SESSION}?page={page_no}" if page_no > 1 else SESSION
    assert response.headers["location"] == f"{expected}#e-{edit['index']}"


def test_session_sections(client: TestClient, history: History) -> None:
    html = page(client, f"{SESSION}?tab=tools")
    assert 'aria-selected="true" class="on">Tools <span class="count">7</span>' in html
    assert re.search(
        r'<td class="mono">Bash</td>\s*<td class="n bar-cell"><span class="num">3</span>', html
    )
    assert '<span class="num err" title="1 of 3 calls failed">1 · 33%</span>' in html

    html = fragment(client, f"{SESSION}?tab=subagents", "tab-panel")
    assert f'<a href="/subagents/{SHOP_HASH}/{SHOP_SESSION}/{history.agent_id}">Explore</a>' in html
    assert "Find other totals" in html
    assert '<span class="chip">compact</span>' in html

    html = fragment(client, f"{SESSION}?tab=skills", "tab-panel")
    assert '<td class="mono">commit-helper</td>' in html
    assert "in timeline</a>" in html

    html = fragment(client, f"{SESSION}?tab=changes", "tab-panel")
    assert (
        '<td class="mono path-cell" title="/home/dev/src/shop/NOTES.md">'
        '/home/dev/src/shop/NOTES.md <span class="chip">new</span></td>' in html
    )
    assert '<span class="num add">+3</span>' in html
    assert 'hx-trigger="toggle once"' in html

    html = fragment(client, f"{SESSION}?tab=errors", "tab-panel")
    assert 'class="on">All</a>' in html
    assert 'Tool errors <span class="count">1</span>' in html
    assert 'Interrupts <span class="count">1</span>' in html
    assert 'API errors <span class="count">1</span>' in html
    html = fragment(client, f"{SESSION}?tab=errors&category=interrupt", "tab-panel")
    assert html.count('<li class="err-row">') == 1
    assert "[Request interrupted by user]" in html

    html = fragment(client, f"{SESSION}?tab=commands", "tab-panel")
    assert '<code class="cmd">/review cart.py</code>' in html
    assert_safe(html)


def test_subagent_page(client: TestClient, history: History) -> None:
    url = f"/subagents/{SHOP_HASH}/{SHOP_SESSION}/{history.agent_id}"
    html = page(client, url)
    assert '<h1>Explore <span class="muted">· Find other totals</span></h1>' in html
    assert money_span("$0.072300", "$0.07") in html
    assert '<span class="num" title="50,100 tokens">50.1k</span>' in html
    assert "‹ back to the spawning call</a>" in html
    assert f'href="/sessions/{SHOP_HASH}/{SHOP_SESSION}/at/' in html
    crumbs = re.findall(r'<nav class="crumbs".*?</nav>', html, re.S)[0]
    assert f'<a href="{SESSION}">Fix the checkout total</a>' in crumbs
    assert '<span aria-current="page">Explore</span>' in crumbs
    assert "Look for other places where totals are computed." in html
    assert '<span class="arg mono" title="grep -rn &#39;total&#39; .">' in html
    assert f'data-base="{url}"' in html
    chunk = fragment(client, f"{url}/timeline?page=1")
    assert "Only <strong>cart.py</strong> computes totals." in chunk
    assert_safe(html)


def test_spawning_call_link_goes_to_the_main_timeline(client: TestClient, history: History) -> None:
    agent = api(client, f"/api/subagents/{SHOP_HASH}/{SHOP_SESSION}/{history.agent_id}")
    task = message(client, "Task", kind="subagent")
    response = client.get(f"{SESSION}/at/{agent['spawn_message_uuid']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{SESSION}#e-{task['index']}"


# ---------------------------------------------------------------------------------------------
# pricing


def test_pricing_page(client: TestClient) -> None:
    html = page(client, "/pricing")
    assert "<h1>Pricing</h1>" in html
    assert "the snapshot shipped with this version" in html
    assert "off (offline mode)" in html
    assert "Every model in your history has a price." in html
    assert (
        '<td class="mono">claude-opus-4-6</td><td class="n">'
        '<span class="num" title="$5.0 per million tokens">$5.00</span></td>' in html
    )
    assert '<td class="mono">claude-opus-4-6</td>' in html
    table = fragment(client, "/pricing?q=haiku-4-5", "price-table")
    assert table.lstrip().startswith('<div id="price-table">')
    assert "claude-haiku-4-5" in table
    assert "claude-opus-4-6" not in table


# ---------------------------------------------------------------------------------------------
# errors and safety


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/projects/no-such-project", "Project not found"),
        (f"/sessions/{SHOP_HASH}/no-such-session", "Session not found"),
        (f"/subagents/{SHOP_HASH}/{SHOP_SESSION}/no-such-agent", "Subagent not found"),
        (f"/sessions/{BLOG_HASH}/{SHOP_SESSION}", "Session not found"),
        (f"{SESSION}/entries/no-such-uuid", "Message not found"),
        (f"{SESSION}/at/no-such-uuid", "Message not found"),
        ("/no/such/page", "Page not found"),
    ],
)
def test_unknown_ids_get_a_clear_404_page(client: TestClient, url: str, heading: str) -> None:
    html = page(client, url, 404, Accept="text/html")
    assert f"<h1>{heading}</h1>" in html
    assert "Back to the overview" in html
    assert "Traceback" not in html


def test_fragments_of_unknown_ids_are_small(client: TestClient) -> None:
    html = fragment_status(client, f"{SESSION}/entries/nope?tool=x", 404)
    assert html.strip() == (
        '<div class="error-box" role="alert"><strong>Message not found</strong> '
        "This entry is not in the index (the transcript may have changed).</div>"
    )


def fragment_status(client: TestClient, url: str, status: int) -> str:
    response = client.get(url, headers=HX)
    assert response.status_code == status
    return response.text


def test_api_errors_keep_their_json_shape(client: TestClient) -> None:
    for url in ("/api/projects/nope/sessions", "/api/nope"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.json()["error"]["status"] == 404
    response = client.get("/no/such/page")
    assert response.json()["error"]["code"] == "not_found"


def test_bad_parameters_fall_back_to_defaults(client: TestClient) -> None:
    html = page(client, f"{PROJECT}?page=abc&sort=bogus&order=sideways&range=12y")
    assert "Fix the checkout total" in html
    assert "over the last 30 days" in html
    html = page(client, f"{SESSION}?type=bogus&tab=bogus&page=-3")
    assert '<span class="num">23</span> entries' in html
    html = page(client, "/?since=2026-13-40")
    assert "Claude Code usage over the last 30 days" in html


def test_pages_carry_the_security_headers_and_no_inline_code(client: TestClient) -> None:
    for url in ("/", PROJECT, SESSION, "/pricing"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert_safe(response.text)
        # nothing loaded from elsewhere: scripts, styles and icons are the package's own
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", response.text):
            ref = re.search(r'(?:src|href)="([^"]*)"', tag)
            assert ref is None or ref.group(1).startswith("/static/"), tag
        assert '<script src="/static/vendor/htmx-2.0.11.min.js" defer></script>' in response.text


def test_static_assets_are_vendored(client: TestClient) -> None:
    for path in (
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/chart-4.6.1.umd.min.js",
        "/static/js/app.js",
        "/static/js/theme.js",
        "/static/css/app.css",
        "/static/favicon.svg",
    ):
        assert client.get(path).status_code == 200, path
    response = client.get("/favicon.ico", follow_redirects=False)
    assert response.headers["location"] == "/static/favicon.svg"


def test_every_view_is_a_url(client: TestClient) -> None:
    """Links carry the date range; tabs, filters and pages are query parameters."""
    html = page(client, "/?range=7d")
    assert f'href="/projects/{SHOP_HASH}?range=7d">shop</a>' in html
    html = page(client, f"{SESSION}?range=7d")
    assert f'<a href="{SESSION}?range=7d&amp;tab=tools" hx-get=' in html
    assert '<a href="/?range=7d">Overview</a>' in html
    html = page(client, f"{SESSION}?range=90d&tab=errors&category=tool_error")
    assert 'class="on">Tool errors' in html


def test_only_the_views_own_parameters_are_kept(client: TestClient) -> None:
    html = page(client, f"{SESSION}?tab=errors&unknown=%3Cb%3E&category=interrupt")
    form = re.findall(
        r'<form method="get" action="[^"]*" class="range-form">.*?</form>', html, re.S
    )
    assert len(form) == 1
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[0])
    assert hidden == [("tab", "errors"), ("category", "interrupt")]
    assert f'href="{SESSION}?tab=errors&amp;category=interrupt&amp;range=all"' in html
    assert "unknown" not in html


def test_long_prompts_are_cut_in_the_list_and_whole_on_demand(client: TestClient) -> None:
    html = page(client, f"{SESSION}?type=prompt")
    assert "Show the whole prompt (4,630 characters)</button>" in html
    assert "THE END" not in html
    prompt = api(client, f"/api{SESSION}/messages?type=prompt")["messages"][1]
    assert prompt["text_truncated"]
    whole = fragment(client, f"{SESSION}/entries/{prompt['uuid']}?part=text")
    assert whole.count("Keep the output short.") == 200
    assert "THE END</div>" in whole
