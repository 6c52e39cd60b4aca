"""Writing one transcript line by line: user, assistant, system, progress and bookkeeping lines,
each with the envelope, key order and quirks of the version written (see `demo.builder`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from claude_code_tracer.demo.records import (
    ABSENT,
    CAVEAT,
    INTERRUPTED,
    INTERRUPTED_TOOL,
    ZERO,
    JSONDict,
    Place,
    Response,
    ToolCall,
    Usage,
    _Absent,
    dumps,
    iso,
    version_tuple,
)
from claude_code_tracer.transcript.kinds import SYNTHETIC_MODEL


class LineWriter:
    """Appends lines to one transcript file; each line advances the session's clock."""

    def __init__(
        self,
        project: Place,
        path: Path,
        session_id: str,
        *,
        start: datetime,
        version: str,
        git_branch: str,
        model: str,
        slug: str | None = None,
        agent_id: str | None = None,
        sidechain: bool = False,
    ) -> None:
        self.project = project
        self.ids = project.ids
        self.path = path
        self.session_id = session_id
        self.cwd = project.cwd
        self.version = version
        self.git_branch = git_branch
        self.model = model
        self.slug = slug
        self.agent_id = agent_id
        self.sidechain = sidechain
        self.now = start if start.tzinfo else start.replace(tzinfo=UTC)
        self.last: str | None = None  # the uuid new lines hang from
        self.lines_written = 0
        self.responses: list[Response] = []
        self.tool_uses = 0
        self.hooks: tuple[str, ...] = ()  # hook commands run() records around each call
        self.context = 0  # tokens in the prompt cache, for usage=None
        self.fresh_chars = 0  # text added since the last response, for usage=None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)

    # -- low level ------------------------------------------------------------------------------

    @property
    def vt(self) -> tuple[int, ...]:
        return version_tuple(self.version)

    @property
    def legacy(self) -> bool:
        """1.0.x: no `caller`, no `sourceToolAssistantUUID`, inline sidechains."""
        return self.vt < (2,)

    def wait(self, seconds: float) -> Self:
        self.now += timedelta(seconds=seconds)
        return self

    def _tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def write_raw(self, data: bytes) -> None:
        """Bytes as they are: malformed lines, partial lines, odd encodings."""
        with self.path.open("ab") as out:
            out.write(data)

    def write_json(self, obj: object) -> None:
        """One line holding `obj` as is (no envelope)."""
        self.write_raw(dumps(obj))
        self.lines_written += 1

    def envelope(self, parent: str | None) -> JSONDict:
        env: JSONDict = {
            "parentUuid": parent,
            "isSidechain": self.sidechain,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": self.version,
            "gitBranch": self.git_branch,
        }
        if self.agent_id:
            env["agentId"] = self.agent_id
        if self.slug:
            env["slug"] = self.slug
        return env

    def line(
        self,
        etype: str,
        body: JSONDict,
        *,
        after: float = 0.0,
        parent: str | _Absent | None = ABSENT,
        tail: JSONDict | None = None,
        chain: bool = True,
    ) -> JSONDict:
        """A conversation line: envelope, `type`, body, `uuid`, `timestamp`, tail fields."""
        ts = self._tick(after)
        obj = self.envelope(self.last if isinstance(parent, _Absent) else parent)
        if etype == "assistant":
            obj.update(body)
            obj["type"] = etype
        else:
            obj["type"] = etype
            obj.update(body)
        uuid = self.ids.uuid()
        obj["uuid"] = uuid
        obj["timestamp"] = iso(ts)
        if tail:
            obj.update(tail)
        self.write_json(obj)
        if chain:
            self.last = uuid
        self._mirror(obj)
        return obj

    def _mirror(self, obj: JSONDict) -> None:
        """Subagents copy their lines into the parent's progress lines."""

    # -- user lines -----------------------------------------------------------------------------

    def user(
        self,
        content: str | list[Any],
        *,
        after: float = 0.0,
        meta: bool = False,
        parent: str | _Absent | None = ABSENT,
        tail: JSONDict | None = None,
    ) -> JSONDict:
        body: JSONDict = {"message": {"role": "user", "content": content}}
        extra: JSONDict = {"isMeta": True} if meta else {}
        if tail:
            extra.update(tail)
        self.fresh_chars += len(content) if isinstance(content, str) else len(json.dumps(content))
        return self.line("user", body, after=after, parent=parent, tail=extra or None)

    def prompt(self, text: str | list[Any], *, after: float = 5.0) -> JSONDict:
        """What the human typed."""
        tail: JSONDict = {}
        if not self.legacy and not self.sidechain:
            tail = {"thinkingMetadata": {"maxThinkingTokens": 31999}, "todos": []}
            tail["permissionMode"] = "default"
        return self.user(text, after=after, tail=tail or None)

    def interrupt(self, *, for_tool_use: bool = False, after: float = 0.5) -> JSONDict:
        text = INTERRUPTED_TOOL if for_tool_use else INTERRUPTED
        return self.user([{"type": "text", "text": text}], after=after)

    def task_notification(self, task_id: str, summary: str, *, after: float = 1.0) -> JSONDict:
        text = (
            f"<task-notification>\n<task-id>{task_id}</task-id>\n<status>completed</status>\n"
            f"<summary>{summary}</summary>\n</task-notification>"
        )
        self.queue("enqueue", text)
        return self.user(text, after=after)

    def command(
        self, name: str, args: str = "", *, expansion: str | None = None, after: float = 5.0
    ) -> JSONDict:
        """A prompt slash command: the `<command-name>` line and its isMeta expansion."""
        name = name.lstrip("/")
        text = (
            f"<command-message>{name}</command-message>\n<command-name>/{name}</command-name>"
            + (f"\n<command-args>{args}</command-args>" if args else "")
        )
        head = self.user(text, after=after)
        if expansion is not None:
            self.user([{"type": "text", "text": expansion}], meta=True)
        return head

    def local_command(self, name: str, stdout: str, args: str = "", *, after: float = 5.0) -> None:
        """A local command (`/model`, `/cost`): two `system/local_command` lines."""
        name = name.lstrip("/")
        text = (
            f"<command-name>/{name}</command-name>\n            <command-message>{name}"
            f"</command-message>\n            <command-args>{args}</command-args>"
        )
        for i, content in enumerate(
            (text, f"<local-command-stdout>{stdout}</local-command-stdout>")
        ):
            self.system("local_command", content, after=after if i == 0 else 0.0, level="info")

    def caveat(self, *, after: float = 0.0) -> JSONDict:
        text = f"<local-command-caveat>{CAVEAT}</local-command-caveat>"
        return self.user(text if not self.legacy else CAVEAT, meta=True, after=after)

    def bash_mode(self, command: str, stdout: str, stderr: str = "", *, after: float = 5.0) -> None:
        """`!cmd` typed by the user."""
        self.user(f"<bash-input>{command}</bash-input>", after=after)
        self.user(
            f"<bash-stdout>{stdout}</bash-stdout><bash-stderr>{stderr}</bash-stderr>", after=0.3
        )

    # -- assistant lines ------------------------------------------------------------------------

    def auto_usage(self, out_chars: int, tools: int) -> Usage:
        """A plausible usage when none is given: the cache grows with the conversation."""
        new = self.fresh_chars // 4 + 20
        if self.context == 0:
            read = 11_000 + self.ids.randint(0, 7_000)
            write = new + 2_000 + self.ids.randint(0, 9_000)
        else:
            read, write = self.context, new
        output = max(6, out_chars // 4 + 45 * tools + self.ids.randint(0, 40))
        self.context = read + write + output
        self.fresh_chars = 0
        if self.legacy:
            return Usage(
                input=self.ids.randint(3, 9), output=output, cache_5m=write, cache_read=read
            )
        return Usage(input=self.ids.randint(1, 6), output=output, cache_1h=write, cache_read=read)

    def assistant(
        self,
        text: str | None = None,
        *,
        thinking: str | None = None,
        tools: Sequence[ToolCall] = (),
        usage: Usage | None = None,
        model: str | None = None,
        split: bool = True,
        partial_output: int | None = None,
        after: float = 2.5,
        gap: float = 0.6,
        message_id: str | None = None,
        request_id: str | _Absent | None = ABSENT,
        stop_reason: str | None = None,
        tail: JSONDict | None = None,
    ) -> Response:
        """One API response: one line per block (split) sharing message.id and requestId."""
        blocks: list[JSONDict] = []
        if thinking is not None:
            blocks.append({"type": "thinking", "thinking": thinking, "signature": "EsQCsig"})
        if text is not None:
            blocks.append({"type": "text", "text": text})
        caller = not self.legacy
        for call in tools:
            call.id = call.id or self.ids.tool_id()
            blocks.append(call.block(caller))
        if not blocks:
            blocks.append({"type": "text", "text": ""})
        if usage is None:
            chars = len(text or "") + len(thinking or "") + sum(len(str(c.input)) for c in tools)
            usage = self.auto_usage(chars, len(tools))
        model = model or self.model
        mid = message_id or self.ids.message_id()
        rid = self.ids.request_id() if isinstance(request_id, _Absent) else request_id
        partial = (
            min(usage.output, 1 + usage.output % 9) if partial_output is None else partial_output
        )
        groups = [[b] for b in blocks] if split else [blocks]
        resp = Response(mid, rid, model, usage, [], [], list(tools))
        for i, group in enumerate(groups):
            final = i == len(groups) - 1
            message: JSONDict = {
                "model": model,
                "id": mid,
                "type": "message",
                "role": "assistant",
                "content": group,
                "stop_reason": stop_reason if final else None,
                "stop_sequence": None,
                "usage": usage.to_json(
                    output=None if final else partial, final=final, version=self.version
                ),
            }
            if self.legacy and final and stop_reason is None:
                message["stop_reason"] = "tool_use" if tools else "end_turn"
            body: JSONDict = {"message": message}
            if rid is not None:
                body["requestId"] = rid
            obj = self.line("assistant", body, after=after if i == 0 else gap, tail=tail)
            resp.uuids.append(obj["uuid"])
            resp.lines.append(obj)
            for block in group:
                if block["type"] == "tool_use":
                    for call in tools:
                        if call.id == block["id"]:
                            call.line_uuid, call.ts = obj["uuid"], self.now
        self.responses.append(resp)
        self.tool_uses += len(tools)
        return resp

    def say(self, text: str, **kw: Any) -> Response:
        return self.assistant(text, **kw)

    def synthetic(
        self,
        text: str,
        *,
        api_error: bool = True,
        error: str | None = "unknown",
        status: int | None = None,
        after: float = 1.0,
    ) -> JSONDict:
        """A `<synthetic>` placeholder: an API error reported as a reply, zero usage."""
        message = {
            "id": self.ids.uuid(),
            "model": SYNTHETIC_MODEL,
            "role": "assistant",
            "stop_reason": "stop_sequence",
            "stop_sequence": "",
            "type": "message",
            "usage": ZERO.to_json(version=self.version),
            "content": [{"type": "text", "text": text}],
        }
        tail: JSONDict = {}
        if api_error:
            tail["isApiErrorMessage"] = True
            if error:
                tail["error"] = error
            if status is not None:
                tail["apiErrorStatus"] = status
        return self.line("assistant", {"message": message}, after=after, tail=tail or None)

    # -- tools ----------------------------------------------------------------------------------

    def tool_result(
        self,
        call: ToolCall,
        content: str | list[Any],
        *,
        result: object = ABSENT,
        is_error: bool | None = None,
        after: float = 1.0,
        extra_blocks: Sequence[Any] = (),
    ) -> JSONDict:
        """The `tool_result` user line, parented to the line holding the call."""
        block: JSONDict = {"tool_use_id": call.id, "type": "tool_result", "content": content}
        if is_error is not None:
            block["is_error"] = is_error
        tail: JSONDict = {}
        if not isinstance(result, _Absent):
            tail["toolUseResult"] = result
        if not self.legacy and call.line_uuid:
            tail["sourceToolAssistantUUID"] = call.line_uuid
        body: JSONDict = {"message": {"role": "user", "content": [block, *extra_blocks]}}
        self.fresh_chars += len(content) if isinstance(content, str) else len(json.dumps(content))
        parent = call.line_uuid or self.last
        return self.line("user", body, after=after, parent=parent, tail=tail or None)

    # -- system lines ---------------------------------------------------------------------------

    def system(
        self,
        subtype: str | None,
        content: str | None = None,
        *,
        after: float = 0.0,
        parent: str | _Absent | None = ABSENT,
        level: str | None = None,
        **fields: Any,
    ) -> JSONDict:
        body: JSONDict = {}
        if subtype is not None:
            body["subtype"] = subtype
        if content is not None:
            body["content"] = content
        if level is not None:
            body["level"] = level
        body.update(fields)
        body.setdefault("isMeta", False)
        return self.line("system", body, after=after, parent=parent)

    def api_retries(
        self, attempts: int, *, status: int = 529, network: bool = False, after: float = 1.0
    ) -> list[JSONDict]:
        """`system/api_error` lines, one per retry attempt."""
        out = []
        for attempt in range(1, attempts + 1):
            delay = 500.0 * 2 ** (attempt - 1) + 17.25
            error: JSONDict
            if network:
                cause = {"code": "ECONNRESET", "path": "https://api.anthropic.com/v1/messages"}
                error = {"cause": cause}
            else:
                kind = "overloaded_error" if status == 529 else "api_error"
                message = "Overloaded" if status == 529 else "Internal server error"
                error = {
                    "status": status,
                    "error": {"type": "error", "error": {"type": kind, "message": message}},
                }
            out.append(
                self.system(
                    "api_error",
                    level="error",
                    error=error,
                    retryInMs=delay,
                    retryAttempt=attempt,
                    maxRetries=10,
                    after=after if attempt == 1 else delay / 1000,
                )
            )
        return out

    def turn_duration(self, ms: int) -> JSONDict:
        return self.system("turn_duration", durationMs=ms, after=0.05)

    def attachment(self, atype: str, *, after: float = 0.1, **fields: Any) -> JSONDict:
        return self.line("attachment", {"attachment": {"type": atype, **fields}}, after=after)

    # -- progress lines -------------------------------------------------------------------------

    def progress(
        self, data: JSONDict, tool_use_id: str, parent_tool_use_id: str, *, after: float = 0.05
    ) -> JSONDict:
        tail = {"toolUseID": tool_use_id, "parentToolUseID": parent_tool_use_id}
        return self.line("progress", {"data": data}, after=after, tail=tail)

    def hook_progress(
        self, event: str, name: str, command: str, *, tool_use_id: str | None = None
    ) -> JSONDict:
        """A hook run; SessionStart ones are roots (`parentUuid: null`)."""
        data = {"type": "hook_progress", "hookEvent": event, "hookName": name, "command": command}
        tid = tool_use_id or self.ids.uuid()
        if event == "SessionStart" and self.last is None:
            tail = {"parentToolUseID": tid, "toolUseID": tid}
            return self.line("progress", {"data": data}, parent=None, tail=tail, after=0.05)
        return self.progress(data, tid, tid)

    def bash_progress(self, call: ToolCall, output: str, seconds: int = 2) -> JSONDict:
        data = {
            "type": "bash_progress",
            "output": output,
            "fullOutput": output,
            "elapsedTimeSeconds": seconds,
            "totalLines": output.count("\n") + 1 if output else 0,
            "timeoutMs": 120000,
        }
        return self.progress(data, f"bash-progress-{seconds - 2}", call.id)

    # -- bookkeeping lines (no uuid) ------------------------------------------------------------

    def summary(self, text: str, leaf_uuid: str | None = None) -> None:
        self.write_json({"type": "summary", "summary": text, "leafUuid": leaf_uuid or self.last})

    def custom_title(self, title: str) -> None:
        self.write_json(
            {"type": "custom-title", "customTitle": title, "sessionId": self.session_id}
        )

    def ai_title(self, title: str) -> None:
        self.write_json({"type": "ai-title", "aiTitle": title, "sessionId": self.session_id})

    def agent_name(self, name: str) -> None:
        self.write_json({"type": "agent-name", "agentName": name, "sessionId": self.session_id})

    def last_prompt(self, text: str) -> None:
        self.write_json({"type": "last-prompt", "lastPrompt": text, "sessionId": self.session_id})

    def snapshot(self, files: Iterable[str] = (), *, message_id: str | None = None) -> None:
        """`file-history-snapshot` for the prompt about to be written (or `message_id`)."""
        mid = message_id or self.ids.uuid()
        backups = {
            f: {
                "backupFileName": f"{self.ids.hex(16)}@v1",
                "version": 1,
                "backupTime": iso(self.now),
            }
            for f in files
        }
        snap = {"messageId": mid, "trackedFileBackups": backups, "timestamp": iso(self.now)}
        self.write_json(
            {
                "type": "file-history-snapshot",
                "messageId": mid,
                "snapshot": snap,
                "isSnapshotUpdate": False,
            }
        )

    def queue(self, operation: str, content: object = ABSENT) -> None:
        obj: JSONDict = {"type": "queue-operation", "operation": operation}
        obj["timestamp"] = iso(self.now)
        obj["sessionId"] = self.session_id
        if not isinstance(content, _Absent):
            obj["content"] = content
        self.write_json(obj)
