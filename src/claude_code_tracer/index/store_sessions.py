"""Reads of sessions and subagents: lists, details, their sections, and their messages."""

from __future__ import annotations

from typing import Any

from claude_code_tracer.index import queries as q
from claude_code_tracer.index.messages import Messages
from claude_code_tracer.index.models.sessions import (
    CodeChange,
    CodeChangeList,
    CommandCount,
    CommandEntry,
    CommandList,
    Compaction,
    ErrorEntry,
    ErrorList,
    FileChangeStat,
    SessionDetail,
    SessionList,
    SessionSummary,
    SkillCall,
    SkillList,
    SkillStat,
    SubagentDetail,
    SubagentList,
    SubagentSummary,
    ToolStats,
)
from claude_code_tracer.index.queries import SessionSort, SortOrder
from claude_code_tracer.index.reads import (
    ALL_TIME,
    NotFound,
    Reader,
    Row,
    TimeRange,
    cache_hit_rate,
    cost_stat,
    row_tokens,
    seconds,
    sum_tokens,
    tool_stats,
)
from claude_code_tracer.transcript.kinds import ErrorCategory
from claude_code_tracer.transcript.rows import MAIN_THREAD


class SessionReads(Reader):
    @staticmethod
    def _session(r: Row) -> dict[str, Any]:
        t = row_tokens(r)
        return {
            "session_id": r["session_id"],
            "project_hash": r["project_hash"],
            "title": r["title"],
            "title_source": r["title_source"],
            "first_prompt": r["first_prompt"],
            "start_time": r["start_time"],
            "end_time": r["end_time"],
            "duration_seconds": seconds(r["duration_seconds"]),
            "message_count": int(r["message_count"] or 0),
            "prompt_count": int(r["prompt_count"] or 0),
            "tool_calls": int(r["tool_calls"] or 0),
            "tokens": t,
            "cost": float(r["cost"] or 0.0),
            "subagent_tokens": row_tokens(r, "sub_"),
            "subagent_cost": float(r["sub_cost"] or 0.0),
            "cache_hit_rate": cache_hit_rate(t),
            "errors": int(r["errors"] or 0),
            "subagent_count": int(r["subagent_count"] or 0),
            "models": list(r["models"] or []),
            "unpriced_models": list(r["unpriced_models"] or []),
            "git_branch": r["git_branch"],
            "version": r["version"],
            "status": r["status"],
        }

    def _now3(self) -> list[Any]:
        return [self.now, self.now, self.now]

    def sessions(
        self,
        path_hash: str,
        *,
        page: int = 1,
        per_page: int = 50,
        sort: SessionSort = "start",
        order: SortOrder = "desc",
        search: str | None = None,
        rng: TimeRange = ALL_TIME,
    ) -> SessionList:
        self.project_path(path_hash)
        order_sql = q.SESSION_SORTS[sort].format(dir=q.SORT_DIRECTIONS[order])
        where = [path_hash, *rng.params(), search, search, search, search]
        rows = self._all(
            q.SESSIONS_OF_PROJECT.format(order=order_sql),
            [*self._now3(), *where, per_page, (page - 1) * per_page],
        )
        total = self._one(q.SESSIONS_COUNT, where)
        return SessionList(
            sessions=[SessionSummary(**self._session(r)) for r in rows],
            total=int(total["total"]) if total else 0,
            page=page,
            per_page=per_page,
        )

    def session(self, path_hash: str, session_id: str) -> SessionDetail:
        row = self._one(q.SESSION_ONE, [*self._now3(), path_hash, session_id])
        if row is None:
            raise NotFound("session")
        return SessionDetail(
            **self._session(row),
            project_path=row["project_path"],
            cwd=row["cwd"],
            bad_lines=int(row["bad_lines"] or 0),
            last_activity=row["last_activity"],
            compactions=int(row["compactions"] or 0),
            model_usage=self.model_usage(path_hash, session_id),
        )

    def messages(self, path_hash: str, session_id: str, agent_id: str = MAIN_THREAD) -> Messages:
        """The messages of one stream: a session's main thread, or one of its subagents."""
        return Messages(self.cur, path_hash, session_id, agent_id)

    def tools(
        self, project: str | None, session: str | None = None, agent: str | None = None
    ) -> ToolStats:
        return tool_stats(
            self._all(q.TOOL_STATS, [project, project, session, session, agent, agent])
        )

    # -- subagents ----------------------------------------------------------------------------

    @staticmethod
    def _agent(r: Row) -> dict[str, Any]:
        return {
            "agent_id": r["agent_id"],
            "session_id": r["session_id"],
            "project_hash": r["project_hash"],
            "kind": r["kind"],
            "agent_type": r["agent_type"],
            "description": r["description"],
            "spawn_tool_use_id": r["spawn_tool_use_id"],
            "spawn_message_uuid": r["spawn_message_uuid"],
            "is_async": bool(r["is_async"]),
            "start_time": r["start_time"],
            "end_time": r["end_time"],
            "duration_seconds": seconds(r["duration_seconds"]),
            "message_count": int(r["message_count"] or 0),
            "tool_calls": int(r["tool_calls"] or 0),
            "errors": int(r["errors"] or 0),
            "tokens": row_tokens(r),
            "cost": float(r["cost"] or 0.0),
            "models": list(r["models"] or []),
        }

    def subagents(self, path_hash: str, session_id: str) -> SubagentList:
        self.require_session(path_hash, session_id)
        items = [
            SubagentSummary(**self._agent(r))
            for r in self._all(q.AGENTS_OF_SESSION, [path_hash, session_id])
        ]
        return SubagentList(
            subagents=items,
            total=len(items),
            tokens=sum_tokens([a.tokens for a in items]),
            cost=sum(a.cost for a in items),
        )

    def subagent(
        self, path_hash: str, agent_id: str, session_id: str | None = None
    ) -> SubagentDetail:
        row = self._one(q.AGENT_ONE, [path_hash, agent_id, session_id])
        if row is None:
            raise NotFound("subagent")
        base = self._agent(row)
        return SubagentDetail(
            **base,
            session_title=row["session_title"],
            project_path=row["project_path"],
            prompt=row["prompt"],
            model_usage=self.model_usage(path_hash, base["session_id"], agent_id),
        )

    # -- session sections ---------------------------------------------------------------------

    def skills(self, path_hash: str, session_id: str) -> SkillList:
        self.require_session(path_hash, session_id)
        calls = [
            SkillCall(
                skill=r["skill"] or "?",
                tool_use_id=r["tool_use_id"],
                timestamp=r["ts"],
                message_uuid=r["message_uuid"],
                agent_id=r["agent_id"] or None,
                is_error=r["is_error"],
                duration_ms=r["duration_ms"],
                cost=r["cost_after"],
            )
            for r in self._all(q.SKILL_CALLS, [path_hash, session_id])
        ]
        stats: dict[str, list[SkillCall]] = {}
        for call in calls:
            stats.setdefault(call.skill, []).append(call)
        skills = [
            SkillStat(
                skill=name,
                count=len(group),
                errors=sum(1 for c in group if c.is_error),
                first_used=min((c.timestamp for c in group if c.timestamp), default=None),
                last_used=max((c.timestamp for c in group if c.timestamp), default=None),
                **cost_stat([c.cost for c in group]),
            )
            for name, group in sorted(stats.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]
        return SkillList(skills=skills, calls=calls, total=len(calls))

    def code_changes(self, path_hash: str, session_id: str) -> CodeChangeList:
        self.require_session(path_hash, session_id)
        changes = [
            CodeChange(
                file_path=r["file_path"],
                change_type=r["change_type"],
                tool_name=r["tool_name"],
                lines_added=int(r["lines_added"] or 0),
                lines_removed=int(r["lines_removed"] or 0),
                timestamp=r["ts"],
                message_uuid=r["message_uuid"],
                tool_use_id=r["tool_use_id"],
                agent_id=r["agent_id"] or None,
            )
            for r in self._all(q.CODE_CHANGES_OF_SESSION, [path_hash, session_id])
        ]
        files: dict[str, list[CodeChange]] = {}
        for change in changes:
            files.setdefault(change.file_path, []).append(change)
        stats = [
            FileChangeStat(
                file_path=path,
                changes=len(group),
                lines_added=sum(c.lines_added for c in group),
                lines_removed=sum(c.lines_removed for c in group),
                created=any(c.change_type == "create" for c in group),
            )
            for path, group in files.items()
        ]
        stats.sort(key=lambda s: (-(s.lines_added + s.lines_removed), s.file_path))
        return CodeChangeList(
            changes=changes,
            files=stats,
            total=len(changes),
            lines_added=sum(c.lines_added for c in changes),
            lines_removed=sum(c.lines_removed for c in changes),
        )

    def errors(
        self, path_hash: str, session_id: str, category: ErrorCategory | None = None
    ) -> ErrorList:
        self.require_session(path_hash, session_id)
        rows = self._all(q.ERRORS_OF_SESSION, [path_hash, session_id, category, category])
        entries = [
            ErrorEntry(
                category=r["category"],
                message=r["message"] or "",
                timestamp=r["ts"],
                tool_name=r["tool_name"],
                tool_use_id=r["tool_use_id"],
                message_uuid=r["message_uuid"],
                agent_id=r["agent_id"] or None,
                status=r["status"],
            )
            for r in rows
        ]
        by_category: dict[str, int] = {}
        for e in entries:
            by_category[e.category] = by_category.get(e.category, 0) + 1
        return ErrorList(errors=entries, total=len(entries), by_category=by_category)

    def commands(self, path_hash: str, session_id: str) -> CommandList:
        self.require_session(path_hash, session_id)
        entries = [
            CommandEntry(
                name=r["name"],
                args=r["args"] or "",
                source=r["source"],
                timestamp=r["ts"],
                message_uuid=r["message_uuid"],
                agent_id=r["agent_id"] or None,
                cost=r["cost"],
            )
            for r in self._all(q.COMMANDS_OF_SESSION, [path_hash, session_id])
        ]
        named: dict[str, list[CommandEntry]] = {}
        for e in entries:
            named.setdefault(e.name, []).append(e)
        by_name = [
            CommandCount(value=k, count=len(v), **cost_stat([e.cost for e in v]))
            for k, v in sorted(named.items(), key=lambda x: -len(x[1]))
        ]
        return CommandList(commands=entries, total=len(entries), by_name=by_name)

    def compactions(self, path_hash: str, session_id: str) -> list[Compaction]:
        return [
            Compaction(
                trigger=r["trigger"],
                pre_tokens=r["pre_tokens"],
                post_tokens=r["post_tokens"],
                timestamp=r["ts"],
                message_uuid=r["message_uuid"],
            )
            for r in self._all(q.COMPACTIONS_OF_SESSION, [path_hash, session_id])
        ]
