"""The benchmark harness: its pure parts, and one short run on the demo history."""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench_module(name: str) -> ModuleType:
    """A module of bench/ (on pytest's `pythonpath`, see pyproject.toml)."""
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    return bench_module("harness")


@pytest.fixture(scope="module")
def procs() -> ModuleType:
    return bench_module("procs")


def test_ready_time_is_the_servers_own_moment_when_usable(procs: ModuleType) -> None:
    start = 1_790_000_000.0  # time.time() when the server was started
    at = "2026-09-21T14:13:24.250+00:00"  # = start + 4.25 s
    assert procs.ready_time(at, start, seen=4.4) == pytest.approx(4.25)
    assert procs.ready_time(at, start, seen=4.1) == 4.1  # later than seen: not this sync's end
    assert procs.ready_time(at, start + 10, seen=4.4) == 4.4  # before the start: an old sync
    assert procs.ready_time(None, start, seen=4.4) == 4.4
    assert procs.ready_time("not a time", start, seen=4.4) == 4.4


def test_percentile_interpolates_between_ranks(harness: ModuleType) -> None:
    values = [float(v) for v in range(1, 101)]
    assert harness.percentile(values, 0) == 1
    assert harness.percentile(values, 100) == 100
    assert harness.percentile(values, 50) == pytest.approx(50.5)
    assert harness.percentile(values, 95) == pytest.approx(95.05)
    assert harness.percentile([3.0, 1.0, 2.0], 50) == 2
    assert harness.percentile([7.0], 95) == 7
    assert harness.median([4.0, 1.0, 3.0, 2.0]) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        harness.percentile([], 50)
    with pytest.raises(ValueError):
        harness.percentile([1.0], 101)


def test_latency_stat_in_milliseconds(harness: ModuleType) -> None:
    stat = harness.latency_stat("/api", "/api", "api", [0.001, 0.002, 0.003], [200, 200], 10)
    assert stat.p50_ms == pytest.approx(2.0)
    assert stat.max_ms == pytest.approx(3.0)
    assert stat.ok
    assert not harness.latency_stat("/x", "/x", "api", [0.1], [500], 0).ok
    assert harness.latency_stat("/at", "/at", "page", [0.1], [303], 0).ok


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/health": {"get": {"responses": {"200": {"content": {"application/json": {}}}}}},
        "/api/events": {"get": {"responses": {"200": {"content": {"text/event-stream": {}}}}}},
        "/api/sessions/{path_hash}/{session_id}/messages/by-index/{idx}": {"get": {}},
        "/api/projects": {"get": {}, "post": {}},
        "/api/upload": {"post": {}},
        "/api/subagents/{path_hash}/{session_id}/{agent_id}": {"get": {}},
    },
}


def test_routes_from_openapi(harness: ModuleType) -> None:
    routes = harness.api_routes(OPENAPI)
    paths = [r.path for r in routes]
    assert paths == sorted(paths)
    assert "/api/upload" not in paths
    by_path = {r.path: r for r in routes}
    assert by_path["/api/events"].streaming
    assert not by_path["/health"].streaming
    by_index = by_path["/api/sessions/{path_hash}/{session_id}/messages/by-index/{idx}"]
    assert by_index.params == ("path_hash", "session_id", "idx")
    ids = {"path_hash": "-home-a b", "session_id": "s1", "idx": "7"}
    assert by_index.fill(ids) == "/api/sessions/-home-a%20b/s1/messages/by-index/7"
    assert by_path["/api/subagents/{path_hash}/{session_id}/{agent_id}"].fill(ids) is None
    assert by_path["/health"].fill({}) == "/health"


def test_with_query_drops_missing_values(harness: ModuleType) -> None:
    assert harness.with_query("/p") == "/p"
    assert harness.with_query("/p", {"a": 1, "b": None, "q": "x y"}) == "/p?a=1&q=x+y"


def test_targets_and_markdown(harness: ModuleType) -> None:
    slow = harness.Target("api", "API p95", 61.0, 50.0, " ms")
    fast = harness.Target("tp", "Throughput", 180.0, 150.0, " MB/s", higher_is_better=True)
    missing = harness.Target("ratio", "vs ccusage", None, 3.0, "×")
    assert (slow.passed, fast.passed, missing.passed) == (False, True, None)
    assert (slow.verdict, fast.verdict, missing.verdict) == ("FAIL", "PASS", "n/a")
    assert fast.target_text == "≥ 150 MB/s"
    assert slow.result_text == "61.0 ms"
    assert missing.result_text == "not measured"
    assert fast.as_dict()["pass"] is True

    stats = [
        harness.latency_stat("/a", "/a", "api", [0.010, 0.020], [200], 5),
        harness.latency_stat("/b|c", "/b", "api", [0.030, 0.040], [200], 5),
        harness.latency_stat("/", "/", "page", [0.100], [200], 5),
    ]
    assert harness.worst(stats, "api").name == "/b|c"
    assert harness.worst(stats, "nothing") is None
    report = harness.Report(
        rows=[harness.Row("History", "1,000 MB"), harness.target_row(slow)],
        latencies=stats,
        notes=["a note"],
    )
    table = harness.render_table(report.rows)
    lines = table.splitlines()
    assert lines[0] == "| Metric | Result | Target | |"
    assert lines[1] == "| --- | --- | --- | --- |"
    assert lines[3] == "| API p95 | 61.0 ms | ≤ 50.0 ms | FAIL |"
    assert all(line.count("|") == 5 for line in lines)
    markdown = harness.render_markdown(report, "Bench", ["machine"])
    assert markdown.startswith("# Bench\n\nmachine\n\n| Metric |")
    assert "- a note" in markdown
    assert "`/b\\|c`" in markdown


