"""Prompts in the roll-ups: each response of the sessions in scope to the prompt it answers.

A prompt (or a slash command) owns every billed response after it in its session until the
next one; a subagent's responses belong to the prompt during which the subagent started (its
spawning call came from that prompt's work, however deep the nesting). Responses before a
session's first prompt have none. Run after the agents are rebuilt (their start times).
"""

from __future__ import annotations

ASSIGN_PROMPTS = """
UPDATE usage SET prompt_uuid = m.uuid
FROM (
    WITH p AS (
        SELECT m.project_hash, m.session_id, m.uuid, m.ts
        FROM messages m JOIN _scope_sessions USING (project_hash, session_id)
        WHERE m.kind IN ('prompt', 'command') AND NOT m.dup AND m.agent_id = ''
            AND m.ts IS NOT NULL
    ), a AS (
        SELECT project_hash, session_id, agent_id, start_time
        FROM agents JOIN _scope_sessions USING (project_hash, session_id)
    ), u AS (
        SELECT u.rowid AS rid, u.project_hash, u.session_id,
            coalesce(CASE WHEN u.agent_id = '' THEN u.ts ELSE a.start_time END, u.ts,
                TIMESTAMP '1970-01-01') AS at_ts
        FROM usage u JOIN _scope_sessions USING (project_hash, session_id)
        LEFT JOIN a USING (project_hash, session_id, agent_id)
    )
    SELECT u.rid, p.uuid
    FROM u ASOF LEFT JOIN p
        ON u.project_hash = p.project_hash AND u.session_id = p.session_id AND u.at_ts >= p.ts
) m
WHERE usage.rowid = m.rid AND usage.prompt_uuid IS DISTINCT FROM m.uuid
"""
