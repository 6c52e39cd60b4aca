"""The cost of a usage row, in SQL: the pricing rules of `pricing` applied to the prices that
the index keeps per model (`model_prices`).

* input, output, 5-minute cache writes, 1-hour cache writes and cache reads, each at its own
  per-token price;
* when a request's input (uncached + cache writes + cache reads) exceeds
  `LONG_CONTEXT_THRESHOLD` tokens and the model has an above-200k tier, every token of that
  request at the tier (Anthropic's long-context rule);
* fast mode and US-only inference multiply by the model's multipliers;
* an unpriced model (no prices) costs $0.
"""

from __future__ import annotations

LONG_CONTEXT_THRESHOLD = 200_000

# Cost of one usage row `u` at the prices `p` of its model (NULL p: unpriced, $0).
COST_SQL = f"""
CASE WHEN p.model IS NULL OR p.input IS NULL THEN 0.0 ELSE
  (CASE WHEN u.speed = 'fast' THEN coalesce(p.fast_multiplier, 1.0) ELSE 1.0 END)
  * (CASE WHEN u.inference_geo = 'us' THEN coalesce(p.us_multiplier, 1.0) ELSE 1.0 END)
  * (CASE WHEN p.input_200k IS NOT NULL
          AND u.input_tokens + u.cache_creation_tokens + u.cache_read_tokens
              > {LONG_CONTEXT_THRESHOLD:d}
     THEN u.input_tokens * p.input_200k
          + u.output_tokens * coalesce(p.output_200k, p.output)
          + u.cache_5m_tokens * coalesce(p.cache_write_5m_200k, p.cache_write_5m)
          + u.cache_1h_tokens * coalesce(p.cache_write_1h_200k, p.cache_write_1h)
          + u.cache_read_tokens * coalesce(p.cache_read_200k, p.cache_read)
     ELSE u.input_tokens * p.input
          + u.output_tokens * p.output
          + u.cache_5m_tokens * p.cache_write_5m
          + u.cache_1h_tokens * p.cache_write_1h
          + u.cache_read_tokens * p.cache_read
     END)
END
"""
