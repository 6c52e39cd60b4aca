"""The dashboard's formatters: numbers, times, models, markdown, diffs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from claude_code_tracer.web import render
from claude_code_tracer.web.render import DiffLine


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (0, "$0.00"),
        (0.001, "<$0.01"),
        (0.0049, "<$0.01"),
        (0.005, "$0.01"),
        (12.2349, "$12.23"),
        (1234.5, "$1,234.50"),
        (-2.5, "-$2.50"),
    ],
)
def test_money(value: float | None, text: str) -> None:
    assert render.money(value) == text


def test_money_exact() -> None:
    assert render.money_exact(0.0651922) == "$0.065192"
    assert render.money_exact(None) == "no cost"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (0, "0"),
        (999, "999"),
        (999.6, "1k"),
        (1_234, "1.2k"),
        (12_345, "12.3k"),
        (123_456, "123k"),
        (394_000, "394k"),
        (999_999, "1M"),
        (15_403_221, "15.4M"),
        (17_000_000, "17M"),
        (2_500_000_000, "2.5B"),
        (-1_500, "-1.5k"),
    ],
)
def test_compact(value: float | None, text: str) -> None:
    assert render.compact(value) == text


def test_count_and_percent() -> None:
    assert render.count(15_403_221) == "15,403,221"
    assert render.count(None) == "—"
    assert render.percent(0.97764) == "97.8%"
    assert render.percent(0.5, 0) == "50%"
    assert render.percent(None) == "—"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.35, "350 ms"),
        (4.25, "4.2 s"),
        (5.0, "5 s"),
        (42, "42 s"),
        (60, "1 m"),
        (725, "12 m 5 s"),
        (3183.06, "53 m 3 s"),
        (3600, "1 h"),
        (4320, "1 h 12 m"),
        (2 * 86_400 + 3 * 3600 + 59, "2 d 3 h"),
        (-5, "0 ms"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert render.duration(seconds) == text


def test_duration_ms() -> None:
    assert render.duration_ms(1512) == "1.5 s"
    assert render.duration_ms(None) == "—"


NOW = datetime(2026, 2, 12, 15, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=5), "5 m ago"),
        (timedelta(hours=3, minutes=10), "3 h ago"),
        (timedelta(days=2, hours=1), "2 d ago"),
        (timedelta(days=45), "29 Dec 2025"),
    ],
)
def test_relative(delta: timedelta, text: str) -> None:
    assert render.relative(NOW - delta, NOW) == text


def test_times_in_a_zone() -> None:
    naive_utc = datetime(2026, 2, 12, 14, 11, 57, 667_000)
    assert render.iso(naive_utc) == "2026-02-12T14:11:57.667Z"
    assert render.iso(None) == ""
    assert render.absolute(naive_utc) == "12 Feb 2026, 14:11"
    assert render.absolute(naive_utc, "Europe/Berlin", seconds=True) == "12 Feb 2026, 15:11:57"
    assert render.absolute(None) == "—"
    assert render.clock(naive_utc, "America/New_York") == "09:11:57"
    assert render.relative(None, NOW) == "—"
    assert render.age(7200) == "2 h old"
    assert render.age(2453) == "40 m old"
    assert render.age(12) == "less than a minute old"
    assert render.age(None) == "age unknown"


@pytest.mark.parametrize(
    ("model", "label"),
    [
        ("claude-opus-4-6", "Opus 4.6"),
        ("claude-sonnet-4-5-20250929", "Sonnet 4.5"),
        ("claude-haiku-4-5-20251001", "Haiku 4.5"),
        ("claude-sonnet-4-20250514", "Sonnet 4"),
        ("claude-opus-4-1-20250805", "Opus 4.1"),
        ("claude-3-5-sonnet-20241022", "Sonnet 3.5"),
        ("claude-3-opus-20240229", "Opus 3"),
        ("kimi-k2.5", "kimi-k2.5"),
        (None, "—"),
    ],
)
def test_model_label(model: str | None, label: str) -> None:
    assert render.model_label(model) == label


def test_palette_keeps_one_colour_per_model() -> None:
    order = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-opus-4-6", "kimi-k2.5"]
    palette = render.Palette(order)
    opus = render.FAMILY_COLOURS["opus"]
    assert palette.colour("claude-opus-4-5") == opus[0]
    assert palette.colour("claude-opus-4-6") == opus[1]
    assert palette.colour("claude-sonnet-4-5") == render.FAMILY_COLOURS["sonnet"][0]
    assert palette.colour("kimi-k2.5") == render.FAMILY_COLOURS["other"][0]
    # the same answer on every page, also for a model first seen after the order was read
    again = render.Palette(order)
    assert again.colour("claude-haiku-9") == palette.colour("claude-haiku-9")
    assert palette.colour("claude-haiku-9") in render.FAMILY_COLOURS["haiku"]


def test_markdown_escapes_raw_html() -> None:
    html = str(render.markdown("<script>alert(1)</script> and <img src=x onerror=alert(1)>"))
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_markdown_links_are_limited_and_marked() -> None:
    html = str(
        render.markdown(
            "[a](javascript:alert(1)) [b](https://example.com/x) [c](data:text/html,hi) "
            "[d](mailto:me@example.com) [e](/etc/passwd) <https://auto.example>"
        )
    )
    assert "javascript:" not in html.replace("[a](javascript:alert(1))", "")
    assert 'href="javascript' not in html
    assert 'href="data:' not in html
    assert 'href="/etc/passwd"' not in html
    assert (
        '<a href="https://example.com/x" rel="noopener noreferrer nofollow" target="_blank">b</a>'
        in html
    )
    assert 'href="mailto:me@example.com"' in html
    assert 'href="https://auto.example"' in html


def test_markdown_images_become_links() -> None:
    html = str(render.markdown("![chart](https://example.com/c.png) ![x](javascript:alert(1))"))
    assert "<img" not in html
    assert '<a class="md-image" href="https://example.com/c.png"' in html
    assert "image: chart" in html


def test_markdown_renders_prose() -> None:
    html = str(
        render.markdown("# Title\n\n- **bold** item\n\n```py\nx = 1\n```\n\n| a |\n|---|\n| 1 |")
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert '<code class="language-py">x = 1\n</code>' in html
    assert "<table>" in html
    assert str(render.markdown(None)) == ""


def test_clip() -> None:
    text = "\n".join(f"line {i}" for i in range(1, 101))
    cut = render.clip(text, max_lines=10)
    assert cut.text.splitlines() == [f"line {i}" for i in range(1, 11)]
    assert cut.total_lines == 100
    assert cut.hidden_lines == 90
    assert cut.cut
    whole = render.clip("short")
    assert (whole.text, whole.cut, whole.hidden_lines) == ("short", False, 0)
    long_line = render.clip("x" * 50, max_chars=20)
    assert long_line.text == "x" * 20
    assert long_line.hidden_chars == 30
    assert render.clip(None).total_lines == 0


def test_plain_drops_terminal_codes() -> None:
    assert render.plain("\x1b[2mCompacted\x1b[22m ok\x07\r\n\tx") == "Compacted ok\n\tx"
    assert render.plain("\x1b]0;title\x07text") == "text"
    assert render.plain(None) == ""


def test_one_line_and_project_name() -> None:
    assert render.one_line("  a\n  b\tc ") == "a b c"
    assert render.one_line("x" * 30, 10) == "xxxxxxxxx…"
    assert render.project_name("/home/dev/src/shop", "-home-dev-src-shop") == "shop"
    assert render.project_name("C:\\work\\api\\", "h") == "api"
    assert render.project_name(None, "-fallback") == "-fallback"


def test_safe_url() -> None:
    assert render.safe_url("https://x.org")
    assert render.safe_url(" HTTP://x.org")
    assert render.safe_url("mailto:a@b.c")
    assert not render.safe_url("javascript:alert(1)")
    assert not render.safe_url("file:///etc/passwd")
    assert not render.safe_url("//evil.example")


def test_patch_lines_number_both_sides() -> None:
    hunks = [
        {
            "oldStart": 10,
            "oldLines": 3,
            "newStart": 10,
            "newLines": 4,
            "lines": [" keep", "-old", "+new", "+added", " tail", "\\ No newline at end of file"],
        }
    ]
    assert render.patch_lines(hunks) == [
        DiffLine("hunk", None, None, "@@ -10,3 +10,4 @@"),
        DiffLine("ctx", 10, 10, "keep"),
        DiffLine("del", 11, None, "old"),
        DiffLine("add", None, 11, "new"),
        DiffLine("add", None, 12, "added"),
        DiffLine("ctx", 12, 13, "tail"),
    ]
    assert render.diff_stats(render.patch_lines(hunks)) == (2, 1)


def test_patch_lines_ignores_malformed_input() -> None:
    assert render.patch_lines(None) == []
    assert render.patch_lines("not a patch") == []
    assert render.patch_lines([{"lines": "x"}, 5, {"oldStart": "1", "lines": [7, "+ok"]}]) == [
        DiffLine("hunk", None, None, "@@ -1,0 +1,0 @@"),
        DiffLine("add", None, 1, "ok"),
    ]


def test_text_diff_and_added_lines() -> None:
    rows = render.text_diff("a\nb\nc\n", "a\nB\nc\n")
    assert rows == [
        DiffLine("hunk", None, None, "@@ -1,3 +1,3 @@"),
        DiffLine("ctx", 1, 1, "a"),
        DiffLine("del", 2, None, "b"),
        DiffLine("add", None, 2, "B"),
        DiffLine("ctx", 3, 3, "c"),
    ]
    assert render.text_diff("same", "same") == []
    assert render.added_lines("x\ny") == [
        DiffLine("add", None, 1, "x"),
        DiffLine("add", None, 2, "y"),
    ]
