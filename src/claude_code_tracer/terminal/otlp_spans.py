"""A session as an OpenTelemetry trace, from the export's tables (`index.exports`).

One trace per session: the session's span at the root, a span per prompt (or slash command)
under it, and under each prompt the billed responses it owns and the tool calls made while it
ran; a subagent's span hangs under the tool call that started it, with its own responses and
tool calls inside. API errors, retries and interrupts are events on the span they happened in.
Names and attributes follow OpenTelemetry's GenAI conventions (`invoke_agent`, `chat`,
`execute_tool`); what they have no name for is under `cctracer.`.

Ids are derived from the session's and the entries' ids (a hash), so sending a session again
sends the same trace and span ids. Times are the transcript's, in nanoseconds.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    set_span_in_context,
)
from opentelemetry.util.types import AttributeValue

from claude_code_tracer import __version__

SERVICE = "claude-code"  # service.name, and the session's gen_ai.agent.name
PROVIDER = "anthropic"
SCOPE = "claude_code_tracer"
TEXT_CAP = 500  # characters of a prompt, a key argument, a title or an error message
# the export tables a trace is built from, each read for the sessions sent
TRACE_TABLES = ("sessions", "prompts", "responses", "tool_calls", "subagents", "errors")
TOOL_ERRORS = ("tool_error", "rejected")  # on their tool call's span, not events
EPOCH = datetime(1970, 1, 1)

Row = dict[str, Any]
Attributes = dict[str, AttributeValue]


@dataclass
class SessionRows:
    """One session's rows of the export's tables."""

    session: Row
    prompts: list[Row] = field(default_factory=list)
    responses: list[Row] = field(default_factory=list)
    tool_calls: list[Row] = field(default_factory=list)
    subagents: list[Row] = field(default_factory=list)
    errors: list[Row] = field(default_factory=list)

    @property
    def key(self) -> str:
        return session_key(self.session["project"], self.session["session_id"])


def session_key(project: str, session_id: str) -> str:
    return f"{project}/{session_id}"


def ns(ts: datetime) -> int:
    """A UTC timestamp (naive, as the index keeps it) in nanoseconds since the epoch."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return (ts - EPOCH) // timedelta(microseconds=1) * 1000


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).digest()


def trace_id_of(project: str, session_id: str) -> int:
    return int.from_bytes(_digest("trace", project, session_id)[:16], "big") or 1


def span_id_of(project: str, session_id: str, kind: str, key: str) -> int:
    return int.from_bytes(_digest("span", project, session_id, kind, key)[:8], "big") or 1


class _GivenIds(IdGenerator):
    """Hands the SDK the ids worked out for the next span."""

    def __init__(self) -> None:
        self.trace_id = 1
        self.span_id = 1

    def generate_trace_id(self) -> int:
        return self.trace_id

    def generate_span_id(self) -> int:
        return self.span_id


class _Finished(SpanProcessor):
    """Keeps each span as it ends, for the caller to send."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


@dataclass
class _Span:
    """A span worked out, before the SDK makes it."""

    span_id: int
    parent: int | None
    name: str
    start: int
    end: int
    attributes: Attributes
    kind: SpanKind = SpanKind.INTERNAL
    error: str | None = None
    events: list[tuple[str, int, Attributes]] = field(default_factory=list)


def _clip(text: Any) -> str:
    return str(text or "")[:TEXT_CAP]


def _set(attrs: Attributes, **values: Any) -> Attributes:
    """`attrs` with `values` under `cctracer.` (dots for double underscores), None left out."""
    for name, value in values.items():
        if value is not None:
            attrs["cctracer." + name.replace("__", ".")] = value
    return attrs


def _usage(rows: Iterable[Row]) -> Attributes:
    """Token and cost totals of some rows (responses, or rows that carry totals)."""
    total = {"input_tokens": 0, "output_tokens": 0, "cache_creation_tokens": 0}
    total["cache_read_tokens"] = 0
    cost = 0.0
    for row in rows:
        for name in total:
            total[name] += int(row[name] or 0)
        cost += float(row["cost_usd"] or 0.0)
    attrs: Attributes = {f"cctracer.usage.{name}": value for name, value in total.items()}
    attrs["cctracer.cost_usd"] = cost
    return attrs


class Timeline:
    """The main thread's prompts in time order: which one was running at a given moment."""

    def __init__(self, prompts: Sequence[tuple[int, int]]) -> None:
        self.times = [t for t, _ in prompts]
        self.ids = [i for _, i in prompts]

    def at(self, t: int, default: int) -> int:
        i = bisect_right(self.times, t)
        return self.ids[i - 1] if i else default


