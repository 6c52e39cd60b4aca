"""Benchmark the real cctracer server on a large history, next to ccusage on the same files.

    uv run python bench/run.py [--history DIR] [--mb 1000] [--reps 3] [--out bench/results]
                               [--large-mb 5000] [--small-files 20000] [--small-kb 50]
                               [--scale-reps 2] [--tiny] [--skip-ccusage]

Measures cold index and warm restart (start to ready), the latency of every API endpoint and
page, how long an appended line takes to show, peak memory, 20 concurrent clients, and
ccusage's binary on the same directory. Then the scale runs: the cold index of a --large-mb
history (how time and memory grow from the main history) and of --small-files files of
--small-kb KB, each beside ccusage's binary on the same files. Writes latest.json and
latest.md to --out (and a timestamped copy of each to --out/history/, which the repository
ignores) and prints the table. Missed targets are reported, not raised: the exit code is
non-zero only when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
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
from uuid import uuid4

import httpx

from harness import (
    MB,
    MIB,
    LatencyStat,
    Report,
    Row,
    Target,
    fmt_seconds,
    median,
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
    cpu_seconds,
    install_ccusage,
    log,
    npx_overhead,
    run_ccusage,
)
from traffic import (
    JSON,
    SEARCH_ROUTES,
    concurrency,
    discover,
    get_json,
    measure_latency,
    page_routes,
    plan_probes,
)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEFAULT_HISTORY = Path("/tmp/cctracer-bench-history")
DEFAULT_CCU_DIR = Path("/tmp/ccu")
MAKE_CORPUS = SHARED / "bench" / "make_corpus.py"
SOURCE = SHARED / "corpus" / "claude"
APPEND_POLL_S = 0.010
APPENDS = 5
CLIENTS = 20
THROUGHPUT_MIN_MB = 100  # the throughput target is judged on histories at least this big


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
    parser.add_argument(
        "--large-mb", type=int, default=5000, help="size of the large history (0: skip)"
    )
    parser.add_argument(
        "--small-files", type=int, default=20_000, help="files of the small-files history (0: skip)"
    )
    parser.add_argument("--small-kb", type=int, default=50, help="size of each small file")
    parser.add_argument("--scale-reps", type=int, default=2, help="cold indexes per scale run")
    parser.add_argument("--ready-timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    args.requests = args.requests or (5 if args.tiny else 20)
    args.duration = args.duration if args.duration is not None else (3.0 if args.tiny else 30.0)
    if args.out is None:
        args.out = REPO / "bench" / "results" / ("tiny" if args.tiny else "")
    if args.tiny:
        args.large_mb = args.small_files = 0
    return args


def ensure_history(args: argparse.Namespace, work: Path) -> Path:
    """The history to measure: the one given, else built (demo data in --tiny mode)."""
    history: Path = args.history or (work / "history" if args.tiny else DEFAULT_HISTORY)
    if (history / "projects").is_dir():
        return history
    if args.tiny:
        from claude_code_tracer.demo.history import build_demo

        log(f"building the demo history in {history}")
        build_demo(history)
        return history
    return grow_history(history, args.mb)


def need_sources() -> None:
    if not (MAKE_CORPUS.is_file() and SOURCE.is_dir()):
        raise HarnessError(
            f"{SHARED} (bench/make_corpus.py and corpus/claude) is missing: pass --history DIR "
            "with a Claude data dir, or --tiny"
        )


def built(history: Path, build: Callable[[Path], object]) -> Path:
    """`history`, built once: into a `.partial` folder first, so a cut-off build is redone."""
    if (history / "projects").is_dir():
        return history
    need_sources()
    partial = history.with_name(history.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    build(partial)
    partial.rename(history)
    return history


def grow_history(history: Path, mb: int) -> Path:
    """A history of about `mb` MB cloned from the corpus by make_corpus.py (built once)."""

    def build(out: Path) -> None:
        log(f"building a {mb:,} MB history in {history} (once)")
        subprocess.run(
            [sys.executable, str(MAKE_CORPUS), str(SOURCE), str(out), "--mb", str(mb)],
            check=True,
            cwd=REPO,
        )

    return built(history, build)


def small_history(history: Path, files: int, kb: int) -> Path:
    """`files` transcripts of about `kb` KB each (built once, see small_history.py)."""

    def build(out: Path) -> None:
        log(f"building {files:,} files of {kb} KB in {history} (once)")
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("small_history.py")),
                str(out),
                "--files",
                str(files),
                "--kb",
                str(kb),
            ],
            check=True,
            cwd=REPO,
        )

    return built(history, build)


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

    def server(
        self,
        history: Path,
        cache: Path,
        name: str,
        *,
        watch: bool = False,
        response_cache: bool = True,
    ) -> Server:
        self.count += 1
        return Server(
            history=history,
            cache_home=cache,
            home=self.home,
            log_path=self.logs / f"{self.count:02d}-{name}.log",
            watch=watch,
            pycache=self.root / "pycache",
            response_cache=response_cache,
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


def measure_colds(
    ws: Workspace,
    rss: RssSampler,
    history: Path,
    reps: int,
    timeout: float,
    name: str,
    after_cold: Callable[[], object] | None = None,
) -> tuple[list[Start], Path]:
    """`reps` cold indexes of `history`, each on an empty cache; the last index is kept.
    `after_cold` runs after each one, so that what is compared with it meets the same machine."""
    keep = ws.cache(f"{name}-index")
    colds: list[Start] = []
    for i in range(reps):
        cache = ws.cache(f"{name}-{i}")
        run = timed_start(ws, rss, history, cache, f"{name}-{i}", timeout)
        colds.append(run)
        log(
            f"{name} index {i + 1}/{reps}: {run.seconds:.2f} s "
            f"(listening after {fmt_seconds(run.listening)}), "
            f"peak RSS {run.peak_rss / MIB:.0f} MiB"
        )
        if i == reps - 1:
            cache.rename(keep)
        else:
            shutil.rmtree(cache, ignore_errors=True)
        if after_cold is not None:
            after_cold()
    return colds, keep


def measure_starts(
    ws: Workspace,
    history: Path,
    stats: Mapping[str, Any],
    reps: int,
    timeout: float,
    after_cold: Callable[[], object] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """Cold indexes on empty caches, then warm restarts on the last one."""
    warms: list[Start] = []
    with RssSampler() as rss:
        colds, keep = measure_colds(ws, rss, history, reps, timeout, "cold", after_cold)
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


def scale_run(
    ws: Workspace,
    args: argparse.Namespace,
    history: Path,
    name: str,
) -> dict[str, Any]:
    """Cold indexes of one more history, each followed by ccusage's binary on the same files."""
    stats = history_stats(history)
    log(f"{name}: {history} ({stats['mb']:,.0f} MB in {stats['files']:,} files)")
    warm_page_cache(history)
    ccusage = None if args.skip_ccusage else Ccusage(history, args.ccusage_dir)
    with RssSampler() as rss:
        colds, keep = measure_colds(
            ws,
            rss,
            history,
            args.scale_reps,
            args.ready_timeout,
            name,
            after_cold=ccusage.once if ccusage else None,
        )
    cold = start_summary(colds)
    cold["throughput_mb_s"] = round(stats["bytes"] / MB / cold["median_s"], 1)
    cold["index_file_mib"] = round(dir_size(keep) / MIB, 1)
    shutil.rmtree(keep, ignore_errors=True)
    return {
        "history": stats,
        "cold": cold,
        "ccusage": ccusage.summary(npx=False) if ccusage else None,
    }


