"""Settings: one frozen dataclass, resolved as flags > environment > defaults."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

APP_NAME = "claude-code-tracer"
DEFAULT_PORT = 8420
DEFAULT_HOST = "127.0.0.1"
PRICING_URL = (
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
)
TRUTHY = {"1", "true", "yes", "on"}
# the addresses that reach this machine only: served on one of them, the app warns of nothing
# and a Host header naming any of them is always answered
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
RELOAD_HOST_ENV = "CCTRACER_RELOAD_HOST"  # the --host of a --reload run, for its app processes


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or Path.home())


def default_claude_dirs(env: Mapping[str, str]) -> tuple[Path, ...]:
    """Where Claude Code keeps its data: `CLAUDE_DIR` (ours, wins), else Claude Code's own
    `CLAUDE_CONFIG_DIR` (each a comma-separated list allowed), else `~/.claude` and
    `~/.config/claude` (where some builds wrote), those that exist (both when neither does, so
    that both are reported as looked for)."""
    for name in ("CLAUDE_DIR", "CLAUDE_CONFIG_DIR"):
        raw = env.get(name, "").strip()
        if raw:
            dirs = parse_dir_list(raw)
            if dirs:
                return dirs
    home = _home(env)
    candidates = (home / ".claude", home / ".config" / "claude")
    found = tuple(d for d in candidates if d.is_dir())
    return found or candidates


def parse_dir_list(raw: str) -> tuple[Path, ...]:
    dirs = [Path(part.strip()).expanduser() for part in raw.split(",") if part.strip()]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return tuple(unique)


@functools.cache
def _index_timezones() -> frozenset[str]:
    import duckdb

    with duckdb.connect(":memory:") as conn:
        rows = conn.execute("SELECT name FROM pg_timezone_names()").fetchall()
    return frozenset(str(r[0]) for r in rows)


def known_timezone(name: str) -> bool:
    """An IANA name that both Python and the index's SQL know (`posixrules`, `localtime` and
    file names under /usr/share/zoneinfo are not time zones to DuckDB)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name not in _index_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def local_timezone(env: Mapping[str, str]) -> str:
    """IANA name of the machine's time zone: `TZ`, else /etc/localtime, else UTC."""
    candidates = [env.get("TZ", "").strip().lstrip(":")]
    with contextlib.suppress(OSError):
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name and known_timezone(name):
            return name
    return "UTC"


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/claude-code-tracer`, default `~/.cache/claude-code-tracer`."""
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else _home(env) / ".cache"
    return base / APP_NAME


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to run; no module-level state anywhere else."""

    claude_dirs: tuple[Path, ...]
    cache_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    offline: bool = False
    watch: bool = True
    demo: bool = False
    pricing_url: str = PRICING_URL
    pricing_max_age_s: float = 24 * 3600.0
    poll_interval_s: float = 1.0
    workers: int = 0  # 0: one per CPU
    timezone: str = "UTC"
    response_cache: bool = True  # keep answers until the index changes
    extra_hosts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def db_path(self) -> Path:
        name = "demo.duckdb" if self.demo else "index.duckdb"
        return self.cache_dir / name

    @property
    def pricing_cache_path(self) -> Path:
        return self.cache_dir / "pricing.json"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **flags: Any) -> Settings:
        """Build settings: explicit flags (not None) win over the environment, then defaults."""
        env = os.environ if env is None else env

        def flag(name: str, default: bool) -> bool:
            raw = env.get(name, "").strip().lower()
            return default if not raw else raw in TRUTHY

        base = cls(
            claude_dirs=default_claude_dirs(env),
            cache_dir=default_cache_dir(env),
            offline=flag("CCTRACER_OFFLINE", False),
            watch=flag("CCTRACER_WATCH", True),
            demo=flag("CCTRACER_DEMO", False),
            response_cache=flag("CCTRACER_RESPONSE_CACHE", True),
            timezone=local_timezone(env),
        )
        given = {k: v for k, v in flags.items() if v is not None}
        if "claude_dirs" in given and isinstance(given["claude_dirs"], str):
            given["claude_dirs"] = parse_dir_list(given["claude_dirs"])
        settings = replace(base, **given)
        if not 0 < settings.port < 65536:
            raise ValueError(f"port out of range: {settings.port}")
        if not settings.claude_dirs:
            raise ValueError("no Claude data directory given")
        return settings