class _Trace:
    """One session's trace as it is worked out: its ids, and where an entry belongs."""

    def __init__(self, rows: SessionRows, content: bool) -> None:
        s = rows.session
        self.rows, self.content = rows, content
        self.project, self.sid = s["project"], s["session_id"]
        self.trace_id = trace_id_of(self.project, self.sid)
        self.root = self.span_id("session", "")
        self.common: Attributes = {
            "gen_ai.conversation.id": self.sid,
            "gen_ai.provider.name": PROVIDER,
        }
        self.prompts = sorted(
            (p for p in rows.prompts if not p["agent_id"] and p["ts"] is not None),
            key=lambda p: (p["ts"], p["uuid"]),
        )
        self.prompt_ids = {p["uuid"]: self.span_id("prompt", p["uuid"]) for p in self.prompts}
        self.timeline = Timeline([(ns(p["ts"]), self.prompt_ids[p["uuid"]]) for p in self.prompts])
        self.agents = {a["agent_id"]: self.span_id("agent", a["agent_id"]) for a in rows.subagents}
        self.start = ns(s["start_time"]) if s["start_time"] else 0
        self.agent_start = {
            a["agent_id"]: ns(a["start_time"]) if a["start_time"] else self.start
            for a in rows.subagents
        }

    def span_id(self, kind: str, key: str) -> int:
        return span_id_of(self.project, self.sid, kind, key)

    def running(self, t: int) -> int:
        """The span of the prompt running at `t` (the session's before the first)."""
        return self.timeline.at(t, self.root)

    def in_thread(self, agent_id: str, t: int) -> int:
        """The span a thread's entry at `t` belongs in: its subagent's, else the prompt's."""
        return self.agents.get(agent_id) or self.running(t)


def _agent_parents(t: _Trace) -> dict[str, int]:
    """Each subagent's parent: the call that started it (never one of its own, nor one of a
    chain of spawns that comes back to it), else the prompt running when it started."""
    calls = {c["tool_use_id"]: c for c in t.rows.tool_calls if c["tool_use_id"]}
    parent: dict[str, int] = {}
    for a in t.rows.subagents:
        call = calls.get(a["tool_use_id"] or "")
        if call is not None and call["agent_id"] != a["agent_id"]:
            parent[a["agent_id"]] = t.span_id("tool", call["tool_use_id"])
        else:
            parent[a["agent_id"]] = t.running(t.agent_start[a["agent_id"]])
    caller = {t.span_id("tool", c["tool_use_id"]): c["agent_id"] for c in calls.values()}
    for a in t.rows.subagents:
        seen = {a["agent_id"]}
        up = caller.get(parent[a["agent_id"]])
        while up and up in parent:
            if up in seen:
                parent[a["agent_id"]] = t.running(t.agent_start[a["agent_id"]])
                break
            seen.add(up)
            up = caller.get(parent[up])
    return parent


def _subagent_spans(t: _Trace) -> list[_Span]:
    parents = _agent_parents(t)
    spans = []
    for a in t.rows.subagents:
        start = t.agent_start[a["agent_id"]]
        end = ns(a["end_time"]) if a["end_time"] else start
        name = a["agent_type"] or a["kind"] or "subagent"
        attrs: Attributes = {
            **t.common,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.id": a["agent_id"],
            "gen_ai.agent.name": name,
        }
        if t.content and a["description"]:
            attrs["gen_ai.agent.description"] = _clip(a["description"])
        _set(attrs, agent__kind=a["kind"], tool_calls=a["tool_calls"], errors=a["errors"])
        attrs.update(_usage([a]))
        spans.append(
            _Span(
                t.agents[a["agent_id"]],
                parents[a["agent_id"]],
                f"invoke_agent {name}",
                start,
                max(end, start),
                attrs,
            )
        )
    return spans


