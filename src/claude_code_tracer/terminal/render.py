"""Reports as terminal tables (rich): aligned, with totals, colored only on a terminal and
never with NO_COLOR, as wide as the terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.table import Table

from claude_code_tracer.index.models.reports import (
    DailyReport,
    ModelBreakdown,
    MonthlyReport,
    ProjectReport,
    PromptReport,
    PromptRow,
    SessionReport,
    UsageFigures,
    UsageReport,
    UsageRow,
    WeeklyReport,
)
from claude_code_tracer.index.models.windows import BlockList
from claude_code_tracer.index.store_prompts import short_count
from claude_code_tracer.transcript.kinds import COST_DRIVER_LABELS

TITLES = {
    DailyReport: "Usage by day",
    WeeklyReport: "Usage by week",
    MonthlyReport: "Usage by month",
    SessionReport: "Usage by session",
    ProjectReport: "Usage by project",
}


PIPE_WIDTH = 200  # not a terminal (a file, a pipe): wide enough that no table wraps
# narrower than this, token counts are shown short (5.6B, 20.6M, 864k): by period, and by
# session or project (their names want room too)
WIDE = 120
WIDE_NAMED = 160


def console(out: IO[str] | None = None, *, width: int | None = None) -> Console:
    """A console on `out`: colors only on a terminal (rich honours NO_COLOR and TERM=dumb); as
    wide as the terminal, or `PIPE_WIDTH` (or $COLUMNS) elsewhere."""
    stream = out or sys.stdout
    if width is None and not stream.isatty() and "COLUMNS" not in os.environ:
        width = PIPE_WIDTH
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def num(n: int) -> str:
    return f"{n:,}"


short = short_count  # a token count in at most six characters: 864k, 20.6M, 5.61B


def money(x: float) -> str:
    return f"${x:,.2f}"


def short_model(name: str) -> str:
    """`claude-sonnet-4-20250514` -> `sonnet-4`: the family and version, as people say it."""
    parts = name.removeprefix("claude-").split("-")
    if parts and len(parts[-1]) == 8 and parts[-1].isdigit():
        parts = parts[:-1]
    return "-".join(parts) or name


def local_time(at: datetime | None, tz: str) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if at else "—"


def _labels(report: UsageReport) -> tuple[list[str], list[tuple[list[str], UsageRow]]]:
    """The key columns of a report, and each row's key cells."""
    tz = report.scope.timezone
    if isinstance(report, DailyReport):
        return ["Date"], [([r.date.isoformat()], r) for r in report.daily]
    if isinstance(report, WeeklyReport):
        return ["Week of"], [([r.week.isoformat()], r) for r in report.weekly]
    if isinstance(report, MonthlyReport):
        return ["Month"], [([r.month], r) for r in report.monthly]
    if isinstance(report, SessionReport):
        return ["Session", "Project", "Last activity"], [
            (
                [
                    f"{r.session_id[:8]}  {r.title or ''}".rstrip(),
                    r.project or r.project_path,
                    local_time(r.last_activity, tz),
                ],
                r,
            )
            for r in report.sessions
        ]
    return ["Project", "Sessions", "Last activity"], [
        ([r.project or r.project_path, num(r.sessions), local_time(r.last_activity, tz)], r)
        for r in report.projects
    ]


def _figures(f: UsageFigures | ModelBreakdown, compact: bool) -> list[str]:
    cost = f.total_cost if isinstance(f, UsageFigures) else f.cost
    total = (
        f.total_tokens
        if isinstance(f, UsageFigures)
        else f.input_tokens + f.output_tokens + f.cache_creation_tokens + f.cache_read_tokens
    )
    count = short if compact else num
    return [
        count(f.input_tokens),
        count(f.output_tokens),
        count(f.cache_creation_tokens),
        count(f.cache_read_tokens),
        count(total),
        money(cost),
    ]


FIGURE_HEADERS = ("Input", "Output", "Cache write", "Cache read", "Total tokens", "Cost")
SHORT_HEADERS = ("In", "Out", "Cache w", "Cache r", "Total", "Cost")
KEY_WIDTHS = {"Date": 10, "Week of": 10, "Month": 7, "Last activity": 16, "Sessions": 8}


