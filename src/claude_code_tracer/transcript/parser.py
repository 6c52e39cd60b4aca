"""JSONL transcript lines -> normalized rows. Every format rule lives here, once.

`parse_file` reads one transcript (main session, subagent, legacy flat agent) and returns rows
for the fact tables of `transcript.rows`, plus per-file facts (titles, cwd, bad line counts).
It never raises on content: a line that is not a complete JSON object is counted and skipped;
unknown types, subtypes, blocks and fields are passed over. This module reads the file and
dispatches each line by its type; assistant and user lines, the two that hold most rules,
have their handlers in `transcript.assistant` and `transcript.user`.

The rules, with the section of the format reference (claude-code-format.md) behind each:

* one API response is streamed as several assistant lines sharing `message.id`; they form one
  display message and repeat a growing usage snapshot (§7): one usage row per
  `message.id:requestId` per file, the copy with the largest token total (ties: the one that
  records `speed`); lines without `message.id` cannot be de-duplicated and count once each;
* `<synthetic>` and `isApiErrorMessage` lines are errors, never usage (§13);
* usage copied into `progress` lines is read as a copy, and a Task/Agent result's
  `toolUseResult.usage` as the final usage of the agent's last response; the roll-ups decide
  what they count (§6);
* inline sidechain lines of 1.0.x main files belong to an inline subagent (§1.4, §10);
* compaction summaries, meta lines, commands, interrupts, task notifications and tool results
  are not prompts (§14.21);
* a half-written last line is not an error: it is read again once complete (§14.1).
"""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson

from claude_code_tracer.transcript.content import (
    api_error_text,
    as_count,
    as_str,
    block_text,
    cap,
    parse_command,
    parse_ts,
    strip_tags,
)
from claude_code_tracer.transcript.kinds import (
    CONVERSATION_ENTRY_TYPES,
    KNOWN_LINE_FIELDS,
    PASSED_ENTRY_TYPES,
    SYNTHETIC_MODEL,
)
from claude_code_tracer.transcript.lines import FILE_BUFFER, iter_lines, open_regular, repair
from claude_code_tracer.transcript.rows import MAIN_THREAD
from claude_code_tracer.transcript.state import (
    M_SESSION,
    PREVIEW_CAP,
    TEXT_CAP,
    FileFacts,
    FileJob,
    ParsedFile,
)
from claude_code_tracer.transcript.user import UserLines

# Progress lines (§4.4) are UI state: only agent_progress ones hold a fact (the link from a
# spawning call to its subagent, whose data opens with the relayed message). A line whose
# first "type" key opens this exact sequence is a progress entry whose data opens with its own
# type (hook, bash, search ... progress) and is passed over without being parsed.
TYPE_KEY = b'"type":"'
PROGRESS_MARK = b'progress","data":{"type":"'
AGENT_PROGRESS = b'agent_progress"'
PROGRESS_MARK_WITHIN = 2048  # the envelope comes first; a type further in is parsed as usual


