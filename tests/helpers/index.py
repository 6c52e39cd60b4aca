"""An index over some data directories, as the tests open it (the `make_index` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from claude_code_tracer.index.schema import Database
from claude_code_tracer.ingest.sync import Indexer, SyncReport
from claude_code_tracer.pricing import PriceBook


@dataclass
class Index:
    """A database, an offline price book and an indexer over some data directories."""

    db: Database
    prices: PriceBook
    indexer: Indexer

    def sync(self) -> SyncReport:
        return self.indexer.sync()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.db.reading() as cur:
            return cur.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list[Any] | None = None) -> Any:
        """The single value of a one-row, one-column query."""
        rows = self.rows(sql, params)
        assert len(rows) == 1, rows
        assert len(rows[0]) == 1, rows[0]
        return rows[0][0]

    def dicts(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self.db.reading() as cur:
            cur.execute(sql, params or [])
            names = [d[0] for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        self.db.close()


IndexFactory = Callable[..., Index]
