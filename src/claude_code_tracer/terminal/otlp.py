"""`cctracer export otlp --endpoint URL`: the sessions as OpenTelemetry traces, sent over
OTLP/HTTP (protobuf) by the SDK's exporter (`terminal.otlp_spans` makes the spans).

Batched: a few hundred spans a request. Retried: the SDK's exporter retries 429, 502, 503,
504 and lost connections itself, but only within its timeout (10 s: waits of 1, 2 and 4 s),
too early for a collector that is restarting; so the exporter's session hands every answer
but a success back at once, and `Sender` waits and sends the batch again: exponential backoff
(or the collector's Retry-After), up to `ATTEMPTS` times. An endpoint never reached at all is
given up after `FIRST_CONTACT_ATTEMPTS`, and any other answer (400, 401, 404, ...) at once.
Resumable: a state file beside the index (never in the Claude data directory), per endpoint,
keeps each acknowledged session's fingerprint (its rows in the export's tables), so a re-run
sends only the sessions never acknowledged or changed since.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
import requests

from claude_code_tracer.index.exports import (
    EXPORT_BY_NAME,
    MACHINE_VARIABLE,
    OF_SESSIONS,
    SESSION_FINGERPRINTS,
    view_sql,
)
from claude_code_tracer.terminal.args import OneLineParser, day
from claude_code_tracer.terminal.export import database, machine_and_settings, open_index
from claude_code_tracer.terminal.otlp_spans import (
    TRACE_TABLES,
    SessionRows,
    TraceMaker,
    session_key,
)
from claude_code_tracer.terminal.progress import StepBar
from claude_code_tracer.terminal.source import ReportError

STATE_FILE = "otlp-state.json"  # beside the index
STATE_SCHEMA = 1
TRACE_FORMAT = 1  # what the spans look like: a change sends every session again
BATCH_SPANS = 500
SESSIONS_PER_READ = 500
ATTEMPTS = 8
FIRST_CONTACT_ATTEMPTS = 2
BACKOFF_S = 0.5
MAX_WAIT_S = 30.0
TIMEOUT_S = 30.0
TRANSIENT = frozenset({429, 502, 503, 504})
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP token
ANSWER_CAP = 160  # characters of a collector's refusal shown
TRACES = "/v1/traces"


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    """`K=V` pairs; a bad one is named by its key (or its place), never by its value."""
    headers: dict[str, str] = {}
    for i, item in enumerate(values, 1):
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not HEADER_NAME.match(name):
            raise ReportError(f"--header #{i}: give NAME=VALUE (NAME letters, digits, '-')")
        if any(c in value for c in "\r\n\0"):
            raise ReportError(f"--header {name}: the value has a line break")
        headers[name] = value.strip()
    return headers


def check_endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReportError("--endpoint: give an http:// or https:// URL")
    return url


def endpoint_key(url: str) -> str:
    """The endpoint as the state file names it: without any user:password part."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


@dataclass
class Answer:
    """What the collector said to one request."""

    status: int | None
    text: str  # one line: the reason, or what went wrong on the way
    transient: bool  # worth sending again
    retry_after: float | None = None
    rejected: int = 0  # spans the collector took but rejected (a partial success)


class NotAccepted(Exception):
    """The batch was not taken; the session keeps the answer. Raised so that the SDK's
    exporter gives up at once and `Sender` decides when to try again."""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:ANSWER_CAP]


def _why(exc: requests.RequestException) -> str:
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if errno:
        return errno.group(1).strip()
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return _one_line(str(exc)) or type(exc).__name__


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def _rejected(response: requests.Response) -> tuple[int, str]:
    """A 2xx answer's partial success: spans rejected, and why."""
    if not response.content:
        return 0, ""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    try:
        answer = ExportTraceServiceResponse.FromString(response.content)
    except Exception:  # not an OTLP answer (protobuf's DecodeError): nothing rejected
        return 0, ""
    partial = answer.partial_success
    return int(partial.rejected_spans), _one_line(partial.error_message)


