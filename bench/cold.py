"""Cold indexes of one history, with peak memory: the quick check while working on the indexer.

uv run python bench/cold.py HISTORY [--reps 1]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import MB, MIB
from procs import RssSampler, log
from run import history_stats, timed_start, warm_page_cache, workspace


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("history", type=Path)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800.0)
    a = ap.parse_args(argv)
    if not (a.history / "projects").is_dir():
        print(f"cold: {a.history} has no projects/", file=sys.stderr)
        return 1
    stats = history_stats(a.history)
    warm_page_cache(a.history)
    with workspace() as ws, RssSampler() as rss:
        ws.prime(a.history, a.timeout)
        for i in range(a.reps):
            run = timed_start(ws, rss, a.history, ws.cache(f"cold-{i}"), f"cold-{i}", a.timeout)
            log(
                f"{stats['mb']:,.0f} MB in {stats['files']:,} files: {run.seconds:.2f} s "
                f"({stats['bytes'] / MB / run.seconds:.0f} MB/s), peak RSS "
                f"{run.peak_rss / MIB:,.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
