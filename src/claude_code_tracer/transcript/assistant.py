"""Assistant lines: one API response streamed over several lines, its usage, its tool calls.

The rules (sections of the format reference, claude-code-format.md): lines sharing
`message.id` form one display entry and repeat a growing usage snapshot, of which one row per
`message.id:requestId` is kept, the copy with the largest token total (ties: the one that
records `speed`) (§7); `<synthetic>` and `isApiErrorMessage` lines are errors, never usage
(§13).
"""

from __future__ import annotations

from typing import Any

import orjson

from claude_code_tracer.transcript.content import (
    as_count,
    as_str,
    cap,
    key_argument,
    prompt_hash,
)
from claude_code_tracer.transcript.kinds import (
    ASSISTANT_BLOCK_TYPES,
    SPAWN_TOOLS,
    SYNTHETIC_MODEL,
    CollapseKind,
    UsageSource,
)
from claude_code_tracer.transcript.state import (
    INPUT_CAP,
    M_KIND,
    M_LENS,
    M_OFFSETS,
    M_TEXT,
    M_TEXT_LEN,
    M_THINKING,
    M_TOOLS,
    M_TS,
    M_TS_END,
    M_USAGE_KEY,
    M_UUID,
    M_UUIDS,
    PREVIEW_CAP,
    TEXT_CAP,
    U_SOURCE,
    U_SPEED,
    U_TOKENS,
    FileState,
)