class _Parser(UserLines):
    """One file's parse: each line to the handler of its type."""

    def line(self, obj: dict[str, Any], offset: int, length: int) -> None:
        etype = obj.get("type")
        if (
            isinstance(etype, str)
            and etype in CONVERSATION_ENTRY_TYPES
            and not KNOWN_LINE_FIELDS.issuperset(obj)
        ):
            for name in obj:
                if name not in KNOWN_LINE_FIELDS:
                    self.unknown(f"field:{name}")
        if etype == "progress":
            self._progress(obj)
        elif etype == "assistant":
            self._assistant(obj, offset, length)
        elif etype == "user":
            self._user(obj, offset, length)
        elif etype == "system":
            self._system(obj, offset, length)
        elif etype == "attachment":
            self._attachment(obj, offset, length)
        elif etype == "summary":
            text = as_str(obj.get("summary"))
            if text:
                leaf = as_str(obj.get("leafUuid"))
                self.rows["summaries"].append([*self._own(MAIN_THREAD), cap(text, 500), leaf])
        elif etype == "custom-title":
            self.facts.custom_title = as_str(obj.get("customTitle")) or self.facts.custom_title
        elif etype == "ai-title":
            self.facts.ai_title = as_str(obj.get("aiTitle")) or self.facts.ai_title
        elif etype == "agent-name":
            self.facts.agent_name = as_str(obj.get("agentName")) or self.facts.agent_name
        elif etype == "last-prompt":
            prompt = as_str(obj.get("lastPrompt"))
            if prompt:
                self.facts.last_prompt = cap(prompt, PREVIEW_CAP)
        elif not isinstance(etype, str) or etype not in PASSED_ENTRY_TYPES:
            # file-history-snapshot, queue-operation, mode, pr-link, ...: no facts kept; a
            # type the format reference does not know is counted (the accuracy view lists it)
            self.unknown(f"entry:{etype}" if isinstance(etype, str) else "entry:?")

    def _progress(self, obj: dict[str, Any]) -> None:
        # UI state, but an agent_progress line links a spawning tool call to the subagent's
        # id, and the assistant line it relays carries a copy of that subagent's usage (§4.4,
        # §6): a copy joins the de-duplication under the response's key, and counts only
        # where no real line has that key (the agent's own file is missing).
        data = obj.get("data")
        if not isinstance(data, dict) or data.get("type") != "agent_progress":
            return
        linked = as_str(data.get("agentId"))
        parent_tool = as_str(obj.get("parentToolUseID"))
        if linked and parent_tool:
            self._link(self._agent_for(obj), linked, parent_tool, "progress")
        relayed = data.get("message")
        if not linked or not isinstance(relayed, dict) or relayed.get("type") != "assistant":
            return
        message = relayed.get("message")
        if not isinstance(message, dict):
            return
        usage = message.get("usage")
        model = as_str(message.get("model"))
        message_id = as_str(message.get("id"))
        if not isinstance(usage, dict) or not message_id or model == SYNTHETIC_MODEL:
            return
        self._usage(
            relayed,
            linked,
            as_str(relayed.get("uuid")) or "",
            usage,
            model,
            message_id,
            as_str(relayed.get("requestId")) or None,
            parse_ts(relayed.get("timestamp")) or parse_ts(obj.get("timestamp")),
            source="progress",
            sidechain=True,
            branch=as_str(obj.get("gitBranch")),
        )

    def _system(self, obj: dict[str, Any], offset: int, length: int) -> None:
        ts = self._envelope(obj)
        agent = self._agent_for(obj)
        uuid = self._uuid(obj)
        subtype = as_str(obj.get("subtype"))
        content = obj.get("content")
        text = content if isinstance(content, str) else block_text(content)
        kind = "system"
        category: str | None = None
        if subtype == "compact_boundary":
            meta = obj.get("compactMetadata")
            meta = meta if isinstance(meta, dict) else {}
            pre, post = meta.get("preTokens"), meta.get("postTokens")
            self.boundaries.add(uuid)
            self._compaction(
                agent,
                uuid,
                ts,
                as_str(meta.get("trigger")),
                as_count(pre) if pre is not None else None,
                as_count(post) if post is not None else None,
            )
        elif subtype == "api_error":
            kind, category = "error", "api_retry"
            text, status = api_error_text(obj)
            self._error(agent, uuid, ts, "api_retry", text, status=status)
        elif subtype == "local_command":
            kind = "command"
            parsed = parse_command(text)
            if parsed:
                self._command(agent, uuid, ts, parsed[0], parsed[1], "local")
                text = f"{parsed[0]} {parsed[1]}".strip()
            else:
                text = strip_tags(text)
        elif subtype == "turn_duration" and not text:
            duration = obj.get("durationMs")
            if isinstance(duration, int | float) and not isinstance(duration, bool):
                text = f"Turn took {duration / 1000:.1f} s"
        elif subtype == "stop_hook_summary" and not text:
            hooks = obj.get("hookCount")
            if isinstance(hooks, int) and not isinstance(hooks, bool):
                text = f"{hooks} stop hook(s) ran"
        self._message(
            obj, agent, offset, length, ts, "system", kind, text, subtype, error_category=category
        )

    def _attachment(self, obj: dict[str, Any], offset: int, length: int) -> None:
        ts = self._envelope(obj)
        agent = self._agent_for(obj)
        att = obj.get("attachment")
        att = att if isinstance(att, dict) else {}
        atype = as_str(att.get("type")) or "attachment"
        kind = "system"
        if atype == "queued_command":
            # a prompt typed while the agent was busy (the modern record of mid-turn steering)
            kind, text = "prompt", block_text(att.get("prompt"))
        else:
            label = att.get("hookName") or att.get("filename") or att.get("displayPath") or ""
            text = f"{atype}: {label}" if isinstance(label, str) and label else atype
            body = att.get("content")
            if isinstance(body, str) and body:
                text = f"{text}\n{body}"
        cap_to = TEXT_CAP if kind == "prompt" else PREVIEW_CAP
        self._message(
            obj, agent, offset, length, ts, "attachment", kind, text, atype, text_cap=cap_to
        )


