"""The SQL the API and the pages run, as named constants. Values are always bound parameters;
the only text ever formatted into a statement is an ORDER BY taken from the allow-lists below.
Costs are summed as decimals, so that a total never depends on the order rows are read in
(see `index.rollups`). Every column read back has a name: rows are read by column name.
"""

from __future__ import annotations

from typing import Literal

# ---------------------------------------------------------------------------------------------
# allow-lists (request value -> SQL); each with the type of its keys, which the API's
# parameters take (a test keeps the two the same)

ProjectSort = Literal["last_activity", "first_activity", "cost", "tokens", "sessions", "name"]
PROJECT_SORTS: dict[ProjectSort, str] = {
    "last_activity": "last_activity DESC NULLS LAST, path_hash",
    "first_activity": "first_activity ASC NULLS LAST, path_hash",
    "cost": "total_cost DESC, path_hash",
    "tokens": "total_tokens DESC, path_hash",
    "sessions": "session_count DESC, path_hash",
    "name": "coalesce(project_path, path_hash), path_hash",
}

SessionSort = Literal["start", "end", "cost", "tokens", "duration", "messages", "errors"]
SESSION_SORTS: dict[SessionSort, str] = {
    "start": "start_time {dir} NULLS LAST, session_id",
    "end": "end_time {dir} NULLS LAST, session_id",
    "cost": "cost {dir}, session_id",
    "tokens": "total_tokens {dir}, session_id",
    "duration": "duration_seconds {dir} NULLS LAST, session_id",
    "messages": "message_count {dir}, session_id",
    "errors": "errors {dir}, session_id",
}
SortOrder = Literal["asc", "desc"]
SORT_DIRECTIONS: dict[SortOrder, str] = {"asc": "ASC", "desc": "DESC"}

# When did Claude Code last write to the session? The file's mtime, unless the last entry is
# more than an hour older than it (a copied or touched file): then the last entry's time.
# running: written in the last 10 s, or a turn still in flight (last entry a prompt, a tool
# result or a spawn, or a response that stopped for tool use) and written in the last 10 min;
# idle: written in the last 30 min; ended: otherwise.
STATUS_SQL = """
CASE
    WHEN s.file_mtime IS NULL THEN 'ended'
    WHEN epoch(?::TIMESTAMP) - epoch(s.last_write) <= 10 THEN 'running'
    WHEN epoch(?::TIMESTAMP) - epoch(s.last_write) <= 600
        AND (s.last_kind IN ('prompt', 'tool_result', 'subagent')
             OR s.last_stop_reason = 'tool_use') THEN 'running'
    WHEN epoch(?::TIMESTAMP) - epoch(s.last_write) <= 1800 THEN 'idle'
    ELSE 'ended'
END
"""

# ---------------------------------------------------------------------------------------------
# projects

PROJECTS_ALL = """
SELECT * FROM (
    SELECT path_hash, project_path, session_count, message_count, tool_calls, errors,
        input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
        total_tokens, cost AS total_cost, first_activity, last_activity, models
    FROM projects
)
WHERE (?::VARCHAR IS NULL
       OR strpos(lower(coalesce(project_path, '') || ' ' || path_hash), lower(?)) > 0)
ORDER BY {order}
"""

