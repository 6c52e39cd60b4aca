"""What a transcript line becomes: the normalized row shapes shared by parser and index.

The parser (`transcript.parser`) fills these tables row by row; the index (`index.schema`)
creates them from the same specs, so the two can never drift apart. Plain dataclasses: the
parser's worker processes import this module and nothing heavier. The values of the kind-like
columns are the enumerations of `transcript.kinds`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql: str  # DuckDB type


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _spec(name: str, *cols: tuple[str, str]) -> TableSpec:
    return TableSpec(name, tuple(Column(n, t) for n, t in cols))


# Columns every per-file fact carries: where it came from and whom it belongs to.
_OWNER = (
    ("file_id", "INTEGER"),
    ("line_no", "INTEGER"),
    ("project_hash", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("agent_id", "VARCHAR"),  # '' for the main thread
)

MESSAGES = _spec(
    "messages",
    *_OWNER,
    ("line_offsets", "BIGINT[]"),  # every line of a streamed group, head first
    ("line_lens", "INTEGER[]"),
    ("uuid", "VARCHAR"),
    ("uuids", "VARCHAR[]"),
    ("parent_uuid", "VARCHAR"),
    ("entry_type", "VARCHAR"),  # kinds.EntryType
    ("subtype", "VARCHAR"),
    ("kind", "VARCHAR"),  # kinds.Kind
    ("ts", "TIMESTAMP"),
    ("ts_end", "TIMESTAMP"),
    ("is_sidechain", "BOOLEAN"),
    ("is_meta", "BOOLEAN"),
    ("model", "VARCHAR"),
    ("message_id", "VARCHAR"),
    ("request_id", "VARCHAR"),
    ("text", "VARCHAR"),
    ("text_len", "INTEGER"),
    ("thinking", "VARCHAR"),
    ("tool_names", "VARCHAR[]"),
    ("has_error", "BOOLEAN"),
    ("error_category", "VARCHAR"),  # kinds.ErrorCategory
    ("prompt_hash", "VARCHAR"),
    ("usage_key", "VARCHAR"),
    ("seq", "INTEGER"),  # position in its stream's file order (the refresh fixes the rare rest)
)

USAGE = _spec(
    "usage",
    *_OWNER,
    ("message_uuid", "VARCHAR"),
    ("usage_key", "VARCHAR"),
    ("message_id", "VARCHAR"),
    ("model", "VARCHAR"),
    ("ts", "TIMESTAMP"),
    ("is_sidechain", "BOOLEAN"),
    ("input_tokens", "BIGINT"),
    ("output_tokens", "BIGINT"),
    ("cache_creation_tokens", "BIGINT"),
    ("cache_5m_tokens", "BIGINT"),
    ("cache_1h_tokens", "BIGINT"),
    ("cache_read_tokens", "BIGINT"),
    ("speed", "VARCHAR"),
    ("inference_geo", "VARCHAR"),
    ("service_tier", "VARCHAR"),
    ("web_search_requests", "INTEGER"),
    ("source", "VARCHAR"),  # kinds.UsageSource
    ("git_branch", "VARCHAR"),  # the line's gitBranch; NULL where it names none
)

TOOL_CALLS = _spec(
    "tool_calls",
    *_OWNER,
    ("message_uuid", "VARCHAR"),
    ("tool_use_id", "VARCHAR"),
    ("name", "VARCHAR"),
    ("key_arg", "VARCHAR"),
    ("input_json", "VARCHAR"),
    ("input_len", "INTEGER"),
    ("ts", "TIMESTAMP"),
    ("is_spawn", "BOOLEAN"),
    ("subagent_type", "VARCHAR"),
    ("description", "VARCHAR"),
    ("prompt_hash", "VARCHAR"),
    ("skill", "VARCHAR"),
    ("background", "BOOLEAN"),
)

TOOL_RESULTS = _spec(
    "tool_results",
    *_OWNER,
    ("message_uuid", "VARCHAR"),
    ("tool_use_id", "VARCHAR"),
    ("ts", "TIMESTAMP"),
    ("is_error", "BOOLEAN"),
    ("error_kind", "VARCHAR"),  # tool_error or rejected (kinds.ErrorCategory)
    ("content", "VARCHAR"),
    ("content_len", "INTEGER"),
    ("linked_agent_id", "VARCHAR"),
    ("total_tokens", "BIGINT"),
    ("total_duration_ms", "BIGINT"),
    ("total_tool_uses", "INTEGER"),
    ("is_async", "BOOLEAN"),
)

CODE_CHANGES = _spec(
    "code_changes",
    *_OWNER,
    ("message_uuid", "VARCHAR"),
    ("tool_use_id", "VARCHAR"),
    ("tool_name", "VARCHAR"),
    ("file_path", "VARCHAR"),
    ("change_type", "VARCHAR"),  # kinds.ChangeType
    ("lines_added", "INTEGER"),
    ("lines_removed", "INTEGER"),
    ("ts", "TIMESTAMP"),
)

COMMANDS = _spec(
    "commands",
    *_OWNER,
    ("message_uuid", "VARCHAR"),
    ("ts", "TIMESTAMP"),
    ("name", "VARCHAR"),
    ("args", "VARCHAR"),
    ("source", "VARCHAR"),  # kinds.CommandSource
)

ERRORS = _spec(
    "errors",
    *_OWNER,
    ("message_uuid", "VARCHAR"),
    ("ts", "TIMESTAMP"),
    ("category", "VARCHAR"),  # kinds.ErrorCategory
    ("message", "VARCHAR"),
    ("tool_name", "VARCHAR"),
    ("tool_use_id", "VARCHAR"),
    ("status", "INTEGER"),
)

COMPACTIONS = _spec(
    "compactions",
    *_OWNER,
    ("message_uuid", "VARCHAR"),
    ("ts", "TIMESTAMP"),
    ("trigger", "VARCHAR"),
    ("pre_tokens", "BIGINT"),
    ("post_tokens", "BIGINT"),
)

AGENT_LINKS = _spec(
    "agent_links",
    *_OWNER,
    ("linked_agent_id", "VARCHAR"),
    ("tool_use_id", "VARCHAR"),
    ("source", "VARCHAR"),  # progress, result, meta, prompt
)

SUMMARIES = _spec(
    "summaries",
    *_OWNER,
    ("summary", "VARCHAR"),
    ("leaf_uuid", "VARCHAR"),
)

# One row per transcript file: where it is, what was read, and its file-level facts.
FILES = _spec(
    "files",
    ("file_id", "INTEGER"),
    ("path", "VARCHAR"),
    ("root", "VARCHAR"),
    ("project_hash", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("agent_id", "VARCHAR"),
    ("kind", "VARCHAR"),  # kinds.FileKind
    ("size", "BIGINT"),
    ("mtime_ns", "BIGINT"),
    ("lines", "INTEGER"),
    ("entries", "INTEGER"),
    ("bad_lines", "INTEGER"),
    ("bad_reasons", "VARCHAR"),  # JSON object reason -> count
    ("bad_line_list", "VARCHAR"),  # JSON [[line number, reason], ...], the first 50
    # JSON object "entry:<type>" / "block:<type>" / "field:<name>" -> count
    ("unknown_types", "VARCHAR"),
    # JSON object kinds.CollapseKind -> [rows, input, output, cache write, cache read tokens]
    ("collapsed", "VARCHAR"),
    ("parsed_bytes", "BIGINT"),
    ("pending_bytes", "BIGINT"),
    ("cwd", "VARCHAR"),
    ("custom_title", "VARCHAR"),
    ("ai_title", "VARCHAR"),
    ("agent_name", "VARCHAR"),
    ("last_prompt", "VARCHAR"),
    ("versions", "VARCHAR[]"),
    ("git_branch", "VARCHAR"),
    ("first_ts", "TIMESTAMP"),
    ("last_ts", "TIMESTAMP"),
    ("line_session_id", "VARCHAR"),
    ("line_agent_id", "VARCHAR"),
    ("last_kind", "VARCHAR"),
    ("last_stop_reason", "VARCHAR"),
    ("agent_type", "VARCHAR"),
    ("agent_description", "VARCHAR"),
    ("agent_tool_use_id", "VARCHAR"),
    ("agent_parent_id", "VARCHAR"),
    ("indexed_at", "TIMESTAMP"),
)

FACT_TABLES: tuple[TableSpec, ...] = (
    MESSAGES,
    USAGE,
    TOOL_CALLS,
    TOOL_RESULTS,
    CODE_CHANGES,
    COMMANDS,
    ERRORS,
    COMPACTIONS,
    AGENT_LINKS,
    SUMMARIES,
)

MAIN_THREAD = ""  # the agent id of a session's main thread
