"""Benchmark the real cctracer server on a large history, next to ccusage on the same files.

    uv run python bench/run.py [--history DIR] [--mb 1000] [--reps 3] [--out bench/results]
                               [--tiny] [--skip-ccusage]

Measures cold index and warm restart (start to ready), the latency of every API endpoint and
page, how long an appended line takes to show, peak memory, 20 concurrent clients, and
ccusage's time on the same directory. Writes latest.json and latest.md (and a timestamped
copy) to --out and prints the table. Missed targets are reported, not raised: the exit code is
non-zero only when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    MB,
    MIB,
    LatencyStat,
    Report,
    Route,
    Row,
    Target,
    api_routes,
    fmt_seconds,
    latency_stat,
    median,
    path_params,
    percentile,
    render_markdown,
    render_table,
    target_row,
    with_query,
    worst,
)
from procs import (
    CCUSAGE_VERSION,
    HarnessError,
    RssSampler,
    Server,
    ccusage_version,
    npx_overhead,
    run_ccusage,
)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEFAULT_HISTORY = Path("/tmp/cctracer-bench-history")
DEFAULT_CCU_DIR = Path("/tmp/ccu")
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
NO_HIT = "zq-no-such-text-7c1e"
APPEND_POLL_S = 0.010
APPENDS = 5
CLIENTS = 20
TABS = ("tools", "subagents", "skills", "changes", "errors", "commands")
PAGE_FALLBACK = (
    "/projects/{path_hash}",
    "/sessions/{path_hash}/{session_id}",
    "/subagents/{path_hash}/{session_id}/{agent_id}",
    "/pricing",
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# arguments and the history


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("--history", type=Path, default=None, help="Claude data dir to index")
    parser.add_argument("--mb", type=int, default=1000, help="size of a history to build")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each timing")
    parser.add_argument("--out", type=Path, default=None, help="where to write the results")
    parser.add_argument("--tiny", action="store_true", help="small demo history, short runs")
    parser.add_argument("--skip-ccusage", action="store_true", help="don't run ccusage")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per URL")
    parser.add_argument("--duration", type=float, default=None, help="concurrency seconds")
    parser.add_argument("--ccusage-dir", type=Path, default=DEFAULT_CCU_DIR)
    parser.add_argument("--ready-timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    args.requests = args.requests or (5 if args.tiny else 20)
    args.duration = args.duration if args.duration is not None else (3.0 if args.tiny else 30.0)
    if args.out is None:
        args.out = REPO / "bench" / "results" / ("tiny" if args.tiny else "")
    return args


def ensure_history(args: argparse.Namespace, work: Path) -> Path:
    """The history to measure: the one given, else built (demo data in --tiny mode)."""
    history: Path = args.history or (work / "history" if args.tiny else DEFAULT_HISTORY)
    if (history / "projects").is_dir():
        return history
    make_corpus = SHARED / "bench" / "make_corpus.py"
    source = SHARED / "corpus" / "claude"
    if make_corpus.is_file() and source.is_dir() and not args.tiny:
        log(f"building a {args.mb} MB history in {history} (once)")
        subprocess.run(
            [sys.executable, str(make_corpus), str(source), str(history), "--mb", str(args.mb)],
            check=True,
            cwd=REPO,
        )
        return history
    if args.tiny:
        from claude_code_tracer.demo import build_demo

        log(f"building the demo history in {history}")
        build_demo(history)
        return history
    raise HarnessError(
        f"{history} has no projects/ and {SHARED} (make_corpus.py and corpus/claude) is "
        "missing: pass --history DIR with a Claude data dir, or --tiny"
    )


def jsonl_files(history: Path) -> list[Path]:
    return sorted((history / "projects").rglob("*.jsonl"))


def history_stats(history: Path) -> dict[str, Any]:
    files = jsonl_files(history)
    size = sum(f.stat().st_size for f in files)
    projects = [p for p in (history / "projects").iterdir() if p.is_dir()]
    return {
        "dir": str(history),
        "bytes": size,
        "mb": round(size / MB, 1),
        "files": len(files),
        "projects": len(projects),
    }


def warm_page_cache(history: Path) -> None:
    """Read every transcript once, so both tools start from the same (warm) page cache."""
    for path in jsonl_files(history):
        with path.open("rb") as fh:
            while fh.read(8 << 20):
                pass


def machine_info() -> dict[str, Any]:
    import duckdb

    from claude_code_tracer import __version__

    mem = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    commit, dirty = "", False
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        dirty = bool(status.strip())
    node = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        node = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem / (1 << 30), 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "cctracer": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "node": node,
        "platform": platform.platform(),
        "load_avg": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------------------------
# start to ready


@dataclass
class Workspace:
    root: Path
    home: Path = field(init=False)
    logs: Path = field(init=False)
    count: int = 0

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.logs = self.root / "logs"

    def cache(self, name: str) -> Path:
        return self.root / "cache" / name

    def server(self, history: Path, cache: Path, name: str, *, watch: bool = False) -> Server:
        self.count += 1
        return Server(
            history=history,
            cache_home=cache,
            home=self.home,
            log_path=self.logs / f"{self.count:02d}-{name}.log",
            watch=watch,
            pycache=self.root / "pycache",
        )

    def prime(self, history: Path, timeout: float) -> None:
        """One start on a single small session, so that Python's compiled modules are cached
        (as they are for an installed app after its first run) before anything is timed."""
        files = sorted(
            (p for p in (history / "projects").glob("*/*.jsonl")), key=lambda p: p.stat().st_size
        )
        root = self.root / "prime-history"
        if files:
            dest = root / "projects" / files[0].parent.name
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(files[0], dest / files[0].name)
        else:
            (root / "projects").mkdir(parents=True, exist_ok=True)
        with self.server(root, self.cache("prime"), "prime") as server:
            server.wait_ready(timeout)
        shutil.rmtree(self.cache("prime"), ignore_errors=True)


@dataclass
class Start:
    seconds: float  # start to ready
    listening: float | None  # start to the first HTTP answer
    peak_rss: int


def timed_start(
    ws: Workspace, rss: RssSampler, history: Path, cache: Path, name: str, timeout: float
) -> Start:
    """One start to ready, with the peak RSS of the server's process tree meanwhile."""
    server = ws.server(history, cache, name)
    try:
        server.start()
        rss.watch(server.pid)
        seconds = server.wait_ready(timeout)
        return Start(seconds, server.listening, rss.peak)
    finally:
        server.stop()


