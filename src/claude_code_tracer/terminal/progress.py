"""Progress bars (rich) on a terminal: the indexing's, with one closing line elsewhere, and a
count of items done (`StepBar`, the OTLP export's sessions)."""

from __future__ import annotations

import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, ProgressColumn, TaskID

    from claude_code_tracer.ingest.sync import IndexStatus

REFRESH_S = 0.1


def rich_bar(out: IO[str], label: str, *columns: ProgressColumn) -> Progress:
    """A started bar on `out`: label, bar, percent, `columns`, time left; refreshed by hand."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        *columns,
        TimeRemainingColumn(),
        console=Console(file=out, force_terminal=True),
        auto_refresh=False,
    )
    progress.start()
    return progress


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
            from rich.progress import TextColumn

            self.progress = rich_bar(
                self.out,
                "indexing",
                TextColumn("{task.fields[files]}"),
                TextColumn("{task.fields[mb]}"),
            )
            self.task = self.progress.add_task("index", total=total, files="", mb="")
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


class StepBar:
    """Items done out of a total, with a line of detail, on a terminal; nothing elsewhere."""

    def __init__(self, out: IO[str], label: str, total: int) -> None:
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.last = 0.0
        if out.isatty() and total > 0:
            from rich.progress import TextColumn

            self.progress = rich_bar(out, label, TextColumn("{task.fields[detail]}"))
            self.task = self.progress.add_task(label, total=total, detail="")

    def update(self, done: int, detail: str) -> None:
        now = time.monotonic()
        if self.progress is None or self.task is None or now - self.last < REFRESH_S:
            return
        self.last = now
        self.progress.update(self.task, completed=done, detail=detail)
        self.progress.refresh()

    def close(self, done: int, detail: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done, detail=detail)
            self.progress.refresh()
            self.progress.stop()
            self.progress = None
