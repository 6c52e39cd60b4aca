"""Following running sessions: appended lines, new files, the event stream, session status."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from claude_code_tracer import live
from claude_code_tracer.demo.builder import ClaudeDir, Session, Usage
from claude_code_tracer.index.store import Store
from helpers.index import IndexFactory
from helpers.servers import LiveServer, live_server

CWD = "/home/dev/src/live-app"
U = Usage(input=4, output=40, cache_1h=400, cache_read=4000)


def started(claude_dir: ClaudeDir, sid: str = "live-session") -> Session:
    s = claude_dir.project(CWD).session(sid, start=datetime.now(UTC) - timedelta(minutes=3))
    s.prompt("start the live work")
    s.assistant("on it", usage=U)
    return s


def wait_for(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until `check()` holds; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"not seen within {timeout} s")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    def start(claude: ClaudeDir, **kw: Any) -> Any:
        return live_server(claude.root, tmp_path / "cache", **kw)

    yield start


def search_total(c: httpx.Client, project: str, sid: str, text: str) -> int:
    r = c.get(f"/api/sessions/{project}/{sid}/messages", params={"search": text})
    return int(r.json()["total"]) if r.status_code == 200 else -1


def test_appended_line_is_visible_through_the_api_within_a_second(
    claude_dir: ClaudeDir, serve: Callable[..., Any]
) -> None:
    s = started(claude_dir)
    project = s.project.path.name
    with serve(claude_dir) as server, server.client() as c:
        before = c.get(f"/api/sessions/{project}/{s.session_id}").json()
        assert before["tokens"]["output_tokens"] == 40
        s.prompt("and one more thing")
        s.assistant("the zebra-crossing answer", usage=U)
        seconds = wait_for(
            lambda: search_total(c, project, s.session_id, "zebra-crossing") == 1, 1.0
        )
        assert seconds < 1.0
        after = c.get(f"/api/sessions/{project}/{s.session_id}").json()
        assert after["tokens"]["output_tokens"] == 80
        assert after["message_count"] == before["message_count"] + 2


def test_new_session_file_appears_in_its_project_within_a_second(
    claude_dir: ClaudeDir, serve: Callable[..., Any]
) -> None:
    s = started(claude_dir)
    project = s.project.path.name
    with serve(claude_dir) as server, server.client() as c:
        assert c.get(f"/api/projects/{project}/sessions").json()["total"] == 1
        fresh = claude_dir.project(CWD).session("second-session", start=datetime.now(UTC))
        fresh.prompt("a brand new session")
        fresh.assistant("hello", usage=U)
        wait_for(lambda: c.get(f"/api/projects/{project}/sessions").json()["total"] == 2, 1.0)
        titles = {x["title"] for x in c.get(f"/api/projects/{project}/sessions").json()["sessions"]}
        assert titles == {"start the live work", "a brand new session"}


class EventReader(threading.Thread):
    """Reads the server-sent events stream into a queue."""

    def __init__(self, server: LiveServer) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.stop = threading.Event()

    def run(self) -> None:
        timeout = httpx.Timeout(10.0, read=None)
        try:
            with self.server.client(timeout=timeout) as c, c.stream("GET", "/api/events") as r:
                self.events.put(("content-type", {"value": r.headers["content-type"]}))
                kind = "message"
                for line in r.iter_lines():
                    if self.stop.is_set():
                        return
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        self.events.put((kind, orjson.loads(line[6:])))
        except httpx.HTTPError:
            if not self.stop.is_set():
                raise

    def next(self, kind: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind!r} event within {timeout} s")
            got, data = self.events.get(timeout=remaining)
            if got == kind:
                return data


def test_event_stream_announces_the_changed_project_session_and_agent(
    claude_dir: ClaudeDir, serve: Callable[..., Any]
) -> None:
    s = started(claude_dir)
    project = s.project.path.name
    with serve(claude_dir) as server:
        reader = EventReader(server)
        reader.start()
        assert reader.next("content-type", 5.0)["value"].startswith("text/event-stream")
        hello = reader.next("hello", 5.0)
        assert hello["state"] == "ready"
        s.prompt("spawn a helper")
        agent = s.spawn("Look around", "Find the config files", usage=U)
        agent.finish("found two", usage=U)
        event = reader.next("change", 2.0)
        assert event["projects"] == [project]
        assert {"project": project, "session": s.session_id} in event["sessions"]
        assert {
            "project": project,
            "session": s.session_id,
            "agent": agent.agent_id,
        } in event["agents"]
        reader.stop.set()


def test_half_written_last_line_is_read_once_complete_and_never_counted_bad(
    claude_dir: ClaudeDir, serve: Callable[..., Any]
) -> None:
    s = started(claude_dir)
    project = s.project.path.name
    line = s.envelope(s.last)
    line.update(
        {
            "type": "user",
            "message": {"role": "user", "content": "a line written in two halves"},
            "uuid": "half-written-line",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
    )
    raw = orjson.dumps(line) + b"\n"
    with serve(claude_dir) as server, server.client() as c:
        first_sync = c.get("/health").json()["index"]["last_sync"]
        s.write_raw(raw[:40])
        wait_for(lambda: c.get("/health").json()["index"]["last_sync"] != first_sync, 2.0)
        assert search_total(c, project, s.session_id, "two halves") == 0
        assert c.get("/health").json()["index"]["bad_lines"] == 0
        s.write_raw(raw[40:])
        wait_for(lambda: search_total(c, project, s.session_id, "two halves") == 1, 1.0)
        assert c.get("/health").json()["index"]["bad_lines"] == 0


def test_polling_takes_over_when_watching_is_not_possible(
    claude_dir: ClaudeDir, serve: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: live.Watcher) -> None:
        self.failed.set()

    monkeypatch.setattr(live.Watcher, "run", broken)
    s = started(claude_dir)
    project = s.project.path.name
    with serve(claude_dir, poll_interval_s=0.2) as server, server.client() as c:
        s.assistant("polled-in answer", usage=U)
        wait_for(lambda: search_total(c, project, s.session_id, "polled-in") == 1, 1.0)


def test_no_watch_leaves_the_index_as_it_was(
    claude_dir: ClaudeDir, serve: Callable[..., Any]
) -> None:
    s = started(claude_dir)
    project = s.project.path.name
    with serve(claude_dir, watch=False) as server, server.client() as c:
        s.assistant("unwatched answer", usage=U)
        time.sleep(1.2)
        assert search_total(c, project, s.session_id, "unwatched") == 0


STATUS_CASES = [
    # (seconds since the file last changed, how the session ends) -> status
    (3, "answer", "running"),
    (120, "prompt", "running"),
    (120, "tool_use", "running"),
    (120, "answer", "idle"),
    (1200, "prompt", "idle"),
    (7200, "prompt", "ended"),
    (7200, "answer", "ended"),
]


def status_of(
    claude_dir: ClaudeDir,
    make_index: IndexFactory,
    *,
    ending: str,
    entries_end: datetime,
    mtime: datetime,
    now: datetime,
) -> str:
    s = claude_dir.project(CWD).session("status-session", start=entries_end - timedelta(seconds=10))
    s.prompt("work", after=1.0)
    if ending == "answer":
        s.assistant("done", usage=U, stop_reason="end_turn", after=1.0)
    elif ending == "tool_use":
        s.assistant("running a command", usage=U, stop_reason="tool_use", after=1.0)
    os.utime(s.path, (mtime.timestamp(), mtime.timestamp()))
    index = make_index(claude_dir.root)
    with index.db.reading() as cur:
        return Store(cur, now=now).session(s.project.path.name, "status-session").status


@pytest.mark.parametrize(("age", "ending", "status"), STATUS_CASES)
def test_session_status_from_the_last_entry_and_the_file_age(
    claude_dir: ClaudeDir, make_index: IndexFactory, age: int, ending: str, status: str
) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    written = now - timedelta(seconds=age)
    assert (
        status_of(
            claude_dir, make_index, ending=ending, entries_end=written, mtime=written, now=now
        )
        == status
    )


def test_a_recently_touched_file_with_old_entries_is_not_running(
    claude_dir: ClaudeDir, make_index: IndexFactory
) -> None:
    """Copying or touching a transcript changes its mtime, not when Claude Code wrote it."""
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    old = now - timedelta(days=27)
    assert (
        status_of(claude_dir, make_index, ending="prompt", entries_end=old, mtime=now, now=now)
        == "ended"
    )