def start_summary(runs: Sequence[Start]) -> dict[str, Any]:
    listening = [r.listening for r in runs if r.listening is not None]
    return {
        "runs_s": [round(r.seconds, 3) for r in runs],
        "median_s": round(median([r.seconds for r in runs]), 3),
        "listening_median_s": round(median(listening), 3) if listening else None,
        "peak_rss_mib_runs": [round(r.peak_rss / MIB, 1) for r in runs],
        "peak_rss_mib_max": round(max(r.peak_rss for r in runs) / MIB, 1),
    }


def measure_starts(
    ws: Workspace, history: Path, stats: Mapping[str, Any], reps: int, timeout: float
) -> tuple[dict[str, Any], dict[str, Any], Path]:
    keep = ws.cache("index")
    colds: list[Start] = []
    warms: list[Start] = []
    with RssSampler() as rss:
        for i in range(reps):
            cache = ws.cache(f"cold-{i}")
            run = timed_start(ws, rss, history, cache, f"cold-{i}", timeout)
            colds.append(run)
            log(
                f"cold index {i + 1}/{reps}: {run.seconds:.2f} s "
                f"(listening after {fmt_seconds(run.listening)}), "
                f"peak RSS {run.peak_rss / MIB:.0f} MiB"
            )
            if i == reps - 1:
                cache.rename(keep)
            else:
                shutil.rmtree(cache, ignore_errors=True)
        for i in range(reps):
            run = timed_start(ws, rss, history, keep, f"warm-{i}", timeout)
            warms.append(run)
            log(
                f"warm restart {i + 1}/{reps}: {run.seconds:.3f} s "
                f"(listening after {fmt_seconds(run.listening)})"
            )
    cold = start_summary(colds)
    cold["throughput_mb_s"] = round(stats["bytes"] / MB / cold["median_s"], 1)
    cold["index_file_mib"] = round(dir_size(keep) / MIB, 1)
    return cold, start_summary(warms), keep


def dir_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------
# ids for the routes


@dataclass
class Ids:
    """Real ids found through the API: the largest session, one subagent, one message."""

    main: dict[str, str]
    agent: dict[str, str] | None
    total: int
    filters: dict[str, Any]
    word: str
    pages_api: int
    per_page_page: int


def get_json(client: httpx.Client, url: str) -> Any:
    response = client.get(url, headers=JSON)
    if response.status_code != 200:
        raise HarnessError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return response.json()


def pick_word(messages: Sequence[Mapping[str, Any]]) -> str:
    """A word from the session's own text, so the search finds something."""
    for msg in messages:
        for word in str(msg.get("text", "")).split():
            clean = word.strip(".,:;!?()[]{}\"'`")
            if len(clean) >= 7 and clean.isalpha():
                return clean.lower()
    return "the"


