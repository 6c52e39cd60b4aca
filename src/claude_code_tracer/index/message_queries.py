"""The SQL of message lists and full entries, as named constants with bound parameters.

Every column read back has a name: `index.messages` reads rows by column name.
"""

from __future__ import annotations

MESSAGE_FILTER = """
    m.project_hash = ? AND m.session_id = ? AND m.agent_id = ? AND NOT m.dup
    AND (?::VARCHAR IS NULL OR m.kind = ?)
    AND (?::VARCHAR IS NULL OR list_contains(m.tool_names, ?))
    AND (NOT ? OR m.has_error)
    AND (?::VARCHAR IS NULL OR m.model = ?)
    AND (?::VARCHAR IS NULL
         OR strpos(lower(m.text), lower(?)) > 0
         OR strpos(lower(coalesce(m.thinking, '')), lower(?)) > 0
         OR m.uuid IN (
            SELECT c.message_uuid FROM tool_calls c
            WHERE c.project_hash = ? AND c.session_id = ?
              AND strpos(lower(coalesce(c.key_arg, '') || ' ' || c.name), lower(?)) > 0)
         OR m.uuid IN (SELECT unnest(?::VARCHAR[])))
"""

# Entries whose text in the index is cut short: a search reads them back from the transcript.
MESSAGES_TRUNCATED = f"""
SELECT m.uuid, f.path, m.line_offsets, m.line_lens, m.uuids
FROM messages m JOIN files f ON f.file_id = m.file_id
WHERE {MESSAGE_FILTER}
  AND (m.text_len > length(m.text) OR length(coalesce(m.thinking, '')) >= ?)
"""

MESSAGE_COLUMNS = """
    m.seq, m.uuid, m.parent_uuid, m.entry_type, m.kind, m.subtype, m.ts, m.agent_id,
    m.is_sidechain, m.is_meta, m.model, m.text, m.text_len, m.thinking, m.tool_names,
    m.has_error, m.error_category, len(m.line_offsets) AS line_count,
    u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens, u.cost
"""

MESSAGE_USAGE_JOIN = """
LEFT JOIN (SELECT * FROM usage WHERE project_hash = ? AND session_id = ?) u
    ON u.file_id = m.file_id AND u.usage_key = m.usage_key
"""

# One page, each row with the number of entries the filter keeps (one scan for both).
MESSAGES_PAGE = f"""
SELECT {MESSAGE_COLUMNS}, count(*) OVER () AS total
FROM messages m {MESSAGE_USAGE_JOIN}
WHERE {MESSAGE_FILTER}
ORDER BY m.seq
LIMIT ? OFFSET ?
"""

MESSAGES_COUNT = f"SELECT count(*) AS total FROM messages m WHERE {MESSAGE_FILTER}"

# A full entry: the list columns, where it came from, and its transcript's path.
MESSAGE_DETAIL = f"""
SELECT {MESSAGE_COLUMNS}, m.session_id, m.project_hash, m.message_id, m.request_id,
    f.path, m.line_offsets, m.line_lens, m.uuids
FROM messages m {MESSAGE_USAGE_JOIN}
JOIN files f ON f.file_id = m.file_id
WHERE m.project_hash = ? AND m.session_id = ? AND m.agent_id = ?
"""

MESSAGE_BY_UUID = f"{MESSAGE_DETAIL} AND NOT m.dup AND list_contains(m.uuids, ?) LIMIT 1"

MESSAGE_BY_INDEX = f"{MESSAGE_DETAIL} AND m.seq = ?"

MESSAGE_SOURCE = """
SELECT f.path, m.line_offsets, m.line_lens, m.uuids
FROM messages m JOIN files f ON f.file_id = m.file_id
WHERE m.project_hash = ? AND m.session_id = ? AND m.uuid = ?
LIMIT 1
"""


# Every filter value present in a stream, with its count, in one scan: kinds, tools (messages
# per tool, calls and results alike: what the `tool` filter returns for each name), models,
# and the entries with an error.
FILTER_OPTIONS = f"""
WITH m AS (
    SELECT m.kind, m.tool_names, m.model, m.has_error FROM messages m WHERE {MESSAGE_FILTER}
)
SELECT 'kind' AS facet, kind AS value, count(*) AS n FROM m GROUP BY kind
UNION ALL
SELECT 'tool', name, count(*) FROM (SELECT unnest(list_distinct(tool_names)) AS name FROM m)
GROUP BY name
UNION ALL
SELECT 'model', model, count(*) FROM m WHERE model IS NOT NULL GROUP BY model
UNION ALL
SELECT 'errors', NULL, count(*) FROM m WHERE has_error
ORDER BY facet, n DESC, value
"""

TOOL_CALLS_OF_MESSAGES = """
SELECT c.message_uuid, c.tool_use_id, c.name, c.key_arg, c.is_error, c.error_kind,
    c.duration_ms, c.result_uuid IS NOT NULL AS has_result, a.agent_id AS subagent_id,
    c.input_json, c.input_len, c.result_uuid
FROM tool_calls c
LEFT JOIN (SELECT * FROM agents WHERE project_hash = ? AND session_id = ?) a
    ON a.spawn_tool_use_id = c.tool_use_id
WHERE c.project_hash = ? AND c.session_id = ?
  AND list_contains(?::VARCHAR[], c.message_uuid)
ORDER BY c.file_id, c.line_no
"""
