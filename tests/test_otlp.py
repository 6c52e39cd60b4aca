"""`cctracer export otlp`: the API tests' fixture history as OpenTelemetry traces, read back
from a real backend; retried, resumable, and one clear line when the collector can't be had."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from claude_code_tracer.terminal.export import run_sql
from claude_code_tracer.terminal.otlp import STATE_FILE, run_otlp
from claude_code_tracer.terminal.otlp_spans import span_id_of, trace_id_of
from claude_code_tracer.terminal.progress import StepBar
from helpers.api_fixtures import B2, BLOG_HASH, Api, api, append_reply
from helpers.servers import free_port

__all__ = ["api"]  # fixtures

FAST = {"backoff_s": 0.01, "timeout_s": 10.0}  # the retry waits, short for the tests


def env_for(tmp: Path) -> dict[str, str]:
    (tmp / "home").mkdir(parents=True, exist_ok=True)
    return {"HOME": str(tmp / "home"), "XDG_CACHE_HOME": str(tmp / "cache"), "TZ": "UTC"}


def otlp(args: list[str], env: dict[str, str], **tuning: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_otlp(args, env=env, out=out, err=err, **{**FAST, **tuning})
    return code, out.getvalue(), err.getvalue()


def rows(query: str, root: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """The index's own rows (the export's tables), as `cctracer sql --json` prints them."""
    out, err = io.StringIO(), io.StringIO()
    assert run_sql([query, "--json", "--claude-dir", str(root)], env=env, out=out, err=err) == 0
    docs: list[dict[str, Any]] = json.loads(out.getvalue())
    return docs


@contextmanager
def copied_history(api: Api, tmp: Path) -> Iterator[Path]:
    root = tmp / "claude"
    shutil.copytree(api.world.claude.root, root)
    yield root


class Expected:
    """What the index says the traces hold: span count, responses, subagents."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        counts = rows(
            "SELECT (SELECT count(*) FROM sessions) AS sessions,"
            " (SELECT count(*) FROM prompts WHERE agent_id = '') AS prompts,"
            " (SELECT count(*) FROM responses) AS responses,"
            " (SELECT count(*) FROM tool_calls) AS tool_calls,"
            " (SELECT count(*) FROM subagents) AS subagents",
            root,
            env,
        )[0]
        self.counts = counts
        self.spans = sum(counts.values())
        self.responses = {
            r["response_key"]: r
            for r in rows(
                "SELECT project, session_id, agent_id, response_key, prompt_uuid, model,"
                " input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd"
                " FROM responses",
                root,
                env,
            )
        }
        self.subagents = rows(
            "SELECT project, session_id, agent_id, tool_use_id FROM subagents", root, env
        )


def value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


EVERY = range(1, 1000)


