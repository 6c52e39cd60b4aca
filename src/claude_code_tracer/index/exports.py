"""The index's facts as flat tables: what `cctracer export` writes (Parquet, CSV) and what
`cctracer sql` queries, with one documented schema. Each table has a UTC `date` (its Parquet
partition) and the exporting machine's name. Rows are the ones the API counts: billed
responses once each, tool calls and errors and code changes once across copied files. The
index's own tables are named with their database (`{db}`, the index's catalog): `cctracer sql`
puts temporary views of the same names in front of them.

Schema 2 (from 1): `responses` has `uuid`, `message_id`, `prompt_uuid` and `start_time`;
`prompts` are the index's prompt facts (`kind`, slash commands too: the prompts a response
can belong to), each with its responses, tokens, cost, subagents and duration;
`subagents` has `tool_use_id`, the call that started it.
"""

from __future__ import annotations

from dataclasses import dataclass

EXPORT_SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    about: str


@dataclass(frozen=True)
class ExportTable:
    name: str
    about: str
    columns: tuple[Column, ...]
    select: str  # SQL over the index: the columns above but `machine`, `date` first

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name: str, type_: str, about: str) -> Column:
    return Column(name, type_, about)


DATE = _c("date", "DATE", "UTC day of `ts` (the Parquet partition)")
MACHINE = _c("machine", "VARCHAR", "the machine exported from (`--machine`, default its host name)")
PROJECT = _c("project", "VARCHAR", "project folder name under projects/")
SESSION = _c("session_id", "VARCHAR", "session id")
AGENT = _c("agent_id", "VARCHAR", "subagent id; '' for the main thread")
OF_SESSION = (DATE, MACHINE, PROJECT, SESSION)
OF_AGENT = (*OF_SESSION, AGENT)
TOKENS = (
    _c("input_tokens", "BIGINT", "input tokens"),
    _c("output_tokens", "BIGINT", "output tokens"),
    _c("cache_creation_tokens", "BIGINT", "cache write tokens"),
    _c("cache_read_tokens", "BIGINT", "cache read tokens"),
)

