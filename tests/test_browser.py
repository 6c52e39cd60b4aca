"""The dashboard in headless Chromium: every page loads, shows its content, logs no error and
breaks no content-security rule; filters, folds, keys, theme and live updates work; and each
page leaves a screenshot in tests/screenshots/ (the README's two in docs/screenshots/).

Needs Debian's `chromium` at /usr/bin/chromium, driven by Playwright's own client.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers.dashboard_history import (
    BLOG_HASH,
    SHOP_HASH,
    SHOP_SESSION,
    XSS_SCRIPT,
    History,
    append_reply,
    build,
)
from helpers.servers import LiveServer, live_server

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
if CHROMIUM.exists():
    from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
SESSION = f"/sessions/{SHOP_HASH}/{SHOP_SESSION}"
# collected in the page before any of its own code runs
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build(tmp_path_factory.mktemp("browser") / "claude")


@pytest.fixture(scope="module")
def server(history: History, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(history.root, tmp_path_factory.mktemp("cache")) as live:
        yield live


@dataclass
class Tab:
    """A browser page that remembers every console error and CSP violation."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Tab:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        return self

    def clean(self, allowed: tuple[str, ...] = ()) -> None:
        violations = self.page.evaluate("window.__csp || []")
        assert violations == [], violations
        errors = [e for e in self.errors if not any(a in e for a in allowed)]
        assert errors == [], errors

    def shot(self, name: str, *, full: bool = True) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full)
        assert path.stat().st_size > 5_000
        return path


@pytest.fixture
def tab_factory(browser: Browser) -> Iterator[Any]:
    contexts = []

    def make(base: str, *, width: int = 1280, height: int = 900, scheme: str = "light") -> Tab:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,  # type: ignore[arg-type]
            timezone_id="UTC",
            locale="en-GB",
        )
        context.add_init_script(WATCH_CSP)
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page, base)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                tab.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: tab.errors.append(f"page error: {exc}"))
        return tab

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def tab(tab_factory: Any, server: LiveServer) -> Tab:
    made: Tab = tab_factory(server.url)
    return made


def charts_drawn(page: Page) -> int:
    return int(
        page.evaluate(
            "Array.from(document.querySelectorAll('canvas[data-chart]'))"
            ".filter(c => c.chart && c.chart.data.datasets.length).length"
        )
    )


# ---------------------------------------------------------------------------------------------
# pages


def test_overview(tab: Tab) -> None:
    page = tab.open("/").page
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#stats .stat-value").first).to_have_text("$2.15")
    expect(page.locator("#projects tbody tr")).to_have_count(2)
    assert charts_drawn(page) == 2
    # times are written in the viewer's zone by the page script
    assert page.locator("#projects time").first.get_attribute("title")
    tab.shot("overview")

    # search, then sort: each is in the URL; reload and back keep the view
    search = page.locator("form.search input[type=search]")
    search.fill("blo")
    expect(page.locator("#projects tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?q=blo$"))
    search.fill("")
    expect(page.locator("#projects tbody tr")).to_have_count(2)
    page.locator("#projects th a", has_text="Project").click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.locator("#projects td.name a").first).to_have_text("blog")
    page.reload()
    expect(page.locator("#projects td.name a").first).to_have_text("blog")
    page.go_back()
    expect(page.locator("#projects td.name a").first).to_have_text("shop")
    # the date range is a link too
    page.locator(".range a", has_text="All").click()
    expect(page.locator("#projects tbody tr")).to_have_count(3)
    expect(page.locator(".page-head .sub")).to_have_text(
        "Claude Code usage over all time · How these totals were formed"
    )
    tab.clean()


def test_overview_dark_and_narrow(tab_factory: Any, server: LiveServer) -> None:
    dark = tab_factory(server.url, scheme="dark").open("/")
    background = dark.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 16, 19)"
    dark.shot("overview-dark")
    dark.clean()
    narrow = tab_factory(server.url, width=360, height=780).open("/")
    assert narrow.page.evaluate("document.documentElement.scrollWidth") <= 360
    narrow.shot("overview-360")
    narrow.clean()


