"""The demo history behind `cctracer --demo`: eight weeks of made-up work on six projects.

Every project, person and line of code here is invented. The history is written with the
transcript builder, so it has the shapes of real transcripts: streamed responses, subagents in
all three layouts, skills, slash and local commands, edits with patches, every kind of error,
compactions, titles, a long session and one session on a model without a price.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from claude_code_tracer.demo.ledger import (
    api_outage,
    discount_feature,
    ledger_refactor_marathon,
    rounding_bug,
)
from claude_code_tracer.demo.projects import (
    blog_post,
    blog_quick,
    lab_btw,
    lab_kimi,
    lab_notebook,
    pulse_collector,
    pulse_explain,
    pulse_manual_compact,
    queue_legacy_agents,
    queue_unsafe,
    trail_elevation,
    trail_legacy_inline,
    trail_router,
)
from claude_code_tracer.demo.setting import (
    BLOG,
    LAB,
    LEDGER,
    PULSE,
    QUEUE,
    TRAIL,
    Demo,
    Project,
    ask,
)

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
