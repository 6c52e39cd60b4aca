"""The demo's other projects' sessions: trailmap, pgpulse, tinyqueue, the blog and the
forecast lab, in the layouts and versions each shows."""

from __future__ import annotations

from claude_code_tracer.demo.builder import (
    ToolCall,
    edit_op,
    glob_op,
    task_call,
)
from claude_code_tracer.demo.setting import (
    BLOG,
    COLLECTOR_GO,
    HAIKU,
    KIMI,
    LAB,
    POST_MD,
    PULSE,
    QUEUE,
    QUEUE_RS,
    REVIEW_PROMPT,
    ROUTES_TS,
    SONNET,
    TRAIL,
    Demo,
    ask,
)


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