def test_project_page(tab: Tab) -> None:
    page = tab.open(f"/projects/{SHOP_HASH}").page
    expect(page.locator("h1")).to_have_text("shop")
    expect(page.locator("#sessions td.title-cell a")).to_have_text("Fix the checkout total")
    assert charts_drawn(page) == 2
    expect(page.locator("[data-testid=branches] tbody tr")).to_have_count(1)
    tab.shot("project")
    # the costliest prompt links to its row in the session's Prompts tab
    top = page.locator("[data-testid=top-prompts] tbody tr").first
    top.locator("td").nth(1).locator("a").click()
    page.wait_for_load_state("load")
    anchor = page.url.split("#", 1)[1]
    expect(page.locator(f"#{anchor}")).to_be_visible()
    expect(page.locator("a[data-sort=cost]")).to_have_class("on")
    page.go_back()
    page.locator("#sessions th a", has_text="Cost").click()
    expect(page).to_have_url(re.compile(r"sort=cost"))
    page.locator("#sessions td.title-cell a").click()
    expect(page).to_have_url(re.compile(re.escape(SESSION)))
    tab.clean()
    blog = tab.open(f"/projects/{BLOG_HASH}").page
    expect(blog.locator("#sessions tbody tr")).to_have_count(2)
    tab.clean()


def test_session_page(tab: Tab) -> None:
    page = tab.open(SESSION).page
    expect(page.locator(".band h1")).to_have_text("Fix the checkout total")
    # the prompt holding markup is shown as text
    expect(page.locator(".k-prompt .prompt-text").first).to_contain_text(XSS_SCRIPT)
    assert page.evaluate("typeof window.alerted") == "undefined"

    # a Bash call opens on demand: the command and its output in monospace
    bash = page.locator("details.call", has=page.locator(".tool-name", has_text="Bash")).first
    bash.locator("summary").click()
    expect(bash.locator(".cmd-line")).to_have_text("$ pytest -x")
    expect(bash.locator("pre.out.err")).to_contain_text("FAILED tests/test_cart.py::test_total")
    expect(bash.locator("pre.out.err")).not_to_contain_text("cart.py:79: in total")
    bash.locator("button", has_text="Show all · 21 more lines").click()
    expect(bash.locator("pre.out.err")).to_contain_text("cart.py:79: in total")
    expect(bash.locator("button", has_text="Show all")).to_have_count(0)
    font = bash.locator("pre.out").evaluate("e => getComputedStyle(e).fontFamily")
    assert "mono" in font.lower()
    # an Edit call opens to a coloured diff with line numbers
    edit = page.locator("details.call", has=page.locator(".tool-name", has_text="Edit")).first
    edit.locator("summary").click()
    expect(edit.locator("tr.d-del td.code")).to_have_text("-    return a - b")
    expect(edit.locator("tr.d-add td.code")).to_have_text("+    return a + b")
    added = edit.locator("tr.d-add").evaluate("e => getComputedStyle(e).backgroundColor")
    removed = edit.locator("tr.d-del").evaluate("e => getComputedStyle(e).backgroundColor")
    assert added != removed
    edit.scroll_into_view_if_needed()
    tab.shot("session-edit", full=False)
    page.evaluate("window.scrollTo(0, 0)")
    tab.shot("session")
    # a long prompt is cut in the list and shown whole on demand
    long_prompt = page.locator(".entry.k-prompt").nth(1)
    expect(long_prompt).not_to_contain_text("THE END")
    long_prompt.locator("button", has_text="Show the whole prompt").click()
    expect(long_prompt.locator(".prompt-text")).to_contain_text("THE END")
    expect(long_prompt.locator("button")).to_have_count(0)
    tab.clean()