EXPORT_TABLES: tuple[ExportTable, ...] = (
    ExportTable(
        "responses",
        "one row per billed API response, counted once (message.id + requestId)",
        (
            *OF_AGENT,
            _c("ts", "TIMESTAMP", "UTC time of the response"),
            _c(
                "start_time",
                "TIMESTAMP",
                "when its request went out: the time of the entry it answers (a prompt, a tool "
                "result), else `ts`",
            ),
            _c("uuid", "VARCHAR", "the response's line uuid"),
            _c("response_key", "VARCHAR", "message.id:requestId (or the line's own key)"),
            _c("message_id", "VARCHAR", "the API's message id"),
            _c(
                "prompt_uuid",
                "VARCHAR",
                "the prompt (or command) it belongs to, `prompts.uuid`; NULL before the "
                "session's first prompt",
            ),
            _c("model", "VARCHAR", "model id as the transcript names it"),
            _c("input_tokens", "BIGINT", "input tokens"),
            _c("output_tokens", "BIGINT", "output tokens"),
            _c("cache_creation_tokens", "BIGINT", "cache write tokens (5 min + 1 h)"),
            _c("cache_creation_1h_tokens", "BIGINT", "of which written for 1 hour"),
            _c("cache_read_tokens", "BIGINT", "cache read tokens"),
            _c("cost_usd", "DOUBLE", "cost by the price table in use"),
            _c("priced", "BOOLEAN", "false: the model has no price (cost 0)"),
            _c("source", "VARCHAR", "line, progress (a copy) or task_result"),
            _c("is_sidechain", "BOOLEAN", "from a subagent or a sidechain"),
            _c("speed", "VARCHAR", "fast mode, where recorded"),
            _c("service_tier", "VARCHAR", "API service tier, where recorded"),
        ),
        """
        SELECT u.ts::DATE AS date, u.project_hash AS project, u.session_id, u.agent_id, u.ts,
            coalesce(least(a.asked, u.ts), u.ts) AS start_time, u.message_uuid AS uuid,
            u.usage_key AS response_key, u.message_id, u.prompt_uuid, u.model,
            u.input_tokens, u.output_tokens,
            u.cache_creation_tokens, u.cache_1h_tokens AS cache_creation_1h_tokens,
            u.cache_read_tokens, u.cost AS cost_usd, u.priced, u.source, u.is_sidechain,
            u.speed, u.service_tier
        FROM {db}.main.usage u
        LEFT JOIN (
            SELECT m.file_id, m.uuid, max(p.ts) AS asked
            FROM {db}.main.messages m
            JOIN {db}.main.messages p ON p.file_id = m.file_id AND p.uuid = m.parent_uuid
            WHERE m.entry_type = 'assistant'
            GROUP BY ALL
        ) a ON a.file_id = u.file_id AND a.uuid = u.message_uuid
        WHERE u.counted
        """,
    ),
    ExportTable(
        "sessions",
        "one row per session, with its totals (subagents included)",
        (
            *OF_SESSION,
            _c("title", "VARCHAR", "the session's title"),
            _c("start_time", "TIMESTAMP", "first entry (UTC); `date` is its day"),
            _c("end_time", "TIMESTAMP", "last entry (UTC)"),
            _c("messages", "INTEGER", "entries shown in the timeline"),
            _c("prompts", "INTEGER", "prompts typed"),
            _c("tool_calls", "INTEGER", "tool calls"),
            _c("errors", "INTEGER", "errors of every category"),
            _c("subagents", "INTEGER", "subagents run"),
            *TOKENS,
            _c("cost_usd", "DOUBLE", "cost, subagents included"),
            _c("git_branch", "VARCHAR", "git branch at the start"),
            _c("cwd", "VARCHAR", "working directory"),
            _c("version", "VARCHAR", "Claude Code version"),
        ),
        """
        SELECT s.start_time::DATE AS date, s.project_hash AS project, s.session_id, s.title,
            s.start_time, s.end_time, s.message_count AS messages, s.prompt_count AS prompts,
            s.tool_calls, s.errors, s.subagent_count AS subagents, s.input_tokens,
            s.output_tokens, s.cache_creation_tokens, s.cache_read_tokens, s.cost AS cost_usd,
            s.git_branch, s.cwd, s.version
        FROM {db}.main.sessions s
        """,
    ),
    ExportTable(
        "prompts",
        "one row per prompt a person typed or slash command run, with everything billed until "
        "the next one (its subagents included; its text capped at 500 characters)",
        (
            *OF_AGENT,
            _c("ts", "TIMESTAMP", "UTC time of the prompt"),
            _c("uuid", "VARCHAR", "the prompt's line uuid"),
            _c("kind", "VARCHAR", "prompt or command"),
            _c("text", "VARCHAR", "the prompt, at most 500 characters"),
            _c("text_len", "INTEGER", "the prompt's full length"),
            _c("responses", "INTEGER", "billed responses, its subagents' included"),
            *TOKENS,
            _c("cost_usd", "DOUBLE", "cost, subagents included"),
            _c("subagents", "INTEGER", "subagents started during it"),
            _c("duration_seconds", "DOUBLE", "from the prompt to its last activity"),
            _c("interrupted", "BOOLEAN", "the person interrupted it"),
        ),
        """
        SELECT p.ts::DATE AS date, p.project_hash AS project, p.session_id,
            '' AS agent_id, p.ts, p.uuid, p.kind, left(coalesce(m.text, p.text), 500) AS text,
            coalesce(m.text_len, length(p.text))::INTEGER AS text_len, p.responses,
            p.input_tokens, p.output_tokens, p.cache_creation_tokens, p.cache_read_tokens,
            p.cost AS cost_usd, p.subagents, p.duration_seconds, p.interrupted
        FROM {db}.main.prompts p
        LEFT JOIN (SELECT DISTINCT ON (project_hash, session_id, uuid) * FROM {db}.main.messages
                   WHERE NOT dup AND kind IN ('prompt', 'command')) m
            ON m.project_hash = p.project_hash AND m.session_id = p.session_id
            AND m.uuid = p.uuid
        WHERE p.uuid IS NOT NULL
        """,
    ),
    ExportTable(
        "tool_calls",
        "one row per tool call, with its result's time, duration and error",
        (
            *OF_AGENT,
            _c("ts", "TIMESTAMP", "UTC time of the call"),
            _c("tool_use_id", "VARCHAR", "the call's id"),
            _c("tool", "VARCHAR", "tool name"),
            _c("key_argument", "VARCHAR", "the argument that says what it did (a path, a command)"),
            _c("duration_ms", "BIGINT", "call to result"),
            _c("is_error", "BOOLEAN", "the result was an error"),
            _c("error_kind", "VARCHAR", "tool_error or rejected"),
            _c("subagent_type", "VARCHAR", "Task/Agent calls: the subagent's type"),
            _c("skill", "VARCHAR", "Skill calls: the skill"),
        ),
        """
        SELECT c.ts::DATE AS date, c.project_hash AS project, c.session_id, c.agent_id, c.ts,
            c.tool_use_id, c.name AS tool, c.key_arg AS key_argument, c.duration_ms,
            c.is_error, c.error_kind, c.subagent_type, c.skill
        FROM (SELECT DISTINCT ON (project_hash, session_id, tool_use_id) *
              FROM {db}.main.tool_calls) c
        """,
    ),
    ExportTable(
        "subagents",
        "one row per subagent, with its totals",
        (
            *OF_AGENT,
            _c("kind", "VARCHAR", "task, compact, inline, warmup or workflow"),
            _c("agent_type", "VARCHAR", "the subagent's type"),
            _c("description", "VARCHAR", "what it was asked"),
            _c("tool_use_id", "VARCHAR", "the call that started it (`tool_calls.tool_use_id`)"),
            _c("start_time", "TIMESTAMP", "first entry (UTC)"),
            _c("end_time", "TIMESTAMP", "last entry (UTC)"),
            _c("tool_calls", "INTEGER", "tool calls"),
            _c("errors", "INTEGER", "errors"),
            *TOKENS,
            _c("cost_usd", "DOUBLE", "cost"),
        ),
        """
        SELECT a.start_time::DATE AS date, a.project_hash AS project, a.session_id, a.agent_id,
            a.kind, a.agent_type, a.description, a.spawn_tool_use_id AS tool_use_id,
            a.start_time, a.end_time, a.tool_calls, a.errors, a.input_tokens, a.output_tokens,
            a.cache_creation_tokens, a.cache_read_tokens, a.cost AS cost_usd
        FROM {db}.main.agents a
        """,
    ),
    ExportTable(
        "errors",
        "one row per error: tool errors, rejections, interrupts, API retries and errors",
        (
            *OF_AGENT,
            _c("ts", "TIMESTAMP", "UTC time"),
            _c("category", "VARCHAR", "tool_error, rejected, interrupt, api_retry or api_error"),
            _c("message", "VARCHAR", "what it said"),
            _c("tool", "VARCHAR", "the tool, for tool errors"),
            _c("status", "INTEGER", "HTTP status, for API errors"),
        ),
        """
        SELECT x.ts::DATE AS date, x.project_hash AS project, x.session_id, x.agent_id, x.ts,
            x.category, x.message, x.tool_name AS tool, x.status
        FROM (SELECT DISTINCT ON (project_hash, session_id, agent_id, message_uuid, category,
                coalesce(tool_use_id, '')) * FROM {db}.main.errors) x
        """,
    ),
    ExportTable(
        "code_changes",
        "one row per file edit or write",
        (
            *OF_AGENT,
            _c("ts", "TIMESTAMP", "UTC time"),
            _c("tool", "VARCHAR", "Edit, MultiEdit, Write, ..."),
            _c("file_path", "VARCHAR", "the file"),
            _c("change_type", "VARCHAR", "create or modify"),
            _c("lines_added", "INTEGER", "lines added"),
            _c("lines_removed", "INTEGER", "lines removed"),
        ),
        """
        SELECT x.ts::DATE AS date, x.project_hash AS project, x.session_id, x.agent_id, x.ts,
            x.tool_name AS tool, x.file_path, x.change_type, x.lines_added, x.lines_removed
        FROM (SELECT DISTINCT ON (project_hash, session_id, tool_use_id) *
              FROM {db}.main.code_changes) x
        """,
    ),
)
EXPORT_BY_NAME = {t.name: t for t in EXPORT_TABLES}


