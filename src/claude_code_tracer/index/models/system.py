"""Errors, API info and health: the answers about the app itself."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field

from claude_code_tracer.index.models.common import Model
from claude_code_tracer.index.models.search import SearchIndexState

IndexState = Literal["starting", "indexing", "ready", "error"]
INDEX_STATES: tuple[IndexState, ...] = get_args(IndexState)


class ErrorBody(Model):
    status: int = Field(description="HTTP status code")
    code: str = Field(description="machine-readable error code, e.g. not_found")
    message: str = Field(description="what went wrong, for people")
    details: list[dict[str, Any]] = Field(default_factory=list, description="invalid parameters")


class ErrorResponse(Model):
    """The one shape of every error answer."""

    error: ErrorBody


class ApiInfo(Model):
    name: str
    version: str
    docs: str
    dashboard: str
    health: str


class DataDir(Model):
    path: str
    exists: bool


class BadFile(Model):
    path: str
    bad_lines: int
    reasons: dict[str, int]


class IndexProgress(Model):
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


class IndexHealth(Model):
    state: IndexState
    ready: bool
    files: int
    lines: int
    bad_lines: int
    bad_files: list[BadFile]
    projects: int
    sessions: int
    last_sync: str | None
    last_sync_seconds: float | None
    progress: IndexProgress
    error: str | None = None


class Health(Model):
    status: Literal["ok", "indexing", "error"]
    version: str
    demo: bool
    data_dirs: list[DataDir]
    index: IndexHealth
    search: SearchIndexState