def test_session_on_a_narrow_window(tab_factory: Any, server: LiveServer) -> None:
    tab = tab_factory(server.url, width=360, height=780, scheme="dark").open(SESSION)
    page = tab.page
    bash = page.locator("details.call", has=page.locator(".tool-name", has_text="Bash")).first
    bash.locator("summary").click()
    expect(bash.locator("pre.out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tab.shot("session-360")
    tab.clean()


def test_session_filters_keep_their_url(tab: Tab) -> None:
    page = tab.open(SESSION).page
    page.select_option("#filters select[name=type]", "prompt")
    expect(page.locator("#timeline .entry")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"type=prompt"))
    page.check("#filters input[name=errors]")
    expect(page).to_have_url(re.compile(r"\?type=prompt&errors=1$"))
    expect(page.locator("#timeline .empty-title")).to_have_text("No entry matches these filters")
    page.reload()
    expect(page.locator("#filters input[name=errors]")).to_be_checked()
    expect(page.locator("#filters select[name=type]")).to_have_value("prompt")
    page.locator("#timeline a.clear").click()
    expect(page.locator("#timeline .tl-count")).to_contain_text("23 entries")
    # search from the keyboard
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("markup")
    expect(page.locator("#timeline .tl-count")).to_have_text("1 entry matches")
    expect(page).to_have_url(re.compile(r"q=markup"))
    expect(page.locator("#timeline .entry.k-prompt")).to_have_count(1)
    page.go_back()
    expect(page.locator("#timeline .tl-count")).to_contain_text("23 entries")
    tab.clean()


def test_keyboard_moves_between_entries(tab: Tab) -> None:
    page = tab.open(SESSION).page
    entries = page.locator("#timeline .entry")
    page.keyboard.press("j")
    expect(entries.nth(0)).to_have_class(re.compile(r"\bkb\b"))
    page.keyboard.press("j")
    expect(entries.nth(1)).to_have_class(re.compile(r"\bkb\b"))
    expect(entries.nth(0)).not_to_have_class(re.compile(r"\bkb\b"))
    page.keyboard.press("o")  # the answer's thinking opens
    expect(entries.nth(1).locator("details.thinking")).to_have_attribute("open", "")
    page.keyboard.press("j")  # the failed Bash call's entry
    page.keyboard.press("Enter")
    expect(entries.nth(2).locator("details.call pre.out")).to_be_visible()
    page.keyboard.press("k")
    expect(entries.nth(1)).to_have_class(re.compile(r"\bkb\b"))
    tab.clean()


def test_tabs_and_theme_toggle(tab: Tab) -> None:
    page = tab.open(SESSION).page
    page.locator(".tabs a", has_text="Code changes").click()
    expect(page).to_have_url(re.compile(r"tab=changes"))
    expect(page.locator("#section h2")).to_have_text("Code changes")
    change = page.locator(".change-list details.call").first
    change.locator("summary").click()
    expect(change.locator("table.diff")).to_be_visible()
    page.locator(".tabs a", has_text="Errors").click()
    expect(page.locator("#section .err-row")).to_have_count(3)
    page.reload()
    expect(page.locator(".tabs a.on")).to_contain_text("Errors")

    toggle = page.locator("[data-theme-toggle]")
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()  # auto -> light
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    toggle.click()  # light -> dark
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light
    page.reload()  # remembered
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    tab.shot("session-errors-dark", full=False)
    toggle = page.locator("[data-theme-toggle]")
    toggle.click()  # dark -> auto
    expect(page.locator("html")).to_have_attribute("data-theme", "auto")
    tab.clean()


def test_subagent_page(tab: Tab, history: History) -> None:
    page = tab.open(f"/subagents/{SHOP_HASH}/{SHOP_SESSION}/{history.agent_id}").page
    expect(page.locator(".band h1")).to_contain_text("Explore")
    expect(page.locator(".k-prompt .prompt-text")).to_contain_text("Look for other places")
    tab.shot("subagent")
    page.locator("a", has_text="back to the spawning call").click()
    expect(page).to_have_url(re.compile(re.escape(SESSION) + r"#e-\d+$"))
    spawn = page.locator(".entry.kb")
    expect(spawn.locator(".agent-type")).to_have_text("Explore")
    tab.clean()


def test_pricing_page(tab: Tab) -> None:
    page = tab.open("/pricing").page
    expect(page.locator("h1")).to_have_text("Pricing")
    expect(page.locator("#unpriced")).to_contain_text("Every model in your history has a price.")
    page.locator("#prices input[type=search]").fill("haiku-4-5")
    expect(page.locator("#price-table tbody tr").first).to_contain_text("haiku-4-5")
    tab.shot("pricing")
    tab.clean()


def test_accuracy_page_from_the_overview_and_a_session(tab: Tab, server: LiveServer) -> None:
    import httpx

    every = httpx.get(f"{server.url}/api/accuracy", params={"range": "all"}).json()
    page = tab.open("/?range=all").page
    page.locator("a.accuracy-link").click()
    expect(page.locator("h1")).to_have_text("Accuracy")
    expect(page.locator("[data-testid=acc-files]")).to_have_text(str(every["read"]["files"]))
    expect(page.locator("[data-testid=acc-counted]")).to_have_text(
        f"{every['read']['counted_responses']:,}"
    )
    one = httpx.get(
        f"{server.url}/api/accuracy", params={"project": SHOP_HASH, "session": SHOP_SESSION}
    ).json()
    page = tab.open(SESSION).page
    page.locator("a.accuracy-link").click()
    expect(page.locator("h1")).to_have_text("Accuracy")
    expect(page.locator(".page-head .sub")).to_contain_text(SHOP_SESSION)
    expect(page.locator("[data-testid=acc-files]")).to_have_text(str(one["read"]["files"]))
    expect(page.locator("#accuracy-notes li").first).to_contain_text("lower bound")
    tab.shot("accuracy")
    tab.clean()


def test_unknown_ids_show_a_page(tab: Tab) -> None:
    page = tab.open(f"/sessions/{SHOP_HASH}/no-such-session").page
    expect(page.locator("h1")).to_have_text("Session not found")
    expect(page.locator(".error-page .code")).to_have_text("404")
    tab.shot("not-found", full=False)
    tab.clean(allowed=("status of 404",))


# ---------------------------------------------------------------------------------------------
# live updates


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[History, LiveServer]]:
    history = build(tmp_path / "claude")
    with live_server(history.root, tmp_path / "cache", poll_interval_s=0.2) as server:
        yield history, server


