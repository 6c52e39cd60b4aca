"""Derived facts, recomputed after each ingest for the sessions it touched.

* usage de-duplication across all files (`counted`);
* display order and copies of messages (`seq`, `dup`);
* tool calls paired with their results (duration, error);
* each response's prompt, and each prompt's facts (`index.prompt_facts`);
* the per-agent, per-session and per-project roll-ups the API reads.

Costs are summed as decimals (`sum(cost::DECIMAL(38, 18))`): a sum of floats depends on the
order of its terms, which parallel loads and scans do not fix, and the same history must give
the same dollars to the last digit however it was read.

The scope of a refresh is held in temp tables `_scope_sessions(project_hash, session_id)`,
`_scope_keys(usage_key)` and `_scope_projects(project_hash)`.
"""

from __future__ import annotations

import duckdb

from claude_code_tracer.index.cost import COST_SQL
from claude_code_tracer.index.prompt_facts import refresh_prompts
from claude_code_tracer.index.task_results import MATCH_TASK_RESULTS

SCOPE_TABLES = (
    "CREATE OR REPLACE TEMP TABLE _scope_sessions (project_hash VARCHAR, session_id VARCHAR)",
    "CREATE OR REPLACE TEMP TABLE _scope_keys (usage_key VARCHAR)",
    "CREATE OR REPLACE TEMP TABLE _scope_projects (project_hash VARCHAR)",
)

SCOPE_ALL = (
    "INSERT INTO _scope_sessions SELECT DISTINCT project_hash, session_id FROM files",
    "INSERT INTO _scope_keys SELECT DISTINCT usage_key FROM usage",
)

SCOPE_DISTINCT = (
    "CREATE OR REPLACE TEMP TABLE _scope_sessions AS SELECT DISTINCT * FROM _scope_sessions",
    "CREATE OR REPLACE TEMP TABLE _scope_keys AS SELECT DISTINCT * FROM _scope_keys",
)

SCOPE_KEYS_OF_SESSIONS = """
INSERT INTO _scope_keys
SELECT DISTINCT u.usage_key FROM usage u JOIN _scope_sessions s USING (project_hash, session_id)
"""

# Keys that share a message id with a touched key: a sidechain replay of a main-thread
# response carries the same message.id under a new requestId.
SCOPE_KEYS_BY_MESSAGE_ID = """
INSERT INTO _scope_keys
SELECT DISTINCT u.usage_key FROM usage u
WHERE u.message_id IN (
    SELECT DISTINCT u2.message_id FROM usage u2 JOIN _scope_keys k USING (usage_key)
    WHERE u2.message_id IS NOT NULL)
"""

# A changed copy can move `counted` away from a row of another session: refresh it too.
SCOPE_SESSIONS_OF_KEYS = """
INSERT INTO _scope_sessions
SELECT DISTINCT u.project_hash, u.session_id FROM usage u JOIN _scope_keys USING (usage_key)
EXCEPT SELECT project_hash, session_id FROM _scope_sessions
"""

SCOPE_PROJECTS = "INSERT INTO _scope_projects SELECT DISTINCT project_hash FROM _scope_sessions"

# §7: one copy per message.id:requestId across all files. A real line (or a Task result)
# wins over a progress copy; then a main-thread copy over a sidechain copy; then the largest
# token total; then the copy that records `speed`; then the
# earliest, then the copy in the earliest file (never the directory order). A sidechain row
# whose message.id also has a main-thread row is a replay (/btw). A row that does not count
# keeps why (kinds.CollapseKind) for the accuracy view.
DEDUP_USAGE = """
UPDATE usage SET counted = d.why IS NULL, collapse = d.why
FROM (
    SELECT rid, CASE
            WHEN first AND NOT replay THEN NULL
            WHEN source = 'progress' THEN 'progress_copy'
            WHEN source = 'task_result' THEN 'task_result'
            WHEN replay THEN 'sidechain_replay'
            ELSE 'file_copy'
        END AS why
    FROM (
        SELECT u.rowid AS rid, u.source,
            row_number() OVER (
                PARTITION BY u.usage_key
                ORDER BY u.source = 'progress', u.is_sidechain,
                    u.input_tokens + u.output_tokens + u.cache_creation_tokens
                        + u.cache_read_tokens DESC,
                    (u.speed IS NULL), u.ts NULLS LAST, f.first_ts NULLS LAST, f.path,
                    u.line_no) = 1 AS first,
            (u.is_sidechain AND u.message_id IS NOT NULL AND u.message_id IN (
                SELECT m.message_id FROM usage m
                WHERE NOT m.is_sidechain AND m.message_id IS NOT NULL)) IS TRUE AS replay
        FROM usage u JOIN _scope_keys k USING (usage_key) JOIN files f ON f.file_id = u.file_id
    )
) d
WHERE usage.rowid = d.rid AND usage.collapse IS DISTINCT FROM d.why
"""

