"""What one running app owns: the index, the prices, the indexer loop and the event broker."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

from claude_code_tracer.config import Settings
from claude_code_tracer.index.fulltext import FullText
from claude_code_tracer.index.models.system import DataDir
from claude_code_tracer.index.schema import Database
from claude_code_tracer.ingest.fulltext import SearchSync
from claude_code_tracer.ingest.sync import (
    Cancelled,
    Indexer,
    IndexStatus,
    Progress,
    SyncReport,
)
from claude_code_tracer.live import Broker, Watcher
from claude_code_tracer.pricing import PriceBook

log = logging.getLogger(__name__)

WATCHED_SAFETY_POLL_S = 30.0  # with a working watcher, still look every so often
PRICE_CHECK_S = 3600.0


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        progress: Progress | None = None,
        pool: ProcessPoolExecutor | None = None,
    ) -> None:
        self.settings = settings
        self.db = Database(settings.db_path)
        self.prices = PriceBook(
            cache_path=settings.pricing_cache_path,
            url=settings.pricing_url,
            offline=settings.offline,
            max_age_s=settings.pricing_max_age_s,
        )
        self.stop_event = threading.Event()  # also stops a sync between two batches
        self.indexer = Indexer(
            self.db,
            settings.claude_dirs,
            self.prices,
            workers=settings.workers,
            cancel=self.stop_event,
            pool=pool,
        )
        self.indexer.listeners.append(self._announce)
        self.fulltext = FullText(settings.search_dir)
        self.search = SearchSync(self.db, self.fulltext, self.stop_event, workers=settings.workers)
        self.search_wanted = threading.Event()  # the index changed: the search index follows
        self.broker = Broker()
        self.progress = progress
        self.changed = threading.Event()
        self.ready = threading.Event()
        self.watcher: Watcher | None = None
        self.check_wanted = threading.Event()
        self.generation = 0  # bumped whenever the index changes: cached answers expire
        # what time it is, for what depends on it (the active block); tests set their own
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._threads: list[threading.Thread] = []

    @property
    def status(self) -> IndexStatus:
        return self.indexer.status

    # -- lifecycle ----------------------------------------------------------------------------

    def data_dirs(self) -> list[DataDir]:
        """The data directories read, each with whether it holds a `projects/` folder."""
        return [
            DataDir(path=str(p), exists=(p / "projects").is_dir())
            for p in self.settings.claude_dirs
        ]

    def start(self) -> None:
        loop = threading.Thread(target=self._index_loop, name="cctracer-index", daemon=True)
        self._threads.append(loop)
        loop.start()
        search = threading.Thread(target=self._search_loop, name="cctracer-search", daemon=True)
        self._threads.append(search)
        search.start()
        if not self.settings.offline:
            prices = threading.Thread(target=self._price_loop, name="cctracer-prices", daemon=True)
            self._threads.append(prices)
            prices.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.changed.set()
        self.search_wanted.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self.watcher is not None:
            self.watcher.join(timeout=5)
        self.indexer.release_pool()
        self.fulltext.close()
        self.db.close()

    def request_check(self) -> None:
        """Ask the index loop to read the whole index (a query met a damaged block)."""
        self.check_wanted.set()
        self.changed.set()

    def check_index(self) -> bool:
        """Read the whole index; if it is damaged, rebuild it from the transcripts."""
        if self.db.verify():
            return True
        if self.stop_event.is_set():
            return False
        self.db.recreate()
        try:
            self.indexer.sync(self.progress)
        except Cancelled:
            return False
        except Exception:
            log.exception("rebuilding the index failed")
        self.invalidate()
        return False

    def invalidate(self) -> None:
        """Forget every cached answer (the next request of each computes it again)."""
        self.generation += 1

    def sync_now(self) -> SyncReport:
        report = self.indexer.sync(self.progress)
        self.ready.set()
        return report

    # -- loops --------------------------------------------------------------------------------

    def _index_loop(self) -> None:
        try:
            self.sync_now()
        except Cancelled:
            return
        except Exception:
            log.exception("initial index failed")
        self.indexer.checkpoint()
        self.check_index()
        if not self.settings.watch:
            return
        self.watcher = Watcher(self.settings.claude_dirs, self.changed, self.stop_event)
        self.watcher.start()
        while not self.stop_event.is_set():
            watching = self.watcher.active.is_set() and not self.watcher.failed.is_set()
            timeout = WATCHED_SAFETY_POLL_S if watching else self.settings.poll_interval_s
            self.changed.wait(timeout)
            if self.stop_event.is_set():
                return
            self.changed.clear()
            if self.check_wanted.is_set():
                self.check_wanted.clear()
                self.check_index()
            try:
                self.indexer.sync()
            except Cancelled:
                return
            except Exception:
                log.exception("index update failed")
                time.sleep(1.0)

    def _search_loop(self) -> None:
        """The search index follows the index: once it is ready, then after every change."""
        while not self.ready.wait(0.25):
            if self.stop_event.is_set():
                return
        self.search_wanted.set()
        while not self.stop_event.is_set():
            self.search_wanted.wait()
            self.search_wanted.clear()
            if self.stop_event.is_set():
                return
            try:
                self.search.sync()
            except Exception:
                log.exception("search index update failed")
                self.stop_event.wait(1.0)

    def _price_loop(self) -> None:
        self.ready.wait()
        while not self.stop_event.is_set():
            try:
                if self.prices.refresh():
                    self.indexer.reprice()
                    self.invalidate()
                    self.broker.publish(self._event("prices", [], [], []))
            except Exception:
                log.exception("price refresh failed")
            self.stop_event.wait(PRICE_CHECK_S)

    # -- events -------------------------------------------------------------------------------

    @staticmethod
    def _event(
        kind: str,
        projects: list[str],
        sessions: list[dict[str, str]],
        agents: list[dict[str, str]],
    ) -> dict[str, Any]:
        return {
            "type": kind,
            "projects": projects,
            "sessions": sessions,
            "agents": agents,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }

    def _announce(self, report: SyncReport) -> None:
        if not report.changed:
            return
        self.search_wanted.set()
        self.invalidate()
        projects = sorted({p for p, _ in report.touched})
        sessions = [{"project": p, "session": s} for p, s in sorted(set(report.touched))]
        agents = [
            {"project": p, "session": s, "agent": a} for p, s, a in sorted(set(report.agents))
        ]
        with contextlib.suppress(Exception):
            self.broker.publish(self._event("change", projects, sessions, agents))