# A date range: sessions with activity in it, tokens and cost of the responses in it; models
# by their tokens in it, as in PROJECTS_ALL.
PROJECTS_RANGE = """
WITH u AS (
    SELECT project_hash,
        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
        sum(cache_creation_tokens) AS cache_creation_tokens,
        sum(cache_read_tokens) AS cache_read_tokens, sum(cost::DECIMAL(38, 18))::DOUBLE AS cost,
        list(model ORDER BY model_tokens DESC, model) FILTER (WHERE model IS NOT NULL)
            AS models
    FROM (
        SELECT project_hash, model, sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_creation_tokens) AS cache_creation_tokens,
            sum(cache_read_tokens) AS cache_read_tokens, sum(cost::DECIMAL(38, 18))::DOUBLE AS cost,
            sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)
                AS model_tokens
        FROM usage WHERE counted AND ts >= ? AND ts < ?
        GROUP BY project_hash, model
    )
    GROUP BY project_hash
),
s AS (
    SELECT project_hash, count(*) AS session_count, sum(message_count) AS message_count,
        sum(tool_calls) AS tool_calls, sum(errors) AS errors,
        min(start_time) AS first_activity, max(end_time) AS last_activity
    FROM sessions WHERE end_time >= ? AND start_time < ?
    GROUP BY project_hash
)
SELECT * FROM (
    SELECT p.path_hash, p.project_path, s.session_count, s.message_count, s.tool_calls,
        s.errors, coalesce(u.input_tokens, 0) AS input_tokens,
        coalesce(u.output_tokens, 0) AS output_tokens,
        coalesce(u.cache_creation_tokens, 0) AS cache_creation_tokens,
        coalesce(u.cache_read_tokens, 0) AS cache_read_tokens,
        coalesce(u.input_tokens + u.output_tokens + u.cache_creation_tokens
            + u.cache_read_tokens, 0) AS total_tokens,
        coalesce(u.cost, 0.0) AS total_cost,
        s.first_activity, s.last_activity, coalesce(u.models, []) AS models
    FROM projects p JOIN s ON s.project_hash = p.path_hash
    LEFT JOIN u ON u.project_hash = p.path_hash
)
WHERE (?::VARCHAR IS NULL
       OR strpos(lower(coalesce(project_path, '') || ' ' || path_hash), lower(?)) > 0)
ORDER BY {order}
"""

PROJECT_EXISTS = "SELECT project_path FROM projects WHERE path_hash = ?"

# ---------------------------------------------------------------------------------------------
# sessions

SESSION_COLUMNS = f"""
    s.session_id, s.project_hash, s.title, s.title_source, s.first_prompt, s.start_time,
    s.end_time, s.duration_seconds, s.message_count, s.prompt_count, s.tool_calls,
    s.input_tokens, s.output_tokens, s.cache_creation_tokens, s.cache_read_tokens, s.cost,
    s.sub_input_tokens, s.sub_output_tokens, s.sub_cache_creation_tokens,
    s.sub_cache_read_tokens, s.sub_cost, s.errors, s.subagent_count, s.models,
    s.unpriced_models, s.git_branch, s.version, {STATUS_SQL} AS status
"""

SESSIONS_FILTER = """
    s.project_hash = ?
    AND (?::TIMESTAMP IS NULL OR s.end_time >= ?)
    AND (?::TIMESTAMP IS NULL OR s.start_time < ?)
    AND (?::VARCHAR IS NULL
         OR strpos(lower(coalesce(s.title, '')), lower(?)) > 0
         OR strpos(lower(coalesce(s.first_prompt, '')), lower(?)) > 0
         OR strpos(lower(s.session_id), lower(?)) > 0)
"""

SESSIONS_OF_PROJECT = f"""
SELECT {SESSION_COLUMNS}
FROM sessions s
WHERE {SESSIONS_FILTER}
ORDER BY {{order}}
LIMIT ? OFFSET ?
"""

SESSIONS_COUNT = f"SELECT count(*) AS total FROM sessions s WHERE {SESSIONS_FILTER}"

SESSION_ONE = f"""
SELECT {SESSION_COLUMNS}, p.project_path, s.cwd, s.bad_lines, s.end_time AS last_activity,
    (SELECT count(*) FROM compactions c
     WHERE c.project_hash = s.project_hash AND c.session_id = s.session_id) AS compactions
FROM sessions s LEFT JOIN projects p ON p.path_hash = s.project_hash
WHERE s.project_hash = ? AND s.session_id = ?
"""

SESSION_EXISTS = "SELECT 1 FROM sessions WHERE project_hash = ? AND session_id = ?"

# ---------------------------------------------------------------------------------------------
# metrics over a set of sessions (placeholders: project or NULL, session or NULL, since, until)

SCOPE_WHERE = """
    (?::VARCHAR IS NULL OR x.project_hash = ?)
    AND (?::VARCHAR IS NULL OR x.session_id = ?)
"""

