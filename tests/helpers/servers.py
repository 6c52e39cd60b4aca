"""A real server for tests that need one: uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from claude_code_tracer.config import Settings
from claude_code_tracer.main import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings

    def client(self, timeout: httpx.Timeout | float = 10.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self.client() as c:
            while time.monotonic() < deadline:
                try:
                    if c.get("/health").json()["index"]["ready"]:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        raise TimeoutError("server never became ready")


@contextmanager
def live_server(
    claude_dir: Path, cache_dir: Path, *, watch: bool = True, poll_interval_s: float = 0.25
) -> Iterator[LiveServer]:
    """Serve `claude_dir` with its own index in `cache_dir`; stops cleanly on exit."""
    port = free_port()
    settings = Settings(
        claude_dirs=(claude_dir,),
        cache_dir=cache_dir,
        port=port,
        offline=True,
        watch=watch,
        poll_interval_s=poll_interval_s,
    )
    app = create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    live = LiveServer(url=f"http://127.0.0.1:{port}", settings=settings)
    try:
        live.wait_ready()
        yield live
    finally:
        app.state.runtime.stop_event.set()  # ends open event streams before the shutdown
        server.should_exit = True
        thread.join(timeout=15)
