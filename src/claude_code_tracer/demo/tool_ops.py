"""Tool operations: a tool call together with the result Claude Code records for it (the text
the model sees and the structured `toolUseResult`), one builder per tool."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from claude_code_tracer.demo.records import ABSENT, JSONDict, ToolCall, ToolOp


def op(
    name: str,
    tool_input: JSONDict,
    content: str | list[Any],
    result: object = ABSENT,
    *,
    is_error: bool | None = None,
) -> ToolOp:
    """Any tool: its name, input, the content the model sees and the structured result."""
    return ToolOp(ToolCall(name, tool_input), content, result, is_error)


def bash_op(
    command: str,
    output: str = "",
    *,
    description: str | None = None,
    exit_code: int = 0,
    stderr: str = "",
) -> ToolOp:
    tool_input: JSONDict = {"command": command}
    if description:
        tool_input["description"] = description
    if exit_code:
        text = f"Exit code {exit_code}\n{output}" if output else f"Exit code {exit_code}"
        return op("Bash", tool_input, text, f"Error: {text}", is_error=True)
    result = {
        "stdout": output,
        "stderr": stderr,
        "interrupted": False,
        "isImage": False,
        "noOutputExpected": False,
    }
    return op(
        "Bash", tool_input, output or "(Bash completed with no output)", result, is_error=False
    )


def numbered(content: str, start: int = 1) -> str:
    """File text as the Read tool shows it: right-aligned line numbers and an arrow."""
    lines = content.splitlines()
    return "\n".join(f"{i:>6}\u2192{line}" for i, line in enumerate(lines, start))


def read_op(path: str, content: str) -> ToolOp:
    n = len(content.splitlines())
    result = {
        "type": "text",
        "file": {
            "filePath": path,
            "content": content,
            "numLines": n,
            "startLine": 1,
            "totalLines": n,
        },
    }
    return op("Read", {"file_path": path}, numbered(content), result)


def structured_patch(before: str, after: str) -> list[JSONDict]:
    """`structuredPatch` hunks (unified diff, 3 lines of context) between two file texts."""
    hunks: list[JSONDict] = []
    a, b = before.splitlines(), after.splitlines()
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines: list[str] = []
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines += [" " + x for x in a[a1:a2]]
                continue
            lines += ["-" + x for x in a[a1:a2]]
            lines += ["+" + x for x in b[b1:b2]]
        hunks.append(
            {
                "oldStart": i1 + 1,
                "oldLines": i2 - i1,
                "newStart": j1 + 1,
                "newLines": j2 - j1,
                "lines": lines,
            }
        )
    return hunks


def edit_op(path: str, old: str, new: str, original: str, *, replace_all: bool = False) -> ToolOp:
    tool_input: JSONDict = {"file_path": path, "old_string": old, "new_string": new}
    if replace_all:
        tool_input["replace_all"] = True
    if old not in original:
        text = (
            f"<tool_use_error>String to replace not found in file.\nString: {old}</tool_use_error>"
        )
        return op("Edit", tool_input, text, f"Error: {text}", is_error=True)
    updated = original.replace(old, new) if replace_all else original.replace(old, new, 1)
    result = {
        "filePath": path,
        "oldString": old,
        "newString": new,
        "originalFile": original,
        "structuredPatch": structured_patch(original, updated),
        "userModified": False,
        "replaceAll": replace_all,
    }
    text = f"The file {path} has been updated. Here's the result of running `cat -n` on a snippet:"
    return op("Edit", tool_input, f"{text}\n{numbered(updated)[:400]}", result)


def write_op(path: str, content: str, original: str | None = None) -> ToolOp:
    if original is None:
        result: JSONDict = {
            "type": "create",
            "filePath": path,
            "content": content,
            "structuredPatch": [],
            "originalFile": None,
        }
        text = f"File created successfully at: {path}"
    else:
        result = {
            "type": "update",
            "filePath": path,
            "content": content,
            "structuredPatch": structured_patch(original, content),
            "originalFile": original,
        }
        text = f"The file {path} has been updated. Here's the result of running `cat -n`:"
    return op("Write", {"file_path": path, "content": content}, text, result)


def multi_edit_op(path: str, edits: Sequence[tuple[str, str]], original: str) -> ToolOp:
    updated = original
    for old, new in edits:
        updated = updated.replace(old, new, 1)
    edit_list = [{"old_string": o, "new_string": n, "replace_all": False} for o, n in edits]
    result = {
        "filePath": path,
        "edits": edit_list,
        "originalFileContents": original,
        "structuredPatch": structured_patch(original, updated),
        "userModified": False,
    }
    text = f"Applied {len(edits)} edits to {path}"
    return op("MultiEdit", {"file_path": path, "edits": edit_list}, text, result)


def glob_op(pattern: str, files: Sequence[str]) -> ToolOp:
    result = {
        "filenames": list(files),
        "durationMs": 12,
        "numFiles": len(files),
        "truncated": False,
    }
    return op("Glob", {"pattern": pattern}, "\n".join(files) or "No files found", result)


def grep_op(pattern: str, files: Sequence[str]) -> ToolOp:
    result = {"mode": "files_with_matches", "filenames": list(files), "numFiles": len(files)}
    text = f"Found {len(files)} files\n" + "\n".join(files) if files else "No files found"
    return op("Grep", {"pattern": pattern}, text, result)


def todo_op(items: Sequence[tuple[str, str]]) -> ToolOp:
    """TodoWrite with (content, status) items."""
    todos = [{"content": c, "status": s, "activeForm": c} for c, s in items]
    text = (
        "Todos have been modified successfully. Ensure that you continue to use the todo list "
        "to track your progress. Please proceed with the current tasks if applicable"
    )
    return op("TodoWrite", {"todos": todos}, text, {"oldTodos": [], "newTodos": todos})


def task_call(
    description: str,
    prompt: str,
    *,
    subagent_type: str = "general-purpose",
    tool: str = "Task",
    background: bool = False,
    model: str | None = None,
) -> ToolCall:
    tool_input: JSONDict = {
        "description": description,
        "prompt": prompt,
        "subagent_type": subagent_type,
    }
    if model:
        tool_input["model"] = model
    if background:
        tool_input["run_in_background"] = True
    return ToolCall(tool, tool_input)