MODEL_USAGE = f"""
SELECT u.model, bool_and(u.priced) AS priced,
    sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens,
    sum(u.cache_creation_tokens) AS cache_creation_tokens,
    sum(u.cache_read_tokens) AS cache_read_tokens,
    sum(u.cost::DECIMAL(38, 18))::DOUBLE AS cost, count(*) AS messages
FROM usage u
WHERE u.counted AND u.model IS NOT NULL
  AND {SCOPE_WHERE.replace("x.", "u.")}
  AND (?::VARCHAR IS NULL OR u.agent_id = ?)
  AND (?::TIMESTAMP IS NULL OR u.ts >= ?) AND (?::TIMESTAMP IS NULL OR u.ts < ?)
GROUP BY u.model
ORDER BY sum(u.input_tokens + u.output_tokens + u.cache_creation_tokens
    + u.cache_read_tokens) DESC, u.model
"""

# Project-wide or global: from the 15-minute buckets (ranges fall on bucket edges).
BUCKET_WHERE = """
    (?::VARCHAR IS NULL OR b.project_hash = ?)
    AND (?::TIMESTAMP IS NULL OR b.bucket >= ?) AND (?::TIMESTAMP IS NULL OR b.bucket < ?)
"""

MODEL_USAGE_BUCKETS = f"""
SELECT b.model, bool_and(b.priced) AS priced,
    sum(b.input_tokens) AS input_tokens, sum(b.output_tokens) AS output_tokens,
    sum(b.cache_creation_tokens) AS cache_creation_tokens,
    sum(b.cache_read_tokens) AS cache_read_tokens,
    sum(b.cost::DECIMAL(38, 18))::DOUBLE AS cost, sum(b.responses) AS messages
FROM usage_buckets b
WHERE b.model IS NOT NULL AND {BUCKET_WHERE}
GROUP BY b.model
ORDER BY sum(b.input_tokens + b.output_tokens + b.cache_creation_tokens
    + b.cache_read_tokens) DESC, b.model
"""

SUBAGENT_USAGE_BUCKETS = f"""
SELECT coalesce(sum(b.input_tokens), 0) AS input_tokens,
    coalesce(sum(b.output_tokens), 0) AS output_tokens,
    coalesce(sum(b.cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(b.cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(b.cost::DECIMAL(38, 18))::DOUBLE, 0.0) AS cost
FROM usage_buckets b
WHERE b.is_agent AND {BUCKET_WHERE}
"""

SESSION_TOTALS = f"""
SELECT count(*) AS sessions, coalesce(sum(x.message_count), 0) AS messages,
    coalesce(sum(x.prompt_count), 0) AS prompts, coalesce(sum(x.tool_calls), 0) AS tool_calls,
    coalesce(sum(x.errors), 0) AS errors, coalesce(sum(x.subagent_count), 0) AS subagents,
    min(x.start_time) AS first_activity, max(x.end_time) AS last_activity,
    count(DISTINCT x.project_hash) AS projects
FROM sessions x
WHERE {SCOPE_WHERE}
  AND (?::TIMESTAMP IS NULL OR x.end_time >= ?) AND (?::TIMESTAMP IS NULL OR x.start_time < ?)
"""

ERRORS_BY_CATEGORY = f"""
SELECT x.category, count(DISTINCT x.agent_id || x.message_uuid || x.category
    || coalesce(x.tool_use_id, '')) AS n
FROM errors x
WHERE {SCOPE_WHERE}
  AND (?::TIMESTAMP IS NULL OR x.ts >= ?) AND (?::TIMESTAMP IS NULL OR x.ts < ?)
GROUP BY x.category ORDER BY x.category
"""

CODE_CHANGE_TOTALS = f"""
SELECT coalesce(sum(x.lines_added), 0) AS lines_added,
    coalesce(sum(x.lines_removed), 0) AS lines_removed,
    count(DISTINCT x.file_path) AS files_changed
FROM (SELECT DISTINCT ON (tool_use_id) * FROM code_changes x
      WHERE {SCOPE_WHERE}
        AND (?::TIMESTAMP IS NULL OR x.ts >= ?) AND (?::TIMESTAMP IS NULL OR x.ts < ?)) x
"""

COMPACTION_COUNT = f"""
SELECT count(DISTINCT x.message_uuid) AS compactions FROM compactions x
WHERE {SCOPE_WHERE}
  AND (?::TIMESTAMP IS NULL OR x.ts >= ?) AND (?::TIMESTAMP IS NULL OR x.ts < ?)
"""

KIND_COUNTS = """
SELECT kind, count(*) AS n FROM messages
WHERE project_hash = ? AND session_id = ? AND agent_id = '' AND NOT dup
GROUP BY kind ORDER BY kind
"""

