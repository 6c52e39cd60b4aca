"""Prompts in the roll-ups: each response of the sessions in scope to the prompt it answers,
and each prompt's facts (the `prompts` table) built from them.

A prompt is a line a person typed in a session's main thread: a prompt, or a slash command
that starts the model's work (not a local command, `!` bash mode, their outputs, a meta line,
a compaction summary, an interrupt or a task notification: those are not prompts). A prompt
line copied from another session (a resumed 1.0.x session's new file repeats the old lines) is
that session's prompt, not this one's. A prompt owns every billed response after it in its
session until the next one; a subagent's responses belong to the prompt during which the
subagent started (its spawning call came from that prompt's work, however deep the nesting).
Responses before a session's first prompt have none, and make a row of their own.

Run after the agents are rebuilt (their start times). The refresh of a session rewrites only
the prompts whose facts changed: a line appended to a live session updates its prompt.
"""

from __future__ import annotations

import duckdb

from claude_code_tracer.index.cost import COST_PART_SQL

# The prompt lines of the sessions in scope. A line another session of the project also holds
# is a copy in all but the earliest file (by first entry, then path: the file whose copy of a
# response counts, `rollups.DEDUP_USAGE`), and is that file's session's prompt only.
PROMPT_LINES = """
CREATE OR REPLACE TEMP TABLE _prompt_lines AS
WITH p AS (
    SELECT m.project_hash, m.session_id, m.uuid, m.kind, m.ts, left(m.text, 300) AS text,
        f.first_ts AS file_ts, f.path
    FROM messages m JOIN _scope_sessions USING (project_hash, session_id)
    JOIN files f ON f.file_id = m.file_id
    WHERE NOT m.dup AND m.agent_id = '' AND m.ts IS NOT NULL
        AND (m.kind = 'prompt' OR (m.kind = 'command' AND m.subtype = 'command'))
), copies AS (
    SELECT DISTINCT p.project_hash, p.session_id, p.uuid
    FROM p JOIN messages o
        ON o.project_hash = p.project_hash AND o.uuid = p.uuid AND o.session_id <> p.session_id
    JOIN files f ON f.file_id = o.file_id
    WHERE o.agent_id = '' AND o.kind IN ('prompt', 'command')
        AND (f.first_ts < p.file_ts OR (f.first_ts IS NOT NULL AND p.file_ts IS NULL)
             OR (f.first_ts IS NOT DISTINCT FROM p.file_ts AND f.path < p.path))
)
SELECT p.project_hash, p.session_id, p.uuid, p.kind, p.ts, p.text
FROM p ANTI JOIN copies USING (project_hash, session_id, uuid)
"""

# A response's time in its session's run of prompts: its own, or its subagent's start.
AT_TS = "coalesce(CASE WHEN u.agent_id = '' THEN u.ts ELSE a.start_time END, u.ts)"

# Each response's prompt: the last prompt at or before it (a subagent's: before its start).
ASSIGN_PROMPTS = f"""
UPDATE usage SET prompt_uuid = m.uuid
FROM (
    WITH a AS (
        SELECT project_hash, session_id, agent_id, start_time
        FROM agents JOIN _scope_sessions USING (project_hash, session_id)
    ), u AS (
        SELECT u.rowid AS rid, u.project_hash, u.session_id,
            coalesce({AT_TS}, TIMESTAMP '1970-01-01') AS at_ts
        FROM usage u JOIN _scope_sessions USING (project_hash, session_id)
        LEFT JOIN a USING (project_hash, session_id, agent_id)
    )
    SELECT u.rid, p.uuid
    FROM u ASOF LEFT JOIN _prompt_lines p
        ON u.project_hash = p.project_hash AND u.session_id = p.session_id AND u.at_ts >= p.ts
) m
WHERE usage.rowid = m.rid AND usage.prompt_uuid IS DISTINCT FROM m.uuid
"""

