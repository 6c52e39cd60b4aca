"""Task results in the roll-ups: the final usage a Task result carries (§6) matched to the
response of its agent that it ends, before the de-duplication in `index.rollups` counts it."""

from __future__ import annotations

from claude_code_tracer.index.cost import COST_SQL
from claude_code_tracer.transcript.kinds import TASK_KEY_PREFIX

# §6: a Task result's usage is the final usage of its agent's last response before it. Where
# that response (the agent's latest key at or before the result, from its file or from
# progress copies) has the same input and cache counts, the result joins that response's key
# (its larger output then wins the de-duplication below: corrected); otherwise it keeps a key
# of its own and counts as that response (reconstructed). Its model is the agent's; a matched
# result keeps the output its response recorded (the accuracy view's correction).
MATCH_TASK_RESULTS = f"""
UPDATE usage SET usage_key = m.key, message_id = m.message_id, model = m.model,
    cost = m.cost, priced = m.priced, recorded_output = m.recorded_output
FROM (
    WITH responses AS (
        SELECT project_hash, session_id, agent_id, usage_key, max(ts) AS ts,
            any_value(message_id) AS message_id, any_value(model) AS model,
            max(input_tokens) AS input_tokens, max(output_tokens) AS output_tokens,
            max(cache_creation_tokens) AS cache_creation_tokens,
            max(cache_read_tokens) AS cache_read_tokens
        FROM usage JOIN _scope_sessions USING (project_hash, session_id)
        WHERE source <> 'task_result' AND agent_id <> '' AND ts IS NOT NULL
        GROUP BY ALL
    ), matched AS (
        SELECT t.rowid AS rid, t.speed, t.inference_geo, t.input_tokens, t.output_tokens,
            t.cache_5m_tokens, t.cache_1h_tokens,
            t.cache_creation_tokens, t.cache_read_tokens,
            r.model,
            (r.input_tokens = t.input_tokens
                AND r.cache_creation_tokens = t.cache_creation_tokens
                AND r.cache_read_tokens = t.cache_read_tokens) IS TRUE AS same,
            r.usage_key AS response_key, r.message_id AS response_message_id,
            r.output_tokens AS response_output,
            '{TASK_KEY_PREFIX}' || t.message_uuid AS own_key
        FROM (SELECT u.rowid, u.* FROM usage u JOIN _scope_sessions USING (project_hash, session_id)
              WHERE u.source = 'task_result') t
        ASOF LEFT JOIN responses r
            ON r.project_hash = t.project_hash AND r.session_id = t.session_id
            AND r.agent_id = t.agent_id AND t.ts >= r.ts
    )
    SELECT rid,
        CASE WHEN same THEN response_key ELSE own_key END AS key,
        CASE WHEN same THEN response_message_id END AS message_id,
        CASE WHEN same THEN response_output END AS recorded_output,
        u.model,
        {COST_SQL} AS cost,
        p.model IS NOT NULL AS priced
    FROM matched u LEFT JOIN model_prices p ON p.model = u.model
) m
WHERE usage.rowid = m.rid
"""
