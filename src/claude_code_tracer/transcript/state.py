"""One transcript's parse: the job, the facts and rows it yields, and the state it keeps.

`FileState` holds what a parse keeps while it reads one file and appends rows in the column
order of `transcript.rows`; the line handlers (`transcript.assistant`, `transcript.user`,
`transcript.parser`) build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from claude_code_tracer.transcript.content import as_str, cap, parse_ts
from claude_code_tracer.transcript.kinds import CollapseKind
from claude_code_tracer.transcript.rows import FACT_TABLES, MAIN_THREAD, MESSAGES, USAGE

TEXT_CAP = 16_000  # characters of prompt/response text kept; the full entry is read from the file
PREVIEW_CAP = 2_000  # characters kept of tool results, thinking, attachments and errors
INPUT_CAP = 500  # characters of a tool input kept as JSON (full input: from the file)
RESULT_CAP = 200  # characters of each tool result kept beside its call (full: from the file)
RESULT_TEXT_CAP = 600  # characters of a tool-result entry's text kept (full: from the file)

_M = {name: i for i, name in enumerate(MESSAGES.names)}
M_OFFSETS, M_LENS, M_UUID, M_UUIDS = (_M[n] for n in ("line_offsets", "line_lens", "uuid", "uuids"))
M_KIND, M_TS, M_TS_END, M_TEXT = (_M[n] for n in ("kind", "ts", "ts_end", "text"))
M_TEXT_LEN, M_THINKING = (_M[n] for n in ("text_len", "thinking"))
M_TOOLS, M_USAGE_KEY, M_SESSION = (_M[n] for n in ("tool_names", "usage_key", "session_id"))
U_SPEED = USAGE.names.index("speed")
BAD_LINES_KEPT = 50  # bad lines listed by number per file (all are counted)
U_SOURCE = USAGE.names.index("source")
U_TOKENS = tuple(
    USAGE.names.index(n)
    for n in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
)


@dataclass(frozen=True)
class FileJob:
    """One transcript to read; its ids come from discovery."""

    file_id: int
    path: str
    project_hash: str
    session_id: str  # '' for legacy flat agent files: taken from their lines
    agent_id: str  # '' for main session files
    meta_path: str = ""  # agent-<id>.meta.json beside a subagent transcript


@dataclass
class FileFacts:
    lines: int = 0
    entries: int = 0
    bad_lines: int = 0
    bad_reasons: dict[str, int] = field(default_factory=dict)
    # the first BAD_LINES_KEPT bad lines: [line number (1-based), reason]
    bad_list: list[list[int | str]] = field(default_factory=list)
    # line and block types the format reference does not know: "entry:<type>" / "block:<type>"
    unknown: dict[str, int] = field(default_factory=dict)
    # copies of a response collapsed within the file, by kinds.CollapseKind: [rows, input,
    # output, cache write, cache read tokens they would have added]
    collapsed: dict[str, list[int]] = field(default_factory=dict)
    parsed_bytes: int = 0
    pending_bytes: int = 0  # an incomplete last line, read again once complete
    cwd: str | None = None
    custom_title: str | None = None
    ai_title: str | None = None
    agent_name: str | None = None
    last_prompt: str | None = None
    versions: list[str] = field(default_factory=list)
    git_branch: str | None = None
    first_ts: int | None = None
    last_ts: int | None = None
    line_session_id: str | None = None
    line_agent_id: str | None = None
    last_kind: str | None = None
    last_stop_reason: str | None = None
    agent_type: str | None = None
    agent_description: str | None = None
    agent_tool_use_id: str | None = None
    agent_parent_id: str | None = None
    session_id: str = ""


@dataclass
class ParsedFile:
    job: FileJob
    rows: dict[str, list[list[Any]]]  # table name -> rows in the column order of its spec
    facts: FileFacts


class FileState:
    """State for one file: its rows, open streamed groups, tool names by id, inline
    sidechains; and the helpers that append rows. The line handlers build on it."""

    def __init__(self, job: FileJob) -> None:
        self.job = job
        self.file_id, self.project_hash, self.session_id = (
            job.file_id,
            job.project_hash,
            job.session_id,
        )
        self.rows: dict[str, list[list[Any]]] = {spec.name: [] for spec in FACT_TABLES}
        self.messages = self.rows["messages"]
        self.usage = self.rows["usage"]
        self.facts = FileFacts(session_id=job.session_id)
        self.groups: dict[tuple[str, str], list[Any]] = {}  # (agent, message.id) -> row
        self.usage_by_key: dict[str, int] = {}
        self.usage_totals: list[int] = []  # token total of each usage row, by position
        self.tool_names: dict[str, str] = {}
        self.sidechain_agent: dict[str, str] = {}
        self.links: set[tuple[str, str, str]] = set()
        self.boundaries: set[str] = set()
        self.streams: set[str] = set()
        self.seq: dict[str, int] = {}  # next display position per agent stream
        self.line_no = 0

    def _uuid(self, obj: dict[str, Any]) -> str:
        uuid = obj.get("uuid")
        return uuid if isinstance(uuid, str) and uuid else f"{self.job.file_id}:{self.line_no}"

    def _own(self, agent: str) -> list[Any]:
        return [self.file_id, self.line_no, self.project_hash, self.session_id, agent]

    def _agent_for(self, obj: dict[str, Any]) -> str:
        if self.job.agent_id:
            return self.job.agent_id
        if obj.get("isSidechain") is not True:
            return MAIN_THREAD
        # an inline sidechain (1.0.x): follow the parent chain to the sidechain's root
        uuid = self._uuid(obj)
        parent = obj.get("parentUuid")
        agent = self.sidechain_agent.get(parent) if isinstance(parent, str) else None
        if agent is None:
            agent = as_str(obj.get("agentId")) or f"side-{uuid[:8]}"
        self.sidechain_agent[uuid] = agent
        return agent

    def _envelope(self, obj: dict[str, Any]) -> int | None:
        facts = self.facts
        ts = parse_ts(obj.get("timestamp"))
        if facts.cwd is None:
            cwd = obj.get("cwd")
            if isinstance(cwd, str) and cwd:
                facts.cwd = cwd
        version = obj.get("version")
        if isinstance(version, str) and version and version not in facts.versions:
            facts.versions.append(version)
        branch = obj.get("gitBranch")
        if isinstance(branch, str) and branch:
            facts.git_branch = branch
        if facts.line_session_id is None:
            facts.line_session_id = as_str(obj.get("sessionId")) or None
        if facts.line_agent_id is None:
            facts.line_agent_id = as_str(obj.get("agentId")) or None
        if ts is not None:
            if facts.first_ts is None or ts < facts.first_ts:
                facts.first_ts = ts
            if facts.last_ts is None or ts > facts.last_ts:
                facts.last_ts = ts
        return ts

    def _message(
        self,
        obj: dict[str, Any],
        agent: str,
        offset: int,
        length: int,
        ts: int | None,
        entry_type: str,
        kind: str,
        text: str,
        subtype: str | None = None,
        *,
        model: str | None = None,
        message_id: str | None = None,
        request_id: str | None = None,
        thinking: str | None = None,
        tools: list[str] | None = None,
        error_category: str | None = None,
        prompt_key: str | None = None,
        usage_key: str | None = None,
        text_cap: int = TEXT_CAP,
    ) -> list[Any]:
        uuid = self._uuid(obj)
        parent = obj.get("parentUuid")
        row: list[Any] = [
            self.file_id,
            self.line_no,
            self.project_hash,
            self.session_id,
            agent,
            [offset],
            [length],
            uuid,
            [uuid],
            parent if isinstance(parent, str) else None,
            entry_type,
            subtype,
            kind,
            ts,
            ts,
            obj.get("isSidechain") is True,
            obj.get("isMeta") is True,
            model,
            message_id,
            request_id,
            text if len(text) <= text_cap else text[:text_cap],
            len(text),
            cap(thinking, PREVIEW_CAP) if thinking else None,
            tools or [],
            error_category is not None,
            error_category,
            prompt_key,
            usage_key,
            self.seq.get(agent, 0),
        ]
        self.seq[agent] = row[-1] + 1
        self.messages.append(row)
        self.facts.entries += 1
        self.facts.last_kind = kind
        self.streams.add(agent)
        return row

    def _error(
        self,
        agent: str,
        message_uuid: str,
        ts: int | None,
        category: str,
        message: str,
        tool_name: str | None = None,
        tool_use_id: str | None = None,
        status: int | None = None,
    ) -> None:
        self.rows["errors"].append(
            [
                *self._own(agent),
                message_uuid,
                ts,
                category,
                cap(message, PREVIEW_CAP),
                tool_name,
                tool_use_id,
                status,
            ]
        )

    def _command(
        self, agent: str, message_uuid: str, ts: int | None, name: str, args: str, source: str
    ) -> None:
        self.rows["commands"].append(
            [*self._own(agent), message_uuid, ts, cap(name, 200), cap(args, PREVIEW_CAP), source]
        )

    def _link(self, agent: str, linked: str, tool_use_id: str, source: str) -> None:
        key = (linked, tool_use_id, source)
        if key not in self.links:
            self.links.add(key)
            self.rows["agent_links"].append([*self._own(agent), linked, tool_use_id, source])

    def _compaction(
        self,
        agent: str,
        uuid: str,
        ts: int | None,
        trigger: str | None,
        pre: int | None,
        post: int | None,
    ) -> None:
        self.rows["compactions"].append([*self._own(agent), uuid, ts, trigger, pre, post])

    def unknown(self, what: str) -> None:
        self.facts.unknown[what] = self.facts.unknown.get(what, 0) + 1

    def collapse(self, kind: CollapseKind, counts: tuple[int, int, int, int]) -> None:
        """A copy of a response that this file already records, passed over."""
        sums = self.facts.collapsed.setdefault(kind, [0, 0, 0, 0, 0])
        sums[0] += 1
        for i, n in enumerate(counts, 1):
            sums[i] += n

    def bad(self, reason: str) -> None:
        if len(self.facts.bad_list) < BAD_LINES_KEPT:
            self.facts.bad_list.append([self.line_no + 1, reason])
        self.facts.bad_lines += 1
        self.facts.bad_reasons[reason] = self.facts.bad_reasons.get(reason, 0) + 1
