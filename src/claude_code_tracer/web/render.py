"""How the dashboard writes numbers, times, models, markdown and diffs: pure functions.

Everything that reaches a page from a transcript is either escaped by the templates or goes
through `markdown` (raw HTML off, links limited to http/https/mailto) or the diff helpers,
which return plain data for the templates to escape.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from claude_code_tracer.transcript.content import project_name
from claude_code_tracer.transcript.kinds import model_family

# ---------------------------------------------------------------------------------------------
# numbers

_UNITS = ((1_000, "k"), (1_000_000, "M"), (1_000_000_000, "B"), (1_000_000_000_000, "T"))


def money(value: float | None) -> str:
    """`$12.23`; under a cent but above zero `<$0.01`; nothing known `—`."""
    if value is None:
        return "—"
    if 0 < value < 0.005:
        return "<$0.01"
    if value < 0:
        return "-" + money(-value)
    return f"${value:,.2f}"


def money_exact(value: float | None) -> str:
    """The full figure for a hover: `$0.065192`."""
    if value is None:
        return "no cost"
    return f"${value:,.6f}"


def compact(value: float | None) -> str:
    """`15.4M`, `394k`, `1.2k`, `950`: three significant digits at most."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    n = abs(float(value))
    if n < 999.5:
        return f"{sign}{n:.0f}"
    for size, unit in _UNITS:
        scaled = n / size
        text = f"{scaled:.1f}" if scaled < 99.95 else f"{scaled:.0f}"
        if float(text) < 1000 or unit == _UNITS[-1][1]:
            return f"{sign}{text.removesuffix('.0')}{unit}"
    raise AssertionError("unreachable")


def count(value: float | None) -> str:
    """`1,234,567` (an exact figure)."""
    if value is None:
        return "—"
    return f"{value:,.0f}"


def percent(value: float | None, digits: int = 1) -> str:
    """A share in [0, 1] as `97.8%`."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


# ---------------------------------------------------------------------------------------------
# durations and times


def duration(seconds: float | None) -> str:
    """`1 h 12 m`, `12 m 5 s`, `42 s`, `350 ms`, `2 d 3 h`."""
    if seconds is None:
        return "—"
    s = max(0.0, float(seconds))
    if s < 1:
        return f"{round(s * 1000)} ms"
    if s < 10:
        text = f"{s:.1f}"
        return f"{text[:-2] if text.endswith('.0') else text} s"
    total = round(s)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} m" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} m {secs} s" if secs else f"{minutes} m"
    return f"{secs} s"


def duration_ms(ms: float | None) -> str:
    return "—" if ms is None else duration(ms / 1000)


def utc(ts: datetime) -> datetime:
    """An aware UTC datetime (index timestamps are naive UTC)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def iso(ts: datetime | None) -> str:
    """`2026-02-12T14:11:57.667Z`, for `<time datetime>` and the browser."""
    if ts is None:
        return ""
    t = utc(ts)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def absolute(ts: datetime | None, tz: str = "UTC", *, seconds: bool = False) -> str:
    """`12 Feb 2026, 14:11` in `tz`."""
    if ts is None:
        return "—"
    local = utc(ts).astimezone(ZoneInfo(tz))
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return f"{local.day} {local.strftime('%b %Y')}, {local.strftime(clock)}"


def clock(ts: datetime | None, tz: str = "UTC") -> str:
    """`14:11:57`: the time of day, for timeline rows."""
    if ts is None:
        return ""
    return utc(ts).astimezone(ZoneInfo(tz)).strftime("%H:%M:%S")


def relative(ts: datetime | None, now: datetime, tz: str = "UTC") -> str:
    """`just now`, `5 m ago`, `3 h ago`, `6 d ago`; a month or more back: `12 Feb 2026`."""
    if ts is None:
        return "—"
    delta = (utc(now) - utc(ts)).total_seconds()
    if delta < 45:
        return "just now"
    if delta < 3_600:
        return f"{max(1, round(delta / 60))} m ago"
    if delta < 86_400:
        return f"{round(delta / 3_600)} h ago"
    if delta < 30 * 86_400:
        return f"{round(delta / 86_400)} d ago"
    local = utc(ts).astimezone(ZoneInfo(tz))
    return f"{local.day} {local.strftime('%b %Y')}"


