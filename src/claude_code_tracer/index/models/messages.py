"""Message lists, filter options and full entries."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from claude_code_tracer.index.models.common import Model, NamedCount, Tokens, UtcDatetime
from claude_code_tracer.transcript.kinds import ENTRY_TYPES, KINDS, spelled


class ToolCallBrief(Model):
    tool_use_id: str
    name: str
    key_arg: str | None
    is_error: bool | None
    error_kind: str | None
    duration_ms: int | None
    has_result: bool
    subagent_id: str | None = None


class MessageSummary(Model):
    index: int = Field(description="position in the list's stable order, from 0")
    uuid: str
    parent_uuid: str | None
    entry_type: str = Field(description=spelled(ENTRY_TYPES))
    kind: str = Field(description=spelled(KINDS))
    subtype: str | None
    timestamp: UtcDatetime | None
    agent_id: str | None
    is_sidechain: bool
    is_meta: bool
    model: str | None
    text: str
    text_length: int
    text_truncated: bool
    thinking: str | None
    tool_names: list[str]
    tool_calls: list[ToolCallBrief]
    has_error: bool
    error_category: str | None
    tokens: Tokens | None
    cost: float | None
    line_count: int


class MessageList(Model):
    messages: list[MessageSummary]
    total: int
    page: int
    per_page: int
    pages: int


class FilterOptions(Model):
    total: int
    types: list[NamedCount]
    tools: list[NamedCount]
    models: list[NamedCount]
    errors: int


class ToolCallDetail(Model):
    tool_use_id: str
    name: str
    key_arg: str | None
    input: Any
    result: str | None
    result_truncated: bool
    result_uuid: str | None
    is_error: bool | None
    error_kind: str | None
    duration_ms: int | None
    tool_use_result: Any = None
    subagent_id: str | None = None


class MessageDetail(MessageSummary):
    session_id: str
    project_hash: str
    message_id: str | None
    request_id: str | None
    cwd: str | None
    git_branch: str | None
    version: str | None
    blocks: list[Any]
    tool_details: list[ToolCallDetail]
    tool_use_result: Any = None
    usage: dict[str, Any] | None
    source_available: bool