def scale_phase(ws: Workspace, args: argparse.Namespace) -> dict[str, Any]:
    """The large history and the many small files (each built once under /tmp)."""
    out: dict[str, Any] = {}
    if args.large_mb:
        large = grow_history(Path(f"/tmp/cctracer-bench-{args.large_mb}mb"), args.large_mb)
        out["large"] = scale_run(ws, args, large, "large")
    if args.small_files:
        small = small_history(
            Path(f"/tmp/cctracer-bench-{args.small_files}x{args.small_kb}kb"),
            args.small_files,
            args.small_kb,
        )
        out["small"] = scale_run(ws, args, small, "small")
    return out


def dir_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------
# serving: latency, concurrency, memory


REPORT_LIMIT_S = 0.5


def report_phase(ws: Workspace, history: Path, cache: Path, reps: int) -> dict[str, Any]:
    """`cctracer report daily --json` on the up-to-date index, from process start to exit."""
    env = ws.server(history, cache, "report").env()
    cmd = [sys.executable, "-m", "claude_code_tracer.cli", "report", "daily", "--json"]
    runs: list[float] = []
    totals: dict[str, Any] = {}
    for i in range(reps + 1):  # the first run compiles nothing new but settles the OS caches
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise HarnessError(f"report failed: {done.stderr.decode(errors='replace')[-2000:]}")
        totals = json.loads(done.stdout)["totals"]
        if i:
            runs.append(seconds)
            log(f"report daily {i}/{reps}: {seconds:.3f} s")
    return {
        "command": "cctracer report daily --json",
        "runs_s": [round(x, 3) for x in runs],
        "median_s": round(median(runs), 3),
        "totals": totals,
    }


