"""Reads of prompts: each prompt (or slash command) a person typed, and everything billed
after it in its session until the next one, its subagents included (an agent belongs to the
prompt during which it started). What came before a session's first prompt is a row of its
own (`uuid` None). The roll-ups keep each prompt's facts in the `prompts` table
(`index.prompt_facts`), so a read filters, sorts and pages that table."""

from __future__ import annotations

from typing import Any

from claude_code_tracer.index.cursor import ALL_TIME, BaseReader, Row, TimeRange
from claude_code_tracer.index.models.reports import PromptReport
from claude_code_tracer.index.queries import SORT_DIRECTIONS, SortOrder
from claude_code_tracer.transcript.kinds import COST_DRIVERS, CostDriver, PromptSort

# ORDER BY of each sort (the direction formatted in); ties in the order they were typed
PROMPT_SORTS: dict[PromptSort, str] = {
    "time": "ts {dir} NULLS LAST, session_id, uuid NULLS FIRST",
    "cost": "cost {dir}, ts NULLS LAST, session_id, uuid NULLS FIRST",
    "tokens": "total_tokens {dir}, ts NULLS LAST, session_id, uuid NULLS FIRST",
    "duration": "duration_seconds {dir} NULLS LAST, ts NULLS LAST, session_id, uuid NULLS FIRST",
    "responses": "responses {dir}, ts NULLS LAST, session_id, uuid NULLS FIRST",
}
# as typed: the first first; by any figure: the most first
DEFAULT_ORDER: dict[PromptSort, SortOrder] = {
    "time": "asc",
    "cost": "desc",
    "tokens": "desc",
    "duration": "desc",
    "responses": "desc",
}

# the prompts in scope (placeholders: project, session, range start and end, least cost)
PROMPTS_WHERE = """
    (?::VARCHAR IS NULL OR project_hash = ?) AND (?::VARCHAR IS NULL OR session_id = ?)
    AND (?::TIMESTAMP IS NULL OR ts >= ?) AND (?::TIMESTAMP IS NULL OR ts < ?)
    AND (?::DOUBLE IS NULL OR cost >= ?)
"""
PROMPT_PAGE = f"""
SELECT * FROM prompts WHERE {PROMPTS_WHERE}
ORDER BY {{order}}
LIMIT ? OFFSET ?
"""
# the titles and project paths of the sessions of a page (a second small read, not a join: the
# page's nested columns are not carried through one)
PAGE_SESSIONS = """
SELECT s.project_hash, s.session_id, s.title, p.project_path
FROM sessions s LEFT JOIN projects p ON p.path_hash = s.project_hash
WHERE s.session_id IN (SELECT unnest(?::VARCHAR[]))
"""
PROMPT_TOTALS = f"""
SELECT count(*) AS n, coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cache_creation_tokens), 0) AS cache_creation_tokens,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cost::DECIMAL(38, 18))::DOUBLE, 0.0) AS cost,
    coalesce(sum(responses), 0) AS responses
FROM prompts WHERE {PROMPTS_WHERE}
"""


class PromptReads(BaseReader):
    """What each prompt cost, and why."""

    def prompts(
        self,
        project: str | None = None,
        session: str | None = None,
        rng: TimeRange = ALL_TIME,
        *,
        sort: PromptSort = "time",
        order: SortOrder | None = None,
        limit: int | None = None,
        offset: int = 0,
        min_cost: float | None = None,
    ) -> PromptReport:
        """The prompts of a session, a project or everything, sorted (`order` defaults to as
        typed for time, the most first for the others) and paged; the range picks prompts by
        the time they were typed, `min_cost` those that cost at least that much."""
        if project is not None:
            self.project_path(project)
        direction = order or DEFAULT_ORDER[sort]
        where = [
            project,
            project,
            session,
            session,
            rng.start,
            rng.start,
            rng.end,
            rng.end,
            min_cost,
            min_cost,
        ]
        sql = PROMPT_PAGE.format(order=PROMPT_SORTS[sort].format(dir=SORT_DIRECTIONS[direction]))
        rows = self._all(sql, [*where, limit, offset])
        totals = self._one(PROMPT_TOTALS, where) or {}
        sessions = {
            (r["project_hash"], r["session_id"]): r
            for r in self._all(PAGE_SESSIONS, [sorted({r["session_id"] for r in rows})])
        }
        return PromptReport.model_validate(
            {
                "scope_project": project,
                "scope_session": session,
                "timezone": rng.tz,
                "since": rng.since,
                "until": rng.until,
                "sort": sort,
                "order": direction,
                "min_cost": min_cost,
                "offset": offset,
                "limit": limit,
                "total": int(totals.get("n") or 0),
                "prompts": [
                    prompt_row(r, sessions.get((r["project_hash"], r["session_id"]))) for r in rows
                ],
                "totals": figures(totals),
            }
        )