def discover(client: httpx.Client, per_page_page: int) -> Ids:
    projects = get_json(client, "/api/projects")["projects"]
    if not projects:
        raise HarnessError("the index has no projects")
    best: tuple[int, str, str] | None = None
    for project in projects:
        h = project["path_hash"]
        top = get_json(
            client,
            with_query(
                f"/api/projects/{h}/sessions", {"sort": "messages", "order": "desc", "per_page": 1}
            ),
        )["sessions"]
        if top and (best is None or top[0]["message_count"] > best[0]):
            best = (top[0]["message_count"], h, top[0]["session_id"])
    if best is None:
        raise HarnessError("the index has no sessions")
    _, path_hash, session_id = best
    base = f"/api/sessions/{path_hash}/{session_id}"
    filters = get_json(client, f"{base}/messages/filters")
    first = get_json(client, with_query(f"{base}/messages", {"per_page": 50}))
    total = int(first["total"])
    middle = get_json(client, with_query(f"{base}/messages", {"page": max(1, first["pages"] // 2)}))
    sample = middle["messages"] or first["messages"]
    if not sample:
        raise HarnessError(f"session {session_id} has no messages")
    chosen = max(sample, key=lambda m: (len(m.get("tool_calls") or []), m["kind"] == "assistant"))
    main = {
        "path_hash": path_hash,
        "session_id": session_id,
        "uuid": chosen["uuid"],
        "idx": str(total // 2),
        "project_hash": path_hash,
    }
    return Ids(
        main=main,
        agent=find_agent(client, path_hash, session_id),
        total=total,
        filters=filters,
        word=pick_word(sample),
        pages_api=int(first["pages"]),
        per_page_page=per_page_page,
    )


def find_agent(client: httpx.Client, path_hash: str, session_id: str) -> dict[str, str] | None:
    """The largest subagent of the session, else of the project's busiest sessions."""
    sessions = [session_id] + [
        s["session_id"]
        for s in get_json(
            client,
            with_query(
                f"/api/projects/{path_hash}/sessions",
                {"sort": "messages", "order": "desc", "per_page": 50},
            ),
        )["sessions"]
        if s["subagent_count"] > 0 and s["session_id"] != session_id
    ]
    for sid in sessions:
        agents = get_json(client, f"/api/sessions/{path_hash}/{sid}/subagents")["subagents"]
        agents = [a for a in agents if a["message_count"] > 0]
        if not agents:
            continue
        agent = max(agents, key=lambda a: a["message_count"])
        listing = get_json(client, f"/api/subagents/{path_hash}/{sid}/{agent['agent_id']}/messages")
        uuid = listing["messages"][0]["uuid"] if listing["messages"] else ""
        return {
            "path_hash": path_hash,
            "session_id": sid,
            "agent_id": agent["agent_id"],
            "uuid": uuid,
            "project_hash": path_hash,
        }
    return None


# ---------------------------------------------------------------------------------------------
# what to request


@dataclass(frozen=True)
class Probe:
    name: str  # the route template, with the variant
    url: str
    kind: str  # "api" or "page"

    @property
    def headers(self) -> dict[str, str]:
        return HTML if self.kind == "page" else JSON


def page_routes() -> list[Route]:
    """The dashboard's pages: routes left out of the OpenAPI document, read from the app."""
    try:
        import importlib
        import pkgutil

        from fastapi.routing import APIRoute

        import claude_code_tracer.routers as package

        found: dict[str, Route] = {}
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            router = getattr(module, "router", None)
            for route in getattr(router, "routes", []):
                if not isinstance(route, APIRoute) or "GET" not in (route.methods or ()):
                    continue
                last = route.path.rsplit("/", 1)[-1]
                if route.include_in_schema or ("." in last and "{" not in last):
                    continue
                found[route.path] = Route(route.path, path_params(route.path))
        if found:
            return [Route("/", ()), *sorted(found.values(), key=lambda r: r.path)]
    except ImportError:
        pass
    return [Route("/", ()), *(Route(p, path_params(p)) for p in PAGE_FALLBACK)]


def ids_for(route: Route, ids: Ids) -> dict[str, str] | None:
    return ids.agent if "agent_id" in route.params else ids.main


def top_value(options: Sequence[Mapping[str, Any]]) -> str | None:
    ranked = sorted(options, key=lambda o: -int(o.get("count", 0)))
    return str(ranked[0]["value"]) if ranked else None


def route_probes(
    routes: Sequence[Route], ids: Ids, kind: str, skipped: list[str]
) -> Iterator[Probe]:
    for route in routes:
        if route.streaming:
            skipped.append(f"{route.path}: an event stream (no response to time)")
            continue
        values = ids_for(route, ids)
        url = route.fill(values) if values is not None else None
        if url is None:
            skipped.append(f"{kind} {route.path}: no id for {', '.join(route.params)}")
            continue
        yield Probe(route.path, url, kind)


def variant_probes(
    template: str, path: str, kind: str, variants: Sequence[tuple[str, dict[str, Any]]]
) -> Iterator[Probe]:
    """`path` with each set of query parameters; a set with a value unknown is left out."""
    for label, params in variants:
        if all(v is not None for v in params.values()):
            yield Probe(f"{template}?{label}", with_query(path, params), kind)


def plan_probes(
    openapi: Mapping[str, Any], ids: Ids, pages: Sequence[Route]
) -> tuple[list[Probe], list[str]]:
    """Every API route and page with real ids, plus the largest session's filters and pages."""
    skipped: list[str] = []
    main = ids.main
    types = [str(t["value"]) for t in ids.filters.get("types", [])]
    tool = top_value(ids.filters.get("tools", []))
    model = top_value(ids.filters.get("models", []))
    session = f"{quote(main['path_hash'], safe='')}/{quote(main['session_id'], safe='')}"
    pages_html = max(1, math.ceil(ids.total / ids.per_page_page))
    return [
        *route_probes(api_routes(openapi), ids, "api", skipped),
        *variant_probes(
            "/api/sessions/{path_hash}/{session_id}/messages",
            f"/api/sessions/{session}/messages",
            "api",
            [
                ("page=1", {"page": 1}),
                ("page=middle", {"page": max(1, ids.pages_api // 2)}),
                ("page=last", {"page": ids.pages_api}),
                *((f"type={t}", {"type": t}) for t in types),
                ("tool=top", {"tool": tool}),
                ("errors_only=true", {"errors_only": "true"}),
                ("model=top", {"model": model}),
                ("search=word", {"search": ids.word}),
                ("search=no-hit", {"search": NO_HIT}),
            ],
        ),
        *route_probes(pages, ids, "page", skipped),
        *variant_probes("/", "/", "page", [("range=all", {"range": "all"})]),
        *variant_probes(
            "/projects/{path_hash}",
            f"/projects/{quote(main['path_hash'], safe='')}",
            "page",
            [("range=all", {"range": "all"})],
        ),
        *variant_probes(
            "/sessions/{path_hash}/{session_id}",
            f"/sessions/{session}",
            "page",
            [
                ("page=middle", {"page": max(1, pages_html // 2)}),
                ("page=last", {"page": pages_html}),
                *((f"type={t}", {"type": t}) for t in types),
                ("tool=top", {"tool": tool}),
                ("errors=1", {"errors": "1"}),
                ("q=word", {"q": ids.word}),
                *((f"tab={t}", {"tab": t}) for t in TABS),
            ],
        ),
    ], skipped


def measure_latency(
    client: httpx.Client, probes: Sequence[Probe], n: int, warmup: int = 2
) -> list[LatencyStat]:
    out = []
    for probe in probes:
        for _ in range(warmup):
            client.get(probe.url, headers=probe.headers)
        seconds: list[float] = []
        statuses: list[int] = []
        size = 0
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(probe.url, headers=probe.headers)
            seconds.append(time.perf_counter() - started)
            statuses.append(response.status_code)
            size = len(response.content)
        stat = latency_stat(probe.name, probe.url, probe.kind, seconds, statuses, size)
        out.append(stat)
        if not stat.ok:
            log(f"  {probe.url} answered {stat.statuses}")
    return out


# ---------------------------------------------------------------------------------------------
# concurrent clients


Pick = Callable[[random.Random], Probe]


def request_mix(ids: Ids) -> list[tuple[int, Pick]]:
    """Weighted requests a dashboard and scripts make; pages of the largest session at random."""
    m = ids.main
    h, s = m["path_hash"], m["session_id"]
    sess = f"/api/sessions/{h}/{s}"
    types = [str(t["value"]) for t in ids.filters.get("types", [])] or ["assistant"]
    pages_html = max(1, math.ceil(ids.total / ids.per_page_page))

    def fixed(name: str, url: str, kind: str = "api") -> Pick:
        probe = Probe(name, url, kind)
        return lambda rng: probe

    mix: list[tuple[int, Pick]] = [
        (3, fixed("projects", "/api/projects")),
        (2, fixed("aggregate", "/api/metrics/aggregate")),
        (2, fixed("daily", "/api/metrics/daily")),
        (3, fixed("sessions", f"/api/projects/{h}/sessions")),
        (1, fixed("project metrics", f"/api/projects/{h}/metrics")),
        (2, fixed("session", sess)),
        (1, fixed("session metrics", f"{sess}/metrics")),
        (1, fixed("session tools", f"{sess}/tools")),
        (
            5,
            lambda rng: Probe(
                "messages page",
                with_query(f"{sess}/messages", {"page": rng.randint(1, ids.pages_api)}),
                "api",
            ),
        ),
        (
            2,
            lambda rng: Probe(
                "messages type",
                with_query(f"{sess}/messages", {"type": rng.choice(types)}),
                "api",
            ),
        ),
        (1, fixed("messages search", with_query(f"{sess}/messages", {"search": ids.word}))),
        (2, fixed("message", f"{sess}/messages/{m['uuid']}")),
        (1, fixed("overview page", "/", "page")),
        (1, fixed("project page", f"/projects/{h}", "page")),
        (
            2,
            lambda rng: Probe(
                "session page",
                with_query(f"/sessions/{h}/{s}", {"page": rng.randint(1, pages_html)}),
                "page",
            ),
        ),
        (1, fixed("pricing page", "/pricing", "page")),
    ]
    if ids.agent:
        a = ids.agent
        mix.append(
            (1, fixed("subagent page", f"/subagents/{h}/{a['session_id']}/{a['agent_id']}", "page"))
        )
    return mix


async def _client(
    base_url: str,
    mix: Sequence[tuple[int, Pick]],
    rng: random.Random,
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> int:
    picks = [p for _, p in mix]
    weights = [w for w, _ in mix]
    count = 0
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as client:
        while time.perf_counter() < deadline:
            probe = rng.choices(picks, weights)[0](rng)
            started = time.perf_counter()
            try:
                response = await client.get(probe.url, headers=probe.headers)
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {probe.url}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {probe.url}")
            latencies.append(time.perf_counter() - started)
            count += 1
    return count


async def _concurrency(
    base_url: str, mix: Sequence[tuple[int, Pick]], clients: int, duration: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            _client(base_url, mix, random.Random(1000 + i), deadline, latencies, errors)
            for i in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    ms = [s * 1000 for s in latencies] or [0.0]
    return {
        "clients": clients,
        "duration_s": round(elapsed, 2),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:10],
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
    }


def concurrency(base_url: str, ids: Ids, clients: int, duration: float) -> dict[str, Any]:
    return asyncio.run(_concurrency(base_url, request_mix(ids), clients, duration))


# ---------------------------------------------------------------------------------------------
# serving: latency, concurrency, memory


def serve_phase(
    ws: Workspace,
    history: Path,
    cache: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    with ws.server(history, cache, "serve") as server:
        server.wait_ready(args.ready_timeout)
        with (
            RssSampler() as rss,
            httpx.Client(base_url=server.base_url, timeout=60.0) as client,
        ):
            rss.watch(server.pid)
            per_page_page = page_size()
            ids = discover(client, per_page_page)
            log(
                f"largest session {ids.main['session_id']} ({ids.total} messages) in "
                f"{ids.main['path_hash']}; subagent "
                f"{ids.agent['agent_id'] if ids.agent else 'none'}"
            )
            openapi = get_json(client, "/openapi.json")
            probes, skipped = plan_probes(openapi, ids, page_routes())
            log(f"latency: {len(probes)} URLs x {args.requests} requests")
            stats = measure_latency(client, probes, args.requests)
            log(f"concurrency: {CLIENTS} clients for {args.duration:.0f} s")
            conc = concurrency(server.base_url, ids, CLIENTS, args.duration)
            totals = get_json(client, "/api/metrics/aggregate")
        return {
            "ids": {"main": ids.main, "agent": ids.agent, "messages": ids.total},
            "latency": [s.as_dict() for s in stats],
            "stats": stats,
            "skipped": skipped,
            "concurrency": conc,
            "peak_rss_mib": round(rss.peak / MIB, 1),
            "totals": our_totals(totals),
        }


def page_size() -> int:
    with contextlib.suppress(ImportError, AttributeError):
        from claude_code_tracer.routers import pages

        return int(pages.TIMELINE_PER_PAGE)
    return 100


TOTAL_KEYS = ("total_tokens", "input_tokens", "output_tokens", "cache_creation", "cache_read")
OUR_KEYS = (
    "total_tokens",
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
CCUSAGE_KEYS = (
    "totalTokens",
    "inputTokens",
    "outputTokens",
    "cacheCreationTokens",
    "cacheReadTokens",
)


def totals_of(cost: Any, tokens: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """Cost and token counts under one set of names, whoever counted them."""
    out: dict[str, Any] = {"cost": round(float(cost or 0.0), 4)}
    out.update({key: int(tokens.get(n) or 0) for key, n in zip(TOTAL_KEYS, names, strict=True)})
    return out


def our_totals(agg: Mapping[str, Any]) -> dict[str, Any]:
    out = totals_of(agg.get("cost"), agg.get("tokens", {}), OUR_KEYS)
    out["subagent_cost"] = round(float(agg.get("subagent_cost") or 0.0), 4)
    out["subagent_total_tokens"] = int(agg.get("subagent_tokens", {}).get("total_tokens") or 0)
    return out


# ---------------------------------------------------------------------------------------------
# an appended line


def last_entry(path: Path, entry_type: str) -> dict[str, Any] | None:
    with path.open("rb") as fh:
        lines = fh.read().splitlines()
    for raw in reversed(lines):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("type") == entry_type and entry.get("message"):
            return entry
    return None


def last_uuid(path: Path) -> str | None:
    with path.open("rb") as fh:
        lines = fh.read().splitlines()
    for raw in reversed(lines):
        with contextlib.suppress(ValueError):
            entry = json.loads(raw)
            if isinstance(entry, dict) and entry.get("uuid"):
                return str(entry["uuid"])
    return None


def new_line(template: Mapping[str, Any], parent: str | None, text: str) -> bytes:
    entry = copy.deepcopy(dict(template))
    entry["uuid"] = str(uuid4())
    entry["parentUuid"] = parent
    entry["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    entry["requestId"] = "req_bench" + uuid4().hex[:16]
    message = dict(entry["message"])
    message["id"] = "msg_bench" + uuid4().hex[:16]
    message["content"] = [{"type": "text", "text": text}]
    entry["message"] = message
    return json.dumps(entry, separators=(",", ":")).encode() + b"\n"


def copy_session(history: Path, path_hash: str, session_id: str, dest: Path) -> Path:
    """The one session (and its subagents) in a history of its own, to append to."""
    src_dir = history / "projects" / path_hash
    out_dir = dest / "projects" / path_hash
    out_dir.mkdir(parents=True, exist_ok=True)
    src = src_dir / f"{session_id}.jsonl"
    if not src.is_file():
        raise HarnessError(f"no transcript file {src}")
    shutil.copy2(src, out_dir / src.name)
    if (src_dir / session_id).is_dir():
        shutil.copytree(src_dir / session_id, out_dir / session_id)
    return out_dir / src.name


def append_phase(
    ws: Workspace, history: Path, ids: Mapping[str, str], timeout: float
) -> dict[str, Any]:
    path_hash, session_id = ids["path_hash"], ids["session_id"]
    copy_root = ws.root / "append-history"
    transcript = copy_session(history, path_hash, session_id, copy_root)
    template = last_entry(transcript, "assistant")
    if template is None:
        raise HarnessError(f"{transcript} has no assistant line to copy")
    delays: list[float] = []
    misses = 0
    url = f"/api/sessions/{path_hash}/{session_id}/messages"
    with ws.server(copy_root, ws.cache("append"), "append", watch=True) as server:
        server.wait_ready(timeout)
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            time.sleep(0.5)  # let the watcher settle after the first sync
            for _ in range(APPENDS):
                marker = f"cctracer-bench-marker-{uuid4().hex}"
                line = new_line(template, last_uuid(transcript), marker)
                started = time.perf_counter()
                with transcript.open("ab") as fh:
                    fh.write(line)
                seen = None
                while time.perf_counter() - started < 30.0:
                    body = client.get(with_query(url, {"search": marker}), headers=JSON).json()
                    if body.get("total", 0) >= 1:
                        seen = time.perf_counter() - started
                        break
                    time.sleep(APPEND_POLL_S)
                if seen is None:
                    misses += 1
                else:
                    delays.append(seen)
                log(f"append visible after {fmt_seconds(seen)}")
                time.sleep(0.3)
    return {
        "runs_s": [round(d, 3) for d in delays],
        "median_s": round(median(delays), 3) if delays else None,
        "not_seen_within_30s": misses,
        "session_bytes": transcript.stat().st_size,
    }


# ---------------------------------------------------------------------------------------------
# ccusage


def ccusage_phase(history: Path, ccu_dir: Path, reps: int) -> dict[str, Any]:
    runs = []
    totals: dict[str, Any] = {}
    for i in range(reps):
        run = run_ccusage(history, ccu_dir)
        runs.append(run.seconds)
        totals = run.totals
        log(f"ccusage {i + 1}/{reps}: {run.seconds:.2f} s")
    overhead = npx_overhead(ccu_dir)
    return {
        "command": f"npx ccusage@{CCUSAGE_VERSION} claude daily --offline --json",
        "version": ccusage_version(ccu_dir) or CCUSAGE_VERSION,
        "runs_s": [round(s, 3) for s in runs],
        "median_s": round(median(runs), 3),
        "npx_start_s": round(overhead, 3) if overhead is not None else None,
        "totals": totals_of(totals.get("totalCost"), totals, CCUSAGE_KEYS),
    }


# ---------------------------------------------------------------------------------------------
# targets and the report


def slowest(key: str, metric: str, stat: LatencyStat | None, limit: float) -> Target:
    value = stat.p95_ms if stat else None
    shown = f"{stat.p95_ms:.1f} ms (`{stat.name}`)" if stat else ""
    return Target(key, metric, value, limit, " ms", shown=shown)


def targets(results: Mapping[str, Any]) -> list[Target]:
    cold, warm, serve = results["cold"], results["warm"], results["serve"]
    conc = serve["concurrency"]
    stats: list[LatencyStat] = serve["stats"]
    api, page = worst(stats, "api"), worst(stats, "page")
    ccu = results.get("ccusage")
    ratio = cold["median_s"] / ccu["median_s"] if ccu else None
    n_api = sum(1 for s in stats if s.kind == "api")
    n_page = sum(1 for s in stats if s.kind == "page")
    return [
        Target(
            "cold_vs_ccusage",
            "Cold index ÷ ccusage time",
            round(ratio, 2) if ratio is not None else None,
            3.0,
            "×",
            shown=(
                f"{ratio:.2f}× ({fmt_seconds(cold['median_s'])} vs {fmt_seconds(ccu['median_s'])})"
                if ccu and ratio is not None
                else "not measured"
            ),
        ),
        Target(
            "cold_throughput",
            "Cold index throughput",
            cold["throughput_mb_s"],
            150.0,
            " MB/s",
            higher_is_better=True,
            shown=f"{cold['throughput_mb_s']:.0f} MB/s ({fmt_seconds(cold['median_s'])})",
        ),
        Target(
            "warm_ready",
            "Warm restart, start to ready",
            warm["median_s"],
            1.0,
            " s",
            shown=fmt_seconds(warm["median_s"]),
        ),
        slowest("api_p95", f"API p95, slowest of {n_api} requests", api, 50.0),
        slowest("page_p95", f"Page p95, slowest of {n_page} pages", page, 150.0),
        Target(
            "cold_rss",
            "Peak memory (RSS), cold index",
            cold["peak_rss_mib_max"],
            1024.0,
            " MiB",
            shown=f"{cold['peak_rss_mib_max']:,.0f} MiB",
        ),
        Target(
            "concurrent_errors",
            f"{conc['clients']} clients × {conc['duration_s']:.0f} s: errors",
            float(conc["errors"]),
            0.0,
            "",
            shown=f"{conc['errors']} of {conc['requests']:,} requests",
        ),
        Target(
            "concurrent_p95",
            f"{conc['clients']} clients × {conc['duration_s']:.0f} s: p95",
            conc["p95_ms"],
            250.0,
            " ms",
            shown=(
                f"{conc['p95_ms']:.0f} ms (p50 {conc['p50_ms']:.0f}, max {conc['max_ms']:.0f}; "
                f"{conc['throughput_rps']:.0f} req/s)"
            ),
        ),
    ]


def build_report(results: Mapping[str, Any], checks: Sequence[Target]) -> Report:
    hist, cold, warm, serve = (
        results["history"],
        results["cold"],
        results["warm"],
        results["serve"],
    )
    stats: list[LatencyStat] = serve["stats"]
    by_key = {t.key: t for t in checks}
    rows = [
        Row(
            "History",
            f"{hist['mb']:,.0f} MB, {hist['files']:,} files, {hist['projects']} projects",
        ),
        target_row(by_key["cold_vs_ccusage"]),
        target_row(by_key["cold_throughput"]),
        target_row(by_key["warm_ready"]),
        target_row(by_key["api_p95"]),
        Row(
            "API p50, median of all requests",
            f"{median([s.p50_ms for s in stats if s.kind == 'api']):.1f} ms",
        ),
        target_row(by_key["page_p95"]),
        Row(
            "Page p50, median of all pages",
            f"{median([s.p50_ms for s in stats if s.kind == 'page']):.1f} ms",
        ),
        Row(
            "Appended line visible in the API",
            fmt_seconds(results["append"]["median_s"]),
        ),
        target_row(by_key["cold_rss"]),
        Row("Peak memory (RSS), serving", f"{serve['peak_rss_mib']:,.0f} MiB"),
        target_row(by_key["concurrent_errors"]),
        target_row(by_key["concurrent_p95"]),
    ]
    ccu = results.get("ccusage")
    if ccu:
        ours, theirs = serve["totals"], ccu["totals"]
        rows.append(
            Row(
                "ccusage `claude daily`, same files",
                f"{fmt_seconds(ccu['median_s'])} (npx start alone "
                f"{fmt_seconds(ccu['npx_start_s'])})",
            )
        )
        rows.append(
            Row(
                "Total cost / tokens: cctracer vs ccusage",
                f"${ours['cost']:,.2f} / {ours['total_tokens'] / 1e9:.3f} B vs "
                f"${theirs['cost']:,.2f} / {theirs['total_tokens'] / 1e9:.3f} B",
            )
        )
    notes = [
        f"Medians of {results['reps']} runs; latency from {results['requests']} sequential "
        "keep-alive requests per URL after 2 warm-up requests, with the index warm.",
        f"Cold index: from process start to /health ready on an empty cache "
        f"(runs: {', '.join(f'{s:.2f}' for s in cold['runs_s'])} s); the transcripts are "
        "in the page cache for both tools. Index on disk: "
        f"{cold['index_file_mib']:,.0f} MiB.",
        f"Warm restart runs: {', '.join(f'{s:.3f}' for s in warm['runs_s'])} s. The server "
        f"answers HTTP after {fmt_seconds(warm['listening_median_s'])} (warm) and "
        f"{fmt_seconds(cold['listening_median_s'])} (cold), then indexes.",
        "Memory is the summed RSS of the server and its worker processes, sampled every 25 ms.",
    ]
    notes += [f"Not measured: {s}" for s in serve["skipped"]]
    return Report(rows=rows, latencies=stats, notes=notes)


def meta_lines(results: Mapping[str, Any]) -> list[str]:
    m = results["machine"]
    commit = (m["git_commit"][:12] or "unknown") + (" (modified tree)" if m["git_dirty"] else "")
    return [
        f"{m['date']} · {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), {m['ram_gib']} GiB · "
        f"Python {m['python']} · DuckDB {m['duckdb']} · cctracer {m['cctracer']} at {commit} · "
        f"node {m['node'] or 'n/a'} · load average at start "
        f"{' / '.join(f'{x:.2f}' for x in m['load_avg'])}",
    ]


def write_results(out: Path, results: dict[str, Any], markdown: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    data = {k: v for k, v in results.items() if k != "serve"}
    data["serve"] = {k: v for k, v in results["serve"].items() if k != "stats"}
    text = json.dumps(data, indent=2, default=str) + "\n"
    written = []
    for name in ("latest", stamp):
        (out / f"{name}.json").write_text(text, encoding="utf-8")
        (out / f"{name}.md").write_text(markdown, encoding="utf-8")
        written += [out / f"{name}.json", out / f"{name}.md"]
    return written


# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def workspace() -> Iterator[Workspace]:
    root = Path(tempfile.mkdtemp(prefix="cctracer-bench-"))
    try:
        yield Workspace(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with workspace() as ws:
        history = ensure_history(args, ws.root)
        stats = history_stats(history)
        log(f"history {history}: {stats['mb']:,.1f} MB in {stats['files']:,} files")
        results: dict[str, Any] = {
            "machine": machine_info(),
            "history": stats,
            "reps": args.reps,
            "requests": args.requests,
            "tiny": args.tiny,
        }
        warm_page_cache(history)
        ws.prime(history, args.ready_timeout)
        cold, warm, cache = measure_starts(ws, history, stats, args.reps, args.ready_timeout)
        results["cold"], results["warm"] = cold, warm
        if args.skip_ccusage:
            results["ccusage"] = None
        else:
            results["ccusage"] = ccusage_phase(history, args.ccusage_dir, args.reps)
        serve = serve_phase(ws, history, cache, args)
        results["serve"] = serve
        log("append latency (a copy of the largest session, watching on)")
        results["append"] = append_phase(ws, history, serve["ids"]["main"], args.ready_timeout)
        return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        results = run(args)
    except (HarnessError, subprocess.CalledProcessError, httpx.HTTPError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    checks = targets(results)
    results["targets"] = [t.as_dict() for t in checks]
    report = build_report(results, checks)
    title = "cctracer benchmark" + (" (tiny history)" if args.tiny else "")
    markdown = render_markdown(report, title, meta_lines(results))
    written = write_results(args.out, results, markdown)
    print(render_table(report.rows))
    failed = [t.metric for t in checks if t.passed is False]
    print(
        f"\n{len(checks) - len(failed)} of {len(checks)} targets met"
        + (f"; missed: {', '.join(failed)}" if failed else "")
    )
    print("written: " + ", ".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
