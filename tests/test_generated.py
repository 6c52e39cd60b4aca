"""Generated inputs: schemathesis against the app's own OpenAPI schema, and hypothesis against
the line parser with generated transcript entries."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (  # type: ignore[attr-defined]
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from claude_code_tracer.demo.builder import ClaudeDir
from claude_code_tracer.transcript.parser import parse_stream
from claude_code_tracer.transcript.state import FileJob
from helpers.safety import HOST, Ids, indexed_app, small_history

# -- schemathesis ----------------------------------------------------------------------------------

BUDGET_S = 30.0  # wall clock for the whole schema; each operation gets its share
EXAMPLES = 40  # per operation and generation mode, at most
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
STREAMING = {"/api/events"}  # never ends by itself; its headers are tested in test_security


@dataclass
class Fuzzed:
    app: FastAPI
    ids: Ids


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    base = tmp_path_factory.mktemp("generated")
    ids = small_history(ClaudeDir(base / "claude", seed=3))
    app = indexed_app(base / "claude", base / "cache")
    yield Fuzzed(app, ids)
    app.state.runtime.stop()


def fuzz(op: Any, strategies: list[Any], stop_at: float, failures: list[str]) -> int:
    """Run the cases of one operation until `stop_at`; failures are collected, not raised."""
    calls = 0

    @settings(
        max_examples=EXAMPLES * len(strategies),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        nonlocal calls
        if time.monotonic() > stop_at:
            return
        calls += 1
        response = case.call(base_url=f"http://{HOST}")
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:600]}")

    run()
    return calls


# about 30 s by design: the whole schema, in both generation modes, with real and random ids
def test_schemathesis_finds_no_server_error_and_no_answer_off_schema(fuzzed: Fuzzed) -> None:
    schema = schemathesis.openapi.from_dict(fuzzed.app.openapi())
    schema.app = fuzzed.app
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path not in STREAMING]
    assert len(operations) > 25
    real: dict[str, Any] = {**fuzzed.ids.values(), "idx": 1}
    failures: list[str] = []
    deadline = time.monotonic() + BUDGET_S
    calls = 0
    for i, op in enumerate(operations):
        names = [p.name for p in op.path_parameters]
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        strategies = [op.as_strategy(mode) for mode in modes]
        if names:  # ids that exist, so that the query parameters reach the index
            fixed = {n: real[n] for n in names}
            strategies += [op.as_strategy(mode, path_parameters=fixed) for mode in modes]
        share = (deadline - time.monotonic()) / (len(operations) - i)
        calls += fuzz(op, strategies, time.monotonic() + share, failures)
    assert not failures, "\n\n".join(failures[:10])
    assert calls > 500


# -- hypothesis: the line parser -------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
COUNT = st.one_of(
    st.integers(min_value=0, max_value=10**9),  # what Claude Code writes
    st.integers(min_value=-(2**70), max_value=2**70),  # negative and huge, past 64 bits too
    st.floats(min_value=-1e20, max_value=1e20, allow_nan=False),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)
TIMESTAMP = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.just("0001-01-01T00:00:00Z"),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)
BLOCK = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.one_of(st.text(), JUNK)}),
    st.fixed_dictionaries({"type": st.just("thinking"), "thinking": st.one_of(st.text(), JUNK)}),
    st.fixed_dictionaries(
        {
            "type": st.just("tool_use"),
            "id": st.one_of(st.text(max_size=10), JUNK),
            "name": st.one_of(st.sampled_from(["Bash", "Read", "Edit", "Task", "Skill"]), JUNK),
            "input": JUNK,
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("tool_result"),
            "tool_use_id": st.one_of(st.text(max_size=10), JUNK),
            "content": st.one_of(st.text(), JUNK),
            "is_error": JUNK,
        }
    ),
    JUNK,
)
CONTENT = st.one_of(st.lists(BLOCK, max_size=4), st.text(), JUNK)


def usage_of(counts: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {**counts, **extra}


USAGE = st.builds(
    usage_of,
    st.fixed_dictionaries(
        {},
        optional={
            "input_tokens": COUNT,
            "output_tokens": COUNT,
            "cache_creation_input_tokens": COUNT,
            "cache_read_input_tokens": COUNT,
        },
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "cache_creation": st.one_of(
                st.fixed_dictionaries({"ephemeral_1h_input_tokens": COUNT}), JUNK
            ),
            "speed": st.one_of(st.sampled_from(["fast", "standard"]), JUNK),
            "server_tool_use": JUNK,
        },
    ),
)
ENVELOPE = {
    "uuid": st.one_of(st.uuids().map(str), JUNK),
    "parentUuid": st.one_of(st.uuids().map(str), JUNK),
    "timestamp": TIMESTAMP,
    "isSidechain": st.one_of(st.booleans(), JUNK),
    "sessionId": st.one_of(st.text(max_size=12), JUNK),
    "agentId": st.one_of(st.text(max_size=8), JUNK),
    "cwd": st.one_of(st.text(max_size=12), JUNK),
    "version": st.one_of(st.sampled_from(["1.0.98", "2.0.76", "2.1.39"]), JUNK),
    "isMeta": st.one_of(st.booleans(), JUNK),
}
ASSISTANT = st.fixed_dictionaries(
    {
        "type": st.just("assistant"),
        "message": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": st.one_of(st.sampled_from(["msg_a", "msg_b", "msg_c", ""]), JUNK),
                    "model": st.one_of(
                        st.sampled_from(["claude-opus-4-6", "<synthetic>", "claude-nova-9"]), JUNK
                    ),
                    "content": CONTENT,
                    "usage": st.one_of(USAGE, JUNK),
                    "stop_reason": JUNK,
                },
            ),
            JUNK,
        ),
    },
    optional={
        **ENVELOPE,
        "requestId": st.one_of(st.sampled_from(["req_1", "req_2"]), JUNK),
        "isApiErrorMessage": st.one_of(st.booleans(), JUNK),
    },
)
USER = st.fixed_dictionaries(
    {
        "type": st.just("user"),
        "message": st.one_of(
            st.fixed_dictionaries(
                {}, optional={"role": st.one_of(st.just("user"), JUNK), "content": CONTENT}
            ),
            JUNK,
        ),
    },
    optional={**ENVELOPE, "toolUseResult": JUNK, "sourceToolAssistantUUID": JUNK},
)
OTHER = st.fixed_dictionaries(
    {
        "type": st.one_of(
            st.sampled_from(
                [
                    *("system", "progress", "summary", "attachment", "custom-title"),
                    *("ai-title", "agent-name", "last-prompt", "file-history-snapshot"),
                    "queue-operation",
                ]
            ),
            st.text(max_size=10),
            JUNK,
        )
    },
    optional={
        **ENVELOPE,
        "subtype": JUNK,
        "content": JUNK,
        "data": JUNK,
        "summary": JUNK,
        "leafUuid": JUNK,
        "customTitle": JUNK,
        "attachment": JUNK,
        "compactMetadata": JUNK,
        "level": JUNK,
    },
)
ENTRY = st.one_of(ASSISTANT, USER, OTHER)


def not_an_object(raw: bytes) -> bool:
    try:
        return not isinstance(orjson.loads(raw), dict)
    except orjson.JSONDecodeError:
        return True


BAD_LINE = st.one_of(
    st.binary(min_size=1).filter(lambda b: b"\n" not in b and b.strip() != b""),
    st.sampled_from([b"[1, 2]", b'"text"', b"42", b"null", b'{"type": "user"', b"[" * 3000]),
    st.sampled_from(["caf\xe9", "\udcff"]).map(lambda t: t.encode("latin-1", "replace")),
).filter(not_an_object)


def as_count(value: Any) -> int:
    """The counting rule, written again: whole numbers from 0 below 10**12; else 0."""
    if type(value) is int:
        return value if 0 < value < 10**12 else 0
    if type(value) is float:
        return int(value) if 0 <= value < 10**12 else 0
    return 0


def expected_tokens(entries: list[dict[str, Any]]) -> tuple[int, int, int, int]:
    """One usage per message.id[:requestId] (the copy with the most tokens, a copy that
    records `speed` winning a tie), one per line without message.id; errors count nothing."""
    kept: dict[Any, tuple[tuple[int, int, int, int], bool]] = {}
    for line, entry in enumerate(entries):
        message = entry.get("message")
        if entry.get("type") != "assistant" or not isinstance(message, dict):
            continue
        usage = message.get("usage")
        if not isinstance(usage, dict) or message.get("model") == "<synthetic>":
            continue
        if entry.get("isApiErrorMessage") is True:
            continue
        mid = message.get("id") if isinstance(message.get("id"), str) else ""
        rid = entry.get("requestId") if isinstance(entry.get("requestId"), str) else ""
        key: Any = (f"{mid}:{rid}" if rid else mid) if mid else ("line", line)
        counts = (
            as_count(usage.get("input_tokens")),
            as_count(usage.get("output_tokens")),
            as_count(usage.get("cache_creation_input_tokens")),
            as_count(usage.get("cache_read_input_tokens")),
        )
        fast = isinstance(usage.get("speed"), str)
        old = kept.get(key)
        total = sum(counts)
        if old is None or total > sum(old[0]) or (total == sum(old[0]) and fast and not old[1]):
            kept[key] = (counts, fast)
    sums = [sum(c[0][i] for c in kept.values()) for i in range(4)]
    return sums[0], sums[1], sums[2], sums[3]


def line_of(entry: dict[str, Any]) -> bytes:
    """Compact JSON, as Claude Code writes it."""
    return json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def parsed_tokens(rows: list[list[Any]], names: tuple[str, ...]) -> tuple[int, ...]:
    from claude_code_tracer.transcript.rows import USAGE as SPEC

    index = [SPEC.names.index(n) for n in names]
    return tuple(sum(r[i] for r in rows) for i in index)


# about 4 s: 250 generated transcripts of up to 16 lines each
@settings(
    max_examples=250,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    entries=st.lists(ENTRY, max_size=12),
    junk=st.lists(st.tuples(st.integers(min_value=0, max_value=12), BAD_LINE), max_size=4),
)
def test_the_parser_takes_any_generated_transcript(
    entries: list[dict[str, Any]], junk: list[tuple[int, bytes]]
) -> None:
    good = [line_of(e) for e in entries]
    lines = list(good)
    for where, raw in sorted(junk, reverse=True):
        lines.insert(min(where, len(lines)), raw)
    data = b"".join(line + b"\n" for line in lines)
    parsed = parse_stream(FileJob(1, "/generated.jsonl", "-p", "s", ""), io.BytesIO(data))
    facts = parsed.facts
    assert facts.lines == len(lines)
    assert "unexpected_shape" not in facts.bad_reasons, facts.bad_reasons
    assert facts.parsed_bytes == len(data)
    # every generated entry is read (numbers past 64 bits become floats), every junk line
    # is counted bad
    assert facts.bad_lines == len(junk), lines
    assert facts.entries <= len(entries)
    names = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
    assert parsed_tokens(parsed.rows["usage"], names) == expected_tokens(entries)