# The counted responses of the sessions in scope, each with its time in its prompt (a
# subagent's: its start) and the cost of each kind of token.
_BILLED = f"""
billed AS (
    SELECT u.project_hash, u.session_id, u.prompt_uuid AS uuid, u.agent_id, u.file_id,
        u.message_uuid, u.model, u.ts,
        {AT_TS} AS at_ts,
        u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens,
        u.input_tokens + u.cache_creation_tokens + u.cache_read_tokens AS context,
        u.cost,
        {COST_PART_SQL["input"].strip()} AS input_cost,
        {COST_PART_SQL["output"].strip()} AS output_cost,
        {COST_PART_SQL["cache_write"].strip()} AS cache_write_cost,
        {COST_PART_SQL["cache_read"].strip()} AS cache_read_cost
    FROM usage u JOIN _scope_sessions USING (project_hash, session_id)
    LEFT JOIN model_prices p ON p.model = u.model
    LEFT JOIN agents a ON a.project_hash = u.project_hash AND a.session_id = u.session_id
        AND a.agent_id = u.agent_id
    WHERE u.counted
)"""

# A Skill call whose response counts costs what its prompt's work cost after it: the main
# thread's later responses and the subagents started after it, or, for a call a subagent
# made, that subagent's later responses. (Only the sessions with such calls are read.)
SKILL_COSTS = f"""
UPDATE tool_calls SET cost_after = x.cost
FROM (
    WITH c AS (
        SELECT c.rowid AS rid, c.project_hash, c.session_id, c.agent_id, c.ts, c.file_id,
            c.message_uuid, u.prompt_uuid AS uuid
        FROM tool_calls c JOIN _scope_sessions USING (project_hash, session_id)
        JOIN usage u ON u.file_id = c.file_id AND u.message_uuid = c.message_uuid AND u.counted
        WHERE c.name = 'Skill'
    ), b AS (
        SELECT u.project_hash, u.session_id, u.prompt_uuid AS uuid, u.agent_id, u.file_id,
            u.message_uuid, u.ts, u.cost, {AT_TS} AS at_ts
        FROM usage u SEMI JOIN (SELECT DISTINCT project_hash, session_id FROM c) s
            USING (project_hash, session_id)
        LEFT JOIN agents a USING (project_hash, session_id, agent_id)
        WHERE u.counted
    )
    SELECT c.rid, coalesce(sum(b.cost::DECIMAL(38, 18)), 0)::DOUBLE AS cost
    FROM c LEFT JOIN b
        ON b.project_hash = c.project_hash AND b.session_id = c.session_id
        AND b.uuid IS NOT DISTINCT FROM c.uuid
        AND NOT (b.file_id = c.file_id AND b.message_uuid = c.message_uuid)
        AND CASE WHEN c.agent_id = '' THEN b.at_ts > c.ts
            ELSE b.agent_id = c.agent_id AND b.ts > c.ts END
    GROUP BY c.rid
) x
WHERE tool_calls.rowid = x.rid AND tool_calls.cost_after IS DISTINCT FROM x.cost
"""

