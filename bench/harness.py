"""The pure parts of the benchmark: statistics, route lists, targets and the report tables.

Nothing here starts a process or opens a socket, so the test suite can check it quickly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")
MB = 1_000_000
MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile out of range: {q}")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = math.ceil(pos)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclass(frozen=True)
class LatencyStat:
    """Latencies of one URL, in milliseconds."""

    name: str
    url: str
    kind: str  # "api" or "page"
    n: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    statuses: list[int]
    bytes: int

    @property
    def ok(self) -> bool:
        return all(200 <= s < 400 for s in self.statuses)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out


def latency_stat(
    name: str, url: str, kind: str, seconds: Sequence[float], statuses: Iterable[int], size: int
) -> LatencyStat:
    ms = [s * 1000 for s in seconds]
    return LatencyStat(
        name=name,
        url=url,
        kind=kind,
        n=len(ms),
        p50_ms=round(percentile(ms, 50), 2),
        p95_ms=round(percentile(ms, 95), 2),
        max_ms=round(max(ms), 2),
        statuses=sorted(set(statuses)),
        bytes=size,
    )


# ---------------------------------------------------------------------------------------------
# routes


@dataclass(frozen=True)
class Route:
    """One GET route: its template, the path parameters it needs, whether it streams."""

    path: str
    params: tuple[str, ...]
    streaming: bool = False

    def fill(self, ids: Mapping[str, str]) -> str | None:
        """The concrete path, or None when an id for one of its parameters is unknown."""
        if any(p not in ids for p in self.params):
            return None
        return PATH_PARAM.sub(lambda m: quote(str(ids[m.group(1)]), safe=""), self.path)


def path_params(path: str) -> tuple[str, ...]:
    return tuple(m.group(1) for m in PATH_PARAM.finditer(path))


def api_routes(openapi: Mapping[str, Any]) -> list[Route]:
    """Every GET route of an OpenAPI document, in path order; event streams are marked."""
    routes = []
    for path, item in sorted(openapi.get("paths", {}).items()):
        op = item.get("get") if isinstance(item, Mapping) else None
        if not isinstance(op, Mapping):
            continue
        content = op.get("responses", {}).get("200", {}).get("content", {})
        streaming = "text/event-stream" in content
        routes.append(Route(path, path_params(path), streaming))
    return routes


def with_query(path: str, params: Mapping[str, Any] | None = None) -> str:
    clean = {k: v for k, v in (params or {}).items() if v is not None}
    return f"{path}?{urlencode(clean)}" if clean else path


# ---------------------------------------------------------------------------------------------
# targets


@dataclass(frozen=True)
class Target:
    """One goal of the issue: a measured value against a limit."""

    key: str
    metric: str
    value: float | None
    limit: float
    unit: str
    higher_is_better: bool = False
    shown: str = ""  # how the result reads in the table; derived from value when empty

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        if self.higher_is_better:
            return self.value >= self.limit
        return self.value <= self.limit

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]

    @property
    def target_text(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        return f"{sign} {fmt_num(self.limit)}{self.unit}"

    @property
    def result_text(self) -> str:
        if self.shown:
            return self.shown
        if self.value is None:
            return "not measured"
        return f"{fmt_num(self.value)}{self.unit}"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["pass"] = self.passed
        out["verdict"] = self.verdict
        return out


def fmt_num(value: float) -> str:
    """Short human form: 3 significant digits below 100, thousands separators above."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "not measured"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


# ---------------------------------------------------------------------------------------------
# report


@dataclass
class Row:
    metric: str
    result: str
    target: str = ""
    verdict: str = ""


@dataclass
class Report:
    """The summary table (what the README shows) and the per-URL latency table."""

    rows: list[Row] = field(default_factory=list)
    latencies: list[LatencyStat] = field(default_factory=list)  # without the response cache
    cached: list[LatencyStat] = field(default_factory=list)  # with it
    notes: list[str] = field(default_factory=list)


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: Sequence[Row]) -> str:
    lines = ["| Metric | Result | Target | |", "| --- | --- | --- | --- |"]
    for row in rows:
        cells = (row.metric, row.result, row.target, row.verdict)
        lines.append("| " + " | ".join(md_escape(c) for c in cells) + " |")
    return "\n".join(lines)


def render_latency_table(stats: Sequence[LatencyStat]) -> str:
    lines = [
        "| Kind | Request | p50 (ms) | p95 (ms) | max (ms) | n | Status |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in stats:
        status = ",".join(str(c) for c in s.statuses)
        lines.append(
            f"| {s.kind} | `{md_escape(s.name)}` | {s.p50_ms:.1f} | {s.p95_ms:.1f} | "
            f"{s.max_ms:.1f} | {s.n} | {status} |"
        )
    return "\n".join(lines)


def render_markdown(report: Report, title: str, meta_lines: Sequence[str]) -> str:
    parts = [f"# {title}", "", *meta_lines, "", render_table(report.rows), ""]
    if report.notes:
        parts += [*(f"- {n}" for n in report.notes), ""]
    if report.latencies:
        parts += [
            "## Latency of every request, computed afresh (response cache off)",
            "",
            render_latency_table(report.latencies),
            "",
        ]
    if report.cached:
        parts += [
            "## Latency of every request, as served (response cache on)",
            "",
            render_latency_table(report.cached),
            "",
        ]
    return "\n".join(parts)


def target_row(t: Target) -> Row:
    return Row(t.metric, t.result_text, t.target_text, t.verdict)


def worst(stats: Sequence[LatencyStat], kind: str) -> LatencyStat | None:
    chosen = [s for s in stats if s.kind == kind]
    return max(chosen, key=lambda s: s.p95_ms) if chosen else None
