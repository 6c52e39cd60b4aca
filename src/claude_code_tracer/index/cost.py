"""The cost of a usage row, in SQL: the pricing rules of `pricing` applied to the prices that
the index keeps per model (`model_prices`).

* input, output, 5-minute cache writes, 1-hour cache writes and cache reads, each at its own
  per-token price;
* when a request's input (uncached + cache writes + cache reads) exceeds
  `LONG_CONTEXT_THRESHOLD` tokens and the model has an above-200k tier, every token of that
  request at the tier (Anthropic's long-context rule);
* fast mode and US-only inference multiply by the model's multipliers;
* an unpriced model (no prices) costs $0.

`COST_SQL` is a row's whole cost; `COST_PART_SQL` the part of it one kind of token makes
(input, output, cache writes, cache reads), by the same rules: what a prompt's cost drivers
are summed from.
"""

from __future__ import annotations

from claude_code_tracer.transcript.kinds import CostDriver

LONG_CONTEXT_THRESHOLD = 200_000


def _term(tokens: str, price: str, tier: bool = True) -> tuple[str, str, str]:
    """(tokens, price, price above 200k): the tier's price where the table has one."""
    above = f"coalesce({price}_200k, {price})" if tier else f"{price}_200k"
    return tokens, price, above


# the terms of a response's cost, by the kind of token they price
_TERMS: dict[CostDriver, tuple[tuple[str, str, str], ...]] = {
    "input": (_term("u.input_tokens", "p.input", tier=False),),
    "output": (_term("u.output_tokens", "p.output"),),
    "cache_write": (
        _term("u.cache_5m_tokens", "p.cache_write_5m"),
        _term("u.cache_1h_tokens", "p.cache_write_1h"),
    ),
    "cache_read": (_term("u.cache_read_tokens", "p.cache_read"),),
}


def _cost_of(parts: tuple[CostDriver, ...]) -> str:
    """The cost of the terms of `parts` of one usage row `u` at the prices `p` of its model
    (NULL p: unpriced, $0)."""
    terms = [t for part in parts for t in _TERMS[part]]
    long = "\n          + ".join(f"{tokens} * {above}" for tokens, _, above in terms)
    base = "\n          + ".join(f"{tokens} * {price}" for tokens, price, _ in terms)
    return f"""
CASE WHEN p.model IS NULL OR p.input IS NULL THEN 0.0 ELSE
  (CASE WHEN u.speed = 'fast' THEN coalesce(p.fast_multiplier, 1.0) ELSE 1.0 END)
  * (CASE WHEN u.inference_geo = 'us' THEN coalesce(p.us_multiplier, 1.0) ELSE 1.0 END)
  * (CASE WHEN p.input_200k IS NOT NULL
          AND u.input_tokens + u.cache_creation_tokens + u.cache_read_tokens
              > {LONG_CONTEXT_THRESHOLD:d}
     THEN {long}
     ELSE {base}
     END)
END
"""


# Cost of one usage row `u` at the prices `p` of its model (NULL p: unpriced, $0).
COST_SQL = _cost_of(("input", "output", "cache_write", "cache_read"))
COST_PART_SQL: dict[CostDriver, str] = {part: _cost_of((part,)) for part in _TERMS}
