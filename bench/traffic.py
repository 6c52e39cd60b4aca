"""Requests to a running server: real ids, every route and page, and concurrent clients."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from harness import (
    LatencyStat,
    Route,
    api_routes,
    latency_stat,
    path_params,
    percentile,
    with_query,
)
from procs import HarnessError, log

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
NO_HIT = "zq-no-such-text-7c1e"
# searches of the whole history (uncached by the server): a rare word, common words, a
# phrase, a prefix, a filter, and nothing to find
SEARCH_QUERIES = (
    ("rare", "genserver"),
    ("common", "error"),
    ("commonest", "the"),
    ("two-words", "liveview function"),
    ("phrase", '"mix test"'),
    ("prefix", "chang*"),
    ("filter", "timeout kind:result"),
    ("no-hit", NO_HIT),
)
SEARCH_ROUTES = ("/api/search", "/search")  # timed with SEARCH_QUERIES, not bare
TABS = ("prompts", "tools", "subagents", "skills", "changes", "errors", "commands")
PAGE_FALLBACK = (
    "/projects/{path_hash}",
    "/sessions/{path_hash}/{session_id}",
    "/subagents/{path_hash}/{session_id}/{agent_id}",
    "/pricing",
)


# ---------------------------------------------------------------------------------------------
# ids for the routes


@dataclass
class Ids:
    """Real ids found through the API: the largest session, one subagent, one message."""

    main: dict[str, str]
    agent: dict[str, str] | None
    total: int
    filters: dict[str, Any]
    word: str
    pages_api: int
    per_page_page: int


def get_json(client: httpx.Client, url: str) -> Any:
    response = client.get(url, headers=JSON)
    if response.status_code != 200:
        raise HarnessError(f"GET {url}: {response.status_code} {response.text[:300]}")
    return response.json()


def pick_word(messages: Sequence[Mapping[str, Any]]) -> str:
    """A word from the session's own text, so the search finds something."""
    for msg in messages:
        for word in str(msg.get("text", "")).split():
            clean = word.strip(".,:;!?()[]{}\"'`")
            if len(clean) >= 7 and clean.isalpha():
                return clean.lower()
    return "the"