# Hour-of-week activity in a time zone (placeholders: tz, BUCKET_WHERE, tz, BUCKET_WHERE).
ACTIVITY = f"""
SELECT isodow(local) - 1 AS weekday, hour(local) AS hour,
    sum(messages)::BIGINT AS messages, sum(cost::DECIMAL(38, 18))::DOUBLE AS cost
FROM (
    SELECT timezone(?, timezone('UTC', b.bucket)) AS local, b.messages, 0.0 AS cost
    FROM activity_buckets b WHERE {BUCKET_WHERE}
    UNION ALL
    SELECT timezone(?, timezone('UTC', b.bucket)) AS local, 0 AS messages, b.cost
    FROM usage_buckets b WHERE b.bucket IS NOT NULL AND {BUCKET_WHERE}
)
GROUP BY ALL ORDER BY weekday, hour
"""

# ---------------------------------------------------------------------------------------------
# tools

TOOL_STATS = """
SELECT name, count(*) AS n, count(*) FILTER (WHERE is_error) AS errors,
    coalesce(sum(duration_ms), 0) AS total_ms, avg(duration_ms) AS mean_ms
FROM (SELECT DISTINCT ON (project_hash, session_id, tool_use_id) * FROM tool_calls
      WHERE (?::VARCHAR IS NULL OR project_hash = ?)
        AND (?::VARCHAR IS NULL OR session_id = ?)
        AND (?::VARCHAR IS NULL OR agent_id = ?))
GROUP BY name
ORDER BY n DESC, name
"""

# (message lists and entries: `index.message_queries`)

# ---------------------------------------------------------------------------------------------
# session sections

AGENT_COLUMNS = """
    a.agent_id, a.session_id, a.project_hash, a.kind, a.agent_type, a.description,
    a.spawn_tool_use_id, a.spawn_message_uuid, a.is_async, a.start_time, a.end_time,
    a.duration_seconds, a.message_count, a.tool_calls, a.errors, a.input_tokens,
    a.output_tokens, a.cache_creation_tokens, a.cache_read_tokens, a.cost, a.models
"""

AGENTS_OF_SESSION = f"""
SELECT {AGENT_COLUMNS} FROM agents a
WHERE a.project_hash = ? AND a.session_id = ?
ORDER BY a.start_time NULLS LAST, a.agent_id
"""

# (numbered placeholders: ?1 project, ?2 agent, ?3 session or NULL)
AGENT_ONE = f"""
SELECT {AGENT_COLUMNS}, s.title AS session_title, p.project_path,
    (SELECT m.text FROM messages m
     WHERE m.project_hash = ?1 AND m.agent_id = ?2 AND m.session_id = a.session_id
       AND NOT m.dup AND m.entry_type = 'user'
     ORDER BY m.seq LIMIT 1) AS prompt
FROM agents a
LEFT JOIN sessions s ON s.project_hash = a.project_hash AND s.session_id = a.session_id
LEFT JOIN projects p ON p.path_hash = a.project_hash
WHERE a.project_hash = ?1 AND a.agent_id = ?2 AND (?3::VARCHAR IS NULL OR a.session_id = ?3)
ORDER BY a.start_time
LIMIT 1
"""

AGENT_EXISTS = "SELECT 1 FROM agents WHERE project_hash = ? AND session_id = ? AND agent_id = ?"

SKILL_CALLS = """
SELECT c.skill, c.tool_use_id, c.ts, c.message_uuid, c.agent_id, c.is_error, c.duration_ms,
    c.cost_after
FROM (SELECT DISTINCT ON (tool_use_id) * FROM tool_calls
      WHERE project_hash = ? AND session_id = ? AND name = 'Skill'
      ORDER BY tool_use_id, cost_after NULLS LAST) c
ORDER BY c.ts NULLS LAST, c.tool_use_id
"""

CODE_CHANGES_OF_SESSION = """
SELECT file_path, change_type, tool_name, lines_added, lines_removed, ts, message_uuid,
    tool_use_id, agent_id
FROM (SELECT DISTINCT ON (tool_use_id) * FROM code_changes
      WHERE project_hash = ? AND session_id = ?)
ORDER BY ts NULLS LAST, file_id, line_no
"""

