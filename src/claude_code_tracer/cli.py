"""`cctracer`: index the Claude Code history and serve the dashboard."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from claude_code_tracer import __version__
from claude_code_tracer.config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    LOOPBACK,
    RELOAD_HOST_ENV,
    Settings,
)

if TYPE_CHECKING:
    import uvicorn

DEMO_MAX_AGE_S = 6 * 3600.0
COMMANDS = (
    "report",
    "status",
    "export",
    "sql",
)  # `cctracer report ...`: the terminal reports, not the server


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cctracer",
        description="Local analytics for Claude Code: where the time, tokens and money went.",
        epilog="commands: `cctracer report daily|weekly|monthly|session|project` prints usage "
        "tables (or --json), `cctracer report blocks` the 5-hour windows; `cctracer status` "
        "prints one line for a shell prompt or Claude "
        "Code's status line; `cctracer export parquet|csv DIR` writes the index's tables, "
        "`cctracer export otlp --endpoint URL` sends the sessions to an OpenTelemetry "
        "collector as traces, and `cctracer sql QUERY` queries the tables. Each has its own "
        "--help.",
    )
    parser.add_argument("--port", type=int, default=None, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--host",
        default=None,
        help=f"address to listen on (default {DEFAULT_HOST}; anything else is reachable "
        "from other machines)",
    )
    parser.add_argument("--no-browser", action="store_true", help="don't open a browser")
    parser.add_argument("--reload", action="store_true", help="reload on code changes (dev)")
    parser.add_argument(
        "--claude-dir",
        default=None,
        metavar="DIR[,DIR...]",
        help="Claude data directory, or a comma-separated list (default: $CLAUDE_DIR, "
        "else $CLAUDE_CONFIG_DIR, else ~/.claude and ~/.config/claude)",
    )
    parser.add_argument(
        "--offline", action="store_true", default=None, help="never fetch prices (no network)"
    )
    parser.add_argument("--no-watch", action="store_true", help="don't follow live sessions")
    parser.add_argument(
        "--demo", action="store_true", help="serve a generated demo history instead of yours"
    )
    parser.add_argument(
        "--token-limit",
        metavar="N|max",
        help="tokens a 5-hour block may use, or max (the largest block seen): the usage-window "
        "gauge and page measure against it (also $CCTRACER_TOKEN_LIMIT or the config file)",
    )
    parser.add_argument(
        "--cost-limit",
        metavar="USD|max",
        help="dollars a 5-hour block may cost, or max (also $CCTRACER_COST_LIMIT or the config "
        "file)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def settings_from_args(args: argparse.Namespace, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    settings = Settings.from_env(
        env,
        claude_dirs=args.claude_dir,
        host=args.host,
        port=args.port,
        offline=True if args.offline else None,
        watch=False if args.no_watch else None,
        demo=True if args.demo else None,
        token_limit=args.token_limit,
        cost_limit=args.cost_limit,
    )
    if settings.demo:
        root = prepare_demo(settings.cache_dir)
        settings = replace(settings, claude_dirs=(root,), watch=False)
    return settings


def prepare_demo(cache_dir: Path) -> Path:
    """Generate the demo history (in the cache, apart from any real data) when missing or old."""
    from claude_code_tracer.demo.history import build_demo

    root = cache_dir / "demo" / "claude"
    stamp = cache_dir / "demo" / "built-with"
    fresh = (
        stamp.is_file()
        and stamp.read_text(encoding="utf-8").strip() == __version__
        and time.time() - stamp.stat().st_mtime < DEMO_MAX_AGE_S
    )
    if not fresh:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        build_demo(root)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(__version__, encoding="utf-8")
    return root


def describe_sources(settings: Settings) -> tuple[list[str], bool]:
    """Lines naming each data directory, and whether any transcript exists at all."""
    lines = []
    found = False
    for root in settings.claude_dirs:
        projects = root / "projects"
        if not projects.is_dir():
            lines.append(f"  {projects}  (missing)")
            continue
        count = sum(1 for _ in projects.glob("*/*.jsonl"))
        found = found or count > 0
        lines.append(f"  {projects}  ({count} session files)")
    return lines, found


def open_when_ready(url: str, stop: threading.Event, timeout: float = 60.0) -> None:
    """Open the browser once the server answers, not after a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "health", timeout=1.0) as response:  # noqa: S310
                if response.status == 200:
                    webbrowser.open(url)
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        stop.wait(0.1)