def age(seconds: float | None) -> str:
    """How old something is, to the minute: `3 h 5 m old`."""
    if seconds is None:
        return "age unknown"
    if seconds < 60:
        return "less than a minute old"
    return f"{duration(seconds - seconds % 60)} old"


# ---------------------------------------------------------------------------------------------
# token kinds and models

TokenKindKey = Literal["input", "output", "cache_write", "cache_read"]


@dataclass(frozen=True)
class TokenKind:
    key: TokenKindKey
    label: str
    field: str


# always in this order, always these colours (see --tk-* in app.css)
TOKEN_KINDS: tuple[TokenKind, ...] = (
    TokenKind("input", "Input", "input_tokens"),
    TokenKind("output", "Output", "output_tokens"),
    TokenKind("cache_write", "Cache write", "cache_creation_input_tokens"),
    TokenKind("cache_read", "Cache read", "cache_read_input_tokens"),
)

_FAMILY_NEW = re.compile(
    r"^claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2})(?!\d))?(?:-(\d{8}))?(.*)$"
)
_FAMILY_OLD = re.compile(
    r"^claude-(\d+)(?:-(\d{1,2})(?!\d))?-(opus|sonnet|haiku)(?:-(\d{8}))?(.*)$"
)

# shades per family, alternating dark and light so neighbours in a stack stay apart
FAMILY_COLOURS: dict[str, tuple[str, ...]] = {
    "opus": ("#d9773f", "#f2b58c", "#a24d1c", "#e8955f"),
    "sonnet": ("#4c6ef5", "#99b0ff", "#2f46b3", "#7390ff"),
    "haiku": ("#2f9e6b", "#8fd6b0", "#1d6b47", "#5fc091"),
    "other": ("#b05cc9", "#d9a3e8", "#7d3a93", "#8a8f98"),
}


def model_label(model: str | None) -> str:
    """`claude-opus-4-6` -> `Opus 4.6`; `claude-3-5-sonnet-20241022` -> `Sonnet 3.5`."""
    if not model:
        return "—"
    m = _FAMILY_NEW.match(model)
    if m:
        family, major, minor, _date, rest = m.groups()
    else:
        m = _FAMILY_OLD.match(model)
        if not m:
            return model
        major, minor, family, _date, rest = m.groups()
    version = f"{major}.{minor}" if minor else major
    return f"{family.capitalize()} {version}{rest}"


class Palette:
    """One colour per model, the same on every page: a family hue, and a shade by the order
    in which the models first appear in the history."""

    def __init__(self, models_in_order: Iterable[str]) -> None:
        self.colours: dict[str, str] = {}
        seen: dict[str, int] = {}
        for model in models_in_order:
            if model in self.colours:
                continue
            family = model_family(model)
            shades = FAMILY_COLOURS[family]
            self.colours[model] = shades[seen.get(family, 0) % len(shades)]
            seen[family] = seen.get(family, 0) + 1

    def colour(self, model: str | None) -> str:
        if not model:
            return FAMILY_COLOURS["other"][3]
        known = self.colours.get(model)
        if known:
            return known
        shades = FAMILY_COLOURS[model_family(model)]
        return shades[sum(map(ord, model)) % len(shades)]


# ---------------------------------------------------------------------------------------------
# text

SAFE_SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "noopener noreferrer nofollow"


def safe_url(url: str) -> bool:
    """Only http, https and mailto links leave a transcript as links."""
    return url.strip().lower().startswith(SAFE_SCHEMES)