ERRORS_OF_SESSION = """
SELECT category, message, ts, tool_name, tool_use_id, message_uuid, agent_id, status
FROM (SELECT DISTINCT ON (agent_id, message_uuid, category, coalesce(tool_use_id, '')) *
      FROM errors WHERE project_hash = ? AND session_id = ?)
WHERE (?::VARCHAR IS NULL OR category = ?)
ORDER BY ts NULLS LAST, file_id, line_no
"""

# a slash command typed as a prompt costs what that prompt cost
COMMANDS_OF_SESSION = """
SELECT c.name, c.args, c.source, c.ts, c.message_uuid, c.agent_id, p.cost
FROM (SELECT DISTINCT ON (agent_id, message_uuid) * FROM commands
      WHERE project_hash = ? AND session_id = ?) c
LEFT JOIN prompts p ON c.source = 'prompt' AND p.project_hash = c.project_hash
    AND p.session_id = c.session_id AND p.uuid = c.message_uuid
ORDER BY c.ts NULLS LAST, c.file_id, c.line_no
"""

COMPACTIONS_OF_SESSION = """
SELECT trigger, pre_tokens, post_tokens, ts, message_uuid
FROM (SELECT DISTINCT ON (message_uuid) * FROM compactions
      WHERE project_hash = ? AND session_id = ? AND agent_id = '')
ORDER BY ts NULLS LAST
"""

# ---------------------------------------------------------------------------------------------
# daily

# placeholders: tz, BUCKET_WHERE
DAILY_USAGE = f"""
SELECT CAST(timezone(?, timezone('UTC', b.bucket)) AS DATE) AS day, b.model,
    sum(b.input_tokens) AS input_tokens, sum(b.output_tokens) AS output_tokens,
    sum(b.cache_creation_tokens) AS cache_creation_tokens,
    sum(b.cache_read_tokens) AS cache_read_tokens, sum(b.cost::DECIMAL(38, 18))::DOUBLE AS cost
FROM usage_buckets b
WHERE b.bucket IS NOT NULL AND {BUCKET_WHERE}
GROUP BY ALL ORDER BY day, b.model
"""

DAILY_ACTIVITY = f"""
SELECT CAST(timezone(?, timezone('UTC', b.bucket)) AS DATE) AS day,
    sum(b.messages)::BIGINT AS messages,
    count(DISTINCT b.project_hash || '/' || b.session_id) AS sessions
FROM activity_buckets b
WHERE {BUCKET_WHERE}
GROUP BY ALL ORDER BY day
"""

# ---------------------------------------------------------------------------------------------
# pricing, health

MODELS_IN_USE = """
SELECT u.model, p.price_key, p.input IS NOT NULL AS priced,
    sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens,
    sum(u.cache_creation_tokens) AS cache_creation_tokens,
    sum(u.cache_read_tokens) AS cache_read_tokens, sum(u.cost::DECIMAL(38, 18))::DOUBLE AS cost,
    count(DISTINCT u.project_hash || '/' || u.session_id) AS sessions
FROM usage u LEFT JOIN model_prices p ON p.model = u.model
WHERE u.counted AND u.model IS NOT NULL
GROUP BY ALL ORDER BY sum(u.cost::DECIMAL(38, 18))::DOUBLE DESC, u.model
"""

INDEX_COUNTS = """
SELECT (SELECT count(*) FROM files) AS files,
    (SELECT coalesce(sum(lines), 0) FROM files) AS lines,
    (SELECT coalesce(sum(bad_lines), 0) FROM files) AS bad_lines,
    (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM sessions) AS sessions
"""

BAD_FILES = """
SELECT path, bad_lines, bad_reasons FROM files WHERE bad_lines > 0
ORDER BY bad_lines DESC, path LIMIT 50
"""

# ---------------------------------------------------------------------------------------------
# project sections over a date range (placeholders: project, since, since, until, until)

PROJECT_TOOL_STATS = TOOL_STATS.replace(
    "AND (?::VARCHAR IS NULL OR agent_id = ?))",
    "AND (?::VARCHAR IS NULL OR agent_id = ?)\n"
    "        AND (?::TIMESTAMP IS NULL OR ts >= ?) AND (?::TIMESTAMP IS NULL OR ts < ?))",
)