class AnsweringSession(requests.Session):
    """The exporter's HTTP session: keeps each answer, and raises `NotAccepted` for all but a
    success (a redirect too: OTLP endpoints don't redirect, and the SDK would count it sent)."""

    def __init__(self) -> None:
        super().__init__()
        self.answer: Answer | None = None
        self.reached = False  # some request had an HTTP answer

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().request(method, url, *args, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            lasting = isinstance(exc, requests.exceptions.SSLError)
            self.answer = Answer(None, _why(exc), transient=not lasting)
            raise NotAccepted(self.answer.text) from exc
        except requests.RequestException as exc:
            self.answer = Answer(None, _why(exc), transient=False)
            raise NotAccepted(self.answer.text) from exc
        self.reached = True
        status = response.status_code
        if 200 <= status < 300:
            rejected, why = _rejected(response)
            self.answer = Answer(status, why, transient=False, rejected=rejected)
            return response
        text = f"{status} {response.reason or ''}".strip()
        body = _one_line(response.text if response.content else "")
        self.answer = Answer(
            status,
            f"{text}: {body}" if body else text,
            transient=status in TRANSIENT,
            retry_after=_retry_after(response),
        )
        raise NotAccepted(self.answer.text)


@contextlib.contextmanager
def quiet_sdk() -> Iterator[None]:
    """The SDK logs each failed request; `Sender` says what matters in one line instead."""
    logger = logging.getLogger("opentelemetry")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


class Sender:
    """Sends batches of spans through the SDK's exporter, trying again as the module says."""

    def __init__(
        self,
        endpoint: str,
        headers: Mapping[str, str],
        *,
        attempts: int = ATTEMPTS,
        backoff_s: float = BACKOFF_S,
        timeout_s: float = TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        self.endpoint = endpoint_key(endpoint)  # as shown: no user:password
        self.secrets = [v for v in headers.values() if len(v) >= 4]
        if urlsplit(endpoint).password:
            self.secrets.append(str(urlsplit(endpoint).password))
        self.session = AnsweringSession()
        self.exporter = OTLPSpanExporter(
            endpoint=endpoint, headers=dict(headers), timeout=timeout_s, session=self.session
        )
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.requests = 0  # every try
        self.batches = 0  # taken
        self.rejected = 0
        self.rejections: list[str] = []

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def send(self, spans: Sequence[Any]) -> None:
        """Send one batch until the collector takes it; ReportError when it won't."""
        from opentelemetry.sdk.trace.export import SpanExportResult

        for attempt in range(self.attempts):
            self.session.answer = None
            with quiet_sdk():
                try:
                    result = self.exporter.export(spans)
                except NotAccepted:
                    result = SpanExportResult.FAILURE
            self.requests += 1
            answer = self.session.answer
            if result is SpanExportResult.SUCCESS:
                self.batches += 1
                if answer is not None and answer.rejected:
                    self.rejected += answer.rejected
                    self.rejections.append(answer.text)
                return
            if answer is None:
                raise ReportError(f"the spans could not be sent to {self.endpoint}")
            if not answer.transient:
                if answer.status is None:
                    raise ReportError(f"cannot reach {self.endpoint}: {self._scrub(answer.text)}")
                hint = ""
                if answer.status == 404 and not urlsplit(self.endpoint).path.endswith(TRACES):
                    hint = f" (a collector's traces URL ends in {TRACES})"
                raise ReportError(
                    f"{self.endpoint} refused the spans: {self._scrub(answer.text)}{hint}"
                )
            last = attempt + 1 >= self.attempts or (
                not self.session.reached and attempt + 1 >= FIRST_CONTACT_ATTEMPTS
            )
            if last:
                if answer.status is None:
                    raise ReportError(f"cannot reach {self.endpoint}: {self._scrub(answer.text)}")
                raise ReportError(
                    f"{self.endpoint} still answers {self._scrub(answer.text)} after "
                    f"{attempt + 1} tries"
                )
            wait = self.backoff_s * 2**attempt
            if answer.retry_after is not None:
                wait = answer.retry_after
            self.sleep(min(wait, MAX_WAIT_S))

    def close(self) -> None:
        self.session.close()


class State:
    """The state file: per endpoint, each acknowledged session's fingerprint."""

    def __init__(self, path: Path, endpoint: str) -> None:
        self.path = path
        self.endpoint = endpoint_key(endpoint)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            doc = {}
        except (OSError, ValueError) as exc:
            raise ReportError(f"{path}: not a state file this program wrote ({exc})") from exc
        if not isinstance(doc, dict) or doc.get("schema") != STATE_SCHEMA:
            doc = {}
        self.doc: dict[str, Any] = {"schema": STATE_SCHEMA, "endpoints": {}, **doc}
        endpoints = self.doc["endpoints"]
        self.sessions: dict[str, str] = endpoints.setdefault(self.endpoint, {}).setdefault(
            "sessions", {}
        )

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.doc, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)


def fingerprints(cur: duckdb.DuckDBPyConnection, machine: str, content: bool) -> dict[str, str]:
    """Each session's fingerprint: its rows in the tables a trace is built from, with what
    else shapes its spans."""
    db = database(cur)
    parts: dict[str, list[Any]] = {}
    for name in TRACE_TABLES:
        view = view_sql(EXPORT_BY_NAME[name], db)
        for project, sid, n, fp in cur.execute(SESSION_FINGERPRINTS.format(view=view)).fetchall():
            parts.setdefault(session_key(project, sid), [TRACE_FORMAT, machine, content]).append(
                [name, int(n), int(fp)]
            )
    return {
        key: hashlib.sha256(json.dumps(value).encode()).hexdigest()[:32]
        for key, value in parts.items()
    }


def read_sessions(cur: duckdb.DuckDBPyConnection, keys: Sequence[str]) -> list[SessionRows]:
    """The rows of these sessions (`project/session_id`), in `keys` order."""
    db = database(cur)
    tables: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in TRACE_TABLES:
        result = cur.execute(OF_SESSIONS.format(view=view_sql(EXPORT_BY_NAME[name], db)), [keys])
        names = [d[0] for d in result.description or ()]
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in result.fetchall():
            doc = dict(zip(names, row, strict=True))
            grouped.setdefault(session_key(doc["project"], doc["session_id"]), []).append(doc)
        tables[name] = grouped
    found = []
    for key in keys:
        sessions = tables["sessions"].get(key)
        if not sessions:
            continue
        found.append(
            SessionRows(
                sessions[0],
                tables["prompts"].get(key, []),
                tables["responses"].get(key, []),
                tables["tool_calls"].get(key, []),
                tables["subagents"].get(key, []),
                tables["errors"].get(key, []),
            )
        )
    return found


@dataclass
class Sent:
    sessions: int = 0
    spans: int = 0
    requests: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejection: str = ""


def export_otlp(
    cur: duckdb.DuckDBPyConnection,
    sender: Sender,
    state: State,
    machine: str,
    since: date | None,
    *,
    content: bool = False,
    batch_spans: int = BATCH_SPANS,
    progress: IO[str] | None = None,
) -> Sent:
    """Send the sessions (started from `since`) not acknowledged, or changed since."""
    cur.execute(f"SET VARIABLE {MACHINE_VARIABLE} = ?", [machine])
    now = fingerprints(cur, machine, content)
    view = view_sql(EXPORT_BY_NAME["sessions"], database(cur))
    listed = cur.execute(
        f"SELECT v.project, v.session_id FROM ({view}) v "
        "WHERE (?::DATE IS NULL OR v.date >= ?) ORDER BY v.start_time NULLS FIRST, 1, 2",
        [since, since],
    ).fetchall()
    keys = [session_key(p, s) for p, s in listed]
    todo = [k for k in keys if k in now and state.sessions.get(k) != now[k]]
    sent = Sent(unchanged=len(keys) - len(todo))
    if not todo:
        return sent
    maker = TraceMaker(machine)
    bar = StepBar(progress or sys.stderr, "sending", len(todo))
    batch: list[Any] = []
    closing: list[str] = []  # sessions whose last span is in `batch` (or already sent)

    def flush() -> None:
        if batch:
            sender.send(batch)
            sent.spans += len(batch)
            batch.clear()
        for key in closing:
            state.sessions[key] = now[key]
        sent.sessions += len(closing)
        closing.clear()
        state.save()
        bar.update(sent.sessions, f"{sent.spans:,} spans")

    try:
        for i in range(0, len(todo), SESSIONS_PER_READ):
            for rows in read_sessions(cur, todo[i : i + SESSIONS_PER_READ]):
                for span in maker.spans(rows, content):
                    batch.append(span)
                    if len(batch) >= batch_spans:
                        flush()
                closing.append(rows.key)
        flush()
    except ReportError as exc:
        if sent.sessions:
            raise ReportError(
                f"{exc} ({sent.sessions:,} of {len(todo):,} sessions sent; run again to send "
                "the rest)"
            ) from exc
        raise
    finally:
        bar.close(sent.sessions, f"{sent.spans:,} spans")
        sent.requests = sender.batches
        sent.rejected = sender.rejected
        sent.rejection = sender.rejections[0] if sender.rejections else ""
    return sent


def otlp_parser() -> OneLineParser:
    p = OneLineParser(
        prog="cctracer export otlp",
        description="The sessions as OpenTelemetry traces (GenAI conventions) over OTLP/HTTP: "
        "a trace per session, spans for prompts, responses, tool calls and subagents. A re-run "
        "sends only the sessions not yet acknowledged by that endpoint, or changed since.",
    )
    p.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="the collector's traces URL, e.g. http://localhost:4318/v1/traces",
    )
    p.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="K=V",
        help="an HTTP header for each request (repeatable), e.g. an API key; never printed",
    )
    p.add_argument("--since", type=day, metavar="DATE", help="only sessions from DATE (UTC)")
    p.add_argument("--machine", metavar="NAME", help="the host.name resource (default: host name)")
    p.add_argument(
        "--content",
        action="store_true",
        help="also send what was written: prompts, titles, subagent tasks and tool arguments "
        "(500 characters each)",
    )
    p.add_argument("--claude-dir", metavar="DIR[,DIR...]", help="as for the server")
    return p


