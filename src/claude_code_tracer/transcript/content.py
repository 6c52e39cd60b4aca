"""Reading the inside of a transcript line: content blocks, tool inputs, patches, tags.

Pure functions over already-parsed JSON values; the parser (`transcript.parser`) decides which
line they apply to.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

_COMMAND_NAME = re.compile(r"<command-name>\s*(.*?)\s*</command-name>", re.S)
_COMMAND_ARGS = re.compile(r"<command-args>(.*?)</command-args>", re.S)
_BASH_INPUT = re.compile(r"<bash-input>(.*?)</bash-input>", re.S)
_AGENT_TRAILER = re.compile(r"\bagentId:\s*([A-Za-z0-9_-]+)")
_TAG = re.compile(r"</?[a-z][a-z0-9-]*>")

# Key argument of a tool call, by tool name: the field shown on the call's one-line row.
_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "Bash": ("command",),
    "BashOutput": ("bash_id", "shell_id"),
    "KillBash": ("shell_id",),
    "KillShell": ("shell_id",),
    "Read": ("file_path",),
    "Write": ("file_path",),
    "Edit": ("file_path",),
    "MultiEdit": ("file_path",),
    "NotebookEdit": ("notebook_path",),
    "NotebookRead": ("notebook_path",),
    "Glob": ("pattern",),
    "Grep": ("pattern",),
    "LS": ("path",),
    "WebFetch": ("url",),
    "WebSearch": ("query",),
    "Task": ("description",),
    "Agent": ("description",),
    "Skill": ("skill", "command"),
    "SlashCommand": ("command",),
    "TaskOutput": ("task_id",),
    "ToolSearch": ("query",),
}
KEY_ARG_CAP = 500
MAX_COUNT = 10**12  # tokens, milliseconds or calls: larger values are junk


def cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def as_count(value: object) -> int:
    """A token count: a non-negative int below MAX_COUNT; anything else (null, bool, junk, a
    number no response ever had) is 0, so sums of counts always fit the index's BIGINTs."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < MAX_COUNT else 0
    if isinstance(value, float) and value == value and 0 <= value < MAX_COUNT:
        return int(value)
    return 0


def parse_ts(value: object) -> int | None:
    """ISO-8601 timestamp -> epoch milliseconds (UTC); None when absent or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return int(dt.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        return None


def prompt_hash(text: str) -> str:
    """Stable key to pair a spawning Task call with the subagent's first prompt."""
    return hashlib.blake2b(text.strip().encode("utf-8", "replace"), digest_size=8).hexdigest()


def block_text(content: object) -> str:
    """Visible text of a message or tool_result content: a string or a list of blocks."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict):
            btype = block.get("type")
            if btype == "text":
                text = block.get("text")
                if isinstance(text, str):
                    parts.append(text)
            elif btype == "image":
                parts.append("[image]")
            elif btype == "document":
                parts.append("[document]")
            elif btype == "tool_reference":
                parts.append(f"[tool: {block.get('tool_name', '?')}]")
    return "\n".join(parts)


def key_argument(name: str, tool_input: object) -> str | None:
    """The one argument that identifies a call: file path, command, pattern, ..."""
    if not isinstance(tool_input, dict):
        return None
    for key in _KEY_FIELDS.get(name, ()):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            return cap(value, KEY_ARG_CAP)
    if name == "TodoWrite":
        todos = tool_input.get("todos")
        return f"{len(todos)} todos" if isinstance(todos, list) else None
    for value in tool_input.values():
        if isinstance(value, str) and value:
            return cap(value, KEY_ARG_CAP)
    return None


def patch_line_counts(patch: object) -> tuple[int, int]:
    """Lines added and removed in a `structuredPatch` (unified-diff hunks)."""
    added = removed = 0
    if not isinstance(patch, list):
        return 0, 0
    for hunk in patch:
        if not isinstance(hunk, dict):
            continue
        lines = hunk.get("lines")
        if not isinstance(lines, list):
            continue
        for line in lines:
            if isinstance(line, str) and line:
                first = line[0]
                if first == "+":
                    added += 1
                elif first == "-":
                    removed += 1
    return added, removed


def count_lines(text: object) -> int:
    if not isinstance(text, str) or not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def parse_command(text: str) -> tuple[str, str] | None:
    """`<command-name>/x</command-name> ... <command-args>a</command-args>` -> ("/x", "a")."""
    match = _COMMAND_NAME.search(text)
    if not match:
        return None
    name = match.group(1).strip()
    if not name:
        return None
    if not name.startswith("/"):
        name = "/" + name
    args_match = _COMMAND_ARGS.search(text)
    return name, (args_match.group(1).strip() if args_match else "")


def bash_input(text: str) -> str:
    match = _BASH_INPUT.search(text)
    return match.group(1).strip() if match else ""


def agent_trailer(text: str) -> str | None:
    """`agentId: a881341 (for resuming ...)` in a Task result's text."""
    match = _AGENT_TRAILER.search(text)
    return match.group(1) if match else None


def strip_tags(text: str) -> str:
    return _TAG.sub("", text).strip()


def api_error_text(obj: dict[str, Any]) -> tuple[str, int | None]:
    """Readable message and HTTP status of a `system/api_error` line."""
    err = obj.get("error")
    status: int | None = None
    message = ""
    if isinstance(err, dict):
        raw_status = err.get("status")
        status = raw_status if isinstance(raw_status, int) else None
        inner = err.get("error")
        while isinstance(inner, dict) and not message:
            msg = inner.get("message")
            if isinstance(msg, str):
                message = msg
            inner = inner.get("error")
        if not message:
            message = as_str(err.get("message")) or ""
        if not message:
            cause = err.get("cause")
            if isinstance(cause, dict):
                message = str(cause.get("code") or cause.get("message") or "")
    elif isinstance(err, str):
        message = err
    if not message:
        cause = obj.get("cause")
        if isinstance(cause, dict):
            message = str(cause.get("code") or cause.get("message") or "")
    attempt = obj.get("retryAttempt")
    prefix = f"API error {status}" if status else "API error"
    if isinstance(attempt, int) and not isinstance(attempt, bool):
        prefix += f" (attempt {attempt})"
    return (f"{prefix}: {message}" if message else prefix), status


def entry_text(lines: list[dict[str, Any]]) -> str:
    """Everything searchable in an entry's lines: text, thinking and tool result content."""
    parts: list[str] = []
    for obj in lines:
        message = obj.get("message")
        content = message.get("content") if isinstance(message, dict) else obj.get("content")
        if isinstance(content, list):
            for block in content:
                if not isinstance(block, dict):
                    parts.append(block_text([block]))
                elif block.get("type") == "tool_result":
                    parts.append(block_text(block.get("content")))
                elif block.get("type") == "thinking":
                    parts.append(str(block.get("thinking") or ""))
                else:
                    parts.append(block_text([block]))
        else:
            parts.append(block_text(content))
    return "\n".join(parts)


def project_name(path: str | None, fallback: str) -> str:
    """The last folder of a project path (its `cwd`); `fallback` when it is not known."""
    if not path:
        return fallback
    parts = [p for p in re.split(r"[\\/]", path) if p]
    return parts[-1] if parts else path