RECOST_USAGE = f"""
UPDATE usage SET cost = c.cost, priced = c.priced
FROM (
    SELECT u.rowid AS rid, {COST_SQL} AS cost, p.model IS NOT NULL AS priced
    FROM usage u LEFT JOIN model_prices p ON p.model = u.model
) c
WHERE usage.rowid = c.rid
"""

# The parser numbers each stream in file order. A stream read from several files (a session
# copied to two data directories) or holding a line twice is renumbered here, copies marked.
ORDER_MESSAGES = """
UPDATE messages SET dup = o.dup, seq = o.seq
FROM (
    SELECT rid, dup,
        CASE WHEN dup THEN NULL ELSE row_number() OVER (
            PARTITION BY project_hash, session_id, agent_id, dup
            ORDER BY file_ts NULLS LAST, file_id, line_no) - 1 END AS seq
    FROM (
        SELECT m.rowid AS rid, m.project_hash, m.session_id, m.agent_id, m.file_id, m.line_no,
            f.first_ts AS file_ts,
            row_number() OVER (
                PARTITION BY m.project_hash, m.session_id, m.agent_id, m.uuid
                ORDER BY f.first_ts NULLS LAST, m.file_id, m.line_no) > 1 AS dup
        FROM messages m
        JOIN (
            SELECT project_hash, session_id, agent_id
            FROM messages JOIN _scope_sessions USING (project_hash, session_id)
            GROUP BY ALL
            HAVING count(DISTINCT file_id) > 1 OR count(*) > count(DISTINCT uuid)
                OR bool_or(dup) OR max(seq) <> count(*) - 1
        ) needs USING (project_hash, session_id, agent_id)
        JOIN files f ON f.file_id = m.file_id
    )
) o
WHERE messages.rowid = o.rid
  AND (messages.dup IS DISTINCT FROM o.dup OR messages.seq IS DISTINCT FROM o.seq)
"""

PAIR_TOOL_RESULTS = """
UPDATE tool_calls SET
    result_uuid = r.message_uuid,
    result_ts = r.ts,
    duration_ms = CASE WHEN r.ts >= tool_calls.ts
        THEN date_diff('millisecond', tool_calls.ts, r.ts) END,
    is_error = r.is_error,
    error_kind = r.error_kind
FROM (
    SELECT t.project_hash, t.session_id, t.tool_use_id,
        arg_min(t.message_uuid, t.ts) AS message_uuid, min(t.ts) AS ts,
        bool_or(t.is_error) AS is_error, arg_min(t.error_kind, t.ts) AS error_kind
    FROM tool_results t JOIN _scope_sessions s USING (project_hash, session_id)
    GROUP BY ALL
) r
WHERE tool_calls.project_hash = r.project_hash AND tool_calls.session_id = r.session_id
  AND tool_calls.tool_use_id = r.tool_use_id
"""

DELETE_SCOPED = (
    "DELETE FROM usage_buckets WHERE (project_hash, session_id) IN (SELECT * FROM _scope_sessions)",
    "DELETE FROM activity_buckets "
    "WHERE (project_hash, session_id) IN (SELECT * FROM _scope_sessions)",
    "DELETE FROM agents WHERE (project_hash, session_id) IN (SELECT * FROM _scope_sessions)",
    "DELETE FROM sessions WHERE (project_hash, session_id) IN (SELECT * FROM _scope_sessions)",
    "DELETE FROM projects WHERE path_hash IN (SELECT project_hash FROM _scope_projects)",
)

