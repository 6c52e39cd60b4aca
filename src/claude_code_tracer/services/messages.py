"""Message lists and full entries of a session or a subagent.

Lists come from the index alone. A full entry also reads its own lines back from the
transcript, at the offsets the index recorded (the path comes from the index, never from the
request), so the index does not have to hold every tool output twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import orjson

from claude_code_tracer.models.responses import (
    FilterOptions,
    MessageDetail,
    MessageList,
    MessageSummary,
    NamedCount,
    ToolCallBrief,
    ToolCallDetail,
)
from claude_code_tracer.services import queries as q
from claude_code_tracer.services.store import NotFound, tokens
from claude_code_tracer.transcript.content import block_text, entry_text
from claude_code_tracer.transcript.lines import open_regular, read_from, read_lines
from claude_code_tracer.transcript.rows import MAIN_THREAD
from claude_code_tracer.transcript.state import PREVIEW_CAP

LIST_TEXT_CAP = 4_000  # characters of text per message in lists
RESULT_CAP = 256 * 1024  # characters of a tool result in a full entry
BLOB_CAP = 2_048  # base64 payloads longer than this are replaced by a placeholder
HUGE_FIELDS = ("originalFile", "originalFileContents")  # whole files kept by Edit results


@dataclass(frozen=True)
class MessageFilter:
    kind: str | None = None
    tool: str | None = None
    errors_only: bool = False
    model: str | None = None
    search: str | None = None
    found: tuple[str, ...] = ()  # entries whose full text, read from the transcript, matched

    def params(self, project: str, session: str, agent: str) -> list[Any]:
        return [
            project,
            session,
            agent,
            self.kind,
            self.kind,
            self.tool,
            self.tool,
            self.errors_only,
            self.model,
            self.model,
            self.search,
            self.search,
            self.search,
            project,
            session,
            self.search,
            list(self.found),
        ]


NO_FILTER = MessageFilter()


def _summary(r: Sequence[Any], calls: list[ToolCallBrief], cap: int) -> dict[str, Any]:
    text = r[11] or ""
    usage = None if r[18] is None else tokens(r[18], r[19], r[20], r[21])
    return {
        "index": int(r[0]) if r[0] is not None else -1,
        "uuid": r[1],
        "parent_uuid": r[2],
        "entry_type": r[3],
        "kind": r[4],
        "subtype": r[5],
        "timestamp": r[6],
        "agent_id": r[7] or None,
        "is_sidechain": bool(r[8]),
        "is_meta": bool(r[9]),
        "model": r[10],
        "text": text[:cap],
        "text_length": int(r[12] or 0),
        "text_truncated": int(r[12] or 0) > min(len(text), cap),
        "thinking": r[13],
        "tool_names": list(r[14] or []),
        "tool_calls": calls,
        "has_error": bool(r[15]),
        "error_category": r[16],
        "tokens": usage,
        "cost": None if r[22] is None else float(r[22]),
        "line_count": int(r[17] or 1),
    }


class Messages:
    """Messages of one stream: a session's main thread (agent '') or one subagent."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, project: str, session: str, agent: str):
        self.cur = cur
        self.project = project
        self.session = session
        self.agent = agent
        self._own = (project, session)

    def _calls(self, uuids: list[str]) -> dict[str, list[tuple[Any, ...]]]:
        if not uuids:
            return {}
        rows = self.cur.execute(
            q.TOOL_CALLS_OF_MESSAGES, [*self._own, *self._own, uuids]
        ).fetchall()
        out: dict[str, list[tuple[Any, ...]]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(r)
        return out

    @staticmethod
    def _brief(r: tuple[Any, ...]) -> ToolCallBrief:
        return ToolCallBrief(
            tool_use_id=r[1],
            name=r[2],
            key_arg=r[3],
            is_error=r[4],
            error_kind=r[5],
            duration_ms=r[6],
            has_result=bool(r[7]),
            subagent_id=r[8],
        )

    def _found_in_sources(self, flt: MessageFilter) -> tuple[str, ...]:
        """Entries cut short in the index whose full text holds the search term."""
        assert flt.search is not None
        unsearched = replace(flt, search=None, found=())
        rows = self.cur.execute(
            q.MESSAGES_TRUNCATED,
            [*unsearched.params(self.project, self.session, self.agent), PREVIEW_CAP],
        ).fetchall()
        needle = flt.search.lower()
        found = []
        by_path: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_path.setdefault(row[1], []).append(row)
        for path, entries in by_path.items():  # each transcript opened once
            try:
                stream = open_regular(path)
            except OSError:
                continue
            with stream:
                for uuid, _, offsets, lengths, uuids in entries:
                    lines = read_from(stream, offsets, lengths, uuids)
                    if lines and needle in entry_text(lines).lower():
                        found.append(uuid)
        return tuple(found)

    def page(
        self, flt: MessageFilter = NO_FILTER, page: int = 1, per_page: int = 50
    ) -> MessageList:
        if flt.search:
            flt = replace(flt, found=self._found_in_sources(flt))
        params = flt.params(self.project, self.session, self.agent)
        rows = self.cur.execute(
            q.MESSAGES_PAGE, [*self._own, *params, per_page, (page - 1) * per_page]
        ).fetchall()
        if rows:
            total = int(rows[0][-1])
        else:  # a page past the end: the total still counts
            total_row = self.cur.execute(q.MESSAGES_COUNT, params).fetchone()
            total = int(total_row[0]) if total_row else 0
        calls = self._calls([r[1] for r in rows])
        items = [
            MessageSummary(
                **_summary(r, [self._brief(c) for c in calls.get(r[1], [])], LIST_TEXT_CAP)
            )
            for r in rows
        ]
        return MessageList(
            messages=items,
            total=total,
            page=page,
            per_page=per_page,
            pages=max(1, -(-total // per_page)),
        )

    def filters(self) -> FilterOptions:
        params = NO_FILTER.params(self.project, self.session, self.agent)
        facets: dict[str, list[NamedCount]] = {"kind": [], "tool": [], "model": []}
        errors = 0
        for facet, value, n in self.cur.execute(q.FILTER_OPTIONS, params).fetchall():
            if facet == "errors":
                errors = int(n)
            else:
                facets[facet].append(NamedCount(value=str(value), count=int(n)))
        return FilterOptions(
            total=sum(k.count for k in facets["kind"]),
            types=facets["kind"],
            tools=facets["tool"],
            models=facets["model"],
            errors=errors,
        )

    # -- one message --------------------------------------------------------------------------

    def by_uuid(self, uuid: str) -> MessageDetail:
        row = self.cur.execute(
            q.MESSAGE_BY_UUID, [*self._own, self.project, self.session, self.agent, uuid]
        ).fetchone()
        if row is None:
            raise NotFound("message")
        return self._detail(row)

    def by_index(self, index: int) -> MessageDetail:
        row = self.cur.execute(
            q.MESSAGE_BY_INDEX, [*self._own, self.project, self.session, self.agent, index]
        ).fetchone()
        if row is None:
            raise NotFound("message")
        return self._detail(row)

    def _detail(self, r: tuple[Any, ...]) -> MessageDetail:
        uuid = r[1]
        call_rows = self._calls([uuid]).get(uuid, [])
        lines = read_lines(r[27], r[28], r[29], r[30])
        blocks: list[Any] = []
        usage: dict[str, Any] | None = None
        tool_use_result: Any = None
        if lines is not None:
            for obj in lines:
                message = obj.get("message")
                content = message.get("content") if isinstance(message, dict) else None
                if content is None and "content" in obj:
                    content = obj.get("content")
                if isinstance(content, list):
                    blocks.extend(sanitize(b) for b in content)
                elif content not in (None, ""):
                    blocks.append({"type": "text", "text": content})
                if isinstance(message, dict) and isinstance(message.get("usage"), dict):
                    usage = message["usage"]
                if "toolUseResult" in obj:
                    tool_use_result = sanitize(obj["toolUseResult"])
                if obj.get("type") == "attachment":
                    blocks.append({"type": "attachment", "attachment": sanitize(obj["attachment"])})
        details = [self._tool_detail(c, blocks) for c in call_rows]
        base = _summary(r, [self._brief(c) for c in call_rows], len(r[11] or ""))
        return MessageDetail(
            **base,
            session_id=r[23],
            project_hash=r[24],
            message_id=r[25],
            request_id=r[26],
            cwd=envelope(lines, "cwd"),
            git_branch=envelope(lines, "gitBranch"),
            version=envelope(lines, "version"),
            blocks=blocks,
            tool_details=details,
            tool_use_result=tool_use_result,
            usage=usage,
            source_available=lines is not None,
        )

    def _tool_detail(self, c: tuple[Any, ...], blocks: list[Any]) -> ToolCallDetail:
        tool_input: Any = None
        for b in blocks:
            if (
                isinstance(b, dict)
                and b.get("type") in ("tool_use", "server_tool_use")
                and b.get("id") == c[1]
            ):
                tool_input = b.get("input")
                break
        else:
            try:
                tool_input = orjson.loads(c[9]) if c[9] and len(c[9]) == c[10] else c[9]
            except orjson.JSONDecodeError:
                tool_input = c[9]
        result, structured = self._result(c[11], c[1])
        return ToolCallDetail(
            tool_use_id=c[1],
            name=c[2],
            key_arg=c[3],
            input=tool_input,
            result=None if result is None else result[:RESULT_CAP],
            result_truncated=result is not None and len(result) > RESULT_CAP,
            result_uuid=c[11],
            is_error=c[4],
            error_kind=c[5],
            duration_ms=c[6],
            tool_use_result=structured,
            subagent_id=c[8],
        )

    def _result(self, result_uuid: str | None, tool_use_id: str) -> tuple[str | None, Any]:
        if not result_uuid:
            return None, None
        row = self.cur.execute(
            q.MESSAGE_SOURCE, [self.project, self.session, result_uuid]
        ).fetchone()
        if row is None:
            return None, None
        lines = read_lines(row[0], row[1], row[2], row[3])
        if not lines:
            return None, None
        for obj in lines:
            message = obj.get("message")
            content = message.get("content") if isinstance(message, dict) else None
            if not isinstance(content, list):
                continue
            results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
            for b in results:
                if b.get("tool_use_id") == tool_use_id:
                    structured = obj.get("toolUseResult") if len(results) == 1 else None
                    return block_text(b.get("content")), sanitize(structured)
        return None, None


def envelope(lines: list[dict[str, Any]] | None, key: str) -> str | None:
    """A field of the entry's first line (cwd, git branch, version), when it has one."""
    value = lines[0].get(key) if lines else None
    return value if isinstance(value, str) else None


def sanitize(value: Any, depth: int = 0) -> Any:
    """A JSON value safe to send: base64 payloads and whole-file copies replaced by a note."""
    if depth > 50:
        return "[nested too deep]"
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in HUGE_FIELDS and isinstance(item, str) and len(item) > BLOB_CAP:
                out[key] = f"[{len(item)} characters not shown]"
            elif (key == "data" and isinstance(item, str) and len(item) > BLOB_CAP) or (
                key == "base64" and isinstance(item, str)
            ):
                out[key] = f"[{len(item)} bytes of encoded data not shown]"
            else:
                out[key] = sanitize(item, depth + 1)
        return out
    if isinstance(value, list):
        return [sanitize(item, depth + 1) for item in value]
    return value


def stream_for(agent_id: str | None) -> str:
    return agent_id or MAIN_THREAD