def url_for(host: str, port: int) -> str:
    shown = "localhost" if host in LOOPBACK else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def stopping_server(
    config: uvicorn.Config, stop: threading.Event, on_exit: Callable[[], None] | None = None
) -> uvicorn.Server:
    """A uvicorn server whose Ctrl-C (or SIGTERM) also tells the app to stop, so that open
    event streams end at once, and runs `on_exit` then (uvicorn raises the signal again once
    it has shut down, so code after `run()` may never run)."""
    import uvicorn

    class StoppingServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            stop.set()
            if on_exit is not None:
                on_exit()
            super().handle_exit(sig, frame)

    return StoppingServer(config)


def serve(settings: Settings) -> None:
    """Start indexing at once, then load the web stack and serve while the index fills."""
    from claude_code_tracer.ingest.workers import prestart

    pool = prestart(settings.db_path, settings.workers)  # a first index: workers start now

    try:
        from claude_code_tracer.runtime import Runtime
        from claude_code_tracer.terminal.progress import ProgressBar

        runtime = Runtime(settings, progress=ProgressBar(sys.stderr), pool=pool)
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    runtime.start()
    from claude_code_tracer.terminal.source import announce_server, withdraw_server

    announce_server(settings)
    try:
        import uvicorn

        from claude_code_tracer.main import create_app

        config = uvicorn.Config(
            create_app(settings, runtime=runtime, start=False),
            host=settings.host,
            port=settings.port,
            timeout_graceful_shutdown=2,
            log_level="warning",
        )
        stopping_server(config, runtime.stop_event, lambda: withdraw_server(settings)).run()
    finally:
        withdraw_server(settings)
        runtime.stop()


def main(argv: Sequence[str] | None = None) -> int:
    # heavy modules are imported when needed: worker processes import this module again
    from claude_code_tracer.index.schema import IndexInUse

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in COMMANDS:
        from claude_code_tracer.terminal.command import main as command

        return command(argv)
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"cctracer: {exc}", file=sys.stderr)
        return 2
    url = url_for(settings.host, settings.port)
    lines, found = describe_sources(settings)
    if settings.host not in LOOPBACK:
        print(
            f"warning: listening on {settings.host}: anyone who can reach this address can read "
            "your transcripts",
            file=sys.stderr,
        )
    if settings.demo:
        print("demo mode: serving a generated history (your own data is not read)")
    elif not found:
        print("No Claude Code transcripts found. Looked in:", file=sys.stderr)
        for line in lines:
            print(line, file=sys.stderr)
        print("Set CLAUDE_DIR or pass --claude-dir, or try `cctracer --demo`.", file=sys.stderr)
    print(f"claude-code-tracer {__version__}: {url}")
    stop = threading.Event()
    if not args.no_browser:
        threading.Thread(target=open_when_ready, args=(url, stop), daemon=True).start()
    try:
        if args.reload:
            os.environ.update(settings_env(settings))
            import uvicorn

            uvicorn.run(
                "claude_code_tracer.main:app_from_env",
                factory=True,
                host=settings.host,
                port=settings.port,
                reload=True,
                reload_dirs=[str(Path(__file__).parent)],
                timeout_graceful_shutdown=2,
                log_level="warning",
            )
        else:
            serve(settings)
    except KeyboardInterrupt:
        pass
    except IndexInUse as exc:
        print(f"cctracer: {exc}", file=sys.stderr)
        return 1
    finally:
        stop.set()
    return 0


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `Settings.from_env` rebuild these settings (for --reload)."""
    env = {
        "CLAUDE_DIR": ",".join(str(p) for p in settings.claude_dirs),
        RELOAD_HOST_ENV: settings.host,
        "CCTRACER_OFFLINE": "1" if settings.offline else "0",
        "CCTRACER_WATCH": "1" if settings.watch else "0",
        "CCTRACER_DEMO": "1" if settings.demo else "0",
        "CCTRACER_WEEK_START": settings.week_start,
    }
    for name, limit in (
        ("CCTRACER_TOKEN_LIMIT", settings.token_limit),
        ("CCTRACER_COST_LIMIT", settings.cost_limit),
    ):
        if limit is not None:
            env[name] = str(limit)
    if os.environ.get("XDG_CACHE_HOME"):
        env["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    return env


if __name__ == "__main__":
    raise SystemExit(main())
