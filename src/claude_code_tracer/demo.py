"""The demo history behind `cctracer --demo`: eight weeks of made-up work on six projects.

Every project, person and line of code here is invented. The history is written with the
transcript builder, so it has the shapes of real transcripts: streamed responses, subagents in
all three layouts, skills, slash and local commands, edits with patches, every kind of error,
compactions, titles, a long session and one session on a model without a price.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from claude_code_tracer.transcripts import (
    ClaudeDir,
    Session,
    ToolCall,
    edit_op,
    glob_op,
    grep_op,
    read_op,
    task_call,
    todo_op,
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


# -- scenarios -------------------------------------------------------------------------------


def discount_feature(d: Demo, days: float) -> None:
    s = d.session(LEDGER, days, branch="feat/discounts")
    t = ask(
        s,
        "Invoices need percentage discounts as well as fixed ones. Add a discount_percent "
        "field and make total() apply it before tax.",
    )
    s.assistant(
        "I'll look at how totals are computed first.",
        thinking="The discount is subtracted in total(); a percentage must apply to the subtotal.",
        tools=[],
    )
    s.run(
        read_op(f"{LEDGER.cwd}/ledgerline/invoice.py", INVOICE_PY),
        grep_op(
            "discount", ["ledgerline/invoice.py", "ledgerline/models.py", "tests/test_invoice.py"]
        ),
    )
    s.skill(
        "superpowers:test-driven-development",
        SKILL_TDD,
        text="Following TDD: a failing test first.",
    )
    s.write(
        f"{LEDGER.cwd}/tests/test_discount_percent.py",
        "from decimal import Decimal\n\nfrom ledgerline.invoice import total\n\n\n"
        "def test_percent_discount_applies_before_tax(make_invoice):\n"
        "    inv = make_invoice(items=[(Decimal('100'), 2)], discount_percent=10, tax=5)\n"
        "    assert total(inv) == Decimal('185')\n",
        text="Adding the test.",
    )
    s.bash(
        "uv run pytest tests/test_discount_percent.py -q",
        "F\nE   TypeError: make_invoice() got an unexpected keyword argument "
        "'discount_percent'\n1 failed in 0.21s",
        exit_code=1,
        description="Run the new test",
    )
    s.edit(
        f"{LEDGER.cwd}/ledgerline/invoice.py",
        "    if invoice.discount:\n        amount -= invoice.discount\n",
        "    if invoice.discount_percent:\n"
        "        amount -= amount * Decimal(invoice.discount_percent) / 100\n"
        "    if invoice.discount:\n        amount -= invoice.discount\n",
        INVOICE_PY,
        text="Now the implementation.",
    )
    s.bash(
        "uv run pytest -q",
        "........................................ [100%]\n48 passed in 1.92s",
        description="Run the whole suite",
    )
    s.say(
        "Done. `total()` now applies `discount_percent` to the subtotal before the fixed "
        "discount and tax, with a test for the 10 % case. All 48 tests pass."
    )
    d.end_turn(s, t)
    t = ask(s, "looks good, commit it", after=90)
    s.skill("commit", SKILL_COMMIT)
    s.bash(
        "git add ledgerline/invoice.py tests/test_discount_percent.py && git commit -m "
        "'Apply percentage discounts before tax'",
        "[feat/discounts 4e1c2aa] Apply percentage discounts before tax\n 2 files changed, "
        "9 insertions(+)",
    )
    s.say("Committed as 4e1c2aa.")
    d.end_turn(s, t)
    s.ai_title("Percentage discounts on invoices")


def rounding_bug(d: Demo, days: float) -> None:
    s = d.session(LEDGER, days, branch="fix/rounding")
    t = ask(s, "A customer got an invoice for 10.004 EUR. Totals must round half-even to cents.")
    s.bash(
        "rg -n 'quantize|ROUND_' ledgerline", "", exit_code=1, text="Is there any rounding at all?"
    )
    s.read(f"{LEDGER.cwd}/ledgerline/invoice.py", INVOICE_PY)
    s.edit(
        f"{LEDGER.cwd}/ledgerline/invoice.py",
        "    return amount + invoice.tax\n",
        "    return (amount + invoice.tax).quantize(CENT, rounding=ROUND_HALF_EVEN)\n",
        INVOICE_PY,
        text="Rounding the final amount, not each line.",
    )
    s.edit(
        f"{LEDGER.cwd}/ledgerline/invoice.py",
        "from decimal import Decimal\n",
        "from decimal import ROUND_HALF_EVEN, Decimal\n\nCENT = Decimal('0.01')\n",
        INVOICE_PY,
    )
    s.bash("uv run pytest -q", "50 passed in 2.04s")
    s.say(
        "Totals are now rounded half-even to the cent once, at the end. 10.004 becomes 10.00 "
        "and 10.005 becomes 10.00, 10.015 becomes 10.02."
    )
    d.end_turn(s, t)
    s.custom_title("Invoice rounding (half-even)")


def api_outage(d: Demo, days: float) -> None:
    s = d.session(LEDGER, days)
    t = ask(s, "Why is /invoices/{id}/pdf slow? p95 is 4 s in production.")
    s.api_retries(3, status=529)
    s.bash(
        "rg -n 'def render_pdf' -A 12 ledgerline",
        "ledgerline/pdf.py:14:def render_pdf"
        "(invoice):\nledgerline/pdf.py:15:    fonts = load_fonts()  # reads 9 MB from disk",
    )
    s.say(
        "`render_pdf` loads all fonts from disk on every request. Caching them at startup "
        "should remove most of the 4 s. Want me to do that?"
    )
    d.end_turn(s, t)
    t = ask(s, "yes")
    s.api_retries(2, network=True)
    s.synthetic(
        'API Error: 529 {"type":"error","error":{"type":"overloaded_error",'
        '"message":"Overloaded"}}',
        error="overloaded",
        status=529,
    )
    t = ask(s, "try again", after=120)
    s.edit(
        f"{LEDGER.cwd}/ledgerline/pdf.py",
        "    fonts = load_fonts()  # reads 9 MB from disk\n",
        "    fonts = FONTS\n",
        "def render_pdf(invoice):\n    fonts = load_fonts()  # reads "
        "9 MB from disk\n    return draw(invoice, fonts)\n",
    )
    s.say("Fonts are now loaded once at import time (`FONTS`).")
    d.end_turn(s, t)


def ledger_refactor_marathon(d: Demo, days: float) -> None:
    """The long session: a module-by-module migration with two compactions."""
    s = d.session(LEDGER, days, hour=8, branch="main")
    modules = [
        "customers",
        "invoices",
        "payments",
        "refunds",
        "taxes",
        "currencies",
        "exports",
        "reminders",
        "webhooks",
        "reports",
        "audit",
        "accounts",
        "subscriptions",
        "coupons",
        "credit_notes",
        "statements",
    ]
    t = ask(
        s,
        "Migrate every module from the old `db.session` helper to the repository "
        "classes in ledgerline/repos. One module at a time, tests green after each.",
    )
    s.run(
        todo_op([(f"Migrate {m}", "pending") for m in modules]),
        text="Here is the plan, one module at a time.",
    )
    for n, module in enumerate(modules):
        path = f"{LEDGER.cwd}/ledgerline/{module}.py"
        body = (
            f"from ledgerline.db import session\n\n\ndef get_{module}(id):\n"
            f"    return session.query({module.title()}).get(id)\n\n\n"
            f"def list_{module}(limit=50):\n"
            f"    return session.query({module.title()}).limit(limit).all()\n"
        )
        s.read(path, body, text=f"Starting with `{module}`.")
        s.bash(
            f"rg -n 'session\\.' ledgerline/{module}.py tests/test_{module}.py",
            f"ledgerline/{module}.py:5:    return session.query({module.title()}).get(id)\n"
            f"ledgerline/{module}.py:9:    return session.query({module.title()})"
            ".limit(limit).all()",
        )
        s.edit(
            path,
            "from ledgerline.db import session\n",
            f"from ledgerline.repos import {module.title()}Repo\n",
            body,
        )
        s.edit(
            path,
            f"    return session.query({module.title()}).get(id)\n",
            f"    return {module.title()}Repo().get(id)\n",
            body,
        )
        s.edit(
            path,
            f"    return session.query({module.title()}).limit(limit).all()\n",
            f"    return {module.title()}Repo().list(limit=limit)\n",
            body,
        )
        for attempt in range(3 if n % 4 == 1 else 1):
            failed = attempt == 0 and n % 4 == 1
            s.bash(
                f"uv run pytest tests/test_{module}.py -q",
                f"E   AttributeError: '{module.title()}Repo' object has no attribute 'list'\n"
                "1 failed, 11 passed"
                if failed
                else "12 passed in 0.4s",
                exit_code=1 if failed else 0,
            )
            if failed:
                s.read(
                    f"{LEDGER.cwd}/ledgerline/repos/base.py",
                    "class Repo:\n    model = None\n\n    def get(self, id):\n"
                    "        return self.session.get(self.model, id)\n",
                )
                s.edit(
                    f"{LEDGER.cwd}/ledgerline/repos/base.py",
                    "        return self.session.get(self.model, id)\n",
                    "        return self.session.get(self.model, id)\n\n"
                    "    def list(self, limit=50):\n"
                    "        return self.session.query(self.model).limit(limit).all()\n",
                    "class Repo:\n    model = None\n\n    def get(self, id):\n"
                    "        return self.session.get(self.model, id)\n",
                    text="The base repository has no `list()` yet; adding it.",
                )
        for extra in range(15):
            s.bash(
                f"uv run pytest tests/test_{module}.py -q -k case_{extra}",
                f"1 passed, 11 deselected in 0.1{extra}s",
            )
        s.say(f"`{module}` migrated; its tests pass.")
        if n in (5, 11):
            s.compact(
                f"Migrating ledgerline modules from db.session to repos. Done: "
                f"{', '.join(modules[: n + 1])}. Pattern: import the Repo, replace "
                f"session.query(X).get(id) with XRepo().get(id) and .limit() with .list().",
                trigger="auto",
            )
            ask(s, "continue", after=15)
    s.bash("uv run pytest -q", "804 passed in 27.90s")
    s.say(
        f"All {len(modules)} modules use the repository classes now and the full suite passes "
        "(804 tests)."
    )
    d.end_turn(s, t)
    s.custom_title("Repository migration, all modules")


def trail_elevation(d: Demo, days: float) -> None:
    s = d.session(TRAIL, days, branch="feat/elevation")
    t = ask(s, "Show an elevation profile under the map for the selected trail.")
    call = task_call(
        "Find map components",
        "List the React components that render the map and the trail sidebar, with their props.",
        subagent_type="Explore",
    )
    s.assistant("Let me have a look at the component tree first.", tools=[call])
    agent = s.subagent(call, model=HAIKU)
    agent.run(
        glob_op(
            "src/components/**/*.tsx",
            [
                "src/components/Map.tsx",
                "src/components/TrailSidebar.tsx",
                "src/components/Legend.tsx",
            ],
        )
    )
    agent.read(
        f"{TRAIL.cwd}/src/components/Map.tsx",
        "export function Map({ trail }: Props) {\n  return <MapView bounds={trail.bounds} />;\n}\n",
    )
    agent.finish(
        "Map.tsx renders <MapView bounds>, TrailSidebar.tsx lists segments; the "
        "elevation data is in trail.points[].ele."
    )
    s.write(
        f"{TRAIL.cwd}/src/components/ElevationProfile.tsx",
        "import { AreaChart } from './charts';\n\nexport function ElevationProfile"
        "({ points }: { points: Point[] }) {\n  const data = points.map((p, i) => ({ x: i, "
        "y: p.ele }));\n  return <AreaChart data={data} height={120} />;\n}\n",
    )
    s.bash(
        "npm test -- --run",
        " ✓ src/components/ElevationProfile.test.tsx (3 tests) 41ms\n\n"
        " Test Files  14 passed (14)\n      Tests  88 passed (88)",
    )
    s.say(
        "Added `ElevationProfile` under the map; it draws `trail.points[].ele` as an area "
        "chart 120 px high."
    )
    d.end_turn(s, t)
    s.ai_title("Elevation profile under the map")


def trail_router(d: Demo, days: float) -> None:
    s = d.session(TRAIL, days)
    t = ask(s, "The /trails/:id endpoint returns 500 for unknown ids. It should be 404.")
    s.read(f"{TRAIL.cwd}/src/server/routes.ts", ROUTES_TS)
    s.reject(
        edit_op(
            f"{TRAIL.cwd}/src/server/routes.ts",
            "  res.json(trail);\n",
            "  if (!trail) throw new NotFound();\n  res.json(trail);\n",
            ROUTES_TS,
        ),
        text="I'll throw a NotFound error.",
    )
    t = ask(s, "no exceptions for control flow here, return the 404 directly", after=20)
    s.edit(
        f"{TRAIL.cwd}/src/server/routes.ts",
        "  res.json(trail);\n",
        '  if (!trail) return res.status(404).json({ error: "trail not found" });\n'
        "  res.json(trail);\n",
        ROUTES_TS,
    )
    s.bash("npm test -- routes", " ✓ routes.test.ts (6 tests) 22ms")
    s.say('Unknown ids now get a 404 with `{"error": "trail not found"}`.')
    d.end_turn(s, t)


def trail_legacy_inline(d: Demo, days: float) -> None:
    """Written by an old 1.0.x CLI: subagents inline in the session file."""
    s = d.session(TRAIL, days, version="1.0.98", model="claude-sonnet-4-20250514")
    t = ask(s, "Set up the project: Vite, React, TypeScript, Vitest, and a /trails API stub.")
    calls = [
        task_call(
            "Scaffold the frontend",
            "Create a Vite + React + TypeScript app in web/ with Vitest configured.",
        ),
        task_call(
            "Stub the API",
            "Create an Express server in server/ with GET /trails returning two sample trails.",
        ),
    ]
    s.assistant("I'll split this in two and run them in parallel.", tools=calls)
    for call, files in zip(
        calls,
        (["web/vite.config.ts", "web/src/App.tsx"], ["server/index.ts", "server/trails.ts"]),
        strict=True,
    ):
        agent = s.subagent(call, layout="inline")
        for path in files:
            agent.write(f"{TRAIL.cwd}/{path}", f"// {path}\nexport {{}};\n")
        agent.bash("npm install", "added 212 packages in 9s")
        agent.finish(f"Created {', '.join(files)}.")
    s.say("The frontend is in web/ and the API stub in server/. `npm run dev` starts both.")
    d.end_turn(s, t)
    s.old_compact(
        "The user asked to set up trailmap with Vite, React, TypeScript and an "
        "Express stub; both parts were created and npm installs succeeded."
    )
    ask(s, "add eslint too")
    s.bash("npm i -D eslint @eslint/js typescript-eslint", "added 98 packages in 4s")
    s.say("ESLint is installed with the TypeScript rules.")
    s.summary("Project setup: Vite, React, Express stub")


def pulse_collector(d: Demo, days: float) -> None:
    s = d.session(PULSE, days, branch="collector-v2")
    t = ask(
        s,
        "The collector misses samples when Postgres is slow. Poll on a ticker and drop "
        "a tick instead of stacking them.",
    )
    s.read(f"{PULSE.cwd}/internal/collector/poll.go", COLLECTOR_GO)
    call = task_call(
        "Review concurrency",
        "Review internal/collector for goroutine leaks and "
        "races in the polling loop. Report file:line findings.",
        subagent_type="code-reviewer",
    )
    s.assistant("Before changing it, a second pair of eyes on the concurrency.", tools=[call])
    agent = s.subagent(call, meta_tool_use_id=True, model=SONNET)
    agent.bash("go vet ./internal/collector/...", "")
    agent.bash("go test -race ./internal/collector/...", "ok  \tpgpulse/internal/collector\t1.204s")
    agent.finish(
        "No races. One leak: loop.go:31 starts a goroutine per tick without a "
        "context, so slow polls pile up."
    )
    s.edit(
        f"{PULSE.cwd}/internal/collector/poll.go",
        "\ts.At = time.Now()\n",
        "\ts.At = time.Now().UTC()\n",
        COLLECTOR_GO,
    )
    s.write(
        f"{PULSE.cwd}/internal/collector/loop.go",
        "package collector\n\nfunc Run(ctx context.Context, db Querier, every time.Duration,"
        " out chan<- Sample) {\n\tt := time.NewTicker(every)\n\tdefer t.Stop()\n\tfor {\n"
        "\t\tselect {\n\t\tcase <-ctx.Done():\n\t\t\treturn\n\t\tcase <-t.C:\n"
        "\t\t\tpollCtx, cancel := context.WithTimeout(ctx, every)\n"
        "\t\t\tif s, err := Poll(pollCtx, db); err == nil {\n\t\t\t\tout <- s\n\t\t\t}\n"
        "\t\t\tcancel()\n\t\t}\n\t}\n}\n",
        original="package collector\n\nfunc Run(db Querier, every time.Duration) {\n"
        "\tfor range time.Tick(every) {\n\t\tgo Poll(context.TODO(), db)\n\t}\n}\n",
    )
    s.bash(
        "go test -race ./...",
        "ok  \tpgpulse/internal/collector\t1.311s\nok  \tpgpulse/cmd/pgpulse\t0.402s",
    )
    s.say(
        "`Run` now polls on a ticker with a per-poll timeout equal to the interval, so a slow "
        "poll drops that tick instead of piling up goroutines."
    )
    d.end_turn(s, t)
    s.custom_title("Collector: ticker with per-poll timeout")


def pulse_explain(d: Demo, days: float) -> None:
    s = d.session(PULSE, days)
    t = ask(s, "What does pg_stat_activity.wait_event_type = 'Lock' mean for our alerts?")
    s.say(
        "It means the backend is waiting for a heavyweight lock held by another session. For "
        "the alerts, count those rows per database and alert when the count stays above a "
        "threshold for more than one poll, otherwise every short-lived row lock pages someone."
    )
    d.end_turn(s, t)
    t = ask(s, "/cost")
    s.local_command("cost", "Total cost:            $0.21\nTotal duration (API):  38s")


def pulse_manual_compact(d: Demo, days: float) -> None:
    s = d.session(PULSE, days, branch="collector-v2")
    t = ask(s, "Add a --format json flag to `pgpulse top`.")
    for step in range(6):
        s.read(f"{PULSE.cwd}/cmd/pgpulse/top.go", f"package main\n\n// step {step}\n")
        s.bash("go build ./...", "")
    s.edit(
        f"{PULSE.cwd}/cmd/pgpulse/top.go",
        "// step 5\n",
        'var format = flag.String("format", "table", "table or json")\n',
        "package main\n\n// step 5\n",
    )
    s.say("`pgpulse top --format json` prints one JSON object per sample.")
    d.end_turn(s, t)
    s.compact(
        "Added --format json to pgpulse top.", trigger="manual", instructions="keep the flag names"
    )
    t = ask(s, "now document it in the README")
    s.edit(
        f"{PULSE.cwd}/README.md",
        "## Usage\n",
        "## Usage\n\n    pgpulse top --format json\n",
        "# pgpulse\n\n## Usage\n",
    )
    s.say("Documented under Usage.")
    d.end_turn(s, t)


def queue_legacy_agents(d: Demo, days: float) -> None:
    """Written by a 2.0.x CLI: flat agent files beside the sessions, warmup agents."""
    s = d.session(QUEUE, days, version="2.0.76")
    s.warmup(reply="Ready to help with tinyqueue.")
    t = ask(s, "Make pop() FIFO and add a benchmark against VecDeque.")
    call = task_call(
        "Write the benchmark",
        "Add a criterion benchmark comparing Queue::pop with VecDeque::pop_front for 10k items.",
    )
    s.assistant("I'll fix pop() while a subagent writes the benchmark.", tools=[call])
    agent = s.subagent(call, layout="legacy")
    agent.write(
        f"{QUEUE.cwd}/benches/pop.rs",
        "use criterion::*;\n\nfn bench(c: &mut Criterion)"
        ' {\n    c.bench_function("pop 10k", |b| b.iter(|| drain(10_000)));\n}\n',
    )
    agent.bash(
        "cargo bench --bench pop -- --quick",
        "pop 10k   time: [412.31 µs 415.02 µs "
        "418.10 µs]\nvecdeque  time: [9.8814 µs 9.9233 µs 9.9721 µs]",
    )
    agent.finish("Benchmark added: Vec::remove(0) is about 40x slower than VecDeque.")
    s.edit(f"{QUEUE.cwd}/src/lib.rs", "    items: Vec<T>,\n", "    items: VecDeque<T>,\n", QUEUE_RS)
    s.edit(
        f"{QUEUE.cwd}/src/lib.rs",
        "        self.items.pop()\n",
        "        self.items.pop_front()\n",
        QUEUE_RS,
    )
    s.bash("cargo test", "running 9 tests\ntest result: ok. 9 passed; 0 failed")
    s.say(
        "pop() is FIFO now, backed by a VecDeque; the benchmark shows the old Vec version was "
        "about 40x slower."
    )
    d.end_turn(s, t)
    s.summary("FIFO pop with VecDeque, benchmark")


def queue_unsafe(d: Demo, days: float) -> None:
    s = d.session(QUEUE, days)
    t = ask(s, "Is there any unsafe code left? Remove it if it is not needed.")
    s.bash("rg -n unsafe src", "src/slab.rs:44:    unsafe { self.slots.get_unchecked(i) }")
    s.read(
        f"{QUEUE.cwd}/src/slab.rs",
        "impl Slab {\n    fn slot(&self, i: usize) -> &Slot {\n"
        "        unsafe { self.slots.get_unchecked(i) }\n    }\n}\n",
    )
    s.assistant(
        "The bounds check costs nothing measurable here.",
        tools=[ToolCall("Bash", {"command": "cargo bench --bench slab"})],
    )
    s.interrupt(for_tool_use=True, after=12)
    t = ask(s, "skip the benchmark, just make it safe", after=10)
    s.edit(
        f"{QUEUE.cwd}/src/slab.rs",
        "        unsafe { self.slots.get_unchecked(i) }\n",
        "        &self.slots[i]\n",
        "impl Slab {\n    fn slot(&self, i: usize) -> &Slot {\n"
        "        unsafe { self.slots.get_unchecked(i) }\n    }\n}\n",
    )
    s.bash("cargo test", "test result: ok. 9 passed; 0 failed")
    s.say("No unsafe code remains.")
    d.end_turn(s, t)


def blog_post(d: Demo, days: float) -> None:
    s = d.session(BLOG, days)
    t = ask(s, "Proofread content/posts/tiny-queues.md and fix typos only.")
    s.read(f"{BLOG.cwd}/content/posts/tiny-queues.md", POST_MD)
    s.say("No typos found. The front matter still says `draft: true`.")
    d.end_turn(s, t)
    t = ask(s, "publish it")
    s.edit(f"{BLOG.cwd}/content/posts/tiny-queues.md", "draft: true\n", "draft: false\n", POST_MD)
    s.bash_mode("hugo --minify", "Total in 312 ms")
    s.say("Set `draft: false`; the site builds.")
    d.end_turn(s, t)


def blog_quick(d: Demo, days: float, question: str, answer: str) -> None:
    s = d.session(BLOG, days)
    t = ask(s, question)
    s.say(answer)
    d.end_turn(s, t)


def lab_kimi(d: Demo, days: float) -> None:
    s = d.session(LAB, days, model=KIMI, branch="exp/holidays")
    t = ask(s, "Add a holiday feature to the weekly forecast and compare MAPE with the baseline.")
    s.read(
        f"{LAB.cwd}/features.py",
        "def build(df):\n    df['week'] = df.date.dt.isocalendar().week\n    return df\n",
    )
    s.edit(
        f"{LAB.cwd}/features.py",
        "    return df\n",
        "    df['holiday'] = df.date.isin(HOLIDAYS).astype(int)\n    return df\n",
        "def build(df):\n    df['week'] = df.date.dt.isocalendar().week\n    return df\n",
    )
    s.bash("uv run python evaluate.py --model gbm", "baseline MAPE 11.8%\nwith holiday MAPE 9.6%")
    s.say("The holiday flag brings MAPE from 11.8 % to 9.6 % on the validation weeks.")
    d.end_turn(s, t)


def lab_notebook(d: Demo, days: float) -> None:
    s = d.session(LAB, days)
    s.snapshot()
    s.command("review", "", expansion=REVIEW_PROMPT, after=10)
    t = s.now
    s.bash("git diff --stat", " evaluate.py | 14 ++++++----\n features.py |  3 +++")
    s.say(
        "Two findings: `evaluate.py` leaks the test weeks into the scaler (high), and "
        "`features.py` hard-codes the 2025 holiday list (low)."
    )
    d.end_turn(s, t)
    t = ask(s, "fix the leak")
    s.edit(
        f"{LAB.cwd}/evaluate.py",
        "scaler.fit(df)\n",
        "scaler.fit(train)\n",
        "scaler.fit(df)\nX = scaler.transform(df)\n",
    )
    s.bash("uv run python evaluate.py --model gbm", "with holiday MAPE 10.4%")
    s.say(
        "Fixed: the scaler is fit on the training weeks only. MAPE is 10.4 % (was "
        "optimistic at 9.6 %)."
    )
    d.end_turn(s, t)
    s.custom_title("Review: scaler leak")


def lab_btw(d: Demo, days: float) -> None:
    s = d.session(LAB, days)
    t = ask(s, "Plot residuals by week for the last run.")
    reply = s.say("I'll write the plot to plots/residuals.png.")
    s.btw("btw, which seed did the last run use?", "Seed 7, set in evaluate.py.", replay=reply)
    s.bash("uv run python plots.py residuals", "wrote plots/residuals.png")
    s.say("Saved plots/residuals.png. Residuals are largest in weeks 51-52.")
    d.end_turn(s, t)


QUICK = (
    (
        "What is the difference between `git switch` and `git checkout`?",
        "`git switch` only changes branches; `git checkout` also restores files. Prefer switch "
        "and `git restore` for clarity.",
    ),
    (
        "Is it ok to use `datetime.utcnow()`?",
        "It returns a naive datetime and is deprecated since Python 3.12. Use "
        "`datetime.now(timezone.utc)`.",
    ),
    ("How do I make Hugo show drafts locally?", "Run `hugo server -D`."),
    (
        "What does `Cache-Control: no-cache` actually do?",
        "The response may be stored, but must be revalidated with the server before each reuse.",
    ),
    (
        "Suggest a title for a post about debugging slow Postgres queries.",
        '"Reading EXPLAIN ANALYZE without fear".',
    ),
    (
        "Why does `npm ci` fail when `npm install` works?",
        "`npm ci` requires package-lock.json to match package.json exactly; regenerate the lock.",
    ),
    ("Shortest way to undo the last commit but keep the changes?", "`git reset --soft HEAD~1`."),
    (
        "Write a one-line summary for the tiny-queues post.",
        "A job queue is often just a table, a loop and a lock: here is when that is enough.",
    ),
    (
        "Does Hugo support per-post custom CSS?",
        "Yes: put the stylesheet in the page bundle and link it from a `css` front-matter param in "
        "your single.html template.",
    ),
    (
        "Is `SELECT ... FOR UPDATE SKIP LOCKED` safe for a queue table?",
        "Yes, it is the usual pattern: each worker locks different rows and skips the ones "
        "another worker holds. Keep transactions short.",
    ),
    (
        "When should I use `TEXT` instead of `VARCHAR(n)` in Postgres?",
        "Almost always: they are stored the same way; use a CHECK constraint if a limit matters.",
    ),
    ("How do I profile a Go test?", "`go test -cpuprofile cpu.out` then `go tool pprof cpu.out`."),
    (
        "Explain `#[must_use]` in one sentence.",
        "It makes the compiler warn when a caller ignores the returned value.",
    ),
    (
        "Best way to pin Python in a uv project?",
        "`uv python pin 3.12`, which writes .python-version; keep requires-python in "
        "pyproject.toml in line with it.",
    ),
)

SMALL = (
    (
        LEDGER,
        "Which endpoints have no tests?",
        "uv run pytest --co -q | rg -o 'test_\\w+' | sort -u | wc -l",
        "212",
        "Every router has tests except `/exports/{id}/csv` and `/webhooks/replay`.",
    ),
    (
        TRAIL,
        "Bump vite to the latest 6.x and check the build.",
        "npm i -D vite@6 && npm run build",
        "vite v6.3.5 building for production...\n✓ 214 modules transformed.\n✓ built in 2.71s",
        "Vite is on 6.3.5 and the production build passes.",
    ),
    (
        PULSE,
        "How many queries does one poll run?",
        "rg -c 'QueryRow|Query\\(' internal",
        "internal/collector/poll.go:1\ninternal/collector/locks.go:2",
        "Three: one for activity and two for locks.",
    ),
    (
        QUEUE,
        "Run clippy with pedantic lints.",
        "cargo clippy -- -W clippy::pedantic",
        "warning: this could be a `const fn`\n  --> src/lib.rs:6:5\nwarning: 1 warning emitted",
        "One pedantic warning: `Queue::new` could be `const fn`. Harmless; I left it.",
    ),
    (
        LAB,
        "How big is the training set now?",
        "uv run python -c 'import data; print(data.shape())'",
        "(18432, 27)",
        "18,432 rows and 27 columns.",
    ),
    (
        BLOG,
        "List the posts still marked draft.",
        "rg -l 'draft: true' content/posts",
        "content/posts/queues-part-2.md\ncontent/posts/reading-explain.md",
        "Two drafts: queues-part-2 and reading-explain.",
    ),
    (
        LEDGER,
        "Is the Decimal context set anywhere globally?",
        "rg -n 'getcontext|localcontext' ledgerline",
        "",
        "No. Everything uses the default context (28 digits, ROUND_HALF_EVEN).",
    ),
    (
        PULSE,
        "Check that the Docker image still builds.",
        "docker build -t pgpulse:dev .",
        "Successfully built 7f3a9c21d0e4\nSuccessfully tagged pgpulse:dev",
        "The image builds (pgpulse:dev).",
    ),
)


def small_task(
    d: Demo, days: float, project: Project, prompt: str, cmd: str, out: str, answer: str
) -> None:
    s = d.session(project, days)
    t = ask(s, prompt)
    s.bash(cmd, out, exit_code=0 if out or "rg" not in cmd else 1)
    s.say(answer)
    d.end_turn(s, t)


Scenario = Callable[[Demo, float], None]

SCHEDULE: Sequence[tuple[float, Scenario]] = (
    (55.2, trail_legacy_inline),
    (52.4, queue_legacy_agents),
    (49.1, discount_feature),
    (47.3, pulse_explain),
    (45.0, blog_post),
    (43.2, trail_router),
    (39.8, queue_unsafe),
    (37.5, pulse_collector),
    (35.1, lab_notebook),
    (31.4, trail_elevation),
    (29.9, pulse_manual_compact),
    (27.2, lab_kimi),
    (26.1, ledger_refactor_marathon),
    (24.4, lab_btw),
    (1.3, api_outage),
    (0.2, rounding_bug),
)


def build_demo(root: Path, *, now: datetime | None = None, seed: int = 7) -> Path:
    """Write the demo history under `root` (a Claude data directory); returns `root`."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    demo = Demo(root, now, seed)
    for days, scenario in SCHEDULE:
        scenario(demo, days)
    for i, (question, answer) in enumerate(QUICK):
        blog_quick(demo, 54.5 - i * 3.9, question, answer)
    for i, task in enumerate(SMALL):
        small_task(demo, 22.5 - i * 2.6, *task)
    return root