def run_otlp(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    attempts: int = ATTEMPTS,
    backoff_s: float = BACKOFF_S,
    timeout_s: float = TIMEOUT_S,
    batch_spans: int = BATCH_SPANS,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = otlp_parser().parse_args(argv)
    sender: Sender | None = None
    try:
        endpoint = check_endpoint(args.endpoint)
        headers = parse_headers(args.header)
        machine, settings = machine_and_settings(args, env)
        state_path = settings.db_path.parent / STATE_FILE
        for root in settings.claude_dirs:
            if root.resolve() in state_path.resolve().parents:
                raise ReportError(f"the cache folder {state_path.parent} is inside {root}")
        state = State(state_path, endpoint)
        sender = Sender(
            endpoint, headers, attempts=attempts, backoff_s=backoff_s, timeout_s=timeout_s
        )
        with open_index(settings) as cur:
            sent = export_otlp(
                cur,
                sender,
                state,
                machine,
                args.since,
                content=args.content,
                batch_spans=batch_spans,
                progress=err,
            )
    except (ReportError, ValueError, OSError, duckdb.Error) as exc:
        err.write(f"cctracer export otlp: {exc}\n")
        return 1
    except KeyboardInterrupt:
        err.write("cctracer export otlp: interrupted; run again to send the rest\n")
        return 130
    finally:
        if sender is not None:
            sender.close()
    shown = endpoint_key(endpoint)
    if not sent.sessions:
        out.write(f"otlp to {shown} (machine={machine}): nothing changed\n")
        return 0
    requests_ = f"{sent.requests:,} request" + ("s" if sent.requests != 1 else "")
    out.write(
        f"otlp to {shown} (machine={machine}): {sent.sessions:,} sessions sent "
        f"({sent.spans:,} spans in {requests_}), {sent.unchanged:,} unchanged\n"
    )
    if sent.rejected:
        err.write(
            f"cctracer export otlp: the collector rejected {sent.rejected:,} spans"
            + (f": {sent.rejection}" if sent.rejection else "")
            + "\n"
        )
    return 0