INSERT_USAGE_BUCKETS = """
INSERT INTO usage_buckets
SELECT u.project_hash, u.session_id, u.agent_id <> '' AS is_agent,
    time_bucket(INTERVAL '15 minutes', u.ts) AS bucket, u.model, bool_and(u.priced),
    sum(u.input_tokens), sum(u.output_tokens), sum(u.cache_creation_tokens),
    sum(u.cache_read_tokens), sum(u.cost::DECIMAL(38, 18))::DOUBLE, count(*), min(u.ts),
    max(u.ts)
FROM usage u JOIN _scope_sessions s USING (project_hash, session_id)
WHERE u.counted
GROUP BY ALL
"""

INSERT_ACTIVITY_BUCKETS = """
INSERT INTO activity_buckets
SELECT m.project_hash, m.session_id, time_bucket(INTERVAL '15 minutes', m.ts) AS bucket,
    count(*)
FROM messages m JOIN _scope_sessions s USING (project_hash, session_id)
WHERE NOT m.dup AND m.ts IS NOT NULL
GROUP BY ALL
"""

INSERT_AGENTS = """
INSERT INTO agents
WITH m AS (
    SELECT m.* FROM messages m JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE m.agent_id <> '' AND NOT m.dup
),
base AS (
    SELECT project_hash, session_id, agent_id,
        min(ts) AS start_time, max(ts_end) AS end_time, count(*) AS message_count,
        arg_min(prompt_hash, seq) AS prompt_hash,
        arg_min(text, seq) FILTER (WHERE entry_type = 'user') AS first_text,
        min(file_id) AS file_id
    FROM m GROUP BY ALL
    UNION ALL
    -- an agent known only from its usage (progress copies, a Task result): its file is missing
    SELECT u.project_hash, u.session_id, u.agent_id, min(u.ts), max(u.ts), 0, NULL, NULL, NULL
    FROM usage u JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE u.counted AND u.agent_id <> '' AND NOT EXISTS (
        SELECT 1 FROM m WHERE m.project_hash = u.project_hash
            AND m.session_id = u.session_id AND m.agent_id = u.agent_id)
    GROUP BY ALL
),
fileinfo AS (
    SELECT f.file_id, f.kind AS file_kind, f.path, f.agent_type, f.agent_description,
        f.agent_tool_use_id
    FROM files f
),
spawns AS (
    SELECT c.project_hash, c.session_id, c.tool_use_id, c.message_uuid, c.subagent_type,
        c.description, c.prompt_hash, c.ts, c.background
    FROM tool_calls c JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE c.is_spawn
),
links AS (
    SELECT l.project_hash, l.session_id, l.linked_agent_id AS agent_id,
        arg_min(l.tool_use_id, CASE l.source WHEN 'meta' THEN 0 WHEN 'result' THEN 1 ELSE 2 END)
            AS tool_use_id
    FROM agent_links l JOIN _scope_sessions s USING (project_hash, session_id)
    GROUP BY ALL
),
by_prompt AS (
    SELECT b.project_hash, b.session_id, b.agent_id,
        arg_min(sp.tool_use_id, abs(epoch(b.start_time) - epoch(sp.ts))) AS tool_use_id
    FROM base b JOIN spawns sp
      ON sp.project_hash = b.project_hash AND sp.session_id = b.session_id
     AND sp.prompt_hash = b.prompt_hash
    GROUP BY ALL
),
u AS (
    SELECT u.project_hash, u.session_id, u.agent_id,
        sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens,
        sum(u.cache_creation_tokens) AS cache_creation_tokens,
        sum(u.cache_read_tokens) AS cache_read_tokens, sum(u.cost::DECIMAL(38, 18))::DOUBLE AS cost,
        list(DISTINCT u.model ORDER BY u.model) FILTER (WHERE u.model IS NOT NULL) AS models
    FROM usage u JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE u.counted AND u.agent_id <> ''
    GROUP BY ALL
),
tc AS (
    SELECT c.project_hash, c.session_id, c.agent_id, count(DISTINCT c.tool_use_id) AS n
    FROM tool_calls c JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE c.agent_id <> '' GROUP BY ALL
),
er AS (
    SELECT e.project_hash, e.session_id, e.agent_id,
        count(DISTINCT e.message_uuid || e.category || coalesce(e.tool_use_id, '')) AS n
    FROM errors e JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE e.agent_id <> '' GROUP BY ALL
),
linked AS (
    SELECT b.*, fi.file_kind, fi.path, fi.agent_type AS meta_type,
        fi.agent_description AS meta_description,
        coalesce(fi.agent_tool_use_id, l.tool_use_id, bp.tool_use_id) AS spawn_id
    FROM base b
    LEFT JOIN fileinfo fi ON fi.file_id = b.file_id
    LEFT JOIN links l USING (project_hash, session_id, agent_id)
    LEFT JOIN by_prompt bp USING (project_hash, session_id, agent_id)
)
SELECT k.project_hash, k.session_id, k.agent_id,
    CASE
        WHEN k.agent_id LIKE 'acompact-%' THEN 'compact'
        WHEN k.file_kind = 'session' THEN 'inline'
        WHEN k.path LIKE '%/workflows/%' THEN 'workflow'
        WHEN k.spawn_id IS NULL AND trim(coalesce(k.first_text, '')) = 'Warmup' THEN 'warmup'
        ELSE 'task'
    END AS kind,
    coalesce(k.meta_type, sp.subagent_type,
        CASE WHEN k.agent_id LIKE 'acompact-%' THEN 'compaction' END) AS agent_type,
    coalesce(k.meta_description, sp.description,
        CASE WHEN k.agent_id LIKE 'acompact-%' THEN 'Conversation compaction' END,
        left(k.first_text, 200)) AS description,
    k.spawn_id, sp.message_uuid,
    coalesce(sp.background, false) OR coalesce(res.is_async, false) AS is_async,
    k.start_time, k.end_time,
    epoch(k.end_time) - epoch(k.start_time) AS duration_seconds,
    k.message_count, coalesce(tc.n, 0), coalesce(er.n, 0),
    coalesce(u.input_tokens, 0), coalesce(u.output_tokens, 0),
    coalesce(u.cache_creation_tokens, 0), coalesce(u.cache_read_tokens, 0),
    coalesce(u.input_tokens + u.output_tokens + u.cache_creation_tokens
        + u.cache_read_tokens, 0),
    coalesce(u.cost, 0.0), coalesce(u.models, [])
FROM linked k
LEFT JOIN spawns sp ON sp.project_hash = k.project_hash AND sp.session_id = k.session_id
    AND sp.tool_use_id = k.spawn_id
LEFT JOIN (
    SELECT t.project_hash, t.session_id, t.tool_use_id, bool_or(t.is_async) AS is_async
    FROM tool_results t JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE t.is_async GROUP BY ALL
) res ON res.project_hash = k.project_hash AND res.session_id = k.session_id
    AND res.tool_use_id = k.spawn_id
LEFT JOIN u ON u.project_hash = k.project_hash AND u.session_id = k.session_id
    AND u.agent_id = k.agent_id
LEFT JOIN tc ON tc.project_hash = k.project_hash AND tc.session_id = k.session_id
    AND tc.agent_id = k.agent_id
LEFT JOIN er ON er.project_hash = k.project_hash AND er.session_id = k.session_id
    AND er.agent_id = k.agent_id
"""

