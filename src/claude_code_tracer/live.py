"""Following running sessions: file watching (with a polling fallback) and change events.

The watcher only signals that something under a data directory changed; the indexer decides
what by size and mtime. Events go to every open server-sent-events stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

QUEUE_SIZE = 256


class Broker:
    """Fan-out of events from worker threads to asyncio subscribers."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        with self._lock:
            self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._subscribers.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, event: dict[str, Any]) -> None:
        """Thread-safe; a subscriber that does not keep up loses the oldest events."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with self._lock:
            queues = list(self._subscribers)
        for queue in queues:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_offer, queue, event)


def _offer(queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
    if queue.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(event)


class Watcher(threading.Thread):
    """Sets `changed` whenever a transcript under the roots is created, grows or goes away.

    Uses watchfiles (inotify and friends); if that cannot start or fails later (too many
    files, unsupported file system), `failed` is set and the caller polls instead.
    """

    def __init__(self, roots: Iterable[Path], changed: threading.Event, stop: threading.Event):
        super().__init__(name="cctracer-watch", daemon=True)
        self.roots = [r / "projects" for r in roots if (r / "projects").is_dir()]
        self.changed = changed
        self.stop_event = stop
        self.failed = threading.Event()
        self.active = threading.Event()

    def run(self) -> None:
        if not self.roots:
            self.failed.set()
            return
        try:
            from watchfiles import watch

            for batch in watch(
                *self.roots,
                stop_event=self.stop_event,
                watch_filter=_is_transcript_change,
                debounce=50,
                step=25,
                yield_on_timeout=True,
                rust_timeout=1000,
                raise_interrupt=False,
            ):
                self.active.set()
                if batch:
                    self.changed.set()
        except Exception as exc:  # the watcher is optional: polling takes over
            log.info("file watching unavailable (%s); polling instead", exc)
            self.failed.set()


def _is_transcript_change(_change: Any, path: str) -> bool:
    return path.endswith((".jsonl", ".meta.json")) or "." not in Path(path).name