def connected(page: Page) -> None:
    """Wait until the page's event stream is open (polled from here: a predicate polled in the
    page would be evaluated as a string, which the page's CSP forbids)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if page.evaluate(
            "() => Boolean(window.cctracer && window.cctracer.source"
            " && window.cctracer.source.readyState === 1)"
        ):
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page's event stream never opened")


def test_live_session_shows_appended_lines(tab_factory: Any, live: Any) -> None:
    history, server = live
    tab = tab_factory(server.url).open(SESSION)
    page = tab.page
    connected(page)
    before = page.locator("#timeline .entry").count()
    start = time.monotonic()
    append_reply(history, "live ping")
    page.wait_for_selector("text=Answer to: live ping", timeout=2_000)
    assert time.monotonic() - start < 2.0
    expect(page.locator("#timeline .entry")).to_have_count(before + 2)
    expect(page.locator("#session-band")).to_contain_text("25 messages")
    tab.clean()


def test_live_overview_totals_move(tab_factory: Any, live: Any) -> None:
    history, server = live
    tab = tab_factory(server.url).open("/")
    page = tab.page
    connected(page)
    expect(page.locator("#stats .stat-value").first).to_have_text("$2.15")
    expect(page.locator("[data-testid=top-prompts]")).not_to_contain_text("one more")
    append_reply(history, "one more")  # + $0.2505
    expect(page.locator("#stats .stat-value").first).to_have_text("$2.40", timeout=3_000)
    assert charts_drawn(page) == 2
    # the new prompt takes its place among the most expensive
    expect(page.locator("[data-testid=top-prompts]")).to_contain_text("one more")
    tab.clean()


def test_live_prompts_tab_adds_the_new_prompt_and_keeps_rows_open(
    tab_factory: Any, live: Any
) -> None:
    history, server = live
    tab = tab_factory(server.url).open(f"{SESSION}?tab=prompts")
    page = tab.page
    connected(page)
    rows = page.locator("[data-testid=prompt-list] .prompt-row")
    count = rows.count()
    rows.first.locator("summary").click()
    expect(rows.first.locator("[data-testid=prompt-drivers]")).to_be_visible()
    append_reply(history, "and the receipts")
    expect(rows).to_have_count(count + 1, timeout=3_000)
    expect(rows.last).to_contain_text("and the receipts")
    expect(rows.first.locator("[data-testid=prompt-drivers]")).to_be_visible()
    tab.clean()


# ---------------------------------------------------------------------------------------------
# a long session, and the README's pictures


def test_a_20000_entry_session_stays_quick(tab_factory: Any, tmp_path: Path) -> None:
    from claude_code_tracer.demo.builder import ClaudeDir, Usage

    claude = ClaudeDir(tmp_path / "claude", seed=5)
    sid = "b16b16b1-0000-4000-8000-000000000000"
    s = claude.project("/home/dev/big").session(sid, start=datetime.now(UTC) - timedelta(days=1))
    usage = Usage(input=5, output=50, cache_read=1_000)
    for i in range(5_000):
        s.prompt(f"step {i}", after=1)
        s.bash(f"echo {i}", f"{i}", usage=usage, after=1, duration=0.1)
        s.say(f"Step {i} done.", usage=usage, after=1)
    with live_server(claude.root, tmp_path / "cache", watch=False) as server:
        tab = tab_factory(server.url)
        url = f"/sessions/-home-dev-big/{sid}"
        start = time.monotonic()
        page = tab.open(url).page
        loaded = time.monotonic() - start
        assert loaded < 2.0, loaded
        expect(page.locator("#timeline .tl-count")).to_contain_text("20,000 entries")
        assert page.locator("#timeline .entry").count() <= 100
        # scrolling to the end of the page loads the next one
        page.locator("#timeline .more").scroll_into_view_if_needed()
        expect(page.locator('#timeline .chunk[data-page="2"]')).to_have_count(1)
        # the latest entries are one click away
        page.locator("#timeline a", has_text="Latest").click()
        expect(page).to_have_url(re.compile(r"page=200"))
        expect(page.locator("#timeline .entry").last).to_contain_text("Step 4999 done.")
        # and the ones before them are loaded above
        page.locator("#timeline .earlier a").click()
        expect(page.locator('#timeline .chunk[data-page="199"]')).to_have_count(1)
        expect(page.locator("#timeline .chunk").first).to_have_attribute("data-page", "199")
        tab.clean()


def settle(root: Path) -> None:
    """Give each generated transcript the modification time of its last line, as a history
    written over weeks has (a session's status comes from it)."""
    for path in root.rglob("*.jsonl"):
        stamps = [
            datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00")).timestamp()
            for line in map(json.loads, path.read_text().splitlines())
            if isinstance(line, dict) and isinstance(line.get("timestamp"), str)
        ]
        if stamps:
            os.utime(path, (max(stamps), max(stamps)))


def test_readme_screenshots_of_the_demo(tab_factory: Any, tmp_path: Path) -> None:
    from claude_code_tracer.demo.history import build_demo

    root = build_demo(tmp_path / "demo" / "claude")
    settle(root)
    with live_server(root, tmp_path / "cache", watch=False) as server:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        tab = tab_factory(server.url, width=1280, height=1000)
        page = tab.open("/").page
        expect(page.locator("#projects tbody tr").first).to_be_visible()
        page.screenshot(path=str(DOCS_SHOTS / "overview.png"))
        # the costliest session of the costliest project, with an edit opened
        page.locator("#projects td.name a").first.click()
        page.locator("#sessions th a", has_text="Cost").click()
        expect(page).to_have_url(re.compile(r"sort=cost"))
        page.locator("#sessions td.title-cell a").first.click()
        expect(page.locator(".band h1")).to_be_visible()
        edit = page.locator("details.call", has=page.locator(".tool-name", has_text="Edit"))
        edit.first.locator("summary").click()
        expect(edit.first.locator("table.diff")).to_be_visible()
        page.set_viewport_size({"width": 1280, "height": 1400})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS_SHOTS / "session.png"))
        tab.clean()
    for name in ("overview", "session"):
        assert (DOCS_SHOTS / f"{name}.png").stat().st_size > 20_000