def test_fmt(harness: ModuleType) -> None:
    assert harness.fmt_num(0) == "0"
    assert harness.fmt_num(1234.5) == "1,234"
    assert harness.fmt_num(12.345) == "12.3"
    assert harness.fmt_num(1.5) == "1.50"
    assert harness.fmt_seconds(0.25) == "250 ms"
    assert harness.fmt_seconds(2.5) == "2.50 s"
    assert harness.fmt_seconds(None) == "not measured"


@pytest.mark.timeout(300)
def test_tiny_run(tmp_path: Path) -> None:
    """The whole benchmark on the demo history, briefly: it runs and writes its report."""
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCTRACER_")}
    cmd = [
        sys.executable,
        str(BENCH / "run.py"),
        "--tiny",
        "--reps",
        "1",
        "--requests",
        "2",
        "--duration",
        "1",
        "--out",
        str(out),
        "--history",
        str(tmp_path / "history"),
    ]
    if bench_module("procs").ccusage_binary(Path("/tmp/ccu")) is None:
        cmd.append("--skip-ccusage")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| Metric | Result | Target | |" in done.stdout
    data = json.loads((out / "latest.json").read_text())
    assert {t["key"] for t in data["targets"]} >= {"cold_throughput", "warm_ready", "api_p95"}
    # a few MB time the process start, not the index: throughput is shown, not judged
    throughput = next(t for t in data["targets"] if t["key"] == "cold_throughput")
    assert throughput["value"] is None and "not judged under 100 MB" in throughput["shown"]
    assert data["serve"]["concurrency"]["requests"] > 0
    assert data["append"]["median_s"] is not None
    kinds = {row["kind"] for row in data["serve"]["latency"]}
    assert kinds == {"api", "page"}
    assert all(row["ok"] for row in data["serve"]["latency"])
    assert (out / "latest.md").read_text().startswith("# cctracer benchmark")


def test_ccusage_is_timed_as_its_platform_binary(procs: ModuleType, tmp_path: Path) -> None:
    assert procs.ccusage_binary(tmp_path) is None
    with pytest.raises(procs.HarnessError, match="not installed"):
        procs.ccusage_command(tmp_path)
    launcher = tmp_path / "node_modules" / ".bin" / "ccusage"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\n")
    assert procs.ccusage_binary(tmp_path) == launcher
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    native = (
        (tmp_path / "node_modules" / "@ccusage" / f"ccusage-{platform.system().lower()}-{arch}")
        / "bin"
        / "ccusage"
    )
    native.parent.mkdir(parents=True)
    native.write_text("#!/bin/sh\n")
    native.chmod(0o644)  # as npm leaves it: the launcher makes it executable on first run
    assert procs.ccusage_binary(tmp_path) == native
    assert os.access(native, os.X_OK)
    assert procs.ccusage_command(tmp_path) == [
        str(native),
        "claude",
        "daily",
        "--offline",
        "--json",
    ]
    assert procs.ccusage_command(tmp_path, "claude", "blocks")[1:] == ["claude", "blocks"]


def test_small_files_are_runs_of_about_the_size_asked() -> None:
    small = bench_module("small_history")
    lines = [b"x" * 30 + b"\n"] * 10  # 31 bytes each
    pieces = small.chunks(lines, 100)
    assert [len(p) for p in pieces] == [4, 4, 2]
    assert [line for p in pieces for line in p] == lines


def scale_results(large_s: float, large_rss: float, small_s: float, ccu_s: float) -> Any:
    def part(mb: float, files: int, seconds: float, rss: float) -> dict[str, Any]:
        return {
            "history": {"mb": mb, "bytes": int(mb * 1024 * 1024), "files": files},
            "cold": {
                "median_s": seconds,
                "throughput_mb_s": mb / seconds,
                "peak_rss_mib_max": rss,
                "runs_s": [seconds],
                "index_file_mib": 1.0,
            },
        }

    small = part(1000.0, 20_000, small_s, 300.0)
    small["ccusage"] = {"median_s": ccu_s}
    return {
        "history": {"mb": 1000.0, "bytes": 1000 * 1024 * 1024},
        "cold": {"median_s": 4.0, "peak_rss_mib_max": 500.0},
        "scale": {"large": part(5000.0, 8000, large_s, large_rss), "small": small},
    }


def test_scale_targets_judge_growth_memory_and_small_files() -> None:
    run = bench_module("run")
    met = {t.key: t for t in run.scale_targets(scale_results(20.0, 900.0, 5.0, 2.0))}
    assert met["large_growth"].value == 5.0 and met["large_growth"].passed
    assert met["large_rss"].passed and "1.80× the 1 GB peak" in met["large_rss"].shown
    assert met["small_vs_ccusage"].value == 2.5 and met["small_vs_ccusage"].passed
    missed = {t.key: t for t in run.scale_targets(scale_results(23.0, 1100.0, 7.0, 2.0))}
    assert [missed[k].passed for k in ("large_growth", "large_rss", "small_vs_ccusage")] == [
        False,
        False,
        False,
    ]
    assert run.scale_targets({"history": {}, "cold": {}}) == []
