"""Reads of projects: the list, and a project's tools, subagents and skills over a range."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from claude_code_tracer.index import queries as q
from claude_code_tracer.index.models.projects import (
    BranchList,
    BranchStat,
    CommandStat,
    CommandStatList,
    ProjectList,
    ProjectSkill,
    ProjectSkillList,
    ProjectSummary,
    SubagentTypeList,
    SubagentTypeStat,
)
from claude_code_tracer.index.models.sessions import ToolStats
from claude_code_tracer.index.queries import ProjectSort
from claude_code_tracer.index.reads import (
    ALL_TIME,
    Reader,
    Row,
    TimeRange,
    cache_hit_rate,
    mean_of,
    row_tokens,
    sum_tokens,
    tool_stats,
)


def uses(r: Row) -> dict[str, Any]:
    """How often something was used over a range, in how many sessions, and at what cost (in
    all, and on average over the uses that have a cost)."""
    total = float(r["total_cost"])
    return {
        "count": int(r["n"]),
        "sessions": int(r["sessions"]),
        "first_used": r["first_used"],
        "last_used": r["last_used"],
        "total_cost": total,
        "mean_cost": mean_of(total, int(r["costed"])),
    }


class ProjectReads(Reader):
    def projects(
        self,
        rng: TimeRange = ALL_TIME,
        sort: ProjectSort = "last_activity",
        search: str | None = None,
    ) -> ProjectList:
        order = q.PROJECT_SORTS[sort]
        if rng.start is None and rng.end is None:
            rows = self._all(q.PROJECTS_ALL.format(order=order), [search, search])
        else:
            start = rng.start or datetime(1970, 1, 1)
            end = rng.end or datetime(9999, 1, 1)
            rows = self._all(
                q.PROJECTS_RANGE.format(order=order), [start, end, start, end, search, search]
            )
        items = [self._project(r) for r in rows]
        return ProjectList(
            projects=items,
            total=len(items),
            tokens=sum_tokens([p.tokens for p in items]),
            total_cost=sum(p.total_cost for p in items),
        )

    @staticmethod
    def _project(r: Row) -> ProjectSummary:
        t = row_tokens(r)
        return ProjectSummary(
            path_hash=r["path_hash"],
            project_path=r["project_path"],
            session_count=int(r["session_count"] or 0),
            message_count=int(r["message_count"] or 0),
            tool_calls=int(r["tool_calls"] or 0),
            errors=int(r["errors"] or 0),
            tokens=t,
            total_cost=float(r["total_cost"] or 0.0),
            cache_hit_rate=cache_hit_rate(t),
            first_activity=r["first_activity"],
            last_activity=r["last_activity"],
            models=list(r["models"] or []),
        )

    def project_tools(self, path_hash: str, rng: TimeRange = ALL_TIME) -> ToolStats:
        """Tool calls of a project (subagents included) made within `rng`."""
        self.project_path(path_hash)
        params = [path_hash, path_hash, None, None, None, None, *rng.params()]
        return tool_stats(self._all(q.PROJECT_TOOL_STATS, params))

    def project_subagents(self, path_hash: str, rng: TimeRange = ALL_TIME) -> SubagentTypeList:
        """Subagents of a project active within `rng`, by type."""
        self.project_path(path_hash)
        types = [
            SubagentTypeStat(
                agent_type=r["agent_type"] or "?",
                kind=r["kind"] or "task",
                count=int(r["n"]),
                sessions=int(r["sessions"]),
                errors=int(r["errors"]),
                tool_calls=int(r["tool_calls"]),
                tokens=row_tokens(r),
                cost=float(r["cost"]),
                mean_duration_seconds=(
                    None if r["mean_duration"] is None else round(float(r["mean_duration"]), 3)
                ),
            )
            for r in self._all(q.PROJECT_SUBAGENT_TYPES, [path_hash, *rng.params()])
        ]
        return SubagentTypeList(
            types=types,
            total=sum(t.count for t in types),
            tokens=sum_tokens([t.tokens for t in types]),
            cost=sum(t.cost for t in types),
        )

    def _exists(self, path_hash: str | None) -> None:
        if path_hash is not None:
            self.project_path(path_hash)

    def project_skills(self, path_hash: str | None, rng: TimeRange = ALL_TIME) -> ProjectSkillList:
        """Skills a project (None: every project) invoked within `rng`, the costliest first."""
        self._exists(path_hash)
        skills = [
            ProjectSkill(
                skill=r["skill"],
                errors=int(r["errors"]),
                **uses(r),
            )
            for r in self._all(q.PROJECT_SKILLS, [path_hash, path_hash, *rng.params()])
        ]
        return ProjectSkillList(
            skills=skills,
            total=sum(s.count for s in skills),
            total_cost=sum(s.total_cost for s in skills),
        )

    def project_commands(self, path_hash: str | None, rng: TimeRange = ALL_TIME) -> CommandStatList:
        """Commands typed in a project (None: every project) within `rng`, by name and source,
        the costliest first."""
        self._exists(path_hash)
        commands = [
            CommandStat(
                name=r["name"],
                source=r["source"],
                **uses(r),
            )
            for r in self._all(q.PROJECT_COMMANDS, [path_hash, path_hash, *rng.params()])
        ]
        return CommandStatList(
            commands=commands,
            total=sum(c.count for c in commands),
            total_cost=sum(c.total_cost for c in commands),
        )

    def project_branches(self, path_hash: str, rng: TimeRange = ALL_TIME) -> BranchList:
        """A project's git branches, by the responses recorded on each within `rng`."""
        self.project_path(path_hash)
        branches = [
            BranchStat(
                branch=r["branch"],
                sessions=int(r["sessions"]),
                prompts=int(r["prompts"]),
                responses=int(r["responses"]),
                tokens=row_tokens(r),
                cost=float(r["cost"] or 0.0),
                first_activity=r["first_activity"],
                last_activity=r["last_activity"],
            )
            for r in self._all(q.PROJECT_BRANCHES, [path_hash, *rng.params()])
        ]
        return BranchList(
            branches=branches,
            total=len(branches),
            tokens=sum_tokens([b.tokens for b in branches]),
            cost=sum(b.cost for b in branches),
        )
