"""Processes the benchmark drives: the cctracer server, its memory, and ccusage."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HEALTH_POLL_S = 0.020  # until the server answers (a refused connection costs it nothing)
READY_POLL_S = 0.100  # then: each poll is a request the indexing server must serve
RSS_POLL_S = 0.100


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class HarnessError(RuntimeError):
    """The benchmark itself could not run (not a missed target)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------
# memory of a process tree


def _stat_fields(stat: str) -> list[str]:
    """The fields of /proc/PID/stat after the command: state, ppid, ... ("pid (comm) state
    ppid ...": comm may hold spaces and parentheses)."""
    return stat.rsplit(")", 1)[1].split()


def _ppid(stat: str) -> int:
    return int(_stat_fields(stat)[1])


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from the ppid of every process in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as fh:
                ppid = _ppid(fh.read())
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    tree = [root]
    i = 0
    while i < len(tree):
        tree.extend(children.get(tree[i], ()))
        i += 1
    return tree


def vm_rss(pid: int) -> int:
    """Resident memory of one process in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    return 0


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU time of a process, of its children that have ended) in seconds; zeros once it is
    gone. A pool's processes count as children once the pool is shut down."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            fields = _stat_fields(fh.read())
    except (OSError, IndexError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    # after the command: state is field 0, utime 11, stime 12, cutime 13, cstime 14
    own = (int(fields[11]) + int(fields[12])) / tick
    return own, (int(fields[13]) + int(fields[14])) / tick


def tree_rss(root: int) -> int:
    return sum(vm_rss(pid) for pid in process_tree(root))


def _sample(target: Any, interval: float, peak: Any, stop: Any, ready: Any) -> None:
    ready.set()
    while not stop.is_set():
        pid = target.value
        if pid:
            total = tree_rss(pid)
            with peak.get_lock():
                peak.value = max(peak.value, total)
        stop.wait(interval)


class RssSampler:
    """Samples the summed RSS of a process tree every 100 ms and keeps the peak.

    The sampling runs in a process of its own, started before the process it watches, so it
    neither holds up the benchmark's clients nor slows the start it measures.
    """

    def __init__(self, interval: float = RSS_POLL_S) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._target = ctx.Value("q", 0)
        self._peak = ctx.Value("q", 0)
        self._stop = ctx.Event()
        self._ready = ctx.Event()
        self._proc = ctx.Process(
            target=_sample,
            args=(self._target, interval, self._peak, self._stop, self._ready),
            daemon=True,
        )

    def watch(self, pid: int) -> None:
        """Follow `pid` and its descendants from now on, with the peak reset."""
        with self._peak.get_lock():
            self._peak.value = 0
        self._target.value = pid

    @property
    def peak(self) -> int:
        return int(self._peak.value)

    def __enter__(self) -> RssSampler:
        self._proc.start()
        if not self._ready.wait(60.0):
            raise HarnessError("the memory sampler did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._proc.pid is not None:
            self._proc.join(5.0)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()


# ---------------------------------------------------------------------------------------------
# the server


def ready_time(last_sync: object, started_wall: float, seen: float) -> float:
    """Seconds from start to ready, from the server's ISO `last_sync` when it is usable."""
    if isinstance(last_sync, str):
        with contextlib.suppress(ValueError):
            at = datetime.fromisoformat(last_sync).timestamp() - started_wall
            if 0 < at <= seen:
                return at
    return seen