def discover(client: httpx.Client, per_page_page: int) -> Ids:
    projects = get_json(client, "/api/projects")["projects"]
    if not projects:
        raise HarnessError("the index has no projects")
    best: tuple[int, str, str] | None = None
    for project in projects:
        h = project["path_hash"]
        top = get_json(
            client,
            with_query(
                f"/api/projects/{h}/sessions", {"sort": "messages", "order": "desc", "per_page": 1}
            ),
        )["sessions"]
        if top and (best is None or top[0]["message_count"] > best[0]):
            best = (top[0]["message_count"], h, top[0]["session_id"])
    if best is None:
        raise HarnessError("the index has no sessions")
    _, path_hash, session_id = best
    base = f"/api/sessions/{path_hash}/{session_id}"
    filters = get_json(client, f"{base}/messages/filters")
    first = get_json(client, with_query(f"{base}/messages", {"per_page": 50}))
    total = int(first["total"])
    middle = get_json(client, with_query(f"{base}/messages", {"page": max(1, first["pages"] // 2)}))
    sample = middle["messages"] or first["messages"]
    if not sample:
        raise HarnessError(f"session {session_id} has no messages")
    chosen = max(sample, key=lambda m: (len(m.get("tool_calls") or []), m["kind"] == "assistant"))
    main = {
        "path_hash": path_hash,
        "session_id": session_id,
        "uuid": chosen["uuid"],
        "idx": str(total // 2),
        "project_hash": path_hash,
    }
    return Ids(
        main=main,
        agent=find_agent(client, path_hash, session_id),
        total=total,
        filters=filters,
        word=pick_word(sample),
        pages_api=int(first["pages"]),
        per_page_page=per_page_page,
    )


def find_agent(client: httpx.Client, path_hash: str, session_id: str) -> dict[str, str] | None:
    """The largest subagent of the session, else of the project's busiest sessions."""
    sessions = [session_id] + [
        s["session_id"]
        for s in get_json(
            client,
            with_query(
                f"/api/projects/{path_hash}/sessions",
                {"sort": "messages", "order": "desc", "per_page": 50},
            ),
        )["sessions"]
        if s["subagent_count"] > 0 and s["session_id"] != session_id
    ]
    for sid in sessions:
        agents = get_json(client, f"/api/sessions/{path_hash}/{sid}/subagents")["subagents"]
        agents = [a for a in agents if a["message_count"] > 0]
        if not agents:
            continue
        agent = max(agents, key=lambda a: a["message_count"])
        listing = get_json(client, f"/api/subagents/{path_hash}/{sid}/{agent['agent_id']}/messages")
        uuid = listing["messages"][0]["uuid"] if listing["messages"] else ""
        return {
            "path_hash": path_hash,
            "session_id": sid,
            "agent_id": agent["agent_id"],
            "uuid": uuid,
            "project_hash": path_hash,
        }
    return None


# ---------------------------------------------------------------------------------------------
# what to request


@dataclass(frozen=True)
class Probe:
    name: str  # the route template, with the variant
    url: str
    kind: str  # "api" or "page"

    @property
    def headers(self) -> dict[str, str]:
        return HTML if self.kind == "page" else JSON


def page_routes() -> list[Route]:
    """The dashboard's pages: routes left out of the OpenAPI document, read from the app."""
    try:
        from fastapi.routing import APIRoute

        from claude_code_tracer.web.pages import router

        found: dict[str, Route] = {}
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in (route.methods or ()):
                continue
            last = route.path.rsplit("/", 1)[-1]
            if route.include_in_schema or ("." in last and "{" not in last):
                continue
            found[route.path] = Route(route.path, path_params(route.path))
        if found:
            return [Route("/", ()), *sorted(found.values(), key=lambda r: r.path)]
    except ImportError:
        pass
    return [Route("/", ()), *(Route(p, path_params(p)) for p in PAGE_FALLBACK)]


def ids_for(route: Route, ids: Ids) -> dict[str, str] | None:
    return ids.agent if "agent_id" in route.params else ids.main


def top_value(options: Sequence[Mapping[str, Any]]) -> str | None:
    ranked = sorted(options, key=lambda o: -int(o.get("count", 0)))
    return str(ranked[0]["value"]) if ranked else None


def route_probes(
    routes: Sequence[Route], ids: Ids, kind: str, skipped: list[str]
) -> Iterator[Probe]:
    for route in routes:
        if route.streaming:
            skipped.append(f"{route.path}: an event stream (no response to time)")
            continue
        values = ids_for(route, ids)
        url = route.fill(values) if values is not None else None
        if url is None:
            skipped.append(f"{kind} {route.path}: no id for {', '.join(route.params)}")
            continue
        yield Probe(route.path, url, kind)


def variant_probes(
    template: str, path: str, kind: str, variants: Sequence[tuple[str, dict[str, Any]]]
) -> Iterator[Probe]:
    """`path` with each set of query parameters; a set with a value unknown is left out."""
    for label, params in variants:
        if all(v is not None for v in params.values()):
            yield Probe(f"{template}?{label}", with_query(path, params), kind)


def plan_probes(
    openapi: Mapping[str, Any], ids: Ids, pages: Sequence[Route]
) -> tuple[list[Probe], list[str]]:
    """Every API route and page with real ids, plus the largest session's filters and pages."""
    skipped: list[str] = []
    main = ids.main
    types = [str(t["value"]) for t in ids.filters.get("types", [])]
    tool = top_value(ids.filters.get("tools", []))
    model = top_value(ids.filters.get("models", []))
    session = f"{quote(main['path_hash'], safe='')}/{quote(main['session_id'], safe='')}"
    pages_html = max(1, math.ceil(ids.total / ids.per_page_page))
    searches = [(label, {"q": q}) for label, q in SEARCH_QUERIES]
    return [
        *route_probes(
            [r for r in api_routes(openapi) if r.path not in SEARCH_ROUTES], ids, "api", skipped
        ),
        *variant_probes(
            "/api/search",
            "/api/search",
            "api",
            [*searches, ("commonest&sort=date", {"q": "the", "sort": "date"})],
        ),
        *variant_probes(
            "/api/sessions/{path_hash}/{session_id}/messages",
            f"/api/sessions/{session}/messages",
            "api",
            [
                ("page=1", {"page": 1}),
                ("page=middle", {"page": max(1, ids.pages_api // 2)}),
                ("page=last", {"page": ids.pages_api}),
                *((f"type={t}", {"type": t}) for t in types),
                ("tool=top", {"tool": tool}),
                ("errors_only=true", {"errors_only": "true"}),
                ("model=top", {"model": model}),
                ("search=word", {"search": ids.word}),
                ("search=no-hit", {"search": NO_HIT}),
            ],
        ),
        *route_probes([r for r in pages if r.path not in SEARCH_ROUTES], ids, "page", skipped),
        *variant_probes("/search", "/search", "page", searches[1:5]),
        *variant_probes("/", "/", "page", [("range=all", {"range": "all"})]),
        *variant_probes(
            "/projects/{path_hash}",
            f"/projects/{quote(main['path_hash'], safe='')}",
            "page",
            [("range=all", {"range": "all"})],
        ),
        *variant_probes(
            "/sessions/{path_hash}/{session_id}",
            f"/sessions/{session}",
            "page",
            [
                ("page=middle", {"page": max(1, pages_html // 2)}),
                ("page=last", {"page": pages_html}),
                *((f"type={t}", {"type": t}) for t in types),
                ("tool=top", {"tool": tool}),
                ("errors=1", {"errors": "1"}),
                ("q=word", {"q": ids.word}),
                *((f"tab={t}", {"tab": t}) for t in TABS),
            ],
        ),
    ], skipped


def measure_latency(
    client: httpx.Client, probes: Sequence[Probe], n: int, warmup: int = 2
) -> list[LatencyStat]:
    out = []
    for probe in probes:
        for _ in range(warmup):
            client.get(probe.url, headers=probe.headers)
        seconds: list[float] = []
        statuses: list[int] = []
        size = 0
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(probe.url, headers=probe.headers)
            seconds.append(time.perf_counter() - started)
            statuses.append(response.status_code)
            size = len(response.content)
        stat = latency_stat(probe.name, probe.url, probe.kind, seconds, statuses, size)
        out.append(stat)
        if not stat.ok:
            log(f"  {probe.url} answered {stat.statuses}")
    return out


# ---------------------------------------------------------------------------------------------
# concurrent clients


Pick = Callable[[random.Random], Probe]


def request_mix(ids: Ids) -> list[tuple[int, Pick]]:
    """Weighted requests a dashboard and scripts make; pages of the largest session at random."""
    m = ids.main
    h, s = m["path_hash"], m["session_id"]
    sess = f"/api/sessions/{h}/{s}"
    types = [str(t["value"]) for t in ids.filters.get("types", [])] or ["assistant"]
    pages_html = max(1, math.ceil(ids.total / ids.per_page_page))

    def fixed(name: str, url: str, kind: str = "api") -> Pick:
        probe = Probe(name, url, kind)
        return lambda rng: probe

    mix: list[tuple[int, Pick]] = [
        (3, fixed("projects", "/api/projects")),
        (2, fixed("aggregate", "/api/metrics/aggregate")),
        (2, fixed("daily", "/api/metrics/daily")),
        (3, fixed("sessions", f"/api/projects/{h}/sessions")),
        (1, fixed("project metrics", f"/api/projects/{h}/metrics")),
        (2, fixed("session", sess)),
        (1, fixed("session metrics", f"{sess}/metrics")),
        (1, fixed("session tools", f"{sess}/tools")),
        (
            5,
            lambda rng: Probe(
                "messages page",
                with_query(f"{sess}/messages", {"page": rng.randint(1, ids.pages_api)}),
                "api",
            ),
        ),
        (
            2,
            lambda rng: Probe(
                "messages type",
                with_query(f"{sess}/messages", {"type": rng.choice(types)}),
                "api",
            ),
        ),
        (1, fixed("messages search", with_query(f"{sess}/messages", {"search": ids.word}))),
        (2, fixed("message", f"{sess}/messages/{m['uuid']}")),
        (1, fixed("overview page", "/", "page")),
        (1, fixed("project page", f"/projects/{h}", "page")),
        (
            2,
            lambda rng: Probe(
                "session page",
                with_query(f"/sessions/{h}/{s}", {"page": rng.randint(1, pages_html)}),
                "page",
            ),
        ),
        (1, fixed("pricing page", "/pricing", "page")),
    ]
    if ids.agent:
        a = ids.agent
        mix.append(
            (1, fixed("subagent page", f"/subagents/{h}/{a['session_id']}/{a['agent_id']}", "page"))
        )
    return mix


async def _client(
    base_url: str,
    mix: Sequence[tuple[int, Pick]],
    rng: random.Random,
    deadline: float,
    latencies: list[float],
    errors: list[str],
) -> int:
    picks = [p for _, p in mix]
    weights = [w for w, _ in mix]
    count = 0
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as client:
        while time.perf_counter() < deadline:
            probe = rng.choices(picks, weights)[0](rng)
            started = time.perf_counter()
            try:
                response = await client.get(probe.url, headers=probe.headers)
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {probe.url}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {probe.url}")
            latencies.append(time.perf_counter() - started)
            count += 1
    return count


async def _concurrency(
    base_url: str, mix: Sequence[tuple[int, Pick]], clients: int, duration: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            _client(base_url, mix, random.Random(1000 + i), deadline, latencies, errors)
            for i in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    ms = [s * 1000 for s in latencies] or [0.0]
    return {
        "clients": clients,
        "planned_s": duration,
        "duration_s": round(elapsed, 2),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:10],
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1),
        "throughput_rps": round(len(latencies) / elapsed, 1),
    }


def concurrency(base_url: str, ids: Ids, clients: int, duration: float) -> dict[str, Any]:
    return asyncio.run(_concurrency(base_url, request_mix(ids), clients, duration))