class Receiver:
    """An OTLP/HTTP endpoint on loopback: answers `status` to the requests numbered in `fail`
    (from 1), takes the spans of the others (kept per request, decoded)."""

    def __init__(self, fail: Iterable[int] = (), status: int = 503, body: bytes = b"") -> None:
        self.fail, self.status, self.body = set(fail), status, body
        self.requests = 0
        self.batches: list[list[dict[str, Any]]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests += 1
                    failing = receiver.requests in receiver.fail
                if failing:
                    self.send_response(receiver.status)
                    self.send_header("Content-Length", str(len(receiver.body)))
                    self.end_headers()
                    self.wfile.write(receiver.body)
                    return
                request = ExportTraceServiceRequest.FromString(data)
                spans = [
                    {
                        "trace_id": int.from_bytes(s.trace_id, "big"),
                        "span_id": int.from_bytes(s.span_id, "big"),
                        "parent": int.from_bytes(s.parent_span_id, "big") or None,
                        "name": s.name,
                        "attributes": {a.key: value(a.value) for a in s.attributes},
                        "host": {a.key: value(a.value) for a in rs.resource.attributes}.get(
                            "host.name"
                        ),
                    }
                    for rs in request.resource_spans
                    for ss in rs.scope_spans
                    for s in ss.spans
                ]
                with receiver.lock:
                    receiver.batches.append(spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def spans(self) -> list[dict[str, Any]]:
        return [s for batch in self.batches for s in batch]


def check_traces(spans: list[dict[str, Any]], expected: Expected) -> None:
    """Count, nesting and tokens of the spans against the index's rows."""
    assert len(spans) == expected.spans
    by_id = {s["span_id"]: s for s in spans}
    assert len(by_id) == len(spans)  # each span once
    roots = [s for s in spans if s["parent"] is None]
    assert len(roots) == expected.counts["sessions"]
    for root in roots:
        project = root["attributes"]["cctracer.project"]
        sid = root["attributes"]["gen_ai.conversation.id"]
        assert root["trace_id"] == trace_id_of(project, sid)
        assert root["span_id"] == span_id_of(project, sid, "session", "")
        assert root["name"] == "invoke_agent claude-code"
    chats = [s for s in spans if s["attributes"].get("gen_ai.operation.name") == "chat"]
    assert len(chats) == len(expected.responses)
    for chat in chats:
        a = chat["attributes"]
        r = expected.responses[a["cctracer.response_key"]]
        p, s = r["project"], r["session_id"]
        assert chat["trace_id"] == trace_id_of(p, s)
        assert a["gen_ai.request.model"] == a["gen_ai.response.model"] == r["model"]
        assert a["gen_ai.provider.name"] == "anthropic"
        assert a["gen_ai.usage.output_tokens"] == r["output_tokens"]
        assert a["gen_ai.usage.input_tokens"] == (
            r["input_tokens"] + r["cache_creation_tokens"] + r["cache_read_tokens"]
        )
        assert a["cctracer.usage.input_tokens"] == r["input_tokens"]
        assert a["gen_ai.usage.cache_read.input_tokens"] == r["cache_read_tokens"]
        assert a["gen_ai.usage.cache_creation.input_tokens"] == r["cache_creation_tokens"]
        assert a["cctracer.cost_usd"] == pytest.approx(r["cost_usd"], abs=1e-12)
        parent = by_id[chat["parent"]]
        if r["agent_id"]:  # a subagent's response: under its subagent's span
            assert parent["span_id"] == span_id_of(p, s, "agent", r["agent_id"])
        elif r["prompt_uuid"]:  # a prompt's: under the prompt, under the session
            assert parent["span_id"] == span_id_of(p, s, "prompt", r["prompt_uuid"])
            assert parent["name"] in ("prompt", "command")
            assert parent["parent"] == span_id_of(p, s, "session", "")
        else:
            assert parent["parent"] is None
    spawned = [a for a in expected.subagents if a["tool_use_id"]]
    assert spawned
    for agent in spawned:
        p, s = agent["project"], agent["session_id"]
        span = by_id[span_id_of(p, s, "agent", agent["agent_id"])]
        call = by_id[span["parent"]]
        assert call["span_id"] == span_id_of(p, s, "tool", agent["tool_use_id"])
        assert call["name"] in ("execute_tool Task", "execute_tool Agent")


def test_retries_503_and_sends_every_span_once(
    api: Api, tmp_path: Path, receiver: Receiver
) -> None:
    env = env_for(tmp_path)
    with copied_history(api, tmp_path) as root:
        expected = Expected(root, env)
        receiver.fail = {1, 2}
        code, said, err = otlp(
            ["--endpoint", receiver.url, "--claude-dir", str(root), "--machine", "laptop"],
            env,
            batch_spans=50,
        )
    assert (code, err) == (0, ""), err
    batches = -(-expected.spans // 50)
    assert receiver.requests == 2 + batches  # two 503s, then each batch once
    assert [len(b) for b in receiver.batches] == [50] * (batches - 1) + [
        expected.spans - 50 * (batches - 1)
    ]
    check_traces(receiver.spans, expected)
    assert {s["host"] for s in receiver.spans} == {"laptop"}
    assert said == (
        f"otlp to {receiver.url} (machine=laptop): 5 sessions sent "
        f"({expected.spans} spans in {batches} requests), 0 unchanged\n"
    )
    # the project's totals are the API's
    per_project: dict[str, int] = {}
    for r in expected.responses.values():
        per_project[r["project"]] = per_project.get(r["project"], 0) + r["output_tokens"]
    for listed in api.get("/api/projects")["projects"]:
        assert per_project[listed["path_hash"]] == listed["tokens"]["output_tokens"]


def test_a_rerun_sends_only_what_changed(api: Api, tmp_path: Path, receiver: Receiver) -> None:
    env = env_for(tmp_path)
    with copied_history(api, tmp_path) as root:
        args = ["--endpoint", receiver.url, "--claude-dir", str(root), "--machine", "m"]
        expected = Expected(root, env)
        assert otlp(args, env)[0] == 0
        assert receiver.requests == 1 and len(receiver.spans) == expected.spans
        state = tmp_path / "cache" / "claude-code-tracer" / STATE_FILE
        assert state.is_file() and not list(root.rglob(STATE_FILE))

        # nothing changed: nothing sent
        code, said, _ = otlp(args, env)
        assert (code, receiver.requests) == (0, 1)
        assert said == f"otlp to {receiver.url} (machine=m): nothing changed\n"

        # a line appended to B2: that session alone, whole, with the same ids
        session = next(root.glob(f"projects/{BLOG_HASH}/b2*.jsonl"))
        before = {
            s["span_id"] for s in receiver.spans if s["trace_id"] == trace_id_of(BLOG_HASH, B2)
        }
        append_reply(session)
        code, said, _ = otlp(args, env)
        assert code == 0 and "1 sessions sent" in said and "4 unchanged" in said
        assert receiver.requests == 2
        again = receiver.batches[-1]
        assert {s["trace_id"] for s in again} == {trace_id_of(BLOG_HASH, B2)}
        assert {s["span_id"] for s in again} == before | {
            span_id_of(BLOG_HASH, B2, "response", "msg_appended:req_appended")
        }
        appended = next(
            s for s in again if s["attributes"].get("gen_ai.response.id") == "msg_appended"
        )
        assert appended["attributes"]["gen_ai.usage.input_tokens"] == 707
        assert appended["attributes"]["gen_ai.usage.output_tokens"] == 70

        # another endpoint has its own record: everything, and with --content the text
        other = receiver.url.replace("/v1/traces", "/other/v1/traces")
        code, said, _ = otlp([*args[2:], "--endpoint", other, "--content"], env)
        assert code == 0 and "5 sessions sent" in said
        texts = {s["attributes"].get("cctracer.prompt.text") for s in receiver.batches[-1]} - {None}
        assert "add a discount field to the cart" in texts
        assert all("cctracer.prompt.text" not in s["attributes"] for s in receiver.batches[0])

        # --since: the sessions started from that day (B2, on 2026-02-06)
        third = receiver.url.replace("/v1/traces", "/third/v1/traces")
        code, said, _ = otlp([*args[2:], "--endpoint", third, "--since", "2026-02-06"], env)
        assert code == 0 and "1 sessions sent" in said and "0 unchanged" in said
        assert {s["trace_id"] for s in receiver.batches[-1]} == {trace_id_of(BLOG_HASH, B2)}


def test_unreachable_or_refused_is_one_line(api: Api, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    nowhere = f"http://127.0.0.1:{free_port()}/v1/traces"
    started = time.monotonic()
    code, said, err = otlp(["--endpoint", nowhere, "--claude-dir", root], env)
    assert (code, said) == (1, "")
    assert err.count("\n") == 1 and err.startswith(f"cctracer export otlp: cannot reach {nowhere}")
    assert "Traceback" not in err and time.monotonic() - started < 20
    # a password in the URL is not shown either
    secret_url = nowhere.replace("http://", "http://me:pw-secret@")
    code, _, err = otlp(["--endpoint", secret_url, "--claude-dir", root], env)
    assert code == 1 and "cannot reach" in err and "pw-secret" not in err
    # a refusal is not tried again, and a header's value is never shown, even echoed
    with Receiver(fail=EVERY, status=401, body=b"bad key sekrit-token-123") as r:
        code, said, err = otlp(
            [
                "--endpoint",
                r.url,
                "--claude-dir",
                root,
                "--header",
                "Authorization=sekrit-token-123",
            ],
            env,
        )
        assert (code, said, r.requests) == (1, "", 1)
    assert err.count("\n") == 1 and "refused the spans: 401" in err
    assert "sekrit" not in err
    # a 503 that never ends gives up after the tries
    with Receiver(fail=EVERY, status=503) as r:
        code, _, err = otlp(["--endpoint", r.url, "--claude-dir", root], env, attempts=3)
        assert (code, r.requests) == (1, 3)
    assert err.count("\n") == 1 and "still answers 503" in err
    # the collector's base URL where its traces URL belongs: a 404, and a hint
    with Receiver(fail=EVERY, status=404) as r:
        base = r.url.removesuffix("/v1/traces")
        code, _, err = otlp(["--endpoint", base, "--claude-dir", root], env)
    assert code == 1 and "404" in err and "ends in /v1/traces" in err
    for bad, message in (
        (["--header", "no-equals-sign"], "--header #1: give NAME=VALUE"),
        (["--header", "Bad Name=x"], "--header #1"),
        (["--endpoint", "ftp://host/x"], "give an http:// or https:// URL"),
    ):
        argv = ["--endpoint", nowhere, *bad, "--claude-dir", root]
        code, _, err = otlp(argv, env)
        assert code == 1 and err.count("\n") == 1 and message in err, (bad, err)
    code, _, err = otlp(["--endpoint", nowhere, "--header", "K=zz-secret\n"], env)
    assert code == 1 and "--header K: the value has a line break" in err and "zz-secret" not in err


# -- a real backend --------------------------------------------------------------------------

# the Python of an environment with arize-phoenix (`.ci/run` makes one): a backend, not one of
# the project's dependencies
PHOENIX_PYTHON = os.environ.get("CCTRACER_PHOENIX_PYTHON", "")
PHOENIX = bool(PHOENIX_PYTHON) and Path(PHOENIX_PYTHON).is_file()
REQUIRE_PHOENIX = os.environ.get("CCTRACER_REQUIRE_PHOENIX") == "1"  # CI: fail, never skip


@contextmanager
def phoenix(tmp: Path) -> Iterator[str]:
    """Arize Phoenix (PyPI's arize-phoenix, in its own environment) on loopback, with its own
    working folder, nothing fetched from outside; yields its base URL once it answers."""
    port, grpc_port = free_port(), free_port()
    work = tmp / "phoenix"
    (work / "home").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOENIX_", "OTEL_"))}
    env.update(
        HOME=str(work / "home"),
        PHOENIX_WORKING_DIR=str(work),
        PHOENIX_HOST="127.0.0.1",
        PHOENIX_PORT=str(port),
        PHOENIX_GRPC_PORT=str(grpc_port),
        PHOENIX_TELEMETRY_ENABLED="false",
        PHOENIX_ALLOW_EXTERNAL_RESOURCES="false",
        PHOENIX_ALLOWED_SANDBOX_PROVIDERS="NONE",
        PHOENIX_DISABLE_AGENT_ASSISTANT="true",
    )
    log = (work / "phoenix.log").open("wb")
    process = subprocess.Popen(
        [PHOENIX_PYTHON, "-m", "phoenix.server.main", "serve"],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_up(url: str, log: Path, timeout: float = 150.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"Phoenix did not start: {log.read_text(errors='replace')[-3000:]}")


def phoenix_spans(url: str, want: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every span of Phoenix's default project, once it has stored `want` (it writes them in
    the background)."""
    deadline = time.monotonic() + timeout
    while True:
        spans: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            r = httpx.get(f"{url}/v1/projects/default/spans", params=params, timeout=10.0)
            if r.status_code == 404:  # no project yet: nothing stored
                break
            r.raise_for_status()
            doc = r.json()
            spans += doc["data"]
            cursor = doc.get("next_cursor")
            if not cursor:
                break
        if len(spans) >= want or time.monotonic() > deadline:
            return spans
        time.sleep(0.25)


@pytest.mark.timeout(300)
@pytest.mark.skipif(
    not PHOENIX and not REQUIRE_PHOENIX, reason="needs CCTRACER_PHOENIX_PYTHON (see .ci/run)"
)
def test_traces_read_back_from_phoenix(api: Api, tmp_path: Path) -> None:
    """End to end against a real OpenTelemetry backend: Arize Phoenix, installed from PyPI
    in its own environment and started here. The fixture history goes in over OTLP/HTTP; its
    REST API gives the spans back, with their ids, parents and attributes."""
    assert PHOENIX, "CCTRACER_PHOENIX_PYTHON names no Python with arize-phoenix (see .ci/run)"
    env = env_for(tmp_path)
    with phoenix(tmp_path) as url:
        root = api.world.claude.root
        expected = Expected(root, env)  # while Phoenix starts
        wait_until_up(url, tmp_path / "phoenix" / "phoenix.log")
        code, said, err = otlp(
            ["--endpoint", f"{url}/v1/traces", "--claude-dir", str(root), "--machine", "ci"], env
        )
        assert (code, err) == (0, ""), err
        assert f"({expected.spans} spans in 1 request)" in said
        stored = phoenix_spans(url, expected.spans)
    spans = [
        {
            "trace_id": int(s["context"]["trace_id"], 16),
            "span_id": int(s["context"]["span_id"], 16),
            "parent": int(s["parent_id"], 16) if s["parent_id"] else None,
            "name": s["name"],
            "attributes": s["attributes"],
        }
        for s in stored
    ]
    check_traces(spans, expected)
    # times are the transcript's: the Task's subagent ran 6 s in A1
    task = next(s for s in stored if s["name"] == "invoke_agent Explore")
    assert (task["start_time"], task["end_time"]) == (
        "2026-02-02T09:00:45.810000+00:00",
        "2026-02-02T09:00:51.810000+00:00",
    )


def test_a_refusal_midway_keeps_what_was_taken(api: Api, tmp_path: Path) -> None:
    """The collector takes the first batch and refuses the second: the sessions wholly in the
    first are acknowledged, and the next run sends the others only."""
    env = env_for(tmp_path)
    root = str(api.world.claude.root)
    with Receiver(fail={2}, status=400, body=b"too many spans") as r:
        code, said, err = otlp(["--endpoint", r.url, "--claude-dir", root], env, batch_spans=50)
        assert (code, said, r.requests) == (1, "", 2)
        assert err.count("\n") == 1 and "refused the spans: 400" in err
        assert "(2 of 5 sessions sent; run again to send the rest)" in err
        # A1 and A2 whole in the first batch (of 50 spans), the third begun in it
        first = set(list(dict.fromkeys(s["trace_id"] for s in r.spans))[:2])
        assert all(i < 50 for i, s in enumerate(r.spans) if s["trace_id"] in first)
        r.fail = set()
        code, said, err = otlp(["--endpoint", r.url, "--claude-dir", root], env, batch_spans=50)
        assert code == 0 and "3 sessions sent" in said and "2 unchanged" in said
        resent = {s["trace_id"] for batch in r.batches[1:] for s in batch}
        assert len(resent) == 3 and not resent & first


def test_the_progress_bar_counts_sessions() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    bar = StepBar(screen, "sending", 4)
    bar.update(2, "10 spans")
    bar.close(4, "20 spans")
    assert "sending" in screen.getvalue() and "100%" in screen.getvalue()
    assert "20 spans" in screen.getvalue()
    plain = io.StringIO()
    StepBar(plain, "sending", 4).close(4, "20 spans")
    assert plain.getvalue() == ""  # off a terminal: the closing line alone says it
