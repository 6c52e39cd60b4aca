"""`cctracer report daily|weekly|monthly|session|project` and `cctracer status`."""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from claude_code_tracer import __version__
from claude_code_tracer.config import Settings, known_timezone
from claude_code_tracer.index.models.reports import (
    PromptReport,
    SessionReport,
    UsageFigures,
    UsageReport,
)
from claude_code_tracer.index.models.windows import Block, BlockList, StatusSummary
from claude_code_tracer.terminal.args import OneLineParser, day
from claude_code_tracer.terminal.source import (
    BlocksQuery,
    PromptsQuery,
    Query,
    ReportError,
    Source,
    open_source,
)
from claude_code_tracer.transcript.kinds import (
    PROMPT_SORTS,
    REPORT_KINDS,
    WEEKDAYS,
    ReportKind,
    Weekday,
)

STDIN_WAIT_S = 0.2  # Claude Code writes its status JSON at once; a terminal writes nothing
BLOCKS = "blocks"  # `cctracer report blocks`: the 5-hour windows, beside the usage reports
PROMPTS = "prompts"  # `cctracer report prompts`: what each prompt cost
PROMPTS_SHOWN = 30


def positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return n


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON (fields as ccusage names them)")
    p.add_argument("--tz", metavar="ZONE", help="time zone of days and weeks (default: local)")
    p.add_argument(
        "--claude-dir",
        metavar="DIR[,DIR...]",
        help="Claude data directory, or a comma-separated list (default: $CLAUDE_DIR, else "
        "$CLAUDE_CONFIG_DIR, else ~/.claude and ~/.config/claude)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="accepted for ccusage's scripts: reports never fetch prices (they use the table "
        "the index was priced with)",
    )
    p.add_argument(
        "--week-start",
        choices=WEEKDAYS,
        help="the first day of a week (default: the config file's, else monday)",
    )
    p.add_argument(
        "--token-limit",
        metavar="N|max",
        help="tokens a 5-hour block may use, or max (the largest block seen); also "
        "$CCTRACER_TOKEN_LIMIT or the config file",
    )
    p.add_argument(
        "--cost-limit",
        metavar="USD|max",
        help="dollars a 5-hour block may cost, or max; also $CCTRACER_COST_LIMIT or the "
        "config file",
    )


def report_parser() -> OneLineParser:
    p = OneLineParser(
        prog="cctracer report",
        description="Tokens and cost by day, week, month, session or project, or the 5-hour "
        "blocks, from the index (brought up to date first).",
    )
    p.add_argument("kind", choices=(*REPORT_KINDS, BLOCKS, PROMPTS), help="how to group the usage")
    p.add_argument("--active", action="store_true", help="blocks: the active block only")
    _common(p)
    p.add_argument("--since", type=day, metavar="DATE", help="first day (YYYY-MM-DD)")
    p.add_argument("--until", type=day, metavar="DATE", help="last day (YYYY-MM-DD)")
    p.add_argument(
        "--last",
        type=positive,
        metavar="N",
        help="the last N days (daily, session, project, blocks), weeks (weekly) or months "
        "(monthly), up to today",
    )
    p.add_argument("--project", metavar="NAME", help="one project: its folder name or its path")
    p.add_argument("--breakdown", action="store_true", help="a row per model under each row")
    p.add_argument(
        "--sort",
        choices=PROMPT_SORTS,
        default="cost",
        help="prompts: the costliest first (cost, default), as typed (time), or the most "
        "tokens, the longest or the most responses first",
    )
    p.add_argument(
        "--limit", type=positive, metavar="N", help="prompts: at most N (default 30; all in JSON)"
    )
    p.add_argument(
        "--order",
        choices=("asc", "desc"),
        help="oldest first or newest first (default: asc by period, desc by session/project; "
        "prompts: the sort's own)",
    )
    return p


def status_parser() -> OneLineParser:
    p = OneLineParser(
        prog="cctracer status",
        description="One line: this session's cost (when Claude Code passes its status JSON on "
        "stdin), today's and this week's, for a shell prompt or Claude Code's status line.",
    )
    _common(p)
    return p


def now_utc() -> datetime:
    return datetime.now(UTC)


