"""The usage-window gauge in every page's header: the active 5-hour block, worked out at most
once a minute per state of the index (it depends on both)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import duckdb

from claude_code_tracer.index.models.windows import Block
from claude_code_tracer.index.store import Store

if TYPE_CHECKING:
    from claude_code_tracer.runtime import Runtime

_lock = threading.Lock()
_cache: dict[int, tuple[tuple[int, int], Block | None]] = {}


def active_block(runtime: Runtime) -> Block | None:
    """The active block with the configured limits, or None (none, or the index unreadable)."""
    now = runtime.clock()
    key = (runtime.generation, int(now.timestamp() // 60))
    with _lock:
        hit = _cache.get(id(runtime))
        if hit is not None and hit[0] == key:
            return hit[1]
    settings = runtime.settings
    try:
        with runtime.db.reading() as cur:
            found = (
                Store(cur, now=now, prices=runtime.prices)
                .blocks(
                    active_only=True,
                    token_limit=settings.token_limit,
                    cost_limit=settings.cost_limit,
                )
                .active
            )
    except duckdb.Error:
        return None
    with _lock:
        _cache[id(runtime)] = (key, found)
    return found


def gauge_share(block: Block) -> tuple[float, str]:
    """How full the block is (0..1) and what that measures: the first limit in force, else
    the time gone."""
    for use in block.limits:
        return min(use.percent_used / 100, 1.0), f"{use.percent_used:.0f}% of the {use.kind} limit"
    elapsed = block.elapsed_minutes or 0
    return min(elapsed / 300, 1.0), "of the 5 hours gone"