def _link_open(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("rel", LINK_REL)
    token.attrSet("target", "_blank")
    return str(self.renderToken(tokens, idx, options, env))


def _image(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    """Images are not loaded from transcripts: they become a link to the picture."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = "".join(c.content for c in token.children or []) or src
    label = escape(f"image: {alt}")
    if not safe_url(src):
        return str(label)
    return f'<a class="md-image" href="{escape(src)}" rel="{LINK_REL}" target="_blank">{label}</a>'


def _make_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = safe_url  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _image)
    return md


_MD = _make_markdown()


def markdown(text: str | None) -> Markup:
    """Markdown to HTML with raw HTML shown as text and only safe links."""
    if not text:
        return Markup("")
    return Markup(_MD.render(text))  # noqa: S704 - markdown-it escapes; html is off


@dataclass(frozen=True)
class Clipped:
    """Text cut for display: what is shown and how much is left out."""

    text: str
    total_lines: int
    hidden_lines: int
    hidden_chars: int

    @property
    def cut(self) -> bool:
        return self.hidden_chars > 0


def clip(text: str | None, max_lines: int = 40, max_chars: int = 4_000) -> Clipped:
    """The first `max_lines` lines / `max_chars` characters of `text`."""
    text = text or ""
    lines = text.split("\n")
    shown = "\n".join(lines[:max_lines])
    if len(shown) > max_chars:
        shown = shown[:max_chars]
    shown_lines = shown.count("\n") + 1 if shown else 0
    return Clipped(
        text=shown,
        total_lines=len(lines) if text else 0,
        hidden_lines=max(0, (len(lines) if text else 0) - shown_lines),
        hidden_chars=len(text) - len(shown),
    )


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(text: str | None) -> str:
    """Terminal output without its colour codes and other control characters."""
    return _CONTROL.sub("", _ANSI.sub("", text or ""))


def one_line(text: str | None, limit: int = 160) -> str:
    """The text on one line, cut with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def highlight(text: str, ranges: Sequence[tuple[int, int]]) -> Markup:
    """`text` escaped, with the character ranges `ranges` marked."""
    out: list[str] = []
    at = 0
    for start, end in sorted(ranges):
        if start < at or end > len(text):
            continue
        out += [str(escape(text[at:start])), f"<mark>{escape(text[start:end])}</mark>"]
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))  # noqa: S704 - every piece is escaped


# ---------------------------------------------------------------------------------------------
# diffs

DiffKind = Literal["hunk", "add", "del", "ctx"]


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    old: int | None
    new: int | None
    text: str


def _int(value: object, default: int = 1) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def patch_lines(hunks: object) -> list[DiffLine]:
    """Rows of an Edit/Write `structuredPatch` (unified-diff hunks), with line numbers."""
    out: list[DiffLine] = []
    if not isinstance(hunks, list):
        return out
    for hunk in hunks:
        if not isinstance(hunk, dict) or not isinstance(hunk.get("lines"), list):
            continue
        old, new = _int(hunk.get("oldStart")), _int(hunk.get("newStart"))
        header = (
            f"@@ -{old},{_int(hunk.get('oldLines'), 0)} +{new},{_int(hunk.get('newLines'), 0)} @@"
        )
        out.append(DiffLine("hunk", None, None, header))
        for raw in hunk["lines"]:
            if not isinstance(raw, str):
                continue
            mark, text = raw[:1], raw[1:]
            if mark == "+":
                out.append(DiffLine("add", None, new, text))
                new += 1
            elif mark == "-":
                out.append(DiffLine("del", old, None, text))
                old += 1
            elif mark == "\\":
                continue  # "\ No newline at end of file"
            else:
                out.append(DiffLine("ctx", old, new, text))
                old += 1
                new += 1
    return out


def text_diff(before: str, after: str, context: int = 3) -> list[DiffLine]:
    """A unified diff of two texts, numbered from their first line."""
    a, b = before.splitlines(), after.splitlines()
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(DiffLine("hunk", None, None, f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@"))
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                out += [DiffLine("ctx", a1 + k + 1, b1 + k + 1, a[a1 + k]) for k in range(a2 - a1)]
                continue
            out += [DiffLine("del", a1 + k + 1, None, a[a1 + k]) for k in range(a2 - a1)]
            out += [DiffLine("add", None, b1 + k + 1, b[b1 + k]) for k in range(b2 - b1)]
    return out


def added_lines(content: str) -> list[DiffLine]:
    """A new file: every line added."""
    return [DiffLine("add", None, i, line) for i, line in enumerate(content.splitlines(), 1)]


def diff_stats(lines: Sequence[DiffLine]) -> tuple[int, int]:
    return (
        sum(1 for d in lines if d.kind == "add"),
        sum(1 for d in lines if d.kind == "del"),
    )


__all__ = [
    "TOKEN_KINDS",
    "Clipped",
    "DiffLine",
    "Palette",
    "absolute",
    "added_lines",
    "age",
    "clip",
    "clock",
    "compact",
    "count",
    "diff_stats",
    "duration",
    "duration_ms",
    "iso",
    "markdown",
    "model_family",
    "model_label",
    "money",
    "money_exact",
    "one_line",
    "patch_lines",
    "percent",
    "plain",
    "project_name",
    "relative",
    "safe_url",
    "text_diff",
]