PROJECT_SUBAGENT_TYPES = """
SELECT coalesce(a.agent_type, a.kind) AS agent_type, a.kind, count(*) AS n,
    count(DISTINCT a.session_id) AS sessions, coalesce(sum(a.errors), 0) AS errors,
    coalesce(sum(a.tool_calls), 0) AS tool_calls,
    coalesce(sum(a.input_tokens), 0) AS input_tokens,
    coalesce(sum(a.output_tokens), 0) AS output_tokens,
    coalesce(sum(a.cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(a.cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(a.cost::DECIMAL(38, 18))::DOUBLE, 0.0) AS cost,
    avg(a.duration_seconds) AS mean_duration
FROM agents a
WHERE a.project_hash = ?
  AND (?::TIMESTAMP IS NULL OR a.end_time >= ?) AND (?::TIMESTAMP IS NULL OR a.start_time < ?)
GROUP BY ALL
ORDER BY cost DESC, n DESC, agent_type, a.kind
"""

# (placeholders: project or NULL for every project, since, since, until, until)
PROJECT_SKILLS = """
SELECT coalesce(c.skill, '?') AS skill, count(*) AS n,
    count(*) FILTER (WHERE c.is_error) AS errors, min(c.ts) AS first_used,
    max(c.ts) AS last_used, count(DISTINCT c.project_hash || '/' || c.session_id) AS sessions,
    coalesce(sum(c.cost_after::DECIMAL(38, 18))::DOUBLE, 0.0) AS total_cost,
    count(c.cost_after) AS costed
FROM (SELECT DISTINCT ON (project_hash, session_id, tool_use_id) * FROM tool_calls
      WHERE (?::VARCHAR IS NULL OR project_hash = ?) AND name = 'Skill'
        AND (?::TIMESTAMP IS NULL OR ts >= ?) AND (?::TIMESTAMP IS NULL OR ts < ?)
      ORDER BY project_hash, session_id, tool_use_id, cost_after NULLS LAST) c
GROUP BY ALL
ORDER BY total_cost DESC, n DESC, skill
"""

# Commands typed over a range, by name and source; a slash command typed as a prompt costs
# what that prompt cost (placeholders as PROJECT_SKILLS)
PROJECT_COMMANDS = """
SELECT c.name, c.source, count(*) AS n,
    count(DISTINCT c.project_hash || '/' || c.session_id) AS sessions,
    min(c.ts) AS first_used, max(c.ts) AS last_used,
    coalesce(sum(p.cost::DECIMAL(38, 18))::DOUBLE, 0.0) AS total_cost, count(p.cost) AS costed
FROM (SELECT DISTINCT ON (project_hash, session_id, agent_id, message_uuid) * FROM commands
      WHERE (?::VARCHAR IS NULL OR project_hash = ?)
        AND (?::TIMESTAMP IS NULL OR ts >= ?) AND (?::TIMESTAMP IS NULL OR ts < ?)) c
LEFT JOIN prompts p ON c.source = 'prompt' AND p.project_hash = c.project_hash
    AND p.session_id = c.session_id AND p.uuid = c.message_uuid
GROUP BY ALL
ORDER BY total_cost DESC, n DESC, c.name, c.source
"""

# A project's git branches: the responses recorded on each over a range (placeholders:
# project, since, since, until, until)
PROJECT_BRANCHES = """
SELECT u.git_branch AS branch, count(DISTINCT u.session_id) AS sessions,
    count(DISTINCT u.session_id || '/' || u.prompt_uuid) AS prompts, count(*) AS responses,
    sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens,
    sum(u.cache_creation_tokens) AS cache_creation_tokens,
    sum(u.cache_read_tokens) AS cache_read_tokens,
    sum(u.cost::DECIMAL(38, 18))::DOUBLE AS cost, min(u.ts) AS first_activity,
    max(u.ts) AS last_activity
FROM usage u
WHERE u.counted AND u.project_hash = ?
  AND (?::TIMESTAMP IS NULL OR u.ts >= ?) AND (?::TIMESTAMP IS NULL OR u.ts < ?)
GROUP BY u.git_branch
ORDER BY cost DESC, responses DESC, branch NULLS LAST
"""

# every model of the history, in the order it first answered (the dashboard's colour order)
MODEL_ORDER = """
SELECT model FROM usage WHERE model IS NOT NULL
GROUP BY model ORDER BY min(ts) NULLS LAST, model
"""