def figures(r: Row) -> dict[str, Any]:
    """The usage figures of a row of token sums, its cost and its responses."""
    i, o = int(r.get("input_tokens") or 0), int(r.get("output_tokens") or 0)
    cc, cr = int(r.get("cache_creation_tokens") or 0), int(r.get("cache_read_tokens") or 0)
    return {
        "input_tokens": i,
        "output_tokens": o,
        "cache_creation_tokens": cc,
        "cache_read_tokens": cr,
        "total_tokens": i + o + cc + cr,
        "total_cost": float(r.get("cost") or 0.0),
        "responses": int(r.get("responses") or 0),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def prompt_row(r: Row, session: Row | None) -> dict[str, Any]:
    """A `PromptRow` of a row of the `prompts` table (and of its session's), as plain data."""
    f = figures(r)
    prompt_tokens = f["input_tokens"] + f["cache_creation_tokens"] + f["cache_read_tokens"]
    return {
        "project_path": r["project_hash"],
        "project": session and session["project_path"],
        "session_id": r["session_id"],
        "session_title": session and session["title"],
        "uuid": r["uuid"],
        "kind": r["kind"],
        "text": r["text"],
        "time": r["ts"],
        "last_activity": r["last_activity"],
        "duration_seconds": r["duration_seconds"],
        "subagents": int(r["subagents"]),
        "subagent_cost": float(r["subagent_cost"]),
        "interrupted": bool(r["interrupted"]),
        "tool_calls": int(r["tool_calls"]),
        "tools": r["tools"],
        "models": [
            {**m, "model_name": m["model"], "cost": float(m["cost"] or 0.0)} for m in r["models"]
        ],
        "agents": [
            {
                **a,
                "total_tokens": a["input_tokens"]
                + a["output_tokens"]
                + a["cache_creation_tokens"]
                + a["cache_read_tokens"],
                "cost": float(a["cost"] or 0.0),
            }
            for a in r["agents"]
        ],
        "first_context": r["first_context"],
        "last_context": r["last_context"],
        "cache_hit_rate": _share(f["cache_read_tokens"], prompt_tokens),
        "output_share": _share(f["output_tokens"], f["total_tokens"]),
        "drivers": drivers(r),
        **f,
    }


def drivers(r: Row) -> dict[str, Any]:
    """Where a prompt's cost came from, and the largest part in words."""
    costs: dict[CostDriver, float] = {
        "cache_read": float(r["cache_read_cost"]),
        "cache_write": float(r["cache_write_cost"]),
        "input": float(r["input_cost"]),
        "output": float(r["output_cost"]),
        "subagents": float(r["subagent_cost"]),
    }
    # the largest to the nano-dollar (float sums of equal parts differ in the last bits); of
    # equal parts the first of COST_DRIVERS
    top = max(COST_DRIVERS, key=lambda k: round(costs[k], 9))
    total = float(r["cost"])
    out: dict[str, Any] = {str(k): v for k, v in costs.items()}
    out.update(largest=None, largest_share=None, summary=None)
    if costs[top] > 0 and total > 0:
        share = costs[top] / total
        out.update(
            largest=top,
            largest_share=round(share, 4),
            summary=f"{100 * share:.0f}% {driver_words(top, r)}",
        )
    return out


def _responses(n: int) -> str:
    return f"{n:,} response{'' if n == 1 else 's'}"


def driver_words(driver: CostDriver, r: Row) -> str:
    """`cache reads of a 180k context over 41 responses`: what made a driver cost."""
    n = int(r["main_responses"])
    if driver == "subagents":
        agents = r["agents"]
        named = ", ".join(
            f"{a['agent_type'] or a['kind'] or 'agent'} {dollars(float(a['cost'] or 0.0))}"
            for a in agents[:3]
        )
        more = f", {len(agents) - 3} more" if len(agents) > 3 else ""
        return f"{len(agents)} subagent{'' if len(agents) == 1 else 's'} ({named}{more})"
    if driver == "cache_read":
        context = int(r["main_cache_read_tokens"]) // max(n, 1)
        return f"cache reads of a {short_count(context)} context over {_responses(n)}"
    tokens = {
        "cache_write": ("main_cache_creation_tokens", "cache writes of"),
        "input": ("main_input_tokens", "uncached input of"),
        "output": ("main_output_tokens", "output of"),
    }
    column, words = tokens[driver]
    return f"{words} {short_count(int(r[column]))} tokens over {_responses(n)}"


def short_count(n: int) -> str:
    """A token count in at most six characters: 864k, 20.6M, 5.61B."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= size:
            value = n / size
            return f"{value:.3g}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return str(n)


def dollars(x: float) -> str:
    """`$1.10`, and the first digits of a cost under a cent: `$0.0042`."""
    return f"${x:,.2f}" if x >= 0.01 or x == 0 else f"${x:.2g}"