# ---------------------------------------------------------------------------------------------
# usage windows


def window_line(n: int, at: datetime, output: int) -> str:
    return json.dumps(
        {
            "type": "assistant",
            "uuid": f"0000000{n}-0000-4000-8000-000000000000",
            "parentUuid": None,
            "sessionId": "5b1ce000-0000-4000-8000-000000000001",
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            "cwd": "/home/dev/windows",
            "version": "2.1.39",
            "isSidechain": False,
            "userType": "external",
            "requestId": f"req_w{n}",
            "message": {
                "id": f"msg_w{n}",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": [{"type": "text", "text": f"window reply {n}"}],
                "stop_reason": "end_turn",
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": output,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 1000,
                },
            },
        }
    )


def test_usage_windows_page_and_the_header_gauge_going_live(
    tab_factory: Any, tmp_path: Path
) -> None:
    root = tmp_path / "claude"
    path = root / "projects" / "-home-dev-windows" / "5b1ce000-0000-4000-8000-000000000001.jsonl"
    path.parent.mkdir(parents=True)
    now = datetime.now(UTC)
    path.write_text(window_line(1, now - timedelta(days=3), 100_000) + "\n", encoding="utf-8")
    with live_server(root, tmp_path / "cache", poll_interval_s=0.2) as server:
        tab = tab_factory(server.url).open("/")
        page = tab.page
        connected(page)
        # three days ago: no window is active, and the header shows no gauge
        expect(page.locator("#window-gauge")).to_be_hidden()
        with path.open("a", encoding="utf-8") as fh:
            fh.write(window_line(2, now - timedelta(minutes=20), 1_000) + "\n")
        gauge = page.locator("#window-gauge")
        expect(gauge).to_be_visible(timeout=5_000)
        first = page.locator("[data-testid=gauge-cost]").inner_text()
        with path.open("a", encoding="utf-8") as fh:
            fh.write(window_line(3, now - timedelta(minutes=5), 100_000) + "\n")
        expect(page.locator("[data-testid=gauge-cost]")).not_to_have_text(first, timeout=5_000)
        page.locator("#window-gauge a").click()
        page.wait_for_load_state("load")
        assert "/windows" in page.url
        expect(page.locator("h1")).to_have_text("Usage windows")
        expect(page.locator("[data-testid=active-block]")).to_have_count(1)
        expect(page.locator("[data-testid=active-tokens]")).to_have_text("103,020")
        expect(page.locator("[data-testid=active-left]")).to_contain_text("left")
        expect(page.locator("[data-testid=window-progress]")).to_be_visible()
        expect(page.locator("#windows-weekly")).to_contain_text("Last 7 days")
        tab.shot("windows")
        tab.clean()