INSERT_SESSIONS = """
INSERT INTO sessions
WITH f AS (
    SELECT f.* FROM files f JOIN _scope_sessions s USING (project_hash, session_id)
),
fs AS (
    SELECT project_hash, session_id,
        arg_max(custom_title, mtime_ns) FILTER (WHERE custom_title IS NOT NULL) AS custom_title,
        arg_max(ai_title, mtime_ns) FILTER (WHERE ai_title IS NOT NULL) AS ai_title,
        arg_max(agent_name, mtime_ns) FILTER (WHERE agent_name IS NOT NULL) AS agent_name,
        arg_max(git_branch, last_ts) FILTER (WHERE git_branch IS NOT NULL AND kind = 'session')
            AS git_branch,
        arg_max(versions[-1], last_ts) FILTER (WHERE len(versions) > 0 AND kind = 'session')
            AS version,
        arg_min(cwd, first_ts) FILTER (WHERE cwd IS NOT NULL AND kind = 'session') AS main_cwd,
        arg_min(cwd, first_ts) FILTER (WHERE cwd IS NOT NULL) AS any_cwd,
        make_timestamp(max(mtime_ns) // 1000) AS file_mtime,
        arg_max(last_kind, last_ts) FILTER (WHERE kind = 'session') AS last_kind,
        arg_max(last_stop_reason, last_ts) FILTER (WHERE kind = 'session') AS last_stop_reason,
        bool_or(kind = 'session') AS has_main_file,
        sum(bad_lines) AS bad_lines
    FROM f GROUP BY ALL
),
m AS (
    SELECT m.* FROM messages m JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE NOT m.dup
),
ms AS (
    SELECT project_hash, session_id,
        arg_min(text, seq) FILTER (WHERE kind = 'prompt' AND agent_id = '' AND text <> '')
            AS first_prompt,
        min(ts) AS start_time, max(ts_end) AS end_time,
        count(*) FILTER (WHERE agent_id = '') AS message_count,
        count(*) FILTER (WHERE agent_id = '' AND kind = 'prompt') AS prompt_count
    FROM m GROUP BY ALL
),
uuids AS (SELECT DISTINCT project_hash, session_id, uuid FROM m),
summ AS (
    SELECT s.project_hash, s.session_id, arg_max(s.summary, s.file_id * 1000000 + s.line_no)
        AS summary
    FROM summaries s JOIN _scope_sessions USING (project_hash, session_id)
    JOIN uuids ON uuids.project_hash = s.project_hash AND uuids.session_id = s.session_id
        AND uuids.uuid = s.leaf_uuid
    GROUP BY ALL
),
u AS (
    SELECT u.project_hash, u.session_id,
        sum(input_tokens) AS i, sum(output_tokens) AS o,
        sum(cache_creation_tokens) AS cc, sum(cache_read_tokens) AS cr,
        sum(cost::DECIMAL(38, 18))::DOUBLE AS cost,
        coalesce(sum(input_tokens) FILTER (WHERE agent_id <> ''), 0) AS si,
        coalesce(sum(output_tokens) FILTER (WHERE agent_id <> ''), 0) AS so,
        coalesce(sum(cache_creation_tokens) FILTER (WHERE agent_id <> ''), 0) AS scc,
        coalesce(sum(cache_read_tokens) FILTER (WHERE agent_id <> ''), 0) AS scr,
        coalesce((sum(cost::DECIMAL(38, 18)) FILTER (WHERE agent_id <> ''))::DOUBLE, 0) AS scost
    FROM usage u JOIN _scope_sessions s USING (project_hash, session_id)
    WHERE u.counted GROUP BY ALL
),
mu AS (
    SELECT project_hash, session_id,
        list(model ORDER BY tokens DESC, model) AS models,
        list(model ORDER BY model) FILTER (WHERE NOT priced) AS unpriced
    FROM (
        SELECT u.project_hash, u.session_id, u.model, bool_and(u.priced) AS priced,
            sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)
                AS tokens
        FROM usage u JOIN _scope_sessions s USING (project_hash, session_id)
        WHERE u.counted AND u.model IS NOT NULL GROUP BY ALL
    ) GROUP BY ALL
),
tc AS (
    SELECT c.project_hash, c.session_id, count(DISTINCT c.tool_use_id) AS n
    FROM tool_calls c JOIN _scope_sessions s USING (project_hash, session_id) GROUP BY ALL
),
er AS (
    SELECT e.project_hash, e.session_id,
        count(DISTINCT e.agent_id || e.message_uuid || e.category || coalesce(e.tool_use_id, ''))
            AS n
    FROM errors e JOIN _scope_sessions s USING (project_hash, session_id) GROUP BY ALL
),
ag AS (
    SELECT a.project_hash, a.session_id,
        count(*) FILTER (WHERE a.kind NOT IN ('compact', 'warmup')) AS n
    FROM agents a JOIN _scope_sessions s USING (project_hash, session_id) GROUP BY ALL
)
SELECT ms.project_hash, ms.session_id,
    coalesce(fs.agent_name, fs.custom_title, fs.ai_title, summ.summary,
        left(regexp_replace(trim(ms.first_prompt), '\\s+', ' ', 'g'), 200),
        left(ms.session_id, 8)) AS title,
    CASE WHEN fs.agent_name IS NOT NULL THEN 'agent_name'
        WHEN fs.custom_title IS NOT NULL THEN 'custom_title'
        WHEN fs.ai_title IS NOT NULL THEN 'ai_title'
        WHEN summ.summary IS NOT NULL THEN 'summary'
        WHEN ms.first_prompt IS NOT NULL THEN 'first_prompt'
        ELSE 'session_id' END AS title_source,
    ms.first_prompt, ms.start_time, ms.end_time,
    epoch(ms.end_time) - epoch(ms.start_time) AS duration_seconds,
    ms.message_count, ms.prompt_count, coalesce(tc.n, 0),
    coalesce(u.i, 0), coalesce(u.o, 0), coalesce(u.cc, 0), coalesce(u.cr, 0),
    coalesce(u.i + u.o + u.cc + u.cr, 0), coalesce(u.cost, 0.0),
    coalesce(u.si, 0), coalesce(u.so, 0), coalesce(u.scc, 0), coalesce(u.scr, 0),
    coalesce(u.scost, 0.0),
    coalesce(er.n, 0), coalesce(ag.n, 0),
    coalesce(mu.models, []), coalesce(mu.unpriced, []),
    fs.git_branch, fs.version, coalesce(fs.main_cwd, fs.any_cwd), fs.file_mtime,
    CASE WHEN fs.file_mtime > ms.end_time + INTERVAL 1 HOUR THEN ms.end_time
        ELSE fs.file_mtime END,
    fs.last_kind, fs.last_stop_reason, coalesce(fs.has_main_file, false),
    coalesce(fs.bad_lines, 0)
FROM ms
LEFT JOIN fs USING (project_hash, session_id)
LEFT JOIN summ USING (project_hash, session_id)
LEFT JOIN u USING (project_hash, session_id)
LEFT JOIN mu USING (project_hash, session_id)
LEFT JOIN tc USING (project_hash, session_id)
LEFT JOIN er USING (project_hash, session_id)
LEFT JOIN ag USING (project_hash, session_id)
"""