# Every prompt of the sessions in scope, with its facts, in the columns of `prompts`.
BUILD_PROMPTS = f"""
CREATE OR REPLACE TEMP TABLE _prompts AS
WITH {_BILLED.strip()},
g AS (
    SELECT project_hash, session_id, uuid, count(*) AS responses,
        sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
        sum(cache_creation_tokens) AS cache_creation_tokens,
        sum(cache_read_tokens) AS cache_read_tokens, sum(cost::DECIMAL(38, 18))::DOUBLE AS cost,
        count(*) FILTER (WHERE agent_id = '') AS main_responses,
        sum(input_tokens) FILTER (WHERE agent_id = '') AS main_input_tokens,
        sum(output_tokens) FILTER (WHERE agent_id = '') AS main_output_tokens,
        sum(cache_creation_tokens) FILTER (WHERE agent_id = '') AS main_cache_creation_tokens,
        sum(cache_read_tokens) FILTER (WHERE agent_id = '') AS main_cache_read_tokens,
        sum(input_cost::DECIMAL(38, 18)) FILTER (WHERE agent_id = '')::DOUBLE
            AS input_cost,
        sum(output_cost::DECIMAL(38, 18)) FILTER (WHERE agent_id = '')::DOUBLE
            AS output_cost,
        sum(cache_write_cost::DECIMAL(38, 18)) FILTER (WHERE agent_id = '')::DOUBLE
            AS cache_write_cost,
        sum(cache_read_cost::DECIMAL(38, 18)) FILTER (WHERE agent_id = '')::DOUBLE
            AS cache_read_cost,
        count(DISTINCT agent_id) FILTER (WHERE agent_id <> '') AS subagents,
        sum(cost::DECIMAL(38, 18)) FILTER (WHERE agent_id <> '')::DOUBLE AS subagent_cost,
        arg_min(context, ts) FILTER (WHERE agent_id = '') AS first_context,
        arg_max(context, ts) FILTER (WHERE agent_id = '') AS last_context,
        min(ts) AS first_ts, max(ts) AS last_ts
    FROM billed GROUP BY ALL
),
gm AS (
    SELECT project_hash, session_id, uuid,
        list({{'model': model, 'responses': n, 'input_tokens': i, 'output_tokens': o,
            'cache_creation_tokens': cc, 'cache_read_tokens': cr, 'cost': cost}}
            ORDER BY cost DESC, model) AS models
    FROM (
        SELECT project_hash, session_id, uuid, coalesce(model, '?') AS model, count(*) AS n,
            sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_creation_tokens) AS cc,
            sum(cache_read_tokens) AS cr, sum(cost::DECIMAL(38, 18))::DOUBLE AS cost
        FROM billed GROUP BY ALL
    ) GROUP BY ALL
),
ga AS (
    SELECT b.project_hash, b.session_id, b.uuid, max(a.end_time) AS last_ts,
        list({{'agent_id': b.agent_id, 'kind': a.kind, 'agent_type': a.agent_type,
            'description': a.description, 'responses': b.n, 'input_tokens': b.i,
            'output_tokens': b.o, 'cache_creation_tokens': b.cc, 'cache_read_tokens': b.cr,
            'cost': b.cost}} ORDER BY b.cost DESC, b.agent_id) AS agents
    FROM (
        SELECT project_hash, session_id, uuid, agent_id, count(*) AS n,
            sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cache_creation_tokens) AS cc,
            sum(cache_read_tokens) AS cr, sum(cost::DECIMAL(38, 18))::DOUBLE AS cost
        FROM billed WHERE agent_id <> '' GROUP BY ALL
    ) b
    LEFT JOIN agents a ON a.project_hash = b.project_hash AND a.session_id = b.session_id
        AND a.agent_id = b.agent_id
    GROUP BY ALL
),
calls AS (
    SELECT DISTINCT ON (c.project_hash, c.session_id, c.tool_use_id)
        c.project_hash, c.session_id, b.uuid, c.name, c.result_ts
    FROM tool_calls c JOIN _scope_sessions USING (project_hash, session_id)
    JOIN (SELECT DISTINCT uuid, file_id, message_uuid FROM billed) b
        ON b.file_id = c.file_id AND b.message_uuid = c.message_uuid
),
gt AS (
    SELECT project_hash, session_id, uuid, sum(n)::INTEGER AS tool_calls,
        max(last_ts) AS last_ts,
        list({{'name': name, 'calls': n}} ORDER BY n DESC, name) AS tools
    FROM (
        SELECT project_hash, session_id, uuid, name, count(*)::INTEGER AS n,
            max(result_ts) AS last_ts
        FROM calls GROUP BY ALL
    ) GROUP BY ALL
),
interrupts AS (
    SELECT DISTINCT p.project_hash, p.session_id, p.uuid
    FROM (
        SELECT e.project_hash, e.session_id, e.ts
        FROM errors e JOIN _scope_sessions USING (project_hash, session_id)
        WHERE e.category = 'interrupt' AND e.agent_id = '' AND e.ts IS NOT NULL
    ) e
    ASOF JOIN _prompt_lines p
        ON e.project_hash = p.project_hash AND e.session_id = p.session_id AND e.ts >= p.ts
),
k AS (
    SELECT project_hash, session_id, uuid, kind, ts, text FROM _prompt_lines
    UNION ALL
    SELECT project_hash, session_id, NULL, 'before_first_prompt', first_ts, NULL
    FROM g WHERE uuid IS NULL
),
r AS (
    SELECT k.*, g.* EXCLUDE (project_hash, session_id, uuid, first_ts, last_ts),
        nullif(greatest(coalesce(g.last_ts, TIMESTAMP '-infinity'),
            coalesce(gt.last_ts, TIMESTAMP '-infinity'),
            coalesce(ga.last_ts, TIMESTAMP '-infinity')), TIMESTAMP '-infinity') AS last_activity,
        gt.tool_calls, gt.tools, ga.agents, gm.models,
        i.uuid IS NOT NULL AS interrupted
    FROM k
    LEFT JOIN g ON g.project_hash = k.project_hash AND g.session_id = k.session_id
        AND g.uuid IS NOT DISTINCT FROM k.uuid
    LEFT JOIN gm ON gm.project_hash = k.project_hash AND gm.session_id = k.session_id
        AND gm.uuid IS NOT DISTINCT FROM k.uuid
    LEFT JOIN ga ON ga.project_hash = k.project_hash AND ga.session_id = k.session_id
        AND ga.uuid IS NOT DISTINCT FROM k.uuid
    LEFT JOIN gt ON gt.project_hash = k.project_hash AND gt.session_id = k.session_id
        AND gt.uuid IS NOT DISTINCT FROM k.uuid
    LEFT JOIN interrupts i ON i.project_hash = k.project_hash AND i.session_id = k.session_id
        AND i.uuid = k.uuid
)
SELECT project_hash, session_id, uuid, kind, ts, text, last_activity,
    CASE WHEN last_activity >= ts THEN date_diff('millisecond', ts, last_activity) / 1000 END,
    coalesce(responses, 0), coalesce(input_tokens, 0), coalesce(output_tokens, 0),
    coalesce(cache_creation_tokens, 0), coalesce(cache_read_tokens, 0),
    coalesce(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens, 0),
    coalesce(cost, 0.0), coalesce(main_responses, 0), coalesce(main_input_tokens, 0),
    coalesce(main_output_tokens, 0), coalesce(main_cache_creation_tokens, 0),
    coalesce(main_cache_read_tokens, 0), coalesce(input_cost, 0.0), coalesce(output_cost, 0.0),
    coalesce(cache_write_cost, 0.0), coalesce(cache_read_cost, 0.0), coalesce(subagents, 0),
    coalesce(subagent_cost, 0.0), first_context, last_context, coalesce(tool_calls, 0),
    interrupted, coalesce(tools, []), coalesce(models, []), coalesce(agents, [])
FROM r
"""

