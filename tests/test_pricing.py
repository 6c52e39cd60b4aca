"""Cost of usage rows at LiteLLM prices, and the price book's refresh rules."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from claude_code_tracer.demo.builder import ClaudeDir, Usage
from claude_code_tracer.index import prompt_facts, queries, rollups, store_prompts
from claude_code_tracer.pricing import (
    PriceBook,
    PriceTable,
    fetch_table,
    load_cache,
    load_snapshot,
    write_cache,
)

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
TEST_MODEL = "claude-test-1"
# each component at a power of two, so every one of them is visible in a total
BASE_ENTRY: dict[str, Any] = {
    "litellm_provider": "anthropic",
    "input_cost_per_token": 1e-6,
    "output_cost_per_token": 2e-6,
    "cache_creation_input_token_cost": 4e-6,
    "cache_creation_input_token_cost_above_1hr": 8e-6,
    "cache_read_input_token_cost": 16e-6,
}
TIERED_ENTRY: dict[str, Any] = {
    **BASE_ENTRY,
    "input_cost_per_token_above_200k_tokens": 32e-6,
    "output_cost_per_token_above_200k_tokens": 64e-6,
    "cache_creation_input_token_cost_above_200k_tokens": 128e-6,
    "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 256e-6,
    "cache_read_input_token_cost_above_200k_tokens": 512e-6,
}


def write_prices(cache_dir: Path, entries: dict[str, dict[str, Any]], *, age_s: float = 0) -> Path:
    """A pricing cache as the price book keeps it, fetched `age_s` seconds ago."""
    fetched = (datetime.now(UTC) - timedelta(seconds=age_s)).isoformat(timespec="seconds")
    path = cache_dir / "pricing.json"
    write_cache(path, PriceTable(entries, "cache", "http://127.0.0.1:9/p.json", fetched))
    return path


@pytest.fixture
def priced_index(
    tmp_path: Path, claude_dir: ClaudeDir, make_index: Callable[..., Any]
) -> Callable[[dict[str, dict[str, Any]]], Any]:
    def make(entries: dict[str, dict[str, Any]]) -> Any:
        write_prices(tmp_path / "xdg-cache" / "claude-code-tracer", entries)
        ix = make_index(claude_dir.root)
        assert ix.prices.table.source == "cache"
        return ix

    return make


def one_call(claude: ClaudeDir, model: str, usage: Usage, cwd: str = "/w/app") -> str:
    s = claude.project(cwd).session(start=T0, model=model)
    s.prompt("go")
    s.say("done", usage=usage)
    return s.session_id


def session_costs(ix: Any) -> dict[str, float]:
    return dict(ix.rows("SELECT session_id, cost FROM sessions"))


# -- the cost formula ----------------------------------------------------------------------------


def test_each_token_kind_at_its_own_price(
    claude_dir: ClaudeDir, priced_index: Callable[..., Any]
) -> None:
    ids = {
        "input": one_call(claude_dir, TEST_MODEL, Usage(input=1000, output=0)),
        "output": one_call(claude_dir, TEST_MODEL, Usage(input=0, output=1000)),
        "5m": one_call(claude_dir, TEST_MODEL, Usage(input=0, output=0, cache_5m=1000)),
        "1h": one_call(claude_dir, TEST_MODEL, Usage(input=0, output=0, cache_1h=1000)),
        "read": one_call(claude_dir, TEST_MODEL, Usage(input=0, output=0, cache_read=1000)),
        "all": one_call(
            claude_dir,
            TEST_MODEL,
            Usage(input=1, output=10, cache_5m=100, cache_1h=1000, cache_read=10000),
        ),
    }
    ix = priced_index({TEST_MODEL: BASE_ENTRY})
    costs = session_costs(ix)
    assert {k: round(costs[sid], 12) for k, sid in ids.items()} == {
        "input": 0.001,
        "output": 0.002,
        "5m": 0.004,
        "1h": 0.008,
        "read": 0.016,
        "all": 0.168421,
    }
    assert ix.one("SELECT round(sum(cost), 12) FROM projects") == 0.199421


def test_requests_above_200k_input_tokens_use_the_tier_for_every_token(
    claude_dir: ClaudeDir, priced_index: Callable[..., Any]
) -> None:
    at_limit = one_call(claude_dir, TEST_MODEL, Usage(input=0, output=10, cache_read=200_000))
    above = one_call(
        claude_dir,
        TEST_MODEL,
        Usage(input=1, output=10, cache_5m=100, cache_1h=1000, cache_read=198_900),
    )
    untiered = one_call(claude_dir, "claude-test-2", Usage(input=1, output=10, cache_read=250_000))
    ix = priced_index({TEST_MODEL: TIERED_ENTRY, "claude-test-2": BASE_ENTRY})
    costs = session_costs(ix)
    assert round(costs[at_limit], 12) == round(10 * 2e-6 + 200_000 * 16e-6, 12)
    assert round(costs[above], 12) == round(
        1 * 32e-6 + 10 * 64e-6 + 100 * 128e-6 + 1000 * 256e-6 + 198_900 * 512e-6, 12
    )
    assert round(costs[untiered], 12) == round(1e-6 + 20e-6 + 250_000 * 16e-6, 12)


def test_fast_mode_and_us_inference_multipliers(
    claude_dir: ClaudeDir, priced_index: Callable[..., Any]
) -> None:
    entry = {**BASE_ENTRY, "provider_specific_entry": {"fast": 6.0, "us": 1.1}}
    usage = Usage(input=1000, output=1000)
    plain = one_call(claude_dir, TEST_MODEL, usage)
    fast = one_call(claude_dir, TEST_MODEL, Usage(input=1000, output=1000, speed="fast"))
    us = one_call(claude_dir, TEST_MODEL, Usage(input=1000, output=1000, inference_geo="us"))
    both = one_call(
        claude_dir, TEST_MODEL, Usage(input=1000, output=1000, speed="fast", inference_geo="us")
    )
    standard = one_call(
        claude_dir, TEST_MODEL, Usage(input=1000, output=1000, speed="standard", inference_geo="")
    )
    no_fast_price = one_call(
        claude_dir, "claude-test-2", Usage(input=1000, output=1000, speed="fast")
    )
    ix = priced_index({TEST_MODEL: entry, "claude-test-2": BASE_ENTRY})
    costs = {k: round(v, 12) for k, v in session_costs(ix).items()}
    assert costs[plain] == costs[standard] == 0.003
    assert costs[fast] == 0.018
    assert costs[us] == 0.0033
    assert costs[both] == 0.0198
    assert costs[no_fast_price] == 0.003


def test_missing_cache_prices_are_derived_from_the_input_price(
    claude_dir: ClaudeDir, priced_index: Callable[..., Any]
) -> None:
    entry = {"input_cost_per_token": 4e-6, "output_cost_per_token": 20e-6}
    sid = one_call(
        claude_dir,
        TEST_MODEL,
        Usage(input=0, output=0, cache_5m=1000, cache_1h=1000, cache_read=1000),
    )
    ix = priced_index({TEST_MODEL: entry})
    price = ix.prices.resolve(TEST_MODEL)
    assert price is not None
    assert (price.cache_write_5m, price.cache_write_1h, price.cache_read) == pytest.approx(
        (5e-6, 8e-6, 0.4e-6)
    )
    assert price.derived == ("cache_write_5m", "cache_write_1h", "cache_read")
    assert round(session_costs(ix)[sid], 12) == 0.0134
    row = ix.rows(
        "SELECT input, output, cache_write_5m, cache_write_1h, cache_read FROM model_prices "
        "WHERE model = ?",
        [TEST_MODEL],
    )
    assert row == [pytest.approx((4e-6, 20e-6, 5e-6, 8e-6, 0.4e-6))]


def test_unknown_models_are_unpriced_and_never_priced_as_another_model(
    claude_dir: ClaudeDir, make_index: Callable[..., Any]
) -> None:
    known = one_call(claude_dir, "claude-opus-4-6", Usage(input=1000, output=1000))
    kimi = one_call(claude_dir, "kimi-k2.5", Usage(input=1000, output=1000))
    future = one_call(claude_dir, "claude-opus-9-9", Usage(input=1000, output=1000))
    dated = one_call(claude_dir, "claude-opus-4-6-20991231", Usage(input=1000, output=1000))
    ix = make_index(claude_dir.root)
    assert ix.prices.table.source == "snapshot"
    for model in ("kimi-k2.5", "claude-opus-9-9", "claude-opus-4-6-20991231", "<synthetic>"):
        assert ix.prices.resolve(model) is None
    rows = ix.dicts("SELECT session_id, cost, models, unpriced_models FROM sessions")
    by_id = {r["session_id"]: r for r in rows}
    assert round(by_id[known]["cost"], 12) == 0.03
    assert by_id[known]["unpriced_models"] == []
    for sid, model in (
        (kimi, "kimi-k2.5"),
        (future, "claude-opus-9-9"),
        (dated, "claude-opus-4-6-20991231"),
    ):
        assert by_id[sid]["cost"] == 0.0
        assert by_id[sid]["models"] == [model]
        assert by_id[sid]["unpriced_models"] == [model]
    assert ix.rows("SELECT model, priced FROM usage ORDER BY model") == [
        ("claude-opus-4-6", True),
        ("claude-opus-4-6-20991231", False),
        ("claude-opus-9-9", False),
        ("kimi-k2.5", False),
    ]


def test_bedrock_spelling_is_found_for_an_api_model_name() -> None:
    table = load_snapshot()
    assert "claude-sonnet-4-20250514" not in table.entries
    price = table.resolve("claude-sonnet-4-20250514")
    assert price is not None
    assert price.price_key == "anthropic.claude-sonnet-4-20250514-v1:0"
    assert (price.input, price.output, price.cache_write_5m, price.cache_read) == pytest.approx(
        (3e-6, 15e-6, 3.75e-6, 0.3e-6)
    )
    assert price.cache_write_1h == pytest.approx(6e-6)  # not in the entry: 2x input
    assert price.input_200k == pytest.approx(6e-6)
    assert "cache_write_1h" in price.derived


def test_reprice_applies_a_new_table_to_the_index(
    tmp_path: Path, claude_dir: ClaudeDir, priced_index: Callable[..., Any]
) -> None:
    sid = one_call(claude_dir, TEST_MODEL, Usage(input=1000, output=1000))
    ix = priced_index({TEST_MODEL: BASE_ENTRY})
    assert round(session_costs(ix)[sid], 12) == 0.003
    doubled = {k: v * 2 if isinstance(v, float) else v for k, v in BASE_ENTRY.items()}
    ix.prices.table = PriceTable({TEST_MODEL: doubled}, "live", "http://x", "2026-02-02T00:00:00")
    ix.indexer.reprice()
    assert round(session_costs(ix)[sid], 12) == 0.006
    assert round(ix.one("SELECT cost FROM projects"), 12) == 0.006


# -- the price book ------------------------------------------------------------------------------

LIVE_DOC = {
    "claude-test-1": BASE_ENTRY,
    "anthropic.claude-test-1-v1:0": {**BASE_ENTRY, "litellm_provider": "bedrock"},
    "gpt-5": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
    "claude-no-price": {"litellm_provider": "anthropic"},
    "sample_spec": {"note": "not a model"},
}


class Counter:
    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]) -> None:
        self.calls = 0
        self.respond = respond

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.respond(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=LIVE_DOC)


def book(tmp_path: Path, **kw: Any) -> PriceBook:
    return PriceBook(
        cache_path=tmp_path / "cache" / "pricing.json", url="http://prices/p.json", **kw
    )


def test_fetch_table_keeps_only_priced_claude_entries() -> None:
    counter = Counter(ok)
    table = fetch_table("http://prices/p.json", counter.transport())
    assert counter.calls == 1
    assert sorted(table.entries) == ["anthropic.claude-test-1-v1:0", "claude-test-1"]
    assert table.source == "live"
    assert table.entries["claude-test-1"] == BASE_ENTRY


def test_snapshot_is_used_on_first_start(tmp_path: Path) -> None:
    prices = book(tmp_path, offline=True)
    assert prices.table.source == "snapshot"
    assert prices.is_stale()
    assert prices.resolve("claude-opus-4-6") is not None
    assert not (tmp_path / "cache").exists()


def test_refresh_writes_the_cache_atomically_and_at_most_once_per_max_age(tmp_path: Path) -> None:
    counter = Counter(ok)
    prices = book(tmp_path, max_age_s=3600)
    assert prices.refresh(counter.transport()) is True
    assert prices.table.source == "live"
    assert counter.calls == 1
    cache_dir = tmp_path / "cache"
    assert sorted(p.name for p in cache_dir.iterdir()) == ["pricing.json"]
    cached = load_cache(cache_dir / "pricing.json")
    assert cached is not None
    assert cached.entries == prices.table.entries
    assert prices.refresh(counter.transport()) is False
    assert counter.calls == 1
    # a new start reads the cache and does not fetch while it is fresh
    again = book(tmp_path, max_age_s=3600)
    assert again.table.source == "cache"
    assert again.refresh(counter.transport()) is False
    assert counter.calls == 1
    # once older than max_age it is fetched again
    stale = book(tmp_path, max_age_s=0)
    assert stale.refresh(counter.transport()) is False  # same entries: nothing changed
    assert counter.calls == 2


def test_cache_write_failure_leaves_the_old_cache_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_prices(tmp_path / "cache", {"claude-old": BASE_ENTRY}, age_s=10 * 86400)
    before = path.read_bytes()

    def broken_replace(self: Path, target: Any) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", broken_replace)
    prices = book(tmp_path)
    assert prices.table.source == "cache"
    assert prices.refresh(Counter(ok).transport()) is True
    assert sorted(prices.table.entries) == ["anthropic.claude-test-1-v1:0", "claude-test-1"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["pricing.json"]


def test_offline_never_fetches(tmp_path: Path) -> None:
    counter = Counter(ok)
    prices = book(tmp_path, offline=True)
    assert prices.refresh(counter.transport()) is False
    assert counter.calls == 0
    assert prices.table.source == "snapshot"


@pytest.mark.parametrize(
    "respond",
    [
        lambda r: httpx.Response(500, text="boom"),
        lambda r: httpx.Response(200, text="not json"),
        lambda r: httpx.Response(200, json=["a", "list"]),
        lambda r: httpx.Response(200, json={"gpt-5": {"input_cost_per_token": 1e-6}}),
        lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused")),
    ],
    ids=["http-500", "not-json", "not-object", "no-claude", "connect-error"],
)
def test_failing_fetch_keeps_the_old_table_and_never_raises(
    tmp_path: Path, respond: Callable[[httpx.Request], httpx.Response]
) -> None:
    write_prices(tmp_path / "cache", {"claude-old": BASE_ENTRY}, age_s=10 * 86400)
    prices = book(tmp_path)
    old = prices.table
    assert prices.refresh(httpx.MockTransport(respond)) is False
    assert prices.table is old
    assert prices.last_error is not None
    assert prices.resolve("claude-old") is not None
    assert load_cache(tmp_path / "cache" / "pricing.json") is not None


@pytest.fixture
def price_server() -> Iterator[str]:
    body = json.dumps(LIVE_DOC).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/prices.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_refresh_from_a_real_local_http_server(tmp_path: Path, price_server: str) -> None:
    prices = PriceBook(cache_path=tmp_path / "pricing.json", url=f"{price_server}/prices.json")
    assert prices.refresh() is True
    assert prices.table.source == "live"
    assert prices.table.url == f"{price_server}/prices.json"
    price = prices.resolve("claude-test-1")
    assert price is not None
    assert (price.input, price.cache_write_1h) == (1e-6, 8e-6)
    assert load_cache(tmp_path / "pricing.json") is not None
    missing = PriceBook(cache_path=tmp_path / "other.json", url=f"{price_server}/nothing.json")
    assert missing.refresh() is False
    assert missing.last_error is not None and "404" in missing.last_error
    assert missing.table.source == "snapshot"


def test_every_cost_total_is_a_decimal_sum() -> None:
    """A float sum depends on the order of its terms (parallel loads and scans do not fix it):
    every cost total in the SQL sums decimals, so a history gives the same dollars to the last
    digit however it was read."""
    assert (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3)  # why
    checked = 0
    for module in (queries, rollups, prompt_facts, store_prompts):
        for name, sql in vars(module).items():
            if not isinstance(sql, str):
                continue
            # a sum of any cost column: `sum(cost`, `sum(u.cost_after`, `sum(input_cost` ...
            for term in re.finditer(r"sum\(\(?[\w.]*cost\w*(::DECIMAL\(38, 18\))?", sql):
                checked += 1
                assert term.group(1), f"{module.__name__}.{name}: {term.group(0)}"
    assert checked >= 20