def last_range(kind: ReportKind, n: int, today: date, week_start: Weekday) -> date:
    """The first day of the last `n` days, weeks or months up to `today`."""
    from claude_code_tracer.index.store_reports import week_of

    if kind == "weekly":
        return week_of(today, week_start) - timedelta(weeks=n - 1)
    if kind == "monthly":
        months = today.year * 12 + today.month - 1 - (n - 1)
        return date(months // 12, months % 12 + 1, 1)
    return today - timedelta(days=n - 1)


def settings_for(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[Settings, str]:
    try:
        settings = Settings.from_env(
            env,
            claude_dirs=args.claude_dir,
            offline=True,
            token_limit=args.token_limit,
            cost_limit=args.cost_limit,
            week_start=args.week_start,
        )
    except ValueError as exc:
        raise ReportError(str(exc)) from exc
    tz = args.tz or settings.timezone
    if not known_timezone(tz):
        raise ReportError(f"unknown time zone: {tz}")
    if not any((root / "projects").is_dir() for root in settings.claude_dirs):
        looked = ", ".join(str(root / "projects") for root in settings.claude_dirs)
        raise ReportError(
            f"no Claude Code history in {looked} (set CLAUDE_DIR or pass --claude-dir)"
        )
    return settings, tz


def resolve_project(source: Source, given: str) -> str:
    """A project's folder name, from its folder name or its real path."""
    known = source.project_hashes()
    if given in known:
        return given
    wanted = given.rstrip("/") or given
    for path_hash, path in known.items():
        if path and path.rstrip("/") == wanted:
            return path_hash
    raise ReportError(f"unknown project: {given}")


def glued(argv: Sequence[str]) -> list[str]:
    """`--project -home-dev-shop` as `--project=-home-dev-shop`: project folder names start
    with a dash, which argparse would take for an option."""
    out: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--project":
            value = next(args, None)
            out.append(arg if value is None else f"{arg}={value}")
        else:
            out.append(arg)
    return out


def run_report(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    from claude_code_tracer.terminal.progress import ProgressBar

    out, err = out or sys.stdout, err or sys.stderr
    args = report_parser().parse_args(glued(argv))
    try:
        settings, tz = settings_for(args, os.environ if env is None else env)
        today = (now or now_utc()).astimezone(ZoneInfo(tz)).date()
        since, until = args.since, args.until
        if args.last is not None:
            if since is not None:
                raise ReportError("give --since or --last, not both")
            unit: ReportKind = "daily" if args.kind in (BLOCKS, PROMPTS) else args.kind
            since = last_range(unit, args.last, today, settings.week_start)
            until = until or today
        if since and until and since > until:
            raise ReportError(f"--since {since} is after --until {until}")
        with open_source(settings, ProgressBar(err, summary=False), now) as source:
            if args.kind == BLOCKS:
                if args.project:
                    raise ReportError("blocks cover every project: --project does not apply")
                blocks = source.blocks(
                    BlocksQuery(
                        since,
                        until,
                        tz,
                        args.active,
                        settings.token_limit,
                        settings.cost_limit,
                    )
                )
                report: UsageReport | BlockList | PromptReport = blocks
            elif args.kind == PROMPTS:
                project = resolve_project(source, args.project) if args.project else None
                limit = args.limit or (None if args.json else PROMPTS_SHOWN)
                report = source.prompts(
                    PromptsQuery(since, until, tz, project, args.sort, limit, args.order)
                )
            else:
                project = resolve_project(source, args.project) if args.project else None
                report = source.report(
                    Query(args.kind, since, until, tz, project, args.order, settings.week_start)
                )
    except ReportError as exc:
        err.write(f"cctracer report: {exc}\n")
        return 1
    if args.json:
        out.write(report.model_dump_json(indent=2) + "\n")
        return 0
    from claude_code_tracer.terminal.render import (
        console,
        render,
        render_blocks,
        render_prompts,
    )

    if isinstance(report, BlockList):
        render_blocks(report, console(out))
    elif isinstance(report, PromptReport):
        render_prompts(report, console(out))
    else:
        render(report, console(out), breakdown=args.breakdown)
    return 0


def read_claude_status(stdin: IO[str]) -> dict[str, Any]:
    """The JSON Claude Code passes to a status line command, if any is waiting on stdin."""
    try:
        if stdin.isatty():
            return {}
        try:
            stdin.fileno()
        except (OSError, ValueError):
            pass  # not a file (a buffer): nothing to wait for
        else:
            ready, _, _ = select.select([stdin], [], [], STDIN_WAIT_S)
            if not ready:
                return {}
        doc = json.loads(stdin.read() or "{}")
    except (OSError, ValueError, TypeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _session_of(doc: Mapping[str, Any]) -> tuple[str, str] | None:
    """(project folder, session id) of the session Claude Code names."""
    sid, path = doc.get("session_id"), doc.get("transcript_path")
    if not isinstance(sid, str) or not sid or not isinstance(path, str) or not path:
        return None
    return Path(path).parent.name, sid


def compact(n: int) -> str:
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def run_status(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    stdin: IO[str] | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    from claude_code_tracer.terminal.render import console, money, status_line

    out, err = out or sys.stdout, err or sys.stderr
    args = status_parser().parse_args(argv)
    claude = read_claude_status(stdin or sys.stdin)
    try:
        settings, tz = settings_for(args, os.environ if env is None else env)
        today = (now or now_utc()).astimezone(ZoneInfo(tz)).date()
        from claude_code_tracer.index.store_reports import week_of

        week = week_of(today, settings.week_start)
        with open_source(settings, None, now) as source:
            day_report = source.report(Query("daily", today, today, tz))
            week_report = source.report(
                Query("weekly", week, today, tz, None, None, settings.week_start)
            )
            block = source.blocks(
                BlocksQuery(None, None, tz, True, settings.token_limit, settings.cost_limit)
            ).active
            session = None
            named = _session_of(claude)
            if named is not None:
                try:
                    found = source.report(Query("session", None, None, tz, named[0]))
                except ReportError:
                    found = None
                if isinstance(found, SessionReport):
                    session = next((s for s in found.sessions if s.session_id == named[1]), None)
    except ReportError as exc:
        err.write(f"cctracer status: {exc}\n")
        return 1
    summary = StatusSummary(
        timezone=tz,
        date=today,
        week_start=settings.week_start,
        today=day_report.totals,
        week=week_report.totals,
        session=session,
        block=block,
    )
    if args.json:
        out.write(summary.model_dump_json(indent=2) + "\n")
        return 0
    parts: list[tuple[str, str]] = []
    model = claude.get("model")
    if isinstance(model, dict) and isinstance(model.get("display_name"), str):
        parts.append(("", model["display_name"]))
    if summary.session is not None:
        parts.append(("session", money(summary.session.total_cost)))
    if summary.block is not None:
        parts.append(("block", _block(summary.block, money)))
    parts.append(("today", _figure(summary.today, money)))
    parts.append(("week", _figure(summary.week, money)))
    status_line(parts, console(out))
    return 0


def _block(block: Block, money: Any) -> str:
    """`$4.10 · 2 h 13 m left · 62% of the token limit`."""
    left = block.remaining_minutes or 0
    text = f"{money(block.cost_usd)} · {left // 60} h {left % 60:02d} m left"
    for use in block.limits:
        projected = (
            "" if use.projected_percent is None else f", {use.projected_percent:.0f}% projected"
        )
        text += f" · {use.percent_used:.0f}% of {use.kind} limit{projected}"
        break
    return text


def _figure(f: UsageFigures, money: Any) -> str:
    return f"{money(f.total_cost)} · {compact(f.total_tokens)} tok"


def main(argv: Sequence[str]) -> int:
    """`report ...` or `status ...` (the first word chooses)."""
    if argv and argv[0] == "report":
        return run_report(argv[1:])
    if argv and argv[0] == "status":
        return run_status(argv[1:])
    if argv[:2] == ["export", "otlp"]:
        from claude_code_tracer.terminal.otlp import run_otlp

        return run_otlp(argv[2:])
    if argv and argv[0] in ("export", "sql"):
        from claude_code_tracer.terminal.export import run_export, run_sql

        return (run_export if argv[0] == "export" else run_sql)(argv[1:])
    raise SystemExit(f"cctracer: unknown command {argv[0] if argv else ''!r} ({__version__})")