def _read_meta(job: FileJob, facts: FileFacts) -> None:
    """agent-<id>.meta.json: agent type, description, spawning tool call (2.1.x)."""
    if not job.meta_path:
        return
    try:
        with open_regular(job.meta_path) as stream:
            meta = orjson.loads(stream.read(1 << 20))
    except (OSError, orjson.JSONDecodeError):
        return
    if isinstance(meta, dict):
        facts.agent_type = as_str(meta.get("agentType"))
        facts.agent_description = as_str(meta.get("description"))
        facts.agent_tool_use_id = as_str(meta.get("toolUseId"))
        facts.agent_parent_id = as_str(meta.get("parentAgentId"))


def parse_stream(job: FileJob, stream: BinaryIO) -> ParsedFile:
    """Parse an open transcript; see the module docstring for the rules."""
    parser = _Parser(job)
    facts = parser.facts
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    handle = parser.line
    for offset, raw, complete in iter_lines(stream):
        parser.line_no = facts.lines
        facts.lines += 1
        if raw is None:
            parser.bad("too_long")
            continue
        if complete and (at := raw.find(TYPE_KEY, 0, PROGRESS_MARK_WITHIN)) >= 0:
            at += len(TYPE_KEY)
            if raw.startswith(PROGRESS_MARK, at) and not raw.startswith(
                AGENT_PROGRESS, at + len(PROGRESS_MARK)
            ):
                facts.parsed_bytes = offset + len(raw)
                continue
        try:
            obj = loads(raw)
        except decode_error as exc:
            if not raw.strip():
                facts.parsed_bytes = offset + len(raw)
                continue
            if not complete and raw.lstrip()[:1] == b"{":
                # a half-written last line of a live session: not an error, read again later
                facts.lines -= 1
                facts.pending_bytes = len(raw)
                break
            repaired = repair(raw, exc)
            if repaired is None:
                parser.bad("invalid_utf8" if "UTF-8" in str(exc) else "invalid_json")
                facts.parsed_bytes = offset + len(raw)
                continue
            obj = repaired
        facts.parsed_bytes = offset + len(raw)
        if type(obj) is not dict:
            parser.bad("not_object")
            continue
        try:
            handle(obj, offset, len(raw))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError):
            parser.bad("unexpected_shape")  # a shape no rule foresaw: count it, keep going
    _read_meta(job, facts)
    if not job.session_id:
        # legacy flat agent file: its parent session is the sessionId its lines carry
        sid = facts.line_session_id or f"agent-{job.agent_id}"
        facts.session_id = sid
        for rows in parser.rows.values():
            for row in rows:
                row[M_SESSION] = sid
    return ParsedFile(job, parser.rows, facts)


def parse_file(job: FileJob) -> ParsedFile:
    """Parse one transcript file; an unreadable file gives no rows and one bad line."""
    try:
        with open_regular(job.path, FILE_BUFFER) as stream:  # read through, in large reads
            return parse_stream(job, stream)
    except OSError:
        parser = _Parser(job)
        parser.bad("unreadable")
        parser.facts.session_id = job.session_id or f"agent-{job.agent_id}"
        return ParsedFile(job, parser.rows, parser.facts)
