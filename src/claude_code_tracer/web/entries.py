"""What the timeline templates get: entries and tool calls laid out for reading (inputs,
outputs, diffs for edits), and the signatures that tell live updates what changed.

Built from the same response models the JSON API returns; no queries here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from claude_code_tracer.index.models.messages import MessageDetail, MessageSummary, ToolCallDetail
from claude_code_tracer.transcript.content import block_text
from claude_code_tracer.transcript.kinds import EDIT_TOOLS, SPAWN_TOOLS
from claude_code_tracer.web.render import (
    Clipped,
    DiffLine,
    added_lines,
    clip,
    diff_stats,
    patch_lines,
    plain,
    text_diff,
)

DIFF_ROWS = 400  # diff rows shown before "show all"
OUTPUT_LINES = 60  # output lines shown before "show all"
OUTPUT_CHARS = 8_000

# ---------------------------------------------------------------------------------------------
# timeline


def entry_signature(m: MessageSummary) -> str:
    """Changes when an entry does (a tool result arrives, text grows): live updates re-render."""
    calls = ",".join(
        f"{'p' if not c.has_result else ('e' if c.is_error else 'k')}{c.subagent_id or ''}"
        for c in m.tool_calls
    )
    total = m.tokens.total_tokens if m.tokens else 0
    return f"{m.text_length}.{int(m.has_error)}.{total}.{calls}"


def call_state(is_error: bool | None, has_result: bool) -> str:
    if is_error:
        return "error"
    return "ok" if has_result else "pending"


# ---------------------------------------------------------------------------------------------
# one tool call, readable


@dataclass
class ToolView:
    """A tool call laid out for reading: its inputs, its output, a diff for edits."""

    call: ToolCallDetail
    kind: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    command: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    diff: list[DiffLine] = field(default_factory=list)
    diff_hidden: int = 0
    added: int = 0
    removed: int = 0
    output: Clipped | None = None
    stderr: Clipped | None = None
    output_markdown: str | None = None
    prompt: str | None = None
    todos: list[tuple[str, str]] = field(default_factory=list)
    input_json: Clipped | None = None
    full: bool = False

    @property
    def cut(self) -> bool:
        return bool(
            self.diff_hidden
            or (self.output and self.output.cut)
            or (self.stderr and self.stderr.cut)
            or (self.input_json and self.input_json.cut)
        )


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if value is None:
        return None
    return str(value)


def _clip(text: str | None, full: bool) -> Clipped | None:
    if text is None:
        return None
    text = plain(text)
    if full:
        return clip(text, max_lines=10**9, max_chars=10**9)
    return clip(text, OUTPUT_LINES, OUTPUT_CHARS)


def _edit_diff(call: ToolCallDetail, inp: dict[str, Any]) -> list[DiffLine]:
    structured = call.tool_use_result if isinstance(call.tool_use_result, dict) else {}
    rows = patch_lines(structured.get("structuredPatch"))
    if rows:
        return rows
    if call.name == "Write" and isinstance(inp.get("content"), str):
        return added_lines(inp["content"])
    if isinstance(inp.get("old_string"), str) and isinstance(inp.get("new_string"), str):
        return text_diff(inp["old_string"], inp["new_string"])
    out: list[DiffLine] = []
    edits = inp.get("edits")
    if isinstance(edits, list):
        for e in edits:
            if isinstance(e, dict) and isinstance(e.get("old_string"), str):
                out += text_diff(e["old_string"], _text(e.get("new_string")) or "")
    return out


def tool_view(call: ToolCallDetail, *, full: bool = False) -> ToolView:
    """How to show one call: by tool, with a plain JSON fallback."""
    inp: dict[str, Any] = call.input if isinstance(call.input, dict) else {}
    name = call.name
    view = ToolView(call=call, kind="generic", full=full)
    result = call.result
    structured = call.tool_use_result

    if name == "Bash" or name == "BashOutput":
        view.kind = "bash"
        view.command = _text(inp.get("command"))
        if inp.get("description"):
            view.fields.append(("Description", str(inp["description"])))
        if isinstance(structured, dict) and "stdout" in structured:
            view.output = _clip(_text(structured.get("stdout")) or "", full)
            stderr = _text(structured.get("stderr"))
            view.stderr = _clip(stderr, full) if stderr else None
            if not (view.output and view.output.text) and not view.stderr:
                view.output = _clip(result, full)
        else:
            view.output = _clip(result, full)
    elif name in EDIT_TOOLS:
        view.kind = "edit"
        path = _text(inp.get("file_path") or inp.get("notebook_path"))
        if path:
            view.fields.append(("File", path))
        rows = _edit_diff(call, inp)
        view.added, view.removed = diff_stats(rows)
        if not full and len(rows) > DIFF_ROWS:
            view.diff, view.diff_hidden = rows[:DIFF_ROWS], len(rows) - DIFF_ROWS
        else:
            view.diff = rows
        if call.is_error or not rows:
            view.output = _clip(result, full)
    elif name in SPAWN_TOOLS:
        view.kind = "task"
        for key, label in (("subagent_type", "Type"), ("description", "Description")):
            if inp.get(key):
                view.fields.append((label, str(inp[key])))
        view.prompt = _text(inp.get("prompt"))
        text = _task_result_text(structured) or result
        if text is not None:
            view.output_markdown = text if full else text[: OUTPUT_CHARS * 2]
            if not full and len(text) > OUTPUT_CHARS * 2:
                view.output = clip(text, 0, 0)  # only marks the answer as cut
    elif name == "TodoWrite":
        view.kind = "todo"
        todos = inp.get("todos")
        if isinstance(todos, list):
            for t in todos:
                if isinstance(t, dict):
                    view.todos.append((str(t.get("status") or ""), str(t.get("content") or "")))
        if call.is_error:
            view.output = _clip(result, full)
    else:
        view.kind = "read" if name == "Read" else "generic"
        known: dict[str, str] = {
            "file_path": "File",
            "path": "Path",
            "pattern": "Pattern",
            "glob": "Glob",
            "query": "Query",
            "url": "URL",
            "skill": "Skill",
            "args": "Arguments",
            "offset": "Offset",
            "limit": "Limit",
            "output_mode": "Mode",
            "prompt": "Prompt",
        }
        rest: dict[str, Any] = {}
        for key, value in inp.items():
            label = known.get(key, "")
            if label and isinstance(value, str | int | float) and not isinstance(value, bool):
                if key == "url":
                    view.links.append((label, str(value)))
                else:
                    view.fields.append((label, str(value)))
            else:
                rest[key] = value
        if rest:
            view.input_json = _clip(json.dumps(rest, indent=2, ensure_ascii=False), full)
        view.output = _clip(result, full)
    return view


def _task_result_text(structured: object) -> str | None:
    if isinstance(structured, dict) and isinstance(structured.get("content"), list):
        text = block_text(structured["content"])
        return text or None
    return None


def entry_text(detail: MessageDetail) -> str:
    """The whole text of an entry from its source lines (lists hold the first 4,000 chars)."""
    parts = []
    for block in detail.blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif block.get("type") == "tool_result":
            parts.append(block_text(block.get("content")))
    joined = "".join(parts) if detail.entry_type == "assistant" else "\n".join(parts)
    return joined or detail.text


def find_call(detail: MessageDetail, tool_use_id: str) -> ToolCallDetail | None:
    for call in detail.tool_details:
        if call.tool_use_id == tool_use_id:
            return call
    return None