def test_prompts_tab_ranks_expands_and_jumps_to_the_timeline(tab: Tab, server: LiveServer) -> None:
    import httpx

    api = httpx.get(f"{server.url}/api/sessions/{SHOP_HASH}/{SHOP_SESSION}/prompts").json()
    costliest = max(api["prompts"], key=lambda p: p["totalCost"])
    page = tab.page
    tab.open(SESSION)
    page.locator("#tabs a", has_text="Prompts").click()
    rows = page.locator("[data-testid=prompt-list] .prompt-row")
    expect(rows).to_have_count(len(api["prompts"]))
    page.locator("a[data-sort=cost]").click()
    expect(page.locator("a[data-sort=cost]")).to_have_class("on")
    first = page.locator("[data-testid=prompt-list] .prompt-row").first
    expect(first).to_have_attribute("data-uuid", costliest["uuid"] or "")
    costs = [
        float(c)
        for c in page.locator(".prompt-row").evaluate_all("rows => rows.map(r => r.dataset.cost)")
    ]
    assert costs == sorted(costs, reverse=True)
    first.locator("summary").click()
    expect(first.locator("[data-testid=prompt-facts]")).to_be_visible()
    expect(first.locator("[data-testid=prompt-facts]")).to_contain_text(
        f"{costliest['responses']:,}"
    )
    # its drivers: the five parts of its cost, the largest named in a line
    drivers = first.locator("[data-testid=prompt-drivers]")
    expect(drivers).to_be_visible()
    expect(drivers.locator(".tlegend li")).to_have_count(5)
    expect(drivers.locator(".tlegend li.largest")).to_have_count(1)
    expect(first.locator("[data-testid=prompt-driver]")).to_contain_text(
        costliest["drivers"]["summary"]
    )
    first.locator("a.go").click()
    page.wait_for_load_state("load")
    anchor = page.url.split("#", 1)[1]
    assert anchor.startswith("e-")
    expect(page.locator(f"#{anchor}")).to_be_visible()
    tab.clean()


def test_search_from_a_session_header_opens_the_marked_entry(tab: Tab) -> None:
    page = tab.page
    tab.open(SESSION)
    box = page.locator("[data-global-search]")
    box.fill('"tests pass"')
    box.press("Enter")
    page.wait_for_load_state("load")
    assert page.url.split("?", 1)[0].endswith("/search")
    hits = page.locator(".hit")
    expect(hits).to_have_count(1)
    expect(hits.first.locator(".snippet mark")).to_have_text(["tests", "pass"])
    expect(page.locator("[data-testid=search-total]")).to_contain_text("1 match")
    expect(page.locator("a[data-facet='kind:answer']")).to_contain_text("1")
    hits.first.locator("a.hit-link").click()
    page.wait_for_load_state("load")
    assert page.url.split("?", 1)[0].split("#", 1)[0].endswith(SESSION)
    anchor = page.url.split("#", 1)[1]
    entry = page.locator(f"#{anchor}")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("the tests pass")
    assert entry.evaluate("e => e.matches(':target')")
    tab.clean()


def test_slash_focuses_the_header_search_where_no_page_box_claims_it(tab: Tab) -> None:
    page = tab.page
    tab.open("/accuracy")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.hasAttribute('data-global-search')")
    page.keyboard.type("checkout")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.locator(".hit").first).to_be_visible()
    tab.clean()
