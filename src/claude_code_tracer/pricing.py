"""Pricing: LiteLLM's model price table, resolved per model; the index applies it in SQL.

Rules, each encoded once, here or in the cost SQL (`index.cost.COST_SQL`):

* a usage row costs input, output, 5-minute cache writes, 1-hour cache writes and cache reads,
  each at its own per-token price (`COST_SQL`);
* when a request's input (uncached + cache writes + cache reads) exceeds 200k tokens
  (`index.cost.LONG_CONTEXT_THRESHOLD`) and the table has an above-200k tier for the model,
  every token of that request is priced at the tier (Anthropic's long-context rule);
* fast mode (`usage.speed == "fast"`) multiplies by the model's `provider_specific_entry.fast`
  and US-only inference (`inference_geo == "us"`) by its `provider_specific_entry.us`;
* a price the table lacks for a model it does list is derived from Anthropic's published
  multipliers of the input price (5-minute write 1.25x, 1-hour write 2x, read 0.1x) and marked;
* a model the table does not list is unpriced: listed, flagged, counted as $0. It is never
  priced as another model: lookups only add LiteLLM's provider spellings of the same name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claude_code_tracer.index.models.metrics import PriceSource
from claude_code_tracer.transcript.kinds import SYNTHETIC_MODEL

if TYPE_CHECKING:  # httpx is imported when prices are fetched, not at start-up
    import httpx


log = logging.getLogger(__name__)

SNAPSHOT_RESOURCE = "litellm_claude_prices.json"
CACHE_WRITE_5M_FACTOR = 1.25
CACHE_WRITE_1H_FACTOR = 2.0
CACHE_READ_FACTOR = 0.1

# LiteLLM fields kept in the snapshot and the on-disk cache.
PRICE_FIELDS = (
    "litellm_provider",
    "max_input_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_creation_input_token_cost",
    "cache_creation_input_token_cost_above_1hr",
    "cache_read_input_token_cost",
    "input_cost_per_token_above_200k_tokens",
    "output_cost_per_token_above_200k_tokens",
    "cache_creation_input_token_cost_above_200k_tokens",
    "cache_creation_input_token_cost_above_1hr_above_200k_tokens",
    "cache_read_input_token_cost_above_200k_tokens",
    "provider_specific_entry",
)
KEY_PREFIXES = ("claude", "anthropic/", "anthropic.")


@dataclass(frozen=True)
class ModelPrice:
    """Per-token prices of one model, as resolved from the table."""

    model: str
    price_key: str
    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    input_200k: float | None = None
    output_200k: float | None = None
    cache_write_5m_200k: float | None = None
    cache_write_1h_200k: float | None = None
    cache_read_200k: float | None = None
    fast_multiplier: float | None = None
    us_multiplier: float | None = None
    derived: tuple[str, ...] = ()

    def row(self) -> tuple[Any, ...]:
        """Values in the column order of the `model_prices` table."""
        return (
            self.model,
            self.price_key,
            self.input,
            self.output,
            self.cache_write_5m,
            self.cache_write_1h,
            self.cache_read,
            self.input_200k,
            self.output_200k,
            self.cache_write_5m_200k,
            self.cache_write_1h_200k,
            self.cache_read_200k,
            self.fast_multiplier,
            self.us_multiplier,
        )


def _num(entry: dict[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def filter_claude_entries(raw: object) -> dict[str, dict[str, Any]]:
    """The Claude entries of a LiteLLM table, reduced to the price fields."""
    if not isinstance(raw, dict):
        raise ValueError("price table is not a JSON object")
    out: dict[str, dict[str, Any]] = {}
    for key, entry in raw.items():
        if not isinstance(key, str) or not isinstance(entry, dict):
            continue
        if not key.startswith(KEY_PREFIXES) or "claude" not in key:
            continue
        if _num(entry, "input_cost_per_token") is None:
            continue
        out[key] = {f: entry[f] for f in PRICE_FIELDS if f in entry}
    if not out:
        raise ValueError("price table has no Claude entries")
    return out


def candidate_keys(model: str) -> list[str]:
    """LiteLLM's spellings of one model name: as is, Anthropic API, Bedrock. Nothing fuzzy."""
    return [
        model,
        f"anthropic/{model}",
        f"anthropic.{model}-v1:0",
        f"anthropic.{model}-v1",
        f"anthropic.{model}",
    ]


