"""Reads of prompts: each prompt (or slash command) a person typed, and everything billed
after it in its session until the next one, its subagents included (an agent belongs to the
prompt during which it started). What came before a session's first prompt is a row of its
own (`uuid` None). The roll-ups assign each response its prompt (`index.prompt_facts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from claude_code_tracer.index.cursor import ALL_TIME, BaseReader, Row, TimeRange
from claude_code_tracer.index.models.reports import PromptReport
from claude_code_tracer.transcript.kinds import PromptSort

# the prompts (and commands) of the main threads in scope: project, session (both optional)
PROMPTS = """
SELECT m.project_hash, m.session_id, m.uuid, m.kind, m.ts, left(m.text, 300) AS text
FROM messages m
WHERE m.kind IN ('prompt', 'command') AND NOT m.dup AND m.agent_id = '' AND m.ts IS NOT NULL
    AND (?::VARCHAR IS NULL OR m.project_hash = ?) AND (?::VARCHAR IS NULL OR m.session_id = ?)
"""
# the counted responses of each prompt in scope (the roll-ups assign them: index.prompt_facts)
PROMPT_USAGE = """
SELECT u.project_hash, u.session_id, u.prompt_uuid AS uuid, count(*) AS n,
    sum(u.input_tokens) AS input_tokens, sum(u.output_tokens) AS output_tokens,
    sum(u.cache_creation_tokens) AS cache_creation_tokens,
    sum(u.cache_read_tokens) AS cache_read_tokens, sum(u.cost::DECIMAL(38, 18))::DOUBLE AS cost,
    sum(u.cost::DECIMAL(38, 18)) FILTER (WHERE u.agent_id <> '')::DOUBLE AS subagent_cost,
    count(DISTINCT u.agent_id) FILTER (WHERE u.agent_id <> '') AS subagents,
    min(u.ts) AS first_ts, max(u.ts) AS last_ts
FROM usage u
WHERE u.counted
    AND (?::VARCHAR IS NULL OR u.project_hash = ?) AND (?::VARCHAR IS NULL OR u.session_id = ?)
GROUP BY ALL
"""


def _figures(r: Row | None) -> dict[str, Any]:
    r = r or {}
    i, o = int(r.get("input_tokens") or 0), int(r.get("output_tokens") or 0)
    cc, cr = int(r.get("cache_creation_tokens") or 0), int(r.get("cache_read_tokens") or 0)
    return {
        "input_tokens": i,
        "output_tokens": o,
        "cache_creation_tokens": cc,
        "cache_read_tokens": cr,
        "total_tokens": i + o + cc + cr,
        "total_cost": float(r.get("cost") or 0.0),
        "responses": int(r.get("n") or 0),
    }


class PromptReads(BaseReader):
    """What each prompt cost."""

    def prompts(
        self,
        project: str | None = None,
        session: str | None = None,
        rng: TimeRange = ALL_TIME,
        *,
        sort: PromptSort = "time",
        limit: int | None = None,
    ) -> PromptReport:
        """The prompts of a session, a project or everything; `sort` by time or cost (the
        costliest first); the range picks prompts by the time they were typed."""
        if project is not None:
            self.project_path(project)
        scope = [project, project, session, session]
        usage = {
            (str(r["project_hash"]), str(r["session_id"]), r["uuid"]): r
            for r in self._all(PROMPT_USAGE, scope)
        }
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, str, Any]] = set()
        for p in self._all(PROMPTS, scope):
            key = (str(p["project_hash"]), str(p["session_id"]), p["uuid"])
            seen.add(key)
            rows.append(self._row(key, p, usage.get(key)))
        for key, r in usage.items():
            if key not in seen:  # work before the session's first prompt
                rows.append(self._row(key, None, r))
        start, end = rng.start, rng.end  # naive UTC, as the index's times
        rows = [
            r
            for r in rows
            if (start is None or (r["time"] is not None and r["time"] >= start))
            and (end is None or (r["time"] is not None and r["time"] < end))
        ]
        if sort == "cost":
            rows.sort(key=lambda r: (-r["total_cost"], r["session_id"], r["time"] or _EPOCH))
        else:
            rows.sort(key=lambda r: (r["time"] or _EPOCH, r["session_id"]))
        # plain data until here: only the rows shown become models (a year holds thousands)
        shown = rows if limit is None else rows[:limit]
        return PromptReport.model_validate(
            {
                "scope_project": project,
                "scope_session": session,
                "timezone": rng.tz,
                "since": rng.since,
                "until": rng.until,
                "total": len(rows),
                "prompts": shown,
                "totals": {k: sum(r[k] for r in rows) for k in FIGURES},
            }
        )

    @staticmethod
    def _row(key: tuple[str, str, Any], p: Row | None, r: Row | None) -> dict[str, Any]:
        project, session, uuid = key
        first = (r or {}).get("first_ts")
        last = (r or {}).get("last_ts")
        time = p["ts"] if p is not None else first
        return {
            "project_path": project,
            "session_id": session,
            "uuid": uuid,
            "kind": "before_first_prompt" if p is None else p["kind"],
            "text": None if p is None else p["text"],
            "time": time,
            "last_activity": last,
            "duration_seconds": (
                (last - time).total_seconds() if last is not None and time is not None else None
            ),
            "subagents": int((r or {}).get("subagents") or 0),
            "subagent_cost": float((r or {}).get("subagent_cost") or 0.0),
            **_figures(r),
        }


_EPOCH = datetime(1970, 1, 1)  # naive UTC, as the index's times
FIGURES = (
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "total_tokens",
    "total_cost",
    "responses",
)
