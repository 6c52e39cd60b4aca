"""What the dashboard's charts get: daily series by model and by token kind, the activity grid,
token shares, the parts of a prompt's cost. Built from the same response models the JSON API
returns; no queries here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from claude_code_tracer.index.models.common import Tokens
from claude_code_tracer.index.models.metrics import ActivityCell, DailyMetrics
from claude_code_tracer.index.models.reports import PromptRow
from claude_code_tracer.transcript.kinds import COST_DRIVER_LABELS, CostDriver
from claude_code_tracer.web.render import TOKEN_KINDS, Palette, model_label

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def cost_chart(daily: DailyMetrics, palette: Palette) -> dict[str, Any]:
    """Cost per day, one stacked series per model (models by total cost, largest first)."""
    totals: dict[str, float] = {}
    for day in daily.days:
        for m in day.models:
            totals[m.model] = totals.get(m.model, 0.0) + m.cost
    models = sorted(totals, key=lambda m: (-totals[m], m))
    datasets = []
    for model in models:
        per_day = {d.date: sum(m.cost for m in d.models if m.model == model) for d in daily.days}
        datasets.append(
            {
                "label": model_label(model),
                "title": model,
                "color": palette.colour(model),
                "data": [round(per_day[d.date], 6) for d in daily.days],
            }
        )
    return {
        "unit": "money",
        "labels": [d.date.isoformat() for d in daily.days],
        "datasets": datasets,
    }


def tokens_chart(daily: DailyMetrics) -> dict[str, Any]:
    """Tokens per day, one stacked series per token kind, in the fixed order."""
    return {
        "unit": "tokens",
        "labels": [d.date.isoformat() for d in daily.days],
        "datasets": [
            {
                "label": kind.label,
                "title": kind.label,
                "colorVar": f"--tk-{kind.key.replace('_', '-')}",
                "data": [getattr(d.tokens, kind.field) for d in daily.days],
            }
            for kind in TOKEN_KINDS
        ],
    }


@dataclass(frozen=True)
class HeatCell:
    weekday: int
    hour: int
    messages: int
    cost: float
    level: float  # 0..1, the square root of the share of the busiest hour (so quiet hours show)


@dataclass(frozen=True)
class Heatmap:
    rows: list[tuple[str, list[HeatCell]]]
    peak: int
    total: int


def heatmap(cells: Sequence[ActivityCell]) -> Heatmap:
    """Messages by weekday (Monday first) and hour of the day."""
    grid = {(c.weekday, c.hour): c for c in cells}
    peak = max((c.messages for c in cells), default=0)
    rows = []
    for wd, name in enumerate(WEEKDAYS):
        row = []
        for hour in range(24):
            c = grid.get((wd, hour))
            messages = c.messages if c else 0
            row.append(
                HeatCell(
                    weekday=wd,
                    hour=hour,
                    messages=messages,
                    cost=c.cost if c else 0.0,
                    level=round((messages / peak) ** 0.5, 3) if peak else 0.0,
                )
            )
        rows.append((name, row))
    return Heatmap(rows=rows, peak=peak, total=sum(c.messages for c in cells))


def driver_shares(p: PromptRow) -> list[tuple[str, str, float, float]]:
    """(key, label, cost, share of the prompt's cost) of each part of a prompt's cost: the
    main thread's tokens of each kind in the token colours, then its subagents."""
    total = p.total_cost
    order: tuple[CostDriver, ...] = (*(k.key for k in TOKEN_KINDS), "subagents")
    return [
        (
            key.replace("_", "-"),
            COST_DRIVER_LABELS[key],
            float(getattr(p.drivers, key)),
            float(getattr(p.drivers, key)) / total if total > 0 else 0.0,
        )
        for key in order
    ]


def token_shares(t: Tokens) -> list[tuple[str, str, int, float]]:
    """(key, label, value, share of the total) per token kind, in the fixed order."""
    total = t.total_tokens or 0
    return [
        (
            k.key.replace("_", "-"),
            k.label,
            int(getattr(t, k.field)),
            (getattr(t, k.field) / total) if total else 0.0,
        )
        for k in TOKEN_KINDS
    ]
