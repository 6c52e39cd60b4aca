"""The demo's setting: its invented projects, the files they hold, and `Demo`, which writes
each scenario's session (see `demo.history`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from claude_code_tracer.demo.builder import (
    ClaudeDir,
    Session,
)

OPUS = "claude-opus-4-6"
SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5-20251001"
KIMI = "kimi-k2.5"
HOME = "/home/sam"

# -- made-up source files --------------------------------------------------------------------

INVOICE_PY = """from decimal import Decimal

from ledgerline.models import Invoice, LineItem


def subtotal(items: list[LineItem]) -> Decimal:
    return sum((i.unit_price * i.quantity for i in items), Decimal(0))


def total(invoice: Invoice) -> Decimal:
    amount = subtotal(invoice.items)
    if invoice.discount:
        amount -= invoice.discount
    return amount + invoice.tax
"""

ROUTES_TS = """import { Router } from "express";
import { loadTrail } from "./trails";

export const router = Router();

router.get("/trails/:id", async (req, res) => {
  const trail = await loadTrail(req.params.id);
  res.json(trail);
});
"""

COLLECTOR_GO = """package collector

import (
\t"context"
\t"time"
)

type Sample struct {
\tAt          time.Time
\tConnections int
\tWaiting     int
}

func Poll(ctx context.Context, db Querier) (Sample, error) {
\tvar s Sample
\terr := db.QueryRow(ctx, activityQuery).Scan(&s.Connections, &s.Waiting)
\ts.At = time.Now()
\treturn s, err
}
"""

QUEUE_RS = """pub struct Queue<T> {
    items: Vec<T>,
}

impl<T> Queue<T> {
    pub fn new() -> Self {
        Queue { items: Vec::new() }
    }

    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    pub fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }
}
"""

POST_MD = """---
title: "Notes on tiny job queues"
date: 2026-01-12
draft: true
---

Most background work fits in a table and a loop.
"""

SKILL_TDD = """# Test-driven development

1. Write one failing test that states the behaviour.
2. Make it pass with the smallest change.
3. Refactor with the tests green.
Never write production code without a failing test first."""

SKILL_COMMIT = """# Commit

Stage only the files of this change. Write a subject line under 60 characters in the
imperative mood, a blank line, then why the change was made."""

REVIEW_PROMPT = """Review the current diff for correctness, missing tests and unclear names.
List findings by severity. Quote the lines you mean."""


@dataclass(frozen=True)
class Project:
    cwd: str
    model: str
    branches: tuple[str, ...]
    hooks: tuple[str, ...] = ()


LEDGER = Project(
    f"{HOME}/src/ledgerline",
    OPUS,
    ("main", "feat/discounts", "fix/rounding"),
    ("${CLAUDE_PROJECT_DIR}/.claude/hooks/guard.sh",),
)
TRAIL = Project(f"{HOME}/src/trailmap", SONNET, ("main", "feat/elevation"))
PULSE = Project(f"{HOME}/src/pgpulse", OPUS, ("main", "collector-v2"), ("gofmt -l .",))
QUEUE = Project(f"{HOME}/src/tinyqueue", SONNET, ("main",))
BLOG = Project(f"{HOME}/notes/blog", HAIKU, ("main",))
LAB = Project(f"{HOME}/src/forecast-lab", SONNET, ("main", "exp/holidays"))


class Demo:
    """Writes the sessions of the demo, one scenario function per session."""

    def __init__(self, root: Path, now: datetime, seed: int) -> None:
        self.claude = ClaudeDir(root, seed=seed)
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible demo, not secrets
        self.now = now
        self.count = 0

    def session(
        self,
        project: Project,
        days_ago: float,
        *,
        hour: int | None = None,
        version: str = "2.1.39",
        model: str | None = None,
        branch: str | None = None,
    ) -> Session:
        day = (self.now - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
        start = day.replace(hour=hour if hour is not None else self.rng.randint(8, 17))
        start += timedelta(minutes=self.rng.randint(0, 59), seconds=self.rng.randint(0, 59))
        if start > self.now - timedelta(hours=3):
            start = self.now - timedelta(hours=3)
        self.count += 1
        s = self.claude.project(project.cwd).session(
            start=start,
            version=version,
            git_branch=branch or project.branches[0],
            model=model or project.model,
        )
        s.hook_progress("SessionStart", "SessionStart:startup", "direnv export json")
        s.hooks = project.hooks
        return s

    def end_turn(self, s: Session, started: datetime) -> None:
        ms = int((s.now - started).total_seconds() * 1000)
        s.turn_duration(ms)


def ask(s: Session, text: str, *, after: float = 30.0) -> datetime:
    s.snapshot()
    s.prompt(text, after=after)
    return s.now
