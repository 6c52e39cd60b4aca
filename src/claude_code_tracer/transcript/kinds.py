"""Every enumeration the project uses, defined once.

Each is a `Literal` type (what mypy checks and the API documents) and the tuple of its values
taken from that type, so that the two cannot disagree. The API's parameters, the response
models' field descriptions, the pages' labels and filters and the parser's checks are all
built from these; the roll-up SQL spells the agent and file kinds it computes, and a test
keeps it to these lists.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# What one display entry is: the values of the `type` filter of message lists.
Kind = Literal["prompt", "assistant", "tool_result", "command", "subagent", "system", "error"]
KINDS: tuple[Kind, ...] = get_args(Kind)
KIND_LABELS: dict[Kind, str] = {
    "prompt": "Prompts",
    "assistant": "Assistant",
    "tool_result": "Tool results",
    "command": "Commands",
    "subagent": "Subagent spawns",
    "system": "System",
    "error": "Errors & interrupts",
}

# The `type` of a transcript line that becomes an entry.
EntryType = Literal["user", "assistant", "system", "attachment"]
ENTRY_TYPES: tuple[EntryType, ...] = get_args(EntryType)

ErrorCategory = Literal["tool_error", "rejected", "interrupt", "api_retry", "api_error"]
ERROR_CATEGORIES: tuple[ErrorCategory, ...] = get_args(ErrorCategory)

# Where a command was typed: a slash command in a prompt, a local command, `!cmd` (bash mode).
CommandSource = Literal["prompt", "local", "bash"]
COMMAND_SOURCES: tuple[CommandSource, ...] = get_args(CommandSource)

# What a subagent is (worked out by the roll-ups): a Task/Agent call's, a compaction call, an
# inline 1.0.x sidechain, a 2.0.x warmup, or a workflow run's.
AgentKind = Literal["task", "compact", "inline", "warmup", "workflow"]
AGENT_KINDS: tuple[AgentKind, ...] = get_args(AgentKind)

# What a transcript file is: a session's main file, a subagent's, a legacy flat agent file.
FileKind = Literal["session", "subagent", "legacy_agent"]
FILE_KINDS: tuple[FileKind, ...] = get_args(FileKind)

# Where a usage row was read (§6): a real assistant line, a copy inside a `progress` line (it
# counts only where no real line has its key), or a Task result's `toolUseResult.usage` (the
# final usage of the agent's last response: it corrects that response's output, or is that
# response where nothing else records it).
UsageSource = Literal["line", "progress", "task_result"]
# Key prefix of a Task result's usage row until the roll-ups match it to the response it ends.
TASK_KEY_PREFIX: Final = "task:"

# What a copy of a response that does not count was: another line of the same streamed
# response in one file (one line per content block, §7), a copy in another file (a resumed or
# forked session, a data directory read twice), a /btw sidechain replay of a main-thread
# response, a progress copy of a response a real line records, or a Task result whose output
# is no larger than the response it ends.
CollapseKind = Literal[
    "streamed_copy", "file_copy", "sidechain_replay", "progress_copy", "task_result"
]
COLLAPSE_KINDS: tuple[CollapseKind, ...] = get_args(CollapseKind)
# What a counted row not read from a real line is: a response known only from progress
# copies, an agent's last response whose output a Task result corrected, or one that only a
# Task result records.
RecoveryKind = Literal["progress_only", "corrected", "reconstructed"]
RECOVERY_KINDS: tuple[RecoveryKind, ...] = get_args(RecoveryKind)

# The usage reports (`cctracer report ...`, `/api/reports/...`): by local day, week (from a
# configurable first day) and month, by session, by project.
ReportKind = Literal["daily", "weekly", "monthly", "session", "project"]
REPORT_KINDS: tuple[ReportKind, ...] = get_args(ReportKind)
# A row of the prompt report: a prompt, a slash command, or what came before a session's first.
PromptKind = Literal["prompt", "command", "before_first_prompt"]
PROMPT_KINDS: tuple[PromptKind, ...] = get_args(PromptKind)
# How prompts are listed: in the order they were typed, or by cost, tokens, duration or
# responses (the most first, unless asked otherwise).
PromptSort = Literal["time", "cost", "tokens", "duration", "responses"]
PROMPT_SORTS: tuple[PromptSort, ...] = get_args(PromptSort)
# What a search hit is (`kind:` in a search): a prompt, an answer, thinking, a tool call's
# input, a tool result, a slash command or shell command, a session's title.
SearchKind = Literal["prompt", "answer", "thinking", "tool", "result", "command", "title"]
SEARCH_KINDS: tuple[SearchKind, ...] = get_args(SearchKind)
SEARCH_KIND_LABELS: dict[SearchKind, str] = {
    "prompt": "Prompt",
    "answer": "Answer",
    "thinking": "Thinking",
    "tool": "Tool call",
    "result": "Tool result",
    "command": "Command",
    "title": "Title",
}
# How search results are ordered: by relevance (recency breaks ties), or newest first.
SearchSort = Literal["relevance", "date"]
SEARCH_SORTS: tuple[SearchSort, ...] = get_args(SearchSort)
# The filters of a search (`name:value`): where, in what, by what, when, with what outcome.
SearchFilter = Literal[
    "project", "session", "tool", "kind", "model", "branch", "after", "before", "is"
]
SEARCH_FILTERS: tuple[SearchFilter, ...] = get_args(SearchFilter)
# What a prompt's cost came from: the main thread's tokens of each kind, or its subagents (all
# of their tokens); the largest is named in a line (`index.prompt_drivers`).
CostDriver = Literal["cache_read", "cache_write", "input", "output", "subagents"]
COST_DRIVERS: tuple[CostDriver, ...] = get_args(CostDriver)
COST_DRIVER_LABELS: dict[CostDriver, str] = {
    "cache_read": "cache reads",
    "cache_write": "cache writes",
    "input": "input",
    "output": "output",
    "subagents": "subagents",
}
# Days a week can start on, Monday first (Python's weekday numbers).
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)

# Model families: plans limit them apart (weekly totals), the dashboard colours them apart.
ModelFamily = Literal["opus", "sonnet", "haiku", "other"]
MODEL_FAMILIES: tuple[ModelFamily, ...] = get_args(ModelFamily)


def model_family(model: str | None) -> ModelFamily:
    """`claude-opus-4-6` -> `opus`; a model of none of the three families -> `other`."""
    name = (model or "").lower()
    for family in MODEL_FAMILIES[:-1]:
        if family in name:
            return family
    return "other"


# A usage window's limit: counted in tokens or in dollars; given, or the largest block seen.
LimitKind = Literal["tokens", "cost"]
LIMIT_KINDS: tuple[LimitKind, ...] = get_args(LimitKind)
# Where a projection stands against its limit (the warning starts at 80 %).
LimitStatus = Literal["ok", "warning", "exceeds"]
LIMIT_STATUSES: tuple[LimitStatus, ...] = get_args(LimitStatus)

ChangeType = Literal["create", "modify"]
CHANGE_TYPES: tuple[ChangeType, ...] = get_args(ChangeType)

# When Claude Code last wrote to a session (worked out by the read queries).
SessionStatus = Literal["running", "idle", "ended"]
SESSION_STATUSES: tuple[SessionStatus, ...] = get_args(SessionStatus)

# The model name of placeholder replies: API errors reported as replies, never priced.
SYNTHETIC_MODEL: Final = "<synthetic>"

# Tools whose call starts a subagent.
SPAWN_TOOLS: Final = frozenset({"Task", "Agent"})
# Tools whose result carries a `structuredPatch`: the parser counts their lines as code
# changes.
PATCH_TOOLS: Final = frozenset({"Edit", "Write", "MultiEdit"})
# Tools that edit a file, shown as a diff. NotebookEdit's results hold the notebook's cells,
# not a patch, so the parser records no code change for it.
EDIT_TOOLS: Final = PATCH_TOOLS | {"NotebookEdit"}


def spelled(values: tuple[str, ...]) -> str:
    """`a, b or c`: the values of an enumeration in a field description."""
    return f"{', '.join(values[:-1])} or {values[-1]}" if len(values) > 1 else "".join(values)


# Line types the format reference (§4, §4.9) knows that hold no fact the index keeps: the parser
# passes over them. A type it neither reads nor passes over is counted as unknown.
PASSED_ENTRY_TYPES: Final = frozenset(
    {
        "file-history-snapshot",
        "queue-operation",
        "agent-setting",
        "agent-color",
        "ended-by-model",
        "isolation-latch",
        "atis-latch",
        "attribution-snapshot",
        "content-replacement",
        "observer-ref",
        "mode",
        "permission-mode",
        "pr-link",
        "bridge-session",
        "worktree-state",
        "relocated",
        "frame-link",
        "fork-context-ref",
        "saved_hook_context",
        "turn_end",
    }
)
# Line types that carry the envelope of a conversation line (§3).
CONVERSATION_ENTRY_TYPES: Final = frozenset(
    {"user", "assistant", "system", "progress", "attachment"}
)
# Top-level fields of conversation lines the format reference knows (§3, §4.1-4.5, §13); any
# other field of such a line is counted as unknown ("field:<name>") and passed over.
KNOWN_LINE_FIELDS: Final = frozenset(
    {
        # envelope (§3)
        "type",
        "uuid",
        "parentUuid",
        "logicalParentUuid",
        "isSidechain",
        "agentId",
        "sessionId",
        "session_id",
        "timestamp",
        "cwd",
        "gitBranch",
        "version",
        "userType",
        "entrypoint",
        "slug",
        "teamName",
        "agentName",
        "sessionKind",
        "forkedFrom",
        "isMeta",
        # user lines
        "message",
        "toolUseResult",
        "sourceToolAssistantUUID",
        "sourceToolUseID",
        "promptId",
        "permissionMode",
        "thinkingMetadata",
        "todos",
        "isCompactSummary",
        "isVisibleInTranscriptOnly",
        "imagePasteIds",
        "planContent",
        "promptSource",
        "origin",
        "interruptedMessageId",
        "toolDenialKind",
        "mcpMeta",
        "queuePriority",
        # assistant lines
        "requestId",
        "isApiErrorMessage",
        "error",
        "apiErrorStatus",
        "errorDetails",
        "isAbortedMidStream",
        "effort",
        "attributionAgent",
        "attributionSkill",
        "attributionPlugin",
        "attributionMcpServer",
        "attributionMcpTool",
        "advisorModel",
        "costUSD",
        "durationMs",
        # system lines (§4.3)
        "subtype",
        "content",
        "level",
        "compactMetadata",
        "microcompactMetadata",
        "cause",
        "retryInMs",
        "retryAttempt",
        "maxRetries",
        "source",
        "hookCount",
        "hookInfos",
        "hookErrors",
        "preventedContinuation",
        "stopReason",
        "hasOutput",
        "toolUseID",
        "messageCount",
        "pendingBackgroundAgentCount",
        "pendingWorkflowCount",
        "url",
        "originalModel",
        "fallbackModel",
        "apiRefusalCategory",
        "choice",
        "persistedAsDefault",
        # progress (§4.4) and attachment (§4.5) lines
        "data",
        "parentToolUseID",
        "attachment",
    }
)
# Content block types of assistant lines the format reference knows (§5.1); others are counted.
ASSISTANT_BLOCK_TYPES: Final = frozenset(
    {
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "server_tool_use",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "advisor_tool_result",
    }
)


# The newest Claude Code version the format reference (and so the parser) covers; files
# written by a newer one are called out in the accuracy view.
NEWEST_KNOWN_VERSION: Final = "2.1.220"


def version_key(version: str) -> tuple[int, ...]:
    """`2.1.39` -> (2, 1, 39); parts that are not numbers count as 0."""
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))