INSERT_PROJECTS = """
INSERT INTO projects
WITH s AS (
    SELECT s.* FROM sessions s JOIN _scope_projects p USING (project_hash)
),
mu AS (
    SELECT project_hash, list(model ORDER BY tokens DESC, model) AS models
    FROM (
        SELECT u.project_hash, u.model,
            sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)
                AS tokens
        FROM usage u JOIN _scope_projects p USING (project_hash)
        WHERE u.counted AND u.model IS NOT NULL GROUP BY ALL
    ) GROUP BY ALL
)
SELECT s.project_hash,
    arg_min(s.cwd, s.start_time) FILTER (WHERE s.cwd IS NOT NULL),
    count(*), sum(s.message_count), sum(s.tool_calls), sum(s.errors),
    sum(s.input_tokens), sum(s.output_tokens), sum(s.cache_creation_tokens),
    sum(s.cache_read_tokens), sum(s.total_tokens), sum(s.cost::DECIMAL(38, 18))::DOUBLE,
    min(s.start_time), max(s.end_time), coalesce(any_value(mu.models), [])
FROM s LEFT JOIN mu USING (project_hash)
GROUP BY s.project_hash
"""


def open_scope(cur: duckdb.DuckDBPyConnection) -> None:
    """Empty scope tables: the sessions and usage keys to refresh are added as rows go."""
    for statement in SCOPE_TABLES:
        cur.execute(statement)


