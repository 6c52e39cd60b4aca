"""Write Claude Code transcripts: the JSONL files Claude Code keeps under `CLAUDE_DIR/projects/`.

A small builder for tests and the demo history. Lines have the shape, key order and quirks of
the files Claude Code writes (see the format reference): one `assistant` line per content block
sharing `message.id` and `requestId`, partial `output_tokens` on all but the last line, tool
results chained to the line holding their call, subagents in each of the three layouts.

Everything is deterministic: ids come from a seeded generator and time from an explicit clock
that each line advances.

    claude = ClaudeDir(tmp_path / "claude")
    s = claude.project("/home/dev/shop").session(start=datetime(2026, 2, 1, 9, tzinfo=UTC))
    s.prompt("why does checkout fail?")
    s.bash("pytest -x", "1 failed", exit_code=1, usage=Usage(input=3, output=120))
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from claude_code_tracer.demo.lines import LineWriter
from claude_code_tracer.demo.records import (
    ABSENT,
    CAVEAT,
    COMPACT_PROMPT,
    CONTINUED,
    DEFAULT_MODEL,
    DEFAULT_VERSION,
    INTERRUPTED,
    INTERRUPTED_TOOL,
    REJECTED_TEXT,
    Ids,
    JSONDict,
    Response,
    ToolCall,
    ToolOp,
    Usage,
    folder_name,
)
from claude_code_tracer.demo.tool_ops import (
    bash_op,
    edit_op,
    glob_op,
    grep_op,
    multi_edit_op,
    numbered,
    op,
    read_op,
    structured_patch,
    task_call,
    todo_op,
    write_op,
)

# -- the data directory ------------------------------------------------------------------------


class ClaudeDir:
    """A `CLAUDE_DIR`: `projects/<folder>/<sessionId>.jsonl` and companions."""

    def __init__(self, root: Path, *, seed: int = 0) -> None:
        self.root = root
        self.ids = Ids(seed)
        (root / "projects").mkdir(parents=True, exist_ok=True)

    @property
    def projects_dir(self) -> Path:
        return self.root / "projects"

    def project(self, cwd: str, *, folder: str | None = None) -> Project:
        return Project(self, cwd, self.projects_dir / (folder or folder_name(cwd)))

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())


class Project:
    def __init__(self, claude: ClaudeDir, cwd: str, path: Path) -> None:
        self.claude = claude
        self.cwd = cwd
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    @property
    def ids(self) -> Ids:
        return self.claude.ids

    def session(
        self,
        session_id: str | None = None,
        *,
        start: datetime | None = None,
        version: str = DEFAULT_VERSION,
        git_branch: str = "main",
        model: str = DEFAULT_MODEL,
        slug: str | None = None,
        file_stem: str | None = None,
    ) -> Session:
        sid = session_id or self.claude.ids.uuid()
        path = self.path / f"{file_stem or sid}.jsonl"
        return Session(
            self,
            path,
            sid,
            start=start or datetime(2026, 2, 2, 9, 0, tzinfo=UTC),
            version=version,
            git_branch=git_branch,
            model=model,
            slug=slug,
        )


class Session(LineWriter):
    """One transcript (a session's, or a subagent's), with the exchanges written whole: tool
    calls with their results, compactions, subagents."""

    def run(
        self,
        *ops: ToolOp,
        text: str | None = None,
        thinking: str | None = None,
        usage: Usage | None = None,
        model: str | None = None,
        duration: float = 1.0,
        after: float = 2.5,
    ) -> Response:
        """One response calling every tool of `ops`, then each result in order."""
        resp = self.assistant(
            text,
            thinking=thinking,
            tools=[o.call for o in ops],
            usage=usage,
            model=model,
            after=after,
        )
        for o in ops:
            self._hooks("PreToolUse", o.call)
            self.tool_result(
                o.call, o.content, result=o.result, is_error=o.is_error, after=duration
            )
            self._hooks("PostToolUse", o.call)
        return resp

    def _hooks(self, event: str, call: ToolCall) -> None:
        for command in self.hooks:
            self.hook_progress(event, f"{event}:{call.name}", command, tool_use_id=call.id)

    def bash(self, command: str, output: str = "", **kw: Any) -> Response:
        """Bash call and result; `exit_code` != 0 gives an error result."""
        args = {k: kw.pop(k) for k in ("description", "exit_code", "stderr") if k in kw}
        return self.run(bash_op(command, output, **args), **kw)

    def read(self, path: str, content: str, **kw: Any) -> Response:
        return self.run(read_op(path, content), **kw)

    def edit(self, path: str, old: str, new: str, original: str, **kw: Any) -> Response:
        replace_all = kw.pop("replace_all", False)
        return self.run(edit_op(path, old, new, original, replace_all=replace_all), **kw)

    def write(self, path: str, content: str, original: str | None = None, **kw: Any) -> Response:
        return self.run(write_op(path, content, original), **kw)

    def multi_edit(
        self, path: str, edits: Sequence[tuple[str, str]], original: str, **kw: Any
    ) -> Response:
        return self.run(multi_edit_op(path, edits, original), **kw)

    def reject(self, tool: ToolOp | ToolCall, *, text: str | None = None, **kw: Any) -> Response:
        """A call the user refused: rejected result, then the interrupt marker."""
        call = tool.call if isinstance(tool, ToolOp) else tool
        resp = self.assistant(text, tools=[call], **kw)
        self.tool_result(
            call, REJECTED_TEXT, result="User rejected tool use", is_error=True, after=4.0
        )
        self.interrupt(for_tool_use=True, after=0.0)
        return resp

    def skill(
        self,
        name: str,
        body: str,
        *,
        args: str | None = None,
        base_dir: str | None = None,
        text: str | None = None,
        usage: Usage | None = None,
        allowed_tools: Sequence[str] = ("Read", "Grep", "Glob", "Bash"),
    ) -> Response:
        """Skill call, `Launching skill` result, isMeta body with `sourceToolUseID`."""
        tool_input: JSONDict = {"skill": name}
        if args:
            tool_input["args"] = args
        call = ToolCall("Skill", tool_input)
        resp = self.assistant(text, tools=[call], usage=usage)
        result = {"success": True, "commandName": name, "allowedTools": list(allowed_tools)}
        self.tool_result(call, f"Launching skill: {name}", result=result, after=0.2)
        base = base_dir or f"/home/dev/.claude/skills/{name.split(':')[-1]}"
        self.user(
            [{"type": "text", "text": f"Base directory for this skill: {base}\n\n{body}"}],
            meta=True,
            tail={"sourceToolUseID": call.id},
        )
        return resp

    # -- compaction -----------------------------------------------------------------------------

    def compact(
        self,
        summary: str,
        *,
        trigger: str = "auto",
        pre_tokens: int | None = None,
        instructions: str = "",
        usage: Usage | None = None,
        agent: bool = True,
        after: float = 20.0,
    ) -> JSONDict:
        """`compact_boundary` + `isCompactSummary` line (+ the `agent-acompact-*` call)."""
        pre = pre_tokens if pre_tokens is not None else self.context or 150_000
        logical = self.last
        if agent and self.vt >= (2, 1):
            acompact = self._agent_session(f"acompact-{self.ids.hex(6)}", self.model)
            acompact.now = self.now
            acompact.user(COMPACT_PROMPT, parent=logical, after=1.0)
            acompact.assistant(
                f"<analysis>\n{summary}\n</analysis>\n\n<summary>\n{summary}\n</summary>",
                usage=usage or Usage(input=3, output=8, cache_5m=2_400, cache_read=pre),
                after=after,
            )
            self.now = acompact.now
        else:
            self.wait(after)
        boundary = self.system(
            "compact_boundary",
            "Conversation compacted",
            parent=None,
            level="info",
            logicalParentUuid=logical,
            compactMetadata={"trigger": trigger, "preTokens": pre},
        )
        text = CONTINUED + summary
        line = self.user(text, tail={"isVisibleInTranscriptOnly": True, "isCompactSummary": True})
        if trigger == "manual":
            self.caveat()
            self.user(
                "<command-name>/compact</command-name>\n            <command-message>compact"
                f"</command-message>\n            <command-args>{instructions}</command-args>"
            )
            self.user(
                "<local-command-stdout>\x1b[2mCompacted (ctrl+o to see full summary)\x1b[22m"
                "</local-command-stdout>"
            )
        self.context = 0
        self.fresh_chars = len(text)
        del boundary
        return line

    def old_compact(self, summary: str, *, after: float = 20.0) -> JSONDict:
        """1.0.x compaction: a summary prompt that starts a new root, no boundary line."""
        self.context = 0
        return self.user(
            CONTINUED + summary, after=after, parent=None, tail={"isCompactSummary": True}
        )

    # -- subagents ------------------------------------------------------------------------------

    def side_args(self, agent_id: str | None, model: str) -> dict[str, Any]:
        """Constructor arguments of a sidechain transcript of this session."""
        return {
            "start": self.now,
            "version": self.version,
            "git_branch": self.git_branch,
            "model": model,
            "slug": self.slug,
            "agent_id": agent_id,
            "sidechain": True,
        }

    def _agent_session(self, agent_id: str, model: str, path: Path | None = None) -> Session:
        path = path or self.path.parent / self.session_id / "subagents" / f"agent-{agent_id}.jsonl"
        return Session(self.project, path, self.session_id, **self.side_args(agent_id, model))

    def subagent(
        self,
        call: ToolCall,
        *,
        layout: str = "subagents",
        agent_id: str | None = None,
        model: str | None = None,
        meta: bool = True,
        meta_tool_use_id: bool = False,
        progress: bool = True,
    ) -> Agent:
        """The transcript of the subagent a written Task/Agent `call` started.

        layout: `subagents` (2.1.x `<sid>/subagents/agent-<id>.jsonl` + meta.json), `legacy`
        (flat `agent-<id>.jsonl` beside the sessions), `inline` (1.0.x sidechain lines in
        this file, no agentId).
        """
        if not call.id:
            raise ValueError("write the spawning call with assistant() first")
        inline = layout == "inline"
        aid = None if inline else (agent_id or self.ids.agent_id(self.vt >= (2, 1, 70)))
        if layout == "subagents":
            path = self.path.parent / self.session_id / "subagents" / f"agent-{aid}.jsonl"
        elif layout == "legacy":
            path = self.path.parent / f"agent-{aid}.jsonl"
        elif inline:
            path = self.path
        else:
            raise ValueError(f"unknown layout {layout!r}")
        agent = Agent(
            self,
            call,
            path,
            aid,
            model=model or str(call.input.get("model") or self.model),
            progress=progress and not inline,
        )
        if layout == "subagents" and meta:
            doc: JSONDict = {
                "agentType": call.input.get("subagent_type", "general-purpose"),
                "description": call.input.get("description", ""),
            }
            if meta_tool_use_id:
                doc["toolUseId"] = call.id
            path.with_name(f"agent-{aid}.meta.json").write_text(json.dumps(doc))
        agent.user(str(call.input.get("prompt", "")), parent=None, after=0.01)
        return agent

    def spawn(
        self,
        description: str,
        prompt: str,
        *,
        subagent_type: str = "general-purpose",
        tool: str = "Task",
        text: str | None = None,
        usage: Usage | None = None,
        background: bool = False,
        **agent_kw: Any,
    ) -> Agent:
        """A Task/Agent call and the subagent it starts; finish it with `Agent.finish`."""
        call = task_call(
            description, prompt, subagent_type=subagent_type, tool=tool, background=background
        )
        self.assistant(text, tools=[call], usage=usage)
        return self.subagent(call, **agent_kw)

    def warmup(self, *, reply: str = "Ready.", usage: Usage | None = None) -> Session:
        """A 2.0.x warmup agent: a flat `agent-<id>.jsonl`, prompt `Warmup`, no spawning call."""
        aid = self.ids.agent_id(False)
        agent = self._agent_session(aid, self.model, self.path.parent / f"agent-{aid}.jsonl")
        agent.user("Warmup", parent=None)
        agent.assistant(reply, usage=usage or Usage(input=4, output=12, cache_5m=9_800))
        return agent

    def btw(
        self, question: str, answer: str, *, replay: Response, usage: Usage | None = None
    ) -> Session:
        """A `/btw` aside: a sidechain file replaying `replay` (same message.id, new requestId)."""
        aid = self.ids.agent_id(self.vt >= (2, 1, 70))
        agent = self._agent_session(aid, replay.model)
        request_id = self.ids.request_id()
        for i, line in enumerate(replay.lines):
            body = {"message": dict(line["message"]), "requestId": request_id}
            agent.line("assistant", body, parent=None if i == 0 else ABSENT, after=0.01)
        agent.user(question, after=0.1)
        agent.assistant(answer, usage=usage)
        return agent


class Agent(Session):
    """A subagent transcript; `finish` writes its answer and the parent's tool_result."""

    def __init__(
        self,
        parent: Session,
        call: ToolCall,
        path: Path,
        agent_id: str | None,
        *,
        model: str,
        progress: bool,
    ) -> None:
        super().__init__(
            parent.project, path, parent.session_id, **parent.side_args(agent_id, model)
        )
        self.parent = parent
        self.call = call
        self.started = parent.now
        self.mirror = progress
        self.prompt_text = str(call.input.get("prompt", ""))
        self.spawn_message = next(
            (r.message_id for r in reversed(parent.responses) if call in r.calls), ""
        )

    def _mirror(self, obj: JSONDict) -> None:
        if not self.mirror or obj["type"] not in ("user", "assistant"):
            return
        copy: JSONDict = {"type": obj["type"], "message": obj["message"], "uuid": obj["uuid"]}
        copy["timestamp"] = obj["timestamp"]
        if "requestId" in obj:
            copy["requestId"] = obj["requestId"]
        data: JSONDict = {
            "message": copy,
            "normalizedMessages": [],
            "type": "agent_progress",
            "prompt": self.prompt_text,
            "agentId": self.agent_id,
        }
        parent = self.parent
        parent.now = max(parent.now, self.now)
        parent.progress(data, f"agent_msg_{self.spawn_message}", self.call.id, after=0.0)

    def finish(
        self, text: str, *, usage: Usage | None = None, status: str = "completed"
    ) -> JSONDict:
        """The subagent's last answer, then the parent's tool_result with the aggregates."""
        self.assistant(text, usage=usage)
        last = self.responses[-1].usage
        duration = int((self.now - self.started).total_seconds() * 1000)
        parent = self.parent
        parent.now = max(parent.now, self.now)
        usage_json = last.to_json(version=self.version)
        blocks: list[Any] = [{"type": "text", "text": text}]
        result: JSONDict
        if self.agent_id is None:
            result = {
                "content": blocks,
                "totalDurationMs": duration,
                "totalTokens": last.total,
                "totalToolUseCount": self.tool_uses,
                "usage": usage_json,
            }
            content: list[Any] = blocks
        else:
            result = {
                "status": status,
                "prompt": self.prompt_text,
                "agentId": self.agent_id,
                "content": blocks,
                "totalDurationMs": duration,
                "totalTokens": last.total,
                "totalToolUseCount": self.tool_uses,
                "usage": usage_json,
            }
            trailer = (
                f"agentId: {self.agent_id} (for resuming to continue this agent's work if "
                f"needed)\n<usage>total_tokens: {last.total}\ntool_uses: {self.tool_uses}\n"
                f"duration_ms: {duration}</usage>"
            )
            content = [*blocks, {"type": "text", "text": trailer}]
        return parent.tool_result(self.call, content, result=result, after=0.05)


__all__ = [
    "ABSENT",
    "CAVEAT",
    "COMPACT_PROMPT",
    "CONTINUED",
    "INTERRUPTED",
    "INTERRUPTED_TOOL",
    "REJECTED_TEXT",
    "Agent",
    "ClaudeDir",
    "Ids",
    "Project",
    "Response",
    "Session",
    "ToolCall",
    "ToolOp",
    "Usage",
    "bash_op",
    "edit_op",
    "folder_name",
    "glob_op",
    "grep_op",
    "multi_edit_op",
    "numbered",
    "op",
    "read_op",
    "structured_patch",
    "task_call",
    "todo_op",
    "write_op",
]