def export_phase(ws: Workspace, history: Path, cache: Path, reps: int) -> dict[str, Any]:
    """`cctracer export parquet` of the up-to-date index into an empty folder, start to exit,
    and the size of what it wrote."""
    env = ws.server(history, cache, "export").env()
    runs: list[float] = []
    size = 0
    for i in range(reps):
        out = ws.root / f"export-{i}"
        cmd = [sys.executable, "-m", "claude_code_tracer.cli", "export", "parquet", str(out)]
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=1800, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise HarnessError(f"export failed: {done.stderr.decode(errors='replace')[-2000:]}")
        runs.append(seconds)
        size = dir_size(out)
        shutil.rmtree(out, ignore_errors=True)
        log(f"export parquet {i + 1}/{reps}: {seconds:.2f} s, {size / MIB:,.1f} MiB")
    return {
        "runs_s": [round(x, 3) for x in runs],
        "median_s": round(median(runs), 3),
        "bytes": size,
    }


def serve_phase(
    ws: Workspace,
    history: Path,
    cache: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Latency and concurrency as served (response cache on), then latency and concurrency
    with every answer computed afresh (cache off): the targets are judged on the latter."""
    with ws.server(history, cache, "serve") as server:
        server.wait_ready(args.ready_timeout)
        server.wait_search(args.ready_timeout)  # its build would load the machine meanwhile
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
            log(f"latency, cache on: {len(probes)} URLs x {args.requests} requests")
            cached = measure_latency(client, probes, args.requests)
            log(f"concurrency, cache on: {CLIENTS} clients for {args.duration:.0f} s")
            conc = concurrency(server.base_url, ids, CLIENTS, args.duration)
            totals = get_json(client, "/api/metrics/aggregate")
        peak = rss.peak
    with ws.server(history, cache, "serve-uncached", response_cache=False) as server:
        server.wait_ready(args.ready_timeout)
        server.wait_search(args.ready_timeout)
        with (
            RssSampler() as rss,
            httpx.Client(base_url=server.base_url, timeout=60.0) as client,
        ):
            rss.watch(server.pid)
            log(f"latency, cache off: {len(probes)} URLs x {args.requests} requests")
            stats = measure_latency(client, probes, args.requests)
            log(f"concurrency, cache off: {CLIENTS} clients for {args.duration:.0f} s")
            conc_uncached = concurrency(server.base_url, ids, CLIENTS, args.duration)
        peak = max(peak, rss.peak)
    return {
        "ids": {"main": ids.main, "agent": ids.agent, "messages": ids.total},
        "latency": [s.as_dict() for s in stats],
        "latency_cached": [s.as_dict() for s in cached],
        "stats": stats,
        "stats_cached": cached,
        "skipped": skipped,
        "concurrency": conc,
        "concurrency_uncached": conc_uncached,
        "peak_rss_mib": round(peak / MIB, 1),
        "totals": our_totals(totals),
    }


def search_phase(ws: Workspace, history: Path, cache: Path, timeout: float) -> dict[str, Any]:
    """The search index built from nothing beside an up-to-date index: the time from ready to
    built (what search adds to a cold index), its size and the memory it takes meanwhile."""
    search_dir = next(p.parent for p in cache.rglob("search/VERSION"))
    size = dir_size(search_dir)
    shutil.rmtree(search_dir)
    with RssSampler() as rss, ws.server(history, cache, "search-build") as server:
        rss.watch(server.pid)
        ready = server.wait_ready(timeout)
        own_at_ready, children_at_ready = cpu_seconds(server.pid)
        built = server.wait_search(timeout)
        own, children = cpu_seconds(server.pid)
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            documents = int(get_json(client, "/health")["search"]["documents"])
        peak = rss.peak
    log(f"search index: built {built - ready:.2f} s after ready, {size / MIB:,.0f} MiB")
    return {
        "build_s": round(built - ready, 3),
        "ready_s": round(ready, 3),
        "index_mib": round(size / MIB, 1),
        "documents": documents,
        "peak_rss_mib": round(peak / MIB, 1),
        # the engine's threads and what feeds them; the processes reading the transcripts again
        "server_cpu_s": round(own - own_at_ready, 2),
        "reading_cpu_s": round(children - children_at_ready, 2),
    }


def page_size() -> int:
    with contextlib.suppress(ImportError, AttributeError):
        from claude_code_tracer.web.pages import session

        return int(session.TIMELINE_PER_PAGE)
    return 100


SCALE_KEYS = ("large_growth", "large_rss", "small_vs_ccusage")
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


@dataclass
class Ccusage:
    """ccusage's binary on the same history, one run at a time, between the cold indexes."""

    history: Path
    ccu_dir: Path
    runs: list[float] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    def once(self) -> None:
        run = run_ccusage(self.history, self.ccu_dir)
        self.runs.append(run.seconds)
        self.totals = run.totals
        log(f"ccusage {len(self.runs)}: {run.seconds:.2f} s")

    def summary(self, npx: bool = True) -> dict[str, Any]:
        overhead = npx_overhead(self.ccu_dir) if npx else None
        return {
            "command": f"ccusage {CCUSAGE_VERSION} binary: claude daily --offline --json",
            "version": ccusage_version(self.ccu_dir) or CCUSAGE_VERSION,
            "runs_s": [round(s, 3) for s in self.runs],
            "median_s": round(median(self.runs), 3),
            "npx_start_s": round(overhead, 3) if overhead is not None else None,
            "totals": totals_of(self.totals.get("totalCost"), self.totals, CCUSAGE_KEYS),
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
    searches = [s for s in stats if s.name.startswith(SEARCH_ROUTES)]
    others = [s for s in stats if not s.name.startswith(SEARCH_ROUTES)]
    api, page = worst(others, "api"), worst(others, "page")
    search = results["search"]
    ccu = results.get("ccusage")
    n_api = sum(1 for s in others if s.kind == "api")
    n_page = sum(1 for s in others if s.kind == "page")
    judged = results["history"]["bytes"] >= THROUGHPUT_MIN_MB * MB
    return [
        vs_ccusage(
            "cold_vs_ccusage",
            "Cold index ÷ ccusage binary",
            cold["median_s"],
            ccu,
            2.5,
            unmeasured="not measured",
        ),
        Target(
            "cold_throughput",
            "Cold index throughput",
            # judged on a real history: on a few MB, starting the process is all there is
            cold["throughput_mb_s"] if judged else None,
            200.0,
            " MB/s",
            higher_is_better=True,
            shown=f"{cold['throughput_mb_s']:.0f} MB/s ({fmt_seconds(cold['median_s'])})"
            + ("" if judged else f", not judged under {THROUGHPUT_MIN_MB} MB"),
        ),
        Target(
            "warm_ready",
            "Warm restart, start to ready",
            warm["median_s"],
            1.0,
            " s",
            shown=fmt_seconds(warm["median_s"]),
        ),
        Target(
            "report_daily",
            "`cctracer report daily --json`, start to exit",
            results["report"]["median_s"],
            REPORT_LIMIT_S,
            " s",
            shown=f"{fmt_seconds(results['report']['median_s'])}"
            + (f" (ccusage binary: {fmt_seconds(ccu['median_s'])})" if ccu else ""),
        ),
        Target(
            "export_time",
            "`cctracer export parquet`, start to exit",
            results["export"]["median_s"],
            cold["median_s"],
            " s",
            shown=f"{fmt_seconds(results['export']['median_s'])} (the cold index: "
            f"{fmt_seconds(cold['median_s'])})",
        ),
        Target(
            "export_size",
            "Parquet export size ÷ transcripts",
            round(results["export"]["bytes"] / results["history"]["bytes"] * 100, 2),
            15.0,
            " %",
            shown=f"{results['export']['bytes'] / results['history']['bytes'] * 100:.1f} % "
            f"({results['export']['bytes'] / MIB:,.0f} MiB)",
        ),
        slowest("api_p95", f"API p95, slowest of {n_api} requests", api, 50.0),
        slowest(
            "search_p95",
            f"Search p95, slowest of {sum(1 for s in searches if s.kind == 'api')} queries",
            worst(searches, "api"),
            100.0,
        ),
        Target(
            "search_build",
            "Search index build ÷ cold index",
            round(search["build_s"] / cold["median_s"] * 100, 1),
            30.0,
            " %",
            shown=f"{search['build_s'] / cold['median_s'] * 100:.0f} % "
            f"({fmt_seconds(search['build_s'])} after ready; index {search['index_mib']:,.0f} "
            f"MiB, {search['documents']:,} documents)",
        ),
        slowest("page_p95", f"Page p95, slowest of {n_page} pages", page, 150.0),
        Target(
            "cold_rss",
            "Peak memory (RSS), cold index",
            cold["peak_rss_mib_max"] if judged else None,
            600.0,
            " MiB",
            shown=f"{cold['peak_rss_mib_max']:,.0f} MiB"
            + ("" if judged else f", not judged under {THROUGHPUT_MIN_MB} MB"),
        ),
        Target(
            "concurrent_errors",
            f"{conc['clients']} clients × {conc['planned_s']:g} s: errors",
            float(conc["errors"]),
            0.0,
            "",
            shown=f"{conc['errors']} of {conc['requests']:,} requests",
        ),
        Target(
            "concurrent_p95",
            f"{conc['clients']} clients × {conc['planned_s']:g} s: p95",
            conc["p95_ms"],
            250.0,
            " ms",
            shown=concurrency_text(conc),
        ),
        *scale_targets(results),
    ]


def vs_ccusage(
    key: str,
    metric: str,
    seconds: float,
    ccu: Mapping[str, Any] | None,
    limit: float,
    *,
    unmeasured: str,
) -> Target:
    """Our cold index time against ccusage's binary on the same files, measured in one run."""
    ratio = seconds / ccu["median_s"] if ccu else None
    return Target(
        key,
        metric,
        round(ratio, 2) if ratio is not None else None,
        limit,
        "×",
        shown=(
            f"{ratio:.2f}× ({fmt_seconds(seconds)} vs {fmt_seconds(ccu['median_s'])})"
            if ccu and ratio is not None
            else unmeasured
        ),
    )


def scale_targets(results: Mapping[str, Any]) -> list[Target]:
    """How the cold index grows to the large history, and the many small files vs ccusage."""
    scale = results.get("scale") or {}
    cold = results["cold"]
    out: list[Target] = []
    large = scale.get("large")
    if large:
        growth = large["cold"]["median_s"] / cold["median_s"]
        size = large["history"]["bytes"] / results["history"]["bytes"]
        out.append(
            Target(
                "large_growth",
                f"{large['history']['mb'] / 1000:,.0f} GB cold index ÷ "
                f"{results['history']['mb'] / 1000:,.0f} GB cold index",
                round(growth, 2),
                5.5,
                "×",
                shown=f"{growth:.2f}× for {size:.2f}× the bytes "
                f"({fmt_seconds(large['cold']['median_s'])}, "
                f"{large['cold']['throughput_mb_s']:.0f} MB/s)",
            )
        )
        out.append(
            Target(
                "large_rss",
                f"Peak memory (RSS), {large['history']['mb'] / 1000:,.0f} GB cold index",
                large["cold"]["peak_rss_mib_max"],
                1024.0,
                " MiB",
                shown=f"{large['cold']['peak_rss_mib_max']:,.0f} MiB "
                f"({large['cold']['peak_rss_mib_max'] / cold['peak_rss_mib_max']:.2f}× the "
                f"{results['history']['mb'] / 1000:,.0f} GB peak)",
            )
        )
    small = scale.get("small")
    if small:
        hist = small["history"]
        out.append(
            vs_ccusage(
                "small_vs_ccusage",
                f"{hist['files']:,} files of {hist['mb'] * 1000 / max(hist['files'], 1):.0f} KB: "
                "cold index ÷ ccusage binary",
                small["cold"]["median_s"],
                small.get("ccusage"),
                3.0,
                unmeasured=f"{fmt_seconds(small['cold']['median_s'])}, ccusage not measured",
            )
        )
    return out


def concurrency_text(conc: Mapping[str, Any]) -> str:
    return (
        f"{conc['p95_ms']:.0f} ms p95 (p50 {conc['p50_ms']:.0f}, max {conc['max_ms']:.0f}; "
        f"{conc['throughput_rps']:.0f} req/s, {conc['errors']} errors)"
    )


def worst_p95(stats: Sequence[LatencyStat], kind: str) -> float:
    found = worst(stats, kind)
    return found.p95_ms if found else 0.0


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
        target_row(by_key["report_daily"]),
        target_row(by_key["export_time"]),
        target_row(by_key["export_size"]),
        target_row(by_key["api_p95"]),
        Row(
            "API p50, median of all requests",
            f"{median([s.p50_ms for s in stats if s.kind == 'api']):.1f} ms",
        ),
        target_row(by_key["search_p95"]),
        target_row(by_key["search_build"]),
        Row(
            "Search page p95, slowest of the pages searched",
            f"{worst_p95([s for s in stats if s.name.startswith('/search')], 'page'):.1f} ms",
        ),
        Row(
            "Search index build, CPU time",
            f"{results['search']['server_cpu_s']:.1f} s in the server (the engine and what feeds "
            f"it), {results['search']['reading_cpu_s']:.1f} s reading the transcripts again",
        ),
        Row(
            "Peak memory (RSS), building the search index",
            f"{results['search']['peak_rss_mib']:,.0f} MiB",
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
        Row(
            f"{serve['concurrency_uncached']['clients']} clients × "
            f"{serve['concurrency_uncached']['planned_s']:g} s, response cache off",
            concurrency_text(serve["concurrency_uncached"]),
        ),
        Row(
            "API / page p95 as served (response cache on)",
            f"{worst_p95(serve['stats_cached'], 'api'):.1f} ms / "
            f"{worst_p95(serve['stats_cached'], 'page'):.1f} ms",
        ),
    ]
    ccu = results.get("ccusage")
    if ccu:
        ours, theirs = serve["totals"], ccu["totals"]
        rows.append(
            Row(
                "ccusage binary `claude daily`, same files",
                f"{fmt_seconds(ccu['median_s'])} (started by npx, add "
                f"{fmt_seconds(ccu['npx_start_s'])} of npx and node start)",
            )
        )
        rows.append(
            Row(
                "Total cost / tokens: cctracer vs ccusage",
                f"${ours['cost']:,.2f} / {ours['total_tokens'] / 1e9:.3f} B vs "
                f"${theirs['cost']:,.2f} / {theirs['total_tokens'] / 1e9:.3f} B",
            )
        )
    rows += [target_row(by_key[k]) for k in SCALE_KEYS if k in by_key]
    large = (results.get("scale") or {}).get("large")
    if large and large.get("ccusage"):
        rows.append(
            Row(
                f"ccusage binary on the {large['history']['mb'] / 1000:,.0f} GB history",
                f"{fmt_seconds(large['ccusage']['median_s'])} (cctracer "
                f"{large['cold']['median_s'] / large['ccusage']['median_s']:.2f}×)",
            )
        )
    notes = [
        f"Medians of {results['reps']} runs; latency from {results['requests']} sequential "
        "keep-alive requests per URL after 2 warm-up requests, with the index warm. API and "
        "page targets are judged with the response cache off (every answer computed afresh); "
        "the concurrency target as served (cache on), and the run with it off is shown too.",
        f"Cold index: from process start to ready on an empty cache, the moment the server "
        "reports in /health (`last_sync`, polled every 100 ms once it answers) "
        f"(runs: {', '.join(f'{s:.2f}' for s in cold['runs_s'])} s); the transcripts are "
        "in the page cache for both tools. Index on disk: "
        f"{cold['index_file_mib']:,.0f} MiB.",
        f"Warm restart runs: {', '.join(f'{s:.3f}' for s in warm['runs_s'])} s. The server "
        f"answers HTTP after {fmt_seconds(warm['listening_median_s'])} (warm) and "
        f"{fmt_seconds(cold['listening_median_s'])} (cold); indexing starts before the web "
        "stack loads.",
        "Memory is the summed RSS of the server and its worker processes, sampled every 100 ms.",
        "ccusage is timed as its own binary (the platform build its npm package ships), from "
        "start to exit, one run after each cold index; npx's start is reported apart.",
    ]
    scale = results.get("scale") or {}
    for name, label in (("large", "Large history"), ("small", "Small files")):
        if name in scale:
            part = scale[name]
            notes.append(
                f"{label}: {part['history']['mb']:,.0f} MB in {part['history']['files']:,} "
                f"files, {len(part['cold']['runs_s'])} cold indexes "
                f"({', '.join(f'{x:.2f}' for x in part['cold']['runs_s'])} s), index "
                f"{part['cold']['index_file_mib']:,.0f} MiB."
            )
    notes += [f"Not measured: {s}" for s in serve["skipped"]]
    return Report(rows=rows, latencies=stats, cached=serve["stats_cached"], notes=notes)


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
    """`latest.json` and `latest.md` in `out`, and a timestamped copy of each in
    `out/history/` (not kept in the repository: see .gitignore)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    data = {k: v for k, v in results.items() if k != "serve"}
    data["serve"] = {
        k: v for k, v in results["serve"].items() if k not in ("stats", "stats_cached")
    }
    text = json.dumps(data, indent=2, default=str) + "\n"
    written = []
    for folder, name in ((out, "latest"), (out / "history", stamp)):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(text, encoding="utf-8")
        (folder / f"{name}.md").write_text(markdown, encoding="utf-8")
        written += [folder / f"{name}.json", folder / f"{name}.md"]
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
        if not args.skip_ccusage:
            install_ccusage(args.ccusage_dir)
        ccusage = None if args.skip_ccusage else Ccusage(history, args.ccusage_dir)
        cold, warm, cache = measure_starts(
            ws,
            history,
            stats,
            args.reps,
            args.ready_timeout,
            after_cold=ccusage.once if ccusage else None,
        )
        results["cold"], results["warm"] = cold, warm
        results["ccusage"] = ccusage.summary() if ccusage else None
        log("terminal report on the up-to-date index")
        results["report"] = report_phase(ws, history, cache, args.reps)
        log("Parquet export of the up-to-date index")
        results["export"] = export_phase(ws, history, cache, args.reps)
        serve = serve_phase(ws, history, cache, args)
        results["serve"] = serve
        log("search index built from nothing")
        results["search"] = search_phase(ws, history, cache, args.ready_timeout)
        log("append latency (a copy of the largest session, watching on)")
        results["append"] = append_phase(ws, history, serve["ids"]["main"], args.ready_timeout)
        shutil.rmtree(cache, ignore_errors=True)
        results["scale"] = scale_phase(ws, args)
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
