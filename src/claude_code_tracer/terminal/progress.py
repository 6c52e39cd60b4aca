"""The indexing progress bar (rich) on a terminal; one closing line elsewhere."""

from __future__ import annotations

import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from claude_code_tracer.ingest.sync import IndexStatus

REFRESH_S = 0.1


class ProgressBar:
    """Called with the index's status as it fills: a bar of bytes read, files and MB."""

    def __init__(self, out: IO[str], *, summary: bool = True) -> None:
        self.out = out
        self.summary = summary  # off a terminal: one closing line (the server) or nothing
        self.tty = out.isatty()
        self.last = 0.0
        self.done = False
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def _bar(self, total: int) -> tuple[Progress, TaskID]:
        if self.progress is None or self.task is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("indexing"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[files]}"),
                TextColumn("{task.fields[mb]}"),
                TimeRemainingColumn(),
                console=Console(file=self.out, force_terminal=True),
                auto_refresh=False,
            )
            self.task = self.progress.add_task("index", total=total, files="", mb="")
            self.progress.start()
        return self.progress, self.task

    def __call__(self, status: IndexStatus) -> None:
        if self.done or status.bytes_total < 1:
            return
        now = time.monotonic()
        finished = status.files_done >= status.files_total
        if not finished and now - self.last < REFRESH_S:
            return
        self.last = now
        if self.tty:
            progress, task = self._bar(status.bytes_total)
            progress.update(
                task,
                total=status.bytes_total,
                completed=min(status.bytes_done, status.bytes_total),
                files=f"{status.files_done}/{status.files_total} files",
                mb=f"{status.bytes_done / 1e6:,.0f}/{status.bytes_total / 1e6:,.0f} MB",
            )
            progress.refresh()
            if finished:
                progress.stop()
        elif finished and self.summary:
            self.out.write(
                f"indexed {status.files_total} files ({status.bytes_total / 1e6:,.1f} MB)\n"
            )
            self.out.flush()
        if finished:
            self.done = True