def price_from_entry(model: str, key: str, entry: dict[str, Any]) -> ModelPrice:
    derived: list[str] = []
    base = _num(entry, "input_cost_per_token") or 0.0
    output = _num(entry, "output_cost_per_token")
    if output is None:
        output = 0.0
        derived.append("output (missing: $0)")

    def get(field_name: str, factor: float, label: str, of: float | None) -> float | None:
        value = _num(entry, field_name)
        if value is None and of is not None:
            derived.append(label)
            return of * factor
        return value

    write_5m = get("cache_creation_input_token_cost", CACHE_WRITE_5M_FACTOR, "cache_write_5m", base)
    write_1h = get(
        "cache_creation_input_token_cost_above_1hr", CACHE_WRITE_1H_FACTOR, "cache_write_1h", base
    )
    read = get("cache_read_input_token_cost", CACHE_READ_FACTOR, "cache_read", base)
    in_200k = _num(entry, "input_cost_per_token_above_200k_tokens")
    psi = entry.get("provider_specific_entry")
    psi = psi if isinstance(psi, dict) else {}
    return ModelPrice(
        model=model,
        price_key=key,
        input=base,
        output=output,
        cache_write_5m=write_5m or 0.0,
        cache_write_1h=write_1h or 0.0,
        cache_read=read or 0.0,
        input_200k=in_200k,
        output_200k=_num(entry, "output_cost_per_token_above_200k_tokens"),
        cache_write_5m_200k=get(
            "cache_creation_input_token_cost_above_200k_tokens",
            CACHE_WRITE_5M_FACTOR,
            "cache_write_5m_200k",
            in_200k,
        ),
        cache_write_1h_200k=get(
            "cache_creation_input_token_cost_above_1hr_above_200k_tokens",
            CACHE_WRITE_1H_FACTOR,
            "cache_write_1h_200k",
            in_200k,
        ),
        cache_read_200k=get(
            "cache_read_input_token_cost_above_200k_tokens",
            CACHE_READ_FACTOR,
            "cache_read_200k",
            in_200k,
        ),
        fast_multiplier=_num(psi, "fast"),
        us_multiplier=_num(psi, "us"),
        derived=tuple(derived),
    )


@dataclass(frozen=True)
class PriceTable:
    """One version of the table: where it came from, when, and its entries."""

    entries: dict[str, dict[str, Any]]
    source: PriceSource
    url: str
    fetched_at: str  # ISO-8601

    def resolve(self, model: str) -> ModelPrice | None:
        if not model or model == SYNTHETIC_MODEL:
            return None
        for key in candidate_keys(model):
            entry = self.entries.get(key)
            if entry is not None:
                return price_from_entry(model, key, entry)
        return None


def _load_json(data: bytes) -> dict[str, Any]:
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    return doc


def load_snapshot() -> PriceTable:
    """The table shipped inside the package: the first start works offline."""
    data = resources.files("claude_code_tracer.data").joinpath(SNAPSHOT_RESOURCE).read_bytes()
    doc = _load_json(data)
    return PriceTable(
        entries=doc["models"], source="snapshot", url=doc["url"], fetched_at=doc["fetched_at"]
    )


def load_cache(path: Path) -> PriceTable | None:
    try:
        doc = _load_json(path.read_bytes())
        entries = filter_claude_entries(doc["models"])
        return PriceTable(
            entries=entries, source="cache", url=str(doc["url"]), fetched_at=str(doc["fetched_at"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cache(path: Path, table: PriceTable) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"url": table.url, "fetched_at": table.fetched_at, "models": table.entries}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pricing.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, sort_keys=True)
        Path(tmp).replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()


def fetch_table(url: str, transport: httpx.BaseTransport | None = None) -> PriceTable:
    """Download LiteLLM's published JSON and keep its Claude entries."""
    import httpx

    with httpx.Client(transport=transport, timeout=20.0, follow_redirects=True) as client:
        response = client.get(url)
        response.raise_for_status()
        entries = filter_claude_entries(response.json())
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return PriceTable(entries=entries, source="live", url=url, fetched_at=now)


def _age_seconds(iso: str) -> float:
    try:
        fetched = datetime.fromisoformat(iso)
    except ValueError:
        return float("inf")
    if fetched.tzinfo is None:
        fetched = fetched.replace(tzinfo=UTC)
    return (datetime.now(UTC) - fetched).total_seconds()


@dataclass
class PriceBook:
    """The price table in use, refreshed in the background at most once per `max_age_s`."""

    cache_path: Path
    url: str
    offline: bool = False
    max_age_s: float = 24 * 3600.0
    table: PriceTable = field(init=False)
    last_error: str | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.table = load_cache(self.cache_path) or load_snapshot()

    def resolve(self, model: str) -> ModelPrice | None:
        return self.table.resolve(model)

    def listed(self) -> list[ModelPrice]:
        """Every model the table lists, under its own key, by key."""
        return [
            price_from_entry(key, key, entry) for key, entry in sorted(self.table.entries.items())
        ]

    def is_stale(self) -> bool:
        return self.table.source == "snapshot" or _age_seconds(self.table.fetched_at) > (
            self.max_age_s
        )

    def refresh(self, transport: httpx.BaseTransport | None = None) -> bool:
        """Fetch a new table if the one in use is stale; True when the table changed."""
        import httpx

        if self.offline or not self.is_stale():
            return False
        with self._lock:
            try:
                fresh = fetch_table(self.url, transport)
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.info("price refresh failed: %s", self.last_error)
                return False
            self.last_error = None
            with contextlib.suppress(OSError):
                write_cache(self.cache_path, fresh)
            changed = fresh.entries != self.table.entries
            self.table = fresh
            return changed