def table(
    report: UsageReport, *, breakdown: bool = False, compact: bool = False, width: int = 200
) -> Table:
    keys, rows = _labels(report)
    scope = report.scope
    where = f" · project {scope.project_path}" if scope.project_path else ""
    span = (
        f"{scope.since or 'start'} – {scope.until or 'today'}"
        if scope.since or scope.until
        else "all time"
    )
    t = Table(
        title=f"{TITLES[type(report)]} · {span}{where} · {scope.timezone}",
        box=box.SIMPLE_HEAD,
        show_footer=True,
        header_style="bold",
        footer_style="bold",
        title_justify="left",
        pad_edge=False,
    )
    cells_of = [(cells, row, _figures(row, compact)) for cells, row in rows]
    parts = [(b, _figures(b, compact)) for _, row, _ in cells_of for b in row.model_breakdowns]
    totals = _figures(report.totals, compact)
    drop = {"Last activity"} if compact else set()
    shown = [i for i, key in enumerate(keys) if key not in drop]
    headers = SHORT_HEADERS if compact else FIGURE_HEADERS
    widths = [
        max(
            [len(header), len(footer)]
            + [len(f[k]) for _, _, f in cells_of]
            + ([len(f[k]) for _, f in parts] if breakdown else [])
        )
        for k, (header, footer) in enumerate(zip(headers, totals, strict=True))
    ]
    # what the fixed columns leave (each with two spaces of padding and one of rule) is
    # shared by the free ones:
    # the project or session names and the models, each cut short with an ellipsis
    fixed = [KEY_WIDTHS[keys[i]] for i in shown if keys[i] in KEY_WIDTHS]
    free = len(shown) - len(fixed) + 1
    left = width - sum(widths) - sum(fixed) - 3 * (len(shown) + 1 + len(widths)) - 1
    share = max(6, min(40, left // free))
    for n, i in enumerate(shown):
        size = KEY_WIDTHS.get(keys[i])
        t.add_column(
            keys[i],
            footer="Total" if n == 0 else "",
            no_wrap=True,
            overflow="ellipsis",
            min_width=size or 6,
            max_width=size or share,
        )
    t.add_column("Models", no_wrap=True, overflow="ellipsis", min_width=6, max_width=share)
    for header, footer, widest in zip(headers, totals, widths, strict=True):
        t.add_column(header, footer=footer, justify="right", no_wrap=True, min_width=widest)
    for cells, row, figures in cells_of:
        models = ", ".join(short_model(m) for m in row.models_used)
        t.add_row(*(cells[i] for i in shown), models, *figures)
        if breakdown:
            for b in row.model_breakdowns:
                blank = [""] * len(shown)
                t.add_row(
                    *blank, f"└ {short_model(b.model_name)}", *_figures(b, compact), style="dim"
                )
    return t


def render(report: UsageReport, out: Console, *, breakdown: bool = False) -> None:
    if not _labels(report)[1]:
        out.print("No usage in this range.")
        return
    named = isinstance(report, SessionReport | ProjectReport)
    compact = out.width < (WIDE_NAMED if named else WIDE)
    out.print(table(report, breakdown=breakdown, compact=compact, width=out.width))


def status_line(parts: Sequence[tuple[str, str]], out: Console) -> None:
    """`label value │ label value`: labels dim, values plain."""
    text = " │ ".join(f"[dim]{label}[/dim] {value}" if label else value for label, value in parts)
    out.print(text, soft_wrap=True)


def _span(minutes: int | None) -> str:
    m = max(0, minutes or 0)
    return f"{m // 60} h {m % 60:02d} m" if m >= 60 else f"{m} m"


def render_blocks(report: BlockList, out: Console) -> None:
    """The 5-hour blocks, newest last; the active one with its time left, projection and
    limits under it."""
    if not report.blocks:
        out.print("No 5-hour block in this range." if report.active is None else "")
        if report.active is None:
            return
    tz = report.timezone
    compact = out.width < WIDE
    limits = bool(report.token_limit or report.cost_limit)
    t = Table(
        title=f"5-hour blocks · {report.since or 'start'} – {report.until or 'today'} · {tz}",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        title_justify="left",
        pad_edge=False,
    )
    t.add_column("Block start", no_wrap=True, min_width=11 if compact else 16)
    t.add_column("Active for" if compact else "Active for / status", no_wrap=True, min_width=14)
    # the one column that wraps: a narrow terminal takes its room first
    t.add_column("Models", overflow="fold", min_width=9, max_width=48)
    if not compact:
        t.add_column("Responses", justify="right", no_wrap=True, min_width=9)
    t.add_column("Tokens", justify="right", no_wrap=True, min_width=7 if compact else 13)
    if limits:
        t.add_column("% limit" if compact else "% of limit", justify="right", no_wrap=True)
    t.add_column("Cost", justify="right", no_wrap=True, min_width=8)
    count = short if compact else num
    responses: list[str] = []

    def when(at: datetime) -> str:
        text = local_time(at, tz)
        return text[5:] if compact else text  # 02-11 20:00

    for b in report.blocks or ([report.active] if report.active else []):
        start = when(b.start_time)
        if b.is_gap:
            hours = (b.end_time - b.start_time).total_seconds() / 3600
            quiet = f"{hours / 24:.0f} d" if hours >= 48 else f"{hours:.0f} h"
            blank = [""] * (len(t.columns) - 3)
            t.add_row(start, f"idle {quiet}", *blank, "", style="dim")
            continue
        if b.is_active:
            status = f"ACTIVE, {_span(b.remaining_minutes)} left"
        elif b.first_activity and b.actual_end_time:
            status = _span(int((b.actual_end_time - b.first_activity).total_seconds() // 60))
        else:
            status = ""
        responses = [] if compact else [num(b.entries)]
        share = [f"{b.limits[0].percent_used:.1f}%" if b.limits else ""] if limits else []
        t.add_row(
            start,
            status,
            ", ".join(short_model(m) for m in b.models),
            *responses,
            count(b.total_tokens),
            *share,
            money(b.cost_usd),
            style="bold" if b.is_active else None,
        )
        if b.is_active and b.projection is not None:
            projected = (
                [
                    f"{b.limits[0].projected_percent:.1f}%"
                    if b.limits and b.limits[0].projected_percent is not None
                    else ""
                ]
                if limits
                else []
            )
            t.add_row(
                "",
                "projected",
                "",
                *([] if compact else [""]),
                count(b.projection.total_tokens),
                *projected,
                money(b.projection.total_cost),
                style="yellow",
            )
    out.print(t)
    a = report.active
    if a is not None:
        if a.burn_rate is not None:
            out.print(
                f"Burn rate: {a.burn_rate.tokens_per_minute:,.0f} tokens · "
                f"{money(a.burn_rate.cost_per_hour)} an hour over the block"
                + (
                    f"; {a.recent.tokens_per_minute:,.0f} tokens a minute over the last "
                    f"{a.recent.minutes} minutes"
                    if a.recent is not None
                    else ""
                )
            )
        for use in a.limits:
            limit = money(use.limit) if use.kind == "cost" else f"{use.limit:,.0f} tokens"
            source = " (the largest block)" if use.source == "max" else ""
            line = f"{use.kind.capitalize()} limit {limit}{source}: {use.percent_used:.1f}% used"
            if use.projected_percent is not None:
                line += f", {use.projected_percent:.1f}% projected"
            style = {"exceeds": "red", "warning": "yellow"}.get(use.status)
            out.print(f"[{style}]{line} — {use.status}[/{style}]" if style else f"{line} — ok")


def mostly(p: PromptRow) -> str:
    """The largest part of a prompt's cost and its share: `cache reads 81%`."""
    largest, share = p.drivers.largest, p.drivers.largest_share
    if largest is None or share is None:
        return ""
    return f"{COST_DRIVER_LABELS[largest]} {100 * share:.0f}%"


def render_prompts(report: PromptReport, out: Console) -> None:
    """Prompts and what each cost, its subagents included."""
    if not report.prompts:
        out.print("No prompts in this range.")
        return
    tz = report.timezone
    compact = out.width < WIDE
    count = short if compact else num
    rows = []
    for p in report.prompts:
        when = local_time(p.time, tz)
        text = (p.text or "(before the first prompt)").replace("\n", " ")
        rows.append(
            [
                when[5:] if compact else when,
                f"{p.session_id[:8]}  {text}",
                num(p.responses),
                count(p.total_tokens),
                f"{p.subagents} · {money(p.subagent_cost)}" if p.subagents else "",
                mostly(p),
                money(p.total_cost),
            ]
        )
    totals = [
        "Total",
        "",
        num(report.totals.responses),
        count(report.totals.total_tokens),
        "",
        "",
        money(report.totals.total_cost),
    ]
    headers = ["When", "Prompt", "Responses", "Tokens", "Subagents", "Mostly", "Cost"]
    widths = [
        max(len(h), len(f), *(len(r[k]) for r in rows))
        for k, (h, f) in enumerate(zip(headers, totals, strict=True))
    ]
    # the prompt's text takes what the other columns leave
    left = out.width - sum(w for k, w in enumerate(widths) if k != 1) - 3 * len(headers) - 1
    t = Table(
        title=f"Prompts · {report.total:,} in all · {tz}",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        title_justify="left",
        pad_edge=False,
        show_footer=True,
        footer_style="bold",
    )
    for k, header in enumerate(headers):
        if k == 1:
            t.add_column(
                header,
                no_wrap=True,
                overflow="ellipsis",
                min_width=8,
                max_width=max(8, min(left, 80)),
            )
        else:
            t.add_column(
                header,
                footer=totals[k],
                no_wrap=True,
                min_width=widths[k],
                justify="left" if k == 0 else "right",
            )
    for r in rows:
        t.add_row(*r)
    out.print(t)
    if len(report.prompts) < report.total:
        out.print(
            f"{len(report.prompts)} of {report.total:,} shown; the totals are of all "
            "(--limit N shows more)",
            style="dim",
        )
