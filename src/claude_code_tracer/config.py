"""Settings: one frozen dataclass, resolved as flags > environment > defaults."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from claude_code_tracer.transcript.kinds import WEEKDAYS, Weekday

# A usage-window limit: a number, or "max" (the largest block seen), or none.
TokenLimit = int | Literal["max"] | None
CostLimit = float | Literal["max"] | None
CONFIG_FILE = "config.toml"  # in $XDG_CONFIG_HOME/claude-code-tracer/
WINDOW_SETTINGS = ("token_limit", "cost_limit", "week_start")  # also in the config file

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


def default_config_file(env: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME/claude-code-tracer/config.toml`, default under `~/.config`."""
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else _home(env) / ".config"
    return base / APP_NAME / CONFIG_FILE


def read_config_file(path: Path) -> dict[str, Any]:
    """The small config file's settings (`token_limit`, `cost_limit`, `week_start`); none
    when it is absent. A file that is not TOML is an error, named."""
    import tomllib

    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    known = set(WINDOW_SETTINGS)
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ValueError(
            f"{path}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    return doc


def parse_token_limit(raw: object) -> TokenLimit:
    """A token limit: a whole number of tokens, or `max`; anything else is an error."""
    if raw is None or raw == "":
        return None
    if raw == "max":
        return "max"
    try:
        value = int(str(raw).replace("_", "").replace(",", ""))
    except ValueError:
        value = -1
    if value < 1 or isinstance(raw, bool | float):
        raise ValueError(f"token limit must be a whole number of tokens or max, not {raw!r}")
    return value


def parse_cost_limit(raw: object) -> CostLimit:
    """A cost limit: dollars (`40`, `12.5`, `$40`), or `max`; anything else is an error."""
    if raw is None or raw == "":
        return None
    if raw == "max":
        return "max"
    try:
        value = float(str(raw).lstrip("$"))
    except ValueError:
        value = -1.0
    if not value > 0 or isinstance(raw, bool) or value == float("inf"):
        raise ValueError(f"cost limit must be a number of dollars or max, not {raw!r}")
    return value


def parse_week_start(raw: object) -> Weekday:
    name = str(raw).strip().lower()
    if name not in WEEKDAYS:
        raise ValueError(f"week start must be one of {', '.join(WEEKDAYS)}, not {raw!r}")
    return name


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
    token_limit: TokenLimit = None  # of a 5-hour block: tokens, or "max" (the largest seen)
    cost_limit: CostLimit = None  # of a 5-hour block: dollars, or "max"
    week_start: Weekday = "monday"
    extra_hosts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def db_path(self) -> Path:
        name = "demo.duckdb" if self.demo else "index.duckdb"
        return self.cache_dir / name

    @property
    def search_dir(self) -> Path:
        return self.cache_dir / ("demo-search" if self.demo else "search")

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

        # the config file, then the environment, then the flags
        limits: dict[str, Any] = {}
        for name, value in read_config_file(default_config_file(env)).items():
            limits[name] = value
        for name, var in (
            ("token_limit", "CCTRACER_TOKEN_LIMIT"),
            ("cost_limit", "CCTRACER_COST_LIMIT"),
            ("week_start", "CCTRACER_WEEK_START"),
        ):
            if env.get(var, "").strip():
                limits[name] = env[var].strip()
        for name in WINDOW_SETTINGS:
            if flags.get(name) is not None:
                limits[name] = flags[name]
        parsed: dict[str, Any] = {
            "token_limit": parse_token_limit(limits.get("token_limit")),
            "cost_limit": parse_cost_limit(limits.get("cost_limit")),
        }
        if limits.get("week_start") is not None:
            parsed["week_start"] = parse_week_start(limits["week_start"])
        base = cls(
            **parsed,
            claude_dirs=default_claude_dirs(env),
            cache_dir=default_cache_dir(env),
            offline=flag("CCTRACER_OFFLINE", False),
            watch=flag("CCTRACER_WATCH", True),
            demo=flag("CCTRACER_DEMO", False),
            response_cache=flag("CCTRACER_RESPONSE_CACHE", True),
            timezone=local_timezone(env),
        )
        given = {k: v for k, v in flags.items() if v is not None and k not in WINDOW_SETTINGS}
        if "claude_dirs" in given and isinstance(given["claude_dirs"], str):
            given["claude_dirs"] = parse_dir_list(given["claude_dirs"])
        settings = replace(base, **given)
        if not 0 < settings.port < 65536:
            raise ValueError(f"port out of range: {settings.port}")
        if not settings.claude_dirs:
            raise ValueError("no Claude data directory given")
        return settings
