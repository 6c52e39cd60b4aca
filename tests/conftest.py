"""Shared fixtures: an isolated environment, a Claude data directory, an index over it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from claude_code_tracer.demo.builder import ClaudeDir
from claude_code_tracer.index.schema import Database
from claude_code_tracer.ingest.sync import Indexer
from claude_code_tracer.pricing import PriceBook
from helpers.index import Index, IndexFactory


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """UTC, and HOME / XDG_CACHE_HOME / CLAUDE_DIR inside the test's tmp dir."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("CLAUDE_DIR", str(tmp_path / "claude"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.delenv("CCTRACER_OFFLINE", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def claude_dir(tmp_path: Path) -> ClaudeDir:
    """An empty Claude data directory at `tmp_path / "claude"` (the `CLAUDE_DIR`)."""
    return ClaudeDir(tmp_path / "claude", seed=1)


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[IndexFactory]:
    """`make_index(*roots, name="index", sync=True)`: an Index in the tmp cache dir."""
    opened: list[Index] = []
    cache = tmp_path / "xdg-cache" / "claude-code-tracer"

    def make(*roots: Path, name: str = "index", sync: bool = True, workers: int = 1) -> Index:
        db = Database(cache / f"{name}.duckdb")
        prices = PriceBook(
            cache_path=cache / "pricing.json", url="http://127.0.0.1:9/prices.json", offline=True
        )
        index = Index(db, prices, Indexer(db, tuple(roots), prices, workers=workers))
        opened.append(index)
        if sync:
            index.sync()
        return index

    yield make
    for index in opened:
        index.close()


@pytest.fixture
def index(claude_dir: ClaudeDir, make_index: IndexFactory) -> Callable[[], Index]:
    """Call after writing transcripts: the first call opens and syncs an index of
    `claude_dir`, later calls sync the same index again."""
    opened: list[Index] = []

    def get() -> Index:
        if not opened:
            opened.append(make_index(claude_dir.root))
        else:
            opened[0].sync()
        return opened[0]

    return get