# A full refresh writes every prompt; an incremental one the prompts whose facts changed.
REPLACE_ALL = ("DELETE FROM prompts", "INSERT INTO prompts SELECT * FROM _prompts")
REPLACE_CHANGED = (
    """
    CREATE OR REPLACE TEMP TABLE _stale_prompts AS
    SELECT p.* FROM prompts p JOIN _scope_sessions s
        ON s.project_hash = p.project_hash AND s.session_id = p.session_id
    EXCEPT SELECT * FROM _prompts
    """,
    """
    DELETE FROM prompts WHERE (project_hash, session_id, coalesce(uuid, '')) IN (
        SELECT project_hash, session_id, coalesce(uuid, '') FROM _stale_prompts)
    """,
    """
    INSERT INTO prompts
    SELECT * FROM _prompts
    EXCEPT SELECT p.* FROM prompts p JOIN _scope_sessions s
        ON s.project_hash = p.project_hash AND s.session_id = p.session_id
    """,
)


def refresh_prompts(cur: duckdb.DuckDBPyConnection, *, full: bool) -> None:
    """Assign each response of the scope its prompt, and rebuild the facts of its prompts."""
    cur.execute(PROMPT_LINES)
    cur.execute(ASSIGN_PROMPTS)
    cur.execute(SKILL_COSTS)
    cur.execute(BUILD_PROMPTS)
    for statement in REPLACE_ALL if full else REPLACE_CHANGED:
        cur.execute(statement)