class AssistantLines(FileState):
    """Reads `assistant` lines."""

    def _assistant(self, obj: dict[str, Any], offset: int, length: int) -> None:
        message = obj.get("message")
        if not isinstance(message, dict):
            message = {}
        ts = self._envelope(obj)
        agent = self._agent_for(obj)
        model = as_str(message.get("model"))
        message_id = as_str(message.get("id")) or None
        request_id = as_str(obj.get("requestId")) or None
        is_error = model == SYNTHETIC_MODEL or obj.get("isApiErrorMessage") is True
        content = message.get("content")
        texts: list[str] = []
        thinking: list[str] = []
        calls: list[dict[str, Any]] = []
        for block in content if isinstance(content, list) else [content]:
            if isinstance(block, dict):
                btype = block.get("type")
                if btype == "text":
                    text = block.get("text")
                    if isinstance(text, str):
                        texts.append(text)
                elif btype == "tool_use" or btype == "server_tool_use":
                    calls.append(block)
                elif btype == "thinking":
                    think = block.get("thinking")
                    if isinstance(think, str) and think:
                        thinking.append(think)
                elif not isinstance(btype, str) or btype not in ASSISTANT_BLOCK_TYPES:
                    self.unknown(f"block:{btype}" if isinstance(btype, str) else "block:?")
            elif isinstance(block, str):
                texts.append(block)
        text = "".join(texts)
        stop = message.get("stop_reason")
        self.facts.last_stop_reason = stop if isinstance(stop, str) else None
        tools = [n for c in calls if isinstance(n := c.get("name"), str)]
        kind = "error" if is_error else "assistant"
        if tools and not SPAWN_TOOLS.isdisjoint(tools):
            kind = "subagent"

        group_key = (agent, message_id) if message_id else None
        row = self.groups.get(group_key) if group_key else None
        if row is None:
            row = self._message(
                obj,
                agent,
                offset,
                length,
                ts,
                "assistant",
                kind,
                text,
                model=model,
                message_id=message_id,
                request_id=request_id,
                thinking="\n\n".join(thinking) or None,
                tools=tools,
                error_category="api_error" if is_error else None,
            )
            if group_key:
                self.groups[group_key] = row
            if is_error:
                self._error(agent, row[M_UUID], ts, "api_error", text or "API error")
        else:
            self._extend(row, obj, offset, length, ts, text, thinking, tools)
            if kind == "subagent":
                row[M_KIND] = "subagent"
            self.facts.last_kind = row[M_KIND]
        if not is_error:
            usage = message.get("usage")
            if isinstance(usage, dict):
                row[M_USAGE_KEY] = self._usage(
                    obj, agent, row[M_UUID], usage, model, message_id, request_id, ts
                )
        head = row[M_UUID]
        for call in calls:
            self._tool_call(call, agent, head, ts)

    def _extend(
        self,
        row: list[Any],
        obj: dict[str, Any],
        offset: int,
        length: int,
        ts: int | None,
        text: str,
        thinking: list[str],
        tools: list[str],
    ) -> None:
        """Add one more streamed line of the same response to its display message."""
        row[M_OFFSETS].append(offset)
        row[M_LENS].append(length)
        uuid = obj.get("uuid")
        if isinstance(uuid, str) and uuid:
            row[M_UUIDS].append(uuid)
        if ts is not None:
            row[M_TS_END] = ts if row[M_TS_END] is None else max(row[M_TS_END], ts)
            if row[M_TS] is None:
                row[M_TS] = ts
        if text:
            if len(row[M_TEXT]) < TEXT_CAP:
                row[M_TEXT] = cap(row[M_TEXT] + text, TEXT_CAP)
            row[M_TEXT_LEN] += len(text)
        if thinking:
            joined = "\n\n".join(thinking)
            prev = row[M_THINKING]
            row[M_THINKING] = cap(f"{prev}\n\n{joined}" if prev else joined, PREVIEW_CAP)
        row[M_TOOLS].extend(tools)

    def _usage(
        self,
        obj: dict[str, Any],
        agent: str,
        message_uuid: str,
        usage: dict[str, Any],
        model: str | None,
        message_id: str | None,
        request_id: str | None,
        ts: int | None,
        *,
        source: UsageSource = "line",
        key: str | None = None,
        sidechain: bool | None = None,
        branch: str | None = None,
    ) -> str:
        """One usage row per key in this file. A real line wins over a progress copy of the
        same response; otherwise the copy with the largest token total (ties: the one that
        records `speed`). The row keeps the git branch of `obj` (or `branch`, for a copy
        relayed inside another line)."""
        inp = as_count(usage.get("input_tokens"))
        out = as_count(usage.get("output_tokens"))
        created = as_count(usage.get("cache_creation_input_tokens"))
        read = as_count(usage.get("cache_read_input_tokens"))
        speed = as_str(usage.get("speed"))
        # the de-duplication key (§7): message.id + requestId, message.id alone, else the line
        if key is None:
            if message_id:
                key = f"{message_id}:{request_id}" if request_id else message_id
            else:
                key = f"line:{self.job.file_id}:{self.line_no}"
        total = inp + out + created + read
        index = self.usage_by_key.get(key)
        if index is not None:
            old = self.usage[index]
            old_copy, new_copy = old[U_SOURCE] == "progress", source == "progress"
            if new_copy and not old_copy:
                # a real line wins over a copy
                self.collapse("progress_copy", (inp, out, created, read))
                return key
            old_total = self.usage_totals[index]
            if new_copy == old_copy and (
                total < old_total
                or (total == old_total and (speed is None or old[U_SPEED] is not None))
            ):
                # a copy seen before wins unless this one holds more tokens (ties: it has speed)
                kind: CollapseKind = "progress_copy" if new_copy else "streamed_copy"
                self.collapse(kind, (inp, out, created, read))
                return key
            self.collapse(
                "progress_copy" if old_copy else "streamed_copy",
                (old[U_TOKENS[0]], old[U_TOKENS[1]], old[U_TOKENS[2]], old[U_TOKENS[3]]),
            )
        split = usage.get("cache_creation")
        hour = (
            min(as_count(split.get("ephemeral_1h_input_tokens")), created)
            if isinstance(split, dict)
            else 0
        )
        server = usage.get("server_tool_use")
        searches = as_count(server.get("web_search_requests")) if isinstance(server, dict) else 0
        row = [
            self.file_id,
            self.line_no,
            self.project_hash,
            self.session_id,
            agent,
            message_uuid,
            key,
            message_id,
            model,
            ts,
            obj.get("isSidechain") is True if sidechain is None else sidechain,
            inp,
            out,
            created,
            created - hour,
            hour,
            read,
            speed,
            as_str(usage.get("inference_geo")),
            as_str(usage.get("service_tier")),
            searches,
            source,
            branch or as_str(obj.get("gitBranch")) or None,
        ]
        if index is None:
            self.usage_by_key[key] = len(self.usage)
            self.usage_totals.append(total)
            self.usage.append(row)
        else:
            self.usage[index] = row
            self.usage_totals[index] = total
        return key

    def _tool_call(self, call: dict[str, Any], agent: str, head: str, ts: int | None) -> None:
        tool_id = as_str(call.get("id")) or f"{head}:{len(self.tool_names)}"
        name = as_str(call.get("name")) or "?"
        self.tool_names[tool_id] = name
        tool_input = call.get("input")
        try:
            input_json = orjson.dumps(tool_input).decode()
        except (TypeError, orjson.JSONEncodeError):
            input_json = "null"
        inp = tool_input if isinstance(tool_input, dict) else {}
        is_spawn = name in SPAWN_TOOLS
        prompt = as_str(inp.get("prompt")) if is_spawn else None
        skill = (
            (as_str(inp.get("skill")) or as_str(inp.get("command"))) if name == "Skill" else None
        )
        self.rows["tool_calls"].append(
            [
                *self._own(agent),
                head,
                tool_id,
                name,
                key_argument(name, tool_input),
                cap(input_json, INPUT_CAP),
                len(input_json),
                ts,
                is_spawn,
                as_str(inp.get("subagent_type")) if is_spawn else None,
                as_str(inp.get("description")) if is_spawn else None,
                prompt_hash(prompt) if prompt else None,
                skill,
                is_spawn and inp.get("run_in_background") is True,
            ]
        )
