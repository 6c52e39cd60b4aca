"""Message lists and full entries of a session or a subagent.

Lists come from the index alone. A full entry also reads its own lines back from the
transcript, at the offsets the index recorded (the path comes from the index, never from the
request), so the index does not have to hold every tool output twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb
import orjson

from claude_code_tracer.index import message_queries as q
from claude_code_tracer.index.models.common import NamedCount
from claude_code_tracer.index.models.messages import (
    FilterOptions,
    MessageDetail,
    MessageList,
    MessageSummary,
    ToolCallBrief,
    ToolCallDetail,
)
from claude_code_tracer.index.reads import NotFound, Row, fetch_all, fetch_one, row_tokens
from claude_code_tracer.transcript.content import block_text, entry_text
from claude_code_tracer.transcript.kinds import Kind
from claude_code_tracer.transcript.lines import open_regular, read_from, read_lines
from claude_code_tracer.transcript.state import PREVIEW_CAP

LIST_TEXT_CAP = 4_000  # characters of text per message in lists
RESULT_CAP = 256 * 1024  # characters of a tool result in a full entry
BLOB_CAP = 2_048  # base64 payloads longer than this are replaced by a placeholder
HUGE_FIELDS = ("originalFile", "originalFileContents")  # whole files kept by Edit results


@dataclass(frozen=True)
class MessageFilter:
    kind: Kind | None = None
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


def _summary(r: Row, calls: list[ToolCallBrief], cap: int) -> dict[str, Any]:
    text = r["text"] or ""
    text_length = int(r["text_len"] or 0)
    return {
        "index": int(r["seq"]) if r["seq"] is not None else -1,
        "uuid": r["uuid"],
        "parent_uuid": r["parent_uuid"],
        "entry_type": r["entry_type"],
        "kind": r["kind"],
        "subtype": r["subtype"],
        "timestamp": r["ts"],
        "agent_id": r["agent_id"] or None,
        "is_sidechain": bool(r["is_sidechain"]),
        "is_meta": bool(r["is_meta"]),
        "model": r["model"],
        "text": text[:cap],
        "text_length": text_length,
        "text_truncated": text_length > min(len(text), cap),
        "thinking": r["thinking"],
        "tool_names": list(r["tool_names"] or []),
        "tool_calls": calls,
        "has_error": bool(r["has_error"]),
        "error_category": r["error_category"],
        "tokens": None if r["input_tokens"] is None else row_tokens(r),
        "cost": None if r["cost"] is None else float(r["cost"]),
        "line_count": int(r["line_count"] or 1),
    }


class Messages:
    """Messages of one stream: a session's main thread (agent '') or one subagent."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, project: str, session: str, agent: str):
        self.cur = cur
        self.project = project
        self.session = session
        self.agent = agent
        self._own = (project, session)

    def _calls(self, uuids: list[str]) -> dict[str, list[Row]]:
        if not uuids:
            return {}
        rows = fetch_all(self.cur, q.TOOL_CALLS_OF_MESSAGES, [*self._own, *self._own, uuids])
        out: dict[str, list[Row]] = {}
        for r in rows:
            out.setdefault(r["message_uuid"], []).append(r)
        return out

    @staticmethod
    def _brief(r: Row) -> ToolCallBrief:
        return ToolCallBrief(
            tool_use_id=r["tool_use_id"],
            name=r["name"],
            key_arg=r["key_arg"],
            is_error=r["is_error"],
            error_kind=r["error_kind"],
            duration_ms=r["duration_ms"],
            has_result=bool(r["has_result"]),
            subagent_id=r["subagent_id"],
        )

    def _found_in_sources(self, flt: MessageFilter) -> tuple[str, ...]:
        """Entries cut short in the index whose full text holds the search term."""
        assert flt.search is not None
        unsearched = replace(flt, search=None, found=())
        rows = fetch_all(
            self.cur,
            q.MESSAGES_TRUNCATED,
            [*unsearched.params(self.project, self.session, self.agent), PREVIEW_CAP],
        )
        needle = flt.search.lower()
        found = []
        by_path: dict[str, list[Row]] = {}
        for row in rows:
            by_path.setdefault(row["path"], []).append(row)
        for path, entries in by_path.items():  # each transcript opened once
            try:
                stream = open_regular(path)
            except OSError:
                continue
            with stream:
                for r in entries:
                    lines = read_from(stream, r["line_offsets"], r["line_lens"], r["uuids"])
                    if lines and needle in entry_text(lines).lower():
                        found.append(r["uuid"])
        return tuple(found)

    def page(
        self, flt: MessageFilter = NO_FILTER, page: int = 1, per_page: int = 50
    ) -> MessageList:
        if flt.search:
            flt = replace(flt, found=self._found_in_sources(flt))
        params = flt.params(self.project, self.session, self.agent)
        rows = fetch_all(
            self.cur, q.MESSAGES_PAGE, [*self._own, *params, per_page, (page - 1) * per_page]
        )
        if rows:
            total = int(rows[0]["total"])
        else:  # a page past the end: the total still counts
            total_row = fetch_one(self.cur, q.MESSAGES_COUNT, params)
            total = int(total_row["total"]) if total_row else 0
        calls = self._calls([r["uuid"] for r in rows])
        items = [
            MessageSummary(
                **_summary(r, [self._brief(c) for c in calls.get(r["uuid"], [])], LIST_TEXT_CAP)
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
        for r in fetch_all(self.cur, q.FILTER_OPTIONS, params):
            if r["facet"] == "errors":
                errors = int(r["n"])
            else:
                facets[r["facet"]].append(NamedCount(value=str(r["value"]), count=int(r["n"])))
        return FilterOptions(
            total=sum(k.count for k in facets["kind"]),
            types=facets["kind"],
            tools=facets["tool"],
            models=facets["model"],
            errors=errors,
        )

    # -- one message --------------------------------------------------------------------------

    def by_uuid(self, uuid: str) -> MessageDetail:
        row = fetch_one(
            self.cur, q.MESSAGE_BY_UUID, [*self._own, self.project, self.session, self.agent, uuid]
        )
        if row is None:
            raise NotFound("message")
        return self._detail(row)

    def by_index(self, index: int) -> MessageDetail:
        row = fetch_one(
            self.cur,
            q.MESSAGE_BY_INDEX,
            [*self._own, self.project, self.session, self.agent, index],
        )
        if row is None:
            raise NotFound("message")
        return self._detail(row)

    def _detail(self, r: Row) -> MessageDetail:
        uuid = r["uuid"]
        call_rows = self._calls([uuid]).get(uuid, [])
        lines = read_lines(r["path"], r["line_offsets"], r["line_lens"], r["uuids"])
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
        base = _summary(r, [self._brief(c) for c in call_rows], len(r["text"] or ""))
        return MessageDetail(
            **base,
            session_id=r["session_id"],
            project_hash=r["project_hash"],
            message_id=r["message_id"],
            request_id=r["request_id"],
            cwd=envelope(lines, "cwd"),
            git_branch=envelope(lines, "gitBranch"),
            version=envelope(lines, "version"),
            blocks=blocks,
            tool_details=details,
            tool_use_result=tool_use_result,
            usage=usage,
            source_available=lines is not None,
        )

    def _tool_detail(self, c: Row, blocks: list[Any]) -> ToolCallDetail:
        tool_use_id = c["tool_use_id"]
        tool_input: Any = None
        for b in blocks:
            if (
                isinstance(b, dict)
                and b.get("type") in ("tool_use", "server_tool_use")
                and b.get("id") == tool_use_id
            ):
                tool_input = b.get("input")
                break
        else:
            kept = c["input_json"]
            try:
                tool_input = orjson.loads(kept) if kept and len(kept) == c["input_len"] else kept
            except orjson.JSONDecodeError:
                tool_input = kept
        result, structured = self._result(c["result_uuid"], tool_use_id)
        return ToolCallDetail(
            tool_use_id=tool_use_id,
            name=c["name"],
            key_arg=c["key_arg"],
            input=tool_input,
            result=None if result is None else result[:RESULT_CAP],
            result_truncated=result is not None and len(result) > RESULT_CAP,
            result_uuid=c["result_uuid"],
            is_error=c["is_error"],
            error_kind=c["error_kind"],
            duration_ms=c["duration_ms"],
            tool_use_result=structured,
            subagent_id=c["subagent_id"],
        )

    def _result(self, result_uuid: str | None, tool_use_id: str) -> tuple[str | None, Any]:
        if not result_uuid:
            return None, None
        row = fetch_one(self.cur, q.MESSAGE_SOURCE, [self.project, self.session, result_uuid])
        if row is None:
            return None, None
        lines = read_lines(row["path"], row["line_offsets"], row["line_lens"], row["uuids"])
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