def _tool_spans(t: _Trace) -> list[_Span]:
    spans = []
    for c in t.rows.tool_calls:
        if c["ts"] is None:
            continue
        start = ns(c["ts"])
        end = start + int(c["duration_ms"] or 0) * 1_000_000
        attrs: Attributes = {
            **t.common,
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": c["tool"],
            "gen_ai.tool.type": "function",
        }
        if c["tool_use_id"]:
            attrs["gen_ai.tool.call.id"] = c["tool_use_id"]
        error = (c["error_kind"] or "tool_error") if c["is_error"] else None
        if error:
            attrs["error.type"] = error
        _set(
            attrs, duration_ms=c["duration_ms"], subagent_type=c["subagent_type"], skill=c["skill"]
        )
        if t.content and c["key_argument"]:
            _set(attrs, tool__key_argument=_clip(c["key_argument"]))
        spans.append(
            _Span(
                t.span_id("tool", c["tool_use_id"] or f"{c['agent_id']}@{start}"),
                t.in_thread(c["agent_id"], start),
                f"execute_tool {c['tool']}",
                start,
                max(end, start),
                attrs,
                error=error,
            )
        )
    return spans


def _response_spans(t: _Trace) -> list[_Span]:
    """The billed responses: under their subagent's span, else their prompt's."""
    spans = []
    for r in t.rows.responses:
        if r["ts"] is None:
            continue
        end = ns(r["ts"])
        start = min(ns(r["start_time"]), end) if r["start_time"] else end
        parent = t.agents.get(r["agent_id"]) or t.prompt_ids.get(r["prompt_uuid"] or "", t.root)
        model = r["model"] or "unknown"
        attrs: Attributes = {
            **t.common,
            "gen_ai.operation.name": "chat",
            "gen_ai.system": PROVIDER,
            "gen_ai.request.model": model,
            "gen_ai.response.model": model,
            # the conventions count cached input in input_tokens; the index keeps it apart
            "gen_ai.usage.input_tokens": int(
                r["input_tokens"] + r["cache_creation_tokens"] + r["cache_read_tokens"]
            ),
            "gen_ai.usage.output_tokens": int(r["output_tokens"]),
            "gen_ai.usage.cache_read.input_tokens": int(r["cache_read_tokens"]),
            "gen_ai.usage.cache_creation.input_tokens": int(r["cache_creation_tokens"]),
        }
        if r["message_id"]:
            attrs["gen_ai.response.id"] = r["message_id"]
        if r["agent_id"]:
            attrs["gen_ai.agent.id"] = r["agent_id"]
        attrs.update(_usage([r]))
        _set(
            attrs,
            usage__cache_creation_1h_tokens=r["cache_creation_1h_tokens"],
            response_key=r["response_key"],
            priced=r["priced"],
            source=r["source"],
            speed=r["speed"],
            service_tier=r["service_tier"],
        )
        spans.append(
            _Span(
                t.span_id("response", r["response_key"]),
                parent,
                f"chat {model}",
                start,
                end,
                attrs,
                kind=SpanKind.CLIENT,
            )
        )
    return spans


def _error_events(t: _Trace) -> dict[int, list[tuple[str, int, Attributes]]]:
    """API errors, retries and interrupts, by the span they happened in (a tool's error is
    its own span's status)."""
    events: dict[int, list[tuple[str, int, Attributes]]] = {}
    for e in t.rows.errors:
        if e["category"] in TOOL_ERRORS or e["ts"] is None:
            continue
        at = ns(e["ts"])
        event: Attributes = {"cctracer.error.message": _clip(e["message"])}
        if e["status"] is not None:
            event["http.response.status_code"] = int(e["status"])
        events.setdefault(t.in_thread(e["agent_id"], at), []).append((e["category"], at, event))
    return events