def refresh(cur: duckdb.DuckDBPyConnection, *, full: bool) -> None:
    """Recompute every derived fact for the scope held in the temp tables (or everything)."""
    if full:
        for statement in SCOPE_TABLES:
            cur.execute(statement)
        cur.execute(SCOPE_ALL[0])
        cur.execute(MATCH_TASK_RESULTS)
        cur.execute(SCOPE_ALL[1])
    else:
        for statement in SCOPE_DISTINCT:
            cur.execute(statement)
        cur.execute(MATCH_TASK_RESULTS)
        cur.execute(SCOPE_KEYS_OF_SESSIONS)
        cur.execute(SCOPE_KEYS_BY_MESSAGE_ID)
        cur.execute(SCOPE_SESSIONS_OF_KEYS)
        for statement in SCOPE_DISTINCT:
            cur.execute(statement)
    cur.execute(SCOPE_PROJECTS)
    cur.execute(DEDUP_USAGE)
    cur.execute(ORDER_MESSAGES)
    cur.execute(PAIR_TOOL_RESULTS)
    for statement in DELETE_SCOPED:
        cur.execute(statement)
    cur.execute(INSERT_USAGE_BUCKETS)
    cur.execute(INSERT_ACTIVITY_BUCKETS)
    cur.execute(INSERT_AGENTS)
    refresh_prompts(cur, full=full)
    cur.execute(INSERT_SESSIONS)
    cur.execute(INSERT_PROJECTS)