MACHINE_VARIABLE = "cctracer_machine"  # SET VARIABLE'd (bound) before a table is read


def view_sql(table: ExportTable, database: str) -> str:
    """The table as the export writes it: its columns in order, read from the index's catalog
    `database` (an identifier the engine named, quoted); `machine` reads the variable the
    caller sets (`SET VARIABLE cctracer_machine = ?`)."""
    names = ", ".join(
        f"getvariable('{MACHINE_VARIABLE}')::VARCHAR AS machine" if n == "machine" else f"t.{n}"
        for n in table.column_names
    )
    quoted = '"' + database.replace('"', '""') + '"'
    return f"SELECT {names} FROM ({table.select.format(db=quoted)}) t"


# per UTC day since a date (bound twice): how many rows, and a fingerprint of their content
FINGERPRINTS = """
SELECT v.date, count(*) AS n, bit_xor(hash(v)) AS fingerprint
FROM ({view}) v WHERE (?::DATE IS NULL OR v.date >= ?)
GROUP BY v.date
"""

# per session (every date): how many rows, and a fingerprint of their content
SESSION_FINGERPRINTS = """
SELECT v.project, v.session_id, count(*) AS n, bit_xor(hash(v)) AS fingerprint
FROM ({view}) v
GROUP BY v.project, v.session_id
"""

# the rows of some sessions, each named `project/session_id` in the bound list
OF_SESSIONS = """
SELECT * FROM ({view}) v
WHERE v.project || '/' || v.session_id IN (SELECT unnest(?::VARCHAR[]))
"""