@dataclass
class Server:
    """One `cctracer` process on a free loopback port, with its own HOME and cache."""

    history: Path
    cache_home: Path
    home: Path
    log_path: Path
    watch: bool = False
    pycache: Path | None = None
    response_cache: bool = True
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    started_wall: float = 0.0  # time.time() at start, to read the server's ready timestamp
    listening: float | None = None  # seconds from start to the first answer of /health

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "claude_code_tracer.cli",
            "--no-browser",
            "--offline",
            "--port",
            str(self.port),
        ]
        if not self.watch:
            cmd.append("--no-watch")
        return cmd

    def env(self) -> dict[str, str]:
        drop = ("CLAUDE_DIR", "CLAUDE_CONFIG_DIR", "PYTHONDONTWRITEBYTECODE")
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("CCTRACER_") and k not in drop
        }
        if self.pycache is not None:
            # compiled modules kept apart from the tree, as an installed app has them
            env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        if not self.response_cache:
            env["CCTRACER_RESPONSE_CACHE"] = "0"
        env.update(
            CLAUDE_DIR=str(self.history),
            HOME=str(self.home),
            XDG_CACHE_HOME=str(self.cache_home),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.cache_home.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.started = time.perf_counter()
        self.started_wall = time.time()
        self.proc = subprocess.Popen(
            self.command(),
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise HarnessError("server not started")
        return self.proc.pid

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        return ""

    def wait_ready(self, timeout: float) -> float:
        """Seconds from process start until the index is ready.

        The moment is the server's own: /health reports when its last sync ended
        (`last_sync`), so polls can be sparse and the result still exact; where that time is
        missing or not after the start, the moment the poll saw it ready counts.
        """
        deadline = self.started + timeout
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise HarnessError(
                        f"cctracer exited with {self.proc.returncode} before it was ready:\n"
                        + self.log_tail()
                    )
                try:
                    response = client.get("/health")
                    if self.listening is None:
                        self.listening = time.perf_counter() - self.started
                    if response.status_code == 200:
                        body = response.json()
                        index = body.get("index", {})
                        if index.get("ready") is True:
                            seen = time.perf_counter() - self.started
                            return ready_time(index.get("last_sync"), self.started_wall, seen)
                        if index.get("state") == "error":
                            raise HarnessError(f"index error: {index.get('error')}")
                except (httpx.TransportError, ValueError):
                    pass
                if time.perf_counter() > deadline:
                    raise HarnessError(
                        f"cctracer not ready after {timeout:.0f} s:\n" + self.log_tail()
                    )
                time.sleep(HEALTH_POLL_S if self.listening is None else READY_POLL_S)

    def wait_search(self, timeout: float) -> float:
        """Seconds from process start until the search index has caught up with the index
        (it is built after the index is ready)."""
        deadline = time.perf_counter() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while True:
                try:
                    search = client.get("/health").json().get("search", {})
                    if search and not search.get("building", True):
                        return time.perf_counter() - self.started
                except (httpx.TransportError, ValueError):
                    pass
                if time.perf_counter() > deadline:
                    raise HarnessError(
                        f"search index not built after {timeout:.0f} s:\n" + self.log_tail()
                    )
                time.sleep(READY_POLL_S / 2)

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                continue
            break
        # the index pool's workers share the server's session: leave none behind
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# ccusage


CCUSAGE_VERSION = "20.0.24"


@dataclass
class CcusageRun:
    seconds: float
    totals: dict[str, Any]


DAILY_ARGS = ("claude", "daily", "--offline", "--json")


def ccusage_binary(ccu_dir: Path) -> Path | None:
    """ccusage's own executable in an npm install at `ccu_dir`: the native binary of this
    platform when the package ships one, else the `.bin` launcher. None when not installed."""
    modules = ccu_dir / "node_modules"
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = platform.system().lower()
    native = modules / "@ccusage" / f"ccusage-{system}-{arch}" / "bin" / "ccusage"
    if native.is_file():
        if not os.access(native, os.X_OK):  # npm leaves it to the launcher's first run
            with contextlib.suppress(OSError):
                native.chmod(native.stat().st_mode | 0o111)
        if os.access(native, os.X_OK):
            return native
    launcher = modules / ".bin" / "ccusage"
    return launcher if launcher.exists() else None


def install_ccusage(ccu_dir: Path) -> Path:
    """The pinned ccusage installed (once) into `ccu_dir`; its executable."""
    found = ccusage_binary(ccu_dir)
    if found is not None:
        return found
    npm = shutil.which("npm")
    if npm is None:
        raise HarnessError("npm not found: install Node.js, or pass --skip-ccusage")
    ccu_dir.mkdir(parents=True, exist_ok=True)
    log(f"installing ccusage {CCUSAGE_VERSION} into {ccu_dir} (once)")
    done = subprocess.run(
        [
            npm,
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(ccu_dir),
            f"ccusage@{CCUSAGE_VERSION}",
        ],
        capture_output=True,
        timeout=600,
        check=False,
    )
    found = ccusage_binary(ccu_dir)
    if done.returncode != 0 or found is None:
        raise HarnessError(
            f"npm install ccusage@{CCUSAGE_VERSION} failed: "
            f"{done.stderr.decode(errors='replace')[-1000:]}"
        )
    return found


def ccusage_command(ccu_dir: Path, *args: str) -> list[str]:
    """ccusage's binary with `args` (the daily report by default), without npx's start."""
    binary = ccusage_binary(ccu_dir)
    if binary is None:
        raise HarnessError(f"ccusage is not installed in {ccu_dir}: run without --skip-ccusage")
    return [str(binary), *(args or DAILY_ARGS)]


def ccusage_version(ccu_dir: Path) -> str | None:
    pkg = ccu_dir / "node_modules" / "ccusage" / "package.json"
    with contextlib.suppress(OSError, ValueError):
        version = json.loads(pkg.read_text(encoding="utf-8")).get("version")
        return str(version) if version else None
    return None


def run_ccusage(history: Path, ccu_dir: Path, timeout: float = 1800.0) -> CcusageRun:
    """ccusage's binary on `history`, timed from start to exit."""
    cmd = ccusage_command(ccu_dir)
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(history))
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise HarnessError(
            f"ccusage failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}"
        )
    try:
        body = json.loads(done.stdout)
    except ValueError as exc:
        raise HarnessError(f"ccusage printed no JSON: {done.stdout[:500]!r}") from exc
    totals = body.get("totals", {}) if isinstance(body, dict) else {}
    return CcusageRun(seconds, totals)


def npx_overhead(ccu_dir: Path) -> float | None:
    """Seconds `npx ccusage --version` takes from the same install: what npx and node add to
    every run started the usual way. Reported apart; the comparison times the binary."""
    npx = shutil.which("npx")
    if npx is None or ccusage_binary(ccu_dir) is None:
        return None
    started = time.perf_counter()
    done = subprocess.run(
        [npx, "--no-install", "ccusage", "--version"],
        cwd=ccu_dir,
        capture_output=True,
        timeout=300,
        check=False,
    )
    return time.perf_counter() - started if done.returncode == 0 else None
