"""Refresh the price snapshot shipped in the package from a LiteLLM price table.

    uv run python scripts/update_price_snapshot.py [URL_OR_FILE [ORIGIN]]

Default source: LiteLLM's published model_prices_and_context_window.json. A local file (for
example the copy inside a `litellm` wheel) works too. Only Claude entries and their price
fields are kept.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from claude_code_tracer.config import PRICING_URL
from claude_code_tracer.pricing import SNAPSHOT_RESOURCE, filter_claude_entries

OUT = Path(__file__).resolve().parent.parent / "src/claude_code_tracer/data" / SNAPSHOT_RESOURCE


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else PRICING_URL
    if Path(source).is_file():
        raw = json.loads(Path(source).read_text(encoding="utf-8"))
    else:
        raw = httpx.get(source, timeout=30.0, follow_redirects=True).raise_for_status().json()
    origin = sys.argv[2] if len(sys.argv) > 2 else source
    models = filter_claude_entries(raw)
    doc = {
        "url": PRICING_URL,
        "origin": origin,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "models": models,
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(models)} Claude entries -> {OUT}")


if __name__ == "__main__":
    main()