def _prompt_spans(t: _Trace, inside: Sequence[_Span]) -> list[_Span]:
    """Each prompt, from when it was typed to the end of the last span directly under it,
    with the totals of its responses (its subagents' included)."""
    ends: dict[int, int] = {}
    for span in inside:
        if span.parent is not None:
            ends[span.parent] = max(ends.get(span.parent, 0), span.end)
    owned: dict[str, list[Row]] = {}
    for r in t.rows.responses:
        if r["prompt_uuid"]:
            owned.setdefault(r["prompt_uuid"], []).append(r)
    spans = []
    for p in t.prompts:
        start = ns(p["ts"])
        span_id = t.prompt_ids[p["uuid"]]
        attrs: Attributes = {"gen_ai.conversation.id": t.sid}
        _set(attrs, prompt__uuid=p["uuid"], prompt__kind=p["kind"], prompt__length=p["text_len"])
        if t.content:
            _set(attrs, prompt__text=_clip(p["text"]))
        mine = owned.get(p["uuid"], [])
        _set(attrs, responses=len(mine))
        attrs.update(_usage(mine))
        end = max(start, ends.get(span_id, start))
        spans.append(_Span(span_id, t.root, p["kind"], start, end, attrs))
    return spans


def _session_span(t: _Trace, inside: Sequence[_Span]) -> _Span:
    s = t.rows.session
    start = t.start or min((x.start for x in inside), default=0)
    end = ns(s["end_time"]) if s["end_time"] else start
    end = max([end, start, *(x.end for x in inside)])
    attrs: Attributes = {
        **t.common,
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.system": PROVIDER,
        "gen_ai.agent.name": SERVICE,
        "session.id": t.sid,
    }
    _set(
        attrs,
        project=t.project,
        git_branch=s["git_branch"] or None,
        cwd=s["cwd"] or None,
        claude_code__version=s["version"] or None,
        messages=s["messages"],
        prompts=s["prompts"],
        tool_calls=s["tool_calls"],
        errors=s["errors"],
        subagents=s["subagents"],
    )
    if t.content and s["title"]:
        _set(attrs, session__title=_clip(s["title"]))
    attrs.update(_usage([s]))
    return _Span(t.root, None, f"invoke_agent {SERVICE}", start, end, attrs)


def plan_session(rows: SessionRows, content: bool) -> tuple[int, list[_Span]]:
    """The trace id and the spans of one session, root first."""
    t = _Trace(rows, content)
    inside = _subagent_spans(t) + _tool_spans(t) + _response_spans(t)
    prompts = _prompt_spans(t, inside)
    spans = [_session_span(t, [*prompts, *inside]), *prompts, *inside]
    events = _error_events(t)
    for span in spans:
        span.events = events.get(span.span_id, [])
    return t.trace_id, spans


class TraceMaker:
    """Makes each session's spans with the SDK (a tracer whose ids are the ones worked out)."""

    def __init__(self, machine: str) -> None:
        self.ids = _GivenIds()
        self.finished = _Finished()
        resource = Resource.create({"service.name": SERVICE, "host.name": machine})
        self.provider = TracerProvider(
            sampler=ALWAYS_ON, resource=resource, id_generator=self.ids, shutdown_on_exit=False
        )
        self.provider.add_span_processor(self.finished)
        self.tracer = self.provider.get_tracer(SCOPE, __version__)
        if not isinstance(self.tracer, SdkTracer):
            raise ValueError("OTEL_SDK_DISABLED is set: the SDK makes no spans")

    def spans(self, rows: SessionRows, content: bool) -> list[ReadableSpan]:
        trace_id, planned = plan_session(rows, content)
        self.ids.trace_id = trace_id
        flags = TraceFlags(TraceFlags.SAMPLED)
        for p in planned:
            self.ids.span_id = p.span_id
            parent = (
                Context()
                if p.parent is None
                else set_span_in_context(
                    NonRecordingSpan(SpanContext(trace_id, p.parent, False, flags))
                )
            )
            span = self.tracer.start_span(
                p.name, context=parent, kind=p.kind, attributes=p.attributes, start_time=p.start
            )
            for name, t, attrs in p.events:
                span.add_event(name, attrs, timestamp=t)
            if p.error:
                span.set_status(Status(StatusCode.ERROR, p.error))
            span.end(end_time=p.end)
        done, self.finished.spans = self.finished.spans, []
        return done
